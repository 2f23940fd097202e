// Server routes of the projector dashboard. URLs are relative to the
// server root (see api.ts).
import { apiUrl, getJson, getText, isObject, query, request, toNumber } from '../api';

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
  const buf = await (await request(`data/plugin/projector/tensor?${query({ run, name })}`, { signal })).arrayBuffer();
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
  const text = await getText(`data/plugin/projector/metadata?${query({ run, name })}`, signal);
  return parseMetadata(text);
}

export function spriteUrl(run: string, name: string): string {
  return apiUrl(`data/plugin/projector/sprite_image?${query({ run, name })}`);
}
