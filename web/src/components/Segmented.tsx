// A row of buttons of which one is pressed: a choice among a few values
// (a view, a projection, the histogram mode, the x axis).
import type { ComponentChildren } from 'preact';

interface Props<T extends string | number> {
  /** What the group chooses (its aria-label). */
  label: string;
  /** The data attribute each button carries its value in: "view" writes data-view. */
  attr: string;
  /** The values, each with its button's face. */
  options: ReadonlyArray<readonly [T, ComponentChildren]>;
  value: T;
  onChange: (v: T) => void;
  /** Drawn after the buttons, inside the group. */
  children?: ComponentChildren;
}

export function Segmented<T extends string | number>({ label, attr, options, value, onChange, children }: Props<T>) {
  return (
    <div class="control segmented" role="group" aria-label={label}>
      {options.map(([key, face]) => (
        <button key={key} class={value === key ? 'active' : ''} aria-pressed={value === key} {...{ [`data-${attr}`]: key }} onClick={() => onChange(key)}>
          {face}
        </button>
      ))}
      {children}
    </div>
  );
}
