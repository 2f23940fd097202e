import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { DataState } from '../data';
import type { PluginsListing } from '../api';
import { isDark, prefs, type Prefs } from '../prefs';
import { settings } from '../state';
import { useOutsideClose } from '../hooks';
import { SettingsPanel } from './SettingsPanel';
import { ShareButton } from './ShareButton';
import { isSnapshot } from '../snapshot';
import { ExportMenu } from './ExportMenu';
import { MenuButton } from './MenuButton';

interface Props {
  state: DataState;
  active: string;
  prefs: Prefs;
  onReload: () => void;
  /** The runs ticked in the sidebar (what Export and Share write). */
  selectedRuns?: readonly string[];
}

/** Pixels kept free at the end of the tab bar. */
const TAB_SLACK = 8;

/**
 * How many of the tabs (widths `widths`, in order) fit in `room` pixels,
 * leaving room for the "More" button (`moreWidth`) when any does not fit
 * or `alwaysMore`.
 */
function tabsThatFit(widths: number[], room: number, moreWidth: number, alwaysMore: boolean): number {
  let total = widths.reduce((a, b) => a + b, 0);
  if (total + (alwaysMore ? moreWidth : 0) <= room) return widths.length;
  let n = widths.length;
  while (n > 1 && total + moreWidth > room) total -= widths[--n];
  return n;
}

/**
 * The dashboards' tabs. Tabs that do not fit the bar move to the "More"
 * menu (above the inactive dashboards); the selected one always stays in
 * the bar. Overflowing tabs stay in the DOM, hidden, to be measured.
 */
function Tabs({ plugins, active }: { plugins: PluginsListing; active: string }) {
  const [open, setOpen] = useState(false);
  const ref = useOutsideClose(open, () => setOpen(false));
  const navRef = useRef<HTMLElement>(null);
  const enabled = plugins.filter(([, e]) => e.enabled);
  const inactive = plugins.filter(([, e]) => !e.enabled);
  const activeInactive = inactive.find(([n]) => n === active);
  const bar = [...enabled, ...(activeInactive ? [activeInactive] : [])];
  const [fit, setFit] = useState(bar.length);
  const names = bar.map(([n]) => n).join('\u0000');
  useLayoutEffect(() => {
    const nav = navRef.current;
    if (!nav) return;
    const measure = () => {
      const tabs = [...nav.querySelectorAll<HTMLElement>(':scope > .tab[data-plugin]')];
      const gap = parseFloat(getComputedStyle(nav).columnGap) || 0;
      const widths = tabs.map((t) => t.getBoundingClientRect().width + gap);
      // The selected tab is always shown: count it first.
      const sel = tabs.findIndex((t) => t.dataset.plugin === active);
      if (sel > 0) widths.unshift(widths.splice(sel, 1)[0]);
      const more = nav.querySelector<HTMLElement>('.tab.more');
      const moreWidth = (more ? more.getBoundingClientRect().width : 72) + gap;
      setFit(tabsThatFit(widths, nav.clientWidth - TAB_SLACK, moreWidth, inactive.length > 0));
    };
    // The observer's first call measures too, after the frame's layout:
    // measuring here forced a layout of the whole page (a long one at
    // 1000 runs, as the first chart is on its way).
    const ro = new ResizeObserver(measure);
    ro.observe(nav);
    return () => ro.disconnect();
  }, [names, active, inactive.length]);
  // The first `fit` tabs, counting the selected one first.
  const shown = new Set<string>(active && bar.some(([n]) => n === active) ? [active] : []);
  for (const [name] of bar) if (shown.size < fit) shown.add(name);
  const overflow = bar.filter(([n]) => !shown.has(n));
  const select = (name: string) => {
    setOpen(false);
    settings.update({ dashboard: name });
  };
  return (
    <nav class="tabs" role="tablist" data-testid="tabs" ref={navRef}>
      {bar.map(([name, e]) => (
        <button
          key={name}
          role="tab"
          class={'tab' + (name === active ? ' active' : '') + (shown.has(name) ? '' : ' overflowed')}
          aria-selected={name === active}
          aria-hidden={shown.has(name) ? undefined : true}
          tabIndex={shown.has(name) ? undefined : -1}
          data-plugin={name}
          onClick={() => select(name)}
        >
          {e.tab_name}
        </button>
      ))}
      {(inactive.length > 0 || overflow.length > 0) && (
        <div class="menu-anchor" ref={ref}>
          <button
            class={'tab more' + (open ? ' open' : '')}
            aria-haspopup="menu"
            aria-expanded={open}
            title={overflow.length ? `${overflow.length} more dashboard${overflow.length === 1 ? '' : 's'}` : 'Inactive dashboards'}
            data-testid="more-tabs"
            onClick={() => setOpen(!open)}
          >
            {overflow.length ? `More (${overflow.length})` : 'More'} ▾
          </button>
          {open && (
            <div class="menu tabs-menu" role="menu">
              {overflow.length > 0 && <div class="menu-title">Dashboards</div>}
              {overflow.map(([name, e]) => (
                <button role="menuitem" class="menu-item" key={name} data-overflow-plugin={name} onClick={() => select(name)}>
                  {e.tab_name}
                </button>
              ))}
              {inactive.length > 0 && <div class="menu-title">Inactive dashboards</div>}
              {inactive.map(([name, e]) => (
                <button role="menuitem" class="menu-item" key={name} data-plugin={name} onClick={() => select(name)}>
                  {e.tab_name}
                </button>
              ))}
            </div>
          )}
        </div>
      )}
    </nav>
  );
}

