import { onScopeDispose, ref, shallowRef } from 'vue';
import init, { EventSource } from 'eventsource-wasm';

/**
 * The last `keep` values of the JSON events of `type` from `url`, and the last fatal error, as
 * refs. The stream closes when the calling component (or effect scope) is disposed.
 */
export function useEventSource(url, type, keep = 10) {
  const values = shallowRef([]);
  const error = ref(null);
  let source = null;
  let disposed = false;

  init().then(
    () => {
      if (disposed) return;
      source = new EventSource(url);
      source.onJson(type, (value) => { values.value = [...values.value, value].slice(-keep); });
      source.onerror = (event) => { if (event.fatal) error.value = event.message; };
    },
    (reason) => { error.value = String(reason); },
  );
  onScopeDispose(() => {
    disposed = true;
    source?.close();
  });

  return { values, error };
}
