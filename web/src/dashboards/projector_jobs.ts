// The page's side of the projector's layout worker (projector_worker.ts):
// the messages both ends speak, and a small client that numbers jobs so
// answers to an older job are dropped.
export type Method = 'pca' | 'tsne' | 'umap';

export type ToWorker =
  | { type: 'data'; x: Float32Array; n: number; d: number }
  | {
      type: 'run';
      job: number;
      method: Method;
      dims: number;
      perplexity: number;
      learningRate: number;
      neighbours: number;
      /** Rows to lay out (isolated points), or null for all. */
      subset: Int32Array | null;
    }
  | { type: 'learningRate'; value: number }
  /** A posted layout has been drawn: the worker may post the next. */
  | { type: 'drawn' }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'cancel' };

export interface Layout {
  job: number;
  /** m × 3 coordinates in [-1, 1], m = the subset's size or n. */
  xyz: Float32Array;
  explained: number[];
  iteration: number;
  /** Iterations the method runs before it stops (0 for PCA). */
  total: number;
  running: boolean;
  /** Mean time of one iteration in the last slice, ms. */
  stepMs: number;
}

export type FromWorker =
  | ({ type: 'layout' } & Layout)
  | { type: 'status'; job: number; text: string }
  | { type: 'error'; job: number; message: string };

export interface LayoutHandlers {
  layout(l: Layout): void;
  status(text: string): void;
  error(message: string): void;
}

export class LayoutWorker {
  private worker: Worker;
  private job = 0;
  private dataKey = '';

  constructor(private handlers: LayoutHandlers) {
    this.worker = new Worker(new URL('projector_worker.js', document.baseURI));
    this.worker.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      // Every layout is acknowledged once the next frame is drawn, those of
      // an older job too, so the worker never posts faster than the page draws.
      if (m.type === 'layout') requestAnimationFrame(() => this.send({ type: 'drawn' }));
      if (m.job !== this.job) return;
      if (m.type === 'layout') this.handlers.layout(m);
      else if (m.type === 'status') this.handlers.status(m.text);
      else this.handlers.error(m.message);
    };
    this.worker.onerror = (e) => this.handlers.error(e.message || 'The layout worker failed');
  }

  /** Sends the embedding (a copy) unless `key` names the one already sent. */
  setData(key: string, x: Float32Array, n: number, d: number) {
    if (key === this.dataKey) return;
    this.dataKey = key;
    this.send({ type: 'data', x, n, d });
  }

  /** Starts a layout, ending the one before; returns its job number. */
  run(opts: Omit<Extract<ToWorker, { type: 'run' }>, 'type' | 'job'>): number {
    this.job++;
    this.send({ type: 'run', job: this.job, ...opts });
    return this.job;
  }

  send(m: ToWorker) {
    this.worker.postMessage(m);
  }

  cancel() {
    this.job++;
    this.send({ type: 'cancel' });
  }

  destroy() {
    this.worker.terminate();
  }
}
