// The Trace view's reader, off the page's thread: fetches a trace route,
// cuts and parses the stream (trace_model.ts), builds the typed arrays and
// posts them to the page, transferred, not copied: now and then while
// reading (so the page draws what has arrived) and once at the end. The
// events' args stay here; the page asks for those of the event it shows.
import {TraceBuilder, readTrace, type TraceModel} from './trace_model';
import type {FromTraceWorker, ToTraceWorker} from './trace_jobs';

let builder: TraceBuilder|null = null;
let ctl: AbortController|null = null;

function post(m: FromTraceWorker, transfer: Transferable[] = [])
{
	(self as unknown as Worker).postMessage(m, transfer);
}

/** The model without its args, and the buffers to transfer. */
function detach(model: TraceModel): [ TraceModel, Transferable[] ]
{
	const m = {...model, args : undefined};
	const out: Transferable[] =
	    [ m.start, m.end, m.name, m.cat, m.kind, m.lane, m.depth, m.corr ].map((a) => a.buffer);
	for (const l of m.lanes) {
		for (const r of l.rows)
			out.push(r.buffer);
		for (const s of l.counter?.series ?? [])
			out.push(s.ts.buffer, s.v.buffer);
	}
	return [ m, out ];
}

async function load(url: string)
{
	ctl?.abort();
	const mine = new AbortController();
	ctl = mine;
	const b = new TraceBuilder();
	builder = b;
	try {
		const resp = await fetch(url, {cache : 'no-store', signal : mine.signal});
		if (!resp.ok)
			throw new Error(
			    `trace: HTTP ${resp.status} ${(await resp.text()).slice(0, 200)}`);
		let shown = 0;
		await readTrace(
		    resp,
		    b,
		    (bytes) => {
			    if (bytes - shown > 4 << 20) {
				    shown = bytes;
				    post({type : 'progress', bytes});
			    }
		    },
		    () => {
			    const [m, transfer] = detach(b.finish());
			    post({type : 'model', model : m, final : false}, transfer);
		    },
		);
		if (mine.signal.aborted)
			return;
		const [m, transfer] = detach(b.finish());
		post({type : 'model', model : m, final : true}, transfer);
	} catch (e) {
		if (!mine.signal.aborted)
			post(
			    {type : 'error', message : e instanceof Error ? e.message : String(e)});
	}
}

self.onmessage = (e: MessageEvent<ToTraceWorker>) => {
	const m = e.data;
	if (m.type === 'load')
		void load(m.url);
	else if (m.type === 'args')
		post({type : 'args', id : m.id, args : builder?.args[m.id]});
	else {
		ctl?.abort();
		builder = null;
	}
};
