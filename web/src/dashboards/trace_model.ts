// The Trace view's data: a Chrome-trace file (a Kineto object with
// `traceEvents`, or the bare event array of legacy PyTorch traces) read
// from a byte stream into typed arrays, one lane per process/thread (GPU
// streams are threads of their device's process), each lane split into
// rows by nesting depth so that a row's events never overlap and can be
// found by binary search on time.
//
// The file can be hundreds of MB: it is never held whole. Each piece of the
// stream is cut at the boundaries of the event array's elements and its
// complete elements go to the native JSON.parse, then are folded into
// columns and dropped; only an unfinished element is carried over.

/** Columns of the complete ("X") events, indexed by event id. */
export interface TraceModel {
  count: number;
  /** start and end in microseconds from the first event's start */
  start: Float64Array;
  end: Float64Array;
  name: Uint32Array; // index into names
  cat: Uint32Array; // index into names
  lane: Uint32Array;
  depth: Uint16Array;
  /** args.correlation (CPU launch <-> GPU kernel), 0 when absent */
  corr: Float64Array;
  /** args as parsed (kept by reference: no copy), undefined when none */
  args: Array<Record<string, unknown> | undefined>;
  names: string[];
  lanes: Lane[];
  /** ProfilerStep#N ranges, in time order */
  steps: Array<{ start: number; end: number; label: string }>;
  /** microseconds the times were moved by (the first event's ts) */
  origin: number;
  duration: number;
}

export interface Lane {
  label: string;
  /** event ids per depth, in time order; a row's events never overlap */
  rows: Uint32Array[];
}

/** Grows a typed array by doubling. */
function grow<T extends Float64Array | Uint32Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  let cap = a.length * 2;
  while (cap < need) cap *= 2;
  const b = new (a.constructor as { new (n: number): T })(cap);
  b.set(a);
  return b;
}

interface RawEvent {
  ph?: string;
  name?: unknown;
  cat?: unknown;
  pid?: unknown;
  tid?: unknown;
  ts?: unknown;
  dur?: unknown;
  args?: Record<string, unknown>;
}

interface LaneInfo {
  pid: string;
  tid: string;
}

/** Folds events into columns; finish() sorts them into lanes and rows. */
export class TraceBuilder {
  private n = 0;
  private ts = new Float64Array(1024);
  private dur = new Float64Array(1024);
  private nm = new Uint32Array(1024);
  private ct = new Uint32Array(1024);
  private ln = new Uint32Array(1024);
  private co = new Float64Array(1024);
  private args: Array<Record<string, unknown> | undefined> = [];
  private names: string[] = [];
  private nameIds = new Map<string, number>();
  private laneIds = new Map<string, number>();
  private laneInfo: LaneInfo[] = [];
  private processNames = new Map<string, string>();
  private processLabels = new Map<string, string>();
  private processOrder = new Map<string, number>();
  private threadNames = new Map<string, string>();
  private threadOrder = new Map<string, number>();

