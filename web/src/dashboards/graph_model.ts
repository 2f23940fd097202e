// The graph behind the graphs dashboard: ops from a GraphDef, grouped into a
// tree of name scopes, and the layout of what is visible when some scopes
// are expanded.
import dagre from '@dagrejs/dagre';
import { isPbMessage, pbMsg, pbMsgs, pbNum, pbStr, pbStrs, type PbMessage, type PbValue } from './pbtext';

export interface OpInput {
  /** The input as written ("^x" for a control input, "x:1" for an output). */
  raw: string;
  /** The node it comes from, when that node is in the graph. */
  source: string | null;
  control: boolean;
}

export interface OpNode {
  name: string;
  op: string;
  device: string;
  inputs: OpInput[];
  /** Names of the nodes that read this one (data or control). */
  outputs: string[];
  attrs: Array<[string, PbMessage]>;
  /** Scope path ('' at the top). */
  scope: string;
}

export interface Scope {
  path: string;
  /** Child ids: 'n:' + node name or 's:' + scope path, in graph order. */
  children: string[];
  /** Ops anywhere below. */
  opCount: number;
}

export interface GraphModel {
  nodes: Map<string, OpNode>;
  /** Every scope by path; '' is the root. */
  scopes: Map<string, Scope>;
}

export const nodeId = (name: string) => 'n:' + name;
export const scopeId = (path: string) => 's:' + path;

