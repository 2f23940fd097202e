import { compileFilter, settings, type Settings } from '../state';
import type { RunColors } from '../colors';

interface Props {
  runs: string[];
  colors: RunColors;
  settings: Settings;
}

export function RunsSidebar({ runs, colors, settings: s }: Props) {
  const re = compileFilter(s.runFilter);
  const matching = re ? runs.filter((r) => re.test(r)) : runs;
  const shown = matching.filter((r) => !s.hiddenRuns.has(r)).length;

  const setAll = (visible: boolean) => {
    const hidden = new Set(s.hiddenRuns);
    for (const r of matching) {
      if (visible) hidden.delete(r);
      else hidden.add(r);
    }
    settings.update({ hiddenRuns: hidden });
  };
  const toggle = (run: string) => {
    const hidden = new Set(s.hiddenRuns);
    if (hidden.has(run)) hidden.delete(run);
    else hidden.add(run);
    settings.update({ hiddenRuns: hidden });
  };

  return (
    <aside class="sidebar">
      <div class="sidebar-head">
        <h2>Runs</h2>
        <span class="count" data-testid="run-count">
          {shown} of {runs.length}
        </span>
      </div>
      <input
        class={'filter' + (re ? '' : ' invalid')}
        type="search"
        placeholder="Filter runs (regex)"
        value={s.runFilter}
        data-testid="run-filter"
        onInput={(e) => settings.update({ runFilter: (e.target as HTMLInputElement).value })}
      />
      <div class="select-buttons">
        <button class="link" data-testid="select-all" onClick={() => setAll(true)}>
          Select all
        </button>
        <button class="link" data-testid="select-none" onClick={() => setAll(false)}>
          Select none
        </button>
      </div>
      <ul class="run-list">
        {matching.map((run) => {
          const checked = !s.hiddenRuns.has(run);
          const color = colors.color(run);
          return (
            <li key={run} class="run-row" data-run={run} data-selected={checked ? 'true' : 'false'}>
              <label title={run}>
                <input
                  type="checkbox"
                  checked={checked}
                  style={{ accentColor: color }}
                  onChange={() => toggle(run)}
                />
                <span class="swatch" style={{ background: color }} />
                <span class="run-name">{run}</span>
              </label>
            </li>
          );
        })}
        {matching.length === 0 && <li class="empty">{runs.length ? 'No runs match the filter' : 'No runs yet'}</li>}
      </ul>
    </aside>
  );
}