  private intern(s: string): number {
    let id = this.nameIds.get(s);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(s);
      this.nameIds.set(s, id);
    }
    return id;
  }

  add(e: RawEvent): void {
    if (!e || typeof e !== 'object') return;
    const pid = String(e.pid ?? '');
    const tid = String(e.tid ?? '');
    if (e.ph === 'M') {
      const v = e.args?.name ?? e.args?.labels ?? e.args?.sort_index;
      if (e.name === 'process_name') this.processNames.set(pid, String(v));
      else if (e.name === 'process_labels') this.processLabels.set(pid, String(v));
      else if (e.name === 'process_sort_index') this.processOrder.set(pid, Number(v));
      else if (e.name === 'thread_name') this.threadNames.set(pid + '\u0000' + tid, String(v));
      else if (e.name === 'thread_sort_index') this.threadOrder.set(pid + '\u0000' + tid, Number(v));
      return;
    }
    if (e.ph !== 'X') return;
    const ts = Number(e.ts);
    if (!Number.isFinite(ts)) return;
    const dur = Math.max(0, Number(e.dur) || 0);
    const key = pid + '\u0000' + tid;
    let lane = this.laneIds.get(key);
    if (lane === undefined) {
      lane = this.laneInfo.length;
      this.laneInfo.push({ pid, tid });
      this.laneIds.set(key, lane);
    }
    const i = this.n++;
    if (i === this.ts.length) {
      this.ts = grow(this.ts, i + 1);
      this.dur = grow(this.dur, i + 1);
      this.nm = grow(this.nm, i + 1);
      this.ct = grow(this.ct, i + 1);
      this.ln = grow(this.ln, i + 1);
      this.co = grow(this.co, i + 1);
    }
    this.ts[i] = ts;
    this.dur[i] = dur;
    this.nm[i] = this.intern(String(e.name ?? ''));
    this.ct[i] = this.intern(String(e.cat ?? ''));
    this.ln[i] = lane;
    const a = e.args && typeof e.args === 'object' ? e.args : undefined;
    const corr = a ? Number(a.correlation) : NaN;
    this.co[i] = Number.isFinite(corr) ? corr : 0;
    this.args[i] = a;
  }

  private laneLabel(l: LaneInfo): string {
    const proc =
      this.processLabels.get(l.pid) ?? this.processNames.get(l.pid) ?? (/^\d+$/.test(l.pid) ? `Process ${l.pid}` : l.pid);
    const thread = this.threadNames.get(l.pid + '\u0000' + l.tid) ?? (/^\d+$/.test(l.tid) ? `thread ${l.tid}` : l.tid);
    return `${proc} · ${thread}`;
  }

  finish(): TraceModel {
    const n = this.n;
    let origin = Infinity;
    for (let i = 0; i < n; i++) if (this.ts[i] < origin) origin = this.ts[i];
    if (!Number.isFinite(origin)) origin = 0;
    const start = new Float64Array(n);
    const end = new Float64Array(n);
    let duration = 0;
    for (let i = 0; i < n; i++) {
      start[i] = this.ts[i] - origin;
      end[i] = start[i] + this.dur[i];
      if (end[i] > duration) duration = end[i];
    }
    // lanes in process order (sort index, else numeric pid), then thread
    const numeric = (s: string) => (/^-?\d+(\.\d+)?$/.test(s) ? Number(s) : NaN);
    const order = this.laneInfo.map((l, i) => i);
    const cmp = (a: string, b: string, sa?: number, sb?: number) => {
      if (sa !== undefined || sb !== undefined) return (sa ?? Infinity) - (sb ?? Infinity) || 0;
      const na = numeric(a);
      const nb = numeric(b);
      if (!Number.isNaN(na) && !Number.isNaN(nb)) return nb - na === 0 ? 0 : na - nb;
      if (!Number.isNaN(na)) return -1;
      if (!Number.isNaN(nb)) return 1;
      return a.localeCompare(b, undefined, { numeric: true });
    };
    // CPU processes (large pids) before GPU devices (small ids), as the
    // reference's trace viewer shows them: sort by whether a lane is a GPU stream
    const gpu = this.laneInfo.map((l) => /^stream /.test(l.tid) || /GPU/.test(this.processLabels.get(l.pid) ?? ''));
    order.sort((x, y) => {
      const a = this.laneInfo[x];
      const b = this.laneInfo[y];
      return (
        Number(gpu[x]) - Number(gpu[y]) ||
        cmp(a.pid, b.pid, this.processOrder.get(a.pid), this.processOrder.get(b.pid)) ||
        cmp(
          a.tid,
          b.tid,
          this.threadOrder.get(a.pid + '\u0000' + a.tid),
          this.threadOrder.get(b.pid + '\u0000' + b.tid),
        )
      );
    });
    const laneOf = new Uint32Array(order.length);
    order.forEach((old, k) => (laneOf[old] = k));
    const lane = new Uint32Array(n);
    const perLane: number[] = new Array(order.length).fill(0);
    for (let i = 0; i < n; i++) {
      lane[i] = laneOf[this.ln[i]];
      perLane[lane[i]]++;
    }
    // event ids grouped by lane, each group by start, longer first
    const offset = new Uint32Array(order.length + 1);
    for (let l = 0; l < order.length; l++) offset[l + 1] = offset[l] + perLane[l];
    const fill = offset.slice(0, order.length);
    const ids = new Uint32Array(n);
    for (let i = 0; i < n; i++) ids[fill[lane[i]]++] = i;
    const depth = new Uint16Array(n);
    const lanes: Lane[] = [];
    for (let l = 0; l < order.length; l++) {
      const group = Array.from(ids.subarray(offset[l], offset[l + 1]));
      group.sort((a, b) => start[a] - start[b] || end[b] - end[a] || a - b);
      // nesting: the open ancestors' ends; an event that overlaps its
      // row's last event without nesting goes one row further down
      const open: number[] = [];
      const rowEnd: number[] = [];
      const rows: number[][] = [];
      for (const i of group) {
        while (open.length && end[open[open.length - 1]] <= start[i]) open.pop();
        let d = open.length;
        while (d < rowEnd.length && rowEnd[d] > start[i]) d++;
        if (d >= rows.length) {
          rows.push([]);
          rowEnd.push(0);
        }
        rows[d].push(i);
        rowEnd[d] = end[i];
        depth[i] = Math.min(d, 65535);
        open.push(i);
      }
      lanes.push({ label: this.laneLabel(this.laneInfo[order[l]]), rows: rows.map((r) => Uint32Array.from(r)) });
    }
    const steps: TraceModel['steps'] = [];
    for (let i = 0; i < n; i++) {
      const m = /^ProfilerStep#(\d+)$/.exec(this.names[this.nm[i]]);
      if (m) steps.push({ start: start[i], end: end[i], label: `Step ${m[1]}` });
    }
    steps.sort((a, b) => a.start - b.start);
    return {
      count: n,
      start,
      end,
      name: this.nm.slice(0, n),
      cat: this.ct.slice(0, n),
      lane,
      depth,
      corr: this.co.slice(0, n),
      args: this.args,
      names: this.names,
      lanes,
      steps,
      origin,
      duration,
    };
  }
}

