import { useEffect, useState } from 'react';
import init, { EventSource } from 'eventsource-wasm';

/**
 * The last `keep` values of the JSON events of `type` from `url`, and the last fatal error.
 * Opens the stream when a component mounts, closes it on unmount or when an argument changes.
 */
export function useEventSource(url, type, keep = 10) {
  const [values, setValues] = useState([]);
  const [error, setError] = useState(null);

  useEffect(() => {
    let source = null;
    let closed = false;
    init().then(
      () => {
        if (closed) return; // unmounted while the module loaded
        source = new EventSource(url);
        source.onJson(type, (value) => setValues((previous) => [...previous, value].slice(-keep)));
        source.onerror = (event) => { if (event.fatal) setError(event.message); };
      },
      (reason) => setError(String(reason)),
    );
    return () => {
      closed = true;
      source?.close();
    };
  }, [url, type, keep]);

  return { values, error };
}
