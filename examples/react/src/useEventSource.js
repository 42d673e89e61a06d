import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import init, { EventSource } from 'eventsource-wasm';

const noSource = () => () => {};
const noSnapshot = () => null;

/**
 * The last `keep` JSON values of the events of `type` from `url` (rendered at most once per
 * animation frame, with `onBatch`) and the source's state (`getSnapshot()` through
 * `useSyncExternalStore`: readyState, attempt, lastError…). Opens the stream when a component
 * mounts, closes it on unmount or when an argument changes.
 */
export function useEventSource(url, type, keep = 10) {
  const [source, setSource] = useState(null);
  const [values, setValues] = useState([]);
  const [initError, setInitError] = useState(null);

  useEffect(() => {
    let created = null;
    let disposed = false;
    init().then(
      () => {
        if (disposed) return; // unmounted while the module loaded
        created = new EventSource(url, { retry: true });
        created.onBatch((events) => {
          const parsed = events.map((event) => JSON.parse(event.data));
          setValues((previous) => [...previous, ...parsed].slice(-keep));
        }, { types: [type] });
        setSource(created);
      },
      (reason) => setInitError(String(reason)),
    );
    return () => {
      disposed = true;
      created?.close();
      setSource(null);
    };
  }, [url, type, keep]);

  const subscribe = useCallback((onChange) => (source ? source.subscribe(onChange) : noSource()), [source]);
  const getSnapshot = useCallback(() => (source ? source.getSnapshot() : noSnapshot()), [source]);
  const state = useSyncExternalStore(subscribe, getSnapshot);
  const error = initError ?? (state?.lastError?.fatal ? state.lastError.message : null);
  return { values, state, error };
}
