// The page's side of the Trace view's reader (trace_worker.ts): one worker
// per open trace, which fetches and parses it and posts the model; the
// events' args are asked for one event at a time. Without Web Workers, or
// with `?trace_reader=page` in the page's address (the baseline the bench
// compares with), the page reads the trace itself, in one piece.
import {TraceBuilder, readTrace, type TraceModel} from './trace_model';

export type ToTraceWorker = {
	type: 'load'; url : string
}|
{
	type: 'args';
	id: number
}
|{type : 'stop'};

export type FromTraceWorker =|
{
	type: 'progress';
	bytes: number
}
|
{
	type: 'model';
	model: TraceModel;
	final: boolean
}
|
{
	type: 'args';
	id: number;
	args: Record<string, unknown>|undefined
}
|
{
	type: 'error';
	message: string
};

export interface TraceHandlers {
	progress(bytes: number): void;
	model(m: TraceModel, final: boolean): void;
	error(message: string): void;
}

/** A trace being read, whichever thread reads it. */
export interface TraceSource {
	args(id: number): Promise<Record<string, unknown>|undefined>;
	stop(): void;
}

/** Starts reading the trace at url. */
export function readTraceFile(url: string, handlers: TraceHandlers): TraceSource
{
	const onPage = typeof Worker === 'undefined' ||
		       new URLSearchParams(location.search).get('trace_reader') === 'page';
	return onPage ? new PageTraceReader(url, handlers) : new TraceReader(url, handlers);
}

/** The page reads the trace on its own thread, and draws it once read. */
class PageTraceReader implements TraceSource
{
	private builder = new TraceBuilder();
	private ctl = new AbortController();

	constructor(url: string, handlers: TraceHandlers)
	{
		const {signal} = this.ctl;
		(async () => {
			const resp = await fetch(url, {cache : 'no-store', signal});
			if (!resp.ok)
				throw new Error(`trace: HTTP ${resp.status} ${
				    (await resp.text()).slice(0, 200)}`);
			let shown = 0;
			await readTrace(resp, this.builder, (bytes) => {
				if (bytes - shown > 8 << 20) {
					shown = bytes;
					handlers.progress(bytes);
				}
			});
			if (!signal.aborted)
				handlers.model(this.builder.finish(), true);
		})().catch((e: unknown) => {
			if (!signal.aborted)
				handlers.error(e instanceof Error ? e.message : String(e));
		});
	}

	args(id: number)
	{
		return Promise.resolve(this.builder.args[id]);
	}

	stop()
	{
		this.ctl.abort();
	}
}

export class TraceReader implements TraceSource
{
	private worker: Worker;
	private pending = new Map<number, Array<(a: Record<string, unknown>|undefined) => void>>();

	constructor(url: string, private handlers: TraceHandlers)
	{
		this.worker = new Worker(new URL('trace_worker.js', document.baseURI));
		this.worker.onmessage = (e: MessageEvent<FromTraceWorker>) => {
			const m = e.data;
			if (m.type === 'progress')
				this.handlers.progress(m.bytes);
			else if (m.type === 'model')
				this.handlers.model(m.model, m.final);
			else if (m.type === 'error')
				this.handlers.error(m.message);
			else {
				const waiting = this.pending.get(m.id) ?? [];
				this.pending.delete(m.id);
				for (const f of waiting)
					f(m.args);
			}
		};
		this.worker.onerror = (e) =>
		    this.handlers.error(e.message || 'The trace reader failed');
		this.send({type : 'load', url : new URL(url, document.baseURI).href});
	}

	private send(m: ToTraceWorker)
	{
		this.worker.postMessage(m);
	}

	/** The args of event `id`, as the trace has them. */
	args(id: number): Promise<Record<string, unknown>|undefined>
	{
		return new Promise((resolve) => {
			const waiting = this.pending.get(id);
			if (waiting)
				waiting.push(resolve);
			else {
				this.pending.set(id, [ resolve ]);
				this.send({type : 'args', id});
			}
		});
	}

	stop()
	{
		this.send({type : 'stop'});
		this.worker.terminate();
		for (const list of this.pending.values())
			for (const f of list)
				f(undefined);
		this.pending.clear();
	}
}
