// Entry point of the tboard UI.
import { render } from 'preact';
import 'uplot/dist/uPlot.min.css';

function App() {
  return <div class="app">tboard</div>;
}

render(<App />, document.getElementById('app')!);
