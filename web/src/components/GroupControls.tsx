// Group by: scalar cards draw one line per group of runs (by a regex over
// the run name, by hparam values or by folder) with a band, computed on the
// server (/data/tboard/groups). "Runs" draws every run again.
import { settings, type GroupAgg, type GroupBand, type Settings } from '../state';
import { groupSpec } from '../compare';

const MODES: Array<[string, string]> = [
  ['', 'Runs'],
  ['regex', 'Regex'],
  ['hp', 'HParams'],
  ['folder', 'Folder'],
];

export function GroupControls({ s }: { s: Settings }) {
  const { mode, arg } = groupSpec(s.groupBy);
  const set = (m: string, a: string) =>
    settings.update({ groupBy: m === 'folder' ? 'folder' : m === 'regex' ? `regex:${a}` : m === 'hp' ? `hp:${a}` : '', expandedGroups: new Set() });
  return (
    <div class="control group-controls" role="group" aria-label="Group runs">
      <label title="Draw one line per group of runs, with a band">
        <span>Group</span>
        <select data-testid="group-mode" value={mode} onChange={(e) => set((e.target as HTMLSelectElement).value, arg)}>
          {MODES.map(([k, label]) => (
            <option key={k} value={k}>
              {label}
            </option>
          ))}
        </select>
      </label>
      {(mode === 'regex' || mode === 'hp') && (
        <input
          class="filter group-arg"
          type="search"
          spellcheck={false}
          placeholder={mode === 'regex' ? '(.*)/seed\\d+' : 'lr,bs'}
          title={
            mode === 'regex'
              ? 'Runs whose names match are grouped by what the capture groups capture'
              : 'Runs with equal values of these hparams (comma-separated names) form a group'
          }
          value={arg}
          data-testid="group-arg"
          onInput={(e) => set(mode, (e.target as HTMLInputElement).value)}
        />
      )}
      {mode && (
        <>
          <select
            aria-label="Group line"
            data-testid="group-agg"
            value={s.groupAgg}
            onChange={(e) => settings.update({ groupAgg: (e.target as HTMLSelectElement).value as GroupAgg })}
          >
            <option value="mean">mean</option>
            <option value="median">median</option>
          </select>
          <select
            aria-label="Group band"
            data-testid="group-band"
            value={s.groupBand}
            onChange={(e) => settings.update({ groupBand: (e.target as HTMLSelectElement).value as GroupBand })}
          >
            <option value="std">± std</option>
            <option value="minmax">min–max</option>
            <option value="ci95">95% CI</option>
          </select>
        </>
      )}
    </div>
  );
}
