// Server routes of the mesh dashboard. URLs are relative to the server
// root (see api.ts).
import { getJson, isObject, query, request, toNumber } from '../api';

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
  const resp = await request(`data/plugin/mesh/data?${query({ run, tag, content_type: ct, sample: 0, step })}`, { signal });
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
