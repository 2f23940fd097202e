// The run query box above the runs list: the query language of
// docs/HTTP_API.md, kept in the URL (#q=...), evaluated on the server. A
// query the server refuses shows its message with a caret under the
// column where parsing stopped.
import { settings, type Settings } from '../state';
import type { QueryState } from '../compare';

interface Props {
  settings: Settings;
  state: QueryState;
}

export function QueryBox({ settings: s, state }: Props) {
  const err = state.status === 'error' ? state.error : null;
  const brushed = s.brushes.length > 0;
  return (
    <div class="run-query">
      <input
        class={'filter' + (err ? ' invalid' : '')}
        type="search"
        spellcheck={false}
        placeholder="Query, e.g. hp.lr < 0.05 and max(val/acc) > 0.8 sort by last(val/acc) desc"
        title="Select and sort runs by name, folder, hparams (hp.lr) and scalar summaries (last, first, max, min, mean, count, at)"
        value={s.runQuery}
        data-testid="run-query"
        onInput={(e) => settings.update({ runQuery: (e.target as HTMLInputElement).value })}
      />
      {brushed && (
        <div class="query-brushes" data-testid="query-brushes">
          <span>
            {s.brushes.length} HParams brush{s.brushes.length === 1 ? '' : 'es'}
          </span>
          <button class="link" data-testid="clear-brushes" onClick={() => settings.update({ brushes: [] })}>
            Clear
          </button>
        </div>
      )}
      {err && (
        <div class="query-error" role="alert" data-testid="query-error" data-column={String(err.column)}>
          {err.column > 0 && (
            <pre class="query-caret">
              {state.text}
              {'\n' + ' '.repeat(Math.max(0, err.column - 1)) + '^'}
            </pre>
          )}
          <span>{err.column > 0 ? `col ${err.column}: ${err.message}` : err.message}</span>
        </div>
      )}
      {!err && state.answer && state.text.trim() && (
        <div class="count query-count" data-testid="query-count" data-q={state.text}>
          {state.answer.total} run{state.answer.total === 1 ? '' : 's'} match
          {state.answer.runs.length < state.answer.total ? `, first ${state.answer.runs.length} kept` : ''}
        </div>
      )}
    </div>
  );
}
