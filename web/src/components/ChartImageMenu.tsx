// A chart card's "Image" menu: the chart as SVG or PNG at a chosen size,
// light or dark (chart/chartImage.ts), saved as a file. A scalar card hands
// over its chart's view; every other chart its own Figure.
import { useState } from 'preact/hooks';
import { chartPng, figureSvg, scalarFigure, type Figure } from '../chart/chartImage';
import type { ChartView } from '../chart/scalarChart';
import { downloadBlob } from '../download';
import { isDark } from '../prefs';
import { MenuButton } from './MenuButton';

const clamp = (v: number, lo: number, hi: number, dflt: number) => (Number.isFinite(v) ? Math.min(hi, Math.max(lo, Math.round(v))) : dflt);

interface Props {
  title: string;
  view?: () => ChartView | null;
  figure?: () => Figure | null;
}

export function ChartImageMenu({ title, view, figure }: Props) {
  const [open, setOpen] = useState(false);
  const [width, setWidth] = useState(800);
  const [height, setHeight] = useState(500);
  const [dark, setDark] = useState(isDark());
  const [error, setError] = useState('');
  const file = (ext: string) => `${title}.${ext}`.replace(/[^\w.-]+/g, '_');
  const save = async (kind: 'svg' | 'png') => {
    const v = view?.();
    const fig = v ? scalarFigure(v) : (figure?.() ?? null);
    if (!fig || fig.panels.length === 0) {
      setError('Nothing drawn yet');
      return;
    }
    setError('');
    const w = clamp(width, 200, 8000, 800);
    const h = clamp(height, 150, 8000, 500);
    const svg = figureSvg(fig, { width: w, height: h, dark, title });
    try {
      if (kind === 'svg') downloadBlob(new Blob([svg], { type: 'image/svg+xml' }), file('svg'));
      else downloadBlob(await chartPng(svg, w, h), file('png'));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const icon = (
    <svg viewBox="0 0 24 24" aria-hidden="true">
      <rect x="3.5" y="5" width="17" height="14" rx="1.5" fill="none" stroke="currentColor" stroke-width="1.8" />
      <path d="M6 16l4-5 3 3 2-2 3 4" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linejoin="round" />
    </svg>
  );
  return (
    <MenuButton
      open={open}
      setOpen={setOpen}
      kind="card-button"
      title="Save the chart as an image"
      label="Save the chart as an image"
      testid="chart-image"
      icon={icon}
    >
      {() => (
        <div class="menu image-menu" role="menu">
          <div class="menu-title">Save as image</div>
          <label class="menu-row">
            Width
            <input type="number" min={200} max={8000} value={width} data-testid="image-width" onInput={(e) => setWidth(Number((e.target as HTMLInputElement).value))} />
          </label>
          <label class="menu-row">
            Height
            <input type="number" min={150} max={8000} value={height} data-testid="image-height" onInput={(e) => setHeight(Number((e.target as HTMLInputElement).value))} />
          </label>
          <label class="menu-row">
            Theme
            <select value={dark ? 'dark' : 'light'} data-testid="image-theme" onChange={(e) => setDark((e.target as HTMLSelectElement).value === 'dark')}>
              <option value="light">Light</option>
              <option value="dark">Dark</option>
            </select>
          </label>
          <div class="menu-row">
            <button class="text-button" data-testid="download-svg" onClick={() => void save('svg')}>
              Download SVG
            </button>
            <button class="text-button" data-testid="download-png" onClick={() => void save('png')}>
              Download PNG
            </button>
          </div>
          {error && <div class="menu-empty">{error}</div>}
        </div>
      )}
    </MenuButton>
  );
}
