// The toolbar above the cards: tag filter, smoothing, x axis, y scale,
// outliers and (for Time Series) the histogram mode.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { compileFilter, settings, type HistogramMode, type Settings, type SmoothMode, type XAxis } from '../state';
import { GroupControls } from './GroupControls';
import { Segmented } from './Segmented';
import { TagFilter } from './TagFilter';
import { YRangeControls } from './YRange';

const X_LABELS: Array<[XAxis, string]> = [
  ['step', 'Step'],
  ['relative', 'Relative'],
  ['wall', 'Wall'],
];

/** The histogram modes, with their buttons' names. */
export const HISTOGRAM_MODES: Array<[HistogramMode, string]> = [
  ['offset', 'Offset'],
  ['overlay', 'Overlay'],
];

/**
 * The smoothing slider moves freely; charts follow at most every
 * SMOOTHING_THROTTLE_MS while it is dragged, and always get the final value.
 */
const SMOOTHING_THROTTLE_MS = 120;

function useThrottledSmoothing(current: number): [number, (v: number) => void] {
  const [local, setLocal] = useState(current);
  const pending = useRef<number | null>(null);
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (pending.current === null) setLocal(current);
  }, [current]);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  const set = (v: number) => {
    setLocal(v);
    pending.current = v;
    if (timer.current !== undefined) return;
    const flush = () => {
      timer.current = undefined;
      if (pending.current === null) return;
      const value = pending.current;
      pending.current = null;
      settings.update({ smoothing: value });
      timer.current = window.setTimeout(() => {
        timer.current = undefined;
        if (pending.current !== null) flush();
      }, SMOOTHING_THROTTLE_MS);
    };
    flush();
  };
  return [local, set];
}

/** A checkbox bound to a boolean setting. */
function Toggle(p: { s: Settings; field: 'logX' | 'logY' | 'ignoreOutliers'; testid: string; label: string; title?: string }) {
  return (
    <label class="control checkbox" title={p.title}>
      <input
        type="checkbox"
        checked={p.s[p.field]}
        data-testid={p.testid}
        onChange={(e) => settings.update({ [p.field]: (e.target as HTMLInputElement).checked })}
      />
      <span>{p.label}</span>
    </label>
  );
}

interface Props {
  s: Settings;
  shown: number;
  total: number;
  /** Show the histogram offset/overlay switch. */
  histograms?: boolean;
  /** Scalar tags another may be plotted against (the x axis by tag). */
  scalarTags?: string[];
}

/** Pages of more tags than this apply the tag filter once typing pauses. */
const TAG_FILTER_LAZY = 1000;
/** The pause (ms) that applies the tag filter on such pages. */
const TAG_FILTER_PAUSE_MS = 150;

/**
 * The tag filter's text as typed, and its setter. On pages of thousands of
 * tags the cards follow once typing pauses, so each key only redraws the box.
 */
function useTagFilterText(applied: string, total: number): [string, (v: string) => void] {
  const [text, setText] = useState(applied);
  const timer = useRef<number | undefined>(undefined);
  const sent = useRef(applied);
  // Changed elsewhere (a shared link, a reset), not by what was typed: follow it.
  useEffect(() => {
    if (applied !== sent.current) setText(applied);
  }, [applied]);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  const set = (v: string) => {
    window.clearTimeout(timer.current);
    const apply = () => {
      sent.current = v;
      settings.update({ tagFilter: v });
    };
    if (total <= TAG_FILTER_LAZY) return apply();
    setText(v);
    timer.current = window.setTimeout(apply, TAG_FILTER_PAUSE_MS);
  };
  return [total <= TAG_FILTER_LAZY ? applied : text, set];
}

