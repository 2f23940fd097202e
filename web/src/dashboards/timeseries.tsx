// Time Series: scalar, histogram and image cards grouped by tag prefix.
import type { VNode } from 'preact';
import { useEffect, useMemo } from 'preact/hooks';
import { fetchScalars, fetchTimeSeriesTags, type KindTags } from '../api';
import { SeriesStore, useFetched } from '../data';
import { useChartTheme } from '../hooks';
import { usePrefs } from '../prefs';
import { compileFilter, togglePin, useSettings } from '../state';
import { CardGridBody, tagGroup, type CardSpec } from '../components/CardGrid';
import { Controls } from '../components/Controls';
import { TagCard } from '../components/GroupCard';
import { HistogramCard } from '../components/HistogramCard';
import { ImageCard } from '../components/ImageCard';
import type { DashboardProps } from './registry';

const store = new SeriesStore((tag) => fetchScalars(tag));

export const scalarCardId = (tag: string) => 's:' + tag;
const histCardId = (run: string, tag: string) => 'h:' + JSON.stringify([run, tag]);
const imageCardId = (run: string, tag: string) => 'i:' + JSON.stringify([run, tag]);

/**
 * Tag -> its runs, in run order (runs the order does not know last, by
 * name). The listing's runs are put in order once; each tag's runs are
 * then their positions in that order, sorted as numbers (a string sort per
 * tag cost tens of ms at 1000 runs × 50 tags), and tags with the same runs
 * share one list.
 */
function invert(kind: KindTags | undefined, names: string[], order: Map<string, number>): Map<string, string[]> {
  const m = new Map<string, string[]>();
  if (!kind) return m;
  const rank = (r: string) => order.get(r) ?? Number.MAX_SAFE_INTEGER;
  const byRank = names.map((_, i) => i).sort((a, b) => rank(names[a]) - rank(names[b]) || cmp(names[a], names[b]));
  const pos = new Int32Array(names.length);
  byRank.forEach((i, p) => (pos[i] = p));
  const same = new Map<string, string[]>();
  for (const [tag, ranges] of Object.entries(kind.tags)) {
    const key = ranges.join();
    let list = same.get(key);
    if (!list) {
      let n = 0;
      for (let r = 0; r + 1 < ranges.length; r += 2) n += Math.max(0, ranges[r + 1] - ranges[r]);
      const at = new Int32Array(n);
      n = 0;
      for (let r = 0; r + 1 < ranges.length; r += 2) for (let i = ranges[r]; i < ranges[r + 1]; i++) at[n++] = pos[i];
      at.sort();
      list = Array.from(at, (p) => names[byRank[p]]);
      same.set(key, list);
    }
    m.set(tag, list);
  }
  return m;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export default function TimeSeriesDashboard({ runs, selectedRuns, runColor, generation }: DashboardProps) {
  const s = useSettings();
  const p = usePrefs();
  const theme = useChartTheme();
  const { value: tags, error } = useFetched(fetchTimeSeriesTags, generation);

  const order = useMemo(() => new Map(runs.map((r, i) => [r, i])), [runs]);
  const scalarRuns = useMemo(() => invert(tags?.scalars, tags?.runs ?? [], order), [tags, order]);
  const histRuns = useMemo(() => invert(tags?.histograms, tags?.runs ?? [], order), [tags, order]);
  const imageInfo = tags?.images.tagRunSampledInfo ?? {};
  useEffect(() => store.attach(scalarRuns), [scalarRuns]);
  const scalarTagList = useMemo(() => [...scalarRuns.keys()].sort(cmp), [scalarRuns]);

  const selected = new Set(selectedRuns);
  const pinned = new Set(s.pinned);
  const tagRe = compileFilter(s.tagFilter);

  // What every scalar card of this dashboard is given alike.
  const shared = { generation, store, settings: s, prefs: p, runColor, theme };
  // Every possible card, then the ones the tag filter keeps.
  type Entry = CardSpec & { tag: string; kind: number; rank: number };
  const entries: Entry[] = [];
  for (const [tag, tagRunsList] of scalarRuns) {
    const id = scalarCardId(tag);
    const drawn = tagRunsList.filter((r) => selected.has(r));
    entries.push({
      id,
      tag,
      kind: 0,
      rank: 0,
      group: tagGroup(tag),
      render: () => (
        <TagCard
          tag={tag}
          allRuns={tagRunsList.length}
          runs={drawn}
          description={tags?.scalars.tagDescriptions[tag] ?? ''}
          {...shared}
          pinned={pinned.has(id)}
          onPin={() => togglePin(id)}
        />
      ),
    });
  }
  // A card of one run's tag (kind 1: histograms, 2: images), given the props
  // every such card takes alike.
  type RunCardProps = { run: string; tag: string; color: string; generation: number; pinned: boolean; onPin: () => void };
  const addRunCard = (kind: number, id: string, run: string, tag: string, card: (props: RunCardProps) => VNode) => {
    if (!selected.has(run)) return;
    const render = () => card({ run, tag, color: runColor(run), generation, pinned: pinned.has(id), onPin: () => togglePin(id) });
    entries.push({ id, tag, kind, rank: order.get(run) ?? 0, group: tagGroup(tag), render });
  };
  for (const [tag, tagRunsList] of histRuns) {
    for (const run of tagRunsList) {
      addRunCard(1, histCardId(run, tag), run, tag, (props) => (
        <HistogramCard {...props} description={tags?.histograms.tagDescriptions[tag] ?? ''} mode={s.histogramMode} theme={theme} />
      ));
    }
  }
  for (const tag of Object.keys(imageInfo)) {
    const perRun = imageInfo[tag] ?? {};
    for (const run of Object.keys(perRun).sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0))) {
      addRunCard(2, imageCardId(run, tag), run, tag, (props) => (
        <ImageCard {...props} samples={perRun[run]?.maxSamplesPerStep ?? 1} description={tags?.images.tagDescriptions[tag] ?? ''} />
      ));
    }
  }
  entries.sort((a, b) => cmp(a.tag, b.tag) || a.kind - b.kind || a.rank - b.rank);
  const allTags = new Set(entries.map((e) => e.tag));
  for (const t of scalarRuns.keys()) allTags.add(t);
  const cards = tagRe ? entries.filter((e) => tagRe.test(e.tag)) : entries;
  const shownTags = new Set(cards.map((e) => e.tag));
  const byId = new Map(entries.map((e) => [e.id, e]));
  const pinnedCards = s.pinned.map((id) => byId.get(id)).filter((e): e is Entry => !!e);

  const body = (
    <CardGridBody
      loaded={!!tags}
      error={error}
      empty={entries.length === 0 && allTags.size === 0}
      emptyTitle="No time series data"
      emptyText="No run in this log directory has written scalars, histograms or images yet."
      noMatch="No cards match the filter."
      {...{ cards, pinnedCards, settings: s, prefs: p }}
    />
  );

  return (
    <main class="main" data-dashboard="timeseries">
      <Controls
        s={s}
        shown={shownTags.size}
        total={allTags.size}
        histograms={histRuns.size > 0}
        scalarTags={scalarTagList}
      />
      <div class="groups">{body}</div>
    </main>
  );
}
