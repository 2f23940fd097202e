// Cards laid out in collapsible groups (by tag prefix), with pinned cards in
// a group of their own at the top and long groups shown a page at a time.
// The grid is virtualised: every card has a slot, but only slots near the
// viewport hold their card; the others are empty boxes of the card's last
// height, so thousands of cards cost a div each.
import type { ComponentChildren, VNode } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { lastHeight, useInView } from '../hooks';
import { settings, type Settings } from '../state';
import type { Prefs } from '../prefs';
import { PinIcon } from './CardHead';
import { YLinkButton } from './YRange';
import { EmptyState } from './EmptyState';

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

  const toggle = (name: string) => {
    const c = new Set(s.collapsedGroups);
    if (c.has(name)) c.delete(name);
    else c.add(name);
    settings.update({ collapsedGroups: c });
  };

  const few = cards.length + pinnedCards.length < VIRTUAL_MIN;
  const gridRef = useRef<HTMLDivElement>(null);
  // Many groups (thousands of tag prefixes): only groups near the viewport
  // hold their head and cards, the others are boxes of their last (or
  // estimated) height.
  const virtualGroups = all.length >= VIRTUAL_GROUPS_MIN;
  const width = gridRef.current?.clientWidth || 1200;
  const cols = Math.max(1, Math.floor((width + CARD_GAP_PX) / (p.cardWidth + CARD_GAP_PX)));

  return (
    <div class="card-groups" ref={gridRef} style={{ '--card-width': `${p.cardWidth}px` }}>
      {all.map(([name, list]) => {
        const collapsed = s.collapsedGroups.has(name === PINNED ? 'pinned' : name);
        const limit = shown[name] ?? p.pageSize;
        const rows = collapsed ? 0 : Math.ceil(Math.min(limit, list.length) / cols);
        return (
          <GroupSlot
            key={name}
            name={name}
            virtual={virtualGroups && name !== PINNED}
            estimate={GROUP_HEAD_PX + rows * CARD_ROW_PX + (!collapsed && list.length > limit ? SHOW_MORE_PX : 0)}
          >
            {() => (
              <GroupSection
                name={name}
                list={list}
                collapsed={collapsed}
                limit={limit}
                few={few}
                s={s}
                onToggle={() => toggle(name === PINNED ? 'pinned' : name)}
                onMore={() => setShown({ ...shown, [name]: limit + p.pageSize })}
                pageSize={p.pageSize}
              />
            )}
          </GroupSlot>
        );
      })}
    </div>
  );
}

/** Pages with at least this many groups render only the groups near the viewport. */
const VIRTUAL_GROUPS_MIN = 20;
/** Heights (px) that estimate a group never seen: its head, a row of cards, the "show more" button. */
const GROUP_HEAD_PX = 42;
const CARD_ROW_PX = 294;
const SHOW_MORE_PX = 36;
const CARD_GAP_PX = 12;

function GroupSlot(props: { name: string; virtual: boolean; estimate: number; children: () => VNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const near = useInView(ref, NEAR_PX) || !props.virtual;
  if (near) return <div class="group-slot" ref={ref}>{props.children()}</div>;
  const h = lastHeight(ref.current) || props.estimate;
  return <div class="group-slot far" ref={ref} data-group-slot={props.name} style={{ height: `${h}px` }} />;
}

interface SectionProps {
  name: string;
  list: CardSpec[];
  collapsed: boolean;
  limit: number;
  few: boolean;
  s: Settings;
  pageSize: number;
  onToggle: () => void;
  onMore: () => void;
}

/** The head of a collapsible group of cards: a chevron, its name and card count; a click toggles it. */
export function GroupHead({ name, count, collapsed, onToggle }: { name: ComponentChildren; count: number; collapsed: boolean; onToggle: () => void }) {
  return (
    <button class="group-head" aria-expanded={!collapsed} onClick={onToggle}>
      <span class={'chevron' + (collapsed ? ' collapsed' : '')} aria-hidden="true">
        ▾
      </span>
      <span class="group-name">{name}</span>
      <span class="group-count">{count}</span>
    </button>
  );
}

function GroupSection({ name, list, collapsed, limit, few, s, pageSize, onToggle, onMore }: SectionProps) {
  const visible = list.slice(0, limit);
  return (
    <section class={'group' + (name === PINNED ? ' pinned-group' : '')} data-group={name === PINNED ? '' : name}>
      <GroupHead
        name={
          name === PINNED ? (
            <>
              <PinIcon filled class="pin-icon" />
              Pinned
            </>
          ) : (
            name
          )
        }
        count={list.length}
        collapsed={collapsed}
        onToggle={onToggle}
      />
      {name !== PINNED && list.some((c) => c.id.startsWith('s:')) && <YLinkButton s={s} group={name} />}
      {!collapsed && (
        <div class="cards">
          {visible.map((c) => (
            <CardSlot key={c.id} card={c} always={few} />
          ))}
        </div>
      )}
      {!collapsed && list.length > limit && (
        <button class="show-more" onClick={onMore} data-testid="show-more">
          Show {Math.min(pageSize, list.length - limit)} more of {list.length - limit} remaining
        </button>
      )}
    </section>
  );
}

interface BodyProps extends Props {
  /** Whether the tag listing has arrived, and why not. */
  loaded: boolean;
  error: string | null;
  /** Whether the log directory has nothing for this dashboard. */
  empty: boolean;
  /** The empty state's heading and text. */
  emptyTitle: string;
  emptyText: string;
  /** What to say when the filter leaves no card. */
  noMatch: string;
}

/** The card grid, or the loading, empty or no-match state before it. */
export function CardGridBody({ loaded, error, empty, emptyTitle, emptyText, noMatch, ...grid }: BodyProps) {
  if (!loaded) return <div class="empty-state">{error ? 'Could not load tags.' : 'Loading…'}</div>;
  if (empty) {
    return (
      <EmptyState title={emptyTitle}>{emptyText}</EmptyState>
    );
  }
  if (grid.cards.length === 0 && grid.pinnedCards.length === 0) return <div class="empty-state">{noMatch}</div>;
  return <CardGrid {...grid} />;
}
