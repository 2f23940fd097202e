// Server routes of the graphs dashboard. URLs are relative to the server
// root (see api.ts).
import { getText, isObject } from '../api';
import { parsePbText, type PbMessage } from './pbtext';

export interface GraphTagInfo {
  tag: string;
  conceptualGraph: boolean;
  opGraph: boolean;
  profile: boolean;
}

export interface GraphRunInfo {
  run: string;
  runGraph: boolean;
  tags: GraphTagInfo[];
}

/** graphs/info: which runs have which kinds of graphs. */
export async function fetchGraphInfo(signal?: AbortSignal): Promise<GraphRunInfo[]> {
  const body: unknown = JSON.parse(await getText('data/plugin/graphs/info', signal));
  const out: GraphRunInfo[] = [];
  if (!isObject(body)) return out;
  for (const run of Object.keys(body)) {
    const r = body[run];
    if (!isObject(r)) continue;
    const tags: GraphTagInfo[] = [];
    if (isObject(r.tags)) {
      for (const tag of Object.keys(r.tags).sort()) {
        const t = r.tags[tag];
        if (!isObject(t)) continue;
        tags.push({ tag, conceptualGraph: !!t.conceptual_graph, opGraph: !!t.op_graph, profile: !!t.profile });
      }
    }
    out.push({ run, runGraph: !!r.run_graph, tags });
  }
  return out;
}

/** Size above which an attribute value is left out of the answer. */
export const LIMIT_ATTR_SIZE = 1024;
/** The attribute listing the names of attributes that were left out. */
export const LARGE_ATTRS_KEY = '_too_large_attrs';

/** graphs/graph: a GraphDef, parsed from its text format. */
export async function fetchGraphDef(
  run: string,
  tag: string | null,
  conceptual: boolean,
  signal?: AbortSignal,
): Promise<PbMessage> {
  const p = new URLSearchParams();
  p.set('run', run);
  if (tag !== null) p.set('tag', tag);
  if (conceptual) p.set('conceptual', 'true');
  p.set('limit_attr_size', String(LIMIT_ATTR_SIZE));
  p.set('large_attrs_key', LARGE_ATTRS_KEY);
  return parsePbText(await getText(`data/plugin/graphs/graph?${p}`, signal));
}

/** graphs/run_metadata: a RunMetadata (step stats per device). */
export async function fetchRunMetadata(run: string, tag: string, signal?: AbortSignal): Promise<PbMessage> {
  const p = new URLSearchParams({ run, tag });
  return parsePbText(await getText(`data/plugin/graphs/run_metadata?${p}`, signal));
}
