// A value that components follow: the preferences and the URL settings are
// each one of these, read with get() and re-rendered on change by useWatched.
import { useEffect, useState } from 'preact/hooks';

export class Watched<T> {
  protected current: T;
  private listeners = new Set<(value: T) => void>();

  constructor(initial: T) {
    this.current = initial;
  }

  get(): T {
    return this.current;
  }

  /** Calls `fn` with each new value; returns the unsubscribe. */
  subscribe(fn: (value: T) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  protected emit(): void {
    for (const fn of this.listeners) fn(this.current);
  }
}

/** The watched value, re-rendering the component when it changes. */
export function useWatched<T>(w: Watched<T>): T {
  const [value, set] = useState(w.get());
  useEffect(() => w.subscribe(set), []);
  return value;
}
