// Graphs dashboard: a GraphDef drawn as boxes and arrows, ops grouped by name
// scope. Scopes start collapsed and open on click; the view pans and zooms;
// a side panel shows the selected node and, for profiled tags, device stats.
import { Fragment, type ComponentChildren, type VNode } from 'preact';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { fetchGraphDef, fetchGraphInfo, fetchRunMetadata, LARGE_ATTRS_KEY, type GraphRunInfo } from './graphs_api';
import {
  ancestors,
  buildModel,
  formatAttr,
  layoutGraph,
  nodeId,
  opColor,
  representative,
  scopeId,
  runStats,
  type GraphLayout,
  type GraphModel,
  type LayoutBox,
  type RunStats,
} from './graph_model';
import { errorText, isAbort, useListing } from './common';
import { Select } from '../components/Select';
import type { DashboardProps } from './registry';
import { EmptyState } from '../components/EmptyState';
import './graphs.css';

/** What to draw for a run: its run-level graph or a tag's graph. */
interface Choice {
  value: string;
  label: string;
  /** Graph request: tag (null = run graph) and conceptual flag. */
  tag: string | null;
  conceptual: boolean;
  /** Tag whose run metadata to show, if any. */
  profileTag: string | null;
}

/** Search results listed at most. */
const SEARCH_RESULTS = 12;

function choicesFor(info: GraphRunInfo | undefined): Choice[] {
  if (!info) return [];
  const out: Choice[] = [];
  const profileOnly = info.tags.filter((t) => t.profile && !t.opGraph);
  if (info.runGraph) out.push({ value: 'run', label: 'Default graph', tag: null, conceptual: false, profileTag: null });
  for (const t of info.tags) {
    if (t.opGraph) {
      out.push({ value: 'op:' + t.tag, label: `${t.tag} (op graph)`, tag: t.tag, conceptual: false, profileTag: t.profile ? t.tag : null });
    }
    if (t.conceptualGraph) {
      out.push({ value: 'conceptual:' + t.tag, label: `${t.tag} (conceptual graph)`, tag: t.tag, conceptual: true, profileTag: null });
    }
  }
  // Profile-only tags carry step stats but no graph: draw the run graph.
  if (info.runGraph) {
    for (const t of profileOnly) {
      out.push({ value: 'profile:' + t.tag, label: `${t.tag} (profile)`, tag: null, conceptual: false, profileTag: t.tag });
    }
  }
  return out;
}

// Choices survive switching tabs.
let savedRun = '';
let savedChoice = '';

interface View {
  x: number;
  y: number;
  k: number;
}

function edgePath(points: Array<{ x: number; y: number }>): string {
  if (points.length === 0) return '';
  let d = `M${points[0].x},${points[0].y}`;
  if (points.length === 2) return d + `L${points[1].x},${points[1].y}`;
  // Smooth through the midpoints of the polyline.
  for (let i = 1; i < points.length - 1; i++) {
    const p = points[i];
    const q = points[i + 1];
    const mx = i === points.length - 2 ? q.x : (p.x + q.x) / 2;
    const my = i === points.length - 2 ? q.y : (p.y + q.y) / 2;
    d += `Q${p.x},${p.y} ${mx},${my}`;
  }
  return d;
}

