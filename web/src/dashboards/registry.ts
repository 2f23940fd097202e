// The dashboards of the UI, one entry each, by plugin name as in
// data/plugins_listing (the server's registry, src/dashboards/registry.c,
// gives tab names, order and which have data). An entry loads its
// component, which brings its own server routes (<name>_api.ts) and styles,
// the first time its tab is shown. Plugins without an entry get a notice.
//
// A new dashboard is its component file, its _api.ts, and one line here.
import type { FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';

export interface DashboardProps {
  /** All runs, in server order. */
  runs: string[];
  /** Runs that are ticked and match the run filter, in server order. */
  selectedRuns: string[];
  runColor: (run: string) => string;
  /** Bumped whenever the dashboard should fetch its data again. */
  generation: number;
}

type DashboardComponent = FunctionComponent<DashboardProps>;

export interface DashboardEntry {
  /** Loads the module whose default export is the dashboard. */
  load: () => Promise<{ default: DashboardComponent }>;
}

export const dashboards: Record<string, DashboardEntry> = {
  timeseries: { load: () => import('./timeseries') },
  scalars: { load: () => import('./scalars') },
  custom_scalars: { load: () => import('./customscalars') },
  images: { load: () => import('./images') },
  audio: { load: () => import('./audio') },
  graphs: { load: () => import('./graphs') },
  distributions: { load: () => import('./distributions') },
  histograms: { load: () => import('./histograms') },
  text: { load: () => import('./text') },
  pr_curves: { load: () => import('./prcurves') },
  hparams: { load: () => import('./hparams') },
  mesh: { load: () => import('./mesh') },
  projector: { load: () => import('./projector') },
  pytorch_profiler: { load: () => import('./profile') },
};

const loaded = new Map<string, DashboardComponent>();

/**
 * The component of dashboard `key`: undefined when the UI has none, null
 * while its module loads (once; later calls answer at once).
 */
export function useDashboard(key: string): DashboardComponent | null | undefined {
  const entry = Object.prototype.hasOwnProperty.call(dashboards, key) ? dashboards[key] : undefined;
  const [, setVersion] = useState(0);
  useEffect(() => {
    if (!entry || loaded.has(key)) return;
    let live = true;
    entry.load().then(
      (m) => {
        loaded.set(key, m.default);
        if (live) setVersion((v) => v + 1);
      },
      (err) => console.error(`dashboard ${key}:`, err),
    );
    return () => {
      live = false;
    };
  }, [key]);
  if (!entry) return undefined;
  return loaded.get(key) ?? null;
}
