import { useEventSource } from './useEventSource.js';

const STATES = ['connecting', 'open', 'closed'];

export function App() {
  const { values: ticks, state, error } = useEventSource('/events', 'tick');
  return (
    <>
      <h1>Ticks</h1>
      <p id="state">
        {state ? `${STATES[state.readyState]}, ${state.eventsReceived} events` : 'loading'}
        {state?.lastError && !state.lastError.fatal ? ` (reconnecting: attempt ${state.attempt})` : ''}
      </p>
      <ul id="events">
        {ticks.map((tick) => <li key={tick.n}>tick {tick.n}</li>)}
        {error && <li>gave up: {error}</li>}
      </ul>
    </>
  );
}
