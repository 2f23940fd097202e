// Profile dashboard, Distributed and Diff views, and the Overview's GPU
// summary. Distributed: per worker the time split into computation,
// overlap, communication and other, the collectives' data transfer and
// synchronizing time (as bars, for all steps or one), and the collectives'
// table. Diff: this profile against another (any run, worker and span),
// the operator tree compared node by node (drill into a node), and the
// operators of the node side by side with their deltas, sortable. Spans:
// the step time of every profiling cycle of a worker in one chart.
import { useEffect, useState } from 'preact/hooks';
import { get, query, ROLE_COLOURS, Select, useAnswer, useChoice } from './profile';

export interface GpuMetrics {
  title: string;
  data: Array<{ title: string; value: string }>;
  tooltip: string;
}

/** Per device: name, memory, compute capability and the usage metrics. */
export function GpuSummary({ metrics }: { metrics: GpuMetrics }) {
  return (
    <div data-testid="profile-gpu-summary">
      <h4 title={metrics.tooltip}>{metrics.title}</h4>
      <table class="profile-table">
        <tbody>
          {metrics.data.map((r, i) =>
            r.title === '<hr/>' ? (
              <tr key={i}>
                <td colSpan={2} />
              </tr>
            ) : (
              <tr key={i}>
                <td>{r.value === '' ? <b>{r.title}</b> : r.title}</td>
                <td class="num">{r.value}</td>
              </tr>
            ),
          )}
        </tbody>
      </table>
    </div>
  );
}

/** A table of the reference's {columns, rows} shape. */
export function DataTable({ columns, rows, caption, attrs }: {
  columns: Array<{ name: string; tooltip?: string }>;
  rows: Array<Array<string | number>>;
  caption?: string;
  attrs?: Record<string, string>;
}) {
  return (
    <table class="profile-table" {...attrs}>
      {caption && <caption>{caption}</caption>}
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c.name} title={c.tooltip ?? ''}>
              {c.name}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
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
  );
}

interface Chart {
  metadata: { title: string; legends: string[] };
  data: Record<string, Record<string, number[]>>;
}
interface CommOps {
  data: Record<string, { columns: Array<{ name: string }>; rows: Array<Array<string | number>> }>;
}

/** One stacked bar per worker for the chosen step ("all": the mean). */
function WorkerBars({ chart, step, testid }: { chart: Chart; step: string; testid: string }) {
  const byWorker = chart.data[step] ?? {};
  const workers = Object.keys(byWorker);
  const totals = workers.map((w) => byWorker[w].reduce((s, v) => s + Math.max(0, v), 0));
  const max = Math.max(1, ...totals);
  return (
    <div data-testid={testid}>
      <h4>{chart.metadata.title}</h4>
      <div class="profile-legend">
        {chart.metadata.legends.map((l, k) => (
          <span key={l}>
            <i style={{ background: ROLE_COLOURS[k % ROLE_COLOURS.length] }} /> {l}
          </span>
        ))}
      </div>
      <div class="profile-steps">
        {workers.map((w, s) => (
          <div class="profile-step" key={w}>
            <span class="profile-bar-label">{w}</span>
            <span class="profile-step-bar" style={{ width: `${(100 * totals[s]) / max}%` }}>
              {byWorker[w].map((v, k) => (
                <span
                  key={k}
                  title={`${chart.metadata.legends[k]}: ${v} us`}
                  style={{
                    width: `${totals[s] ? (100 * Math.max(0, v)) / totals[s] : 0}%`,
                    background: ROLE_COLOURS[k % ROLE_COLOURS.length],
                  }}
                />
              ))}
            </span>
            <span class="profile-bar-value">{Math.round(totals[s])}</span>
          </div>
        ))}
      </div>
    </div>
  );
}

