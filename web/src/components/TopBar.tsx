import type { DataState } from '../data';

interface Props {
  state: DataState;
  onReload: () => void;
}

export function TopBar({ state, onReload }: Props) {
  const env = state.env;
  const title = env?.window_title || '';
  const updated = state.lastUpdated ? new Date(state.lastUpdated).toLocaleTimeString() : '';
  return (
    <header class="topbar">
      <div class="brand">
        <svg class="logo" viewBox="0 0 24 24" aria-hidden="true">
          <path d="M3 19 L8 11 L12 14 L17 6 L21 9" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" />
        </svg>
        <span class="name">tboard</span>
      </div>
      {title && <div class="window-title" data-testid="window-title">{title}</div>}
      {!title && env?.data_location && (
        <div class="data-location" title="Log directory">{env.data_location}</div>
      )}
      <div class="spacer" />
      {state.error && (
        <div class="status error" title={state.error}>
          Cannot reach the server
        </div>
      )}
      {!state.error && updated && <div class="status">Updated {updated}</div>}
      <button
        class={'icon-button' + (state.loading ? ' spinning' : '')}
        title="Reload data"
        aria-label="Reload data"
        data-testid="reload"
        onClick={onReload}
      >
        <svg viewBox="0 0 24 24" aria-hidden="true">
          <path d="M20 12a8 8 0 1 1-2.34-5.66" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
          <path d="M20 4v5h-5" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" />
        </svg>
      </button>
    </header>
  );
}