export function Controls({ s, shown, total, histograms, scalarTags }: Props) {
  const [tagText, setTagText] = useTagFilterText(s.tagFilter, total);
  const tagRe = compileFilter(tagText);
  const [smoothing, setSmoothing] = useThrottledSmoothing(s.smoothing);
  // Thousands of tags: the options exist once the menu is first used (the
  // chosen one before), and are the same vnode while the list is the same,
  // so a keystroke in the filter does not compare every option again.
  const [used, setUsed] = useState(false);
  const allOptions = used || (scalarTags?.length ?? 0) <= TAG_OPTIONS_AT_ONCE;
  const tagOptions = useMemo(
    () => <TagOptions tags={allOptions ? (scalarTags ?? []) : s.xAxis === 'tag' && s.xTag ? [s.xTag] : []} />,
    [scalarTags, allOptions, allOptions || s.xTag],
  );
  return (
    <div class="controls">
      <TagFilter
        value={tagText}
        valid={!!tagRe}
        onInput={setTagText}
        shown={shown}
        total={total}
        testid="tag-filter"
        countTestid="tag-count"
      />
      <div class="spacer" />
      <label class="control smoothing" title="Exponential moving average weight, or the moving average's window it stands for">
        <select
          aria-label="Smoothing kind"
          data-testid="smooth-mode"
          value={s.smoothMode}
          onChange={(e) => settings.update({ smoothMode: (e.target as HTMLSelectElement).value as SmoothMode })}
        >
          <option value="ema">Smoothing (EMA)</option>
          <option value="trailing">Trailing mean</option>
          <option value="centred">Centred mean</option>
        </select>
        <input
          type="range"
          min="0"
          max="0.999"
          step="0.001"
          value={smoothing}
          data-testid="smoothing"
          onInput={(e) => setSmoothing(Number((e.target as HTMLInputElement).value))}
        />
        <input
          class="number"
          type="number"
          min="0"
          max="0.999"
          step="0.01"
          value={smoothing}
          data-testid="smoothing-value"
          onChange={(e) => {
            const v = Number((e.target as HTMLInputElement).value);
            if (Number.isFinite(v)) setSmoothing(Math.min(0.999, Math.max(0, v)));
          }}
        />
      </label>
      <Segmented label="Horizontal axis" attr="xaxis" options={X_LABELS} value={s.xAxis} onChange={(key) => settings.update({ xAxis: key })}>
        {scalarTags && scalarTags.length > 0 && (
          <select
            class={s.xAxis === 'tag' ? 'active' : ''}
            title="Plot against another scalar logged at the same steps (aligned by step)"
            aria-label="Horizontal axis: a scalar tag"
            data-testid="x-tag"
            value={s.xAxis === 'tag' ? s.xTag : ''}
            onFocus={() => setUsed(true)}
            onMouseDown={() => setUsed(true)}
            onChange={(e) => {
              const tag = (e.target as HTMLSelectElement).value;
              settings.update(tag ? { xAxis: 'tag', xTag: tag } : { xAxis: 'step', xTag: '' });
            }}
          >
            <option value="">Tag…</option>
            {tagOptions}
          </select>
        )}
      </Segmented>
      {scalarTags && (
        <Toggle s={s} field="logX" testid="log-x" label="Log x" title="Logarithmic x axis (points at x ≤ 0 are left out)" />
      )}
      <Toggle s={s} field="logY" testid="log-y" label="Log scale" />
      <Toggle s={s} field="ignoreOutliers" testid="ignore-outliers" label="Ignore outliers" title="Fit the y axis to the 5th–95th percentile" />
      <YRangeControls s={s} />
      {scalarTags && <GroupControls s={s} />}
      {histograms && (
        <Segmented
          label="Histogram mode"
          attr="hist-mode"
          options={HISTOGRAM_MODES}
          value={s.histogramMode}
          onChange={(m) => settings.update({ histogramMode: m })}
        />
      )}
    </div>
  );
}

/** Menus of up to this many tags hold their options from the start. */
const TAG_OPTIONS_AT_ONCE = 500;

function TagOptions({ tags }: { tags: string[] }) {
  return (
    <>
      {tags.map((t) => (
        <option key={t} value={t}>
          {t}
        </option>
      ))}
    </>
  );
}
