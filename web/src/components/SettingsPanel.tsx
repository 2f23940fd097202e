// Preferences popover: refresh interval, smoothing default, page size,
// card width, tooltip order and theme. Stored in localStorage.
import { DEFAULT_PREFS, prefs, type Prefs, type Theme, type TooltipSort } from '../prefs';
import { settings } from '../state';
import { NumberField } from './NumberField';

const REFRESH: Array<[number, string]> = [
  [0, 'Off'],
  [5, '5 seconds'],
  [10, '10 seconds'],
  [30, '30 seconds'],
  [60, '1 minute'],
  [300, '5 minutes'],
];

interface Props {
  prefs: Prefs;
  dataLocation: string;
  version: string;
}

export function SettingsPanel({ prefs: p, dataLocation, version }: Props) {
  const num = (e: Event) => Number((e.target as HTMLInputElement).value);
  return (
    <div class="menu settings-panel" role="dialog" aria-label="Settings" data-testid="settings-panel">
      <div class="menu-title">Settings</div>
      <label class="setting">
        <span>Reload data</span>
        <select
          value={String(p.refreshSec)}
          data-testid="refresh-interval"
          onChange={(e) => prefs.update({ refreshSec: num(e) })}
        >
          {(REFRESH.some(([v]) => v === p.refreshSec) ? REFRESH : [...REFRESH, [p.refreshSec, `${p.refreshSec} s`] as [number, string]]).map(
            ([v, label]) => (
              <option value={String(v)} key={v}>
                {label}
              </option>
            ),
          )}
        </select>
      </label>
      <NumberField
        class="setting"
        label="Default smoothing"
        type="number"
        min="0"
        max="0.999"
        step="0.05"
        value={p.defaultSmoothing}
        testid="default-smoothing"
        onChange={(v) => Number.isFinite(v) && prefs.update({ defaultSmoothing: Math.min(0.999, Math.max(0, v)) })}
      />
      <NumberField
        class="setting"
        label="Cards per group"
        type="number"
        min="1"
        max="500"
        step="1"
        value={p.pageSize}
        testid="page-size"
        onChange={(v) => Math.round(v) >= 1 && prefs.update({ pageSize: Math.min(500, Math.round(v)) })}
      />
      <NumberField
        class="setting"
        label="Card width"
        type="range"
        min="280"
        max="1000"
        step="20"
        value={p.cardWidth}
        testid="card-width"
        onInput={(v) => prefs.update({ cardWidth: v })}
      />
      <label class="setting">
        <span>Tooltip order</span>
        <select
          value={p.tooltipSort}
          data-testid="tooltip-sort"
          onChange={(e) => prefs.update({ tooltipSort: (e.target as HTMLSelectElement).value as TooltipSort })}
        >
          <option value="nearest">Nearest first</option>
          <option value="descending">Highest value first</option>
          <option value="ascending">Lowest value first</option>
          <option value="name">By run name</option>
        </select>
      </label>
      <label class="setting">
        <span>Theme</span>
        <select
          value={p.theme}
          data-testid="theme"
          onChange={(e) => prefs.update({ theme: (e.target as HTMLSelectElement).value as Theme })}
        >
          <option value="system">Follow the system</option>
          <option value="light">Light</option>
          <option value="dark">Dark</option>
        </select>
      </label>
      <div class="setting-actions">
        <button
          class="link"
          onClick={() => {
            prefs.update({ ...DEFAULT_PREFS, runColors: p.runColors });
            settings.update({ smoothing: DEFAULT_PREFS.defaultSmoothing });
          }}
        >
          Restore defaults
        </button>
        {Object.keys(p.runColors).length > 0 && (
          <button class="link" onClick={() => prefs.update({ runColors: {} })}>
            Reset run colours
          </button>
        )}
      </div>
      {(dataLocation || version) && (
        <div class="setting-about">
          {dataLocation && (
            <div>
              Log directory: <code>{dataLocation}</code>
            </div>
          )}
          {version && <div>Server version {version}</div>}
        </div>
      )}
    </div>
  );
}
