// The tag filter of a toolbar: a regex search box, marked invalid while its
// text does not compile, and the count of tags it lets through.
import { SearchInput } from './SearchInput';

/** "3 tags", or "2 of 3 tags" while the filter hides some. */
export function tagCountText(shown: number, total: number): string {
  return shown === total ? `${total} tag${total === 1 ? '' : 's'}` : `${shown} of ${total} tags`;
}

interface Props {
  value: string;
  /** Whether `value` compiles. */
  valid: boolean;
  onInput: (text: string) => void;
  count: string;
  testid?: string;
  countTestid?: string;
}

export function TagFilter({ value, valid, onInput, count, testid, countTestid }: Props) {
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
        {count}
      </span>
    </>
  );
}
