// The header row shared by every card: title, info, and the pin, full-size
// and extra action buttons.
import type { ComponentChildren } from 'preact';
import { useMemo } from 'preact/hooks';

function plainText(html: string): string {
  if (!html) return '';
  return new DOMParser().parseFromString(html, 'text/html').body.textContent ?? '';
}

/**
 * A card's title, cut short by the head's width (the whole title in its
 * tooltip), then an "i" whose tooltip is the description as plain text,
 * when there is one.
 */
export function CardTitle({ title, text = title, description = '' }: { title: string; text?: string; description?: string }) {
  const desc = useMemo(() => plainText(description), [description]);
  return (
    <>
      <span class="card-title" title={title}>
        {text}
      </span>
      {desc && (
        <span class="info" title={desc}>
          i
        </span>
      )}
    </>
  );
}

/** A push pin, drawn (no emoji font needed). */
export function PinIcon({ filled, class: cls }: { filled: boolean; class?: string }) {
  return (
    <svg viewBox="0 0 24 24" aria-hidden="true" class={cls}>
      <path
        d="M9 3h6l-1 6 4 4H6l4-4-1-6zM12 13v8"
        fill={filled ? 'currentColor' : 'none'}
        stroke="currentColor"
        stroke-width="1.8"
        stroke-linejoin="round"
      />
    </svg>
  );
}

interface ToggleProps {
  /** Drawn as on. */
  on: boolean;
  /** aria-pressed, when it differs from `on`. */
  pressed?: boolean;
  title: string;
  label: string;
  testid: string;
  onClick: () => void;
  children: ComponentChildren;
}

/** A card-head button that stays pressed while `on`. */
export function CardButton({ on, pressed = on, title, label, testid, onClick, children }: ToggleProps) {
  return (
    <button
      class={'card-button' + (on ? ' on' : '')}
      title={title}
      aria-label={label}
      aria-pressed={pressed}
      data-testid={testid}
      onClick={onClick}
    >
      {children}
    </button>
  );
}

interface Props {
  title: string;
  subtitle?: ComponentChildren;
  description?: string;
  pinned: boolean;
  onPin: () => void;
  full: boolean;
  onFull: () => void;
  children?: ComponentChildren;
}

export function CardHead({ title, subtitle, description, pinned, onPin, full, onFull, children }: Props) {
  return (
    <div class="card-head">
      <CardTitle title={title} description={description} />
      <span class="card-runs">{subtitle}</span>
      <div class="card-actions">
        {children}
        <CardButton
          on={pinned}
          title={pinned ? 'Unpin' : 'Pin to the top'}
          label={pinned ? 'Unpin card' : 'Pin card'}
          testid="pin"
          onClick={onPin}
        >
          <PinIcon filled={pinned} />
        </CardButton>
        <CardButton
          on={full}
          title={full ? 'Normal size' : 'Full width'}
          label={full ? 'Normal size' : 'Full width'}
          testid="fullsize"
          onClick={onFull}
        >
          <svg viewBox="0 0 24 24" aria-hidden="true">
            {full ? (
              <path d="M9 4v5H4M15 4v5h5M9 20v-5H4M15 20v-5h5" fill="none" stroke="currentColor" stroke-width="1.8" />
            ) : (
              <path d="M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5" fill="none" stroke="currentColor" stroke-width="1.8" />
            )}
          </svg>
        </CardButton>
      </div>
    </div>
  );
}