/**
 * Cuts a JSON text arriving in pieces at the elements of its event array
 * (the top-level array, or the array under the top-level key
 * "traceEvents") and hands each batch of elements, parsed, to `onEvents`.
 * Only quotes, escapes and brackets are looked at; JSON.parse does the rest.
 */
export class EventArraySplitter {
  private text = '';
  private pos = 0; // next character to scan
  private depth = 0;
  private inString = false;
  private escape = false;
  private eventsDepth = -1; // depth of the event array's contents, -1: outside
  private keyStart = -1;
  private lastKey = '';
  private batchStart = -1; // first element of the pending batch
  private batchEnd = -1; // just past its last complete element
  private elementStart = -1;
  private sawTop = false;

  constructor(private onEvents: (events: RawEvent[]) => void) {}

  push(chunk: string): void {
    this.text += chunk;
    const s = this.text;
    const n = s.length;
    const structural = /["{}[\]]/g;
    let i = this.pos;
    while (i < n) {
      if (this.inString) {
        i = this.skipString(s, i);
        continue;
      }
      structural.lastIndex = i;
      const hit = structural.exec(s);
      if (!hit) {
        i = n;
        break;
      }
      i = hit.index;
      const c = s.charCodeAt(i);
      if (c === 34) {
        this.inString = true;
        this.escape = false;
        if (this.depth === 1 && this.eventsDepth < 0) this.keyStart = i + 1;
      } else if (c === 123 || c === 91) {
        if (!this.sawTop) {
          this.sawTop = true;
          if (c === 91) this.eventsDepth = 1;
        } else if (this.depth === 1 && c === 91 && this.eventsDepth < 0 && this.lastKey === 'traceEvents') {
          this.eventsDepth = 2;
        }
        if (this.depth === this.eventsDepth) {
          this.elementStart = i;
          if (this.batchStart < 0) this.batchStart = i;
        }
        this.depth++;
      } else {
        this.depth--;
        if (this.depth === this.eventsDepth && this.elementStart >= 0) {
          this.batchEnd = i + 1;
          this.elementStart = -1;
        } else if (this.depth === this.eventsDepth - 1) {
          this.flush();
          this.eventsDepth = -1;
        }
      }
      i++;
    }
    this.pos = i;
    this.flush();
    this.compact();
  }

  /** Scans a string's text from i: past its closing quote, or to the end
   * of s with the parity of trailing backslashes kept in `escape`. */
  private skipString(s: string, i: number): number {
    const from = i;
    for (;;) {
      const q = s.indexOf('"', i);
      const stop = q < 0 ? s.length : q;
      let k = stop;
      while (k > i && s.charCodeAt(k - 1) === 92) k--;
      const odd = (stop - k) % 2 === 1;
      // a run of backslashes reaching back to where the last piece ended
      // continues that piece's run
      const escaped = k === from && i === from ? this.escape !== odd : odd;
      if (q < 0) {
        this.escape = escaped;
        return s.length;
      }
      this.escape = false;
      if (!escaped) {
        this.inString = false;
        if (this.keyStart >= 0) {
          this.lastKey = s.slice(this.keyStart, q);
          this.keyStart = -1;
        }
        return q + 1;
      }
      i = q + 1;
    }
  }

  /** Parses the pending complete elements. */
  private flush(): void {
    if (this.batchStart >= 0 && this.batchEnd > this.batchStart) {
      const events = JSON.parse('[' + this.text.slice(this.batchStart, this.batchEnd) + ']') as RawEvent[];
      this.onEvents(events);
    }
    this.batchStart = this.elementStart;
    this.batchEnd = -1;
  }

  /** Drops the text no longer needed: all but the unfinished batch. */
  private compact(): void {
    const keep = this.batchStart >= 0 ? this.batchStart : this.keyStart >= 0 ? this.keyStart : this.pos;
    if (keep <= 0) return;
    this.text = this.text.slice(keep);
    this.pos -= keep;
    if (this.batchStart >= 0) this.batchStart -= keep;
    if (this.batchEnd >= 0) this.batchEnd -= keep;
    if (this.elementStart >= 0) this.elementStart -= keep;
    if (this.keyStart >= 0) this.keyStart -= keep;
  }

  /** The stream ended: parse what is complete; an unfinished text is an error. */
  end(): void {
    this.flush();
    if (!this.sawTop || this.depth !== 0 || this.inString)
      throw new Error('the trace ends before its JSON text does (truncated?)');
  }
}

/** Reads a trace from a fetch response, reporting progress in bytes. */
export async function readTrace(resp: Response, onProgress?: (bytes: number) => void): Promise<TraceModel> {
  const builder = new TraceBuilder();
  const split = new EventArraySplitter((events) => {
    for (const e of events) builder.add(e);
  });
  if (!resp.body) {
    split.push(await resp.text());
  } else {
    const reader = resp.body.getReader();
    const decoder = new TextDecoder();
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.length;
      split.push(decoder.decode(value, { stream: true }));
      onProgress?.(bytes);
    }
    split.push(decoder.decode());
  }
  split.end();
  return builder.finish();
}

/** First index k >= lo of a row whose event ends at or after t. */
export function firstEndingAfter(m: TraceModel, row: Uint32Array, t: number, lo = 0): number {
  let hi = row.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (m.end[row[mid]] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
