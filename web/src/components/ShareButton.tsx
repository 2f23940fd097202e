// The "Share" button: asks the server for a static snapshot of the runs on
// screen (POST data/tboard/snapshot, the code `tboard snapshot` runs) and
// downloads it: one HTML file that opens anywhere without a server.
import { useState } from 'preact/hooks';
import { request } from '../api';
import { downloadBlob } from '../download';
import { settings } from '../state';

export function ShareButton({ runs }: { runs: string[] }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const share = async () => {
    setBusy(true);
    setError(null);
    try {
      const tags = settings.get().tagFilter;
      const resp = await request('data/tboard/snapshot', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(tags ? { runs, tags } : { runs }),
      });
      downloadBlob(await resp.blob(), 'tboard-snapshot.html');
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  const title = error
    ? `Snapshot failed: ${error}`
    : `Download one HTML file with the ${runs.length} selected run${runs.length === 1 ? '' : 's'}, to open without a server`;
  return (
    <button
      class={'icon-button' + (busy ? ' spinning' : '') + (error ? ' error' : '')}
      title={title}
      aria-label="Share a snapshot"
      data-testid="share"
      data-state={busy ? 'busy' : error ? 'error' : 'idle'}
      disabled={busy || runs.length === 0}
      onClick={() => void share()}
    >
      <svg viewBox="0 0 24 24" aria-hidden="true">
        <path d="M12 15V3M7 8l5-5 5 5" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" />
        <path d="M5 12v7a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2v-7" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
      </svg>
    </button>
  );
}
