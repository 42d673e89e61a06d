import { useEventSource } from './useEventSource.js';

export function App() {
  const { values: ticks, error } = useEventSource('/events', 'tick');
  return (
    <>
      <h1>Ticks</h1>
      <ul id="events">
        {ticks.map((tick) => <li key={tick.n}>tick {tick.n}</li>)}
        {error && <li>gave up: {error}</li>}
      </ul>
    </>
  );
}
