// Hparam columns in the runs list, as upstream's runs table has: a small
// picker of the experiment's hparams, one narrow cell per chosen hparam in
// each run's row, and a header whose click sorts the runs by that column
// (ascending, descending, off). The choice and the sort are kept in
// localStorage. Values come from the hparams plugin's session groups: a
// session is named after its run.
import { useEffect, useState } from 'preact/hooks';
import { fetchExperiment, fetchSessionGroups, type HParamInfo, type HValue } from '../dashboards/hparams_api';

const STORE = 'tboard.runColumns';

interface Saved {
  chosen: string[];
  sort: { name: string; desc: boolean } | null;
}

function load(): Saved {
  try {
    const v = JSON.parse(localStorage.getItem(STORE) || '{}');
    const chosen = Array.isArray(v.chosen) ? v.chosen.filter((c: unknown) => typeof c === 'string') : [];
    const sort = v.sort && typeof v.sort.name === 'string' ? { name: v.sort.name, desc: !!v.sort.desc } : null;
    return { chosen, sort };
  } catch {
    return { chosen: [], sort: null };
  }
}

export interface RunHparams {
  /** The experiment's hparams (empty: no picker). */
  infos: HParamInfo[];
  /** Chosen columns, in the experiment's order. */
  columns: HParamInfo[];
  values: Map<string, Map<string, HValue>>;
  saved: Saved;
  update(s: Saved): void;
}

/** Hparams of every run, refetched when the number of runs changes. */
export function useRunHparams(runCount: number): RunHparams {
  const [infos, setInfos] = useState<HParamInfo[]>([]);
  const [values, setValues] = useState<Map<string, Map<string, HValue>>>(new Map());
  const [saved, setSaved] = useState<Saved>(load);
  useEffect(() => {
    const ctl = new AbortController();
    (async () => {
      const exp = await fetchExperiment(ctl.signal);
      if (!exp.hparams.length) return;
      const groups = await fetchSessionGroups(exp, ctl.signal);
      const v = new Map<string, Map<string, HValue>>();
      for (const g of groups) for (const s of g.sessions) v.set(s.name, g.hparams);
      setInfos(exp.hparams);
      setValues(v);
    })().catch(() => {
      // No hparams plugin data: no columns.
    });
    return () => ctl.abort();
  }, [runCount]);
  const update = (s: Saved) => {
    localStorage.setItem(STORE, JSON.stringify(s));
    setSaved(s);
  };
  const columns = infos.filter((h) => saved.chosen.includes(h.name));
  return { infos, columns, values, saved, update };
}

function compare(a: HValue | undefined, b: HValue | undefined): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

/** `runs` in the chosen sort order (runs without the value last), or as given. */
export function sortRuns(runs: string[], hp: RunHparams): string[] {
  const sort = hp.saved.sort;
  if (!sort || !hp.columns.some((c) => c.name === sort.name)) return runs;
  const key = (r: string) => hp.values.get(r)?.get(sort.name);
  return [...runs].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka === undefined || kb === undefined) return compare(ka, kb);
    return sort.desc ? compare(kb, ka) : compare(ka, kb);
  });
}

function show(v: HValue | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(3).replace(/\.?0+(e|$)/, '$1');
  return String(v);
}

/** The "Columns" button and its list of hparams to show. */
export function HparamColumnPicker({ hp }: { hp: RunHparams }) {
  const [open, setOpen] = useState(false);
  if (!hp.infos.length) return null;
  const toggle = (name: string) => {
    const chosen = hp.saved.chosen.includes(name) ? hp.saved.chosen.filter((c) => c !== name) : [...hp.saved.chosen, name];
    hp.update({ ...hp.saved, chosen });
  };
  return (
    <span class="run-columns">
      <button class="link" aria-expanded={open} data-testid="run-columns" title="Hparam columns in the runs list" onClick={() => setOpen(!open)}>
        Columns{hp.columns.length ? ` (${hp.columns.length})` : ''}
      </button>
      {open && (
        <div class="run-columns-menu" role="group" aria-label="Hparam columns">
          {hp.infos.map((h) => (
            <label key={h.name} title={h.description || h.name}>
              <input type="checkbox" data-hparam={h.name} checked={hp.saved.chosen.includes(h.name)} onChange={() => toggle(h.name)} />
              {h.label}
            </label>
          ))}
        </div>
      )}
    </span>
  );
}

/**
 * The hparam column names for the runs list's header; a click cycles
 * ascending, descending, unsorted. `onSort` hears of a click, so the header
 * can drop any other column's sort: the list has one sort at a time.
 */
export function HparamHeaderCells({ hp, onSort }: { hp: RunHparams; onSort?: () => void }) {
  if (!hp.columns.length) return null;
  const sort = hp.saved.sort;
  const cycle = (name: string) => {
    const next = sort?.name !== name ? { name, desc: false } : !sort.desc ? { name, desc: true } : null;
    hp.update({ ...hp.saved, sort: next });
    onSort?.();
  };
  return (
    <>
      {hp.columns.map((h) => {
        const dir = sort?.name === h.name ? (sort.desc ? 'desc' : 'asc') : 'none';
        return (
          <button
            key={h.name}
            class="run-cell"
            data-testid="run-column-head"
            data-hparam={h.name}
            data-sort={dir}
            aria-sort={dir === 'none' ? 'none' : dir === 'asc' ? 'ascending' : 'descending'}
            title={`Sort the runs by ${h.label}`}
            onClick={() => cycle(h.name)}
          >
            {h.label}
            {dir === 'asc' ? ' ▲' : dir === 'desc' ? ' ▼' : ''}
          </button>
        );
      })}
    </>
  );
}

/** One run's cells. */
export function HparamCells({ hp, run }: { hp: RunHparams; run: string }) {
  if (!hp.columns.length) return null;
  const v = hp.values.get(run);
  return (
    <>
      {hp.columns.map((h) => {
        const text = show(v?.get(h.name));
        return (
          <span key={h.name} class="run-cell" data-hparam={h.name} title={text ? `${h.label}: ${text}` : undefined}>
            {text}
          </span>
        );
      })}
    </>
  );
}
