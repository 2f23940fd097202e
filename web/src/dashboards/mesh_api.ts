// Server routes used by the mesh and projector dashboards.
import { apiUrl, HttpError, toNumber } from '../api';

function query(params: Record<string, string | number>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) p.set(k, String(v));
  return p.toString();
}

async function get(path: string, signal?: AbortSignal): Promise<Response> {
  const resp = await fetch(apiUrl(path), { cache: 'no-store', signal });
  if (!resp.ok) {
    const text = await resp.text();
    throw new HttpError(resp.status, `${path}: HTTP ${resp.status} ${text.slice(0, 200)}`);
  }
  return resp;
}

async function getJson(path: string, signal?: AbortSignal): Promise<unknown> {
  return (await get(path, signal)).json();
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---- mesh ----

export const MESH_VERTEX = 1;
export const MESH_FACE = 2;
export const MESH_COLOR = 3;

/** One step of a mesh summary: which components exist, and the scene config. */
export interface MeshStep {
  step: number;
  wallTime: number;
  /** Bitmask, bit (1 << content type). */
  components: number;
  /** Content types actually stored at this step. */
  stored: Set<number>;
  /** Parsed json_config (may be empty). */
  config: Record<string, unknown>;
  /** Number of vertices (from the VERTEX shape). */
  vertices: number;
}

function parseConfig(s: unknown): Record<string, unknown> {
  if (typeof s !== 'string' || !s.trim()) return {};
  try {
    const v = JSON.parse(s);
    return isObject(v) ? v : {};
  } catch {
    return {};
  }
}

export async function fetchMeshSteps(run: string, tag: string, signal?: AbortSignal): Promise<MeshStep[]> {
  const body = await getJson(`data/plugin/mesh/meshes?${query({ run, tag, sample: 0 })}`, signal);
  const byStep = new Map<number, MeshStep>();
  if (!Array.isArray(body)) return [];
  for (const e of body) {
    if (!isObject(e)) continue;
    const step = toNumber(e.step);
    let s = byStep.get(step);
    if (!s) {
      s = { step, wallTime: toNumber(e.wall_time), components: 14, stored: new Set(), config: {}, vertices: 0 };
      byStep.set(step, s);
    }
    const ct = toNumber(e.content_type);
    s.stored.add(ct);
    if (typeof e.components === 'number' && e.components) s.components = e.components;
    const cfg = parseConfig(e.config);
    if (Object.keys(cfg).length) s.config = cfg;
    if (ct === MESH_VERTEX && Array.isArray(e.data_shape) && e.data_shape.length >= 2) {
      s.vertices = toNumber(e.data_shape[1]);
    }
  }
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

export interface MeshData {
  vertices: Float32Array;
  faces: Int32Array | null;
  colors: Uint8Array | null;
}

async function meshPart(run: string, tag: string, ct: string, step: number, signal?: AbortSignal): Promise<ArrayBuffer> {
  const resp = await get(`data/plugin/mesh/data?${query({ run, tag, content_type: ct, sample: 0, step })}`, signal);
  return resp.arrayBuffer();
}

/** Vertices, faces and colours of one step (the latter two when stored). */
export async function fetchMeshData(run: string, tag: string, s: MeshStep, signal?: AbortSignal): Promise<MeshData> {
  const [v, f, c] = await Promise.all([
    meshPart(run, tag, 'VERTEX', s.step, signal),
    s.stored.has(MESH_FACE) ? meshPart(run, tag, 'FACE', s.step, signal) : Promise.resolve(null),
    s.stored.has(MESH_COLOR) ? meshPart(run, tag, 'COLOR', s.step, signal) : Promise.resolve(null),
  ]);
  // Responses are little-endian; so is every platform a browser runs on.
  const vertices = new Float32Array(v, 0, Math.floor(v.byteLength / 4));
  const faces = f && f.byteLength >= 12 ? new Int32Array(f, 0, Math.floor(f.byteLength / 4)) : null;
  const colors = c && c.byteLength >= 3 ? new Uint8Array(c) : null;
  return { vertices, faces, colors };
}

// ---- projector ----

export interface SpriteInfo {
  imagePath: string;
  singleImageDim: [number, number];
}

export interface EmbeddingInfo {
  tensorName: string;
  tensorShape: [number, number];
  metadataPath: string;
  sprite: SpriteInfo | null;
}

export async function fetchProjectorRuns(signal?: AbortSignal): Promise<string[]> {
  const body = await getJson('data/plugin/projector/runs', signal);
  return Array.isArray(body) ? body.filter((r): r is string => typeof r === 'string') : [];
}

export async function fetchProjectorInfo(run: string, signal?: AbortSignal): Promise<EmbeddingInfo[]> {
  const body = await getJson(`data/plugin/projector/info?${query({ run })}`, signal);
  const out: EmbeddingInfo[] = [];
  if (!isObject(body) || !Array.isArray(body.embeddings)) return out;
  for (const e of body.embeddings) {
    if (!isObject(e) || typeof e.tensorName !== 'string') continue;
    const shape = Array.isArray(e.tensorShape) ? e.tensorShape.map(toNumber) : [];
    let sprite: SpriteInfo | null = null;
    if (isObject(e.sprite) && typeof e.sprite.imagePath === 'string' && e.sprite.imagePath) {
      const d = Array.isArray(e.sprite.singleImageDim) ? e.sprite.singleImageDim.map(toNumber) : [];
      if (d.length >= 2 && d[0] > 0 && d[1] > 0) sprite = { imagePath: e.sprite.imagePath, singleImageDim: [d[0], d[1]] };
    }
    out.push({
      tensorName: e.tensorName,
      tensorShape: [shape[0] ?? 0, shape[1] ?? 0],
      metadataPath: typeof e.metadataPath === 'string' ? e.metadataPath : '',
      sprite,
    });
  }
  return out;
}

export async function fetchProjectorTensor(run: string, name: string, signal?: AbortSignal): Promise<Float32Array> {
  const buf = await (await get(`data/plugin/projector/tensor?${query({ run, name })}`, signal)).arrayBuffer();
  return new Float32Array(buf, 0, Math.floor(buf.byteLength / 4));
}

export interface Metadata {
  columns: string[];
  /** rows[i][c]: value of column c for point i. */
  rows: string[][];
}

/**
 * The metadata TSV: with one column there is no header row; with several,
 * the first line names the columns.
 */
export function parseMetadata(text: string): Metadata {
  const lines = text.split(/\r?\n/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (!lines.length) return { columns: [], rows: [] };
  const multi = lines[0].includes('\t');
  if (!multi) return { columns: ['label'], rows: lines.map((l) => [l]) };
  const columns = lines[0].split('\t');
  const rows = lines.slice(1).map((l) => l.split('\t'));
  return { columns, rows };
}

export async function fetchProjectorMetadata(run: string, name: string, signal?: AbortSignal): Promise<Metadata> {
  const text = await (await get(`data/plugin/projector/metadata?${query({ run, name })}`, signal)).text();
  return parseMetadata(text);
}

export function spriteUrl(run: string, name: string): string {
  return apiUrl(`data/plugin/projector/sprite_image?${query({ run, name })}`);
}
