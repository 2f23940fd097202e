// Comparing runs: the run query (one language for the runs list, the cards
// and HParams, evaluated on the server, docs/HTTP_API.md), groups of runs
// with an aggregate line and a band, and lining one scalar up against
// another by step. The query's answer is shared by every view through one
// store, so the runs list, the cards and HParams agree on the runs.
import { useEffect, useState } from 'preact/hooks';
import { HttpError, isObject, query, request, toNumber, toNumbers } from './api';
import type { Brush, GroupAgg, GroupBand } from './state';

export type QueryValue = number | string | boolean | null;

export interface QueryRow {
  run: string;
  values: QueryValue[];
}

export interface QueryAnswer {
  columns: string[];
  runs: QueryRow[];
  total: number;
}

/** A query the server refused: its message and the 1-based column. */
export class QueryError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(message);
  }
}

/** POSTs `body` as a form to a tboard route; a 400 with a `column` is a QueryError. */
async function postForm(path: string, params: Record<string, string | number>, signal?: AbortSignal): Promise<unknown> {
  let text: string;
  try {
    const resp = await request(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: query(params),
      signal,
    });
    text = await resp.text();
  } catch (e) {
    if (e instanceof HttpError && e.status === 400) {
      const m = /HTTP 400 (.*)$/s.exec(e.message);
      let body: unknown = null;
      try {
        body = JSON.parse(m ? m[1] : '');
      } catch {
        // a cut-off body: keep the HTTP message
      }
      if (isObject(body) && typeof body.error === 'string')
        throw new QueryError(body.error, typeof body.column === 'number' ? body.column : 0);
    }
    throw e;
  }
  return JSON.parse(text);
}

function queryValue(v: unknown): QueryValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'number') return v;
  if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return toNumber(v);
  return typeof v === 'string' ? v : null;
}

/** The runs matching `q`, with the values of the columns it names. */
export async function fetchRunQuery(q: string, signal?: AbortSignal): Promise<QueryAnswer> {
  const body = await postForm('data/tboard/runs/query', { q }, signal);
  const o = isObject(body) ? body : {};
  const columns = Array.isArray(o.columns) ? o.columns.map(String) : [];
  const runs = (Array.isArray(o.runs) ? o.runs : []).filter(isObject).map((r) => ({
    run: String(r.run),
    values: Array.isArray(r.values) ? r.values.map(queryValue) : [],
  }));
  return { columns, runs, total: typeof o.total === 'number' ? o.total : runs.length };
}

/**
 * The condition part of a query and its `sort by` / `limit` tail: the tail
 * starts at the first `sort` or `limit` keyword outside quotes and
 * parentheses, at the start or after whitespace.
 */
export function splitQuery(q: string): [string, string] {
  let depth = 0;
  for (let i = 0; i < q.length; i++) {
    const c = q[i];
    if (c === '"' || c === "'") {
      for (i++; i < q.length && q[i] !== c; i++) if (q[i] === '\\') i++;
      continue;
    }
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (depth === 0 && (i === 0 || /\s/.test(q[i - 1])) && /^(sort\s+by\b|limit\s+\d)/i.test(q.slice(i)))
      return [q.slice(0, i).trim(), q.slice(i).trim()];
  }
  return [q.trim(), ''];
}

/** A number as the query language reads it back exactly. */
function literal(v: number): string {
  return Number.isFinite(v) ? String(v) : '0';
}

