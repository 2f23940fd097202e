// Profile dashboard: PyTorch profiler traces (data/plugin/pytorch_profiler/).
// Pick a run, worker and span; the views the server builds so far are
// shown (Overview of CPU traces: step time by role and recommendations;
// Operator table with its top operators and call stacks, Kernel
// table, the trace as a download for Perfetto or chrome://tracing; the
// Memory and Module views are in profile_memory.tsx); the others are
// named as not available yet.
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { apiUrl } from '../api';
import { SearchInput } from '../components/SearchInput';
import { Select as LabelledSelect, type SelectProps } from '../components/Select';
import { MemoryView, ModuleView } from './profile_memory';
import { DataTable, DiffView, DistributedView, GpuSummary, SpanSteps, type GpuMetrics } from './profile_dist';
import type { DashboardProps } from './registry';
import { RunBadTraces, RunTimelines, TraceView } from './profile_trace';

const BASE = 'data/plugin/pytorch_profiler/';
const SERVED = new Set(['Overview', 'Operator', 'Kernel', 'Trace', 'Memory', 'Distributed', 'Module']);
export const MAX_ROWS = 500;

export async function get<T>(path: string, signal: AbortSignal): Promise<T> {
  const resp = await fetch(apiUrl(BASE + path), { cache: 'no-store', signal });
  const text = await resp.text();
  if (!resp.ok) throw new Error(`${path}: HTTP ${resp.status} ${text.slice(0, 200)}`);
  return JSON.parse(text) as T;
}

export const query = (p: Record<string, string>) => new URLSearchParams(p).toString();

/** A JSON answer of the profile routes; null path: nothing to fetch. An
 * answer to an earlier path is never returned, so choices made from it
 * (worker, span) do not outlive the run they came from. */
export function useAnswer<T>(path: string | null, generation: number): { data: T | null; error: string } {
  const [state, setState] = useState<{ path: string | null; data: T | null; error: string }>({
    path: null,
    data: null,
    error: '',
  });
  useEffect(() => {
    setState({ path, data: null, error: '' });
    if (!path) return;
    const ctl = new AbortController();
    get<T>(path, ctl.signal)
      .then((data) => setState({ path, data, error: '' }))
      .catch((e: unknown) => {
        if (!ctl.signal.aborted) setState({ path, data: null, error: e instanceof Error ? e.message : String(e) });
      });
    return () => ctl.abort();
  }, [path, generation]);
  return state.path === path ? state : { data: null, error: '' };
}

/** Keeps a choice valid: the current value if offered, else the first. */
export function useChoice(options: string[] | null): [string, (v: string) => void] {
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

/** A choice in the profile's toolbars. */
export function Select(props: SelectProps) {
  return <LabelledSelect class="profile-select" {...props} />;
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
        <DataTable columns={data.data.columns} rows={rows.slice(0, MAX_ROWS)} />
      </div>
      {rows.length > MAX_ROWS && <div class="dash-msg inline">First {MAX_ROWS} of {rows.length} kernels.</div>}
    </section>
  );
}

interface Overview {
  steps: { columns: Array<{ name?: string; role?: string }>; rows: Array<Array<string | number>> };
  performance: Array<{ value: number; children: Array<{ name: string; value: number; extra: number }> }>;
  recommendations: string;
  environments: Array<{ title: string; value: string }>;
  gpu_metrics?: GpuMetrics;
}

export const ROLE_COLOURS = ['#1976d2', '#388e3c', '#fbc02d', '#7b1fa2', '#0097a7', '#e64a19', '#f57c00', '#9e9e9e'];

