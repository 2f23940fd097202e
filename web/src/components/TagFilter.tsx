// The tag filter of a toolbar: a regex search box, marked invalid while its
// text does not compile, and the count of tags it lets through.
import { SearchInput } from './SearchInput';

interface Props {
  value: string;
  /** Whether `value` compiles. */
  valid: boolean;
  onInput: (text: string) => void;
  /** The tags the filter lets through, of `total`. */
  shown: number;
  total: number;
  testid?: string;
  countTestid?: string;
}

export function TagFilter({ value, valid, onInput, shown, total, testid, countTestid }: Props) {
  return (
    <>
      <SearchInput
        class={'filter tag-filter' + (valid ? '' : ' invalid')}
        placeholder="Filter tags (regex)"
        value={value}
        testid={testid}
        onInput={onInput}
      />
      <span class="tag-count" data-testid={countTestid}>
        {shown === total ? `${total} tag${total === 1 ? '' : 's'}` : `${shown} of ${total} tags`}
      </span>
    </>
  );
}
