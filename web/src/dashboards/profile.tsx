// Profile dashboard: PyTorch profiler traces (data/plugin/pytorch_profiler/).
// Pick a run, worker and span; the views the server builds so far are
// shown (Kernel table, memory peaks, the trace as a download for Perfetto
// or chrome://tracing); the others are named as not available yet.
import { useEffect, useState } from 'preact/hooks';
import { apiUrl } from '../api';
import type { DashboardProps } from './registry';

const BASE = 'data/plugin/pytorch_profiler/';
const SERVED = new Set(['Kernel', 'Trace', 'Memory']);
const MAX_ROWS = 500;

async function get<T>(path: string, signal: AbortSignal): Promise<T> {
  const resp = await fetch(apiUrl(BASE + path), { cache: 'no-store', signal });
  const text = await resp.text();
  if (!resp.ok) throw new Error(`${path}: HTTP ${resp.status} ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}

const query = (p: Record<string, string>) => new URLSearchParams(p).toString();

/** A JSON answer of the profile routes; null path: nothing to fetch. */
function useAnswer<T>(path: string | null, generation: number): { data: T | null; error: string } {
  const [state, setState] = useState<{ data: T | null; error: string }>({ data: null, error: '' });
  useEffect(() => {
    setState({ data: null, error: '' });
    if (!path) return;
    const ctl = new AbortController();
    get<T>(path, ctl.signal)
      .then((data) => setState({ data, error: '' }))
      .catch((e: unknown) => {
        if (!ctl.signal.aborted) setState({ data: null, error: e instanceof Error ? e.message : String(e) });
      });
    return () => ctl.abort();
  }, [path, generation]);
  return state;
}

/** Keeps a choice valid: the current value if offered, else the first. */
function useChoice(options: string[] | null): [string, (v: string) => void] {
  const [value, setValue] = useState('');
  const valid = options && options.includes(value) ? value : (options?.[0] ?? '');
  return [valid, setValue];
}

interface Column {
  name: string;
  tooltip?: string;
}
interface KernelTable {
  data: { columns: Column[]; rows: Array<Array<string | number>> };
}
interface MemoryCurve {
  metadata: { devices: string[]; peaks: Record<string, string> };
}

function Select({ label, testid, options, value, onChange }: {
  label: string;
  testid: string;
  options: string[];
  value: string;
  onChange: (v: string) => void;
}) {
  return (
    <label class="profile-select">
      {label}{' '}
      <select data-testid={testid} value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}

function KernelView({ params, generation }: { params: string; generation: number }) {
  const { data, error } = useAnswer<KernelTable | null>(`kernel/table?${params}&group_by=Kernel`, generation);
  if (error) return <div class="dash-msg error">{error}</div>;
  if (!data) return <div class="dash-msg inline">Loading…</div>;
  const rows = data.data.rows;
  return (
    <section class="profile-section" data-testid="profile-kernels" data-rows={String(rows.length)}>
      <h3>Kernels</h3>
      <div class="profile-table-wrap">
        <table class="profile-table">
          <thead>
            <tr>
              {data.data.columns.map((c) => (
                <th key={c.name} title={c.tooltip ?? ''}>
                  {c.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.slice(0, MAX_ROWS).map((r, i) => (
              <tr key={i}>
                {r.map((v, k) => (
                  <td key={k} class={typeof v === 'number' ? 'num' : ''}>
                    {String(v)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length > MAX_ROWS && <div class="dash-msg inline">First {MAX_ROWS} of {rows.length} kernels.</div>}
    </section>
  );
}

function MemoryView({ params, generation }: { params: string; generation: number }) {
  const { data, error } = useAnswer<MemoryCurve>(`memory_curve?${params}`, generation);
  if (error) return <div class="dash-msg error">{error}</div>;
  if (!data) return <div class="dash-msg inline">Loading…</div>;
  const devices = data.metadata.devices;
  return (
    <section class="profile-section" data-testid="profile-memory">
      <h3>Memory</h3>
      {devices.length === 0 && <div class="dash-msg inline">The memory events carry no totals.</div>}
      <ul>
        {devices.map((d) => (
          <li key={d}>
            {d}: {data.metadata.peaks[d] ?? ''}
          </li>
        ))}
      </ul>
    </section>
  );
}

export default function ProfileDashboard({ generation }: DashboardProps) {
  const runs = useAnswer<{ runs: string[] }>('runs', generation);
  const [run, setRun] = useChoice(runs.data?.runs ?? null);
  const views = useAnswer<string[]>(run ? `views?${query({ run })}` : null, generation);
  const firstView = views.data?.find((v) => v !== 'Distributed') ?? null;
  const workers = useAnswer<string[]>(
    run && firstView ? `workers?${query({ run, view: firstView })}` : null,
    generation,
  );
  const [worker, setWorker] = useChoice(workers.data);
  const spans = useAnswer<string[]>(run && worker ? `spans?${query({ run, worker })}` : null, generation);
  const [span, setSpan] = useChoice(spans.data);
  const params = run && worker && span ? query({ run, worker, span }) : '';
  const error = runs.error || views.error || workers.error || spans.error;
  const shown = views.data ?? [];

  return (
    <div class="dash profile" data-dashboard="pytorch_profiler">
      <div class="profile-controls">
        {runs.data && <Select label="Run" testid="profile-run" options={runs.data.runs} value={run} onChange={setRun} />}
        {workers.data && workers.data.length > 0 && (
          <Select label="Worker" testid="profile-worker" options={workers.data} value={worker} onChange={setWorker} />
        )}
        {spans.data && spans.data.length > 0 && (
          <Select label="Span" testid="profile-span" options={spans.data} value={span} onChange={setSpan} />
        )}
      </div>
      {error && <div class="dash-msg error">{error}</div>}
      {runs.data && runs.data.runs.length === 0 && <div class="dash-msg">No PyTorch profiler traces found.</div>}
      {views.data && shown.length === 0 && (
        <div class="dash-msg" data-testid="profile-no-views">
          This run has no trace tboard can show: legacy traces (a bare event array, from PyTorch built without
          Kineto) and traces that did not parse are listed without views. The server log says which.
        </div>
      )}
      {shown.length > 0 && (
        <div class="dash-msg inline" data-testid="profile-views">
          Views: {shown.join(', ')}.
          {shown.some((v) => !SERVED.has(v)) &&
            ` Not available in tboard yet: ${shown.filter((v) => !SERVED.has(v)).join(', ')}.`}
        </div>
      )}
      {params && shown.includes('Trace') && (
        <p>
          <a data-testid="profile-trace" href={apiUrl(`${BASE}trace?${params}`)} download={`${worker}.pt.trace.json`}>
            Download the trace
          </a>{' '}
          (with GPU utilisation counters; open it in Perfetto or chrome://tracing).
        </p>
      )}
      {params && shown.includes('Kernel') && <KernelView params={params} generation={generation} />}
      {params && shown.includes('Memory') && <MemoryView params={params} generation={generation} />}
    </div>
  );
}
