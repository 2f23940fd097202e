// "Export" in the top bar: downloads every point (not the charts' samples)
// of the runs ticked in the sidebar and the tags the tag filter shows, as
// CSV, JSON Lines or Parquet, from /data/tboard/export (the same tables as
// `tboard export`). The download is a form POST, so the browser streams the
// file to disk and any number of run and tag names fits.
import { useState } from 'preact/hooks';
import { apiUrl, getJson, isObject } from '../api';
import { compileFilter, settings } from '../state';
import { MenuButton } from './MenuButton';

type Table = 'scalars' | 'histograms' | 'hparams' | 'summaries';

const TABLES: Array<[Table, string]> = [
  ['scalars', 'Scalars'],
  ['histograms', 'Histograms'],
  ['summaries', 'Scalar summaries'],
  ['hparams', 'Hyperparameters'],
];

const FORMATS: Array<[string, string]> = [
  ['csv', 'CSV'],
  ['jsonl', 'JSON Lines'],
  ['parquet', 'Parquet'],
];

/** The table a dashboard's data belongs to. */
function tableOf(dashboard: string): Table {
  if (dashboard === 'histograms' || dashboard === 'distributions') return 'histograms';
  if (dashboard === 'hparams') return 'hparams';
  return 'scalars';
}

/** The tags of `plugin` that the selected runs have and the tag filter shows. */
async function visibleTags(plugin: string, runs: readonly string[]): Promise<string[]> {
  const listing = await getJson(`data/plugin/${plugin}/tags`);
  const re = compileFilter(settings.get().tagFilter);
  const tags = new Set<string>();
  if (!isObject(listing)) return [];
  for (const run of runs) {
    const t = listing[run];
    if (!isObject(t)) continue;
    for (const tag of Object.keys(t)) if (!re || re.test(tag)) tags.add(tag);
  }
  return [...tags];
}

function submit(fields: Array<[string, string]>): void {
  const form = document.createElement('form');
  form.method = 'POST';
  form.action = apiUrl('data/tboard/export');
  form.style.display = 'none';
  for (const [name, value] of fields) {
    const input = document.createElement('input');
    input.type = 'hidden';
    input.name = name;
    input.value = value;
    form.appendChild(input);
  }
  document.body.appendChild(form);
  form.submit();
  form.remove();
}

export function ExportMenu({ active, runs }: { active: string; runs: readonly string[] }) {
  const [open, setOpen] = useState(false);
  const [table, setTable] = useState<Table | null>(null);
  const [busy, setBusy] = useState(false);
  const chosen = table ?? tableOf(active);
  const download = async (format: string) => {
    setBusy(true);
    try {
      const fields: Array<[string, string]> = [
        ['format', format],
        ['table', chosen],
      ];
      for (const r of runs) fields.push(['run', r]);
      if (chosen !== 'hparams') {
        const tags = await visibleTags(chosen === 'histograms' ? 'histograms' : 'scalars', runs);
        // no tag on screen: export none rather than every tag
        if (tags.length === 0) tags.push('\u0000');
        for (const t of tags) fields.push(['tag', t]);
      }
      // no run ticked: export none rather than every run
      if (runs.length === 0) fields.push(['run', '\u0000']);
      submit(fields);
      setOpen(false);
    } finally {
      setBusy(false);
    }
  };
  const icon = (
    <svg viewBox="0 0 24 24" aria-hidden="true">
      <path d="M12 4v11M7 10l5 5 5-5M5 19h14" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
  return (
    <MenuButton
      open={open}
      setOpen={setOpen}
      kind="icon-button"
      title="Export the selected runs and visible tags, every point"
      label="Export"
      testid="export-button"
      icon={icon}
    >
      {() => (
        <div class="menu export-menu" role="menu" data-testid="export-menu">
          <div class="menu-title">Export every point of</div>
          <div class="export-note">
            {runs.length} selected run{runs.length === 1 ? '' : 's'}
            {chosen === 'hparams' ? '' : ', tags the filter shows'}
          </div>
          <select class="export-table" data-testid="export-table" value={chosen} onChange={(e) => setTable((e.target as HTMLSelectElement).value as Table)}>
            {TABLES.map(([t, label]) => (
              <option key={t} value={t}>
                {label}
              </option>
            ))}
          </select>
          {FORMATS.map(([f, label]) => (
            <button role="menuitem" class="menu-item" key={f} data-format={f} disabled={busy} onClick={() => void download(f)}>
              {label}
            </button>
          ))}
        </div>
      )}
    </MenuButton>
  );
}
