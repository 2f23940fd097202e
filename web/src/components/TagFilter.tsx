// The tag filter of a toolbar: a regex search box, marked invalid while its
// text does not compile, and the count of tags it lets through.

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
      <input
        class={'filter tag-filter' + (valid ? '' : ' invalid')}
        type="search"
        placeholder="Filter tags (regex)"
        value={value}
        data-testid={testid}
        onInput={(e) => onInput((e.target as HTMLInputElement).value)}
      />
      <span class="tag-count" data-testid={countTestid}>
        {count}
      </span>
    </>
  );
}
