// The runs list: colour (with a picker), checkbox, regex filter, select
// all/none, count. Rows are virtualised so thousands of runs stay fast.
import { useEffect, useRef, useState } from 'preact/hooks';
import { compileFilter, settings, type Settings } from '../state';
import { runGroupOf, runGroupRegex, setRunColor } from '../colors';
import { LogdirStatus } from './LogdirStatus';
import { HparamCells, HparamColumnPicker, HparamHeaderCells, sortRuns, useRunHparams } from './RunHparams';
import { prefs, SIDEBAR_MAX, SIDEBAR_MIN } from '../prefs';
import { QueryBox } from './QueryBox';
import { useRunQuery, type QueryValue } from '../compare';
import { formatValue } from '../format';

interface Props {
  runs: string[];
  runColor: (run: string) => string;
  settings: Settings;
  /** Runs picked a colour by hand. */
  customColors: Record<string, string>;
  width: number;
}

interface GroupItem {
  group: string;
  runs: string[];
}

/**
 * The rows of the runs list: with a grouping, each group's header (where
 * its first run would be) followed by its runs; runs in no group stay
 * where they are.
 */
function listItems(runs: string[], mode: string): { items: Array<string | GroupItem>; groupOf: Map<string, string> } {
  const groupOf = new Map<string, string>();
  if (!mode) return { items: runs, groupOf };
  const re = runGroupRegex(mode);
  const groups = new Map<string, GroupItem>();
  const order: Array<string | GroupItem> = [];
  for (const run of runs) {
    const g = runGroupOf(run, mode, re);
    if (g === null) {
      order.push(run);
      continue;
    }
    groupOf.set(run, g);
    let item = groups.get(g);
    if (!item) {
      item = { group: g, runs: [] };
      groups.set(g, item);
      order.push(item);
    }
    item.runs.push(run);
  }
  const items: Array<string | GroupItem> = [];
  for (const o of order) {
    items.push(o);
    if (typeof o !== 'string') items.push(...o.runs);
  }
  return { items, groupOf };
}

/** Drag (or arrow keys) on the sidebar's right edge sets its width, kept in the preferences. */
function ResizeHandle({ width }: { width: number }) {
  const set = (w: number) => prefs.update({ sidebarWidth: Math.round(Math.min(SIDEBAR_MAX, Math.max(SIDEBAR_MIN, w))) });
  const onDown = (e: PointerEvent) => {
    e.preventDefault();
    const el = e.currentTarget as HTMLElement;
    el.setPointerCapture(e.pointerId);
    const x0 = e.clientX;
    const move = (ev: PointerEvent) => set(width + ev.clientX - x0);
    const up = () => {
      el.removeEventListener('pointermove', move);
      el.removeEventListener('pointerup', up);
      el.removeEventListener('pointercancel', up);
    };
    el.addEventListener('pointermove', move);
    el.addEventListener('pointerup', up);
    el.addEventListener('pointercancel', up);
  };
  return (
    <div
      class="sidebar-resize"
      role="separator"
      aria-orientation="vertical"
      aria-label="Resize the runs list"
      aria-valuenow={width}
      aria-valuemin={SIDEBAR_MIN}
      aria-valuemax={SIDEBAR_MAX}
      tabIndex={0}
      title="Drag to resize; double-click to reset"
      data-testid="sidebar-resize"
      onPointerDown={onDown}
      onDblClick={() => prefs.update({ sidebarWidth: 260 })}
      onKeyDown={(e) => {
        if (e.key === 'ArrowLeft') set(width - 20);
        if (e.key === 'ArrowRight') set(width + 20);
      }}
    />
  );
}

const ROW = 28;
/** Width a row needs beside its columns (paddings, checkbox, swatch, a run name), and per column. */
const COLUMNS_BASE = 170;
const COLUMN = 72;
const OVERSCAN = 8;

function queryCell(v: QueryValue | undefined): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'number' ? formatValue(v) : String(v);
}

/** Query values order as the server orders them: missing last, numbers before strings. */
function compareValues(a: QueryValue | undefined, b: QueryValue | undefined, desc: boolean): number {
  const missing = (v: QueryValue | undefined) => v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
  if (missing(a) || missing(b)) return missing(a) ? (missing(b) ? 0 : 1) : -1;
  const rank = (v: QueryValue | undefined) => (typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : 2);
  let c = rank(a) - rank(b);
  if (c === 0) c = a! < b! ? -1 : a! > b! ? 1 : 0;
  return desc ? -c : c;
}