export function TopBar({ state, active, prefs: p, onReload, selectedRuns = [] }: Props) {
  const env = state.env;
  const title = env?.window_title || '';
  const updated = state.lastUpdated ? new Date(state.lastUpdated).toLocaleTimeString() : '';
  const [panel, setPanel] = useState(false);
  const dark = isDark(p);
  return (
    <header class="topbar">
      <div class="brand" title={env?.data_location ? `Log directory: ${env.data_location}` : undefined}>
        <svg class="logo" viewBox="0 0 24 24" aria-hidden="true">
          <path d="M3 19 L8 11 L12 14 L17 6 L21 9" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" />
        </svg>
        <span class="name">tboard</span>
      </div>
      {title && (
        <div class="window-title" data-testid="window-title">
          {title}
        </div>
      )}
      {state.plugins && <Tabs plugins={state.plugins} active={active} />}
      {!state.plugins && <div class="spacer" />}
      {state.error && (
        <div class="status error" title={state.error}>
          Cannot reach the server
        </div>
      )}
      {!state.error && updated && (
        <div class="status" title={`Last updated ${updated}; ` + (p.refreshSec ? `reloading every ${p.refreshSec} s` : 'automatic reload is off')}>
          {updated}
        </div>
      )}
      {!isSnapshot && selectedRuns.length > 0 && <ShareButton runs={[...selectedRuns]} />}
      <ExportMenu active={active} runs={selectedRuns} />
      <button
        class={'icon-button' + (state.loading ? ' spinning' : '')}
        title="Reload data"
        aria-label="Reload data"
        data-testid="reload"
        onClick={onReload}
      >
        <svg viewBox="0 0 24 24" aria-hidden="true">
          <path d="M20 12a8 8 0 1 1-2.34-5.66" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
          <path d="M20 4v5h-5" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" />
        </svg>
      </button>
      <button
        class="icon-button"
        title={dark ? 'Light mode' : 'Dark mode'}
        aria-label={dark ? 'Switch to light mode' : 'Switch to dark mode'}
        data-testid="theme-toggle"
        onClick={() => prefs.update({ theme: dark ? 'light' : 'dark' })}
      >
        {dark ? (
          <svg viewBox="0 0 24 24" aria-hidden="true">
            <circle cx="12" cy="12" r="4" fill="none" stroke="currentColor" stroke-width="2" />
            <path
              d="M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4"
              stroke="currentColor"
              stroke-width="2"
              stroke-linecap="round"
            />
          </svg>
        ) : (
          <svg viewBox="0 0 24 24" aria-hidden="true">
            <path d="M20 14.5A8 8 0 0 1 9.5 4a8 8 0 1 0 10.5 10.5z" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round" />
          </svg>
        )}
      </button>
      <MenuButton
        open={panel}
        setOpen={setPanel}
        kind="icon-button"
        title="Settings"
        label="Settings"
        testid="settings-button"
        icon={
          <svg viewBox="0 0 24 24" aria-hidden="true">
            <path
              d="M12 15.5a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zM19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z"
              fill="none"
              stroke="currentColor"
              stroke-width="1.6"
            />
          </svg>
        }
      >
        {() => <SettingsPanel prefs={p} dataLocation={env?.data_location ?? ''} version={env?.version ?? ''} />}
      </MenuButton>
    </header>
  );
}