export function scopeOf(name: string): string {
  const i = name.lastIndexOf('/');
  return i < 0 ? '' : name.slice(0, i);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Scope paths enclosing a node or scope, outermost first (root excluded). */
export function ancestors(path: string): string[] {
  const out: string[] = [];
  let i = path.indexOf('/');
  while (i >= 0) {
    out.push(path.slice(0, i));
    i = path.indexOf('/', i + 1);
  }
  return out;
}

export function buildModel(graphDef: PbMessage): GraphModel {
  const nodes = new Map<string, OpNode>();
  const scopes = new Map<string, Scope>([['', { path: '', children: [], opCount: 0 }]]);
  const ensureScope = (path: string): Scope => {
    let s = scopes.get(path);
    if (!s) {
      s = { path, children: [], opCount: 0 };
      scopes.set(path, s);
      const parent = ensureScope(scopeOf(path));
      parent.children.push(scopeId(path));
    }
    return s;
  };
  const defs = pbMsgs(graphDef, 'node');
  for (const def of defs) {
    const name = pbStr(def, 'name');
    if (!name || nodes.has(name)) continue;
    const attrs: Array<[string, PbMessage]> = [];
    for (const a of pbMsgs(def, 'attr')) attrs.push([pbStr(a, 'key'), pbMsg(a, 'value') ?? {}]);
    attrs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const scope = scopeOf(name);
    nodes.set(name, {
      name,
      op: pbStr(def, 'op'),
      device: pbStr(def, 'device'),
      inputs: pbStrs(def, 'input').map((raw) => ({ raw, source: null, control: raw.startsWith('^') })),
      outputs: [],
      attrs,
      scope,
    });
    ensureScope(scope).children.push(nodeId(name));
    for (let s: string | null = scope; s !== null; s = s === '' ? null : scopeOf(s)) scopes.get(s)!.opCount++;
  }
  for (const n of nodes.values()) {
    for (const inp of n.inputs) {
      let src = inp.control ? inp.raw.slice(1) : inp.raw;
      if (!nodes.has(src)) {
        const m = /^(.*):\d+$/.exec(src);
        if (m && nodes.has(m[1])) src = m[1];
      }
      if (nodes.has(src)) {
        inp.source = src;
        const outs = nodes.get(src)!.outputs;
        if (!outs.includes(n.name)) outs.push(n.name);
      }
    }
  }
  return { nodes, scopes };
}

/** The visible box standing for a node: itself, or its outermost collapsed scope. */
export function representative(name: string, expanded: ReadonlySet<string>): string {
  for (const a of ancestors(name)) if (!expanded.has(a)) return scopeId(a);
  return nodeId(name);
}

export interface LayoutBox {
  id: string;
  kind: 'op' | 'scope' | 'cluster';
  /** Node name or scope path. */
  name: string;
  label: string;
  sub: string;
  /** Centre and size. */
  x: number;
  y: number;
  w: number;
  h: number;
  depth: number;
  op: string;
}

export interface LayoutEdge {
  from: string;
  to: string;
  control: boolean;
  count: number;
  points: Array<{ x: number; y: number }>;
}

export interface GraphLayout {
  boxes: LayoutBox[];
  edges: LayoutEdge[];
  width: number;
  height: number;
}

const CHAR_W = 6.6;
const NODE_H = 38;

function textWidth(s: string): number {
  return Math.min(260, Math.max(72, s.length * CHAR_W + 24));
}

export function layoutGraph(model: GraphModel, expanded: ReadonlySet<string>): GraphLayout {
  const g = new dagre.graphlib.Graph({ compound: true, multigraph: false });
  g.setGraph({ rankdir: 'TB', nodesep: 22, ranksep: 42, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  const boxes = new Map<string, LayoutBox>();

  const visit = (scope: Scope, parent: string | null, depth: number) => {
    for (const child of scope.children) {
      if (child.startsWith('n:')) {
        const n = model.nodes.get(child.slice(2))!;
        const label = baseName(n.name);
        const w = textWidth(label.length > n.op.length ? label : n.op);
        boxes.set(child, { id: child, kind: 'op', name: n.name, label, sub: n.op, x: 0, y: 0, w, h: NODE_H, depth, op: n.op });
        g.setNode(child, { width: w, height: NODE_H });
      } else {
        const path = child.slice(2);
        const s = model.scopes.get(path)!;
        const label = baseName(path);
        const sub = `${s.opCount} op${s.opCount === 1 ? '' : 's'}`;
        if (expanded.has(path)) {
          boxes.set(child, { id: child, kind: 'cluster', name: path, label, sub, x: 0, y: 0, w: 0, h: 0, depth, op: '' });
          g.setNode(child, {});
          visit(s, child, depth + 1);
        } else {
          const w = textWidth(label) + 16;
          boxes.set(child, { id: child, kind: 'scope', name: path, label, sub, x: 0, y: 0, w, h: NODE_H + 4, depth, op: '' });
          g.setNode(child, { width: w, height: NODE_H + 4 });
        }
      }
      if (parent !== null) g.setParent(child, parent);
    }
    // A header node keeps room for the cluster's title above its contents.
    if (parent !== null) {
      const head = parent + '\u0000head';
      g.setNode(head, { width: textWidth(baseName(scope.path)) - 20, height: 1 });
      g.setParent(head, parent);
    }
  };
  visit(model.scopes.get('')!, null, 0);

  const edges = new Map<string, LayoutEdge>();
  for (const n of model.nodes.values()) {
    const to = representative(n.name, expanded);
    for (const inp of n.inputs) {
      if (!inp.source) continue;
      const from = representative(inp.source, expanded);
      if (from === to) continue;
      const key = from + '\u0000' + to;
      const e = edges.get(key);
      if (e) {
        e.count++;
        if (!inp.control) e.control = false;
      } else {
        edges.set(key, { from, to, control: inp.control, count: 1, points: [] });
      }
    }
  }
  for (const e of edges.values()) g.setEdge(e.from, e.to, { weight: e.control ? 1 : 2 });
  // Header nodes sit above everything else in their cluster.
  for (const b of boxes.values()) {
    const parent = g.parent(b.id);
    if (!parent) continue;
    if (b.kind === 'cluster') {
      g.setEdge(parent + '\u0000head', b.id + '\u0000head', { weight: 0, minlen: 1 });
      continue;
    }
    const preds = (g.predecessors(b.id) ?? []).filter((p) => g.parent(p) === parent);
    if (preds.length === 0) g.setEdge(parent + '\u0000head', b.id, { weight: 0, minlen: 1 });
  }

  dagre.layout(g);

  for (const b of boxes.values()) {
    const l = g.node(b.id) as { x: number; y: number; width: number; height: number };
    b.x = l.x;
    b.y = l.y;
    b.w = l.width;
    b.h = l.height;
    if (b.kind === 'cluster') {
      // Room for the title row.
      b.y -= 4;
      b.h += 8;
    }
  }
  for (const e of edges.values()) {
    const l = g.edge(e.from, e.to) as { points?: Array<{ x: number; y: number }> };
    e.points = l.points ?? [];
  }
  const gl = g.graph() as { width?: number; height?: number };
  return {
    boxes: [...boxes.values()],
    edges: [...edges.values()],
    width: gl.width ?? 0,
    height: gl.height ?? 0,
  };
}

// ---- attribute formatting ----

function dtypeName(v: PbValue | undefined): string {
  if (typeof v === 'string') return v.replace(/^DT_/, '').toLowerCase();
  if (typeof v === 'number') return `type ${v}`;
  return '?';
}

export function formatShape(shape: PbMessage | undefined): string {
  if (!shape) return '?';
  if (shape.unknown_rank?.[0] === true) return '<unknown>';
  const dims = pbMsgs(shape, 'dim').map((d) => {
    const size = pbNum(d, 'size', 0);
    return size < 0 ? '?' : String(size);
  });
  return `[${dims.join(', ')}]`;
}

function clip(s: string, n = 160): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

function formatTensor(t: PbMessage): string {
  const parts = [dtypeName(t.dtype?.[0]), formatShape(pbMsg(t, 'tensor_shape'))];
  for (const k of Object.keys(t)) {
    if (!k.endsWith('_val')) continue;
    const vals = t[k].slice(0, 8).map((v) => (typeof v === 'string' ? JSON.stringify(v) : String(v)));
    parts.push(`${vals.join(', ')}${t[k].length > 8 ? ', …' : ''}`);
  }
  if (t.tensor_content) parts.push('(binary content)');
  return parts.join(' ');
}

function formatGeneric(v: PbValue): string {
  if (!isPbMessage(v)) return typeof v === 'string' ? JSON.stringify(v) : String(v);
  const parts: string[] = [];
  for (const [k, vals] of Object.entries(v)) for (const x of vals) parts.push(`${k}: ${formatGeneric(x)}`);
  return `{${parts.join(', ')}}`;
}

function formatOne(kind: string, v: PbValue): string {
  switch (kind) {
    case 's':
      return typeof v === 'string' ? JSON.stringify(v) : String(v);
    case 'type':
      return dtypeName(v);
    case 'shape':
      return isPbMessage(v) ? formatShape(v) : '?';
    case 'tensor':
      return isPbMessage(v) ? formatTensor(v) : '?';
    case 'func':
      return isPbMessage(v) ? pbStr(v, 'name') : String(v);
    default:
      return formatGeneric(v);
  }
}

/** An AttrValue as one short line of text. */
export function formatAttr(value: PbMessage): string {
  const list = pbMsg(value, 'list');
  if (list) {
    const items: string[] = [];
    for (const [k, vals] of Object.entries(list)) for (const v of vals) items.push(formatOne(k, v));
    return clip(`[${items.join(', ')}]`, 240);
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return '(empty)';
  return clip(keys.map((k) => value[k].map((v) => formatOne(k, v)).join(', ')).join(' '), 240);
}

// ---- run metadata ----

export interface NodeStat {
  device: string;
  node: string;
  startMicros: number;
  computeMicros: number;
  totalMicros: number;
  peakBytes: number;
  label: string;
}

export interface DeviceStat {
  device: string;
  nodes: number;
  totalMicros: number;
}

export interface RunStats {
  devices: DeviceStat[];
  byNode: Map<string, NodeStat[]>;
}

export function runStats(meta: PbMessage): RunStats {
  const devices: DeviceStat[] = [];
  const byNode = new Map<string, NodeStat[]>();
  for (const dev of pbMsgs(pbMsg(meta, 'step_stats'), 'dev_stats')) {
    const device = pbStr(dev, 'device');
    const ds: DeviceStat = { device, nodes: 0, totalMicros: 0 };
    for (const ns of pbMsgs(dev, 'node_stats')) {
      const node = pbStr(ns, 'node_name');
      let peak = 0;
      for (const m of pbMsgs(ns, 'memory')) peak = Math.max(peak, pbNum(m, 'peak_bytes'), pbNum(m, 'total_bytes'));
      const st: NodeStat = {
        device,
        node,
        startMicros: pbNum(ns, 'all_start_micros'),
        computeMicros: Math.max(0, pbNum(ns, 'op_end_rel_micros') - pbNum(ns, 'op_start_rel_micros')),
        totalMicros: pbNum(ns, 'all_end_rel_micros'),
        peakBytes: peak,
        label: pbStr(ns, 'timeline_label'),
      };
      ds.nodes++;
      ds.totalMicros += st.totalMicros;
      let list = byNode.get(node);
      if (!list) byNode.set(node, (list = []));
      list.push(st);
    }
    devices.push(ds);
  }
  return { devices, byNode };
}

// ---- colours ----

const OP_PALETTE = [
  '#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2',
  '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#86bcb6',
  '#8cd17d', '#d4a6c8',
];

/** A stable colour for an op type. */
export function opColor(op: string): string {
  let h = 2166136261;
  for (let i = 0; i < op.length; i++) {
    h ^= op.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return OP_PALETTE[(h >>> 0) % OP_PALETTE.length];
}