/** A string as a query literal. */
export function queryString(v: string): string {
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A string or bool as a query literal. */
function catLiteral(v: string | boolean): string {
  return typeof v === 'boolean' ? String(v) : queryString(v);
}

/**
 * The user's query narrowed by the brushes: each `col >= lo and col <= hi`,
 * or `col in [...]` for a brush on categories.
 */
export function effectiveQuery(user: string, brushes: readonly Brush[]): string {
  if (brushes.length === 0) return user;
  const [cond, tail] = splitQuery(user);
  const parts = brushes.map((b) =>
    b.cats ? `${b.col} in [${b.cats.map(catLiteral).join(', ')}]` : `${b.col} >= ${literal(b.lo)} and ${b.col} <= ${literal(b.hi)}`,
  );
  if (cond) parts.unshift(`(${cond})`);
  return parts.join(' and ') + (tail ? ' ' + tail : '');
}

export interface QueryState {
  /** The query the state answers ('' = every run). */
  text: string;
  status: 'idle' | 'loading' | 'ready' | 'error';
  answer: QueryAnswer | null;
  /** The matching runs, in the query's order. */
  runs: string[] | null;
  error: QueryError | null;
}

/**
 * The answer to the current query, shared by every view: asked again when
 * the query or the server's data changes, the latest request winning.
 */
class QueryStore {
  private state: QueryState = { text: '', status: 'idle', answer: null, runs: null, error: null };
  private listeners = new Set<(s: QueryState) => void>();
  private key = '';
  private abort: AbortController | null = null;

  get(): QueryState {
    return this.state;
  }

  subscribe(fn: (s: QueryState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Asks for `text` at data generation `generation` unless already asked. */
  ask(text: string, generation: number): void {
    const key = `${generation}\u0000${text}`;
    if (key === this.key) return;
    this.key = key;
    this.abort?.abort();
    if (!text.trim()) {
      this.abort = null;
      this.set({ text, status: 'idle', answer: null, runs: null, error: null });
      return;
    }
    const ctl = new AbortController();
    this.abort = ctl;
    this.set({ ...this.state, text, status: 'loading' });
    fetchRunQuery(text, ctl.signal).then(
      (answer) => {
        if (ctl.signal.aborted) return;
        this.set({ text, status: 'ready', answer, runs: answer.runs.map((r) => r.run), error: null });
      },
      (err) => {
        if (ctl.signal.aborted) return;
        const error = err instanceof QueryError ? err : new QueryError(err instanceof Error ? err.message : String(err), 0);
        // A bad query selects nothing new: the last good answer stays.
        this.set({ ...this.state, text, status: 'error', error });
      },
    );
  }

  private set(s: QueryState): void {
    this.state = s;
    for (const fn of this.listeners) fn(s);
  }
}

export const runQuery = new QueryStore();

export function useRunQuery(): QueryState {
  const [s, set] = useState(runQuery.get());
  useEffect(() => runQuery.subscribe(set), []);
  return s;
}

/**
 * The runs of `runs` the query keeps: those it lists, and the runs under
 * them (an hparams child `<run>/<time>` goes with its run).
 */
export function queryKeeps(runs: readonly string[], matched: readonly string[]): Set<string> {
  const set = new Set(matched);
  const out = new Set<string>();
  for (const r of runs) {
    if (set.has(r)) {
      out.add(r);
      continue;
    }
    for (let i = r.lastIndexOf('/'); i > 0; i = r.lastIndexOf('/', i - 1)) {
      if (set.has(r.slice(0, i))) {
        out.add(r);
        break;
      }
    }
  }
  return out;
}

// --- groups

export interface RunGroup {
  name: string;
  key: number;
  members: string[];
  step: Float64Array;
  center: Float64Array;
  lo: Float64Array;
  hi: Float64Array;
  n: Float64Array;
}

export interface GroupsAnswer {
  tag: string;
  groups: RunGroup[];
  unmatched: string[];
}

export interface GroupsRequest {
  tag: string;
  by: string;
  q: string;
  agg: GroupAgg;
  band: GroupBand;
  points: number;
}

export async function fetchGroups(r: GroupsRequest, signal?: AbortSignal): Promise<GroupsAnswer> {
  const params: Record<string, string | number> = { tag: r.tag, by: r.by, agg: r.agg, band: r.band, points: r.points };
  if (r.q.trim()) params.q = r.q;
  const body = await postForm('data/tboard/groups', params, signal);
  const o = isObject(body) ? body : {};
  const groups = (Array.isArray(o.groups) ? o.groups : []).filter(isObject).map((g) => ({
    name: String(g.name),
    key: typeof g.key === 'number' ? g.key : 0,
    members: Array.isArray(g.members) ? g.members.map(String) : [],
    step: Float64Array.from(toNumbers(g.steps)),
    center: Float64Array.from(toNumbers(g.center)),
    lo: Float64Array.from(toNumbers(g.lo)),
    hi: Float64Array.from(toNumbers(g.hi)),
    n: Float64Array.from(toNumbers(g.n)),
  }));
  return { tag: String(o.tag ?? r.tag), groups, unmatched: Array.isArray(o.unmatched) ? o.unmatched.map(String) : [] };
}

/** The groups route's `by` for the Group by control: mode and its argument. */
export function groupSpec(by: string): { mode: '' | 'folder' | 'regex' | 'hp'; arg: string } {
  if (by === 'folder') return { mode: 'folder', arg: '' };
  if (by.startsWith('regex:')) return { mode: 'regex', arg: by.slice(6) };
  if (by.startsWith('hp:')) return { mode: 'hp', arg: by.slice(3) };
  return { mode: '', arg: '' };
}

// --- another scalar on the x axis

/**
 * The x of each of `steps` from the series (xStep, xValue) logged at the
 * same steps: its value at that step, else its latest before it (as the
 * groups route aligns steps); NaN before its first step or after its last.
 * Both step arrays ascend.
 */
export function alignByStep(steps: Float64Array, xStep: Float64Array, xValue: Float64Array): Float64Array {
  const out = new Float64Array(steps.length).fill(NaN);
  if (xStep.length === 0) return out;
  const last = xStep[xStep.length - 1];
  let j = 0;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i];
    if (s < xStep[0] || s > last) continue;
    while (j + 1 < xStep.length && xStep[j + 1] <= s) j++;
    out[i] = xValue[j];
  }
  return out;
}

/** Rows as CSV text (RFC 4180 quoting). */
export function toCsv(rows: Array<Array<string | number>>): string {
  const cell = (v: string | number) => {
    const t = String(v);
    return /[",\n\r]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
  };
  return rows.map((r) => r.map(cell).join(',')).join('\n') + '\n';
}
