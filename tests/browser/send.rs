//! The handles are `Send + Sync` on single-threaded wasm, as UI frameworks require (Leptos 0.8's
//! `on_cleanup`, `RwSignal`, `StoredValue`): a compile test, plus a run that uses them from
//! a `Send + Sync + 'static` closure.

use std::sync::Arc;

use eventsource_wasm::{
    CloseOn, DecodeError, Error, ErrorEvent, EventSource, EventSourceOptions, EventStream, Every,
    LastError, Listener, MessageEvent, MessageStream, ReadyState, SourceEvent, SourceState,
    StateStream, Transport,
};
use wasm_bindgen_test::*;

use super::support::*;

fn assert_send_sync<T: Send + Sync + 'static>() {}

#[wasm_bindgen_test]
fn every_public_handle_is_send_and_sync() {
    assert_send_sync::<EventSource>();
    assert_send_sync::<eventsource_wasm::WeakEventSource>();
    // Whatever the payload type: even a `!Send` one.
    assert_send_sync::<eventsource_wasm::JsonStream<std::rc::Rc<u64>>>();
    assert_send_sync::<Listener>();
    assert_send_sync::<EventStream>();
    assert_send_sync::<MessageStream>();
    assert_send_sync::<StateStream>();
    assert_send_sync::<MessageEvent>();
    assert_send_sync::<ErrorEvent>();
    assert_send_sync::<SourceEvent>();
    assert_send_sync::<SourceState>();
    assert_send_sync::<LastError>();
    assert_send_sync::<ReadyState>();
    assert_send_sync::<EventSourceOptions>();
    assert_send_sync::<CloseOn>();
    assert_send_sync::<Transport>();
    assert_send_sync::<Every>();
    assert_send_sync::<Error>();
    assert_send_sync::<DecodeError>();
    #[cfg(feature = "fetch")]
    {
        assert_send_sync::<eventsource_wasm::HeaderProvider>();
        assert_send_sync::<eventsource_wasm::Resume>();
        assert_send_sync::<eventsource_wasm::CredentialsMode>();
    }
    #[cfg(feature = "reconnect")]
    {
        assert_send_sync::<eventsource_wasm::ShouldRetry>();
        assert_send_sync::<eventsource_wasm::RetryPolicy>();
        assert_send_sync::<eventsource_wasm::ReconnectEvent>();
    }
}

/// What a framework's cleanup hook asks for: `FnOnce() + Send + Sync + 'static`.
fn on_cleanup(cleanup: impl FnOnce() + Send + Sync + 'static) -> Box<dyn FnOnce() + Send + Sync> {
    Box::new(cleanup)
}

#[wasm_bindgen_test]
async fn handles_move_into_send_sync_closures() {
    let source = EventSource::new(&url("/fixture/basic")).unwrap();
    let listener = source.on_message(|_| {});
    let stream = source.events();
    let shared = Arc::new(source.clone());
    let cleanup = on_cleanup(move || {
        drop(listener);
        drop(stream);
        shared.close();
    });
    wait_until("open", 5000, || source.ready_state() == ReadyState::Open).await;
    cleanup();
    assert_eq!(source.ready_state(), ReadyState::Closed);
}