function truncate(s: string, width: number): string {
  const max = Math.max(4, Math.floor((width - 16) / 6.6));
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

function formatMicros(us: number): string {
  if (us >= 1e6) return `${(us / 1e6).toFixed(2)} s`;
  if (us >= 1e3) return `${(us / 1e3).toFixed(2)} ms`;
  return `${us} µs`;
}

function formatBytes(b: number): string {
  if (b >= 1 << 30) return `${(b / (1 << 30)).toFixed(1)} GiB`;
  if (b >= 1 << 20) return `${(b / (1 << 20)).toFixed(1)} MiB`;
  if (b >= 1 << 10) return `${(b / (1 << 10)).toFixed(1)} KiB`;
  return `${b} B`;
}

export default function GraphsDashboard({ runs, generation }: DashboardProps) {
  const { items: info, error: infoError } = useListing(fetchGraphInfo, generation);
  const [run, setRunState] = useState(savedRun);
  const [choiceValue, setChoiceState] = useState(savedChoice);
  const [model, setModel] = useState<{ key: string; model: GraphModel } | null>(null);
  const [graphError, setGraphError] = useState('');
  const [loading, setLoading] = useState(false);
  const [stats, setStats] = useState<{ tag: string; stats: RunStats } | null>(null);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [selected, setSelected] = useState<string | null>(null);
  const [search, setSearch] = useState('');
  const [searchOpen, setSearchOpen] = useState(false);

  // Runs with something to draw, in the shell's run order.
  const graphRuns = useMemo(() => {
    const order = new Map(runs.map((r, i) => [r, i]));
    return (info ?? [])
      .filter((r) => choicesFor(r).length > 0)
      .sort((a, b) => (order.get(a.run) ?? 1e9) - (order.get(b.run) ?? 1e9) || (a.run < b.run ? -1 : 1));
  }, [info, runs]);
  const runInfo = graphRuns.find((r) => r.run === run) ?? graphRuns[0];
  const activeRun = runInfo?.run ?? '';
  const choices = useMemo(() => choicesFor(runInfo), [runInfo]);
  const choice = choices.find((c) => c.value === choiceValue) ?? choices[0];

  const setRun = (r: string) => {
    savedRun = r;
    setRunState(r);
  };
  const setChoice = (c: string) => {
    savedChoice = c;
    setChoiceState(c);
  };

  const loadedKey = useRef('');
  const focusRef = useRef<string | null>(null);
  const graphKey = choice ? `${activeRun}\u0000${choice.tag ?? ''}\u0000${choice.conceptual}` : '';
  useEffect(() => {
    if (!choice) return;
    const ctl = new AbortController();
    setLoading(true);
    fetchGraphDef(activeRun, choice.tag, choice.conceptual, ctl.signal).then(
      (def) => {
        const m = buildModel(def);
        if (loadedKey.current !== graphKey) {
          loadedKey.current = graphKey;
          setExpanded(new Set());
          setSelected(null);
        }
        setModel({ key: graphKey, model: m });
        setGraphError('');
        setLoading(false);
      },
      (err) => {
        if (isAbort(err)) return;
        setGraphError(errorText(err));
        setLoading(false);
      },
    );
    return () => ctl.abort();
  }, [graphKey, generation]);

  const profileTag = choice?.profileTag ?? null;
  useEffect(() => {
    if (!profileTag) {
      setStats(null);
      return;
    }
    const ctl = new AbortController();
    fetchRunMetadata(activeRun, profileTag, ctl.signal).then(
      (meta) => setStats({ tag: profileTag, stats: runStats(meta) }),
      (err) => {
        if (!isAbort(err)) setStats(null);
      },
    );
    return () => ctl.abort();
  }, [activeRun, profileTag, generation]);

  const current = model && model.key === graphKey ? model.model : null;
  const layout = useMemo(() => (current ? layoutGraph(current, expanded) : null), [current, expanded]);

  const toggleScope = (path: string) => {
    focusRef.current = scopeId(path);
    const next = new Set(expanded);
    if (next.has(path)) {
      for (const p of [...next]) if (p === path || p.startsWith(path + '/')) next.delete(p);
    } else {
      next.add(path);
    }
    setExpanded(next);
  };

  const reveal = (name: string) => {
    if (!current) return;
    const next = new Set(expanded);
    for (const a of ancestors(name)) next.add(a);
    setExpanded(next);
    setSelected(nodeId(name));
    focusRef.current = nodeId(name);
  };

  const matches = useMemo(() => {
    const q = search.trim().toLowerCase();
    if (!current || !q) return [];
    const out: string[] = [];
    // Names first, then nodes whose op type matches.
    for (const name of current.nodes.keys()) {
      if (name.toLowerCase().includes(q)) {
        out.push(name);
        if (out.length >= SEARCH_RESULTS) return out;
      }
    }
    for (const [name, node] of current.nodes) {
      if (node.op.toLowerCase().includes(q) && !name.toLowerCase().includes(q)) {
        out.push(name);
        if (out.length >= SEARCH_RESULTS) break;
      }
    }
    return out;
  }, [current, search]);

  let body: ComponentChildren;
  if (info === null) {
    body = <div class="empty-state">Loading…</div>;
  } else if (graphRuns.length === 0) {
    body = (
      <EmptyState title="No graph data">{infoError ? 'Could not load the graph list.' : 'No run in this log directory has written a graph yet.'}</EmptyState>
    );
  } else if (graphError && !current) {
    body = <div class="empty-state graph-error">Could not load the graph: {graphError}</div>;
  } else if (!current || !layout) {
    body = <div class="empty-state">Loading graph…</div>;
  } else if (current.nodes.size === 0) {
    body = <div class="empty-state">This graph has no nodes.</div>;
  } else {
    body = (
      <GraphCanvas
        key={graphKey}
        model={current}
        layout={layout}
        selected={selected}
        focusRef={focusRef}
        onSelect={setSelected}
        onToggle={toggleScope}
      />
    );
  }

  return (
    <div class="main dash graphs-dash" data-dashboard="graphs">
      <div class="controls">
        <Select
          label="Run"
          selectClass="graph-select"
          testid="graph-run"
          options={graphRuns.map((r) => r.run)}
          value={activeRun}
          disabled={graphRuns.length === 0}
          onChange={setRun}
        />
        <Select
          label="Graph"
          selectClass="graph-select"
          testid="graph-tag"
          options={choices.map((c) => [c.value, c.label] as const)}
          value={choice?.value ?? ''}
          disabled={choices.length === 0}
          onChange={setChoice}
        />
        <div class="graph-search">
          <input
            class="filter"
            type="search"
            placeholder="Find a node by name or op type"
            value={search}
            data-testid="graph-search"
            disabled={!current}
            onInput={(e) => {
              setSearch((e.target as HTMLInputElement).value);
              setSearchOpen(true);
            }}
            onFocus={() => setSearchOpen(true)}
            onBlur={() => setTimeout(() => setSearchOpen(false), 150)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && matches.length > 0) {
                reveal(matches[0]);
                setSearchOpen(false);
              } else if (e.key === 'Escape') {
                setSearchOpen(false);
              }
            }}
          />
          {searchOpen && search.trim() !== '' && (
            <ul class="graph-search-results" role="listbox">
              {matches.length === 0 && <li class="none">No node matches</li>}
              {matches.map((m) => (
                <li
                  key={m}
                  role="option"
                  title={m}
                  onMouseDown={(e) => {
                    e.preventDefault();
                    reveal(m);
                    setSearchOpen(false);
                  }}
                >
                  <span class="graph-search-name">{m}</span>
                  <span class="graph-search-op">{current?.nodes.get(m)?.op}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
        {current && (
          <span class="tag-count" data-testid="graph-count">
            {current.nodes.size} node{current.nodes.size === 1 ? '' : 's'}
          </span>
        )}
        {loading && current && <span class="tag-count">Updating…</span>}
        {graphError && current && (
          <span class="dash-error" title={graphError}>
            Update failed
          </span>
        )}
        <div class="spacer" />
        <button
          class="graph-button"
          data-testid="graph-expand-none"
          disabled={!current || expanded.size === 0}
          onClick={() => setExpanded(new Set())}
        >
          Collapse all
        </button>
        <button class="graph-button" data-testid="graph-fit" disabled={!layout} onClick={() => (fitRef.fit?.())}>
          Fit to screen
        </button>
      </div>
      <div class="graph-body">
        <div class="graph-stage">{body}</div>
        <SidePanel
          model={current}
          selected={selected}
          expanded={expanded}
          stats={stats}
          onSelect={(name) => reveal(name)}
          onToggle={toggleScope}
        />
      </div>
    </div>
  );
}

// The canvas registers its fit function here, for the toolbar button.
const fitRef: { fit: (() => void) | null } = { fit: null };

interface CanvasProps {
  model: GraphModel;
  layout: GraphLayout;
  selected: string | null;
  focusRef: { current: string | null };
  onSelect: (id: string | null) => void;
  onToggle: (path: string) => void;
}

function GraphCanvas({ model, layout, selected, focusRef, onSelect, onToggle }: CanvasProps) {
  const svgRef = useRef<SVGSVGElement>(null);
  const gRef = useRef<SVGGElement>(null);
  const view = useRef<View>({ x: 0, y: 0, k: 1 });
  const fitted = useRef(false);
  const drag = useRef<{ x: number; y: number; vx: number; vy: number; moved: boolean; id: number } | null>(null);
  const suppressClick = useRef(false);

  const apply = () => {
    const v = view.current;
    gRef.current?.setAttribute('transform', `translate(${v.x},${v.y}) scale(${v.k})`);
    svgRef.current?.setAttribute('data-zoom', v.k.toFixed(3));
  };

  const fit = () => {
    const svg = svgRef.current;
    if (!svg) return;
    const r = svg.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return;
    const pad = 24;
    const k = Math.min(1, (r.width - 2 * pad) / Math.max(1, layout.width), (r.height - 2 * pad) / Math.max(1, layout.height));
    view.current = {
      k,
      x: (r.width - layout.width * k) / 2,
      y: (r.height - layout.height * k) / 2,
    };
    apply();
  };
  fitRef.fit = fit;
  useEffect(
    () => () => {
      if (fitRef.fit === fit) fitRef.fit = null;
    },
    [],
  );

  useLayoutEffect(() => {
    if (!fitted.current) {
      fit();
      fitted.current = true;
    }
    // Centre on a node picked by search (at a readable zoom), or on a scope
    // that was just opened or closed, keeping the zoom: a scope too big for
    // the view shows its top-left corner instead of shrinking to fit.
    const id = focusRef.current;
    if (id) {
      focusRef.current = null;
      const b = layout.boxes.find((x) => x.id === id);
      const svg = svgRef.current;
      if (b && svg) {
        const r = svg.getBoundingClientRect();
        const k = b.kind === 'op' ? Math.max(view.current.k, 0.8) : view.current.k;
        const pad = 24;
        // Centred along an axis where the box fits, else its near edge at the pad.
        const place = (size: number, centre: number, extent: number) =>
          extent * k <= size - 2 * pad ? size / 2 - centre * k : pad - (centre - extent / 2) * k;
        view.current = { k, x: place(r.width, b.x, b.w), y: place(r.height, b.y, b.h) };
      }
    }
    apply();
  }, [layout]);

  useEffect(() => {
    const svg = svgRef.current;
    if (!svg) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const r = svg.getBoundingClientRect();
      const px = e.clientX - r.left;
      const py = e.clientY - r.top;
      const v = view.current;
      const factor = Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015));
      const k = Math.min(4, Math.max(0.05, v.k * factor));
      view.current = { k, x: px - ((px - v.x) * k) / v.k, y: py - ((py - v.y) * k) / v.k };
      apply();
    };
    svg.addEventListener('wheel', onWheel, { passive: false });
    const ro = new ResizeObserver(() => {
      if (!fitted.current) fit();
    });
    ro.observe(svg);
    return () => {
      svg.removeEventListener('wheel', onWheel);
      ro.disconnect();
    };
  }, []);

  const onPointerDown = (e: PointerEvent) => {
    if (e.button !== 0) return;
    drag.current = { x: e.clientX, y: e.clientY, vx: view.current.x, vy: view.current.y, moved: false, id: e.pointerId };
    suppressClick.current = false;
  };
  const onPointerMove = (e: PointerEvent) => {
    const d = drag.current;
    if (!d || d.id !== e.pointerId) return;
    const dx = e.clientX - d.x;
    const dy = e.clientY - d.y;
    if (!d.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    if (!d.moved) {
      d.moved = true;
      svgRef.current?.setPointerCapture(e.pointerId);
      svgRef.current?.classList.add('panning');
    }
    view.current = { ...view.current, x: d.vx + dx, y: d.vy + dy };
    apply();
  };
  const onPointerUp = (e: PointerEvent) => {
    const d = drag.current;
    if (!d || d.id !== e.pointerId) return;
    drag.current = null;
    if (d.moved) {
      suppressClick.current = true;
      svgRef.current?.classList.remove('panning');
      if (svgRef.current?.hasPointerCapture(e.pointerId)) svgRef.current.releasePointerCapture(e.pointerId);
    }
  };

  const clickBox = (b: LayoutBox, e: MouseEvent) => {
    e.stopPropagation();
    if (suppressClick.current) return;
    if (b.kind === 'op') onSelect(b.id);
    else if (b.kind === 'scope') {
      onSelect(b.id);
      onToggle(b.name);
    } else {
      onSelect(b.id);
    }
  };

  // Neighbours of the selection are highlighted.
  const expandedSet = useMemo(() => {
    const s = new Set<string>();
    for (const b of layout.boxes) if (b.kind === 'cluster') s.add(b.name);
    return s;
  }, [layout]);
  const selName = selected?.startsWith('n:') ? selected.slice(2) : null;
  const selNode = selName ? model.nodes.get(selName) : undefined;
  const related = useMemo(() => {
    const s = new Set<string>();
    if (!selNode) return s;
    for (const i of selNode.inputs) if (i.source) s.add(representative(i.source, expandedSet));
    for (const o of selNode.outputs) s.add(representative(o, expandedSet));
    return s;
  }, [selNode, expandedSet]);
  const selRep = selName ? representative(selName, expandedSet) : selected;

  const clusters = layout.boxes.filter((b) => b.kind === 'cluster').sort((a, b) => a.depth - b.depth);
  const leaves = layout.boxes.filter((b) => b.kind !== 'cluster');

  return (
    <svg
      ref={svgRef}
      class="graph-svg"
      data-testid="graph-svg"
      data-boxes={String(leaves.length)}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={onPointerUp}
      onClick={() => {
        if (!suppressClick.current) onSelect(null);
      }}
    >
      <defs>
        <marker id="graph-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,1 L9,5 L0,9 z" class="graph-arrowhead" />
        </marker>
        <marker id="graph-arrow-hi" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,1 L9,5 L0,9 z" class="graph-arrowhead hi" />
        </marker>
      </defs>
      <g ref={gRef}>
        {clusters.map((b) => (
          <g
            key={b.id}
            class={'graph-cluster' + (selected === b.id ? ' selected' : '')}
            data-name={b.name}
            data-depth={String(b.depth)}
          >
            <rect x={b.x - b.w / 2} y={b.y - b.h / 2} width={b.w} height={b.h} rx="8" />
            <g
              class="graph-cluster-head"
              onClick={(e) => {
                e.stopPropagation();
                if (suppressClick.current) return;
                onToggle(b.name);
              }}
            >
              <title>{`${b.name} — click to collapse`}</title>
              <text x={b.x - b.w / 2 + 10} y={b.y - b.h / 2 + 15}>
                <tspan class="graph-chevron">▾ </tspan>
                {truncate(b.label, b.w - 40)}
                <tspan class="graph-sub"> · {b.sub}</tspan>
              </text>
            </g>
          </g>
        ))}
        <g class="graph-edges">
          {layout.edges.map((e) => {
            const hi = selRep !== null && (e.from === selRep || e.to === selRep);
            return (
              <path
                key={e.from + '\u0000' + e.to}
                class={'graph-edge' + (e.control ? ' control' : '') + (hi ? ' hi' : '')}
                data-from={e.from}
                data-to={e.to}
                d={edgePath(e.points)}
                stroke-width={Math.min(4, 1.2 + Math.log2(e.count) * 0.6)}
                marker-end={hi ? 'url(#graph-arrow-hi)' : 'url(#graph-arrow)'}
              />
            );
          })}
        </g>
        {leaves.map((b) => {
          const x = b.x - b.w / 2;
          const y = b.y - b.h / 2;
          const isSel = selRep === b.id;
          const cls =
            'graph-node ' + b.kind + (isSel ? ' selected' : '') + (related.has(b.id) ? ' related' : '');
          return (
            <g
              key={b.id}
              class={cls}
              data-kind={b.kind}
              data-name={b.name}
              data-depth={String(b.depth)}
              onClick={(e) => clickBox(b, e as unknown as MouseEvent)}
            >
              <title>{b.kind === 'scope' ? `${b.name} (${b.sub}) — click to expand` : `${b.name}\n${b.op}`}</title>
              {b.kind === 'scope' ? (
                <>
                  <rect class="graph-scope-shadow" x={x + 4} y={y + 4} width={b.w} height={b.h} rx="10" />
                  <rect class="graph-box" x={x} y={y} width={b.w} height={b.h} rx="10" />
                  <text class="graph-label" x={b.x} y={b.y - 3} text-anchor="middle">
                    {truncate(b.label, b.w)}
                  </text>
                  <text class="graph-sub" x={b.x} y={b.y + 12} text-anchor="middle">
                    {'+ ' + b.sub}
                  </text>
                </>
              ) : (
                <>
                  <rect class="graph-box" x={x} y={y} width={b.w} height={b.h} rx="6" />
                  <rect class="graph-op-band" x={x} y={y} width="5" height={b.h} rx="2" fill={opColor(b.op)} />
                  <text class="graph-label" x={b.x + 2} y={b.y - 3} text-anchor="middle">
                    {truncate(b.label, b.w - 6)}
                  </text>
                  <text class="graph-sub" x={b.x + 2} y={b.y + 12} text-anchor="middle" fill={opColor(b.op)}>
                    {truncate(b.sub, b.w - 6)}
                  </text>
                </>
              )}
            </g>
          );
        })}
      </g>
    </svg>
  );
}

interface PanelProps {
  model: GraphModel | null;
  selected: string | null;
  expanded: ReadonlySet<string>;
  stats: { tag: string; stats: RunStats } | null;
  onSelect: (name: string) => void;
  onToggle: (path: string) => void;
}

/** A node's inputs or outputs: a heading with their count, then the list, or "None". */
function NodeList({ title, testid, children }: { title: string; testid: string; children: VNode[] }) {
  return (
    <>
      <h4>
        {title} ({children.length})
      </h4>
      {children.length === 0 ? (
        <p class="graph-none">None</p>
      ) : (
        <ul class="graph-list" data-testid={testid}>
          {children}
        </ul>
      )}
    </>
  );
}

function NodeLink({ name, onSelect, control }: { name: string; onSelect: (n: string) => void; control?: boolean }) {
  return (
    <button class="graph-link" title={name} onClick={() => onSelect(name)}>
      {control ? '^' : ''}
      {name}
    </button>
  );
}

function SidePanel({ model, selected, expanded, stats, onSelect, onToggle }: PanelProps) {
  let content: ComponentChildren;
  if (!model) {
    content = null;
  } else if (selected?.startsWith('n:') && model.nodes.has(selected.slice(2))) {
    const n = model.nodes.get(selected.slice(2))!;
    const nodeStats = stats?.stats.byNode.get(n.name) ?? [];
    const tooLarge = n.attrs.find(([k]) => k === LARGE_ATTRS_KEY);
    content = (
      <div class="graph-details" data-testid="graph-details" data-name={n.name}>
        <h3 class="graph-details-name" title={n.name}>
          {n.name}
        </h3>
        <dl class="graph-props">
          <dt>Op</dt>
          <dd>
            <span class="graph-op-dot" style={{ background: opColor(n.op) }} />
            {n.op || '—'}
          </dd>
          <dt>Device</dt>
          <dd>{n.device || '—'}</dd>
        </dl>
        <NodeList title="Inputs" testid="graph-inputs">
          {n.inputs.map((i) => (
            <li key={i.raw}>
              {i.source ? (
                <NodeLink name={i.source} control={i.control} onSelect={onSelect} />
              ) : (
                <span class="graph-missing" title="Not a node of this graph">
                  {i.raw}
                </span>
              )}
            </li>
          ))}
        </NodeList>
        <NodeList title="Outputs" testid="graph-outputs">
          {n.outputs.map((o) => (
            <li key={o}>
              <NodeLink name={o} onSelect={onSelect} />
            </li>
          ))}
        </NodeList>
        <h4>Attributes ({n.attrs.filter(([k]) => k !== LARGE_ATTRS_KEY).length})</h4>
        <dl class="graph-attrs" data-testid="graph-attrs">
          {n.attrs
            .filter(([k]) => k !== LARGE_ATTRS_KEY)
            .map(([k, v]) => (
              <Fragment key={k}>
                <dt>{k}</dt>
                <dd>{formatAttr(v)}</dd>
              </Fragment>
            ))}
        </dl>
        {tooLarge && <p class="graph-none">Left out (too large): {formatAttr(tooLarge[1])}</p>}
        {stats && (
          <>
            <h4>Step stats ({stats.tag})</h4>
            {nodeStats.length === 0 ? (
              <p class="graph-none">Not profiled in this step.</p>
            ) : (
              <dl class="graph-props">
                {nodeStats.map((s, i) => (
                  <Fragment key={i}>
                    <dt>Device</dt>
                    <dd>{s.device}</dd>
                    <dt>Compute</dt>
                    <dd>{formatMicros(s.computeMicros)}</dd>
                    <dt>Total</dt>
                    <dd>{formatMicros(s.totalMicros)}</dd>
                    {s.peakBytes > 0 && (
                      <>
                        <dt>Memory</dt>
                        <dd>{formatBytes(s.peakBytes)}</dd>
                      </>
                    )}
                  </Fragment>
                ))}
              </dl>
            )}
          </>
        )}
      </div>
    );
  } else if (selected?.startsWith('s:') && model.scopes.has(selected.slice(2))) {
    const path = selected.slice(2);
    const s = model.scopes.get(path)!;
    const open = expanded.has(path);
    content = (
      <div class="graph-details" data-testid="graph-details" data-name={path}>
        <h3 class="graph-details-name" title={path}>
          {path}
        </h3>
        <dl class="graph-props">
          <dt>Kind</dt>
          <dd>Name scope</dd>
          <dt>Ops</dt>
          <dd>{s.opCount}</dd>
          <dt>Children</dt>
          <dd>{s.children.length}</dd>
        </dl>
        <button class="graph-button" onClick={() => onToggle(path)}>
          {open ? 'Collapse' : 'Expand'}
        </button>
        <h4>Contents</h4>
        <ul class="graph-list">
          {s.children.map((c) => (
            <li key={c}>
              {c.startsWith('n:') ? (
                <NodeLink name={c.slice(2)} onSelect={onSelect} />
              ) : (
                <span class="graph-scope-name">{c.slice(2)}/</span>
              )}
            </li>
          ))}
        </ul>
      </div>
    );
  } else {
    const root = model.scopes.get('')!;
    const ops = new Map<string, number>();
    for (const n of model.nodes.values()) ops.set(n.op, (ops.get(n.op) ?? 0) + 1);
    const topOps = [...ops].sort((a, b) => b[1] - a[1]).slice(0, 12);
    content = (
      <div class="graph-details" data-testid="graph-summary">
        <h3>Graph</h3>
        <dl class="graph-props">
          <dt>Nodes</dt>
          <dd>{model.nodes.size}</dd>
          <dt>Scopes</dt>
          <dd>{model.scopes.size - 1}</dd>
          <dt>Top level</dt>
          <dd>{root.children.length}</dd>
        </dl>
        <p class="graph-hint">Click a scope to open it, a node to see its details. Drag to pan, scroll to zoom.</p>
        <h4>Op types</h4>
        <ul class="graph-legend">
          {topOps.map(([op, count]) => (
            <li key={op}>
              <span class="graph-op-dot" style={{ background: opColor(op) }} />
              <span class="graph-legend-op" title={op}>
                {op || '(none)'}
              </span>
              <span class="graph-legend-count">{count}</span>
            </li>
          ))}
          {ops.size > topOps.length && <li class="graph-none">… {ops.size - topOps.length} more</li>}
        </ul>
      </div>
    );
  }
  return (
    <aside class="graph-panel" data-testid="graph-panel">
      {content}
      {model && stats && <DeviceStats tag={stats.tag} stats={stats.stats} />}
    </aside>
  );
}

function DeviceStats({ tag, stats }: { tag: string; stats: RunStats }) {
  return (
    <div class="graph-details graph-devices" data-testid="graph-device-stats">
      <h4>Run metadata ({tag})</h4>
      {stats.devices.length === 0 ? (
        <p class="graph-none">No device stats.</p>
      ) : (
        <table class="graph-table">
          <thead>
            <tr>
              <th>Device</th>
              <th>Nodes</th>
              <th>Time</th>
            </tr>
          </thead>
          <tbody>
            {stats.devices.map((d) => (
              <tr key={d.device}>
                <td title={d.device}>{d.device || '—'}</td>
                <td>{d.nodes}</td>
                <td>{formatMicros(d.totalMicros)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
