// A page saved by `tboard snapshot` (or the Share button) carries the
// server's answers in a <script id="tb-snapshot"> element: a deflated JSON
// table, base64url-encoded, of requests and their answers. This module
// reads it once and answers the fetch wrapper's requests from it, so the
// page works opened from disk with no server. Requests are matched on
// method, path, query and body with parameter order and JSON key order
// ignored. /data/tboard/scalars is answered from per-tag columns (see
// src/dashboards/snapshot.c), narrowed to the runs and steps asked.

interface Entry {
  p: string;
  m?: string;
  q?: Array<[string, string]>;
  f?: Array<[string, string]>;
  j?: unknown;
  t: string;
  b?: string;
  x?: string;
  r?: number;
}

interface Column {
  e: 'd8' | 'f4' | 'f8';
  x: string;
}

type StoredRun = Record<string, unknown>;

interface StoredTag {
  generation: number;
  runs: Record<string, StoredRun>;
}

interface Answer {
  type: string;
  body: string | Uint8Array<ArrayBuffer>;
}

interface Table {
  answers: Map<string, Answer>;
  scalars: Record<string, StoredTag>;
  urls: Map<string, string>;
}

const element = typeof document !== 'undefined' ? document.getElementById('tb-snapshot') : null;

/** Whether this page is a snapshot (its data inlined, no server). */
export const isSnapshot = element !== null;

let table: Table | null = null;
const ready: Promise<Table> | null = element ? load(element.textContent ?? '') : null;

