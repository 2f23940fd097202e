// The Trace view's data: a Chrome-trace file (a Kineto object with
// `traceEvents`, TensorFlow's and JAX's traces, or the bare event array of
// legacy PyTorch traces) read from a byte stream into typed arrays, one
// lane per process/thread (GPU streams are threads of their device's
// process), each lane split into rows by nesting depth so that a row's
// events never overlap and can be found by binary search on time.
//
// Drawn: complete events ("X"), instants ("i"/"I", as markers in a row of
// their own under their thread's events), async spans ("b"/"e" paired by
// category, id and name, as boxes in one lane per process) and counters
// ("C", one area track per process and counter name, a series per
// argument). Metadata ("M") names and orders processes and threads; pids
// and tids may be numbers or strings. A top-level `displayTimeUnit` of
// "ns" shows short times in nanoseconds.
//
// The file can be hundreds of MB: it is never held whole. Each piece of the
// stream is cut at the boundaries of the event array's elements and its
// complete elements go to the native JSON.parse, then are folded into
// columns and dropped; only an unfinished element is carried over. This
// runs in a Web Worker (trace_worker.ts), so the page stays responsive.

/** Event kinds (TraceModel.kind). */
export const COMPLETE = 0;
export const INSTANT = 1;
export const ASYNC = 2;

/** Columns of the drawn events, indexed by event id. */
export interface TraceModel {
  count: number;
  /** start and end in microseconds from the first event's start */
  start: Float64Array;
  end: Float64Array;
  name: Uint32Array; // index into names
  cat: Uint32Array; // index into names
  kind: Uint8Array; // COMPLETE, INSTANT or ASYNC
  lane: Uint32Array;
  depth: Uint16Array;
  /** args.correlation (CPU launch <-> GPU kernel), 0 when absent */
  corr: Float64Array;
  /**
   * args as parsed (kept by reference: no copy), undefined when none;
   * absent from a model built in the worker, which answers for them
   */
  args?: Array<Record<string, unknown>|undefined>;
  names: string[];
  lanes: Lane[];
  /** ProfilerStep#N ranges, in time order */
  steps: Array<{ start: number; end: number; label: string }>;
  /** microseconds the times were moved by (the first event's ts) */
  origin: number;
  duration: number;
  /** the trace's displayTimeUnit ("ns", "ms"), '' when not given */
  timeUnit: string;
}

/** One counter of a process: a series per argument, samples in time order. */
export interface CounterTrack {
	series: Array<{name : string; ts : Float64Array; v : Float64Array}>;
	min: number;
	max: number;
}

export interface Lane {
  label: string;
  /** event ids per depth, in time order; a row's events never overlap */
  rows: Uint32Array[];
  /** a counter lane: no rows, one area track */
  counter?: CounterTrack;
}

/** Grows a typed array by doubling. */
function grow<T extends Float64Array|Uint32Array|Uint8Array>(a: T, need: number): T
{
	if (need <= a.length)
		return a;
	let cap = a.length * 2;
	while (cap < need)
		cap *= 2;
	const b = new (a.constructor as {new (n: number) : T})(cap);
	b.set(a);
	return b;
}

export interface RawEvent {
	ph?: string;
	name?: unknown;
	cat?: unknown;
	pid?: unknown;
	tid?: unknown;
	id?: unknown;
	ts?: unknown;
	dur?: unknown;
	args?: Record<string, unknown>;
}

/** A lane's key: a thread, a process's async spans or one of its counters. */
interface LaneInfo {
  pid: string;
  tid: string;
  type: number; // 0 counter, 1 async, 2 thread: the order within a process
  counter?: string;
}

interface CounterSamples
{
	series: Map < string,
	{
		ts: number[];
		v: number[]
	}
	> ;
}

const SEP = '\u0000';

/**
 * Folds events into columns; finish() sorts them into lanes and rows and
 * may be called again as more events arrive.
 */
export class TraceBuilder {
  private n = 0;
  private ts = new Float64Array(1024);
  private dur = new Float64Array(1024);
  private nm = new Uint32Array(1024);
  private ct = new Uint32Array(1024);
  private kd = new Uint8Array(1024);
  private ln = new Uint32Array(1024);
  private co = new Float64Array(1024);
  readonly args: Array<Record<string, unknown>|undefined> = [];
  private names: string[] = [];
  private nameIds = new Map<string, number>();
  private laneIds = new Map<string, number>();
  private laneInfo: LaneInfo[] = [];
  private counters = new Map<number, CounterSamples>(); // by lane
  private open = new Map < string,
  {
	  ts: number;
	  e: RawEvent
  }
  > (); // async "b" by key
  private minTs = Infinity;
  private processNames = new Map<string, string>();
  private processLabels = new Map<string, string>();
  private processOrder = new Map<string, number>();
  private threadNames = new Map<string, string>();
  private threadOrder = new Map<string, number>();
  timeUnit = '';