export function DistributedView({ run, generation }: { run: string; generation: number }) {
  const spans = useAnswer<string[]>(`spans?${query({ run, worker: 'All' })}`, generation);
  const [span, setSpan] = useChoice(spans.data);
  const params = span ? query({ run, worker: 'All', span }) : null;
  const overlap = useAnswer<Chart>(params && `distributed/overlap?${params}`, generation);
  const wait = useAnswer<Chart>(params && `distributed/waittime?${params}`, generation);
  const ops = useAnswer<CommOps>(params && `distributed/commops?${params}`, generation);
  const [step, setStep] = useState('all');
  const error = spans.error || overlap.error || wait.error || ops.error;
  if (error) return <div class="dash-msg error">{error}</div>;
  if (!overlap.data || !wait.data || !ops.data) return <div class="dash-msg inline">Loading…</div>;
  const steps = Object.keys(overlap.data.data);
  const shownStep = steps.includes(step) ? step : 'all';
  return (
    <section class="profile-section" data-testid="profile-distributed">
      <h3>Distributed</h3>
      <div class="profile-controls">
        {spans.data && spans.data.length > 1 && (
          <Select label="Span" testid="profile-dist-span" options={spans.data} value={span} onChange={setSpan} />
        )}
        <Select label="Step" testid="profile-dist-step" options={steps} value={shownStep} onChange={setStep} />
      </div>
      <WorkerBars chart={overlap.data} step={shownStep} testid="profile-dist-overlap" />
      <WorkerBars
        chart={wait.data}
        step={wait.data.data[shownStep] ? shownStep : 'all'}
        testid="profile-dist-wait"
      />
      <h4>Collectives</h4>
      {Object.entries(ops.data.data).map(([worker, t]) => (
        <div class="profile-table-wrap" key={worker}>
          <DataTable
            columns={t.columns}
            rows={t.rows}
            caption={worker}
            attrs={{ 'data-testid': 'profile-dist-commops', 'data-worker': worker }}
          />
        </div>
      ))}
    </section>
  );
}

interface Agg {
  name: string;
  calls: number;
  host_duration: number;
  device_duration: number;
  self_host_duration: number;
  self_device_duration: number;
}
interface Side {
  name: string;
  duration: number;
  device_duration: number;
  total_duration: number;
  aggs: Agg[];
}
interface DiffNode {
  left: Side;
  right: Side;
  path: string;
  children: DiffNode[];
}

type Metric = 'calls' | 'host_duration' | 'device_duration' | 'self_host_duration' | 'self_device_duration';
const METRICS: Array<[Metric, string]> = [
  ['calls', 'Calls'],
  ['host_duration', 'Host Total (us)'],
  ['device_duration', 'Device Total (us)'],
  ['self_host_duration', 'Host Self (us)'],
  ['self_device_duration', 'Device Self (us)'],
];

const fmt = (v: number) => String(Math.round(v * 100) / 100);
const delta = (v: number) => (v > 0 ? '+' : '') + fmt(v);

