// A labelled number or range input: the label's text, then the input.

interface Props {
  /** The label's class ("setting", "control"). */
  class: string;
  label: string;
  title?: string;
  type: 'number' | 'range';
  min: string;
  max: string;
  step: string;
  value: number;
  testid: string;
  /** Called on every move (a range), with the input's value. */
  onInput?: (v: number) => void;
  /** Called once the value is committed (a number box). */
  onChange?: (v: number) => void;
}

export function NumberField({ class: cls, label, title, testid, onInput, onChange, ...input }: Props) {
  const num = (e: Event) => Number((e.target as HTMLInputElement).value);
  return (
    <label class={cls} title={title}>
      <span>{label}</span>
      <input {...input} data-testid={testid} onInput={onInput && ((e) => onInput(num(e)))} onChange={onChange && ((e) => onChange(num(e)))} />
    </label>
  );
}
