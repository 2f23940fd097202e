// A search box that hands its text, not the event, to its owner.
import type { KeyboardEventHandler } from 'preact';

interface Props {
  value: string;
  placeholder: string;
  onInput: (text: string) => void;
  testid?: string;
  class?: string;
  onKeyDown?: KeyboardEventHandler<HTMLInputElement>;
}

export function SearchInput({ value, placeholder, onInput, testid, class: cls, onKeyDown }: Props) {
  return (
    <input
      class={cls}
      type="search"
      placeholder={placeholder}
      value={value}
      data-testid={testid}
      onInput={(e) => onInput((e.target as HTMLInputElement).value)}
      onKeyDown={onKeyDown}
    />
  );
}
