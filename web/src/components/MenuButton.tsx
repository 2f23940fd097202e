// A button that opens a drop-down menu below it: the card heads' Image and
// Download menus, the top bar's Export and Settings. The menu closes on a
// click outside it or on Escape; the caller keeps `open`, so that an action
// in the menu may close it too.
import type { ComponentChildren } from 'preact';
import { useOutsideClose } from '../hooks';

interface Props {
  open: boolean;
  setOpen: (open: boolean) => void;
  /** The button's class: "card-button" in a card head, "icon-button" in the top bar. */
  kind: 'card-button' | 'icon-button';
  title: string;
  label: string;
  testid: string;
  /** The button's face. */
  icon: ComponentChildren;
  /** The menu, built only while open (a card's Download menu lists every
   * selected run: building it on every render cost 170 ms a key at 10,000
   * runs). */
  children: () => ComponentChildren;
}

export function MenuButton({ open, setOpen, kind, title, label, testid, icon, children }: Props) {
  const ref = useOutsideClose(open, () => setOpen(false));
  return (
    <div class="menu-anchor" ref={ref}>
      <button class={kind + (open ? ' on' : '')} title={title} aria-label={label} aria-expanded={open} data-testid={testid} onClick={() => setOpen(!open)}>
        {icon}
      </button>
      {open && children()}
    </div>
  );
}