  private intern(s: string): number {
    let id = this.nameIds.get(s);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(s);
      this.nameIds.set(s, id);
    }
    return id;
  }

  private laneOf(pid: string, tid: string, type: number, counter?: string): number
  {
	  const key = pid + SEP + tid + SEP + type + SEP + (counter ?? '');
	  let lane = this.laneIds.get(key);
	  if (lane === undefined) {
		  lane = this.laneInfo.length;
		  this.laneInfo.push({pid, tid, type, counter});
		  this.laneIds.set(key, lane);
	  }
	  return lane;
  }

  add(e: RawEvent): void {
    if (!e || typeof e !== 'object') return;
    const ph = e.ph;
    const pid = String(e.pid ?? '');
    const tid = String(e.tid ?? '');
    if (ph === 'M') {
	    const v = e.args?.name ?? e.args?.labels ?? e.args?.sort_index;
	    if (e.name === 'process_name')
		    this.processNames.set(pid, String(v));
	    else if (e.name === 'process_labels')
		    this.processLabels.set(pid, String(v));
	    else if (e.name === 'process_sort_index')
		    this.processOrder.set(pid, Number(v));
	    else if (e.name === 'thread_name')
		    this.threadNames.set(pid + SEP + tid, String(v));
	    else if (e.name === 'thread_sort_index')
		    this.threadOrder.set(pid + SEP + tid, Number(v));
	    return;
    }
    const ts = Number(e.ts);
    if (!Number.isFinite(ts)) return;
    if (ph === 'X') {
	    this.push(e, ts, Math.max(0, Number(e.dur) || 0), COMPLETE, this.laneOf(pid, tid, 2));
    } else if (ph === 'i' || ph === 'I') {
	    this.push(e, ts, 0, INSTANT, this.laneOf(pid, tid, 2));
    } else if (ph === 'b' || ph === 'e') {
	    const key = pid + SEP + String(e.cat ?? '') + SEP + String(e.id ?? '') + SEP +
			String(e.name ?? '');
	    if (ph === 'b') {
		    this.open.set(key, {ts, e});
	    } else {
		    const b = this.open.get(key);
		    if (!b)
			    return;
		    this.open.delete(key);
		    const args = b.e.args || e.args ? {...b.e.args, ...e.args} : undefined;
		    this.push({...b.e, args}, b.ts, Math.max(0, ts - b.ts), ASYNC,
			      this.laneOf(pid, '', 1));
	    }
    } else if (ph === 'C') {
	    const name = String(e.name ?? '');
	    const lane = this.laneOf(pid, '', 0, name);
	    let c = this.counters.get(lane);
	    if (!c)
		    this.counters.set(lane, (c = {series : new Map()}));
	    for (const [k, raw] of Object.entries(e.args ?? {})) {
		    const v = Number(raw);
		    if (!Number.isFinite(v))
			    continue;
		    let s = c.series.get(k);
		    if (!s)
			    c.series.set(k, (s = {ts : [], v : []}));
		    s.ts.push(ts);
		    s.v.push(v);
	    }
	    if (ts < this.minTs)
		    this.minTs = ts;
    }
  }

  private push(e: RawEvent, ts: number, dur: number, kind: number, lane: number): void
  {
	  const i = this.n++;
	  if (i === this.ts.length) {
		  this.ts = grow(this.ts, i + 1);
		  this.dur = grow(this.dur, i + 1);
		  this.nm = grow(this.nm, i + 1);
		  this.ct = grow(this.ct, i + 1);
		  this.kd = grow(this.kd, i + 1);
		  this.ln = grow(this.ln, i + 1);
		  this.co = grow(this.co, i + 1);
	  }
	  this.ts[i] = ts;
	  this.dur[i] = dur;
	  this.nm[i] = this.intern(String(e.name ?? ''));
	  this.ct[i] = this.intern(String(e.cat ?? ''));
	  this.kd[i] = kind;
	  this.ln[i] = lane;
	  const a = e.args && typeof e.args === 'object' ? e.args : undefined;
	  const corr = a ? Number(a.correlation) : NaN;
	  this.co[i] = Number.isFinite(corr) ? corr : 0;
	  this.args[i] = a;
	  if (ts < this.minTs)
		  this.minTs = ts;
  }

  private laneLabel(l: LaneInfo): string {
    const proc =
      this.processLabels.get(l.pid) ?? this.processNames.get(l.pid) ?? (/^\d+$/.test(l.pid) ? `Process ${l.pid}` : l.pid);
    if (l.type === 0)
	    return `${proc} · ${l.counter}`;
    if (l.type === 1)
	    return `${proc} · async`;
    const thread = this.threadNames.get(l.pid + SEP + l.tid) ??
		   (/^\d+$/.test(l.tid) ? `thread ${l.tid}` : l.tid);
    return `${proc} · ${thread}`;
  }

  private counterTrack(c: CounterSamples, origin: number): CounterTrack
  {
	  let min = 0;
	  let max = 0;
	  const series: CounterTrack['series'] = [];
	  for (const [name, s] of c.series) {
		  const order = s.ts.map((_, i) => i).sort((a, b) => s.ts[a] - s.ts[b] || a - b);
		  const ts = new Float64Array(order.length);
		  const v = new Float64Array(order.length);
		  order.forEach((k, i) => {
			  ts[i] = s.ts[k] - origin;
			  v[i] = s.v[k];
			  if (v[i] < min)
				  min = v[i];
			  if (v[i] > max)
				  max = v[i];
		  });
		  series.push({name, ts, v});
	  }
	  return {series, min, max};
  }

  finish(): TraceModel {
    const n = this.n;
    const origin = Number.isFinite(this.minTs) ? this.minTs : 0;
    const start = new Float64Array(n);
    const end = new Float64Array(n);
    let duration = 0;
    for (let i = 0; i < n; i++) {
      start[i] = this.ts[i] - origin;
      end[i] = start[i] + this.dur[i];
      if (end[i] > duration) duration = end[i];
    }
    const tracks = new Map<number, CounterTrack>();
    for (const [lane, c] of this.counters) {
	    const t = this.counterTrack(c, origin);
	    tracks.set(lane, t);
	    for (const s of t.series)
		    if (s.ts.length && s.ts[s.ts.length - 1] > duration)
			    duration = s.ts[s.ts.length - 1];
    }
    // lanes in process order (sort index, else numeric pid), then counters,
    // async spans and threads (sort index, else numeric tid)
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
    // reference's trace viewer shows them: sort by whether a lane is a GPU
    // stream, unless the trace orders its processes itself
    const sorted = this.processOrder.size > 0;
    const gpu = this.laneInfo.map(
	(l) =>
	    !sorted && (/^stream /.test(l.tid) || /GPU/.test(this.processLabels.get(l.pid) ?? '')),
    );
    order.sort((x, y) => {
      const a = this.laneInfo[x];
      const b = this.laneInfo[y];
      return (Number(gpu[x]) - Number(gpu[y]) ||
	      cmp(a.pid, b.pid, this.processOrder.get(a.pid), this.processOrder.get(b.pid)) ||
	      a.type - b.type || (a.counter ?? '').localeCompare(b.counter ?? '') ||
	      cmp(a.tid, b.tid, this.threadOrder.get(a.pid + SEP + a.tid),
		  this.threadOrder.get(b.pid + SEP + b.tid)));
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
      // row's last event without nesting goes one row further down;
      // instants go to one row of their own, the lane's last
      const open: number[] = [];
      const rowEnd: number[] = [];
      const rows: number[][] = [];
      const instants: number[] = [];
      for (const i of group) {
	      if (this.kd[i] === INSTANT) {
		      instants.push(i);
		      continue;
	      }
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
      if (instants.length) {
	      for (const i of instants)
		      depth[i] = Math.min(rows.length, 65535);
	      rows.push(instants);
      }
      const info = this.laneInfo[order[l]];
      lanes.push({
	      label : this.laneLabel(info),
	      rows : rows.map((r) => Uint32Array.from(r)),
	      counter : tracks.get(order[l]),
      });
    }
    const steps: TraceModel['steps'] = [];
    for (let i = 0; i < n; i++) {
      const m = /^ProfilerStep#(\d+)$/.exec(this.names[this.nm[i]]);
      if (m) steps.push({ start: start[i], end: end[i], label: `Step ${m[1]}` });
    }
    steps.sort((a, b) => a.start - b.start);
    return {
	    count : n,
	    start,
	    end,
	    name : this.nm.slice(0, n),
	    cat : this.ct.slice(0, n),
	    kind : this.kd.slice(0, n),
	    lane,
	    depth,
	    corr : this.co.slice(0, n),
	    args : this.args,
	    names : this.names.slice(),
	    lanes,
	    steps,
	    origin,
	    duration,
	    timeUnit : this.timeUnit,
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
  /** the top-level displayTimeUnit, '' until seen */
  timeUnit = '';

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
		// a top-level string: a key, or the value of the key before it
		const text = s.slice(this.keyStart, q);
		if (this.lastKey === 'displayTimeUnit' && (text === 'ns' || text === 'ms'))
			this.timeUnit = text;
		this.lastKey = text;
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

/**
 * Reads a trace from a fetch response into `builder`, reporting progress
 * in bytes; `onSnapshot`, when given, is called now and then while reading
 * (with growing pauses, so that its finish() costs stay a fraction of the
 * whole) to draw what has arrived so far.
 */
export async function readTrace(
    resp: Response,
    builder: TraceBuilder,
    onProgress?: (bytes: number) => void,
    onSnapshot?: () => void,
    ): Promise<void>
{
	const split = new EventArraySplitter((events) => {
		for (const e of events)
			builder.add(e);
	});
	let wait = 1000;
	let last = performance.now();
	if (!resp.body) {
		split.push(await resp.text());
	} else {
		const reader = resp.body.getReader();
		const decoder = new TextDecoder();
		let bytes = 0;
		for (;;) {
			const {done, value} = await reader.read();
			if (done)
				break;
			bytes += value.length;
			split.push(decoder.decode(value, {stream : true}));
			builder.timeUnit = split.timeUnit;
			onProgress?.(bytes);
			const now = performance.now();
			if (onSnapshot && now - last > wait) {
				onSnapshot();
				wait *= 2;
				last = performance.now();
			}
		}
		split.push(decoder.decode());
	}
	split.end();
	builder.timeUnit = split.timeUnit;
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
