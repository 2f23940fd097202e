// The page's side of the Trace view's reader (trace_worker.ts): one worker
// per open trace, which fetches and parses it and posts the model; the
// events' args are asked for one event at a time.
import type { TraceModel } from './trace_model';

export type ToTraceWorker = { type: 'load'; url: string } | { type: 'args'; id: number } | { type: 'stop' };

export type FromTraceWorker =
  | { type: 'progress'; bytes: number }
  | { type: 'model'; model: TraceModel; final: boolean }
  | { type: 'args'; id: number; args: Record<string, unknown> | undefined }
  | { type: 'error'; message: string };

export interface TraceHandlers {
  progress(bytes: number): void;
  model(m: TraceModel, final: boolean): void;
  error(message: string): void;
}

export class TraceReader {
  private worker: Worker;
  private pending = new Map<number, Array<(a: Record<string, unknown> | undefined) => void>>();

  constructor(url: string, private handlers: TraceHandlers) {
    this.worker = new Worker(new URL('trace_worker.js', document.baseURI));
    this.worker.onmessage = (e: MessageEvent<FromTraceWorker>) => {
      const m = e.data;
      if (m.type === 'progress') this.handlers.progress(m.bytes);
      else if (m.type === 'model') this.handlers.model(m.model, m.final);
      else if (m.type === 'error') this.handlers.error(m.message);
      else {
        const waiting = this.pending.get(m.id) ?? [];
        this.pending.delete(m.id);
        for (const f of waiting) f(m.args);
      }
    };
    this.worker.onerror = (e) => this.handlers.error(e.message || 'The trace reader failed');
    this.send({ type: 'load', url: new URL(url, document.baseURI).href });
  }

  private send(m: ToTraceWorker) {
    this.worker.postMessage(m);
  }

  /** The args of event `id`, as the trace has them. */
  args(id: number): Promise<Record<string, unknown> | undefined> {
    return new Promise((resolve) => {
      const waiting = this.pending.get(id);
      if (waiting) waiting.push(resolve);
      else {
        this.pending.set(id, [resolve]);
        this.send({ type: 'args', id });
      }
    });
  }

  stop() {
    this.send({ type: 'stop' });
    this.worker.terminate();
    for (const list of this.pending.values()) for (const f of list) f(undefined);
    this.pending.clear();
  }
}
