// The frame of a Time Series card that shows one run's series of one tag
// (histograms, images): the card's element, its header with the run chip,
// and the full-width toggle.
import type { ComponentChildren, RefObject } from 'preact';
import { useState } from 'preact/hooks';
import { CardHead } from './CardHead';

/** What a run card shows of its run and tag, and its pin. */
export interface RunCardInfo {
  run: string;
  tag: string;
  description: string;
  color: string;
  pinned: boolean;
  onPin: () => void;
}

interface Props {
  /** "histogram" or "image": the card's class and data-kind. */
  kind: string;
  card: RunCardInfo;
  rootRef: RefObject<HTMLDivElement | null>;
  /** The number of loaded steps, once loaded. */
  steps?: number;
  /** Buttons in the header. */
  tools?: ComponentChildren;
  children: ComponentChildren;
}

export function RunCard({ kind, card, rootRef, steps, tools, children }: Props) {
  const { run, tag, description, color, pinned, onPin } = card;
  const [full, setFull] = useState(false);
  return (
    <div
      class={`card ${kind}-card` + (full ? ' full' : '')}
      ref={rootRef}
      data-kind={kind}
      data-tag={tag}
      data-card-run={run}
      data-steps={steps !== undefined ? String(steps) : undefined}
    >
      <CardHead
        title={tag}
        description={description}
        subtitle={
          <span class="run-chip">
            <span class="swatch" style={{ background: color }} />
            {run}
          </span>
        }
        pinned={pinned}
        onPin={onPin}
        full={full}
        onFull={() => setFull(!full)}
      >
        {tools}
      </CardHead>
      {children}
    </div>
  );
}
