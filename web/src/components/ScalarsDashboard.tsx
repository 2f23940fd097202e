import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { DataState } from '../data';
import type { RunColors } from '../colors';
import { compileFilter, settings, type Settings, type XAxis } from '../state';
import { useChartTheme } from '../hooks';
import { ScalarCard } from './ScalarCard';

interface Props {
  data: DataState;
  colors: RunColors;
  settings: Settings;
}

interface TagGroup {
  name: string;
  tags: string[];
}

/** The group of a tag: the part before its first '/'. */
export function tagGroup(tag: string): string {
  const i = tag.indexOf('/');
  return i < 0 ? tag : tag.slice(0, i);
}

function groupTags(tags: string[]): TagGroup[] {
  const groups = new Map<string, string[]>();
  for (const t of tags) {
    const g = tagGroup(t);
    let list = groups.get(g);
    if (!list) groups.set(g, (list = []));
    list.push(t);
  }
  return [...groups].map(([name, list]) => ({ name, tags: list }));
}

const X_LABELS: Array<[XAxis, string]> = [
  ['step', 'Step'],
  ['relative', 'Relative'],
  ['wall', 'Wall'],
];

/**
 * The smoothing slider moves freely; charts follow at most every
 * SMOOTHING_THROTTLE_MS while it is dragged, and always get the final value.
 */
const SMOOTHING_THROTTLE_MS = 120;

function useThrottledSmoothing(current: number): [number, (v: number) => void] {
  const [local, setLocal] = useState(current);
  const pending = useRef<number | null>(null);
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (pending.current === null) setLocal(current);
  }, [current]);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  const set = (v: number) => {
    setLocal(v);
    pending.current = v;
    if (timer.current !== undefined) return;
    const flush = () => {
      timer.current = undefined;
      if (pending.current === null) return;
      const value = pending.current;
      pending.current = null;
      settings.update({ smoothing: value });
      timer.current = window.setTimeout(() => {
        timer.current = undefined;
        if (pending.current !== null) flush();
      }, SMOOTHING_THROTTLE_MS);
    };
    flush();
  };
  return [local, set];
}

function Controls({ s, shownTags, totalTags }: { s: Settings; shownTags: number; totalTags: number }) {
  const tagRe = compileFilter(s.tagFilter);
  const [smoothing, setSmoothing] = useThrottledSmoothing(s.smoothing);
  return (
    <div class="controls">
      <input
        class={'filter tag-filter' + (tagRe ? '' : ' invalid')}
        type="search"
        placeholder="Filter tags (regex)"
        value={s.tagFilter}
        data-testid="tag-filter"
        onInput={(e) => settings.update({ tagFilter: (e.target as HTMLInputElement).value })}
      />
      <span class="tag-count">
        {shownTags === totalTags ? `${totalTags} tags` : `${shownTags} of ${totalTags} tags`}
      </span>
      <div class="spacer" />
      <label class="control smoothing" title="Exponential moving average weight">
        <span>Smoothing</span>
        <input
          type="range"
          min="0"
          max="0.999"
          step="0.001"
          value={smoothing}
          data-testid="smoothing"
          onInput={(e) => setSmoothing(Number((e.target as HTMLInputElement).value))}
        />
        <input
          class="number"
          type="number"
          min="0"
          max="0.999"
          step="0.01"
          value={smoothing}
          data-testid="smoothing-value"
          onChange={(e) => {
            const v = Number((e.target as HTMLInputElement).value);
            if (Number.isFinite(v)) setSmoothing(Math.min(0.999, Math.max(0, v)));
          }}
        />
      </label>
      <div class="control segmented" role="group" aria-label="Horizontal axis">
        {X_LABELS.map(([key, label]) => (
          <button
            key={key}
            class={s.xAxis === key ? 'active' : ''}
            aria-pressed={s.xAxis === key}
            data-xaxis={key}
            onClick={() => settings.update({ xAxis: key })}
          >
            {label}
          </button>
        ))}
      </div>
      <label class="control checkbox">
        <input
          type="checkbox"
          checked={s.logY}
          data-testid="log-y"
          onChange={(e) => settings.update({ logY: (e.target as HTMLInputElement).checked })}
        />
        <span>Log scale</span>
      </label>
    </div>
  );
}

export function ScalarsDashboard({ data, colors, settings: s }: Props) {
  const theme = useChartTheme();
  const info = data.tags?.scalars.runTagInfo ?? {};
  const descriptions = data.tags?.scalars.tagDescriptions ?? {};

  // tag -> runs having it, in run order.
  const tagRuns = useMemo(() => {
    const order = new Map(data.runs.map((r, i) => [r, i]));
    const m = new Map<string, string[]>();
    for (const run of Object.keys(info)) {
      for (const tag of info[run]) {
        let list = m.get(tag);
        if (!list) m.set(tag, (list = []));
        list.push(run);
      }
    }
    const rank = (r: string) => order.get(r) ?? Number.MAX_SAFE_INTEGER;
    for (const list of m.values()) list.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
    return m;
  }, [data.tags, data.runs]);

  const allTags = useMemo(() => [...tagRuns.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), [tagRuns]);
  const tagRe = compileFilter(s.tagFilter);
  const tags = tagRe ? allTags.filter((t) => tagRe.test(t)) : allTags;
  const groups = groupTags(tags);

  const runRe = compileFilter(s.runFilter);
  const drawnRun = (r: string) => !s.hiddenRuns.has(r) && (!runRe || runRe.test(r));

  const toggleGroup = (name: string) => {
    const c = new Set(s.collapsedGroups);
    if (c.has(name)) c.delete(name);
    else c.add(name);
    settings.update({ collapsedGroups: c });
  };

  let body;
  if (!data.tags) {
    body = <div class="empty-state">{data.error ? 'Could not load tags.' : 'Loading…'}</div>;
  } else if (allTags.length === 0) {
    body = (
      <div class="empty-state">
        <h3>No scalar data</h3>
        <p>No run in this log directory has written scalar summaries yet.</p>
      </div>
    );
  } else if (tags.length === 0) {
    body = <div class="empty-state">No tags match the filter.</div>;
  } else {
    body = groups.map((g) => {
      const collapsed = s.collapsedGroups.has(g.name);
      return (
        <section class="group" key={g.name} data-group={g.name}>
          <button class="group-head" aria-expanded={!collapsed} onClick={() => toggleGroup(g.name)}>
            <span class={'chevron' + (collapsed ? ' collapsed' : '')} aria-hidden="true">
              ▾
            </span>
            <span class="group-name">{g.name}</span>
            <span class="group-count">{g.tags.length}</span>
          </button>
          {!collapsed && (
            <div class="cards">
              {g.tags.map((tag) => (
                <ScalarCard
                  key={tag}
                  tag={tag}
                  runs={(tagRuns.get(tag) ?? []).filter(drawnRun)}
                  description={descriptions[tag] ?? ''}
                  generation={data.generation}
                  settings={s}
                  colors={colors}
                  theme={theme}
                />
              ))}
            </div>
          )}
        </section>
      );
    });
  }

  return (
    <main class="main">
      <Controls s={s} shownTags={tags.length} totalTags={allTags.length} />
      <div class="groups">{body}</div>
    </main>
  );
}