/** The node's operators of both sides by name, with deltas; sortable. */
function OpDiff({ node }: { node: DiffNode }) {
  const [sort, setSort] = useState<{ key: string; desc: boolean }>({ key: 'd:host_duration', desc: true });
  const names = new Map<string, { l?: Agg; r?: Agg }>();
  for (const a of node.left.aggs) names.set(a.name, { l: a });
  for (const a of node.right.aggs) names.set(a.name, { ...(names.get(a.name) ?? {}), r: a });
  const rows = [...names.entries()].map(([name, { l, r }]) => {
    const v: Record<string, number | string> = { name };
    for (const [m] of METRICS) {
      v[`l:${m}`] = l ? l[m] : 0;
      v[`r:${m}`] = r ? r[m] : 0;
      v[`d:${m}`] = (r ? r[m] : 0) - (l ? l[m] : 0);
    }
    return v;
  });
  const [kind, metric] = sort.key.split(':');
  rows.sort((a, b) => {
    const x = a[sort.key];
    const y = b[sort.key];
    const c =
      typeof x === 'number' && typeof y === 'number'
        ? kind === 'd' && metric
          ? Math.abs(x) - Math.abs(y)
          : x - y
        : String(x).localeCompare(String(y));
    return sort.desc ? -c : c;
  });
  const head = (key: string, label: string) => (
    <th
      key={key}
      class="sortable"
      data-sort={key}
      onClick={() => setSort({ key, desc: sort.key === key ? !sort.desc : true })}
    >
      {label}
      {sort.key === key ? (sort.desc ? ' ▼' : ' ▲') : ''}
    </th>
  );
  return (
    <div class="profile-table-wrap">
      <table class="profile-table" data-testid="profile-diff-ops" data-rows={String(rows.length)}>
        <thead>
          <tr>
            {head('name', 'Operator')}
            {METRICS.flatMap(([m, label]) => [
              head(`l:${m}`, `${label} base`),
              head(`r:${m}`, `${label} exp`),
              head(`d:${m}`, `Δ ${label}`),
            ])}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={String(r.name)}>
              <td>{String(r.name)}</td>
              {METRICS.flatMap(([m]) => [
                <td key={`l${m}`} class="num">
                  {fmt(Number(r[`l:${m}`]))}
                </td>,
                <td key={`r${m}`} class="num">
                  {fmt(Number(r[`r:${m}`]))}
                </td>,
                <td
                  key={`d${m}`}
                  class={`num ${Number(r[`d:${m}`]) > 0 ? 'profile-worse' : Number(r[`d:${m}`]) < 0 ? 'profile-better' : ''}`}
                >
                  {delta(Number(r[`d:${m}`]))}
                </td>,
              ])}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface Profile {
  run: string;
  worker: string;
  span: string;
}

export function DiffView({ base, runs, generation }: { base: Profile; runs: string[]; generation: number }) {
  const [expRun, setExpRun] = useChoice(runs);
  const [picked, setPicked] = useState(false);
  const run = picked ? expRun : base.run;
  const workers = useAnswer<string[]>(`workers?${query({ run, view: 'Operator' })}`, generation);
  const [worker, setWorker] = useChoice(workers.data);
  const spans = useAnswer<string[]>(worker ? `spans?${query({ run, worker })}` : null, generation);
  // by default the last span: a run with two profiling cycles compares them
  const [span, setSpan] = useState('');
  const expSpan = spans.data && spans.data.includes(span) ? span : (spans.data?.[spans.data.length - 1] ?? '');
  const [path, setPath] = useState('0');
  // a comparison reads both traces again: only when asked
  const [active, setActive] = useState(false);
  const params =
    active && worker && expSpan
      ? query({
          run: base.run,
          worker: base.worker,
          span: base.span,
          exp_run: run,
          exp_worker: worker,
          exp_span: expSpan,
        })
      : null;
  const node = useAnswer<DiffNode>(params && `diffnode?${params}&path=${encodeURIComponent(path)}`, generation);
  const crumbs = path.split('-').map((_, i, a) => a.slice(0, i + 1).join('-'));
  return (
    <section class="profile-section" data-testid="profile-diff">
      <h3>Diff</h3>
      <div class="profile-controls">
        <span>
          Base: {base.run} / {base.worker} / {base.span}. Compare with
        </span>
        <Select
          label="Run"
          testid="profile-diff-run"
          options={runs}
          value={run}
          onChange={(v) => {
            setPicked(true);
            setExpRun(v);
            setPath('0');
          }}
        />
        {workers.data && workers.data.length > 0 && (
          <Select label="Worker" testid="profile-diff-worker" options={workers.data} value={worker} onChange={setWorker} />
        )}
        {spans.data && spans.data.length > 0 && (
          <Select
            label="Span"
            testid="profile-diff-span"
            options={spans.data}
            value={expSpan}
            onChange={(v) => {
              setSpan(v);
              setPath('0');
            }}
          />
        )}
        <button type="button" data-testid="profile-diff-go" disabled={active} onClick={() => setActive(true)}>
          Compare
        </button>
      </div>
      {workers.data && workers.data.length === 0 && <div class="dash-msg inline">That run has no operators.</div>}
      {node.error && <div class="dash-msg error">{node.error}</div>}
      {params && !node.data && !node.error && <div class="dash-msg inline">Comparing…</div>}
      {node.data && (
        <div data-testid="profile-diff-node" data-path={node.data.path}>
          <div class="profile-controls" data-testid="profile-diff-path">
            {crumbs.map((c) => (
              <button type="button" key={c} disabled={c === path} onClick={() => setPath(c)}>
                {c === '0' ? 'All' : c}
              </button>
            ))}
          </div>
          <p class="dash-msg inline">
            {node.data.left.name}: base {fmt(node.data.left.total_duration)} us, exp{' '}
            {fmt(node.data.right.total_duration)} us (
            {delta(node.data.right.total_duration - node.data.left.total_duration)} us)
          </p>
          <table class="profile-table" data-testid="profile-diff-children" data-rows={String(node.data.children.length)}>
            <thead>
              <tr>
                <th>Base</th>
                <th>Exp</th>
                <th>Base (us)</th>
                <th>Exp (us)</th>
                <th>Δ (us)</th>
              </tr>
            </thead>
            <tbody>
              {node.data.children.map((c) => (
                <tr key={c.path} class="sortable" data-path={c.path} onClick={() => setPath(c.path)}>
                  <td>{c.left.name}</td>
                  <td>{c.right.name}</td>
                  <td class="num">{fmt(c.left.total_duration)}</td>
                  <td class="num">{fmt(c.right.total_duration)}</td>
                  <td class="num">{delta(c.right.total_duration - c.left.total_duration)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h4>Operators</h4>
          <OpDiff node={node.data} />
        </div>
      )}
    </section>
  );
}

interface SpanOverview {
  steps: { rows: Array<Array<string | number>> };
  performance: Array<{ value: number }>;
}

/** Every step of every span of one worker, as bars in time order, so
 * profiling cycles can be compared at a glance. */
export function SpanSteps({ run, worker, spans, generation }: {
  run: string;
  worker: string;
  spans: string[];
  generation: number;
}) {
  const [state, setState] = useState<{ key: string; data: SpanOverview[] | null; error: string }>({
    key: '',
    data: null,
    error: '',
  });
  const key = [run, worker, ...spans].join('\u0000');
  useEffect(() => {
    const ctl = new AbortController();
    Promise.all(spans.map((span) => get<SpanOverview>(`overview?${query({ run, worker, span })}`, ctl.signal)))
      .then((data) => setState({ key, data, error: '' }))
      .catch((e: unknown) => {
        if (!ctl.signal.aborted) setState({ key, data: null, error: e instanceof Error ? e.message : String(e) });
      });
    return () => ctl.abort();
  }, [key, generation]);
  if (state.key !== key) return <div class="dash-msg inline">Loading…</div>;
  if (state.error) return <div class="dash-msg error">{state.error}</div>;
  const bars = (state.data ?? []).flatMap((o, k) =>
    o.steps.rows.map((r) => ({
      label: `${spans[k]} · ${String(r[0])}`,
      span: k,
      total: r.reduce<number>((s, v, i) => (i > 0 && typeof v === 'number' ? s + v : s), 0),
    })),
  );
  const max = Math.max(1, ...bars.map((b) => b.total));
  return (
    <section class="profile-section" data-testid="profile-span-steps" data-bars={String(bars.length)}>
      <h3>Step time per span</h3>
      <p class="dash-msg inline">
        {spans.map((s, k) => `span ${s}: mean ${state.data?.[k]?.performance[0]?.value ?? ''} us`).join(' · ')}
      </p>
      <div class="profile-steps">
        {bars.map((b) => (
          <div class="profile-step" key={b.label}>
            <span class="profile-bar-label">{b.label}</span>
            <span class="profile-step-bar" style={{ width: `${(100 * b.total) / max}%` }}>
              <span
                title={`${b.total} us`}
                style={{ width: '100%', background: ROLE_COLOURS[b.span % ROLE_COLOURS.length] }}
              />
            </span>
            <span class="profile-bar-value">{Math.round(b.total)}</span>
          </div>
        ))}
      </div>
    </section>
  );
}