/**
 * The runs the query answered, in its order (or sorted by a column the
 * user clicked), and each one's values of the query's columns.
 */
function useQueryRows(runs: string[], sort: { col: number; desc: boolean } | null) {
  const rq = useRunQuery();
  if (!rq.answer || !rq.text.trim()) return { rq, columns: [] as string[], order: null, values: null };
  const known = new Set(runs);
  const rows = rq.answer.runs.filter((r) => known.has(r.run));
  if (sort && sort.col < rq.answer.columns.length)
    rows.sort((a, b) => compareValues(a.values[sort.col], b.values[sort.col], sort.desc));
  return {
    rq,
    columns: rq.answer.columns,
    order: rows.map((r) => r.run),
    values: new Map(rows.map((r) => [r.run, r.values])),
  };
}

export function RunsSidebar({ runs, runColor, settings: s, customColors, width }: Props) {
  const re = compileFilter(s.runFilter);
  const [colSort, setColSort] = useState<{ col: number; desc: boolean } | null>(null);
  const q = useQueryRows(runs, colSort);
  // A new set of columns drops the sort by an old one.
  const colsKey = q.columns.join('\u0000');
  useEffect(() => setColSort(null), [colsKey]);
  const listed = q.order ?? runs;
  const matching = re ? listed.filter((r) => re.test(r)) : listed;
  const shown = matching.filter((r) => !s.hiddenRuns.has(r)).length;
  const listRef = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState(0);
  const [height, setHeight] = useState(600);
  const hp = useRunHparams(runs.length);

  useEffect(() => {
    const el = listRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const setAll = (visible: boolean) => {
    const hidden = new Set(s.hiddenRuns);
    for (const r of matching) {
      if (visible) hidden.delete(r);
      else hidden.add(r);
    }
    settings.update({ hiddenRuns: hidden });
  };
  const toggle = (run: string) => {
    const hidden = new Set(s.hiddenRuns);
    if (hidden.has(run)) hidden.delete(run);
    else hidden.add(run);
    settings.update({ hiddenRuns: hidden });
  };

  const { items, groupOf } = listItems(sortRuns(matching, hp), s.runGroup);
  const first = Math.max(0, Math.floor(scroll / ROW) - OVERSCAN);
  const last = Math.min(items.length, Math.ceil((scroll + height) / ROW) + OVERSCAN);
  const rows = items.slice(first, last);
  const setGroupShown = (runsOf: string[], visible: boolean) => {
    const hidden = new Set(s.hiddenRuns);
    for (const r of runsOf) {
      if (visible) hidden.delete(r);
      else hidden.add(r);
    }
    settings.update({ hiddenRuns: hidden });
  };
  const groupMode = s.runGroup === 'dir' ? 'dir' : s.runGroup.startsWith('re:') ? 're' : '';
  // Columns widen the sidebar as far as they need, so every column and a
  // readable run name show without scrolling sideways.
  const nCols = hp.columns.length + q.columns.length;
  const shownWidth = nCols ? Math.min(SIDEBAR_MAX, Math.max(width, COLUMNS_BASE + COLUMN * nCols)) : width;

  return (
    <aside class="sidebar" style={{ width: `${shownWidth}px` }}>
      <ResizeHandle width={shownWidth} />
      <div class="sidebar-head">
        <h2>Runs</h2>
        <span class="count" data-testid="run-count">
          {shown} of {runs.length}
        </span>
      </div>
      <QueryBox settings={s} state={q.rq} />
      <input
        class={'filter' + (re ? '' : ' invalid')}
        type="search"
        placeholder="Filter runs (regex)"
        value={s.runFilter}
        data-testid="run-filter"
        onInput={(e) => settings.update({ runFilter: (e.target as HTMLInputElement).value })}
      />
      <div class="select-buttons">
        <button class="link" data-testid="select-all" onClick={() => setAll(true)}>
          Select all
        </button>
        <button class="link" data-testid="select-none" onClick={() => setAll(false)}>
          Select none
        </button>
        {re && s.runFilter && <span class="count">{matching.length} match</span>}
        <HparamColumnPicker hp={hp} />
      </div>
      <div class="run-grouping">
        <label>
          <span>Group &amp; colour</span>
          <select
            value={groupMode}
            data-testid="run-group-mode"
            onChange={(e) => {
              const v = (e.target as HTMLSelectElement).value;
              settings.update({ runGroup: v === 're' ? 're:' : v });
            }}
          >
            <option value="">by run</option>
            <option value="dir">by directory</option>
            <option value="re">by regex</option>
          </select>
        </label>
        {groupMode === 're' && (
          <input
            class={'filter' + (s.runGroup.length > 3 && !runGroupRegex(s.runGroup) ? ' invalid' : '')}
            type="search"
            placeholder="Group regex, e.g. lr_([^/]+)"
            title="Runs whose names match share a group and a colour; with capture groups, runs are grouped by what the groups capture"
            value={s.runGroup.slice(3)}
            data-testid="run-group-regex"
            onInput={(e) => settings.update({ runGroup: 're:' + (e.target as HTMLInputElement).value })}
          />
        )}
      </div>
      {(q.columns.length > 0 || hp.columns.length > 0) && (
        // One header over the list, its cells in the rows' order: hparam
        // columns, then the query's. One column sorts at a time.
        <div class="run-columns-head" data-testid="runs-head">
          <span class="run-name">Run</span>
          <HparamHeaderCells hp={hp} onSort={() => setColSort(null)} />
          {q.columns.map((c, i) => {
            const on = colSort?.col === i;
            return (
              <button
                key={c}
                class={'query-col' + (on ? ' active' : '')}
                title={`Sort by ${c}`}
                data-col={c}
                aria-sort={on ? (colSort!.desc ? 'descending' : 'ascending') : 'none'}
                onClick={() => {
                  if (hp.saved.sort) hp.update({ ...hp.saved, sort: null });
                  setColSort(!on ? { col: i, desc: false } : !colSort!.desc ? { col: i, desc: true } : null);
                }}
              >
                {c}
                {on ? (colSort!.desc ? ' ▼' : ' ▲') : ''}
              </button>
            );
          })}
        </div>
      )}
      <div class="run-list" ref={listRef} onScroll={(e) => setScroll((e.target as HTMLDivElement).scrollTop)}>
        {matching.length === 0 && <div class="empty">{runs.length ? 'No runs match the filter' : 'No runs yet'}</div>}
        <div class="run-list-inner" style={{ height: `${items.length * ROW}px` }}>
          {rows.map((item, k) => {
            if (typeof item !== 'string') {
              const on = item.runs.filter((r) => !s.hiddenRuns.has(r)).length;
              return (
                <div
                  key={'\u0000group\u0000' + item.group}
                  class="run-group-row"
                  data-run-group={item.group}
                  style={{ transform: `translateY(${(first + k) * ROW}px)` }}
                >
                  <input
                    type="checkbox"
                    checked={on === item.runs.length}
                    indeterminate={on > 0 && on < item.runs.length}
                    aria-label={`Show the runs of ${item.group}`}
                    onChange={() => setGroupShown(item.runs, on < item.runs.length)}
                  />
                  <span class="swatch-picker" style={{ background: runColor(item.runs[0]) }} />
                  <span class="run-group-name" title={item.group}>
                    {item.group}
                  </span>
                  <span class="count">{item.runs.length}</span>
                </div>
              );
            }
            const run = item;
            const checked = !s.hiddenRuns.has(run);
            const color = runColor(run);
            return (
              <div
                key={run}
                class={'run-row' + (groupOf.has(run) ? ' in-group' : '')}
                data-run={run}
                data-selected={checked ? 'true' : 'false'}
                style={{ transform: `translateY(${(first + k) * ROW}px)` }}
              >
                <input
                  type="checkbox"
                  checked={checked}
                  aria-label={`Show ${run}`}
                  style={{ accentColor: color }}
                  onChange={() => toggle(run)}
                />
                <label class="swatch-picker" title="Change colour" style={{ background: color }}>
                  <input
                    type="color"
                    value={color}
                    aria-label={`Colour of ${run}`}
                    data-testid="run-color"
                    onInput={(e) => setRunColor(run, (e.target as HTMLInputElement).value)}
                  />
                </label>
                <span class="run-name" title={run} onClick={() => toggle(run)}>
                  {run}
                </span>
                <HparamCells hp={hp} run={run} />
                {q.values &&
                  (q.values.get(run) ?? []).map((v, i) => (
                    <span class="query-val" key={i} data-col={q.columns[i]}>
                      {queryCell(v)}
                    </span>
                  ))}
                {customColors[run] && (
                  <button class="reset-color" title="Default colour" aria-label="Default colour" onClick={() => setRunColor(run, null)}>
                    ×
                  </button>
                )}
              </div>
            );
          })}
        </div>
      </div>
      <LogdirStatus runCount={runs.length} />
    </aside>
  );
}
