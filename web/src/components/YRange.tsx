// The y range controls of scalar cards: a card's button and bar to type a
// y min and max (either may be left empty for the data's), a tag group's
// button linking its cards' y axes, and the toolbar's switch linking every
// card plus a reset of all of them. All of it lives in the URL (yr, ylink).
import { useEffect, useRef, useState } from 'preact/hooks';
import { settings, type Settings, type YLimits } from '../state';
import { yLinkOf } from '../yrange';
import { CardButton } from './CardHead';

function limitsKey(r: YLimits | undefined): string {
  return r && (r.lo !== undefined || r.hi !== undefined) ? `${r.lo ?? ''}:${r.hi ?? ''}` : '';
}

/** A tag's typed range as a string, for redraw keys. */
export function yRangeKey(s: Settings, tag: string): string {
  return limitsKey(s.yRanges.get(tag));
}

function setRange(tag: string, r: YLimits | null): void {
  const next = new Map(settings.get().yRanges);
  if (r && (r.lo !== undefined || r.hi !== undefined)) next.set(tag, r);
  else next.delete(tag);
  settings.update({ yRanges: next });
}

export function YRangeButton({ s, tag, open, onClick }: { s: Settings; tag: string; open: boolean; onClick: () => void }) {
  const set = s.yRanges.has(tag);
  const link = yLinkOf(s, tag);
  return (
    <CardButton
      on={open || set}
      pressed={open}
      title={set ? `y range ${yRangeKey(s, tag).replace(':', ' to ')}` : link ? 'y range (shared with linked cards)' : 'y range'}
      label="y range"
      testid="y-range-toggle"
      onClick={onClick}
    >
      <svg viewBox="0 0 24 24" aria-hidden="true">
        <path d="M12 3v18M8 7l4-4 4 4M8 17l4 4 4-4M4 3h16M4 21h16" fill="none" stroke="currentColor" stroke-width="1.6" />
      </svg>
    </CardButton>
  );
}

/** A number input's text as a bound: undefined when empty or not a number. */
function bound(text: string): number | undefined {
  const v = Number(text);
  return text.trim() !== '' && Number.isFinite(v) ? v : undefined;
}

/** One bound's input: committed on Enter or when it loses focus. */
function BoundInput(p: { which: 'min' | 'max'; text: string; bad: boolean; onText: (t: string) => void; onCommit: () => void }) {
  return (
    <input
      type="number"
      step="any"
      placeholder={p.which}
      aria-label={`y ${p.which}imum`}
      data-testid={`y-${p.which}`}
      class={p.bad ? 'invalid' : ''}
      value={p.text}
      onInput={(e) => p.onText((e.target as HTMLInputElement).value)}
      onChange={p.onCommit}
      onKeyDown={(e) => e.key === 'Enter' && p.onCommit()}
    />
  );
}

/** Typed y bounds of a card, shown while open or while a range is set. */
export function YRangeBar({ s, tag, open }: { s: Settings; tag: string; open: boolean }) {
  const r = s.yRanges.get(tag);
  const [lo, setLo] = useState(r?.lo !== undefined ? String(r.lo) : '');
  const [hi, setHi] = useState(r?.hi !== undefined ? String(r.hi) : '');
  // The range this bar set last: the inputs follow the URL only when
  // something else changed it (Reset, a link), not while the user types.
  const mine = useRef(limitsKey(r));
  useEffect(() => {
    const k = limitsKey(r);
    if (k === mine.current) return;
    mine.current = k;
    setLo(r?.lo !== undefined ? String(r.lo) : '');
    setHi(r?.hi !== undefined ? String(r.hi) : '');
  }, [r?.lo, r?.hi]);
  if (!open && !r) return null;
  const a = bound(lo);
  const b = bound(hi);
  const bad = a !== undefined && b !== undefined && !(a < b);
  const apply = () => {
    if (bad) return;
    const next: YLimits = { ...(a !== undefined ? { lo: a } : {}), ...(b !== undefined ? { hi: b } : {}) };
    mine.current = limitsKey(next);
    setRange(tag, next);
  };
  const link = yLinkOf(s, tag);
  return (
    <div class="y-range-bar" data-testid="y-range-bar">
      <span>y</span>
      <BoundInput which="min" text={lo} bad={bad} onText={setLo} onCommit={apply} />
      <span>to</span>
      <BoundInput which="max" text={hi} bad={bad} onText={setHi} onCommit={apply} />
      {r && (
        <button class="link" data-testid="y-range-reset" onClick={() => setRange(tag, null)}>
          Reset
        </button>
      )}
      <span class="y-range-note">{bad ? 'min must be below max' : link ? 'empty: the linked cards’ range' : 'empty: fit to the data'}</span>
    </div>
  );
}

function toggleLink(key: string): void {
  const next = new Set(settings.get().yLinks);
  if (next.has(key)) next.delete(key);
  else next.add(key);
  settings.update({ yLinks: next });
}

/** A tag group's switch: its cards share one y range. */
export function YLinkButton({ s, group }: { s: Settings; group: string }) {
  const on = s.yLinks.has(group) || s.yLinks.has('*');
  return (
    <button
      class={'y-link' + (on ? ' on' : '')}
      aria-pressed={on}
      disabled={s.yLinks.has('*')}
      title={on ? 'The cards of this group share one y range; click to fit each alone' : 'Give the cards of this group one y range'}
      data-testid="y-link"
      onClick={() => toggleLink(group)}
    >
      {on ? 'y linked' : 'Link y'}
    </button>
  );
}

/** The toolbar's y controls: link every card, reset every range and link. */
export function YRangeControls({ s }: { s: Settings }) {
  const any = s.yRanges.size > 0 || s.yLinks.size > 0;
  return (
    <>
      <label class="control checkbox" title="Every card shows one y range: the union of what each shows">
        <input type="checkbox" checked={s.yLinks.has('*')} data-testid="y-link-all" onChange={() => toggleLink('*')} />
        <span>Share y</span>
      </label>
      {any && (
        <button
          class="link"
          data-testid="y-reset-all"
          title="Forget every typed y range and link"
          onClick={() => settings.update({ yRanges: new Map(), yLinks: new Set() })}
        >
          Reset y
        </button>
      )}
    </>
  );
}