/** Each step's time as a stacked bar, one colour per role. */
function OverviewView({ params, generation }: { params: string; generation: number }) {
  const { data, error } = useAnswer<Overview>(`overview?${params}`, generation);
  if (error)
    return (
      <div class="dash-msg inline" data-testid="profile-overview-missing">
        Overview: {error.includes('HTTP 501') ? 'this trace has neither steps nor CPU operators.' : error}
      </div>
    );
  if (!data) return <div class="dash-msg inline">Loading…</div>;
  const roles = data.steps.columns
    .map((c, i) => ({ name: c.name ?? '', i }))
    .filter((c) => c.i > 0 && c.name);
  const totals = data.steps.rows.map((r) => roles.reduce((s, c) => s + Number(r[c.i]), 0));
  const max = Math.max(1, ...totals);
  const perf = data.performance[0];
  return (
    <section class="profile-section" data-testid="profile-overview" data-steps={String(data.steps.rows.length)}>
      <h3>Overview</h3>
      <p class="dash-msg inline">
        {data.environments.map((e) => `${e.title}: ${e.value}`).join(' · ')} · Average step time: {perf.value} us
      </p>
      <div class="profile-legend">
        {roles.map((c, k) => (
          <span key={c.name}>
            <i style={{ background: ROLE_COLOURS[k % ROLE_COLOURS.length] }} /> {c.name}
          </span>
        ))}
      </div>
      <div class="profile-steps" data-testid="profile-step-chart">
        {data.steps.rows.map((r, s) => (
          <div class="profile-step" key={String(r[0])}>
            <span class="profile-bar-label">Step {String(r[0])}</span>
            <span class="profile-step-bar" style={{ width: `${(100 * totals[s]) / max}%` }}>
              {roles.map((c, k) => (
                <span
                  key={c.name}
                  title={`${c.name}: ${r[c.i]} us`}
                  style={{
                    width: `${totals[s] ? (100 * Number(r[c.i])) / totals[s] : 0}%`,
                    background: ROLE_COLOURS[k % ROLE_COLOURS.length],
                  }}
                />
              ))}
            </span>
            <span class="profile-bar-value">{Math.round(totals[s])}</span>
          </div>
        ))}
      </div>
      <table class="profile-table" data-testid="profile-performance">
        <thead>
          <tr>
            <th>Category</th>
            <th>Time (us)</th>
            <th>Percentage (%)</th>
          </tr>
        </thead>
        <tbody>
          {perf.children.map((c) => (
            <tr key={c.name}>
              <td>{c.name}</td>
              <td class="num">{c.value}</td>
              <td class="num">{c.extra}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data.gpu_metrics && <GpuSummary metrics={data.gpu_metrics} />}
      <h4>Recommendations</h4>
      {/* the server writes this list from fixed texts and numbers */}
      <div data-testid="profile-recommendations" dangerouslySetInnerHTML={{ __html: data.recommendations }} />
    </section>
  );
}

interface OpRow {
  name: string;
  input_shape?: string;
  calls: number;
  device_self_duration?: number;
  device_total_duration?: number;
  host_self_duration: number;
  host_total_duration: number;
  tc_eligible: string;
  tc_self_ratio: number;
  tc_total_ratio: number;
  has_call_stack?: boolean;
  call_stack?: string;
}
interface OpTable {
  metadata: { sort: string };
  data: OpRow[];
}

const OP_COLUMNS: Array<[keyof OpRow, string]> = [
  ['name', 'Name'],
  ['input_shape', 'Input Shape'],
  ['calls', 'Calls'],
  ['device_self_duration', 'Device Self (us)'],
  ['device_total_duration', 'Device Total (us)'],
  ['host_self_duration', 'Host Self (us)'],
  ['host_total_duration', 'Host Total (us)'],
  ['tc_eligible', 'Tensor Cores Eligible'],
  ['tc_self_ratio', 'Tensor Cores Self (%)'],
  ['tc_total_ratio', 'Tensor Cores Total (%)'],
];

/** Horizontal bars of the top operators by the table's sort column. */
function TopOps({ rows, key_ }: { rows: OpRow[]; key_: keyof OpRow }) {
  const top = rows
    .map((r) => ({ name: r.name + (r.input_shape ? ' ' + r.input_shape : ''), v: Number(r[key_] ?? 0) }))
    .filter((r) => r.v > 0)
    .sort((a, b) => b.v - a.v)
    .slice(0, 10);
  const max = top.length ? top[0].v : 1;
  return (
    <div class="profile-bars" data-testid="profile-top-ops">
      {top.map((r) => (
        <div class="profile-bar" key={r.name} title={`${r.name}: ${r.v} us`}>
          <span class="profile-bar-label">{r.name}</span>
          <span class="profile-bar-fill" style={{ width: `${(100 * r.v) / max}%` }} />
          <span class="profile-bar-value">{r.v}</span>
        </div>
      ))}
    </div>
  );
}

function CallStacks({ params, row, byShape, generation }: {
  params: string;
  row: OpRow;
  byShape: boolean;
  generation: number;
}) {
  const q: Record<string, string> = {
    group_by: byShape ? 'OperationAndInputShape' : 'Operation',
    op_name: row.name,
  };
  if (byShape && row.input_shape !== undefined) q.input_shape = row.input_shape;
  const { data, error } = useAnswer<OpTable>(`operation/stack?${params}&${query(q)}`, generation);
  if (error) return <div class="dash-msg error">{error}</div>;
  if (!data) return <div class="dash-msg inline">Loading…</div>;
  return (
    <ul class="profile-stacks" data-testid="profile-stacks">
      {data.data.map((s, i) => (
        <li key={i}>
          <b>{s.calls} calls</b>, host self {s.host_self_duration} us
          <pre>{(s.call_stack ?? '').split(';').join('\n')}</pre>
        </li>
      ))}
    </ul>
  );
}

function OperatorView({ params, generation }: { params: string; generation: number }) {
  const [byShape, setByShape] = useState(false);
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<{ key: keyof OpRow | ''; desc: boolean }>({ key: '', desc: true });
  const [open, setOpen] = useState('');
  const group = byShape ? 'OperationAndInputShape' : 'Operation';
  const { data, error } = useAnswer<OpTable>(`operation/table?${params}&group_by=${group}`, generation);
  if (error) return <div class="dash-msg error">{error}</div>;
  if (!data) return <div class="dash-msg inline">Loading…</div>;
  const key = (sort.key || data.metadata.sort) as keyof OpRow;
  const columns = OP_COLUMNS.filter(([k]) => data.data.some((r) => r[k] !== undefined));
  const needle = search.toLowerCase();
  const rows = data.data.filter((r) => !needle || r.name.toLowerCase().includes(needle));
  const sorted = sort.key
    ? [...rows].sort((a, b) => {
        const x = a[key] ?? '';
        const y = b[key] ?? '';
        const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
        return sort.desc ? -c : c;
      })
    : rows;
  const rowKey = (r: OpRow) => r.name + '\u0000' + (r.input_shape ?? '');
  return (
    <section class="profile-section" data-testid="profile-operators" data-rows={String(rows.length)}>
      <h3>Operators</h3>
      <div class="profile-controls">
        <Select
          label="Group by"
          testid="profile-op-group"
          options={[
            ['Operation', 'Operator'],
            ['OperationAndInputShape', 'Operator and input shape'],
          ]}
          value={group}
          onChange={(v) => setByShape(v === 'OperationAndInputShape')}
        />
        <SearchInput testid="profile-op-search" placeholder="Search operators" value={search} onInput={setSearch} />
      </div>
      <TopOps rows={rows} key_={key} />
      <div class="profile-table-wrap">
        <table class="profile-table">
          <thead>
            <tr>
              {columns.map(([k, label]) => (
                <th
                  key={k}
                  class="sortable"
                  data-sort={k}
                  onClick={() => setSort({ key: k, desc: sort.key === k ? !sort.desc : true })}
                >
                  {label}
                  {key === k ? (sort.key === '' || sort.desc ? ' ▼' : ' ▲') : ''}
                </th>
              ))}
              <th>Call Stack</th>
            </tr>
          </thead>
          <tbody>
            {sorted.slice(0, MAX_ROWS).map((r) => (
              <Fragment key={rowKey(r)}>
                <tr>
                  {columns.map(([k]) => (
                    <td key={k} class={typeof r[k] === 'number' ? 'num' : ''}>
                      {String(r[k] ?? '')}
                    </td>
                  ))}
                  <td>
                    {r.has_call_stack && (
                      <button
                        type="button"
                        data-testid="profile-op-stack"
                        onClick={() => setOpen(open === rowKey(r) ? '' : rowKey(r))}
                      >
                        {open === rowKey(r) ? 'Hide' : 'Show'}
                      </button>
                    )}
                  </td>
                </tr>
                {open === rowKey(r) && (
                  <tr>
                    <td colSpan={columns.length + 1}>
                      <CallStacks params={params} row={r} byShape={byShape} generation={generation} />
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      </div>
      {rows.length > MAX_ROWS && <div class="dash-msg inline">First {MAX_ROWS} of {rows.length} operators.</div>}
    </section>
  );
}

export default function ProfileDashboard({ generation }: DashboardProps) {
  const runs = useAnswer<{ runs: string[] }>('runs', generation);
  const [run, setRun] = useChoice(runs.data?.runs ?? null);
  const views = useAnswer<string[]>(run ? `views?${query({ run })}` : null, generation);
  // the Trace view's workers are all of them: PyTorch's and those of other
  // profilers' Chrome traces (TensorFlow, JAX), which have the Trace view only
  const firstView = views.data?.includes('Trace') ? 'Trace' : (views.data?.find((v) => v !== 'Distributed') ?? null);
  const workers = useAnswer<string[]>(
    run && firstView ? `workers?${query({ run, view: firstView })}` : null,
    generation,
  );
  const hasOverview = !!views.data?.includes('Overview') && firstView === 'Trace';
  const torchWorkers = useAnswer<string[]>(
    run && hasOverview ? `workers?${query({ run, view: 'Overview' })}` : null,
    generation,
  );
  const [worker, setWorker] = useChoice(workers.data);
  const spans = useAnswer<string[]>(run && worker ? `spans?${query({ run, worker })}` : null, generation);
  const [span, setSpan] = useChoice(spans.data);
  const error = runs.error || views.error || workers.error || spans.error || torchWorkers.error;
  // a worker without the Overview has another profiler's trace; views wait
  // until that is known, so none is asked for a trace that lacks it
  const known = !hasOverview || !!torchWorkers.data;
  const traceOnly =
    known && firstView === 'Trace' && !!worker && (!hasOverview || !torchWorkers.data?.includes(worker));
  const shown = traceOnly ? ['Trace'] : (views.data ?? []);
  const params = run && worker && span && known ? query({ run, worker, span }) : '';

  return (
    <div class="main dash profile" data-dashboard="pytorch_profiler">
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
          This run has none of the profiler's views: legacy traces (a bare event array, from PyTorch built without
          Kineto) and traces that did not parse are listed without views. The legacy ones are drawn below.
        </div>
      )}
      {shown.length > 0 && (
        <div class="dash-msg inline" data-testid="profile-views">
          Views: {shown.join(', ')}.
          {shown.some((v) => !SERVED.has(v)) &&
            ` Not available in tboard yet: ${shown.filter((v) => !SERVED.has(v)).join(', ')}.`}
        </div>
      )}
      {params && shown.includes('Trace') && !traceOnly && (
        <p>
          <a data-testid="profile-trace" href={apiUrl(`${BASE}trace?${params}`)} download={`${worker}.pt.trace.json`}>
            Download the trace
          </a>{' '}
          (with GPU utilisation counters; open it in Perfetto or chrome://tracing).
        </p>
      )}
      {params && traceOnly && (
        <p data-testid="profile-chrome-trace">
          A Chrome trace of another profiler (TensorFlow, JAX): the Trace view only.{' '}
          <a href={apiUrl(`${BASE}timeline?${params}`)} download={`${worker}.trace.json`}>
            Download the trace
          </a>
        </p>
      )}
      {run && views.data && shown.length > 0 && <RunBadTraces base={BASE} run={run} generation={generation} />}
      {params && shown.includes('Trace') && <TraceView path={`${BASE}timeline?${params}`} />}
      {run && views.data && shown.length === 0 && <RunTimelines base={BASE} run={run} generation={generation} />}
      {params && shown.includes('Overview') && <OverviewView params={params} generation={generation} />}
      {params && shown.includes('Overview') && spans.data && spans.data.length > 1 && (
        <SpanSteps run={run} worker={worker} spans={spans.data} generation={generation} />
      )}
      {params && shown.includes('Operator') && <OperatorView params={params} generation={generation} />}
      {params && shown.includes('Kernel') && <KernelView params={params} generation={generation} />}
      {params && shown.includes('Memory') && <MemoryView params={params} generation={generation} />}
      {params && shown.includes('Module') && <ModuleView params={params} generation={generation} />}
      {run && shown.includes('Distributed') && <DistributedView run={run} generation={generation} />}
      {params && shown.includes('Operator') && runs.data && (
        <DiffView base={{ run, worker, span }} runs={runs.data.runs} generation={generation} />
      )}
    </div>
  );
}
