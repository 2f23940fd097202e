// A labelled drop-down: the label's text, then the select.
import type { ComponentChildren } from 'preact';

export interface SelectProps {
  label: string;
  testid: string;
  /** Each choice: a value shown as itself, or a [value, text] pair. */
  options: ReadonlyArray<string | readonly [string, ComponentChildren]>;
  value: string;
  onChange: (v: string) => void;
  /** The label's class: "control" in a dashboard's toolbar. */
  class?: string;
  /** The select's own class. */
  selectClass?: string;
  disabled?: boolean;
}

export function Select({ label, testid, options, value, onChange, class: cls = 'control', selectClass, disabled }: SelectProps) {
  return (
    <label class={cls}>
      {label}{' '}
      <select class={selectClass} data-testid={testid} value={value} disabled={disabled} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        {options.map((o) => {
          const [v, text] = typeof o === 'string' ? [o, o] : o;
          return (
            <option key={v} value={v}>
              {text}
            </option>
          );
        })}
      </select>
    </label>
  );
}
