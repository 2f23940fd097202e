// The log directories at the foot of the runs list: where the runs come
// from, and a plain warning when a directory is missing or is not a
// directory (a mistyped --logdir would otherwise look like an empty one).
import { useEffect, useState } from 'preact/hooks';
import { fetchStatus, type LogdirInfo } from '../api';

/** How often to ask again while there are no runs (a directory may appear). */
const EMPTY_RECHECK_MS = 5000;

export function LogdirStatus({ runCount }: { runCount: number }) {
  const [dirs, setDirs] = useState<LogdirInfo[] | null>(null);
  useEffect(() => {
    let cancelled = false;
    let timer: number | undefined;
    const load = () =>
      fetchStatus().then(
        (st) => {
          if (cancelled) return;
          setDirs(st.logdirs);
          if (st.runs === 0) timer = window.setTimeout(load, EMPTY_RECHECK_MS);
        },
        () => undefined,
      );
    void load();
    return () => {
      cancelled = true;
      window.clearTimeout(timer);
    };
  }, [runCount === 0]);
  if (!dirs || dirs.length === 0) return null;
  const bad = dirs.filter((d) => !d.exists || !d.is_directory);
  return (
    <div class={'logdir-status' + (bad.length ? ' warn' : '')} data-testid="logdir-status">
      {runCount === 0 && (
        <p class="logdir-hint">
          {bad.length === dirs.length
            ? 'No runs: the log directory cannot be read.'
            : 'No runs found yet: no event files (events.out.tfevents.*) under the log directory.'}
        </p>
      )}
      {dirs.map((d) => (
        <div class="logdir" key={(d.name ?? '') + '\u0000' + d.path} data-exists={d.exists ? 'true' : 'false'} title={d.path}>
          <span class="logdir-label">{d.name ? `${d.name}:` : 'Log directory'}</span>
          <code class="logdir-path">{d.path}</code>
          {!d.exists && <span class="logdir-problem">does not exist</span>}
          {d.exists && !d.is_directory && <span class="logdir-problem">is not a directory</span>}
        </div>
      ))}
    </div>
  );
}
