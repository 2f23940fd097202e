// Server routes used by the histograms, distributions, images, audio and
// text dashboards. URLs are relative to the server root (see api.ts).
import { apiUrl, getJson, isObject, query, toNumber } from '../api';

/** One tag of one run in a plugin's tag listing. */
export interface TagInfo {
  run: string;
  tag: string;
  description: string;
  /** Largest number of items per step (images, audio); 1 otherwise. */
  samples: number;
}

/**
 * A plugin's tag listing, flattened to (run, tag) pairs. Handles both the
 * `{run: {tag: info}}` shape and text's `{run: [tag, ...]}`.
 */
export async function fetchTagListing(plugin: string, signal?: AbortSignal): Promise<TagInfo[]> {
  const body = await getJson(`data/plugin/${plugin}/tags`, signal);
  const out: TagInfo[] = [];
  if (!isObject(body)) return out;
  for (const run of Object.keys(body)) {
    const v = body[run];
    if (Array.isArray(v)) {
      for (const tag of v) if (typeof tag === 'string') out.push({ run, tag, description: '', samples: 1 });
    } else if (isObject(v)) {
      for (const tag of Object.keys(v)) {
        const info = v[tag];
        const description = isObject(info) && typeof info.description === 'string' ? info.description : '';
        const samples = isObject(info) && typeof info.samples === 'number' ? info.samples : 1;
        out.push({ run, tag, description, samples });
      }
    }
  }
  return out;
}

export interface Bucket {
  left: number;
  right: number;
  count: number;
}

export interface HistogramStep {
  wallTime: number;
  step: number;
  buckets: Bucket[];
}

/** The items of the list `v` that are lists of `width` or more (none if `v` is no list). */
function tuples(v: unknown, width: number): unknown[][] {
  return Array.isArray(v) ? v.filter((e): e is unknown[] => Array.isArray(e) && e.length >= width) : [];
}

export async function fetchHistograms(run: string, tag: string, signal?: AbortSignal): Promise<HistogramStep[]> {
  const body = await getJson(`data/plugin/histograms/histograms?${query({ run, tag })}`, signal);
  return tuples(body, 3).map((e) => ({
    wallTime: toNumber(e[0]),
    step: toNumber(e[1]),
    buckets: tuples(e[2], 3).map((b): Bucket => ({ left: toNumber(b[0]), right: toNumber(b[1]), count: toNumber(b[2]) })),
  }));
}

export interface DistributionStep {
  wallTime: number;
  step: number;
  /** Basis points (0..10000) of the nine percentiles. */
  bps: number[];
  values: number[];
}

export async function fetchDistributions(run: string, tag: string, signal?: AbortSignal): Promise<DistributionStep[]> {
  const body = await getJson(`data/plugin/distributions/distributions?${query({ run, tag })}`, signal);
  return tuples(body, 3)
    .filter((e) => Array.isArray(e[2]))
    .map((e) => {
      const points = tuples(e[2], 2);
      return { wallTime: toNumber(e[0]), step: toNumber(e[1]), bps: points.map((p) => toNumber(p[0])), values: points.map((p) => toNumber(p[1])) };
    });
}

/** One step of an images, audio or text series. */
export interface MediaStep {
  wallTime: number;
  step: number;
  /** Absolute URL of the item (images, audio). */
  url: string;
  /** Audio: MIME type of the clip. */
  contentType: string;
  /** Audio: label; text: the rendered text. Sanitised HTML from the server. */
  html: string;
}

function mediaSteps(body: unknown, route: string): MediaStep[] {
  if (!Array.isArray(body)) return [];
  const out: MediaStep[] = [];
  for (const e of body) {
    if (!isObject(e)) continue;
    const q = typeof e.query === 'string' ? e.query : '';
    out.push({
      wallTime: toNumber(e.wall_time),
      step: toNumber(e.step),
      url: q && route ? apiUrl(`${route}?${q}`) : '',
      contentType: typeof e.contentType === 'string' ? e.contentType : '',
      html: typeof e.label === 'string' ? e.label : typeof e.text === 'string' ? e.text : '',
    });
  }
  return out;
}

export async function fetchImages(run: string, tag: string, sample: number, signal?: AbortSignal): Promise<MediaStep[]> {
  const body = await getJson(`data/plugin/images/images?${query({ run, tag, sample })}`, signal);
  return mediaSteps(body, 'data/plugin/images/individualImage');
}

export async function fetchAudio(run: string, tag: string, sample: number, signal?: AbortSignal): Promise<MediaStep[]> {
  const body = await getJson(`data/plugin/audio/audio?${query({ run, tag, sample })}`, signal);
  return mediaSteps(body, 'data/plugin/audio/individualAudio');
}

export async function fetchText(run: string, tag: string, signal?: AbortSignal): Promise<MediaStep[]> {
  const body = await getJson(`data/plugin/text/text?${query({ run, tag })}`, signal);
  return mediaSteps(body, '');
}
