// Cards laid out in collapsible groups (by tag prefix), with pinned cards in
// a group of their own at the top and long groups shown a page at a time.
// The grid is virtualised: every card has a slot, but only slots near the
// viewport hold their card; the others are empty boxes of the card's last
// height, so thousands of cards cost a div each.
import type { VNode } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { lastHeight, useInView } from '../hooks';
import { settings, type Settings } from '../state';
import type { Prefs } from '../prefs';
import { PinIcon } from './CardHead';
import { YLinkButton } from './YRange';

export interface CardSpec {
  id: string;
  /** Group name (tag prefix). */
  group: string;
  render: () => VNode;
}

/** The group of a tag: the part before its first '/'. */
export function tagGroup(tag: string): string {
  const i = tag.indexOf('/');
  return i < 0 ? tag : tag.slice(0, i);
}

const PINNED = '\u0000pinned';

/** Slots this far (px) above or below the viewport hold their card. */
const NEAR_PX = 1200;

/** Grids of fewer cards hold them all: a screen or two gains nothing. */
const VIRTUAL_MIN = 40;

function CardSlot({ card, always }: { card: CardSpec; always: boolean }) {
  const ref = useRef<HTMLDivElement>(null);
  const near = useInView(ref, NEAR_PX) || always;
  const h = near ? 0 : lastHeight(ref.current);
  return (
    <div class={'card-slot' + (near ? '' : ' far')} ref={ref} data-card-id={card.id} style={h ? { height: `${h}px` } : undefined}>
      {near && card.render()}
    </div>
  );
}

interface Props {
  cards: CardSpec[];
  /** Pinned cards (shown first, even when the tag filter hides them). */
  pinnedCards: CardSpec[];
  settings: Settings;
  prefs: Prefs;
}

export function CardGrid({ cards, pinnedCards, settings: s, prefs: p }: Props) {
  const [shown, setShown] = useState<Record<string, number>>({});
  const pinnedIds = new Set(pinnedCards.map((c) => c.id));
  const groups = new Map<string, CardSpec[]>();
  for (const c of cards) {
    if (pinnedIds.has(c.id)) continue;
    let list = groups.get(c.group);
    if (!list) groups.set(c.group, (list = []));
    list.push(c);
  }
  const all: Array<[string, CardSpec[]]> = [];
  if (pinnedCards.length) all.push([PINNED, pinnedCards]);
  all.push(...groups);

  const few = cards.length + pinnedCards.length < VIRTUAL_MIN;

  const toggle = (name: string) => {
    const c = new Set(s.collapsedGroups);
    if (c.has(name)) c.delete(name);
    else c.add(name);
    settings.update({ collapsedGroups: c });
  };

  return (
    <div class="card-groups" style={{ '--card-width': `${p.cardWidth}px` }}>
      {all.map(([name, list]) => {
        const collapsed = s.collapsedGroups.has(name === PINNED ? 'pinned' : name);
        const limit = shown[name] ?? p.pageSize;
        const visible = list.slice(0, limit);
        return (
          <section class={'group' + (name === PINNED ? ' pinned-group' : '')} key={name} data-group={name === PINNED ? '' : name}>
            <button
              class="group-head"
              aria-expanded={!collapsed}
              onClick={() => toggle(name === PINNED ? 'pinned' : name)}
            >
              <span class={'chevron' + (collapsed ? ' collapsed' : '')} aria-hidden="true">
                ▾
              </span>
              <span class="group-name">
                {name === PINNED && <PinIcon filled class="pin-icon" />}
                {name === PINNED ? 'Pinned' : name}
              </span>
              <span class="group-count">{list.length}</span>
            </button>
            {name !== PINNED && list.some((c) => c.id.startsWith('s:')) && <YLinkButton s={s} group={name} />}
            {!collapsed && (
              <div class="cards">
                {visible.map((c) => (
                  <CardSlot key={c.id} card={c} always={few} />
                ))}
              </div>
            )}
            {!collapsed && list.length > limit && (
              <button
                class="show-more"
                onClick={() => setShown({ ...shown, [name]: limit + p.pageSize })}
                data-testid="show-more"
              >
                Show {Math.min(p.pageSize, list.length - limit)} more of {list.length - limit} remaining
              </button>
            )}
          </section>
        );
      })}
    </div>
  );
}
