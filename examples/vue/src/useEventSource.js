import { onScopeDispose, ref, shallowRef } from 'vue';
import init, { EventSource } from 'eventsource-wasm';

/**
 * The last `keep` JSON values of the events of `type` from `url` (updated at most once per
 * animation frame, with `onBatch`), the source's state (`getSnapshot()`, refreshed by
 * `subscribe()`) and the last fatal error, as refs. The stream closes when the calling
 * component (or effect scope) is disposed.
 */
export function useEventSource(url, type, keep = 10) {
  const values = shallowRef([]);
  const state = shallowRef(null);
  const error = ref(null);
  let source = null;
  let disposed = false;

  init().then(
    () => {
      if (disposed) return;
      source = new EventSource(url, { retry: true });
      source.onBatch((events) => {
        values.value = [...values.value, ...events.map((event) => JSON.parse(event.data))].slice(-keep);
      }, { types: [type] });
      state.value = source.getSnapshot();
      source.subscribe(() => {
        state.value = source.getSnapshot();
        if (state.value.lastError?.fatal) error.value = state.value.lastError.message;
      });
    },
    (reason) => { error.value = String(reason); },
  );
  onScopeDispose(() => {
    disposed = true;
    source?.close();
  });

  return { values, state, error };
}