function fromBase64url(s: string): Uint8Array<ArrayBuffer> {
  const t = s.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(t + '='.repeat((4 - (t.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** JSON with object keys sorted at every level: equal values, equal text. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return '{' + Object.keys(o).sort().map((k) => JSON.stringify(k) + ':' + canonical(o[k])).join(',') + '}';
  }
  return JSON.stringify(v) ?? 'null';
}

function parsed(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

function pairsKey(pairs: Array<[string, string]>): string {
  const sorted = pairs.map(([n, v]) => [n, parsed(v)] as const).map(([n, v]) => [n, canonical(v)]);
  sorted.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return JSON.stringify(sorted);
}

function requestKey(method: string, path: string, query: Array<[string, string]>, form: Array<[string, string]>, body: unknown): string {
  return [method, path, pairsKey(query), pairsKey(form), canonical(body ?? null)].join('\n');
}

async function load(text: string): Promise<Table> {
  const deflated = fromBase64url(text.trim());
  const stream = new Blob([deflated]).stream().pipeThrough(new DecompressionStream('deflate'));
  const doc = JSON.parse(await new Response(stream).text()) as { entries?: Entry[]; scalars?: Record<string, StoredTag> };
  const entries = doc.entries ?? [];
  const answers = new Map<string, Answer>();
  const bytes = (e: Entry): Uint8Array<ArrayBuffer> => fromBase64url(e.x ?? (e.r !== undefined ? entries[e.r]?.x ?? '' : ''));
  for (const e of entries) {
    const body = e.b !== undefined ? e.b : bytes(e);
    answers.set(requestKey(e.m ?? 'GET', e.p, e.q ?? [], e.f ?? [], e.j), { type: e.t, body });
  }
  table = { answers, scalars: doc.scalars ?? {}, urls: new Map() };
  return table;
}

function splitPath(path: string): [string, Array<[string, string]>] {
  const clean = path.replace(/^(\.\/)+/, '');
  const i = clean.indexOf('?');
  if (i < 0) return [clean, []];
  return [clean.slice(0, i), [...new URLSearchParams(clean.slice(i + 1))]];
}

function formPairs(body: unknown): Array<[string, string]> {
  if (typeof FormData !== 'undefined' && body instanceof FormData) {
    const out: Array<[string, string]> = [];
    body.forEach((v, k) => out.push([k, typeof v === 'string' ? v : '']));
    return out;
  }
  if (body instanceof URLSearchParams) return [...body];
  return [];
}

// --- /data/tboard/scalars ------------------------------------------------------

const decoded = new Map<string, Float64Array>();

function decode(c: Column): Float64Array {
  const raw = fromBase64url(c.x);
  const buf = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
  if (c.e === 'f4') return Float64Array.from(new Float32Array(buf));
  const v = new Float64Array(buf);
  if (c.e === 'd8') for (let i = 1; i < v.length; i++) v[i] += v[i - 1];
  return v;
}

function column(tag: string, run: string, name: string, stored: StoredRun): Float64Array {
  const key = `${tag}\u0000${run}\u0000${name}`;
  let v = decoded.get(key);
  if (!v) {
    const c = stored[name] as Column | undefined;
    v = c && typeof c === 'object' && typeof c.x === 'string' ? decode(c) : new Float64Array(0);
    decoded.set(key, v);
  }
  return v;
}

const jsonNumber = (v: number): number | string => (Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity');

function answerScalars(t: Table, body: Record<string, unknown>): string {
  const tag = typeof body.tag === 'string' ? body.tag : '';
  const stored = t.scalars[tag];
  const out: Record<string, unknown> = {};
  const runs = Array.isArray(body.runs) ? (body.runs as string[]) : Object.keys(stored?.runs ?? {});
  const after = (body.after ?? {}) as Record<string, number>;
  const start = typeof body.start === 'number' ? body.start : -Infinity;
  const end = typeof body.end === 'number' ? body.end : Infinity;
  for (const run of runs) {
    const r = stored?.runs[run];
    if (!r) continue;
    const names = Object.keys(r).filter((k) => r[k] && typeof r[k] === 'object');
    const bucketed = !!r.bucketed;
    const lastStep = column(tag, run, bucketed ? 'step_last' : 'step', r);
    const firstStep = column(tag, run, 'step', r);
    const from = typeof after[run] === 'number' ? after[run] : -Infinity;
    const keep: number[] = [];
    for (let i = 0; i < lastStep.length; i++) {
      if (lastStep[i] > from && lastStep[i] >= start && firstStep[i] <= end) keep.push(i);
    }
    const o: Record<string, unknown> = { gen: r.gen, n: keep.length === lastStep.length ? r.n : keep.length };
    if (bucketed) o.bucketed = true;
    for (const name of names) {
      const v = column(tag, run, name, r);
      o[name] = keep.map((i) => jsonNumber(v[i]));
    }
    out[run] = o;
  }
  return JSON.stringify({ generation: stored?.generation ?? 0, runs: out });
}

// --- the wrapper's side ------------------------------------------------------

/**
 * The stored answer to a request, as fetch() would give it: 404 when the
 * snapshot does not hold it.
 */
export async function snapshotFetch(path: string, init?: RequestInit): Promise<Response> {
  const t = table ?? (await ready!);
  const method = (init?.method ?? 'GET').toUpperCase();
  const [p, query] = splitPath(path);
  if (p === 'data/tboard/scalars' && method === 'POST') {
    const body = typeof init?.body === 'string' ? (parsed(init.body) as Record<string, unknown>) : {};
    return new Response(answerScalars(t, body ?? {}), { headers: { 'Content-Type': 'application/json' } });
  }
  const raw = init?.body;
  const body = typeof raw === 'string' ? parsed(raw) : undefined;
  const a = t.answers.get(requestKey(method, p, query, formPairs(raw), body));
  if (!a) return new Response('Not in this snapshot', { status: 404, headers: { 'Content-Type': 'text/plain' } });
  return new Response(a.body, { headers: { 'Content-Type': a.type } });
}

/**
 * A URL the page can put in <img src> for a stored GET answer: a blob: URL
 * of its bytes, or null when the snapshot does not hold it or is still
 * being read.
 */
export function snapshotUrl(path: string): string | null {
  if (!table) return null;
  const [p, query] = splitPath(path);
  const key = requestKey('GET', p, query, [], undefined);
  let url = table.urls.get(key);
  if (!url) {
    const a = table.answers.get(key);
    if (!a) return null;
    url = URL.createObjectURL(new Blob([a.body], { type: a.type }));
    table.urls.set(key, url);
  }
  return url;
}
