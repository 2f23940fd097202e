// Scalars: one chart per scalar tag, over the scalars plugin's own routes.
import { useEffect, useMemo } from 'preact/hooks';
import { fetchScalarPluginTags, fetchScalarsMultirun } from '../api';
import { SeriesStore, useFetched } from '../data';
import { useChartTheme } from '../hooks';
import { usePrefs } from '../prefs';
import { compileFilter, togglePin, useSettings } from '../state';
import { CardGridBody, tagGroup, type CardSpec } from '../components/CardGrid';
import { Controls } from '../components/Controls';
import { TagCard } from '../components/GroupCard';
import type { DashboardProps } from './registry';

/** Runs having each tag, as last listed; the cache asks for all of them. */
let tagRuns = new Map<string, string[]>();
const store = new SeriesStore((tag) => fetchScalarsMultirun(tag, tagRuns.get(tag) ?? []));

export default function ScalarsDashboard({ runs, selectedRuns, runColor, generation }: DashboardProps) {
  const s = useSettings();
  const p = usePrefs();
  const theme = useChartTheme();
  const { value: listing, error } = useFetched(fetchScalarPluginTags, generation);

  const byTag = useMemo(() => {
    const order = new Map(runs.map((r, i) => [r, i]));
    const m = new Map<string, string[]>();
    for (const [run, tags] of Object.entries(listing?.runTagInfo ?? {})) {
      for (const t of tags) {
        let list = m.get(t);
        if (!list) m.set(t, (list = []));
        list.push(run);
      }
    }
    for (const list of m.values()) list.sort((a, b) => (order.get(a) ?? 1e9) - (order.get(b) ?? 1e9));
    return m;
  }, [listing, runs]);
  tagRuns = byTag;
  useEffect(() => store.attach(byTag), [byTag]);

  const selected = new Set(selectedRuns);
  const pinned = new Set(s.pinned);
  const allTags = useMemo(() => [...byTag.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), [byTag]);
  const tagRe = compileFilter(s.tagFilter);
  // What every scalar card of this dashboard is given alike.
  const shared = { generation, store, settings: s, prefs: p, runColor, theme };
  const spec = (tag: string): CardSpec => {
    const id = 's:' + tag;
    return {
      id,
      group: tagGroup(tag),
      render: () => (
        <TagCard
          tag={tag}
          allRuns={byTag.get(tag)?.length ?? 0}
          runs={(byTag.get(tag) ?? []).filter((r) => selected.has(r))}
          description={listing?.tagDescriptions[tag] ?? ''}
          {...shared}
          pinned={pinned.has(id)}
          onPin={() => togglePin(id)}
        />
      ),
    };
  };
  const tags = tagRe ? allTags.filter((t) => tagRe.test(t)) : allTags;
  const cards = tags.map(spec);
  const pinnedCards = s.pinned.filter((id) => id.startsWith('s:') && byTag.has(id.slice(2))).map((id) => spec(id.slice(2)));

  const body = (
    <CardGridBody
      loaded={!!listing}
      error={error}
      empty={allTags.length === 0}
      emptyTitle="No scalar data"
      emptyText="No run in this log directory has written scalar summaries yet."
      noMatch="No tags match the filter."
      {...{ cards, pinnedCards, settings: s, prefs: p }}
    />
  );
  return (
    <main class="main" data-dashboard="scalars">
      <Controls s={s} shown={tags.length} total={allTags.length} scalarTags={allTags} />
      <div class="groups">{body}</div>
    </main>
  );
}
