// Entry point of the tboard UI.
import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { data, useData } from './data';
import { useSettings } from './state';
import { TopBar } from './components/TopBar';
import { RunsSidebar } from './components/RunsSidebar';
import { ScalarsDashboard } from './components/ScalarsDashboard';

function App() {
  const state = useData();
  const s = useSettings();

  useEffect(() => data.start(), []);
  useEffect(() => {
    const t = state.env?.window_title;
    document.title = t ? `${t} - tboard` : 'tboard';
  }, [state.env?.window_title]);

  return (
    <div class="app">
      <TopBar state={state} onReload={() => void data.refresh(true)} />
      <div class="body">
        <RunsSidebar runs={state.runs} colors={data.colors} settings={s} />
        <ScalarsDashboard data={state} colors={data.colors} settings={s} />
      </div>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
