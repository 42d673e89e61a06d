//! JSON for stream users (issue 14 item 4) and the close as a state change and a stream item
//! (item 5).

use eventsource_wasm::{DecodeError, ReadyState, SourceEvent};
use futures::StreamExt;
use wasm_bindgen_test::*;

use super::support::*;
use super::EventSource;

#[derive(Debug, PartialEq, serde::Deserialize)]
struct Tick {
    n: u64,
}

#[wasm_bindgen_test]
async fn messages_decode_json_and_subscribe_json_yields_typed_results() {
    let channel = unique("json");
    let source = EventSource::new(&url(&format!("/events?channel={channel}"))).unwrap();
    let mut ticks = source.subscribe_json::<Tick>("tick");
    let mut raw = source.subscribe("tick");
    wait_until("open", 5000, || source.ready_state() == ReadyState::Open).await;
    publish(&channel, Some("tick"), r#"{"n":7}"#).await;
    publish(&channel, Some("tick"), "not json").await;
    publish(&channel, Some("tick"), r#"{"m":1}"#).await;
    assert_eq!(
        within("a tick", 5000, ticks.next()).await,
        Some(Ok(Tick { n: 7 }))
    );
    match within("a tick", 5000, ticks.next()).await {
        Some(Err(DecodeError::Syntax { data, .. })) => assert_eq!(data, "not json"),
        other => panic!("expected a syntax error, got {other:?}"),
    }
    match within("a tick", 5000, ticks.next()).await {
        Some(Err(error @ DecodeError::Shape { .. })) => assert_eq!(error.data(), r#"{"m":1}"#),
        other => panic!("expected a shape error, got {other:?}"),
    }
    let first = within("a message", 5000, raw.next()).await.unwrap();
    assert_eq!(first.json::<Tick>(), Ok(Tick { n: 7 }));
    assert!(first.json::<Vec<u8>>().is_err());
    source.close();
    assert!(within("the end", 2000, ticks.next()).await.is_none());
}

#[wasm_bindgen_test]
async fn close_is_a_state_change_and_the_last_item_of_every_stream() {
    let channel = unique("closed");
    let source = EventSource::new(&url(&format!("/events?channel={channel}"))).unwrap();
    let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let _watch = source.on_state_change({
        let seen = seen.clone();
        move |state| seen.borrow_mut().push(state.ready_state)
    });
    let mut states = source.state_changes();
    let mut events = source.events();
    let opened = within("open", 5000, events.next()).await;
    assert!(matches!(opened, Some(SourceEvent::Open)), "{opened:?}");
    let state = within("the open state", 2000, states.next()).await.unwrap();
    assert_eq!(state.ready_state, ReadyState::Open);
    assert_eq!(seen.borrow().last(), Some(&ReadyState::Open));

    source.close();
    assert_eq!(
        seen.borrow().last(),
        Some(&ReadyState::Closed),
        "the callback"
    );
    let closed = within("the closed state", 2000, states.next())
        .await
        .unwrap();
    assert_eq!(closed.ready_state, ReadyState::Closed);
    assert!(within("states to end", 2000, states.next()).await.is_none());
    let last = within("Closed", 2000, events.next()).await;
    assert!(matches!(last, Some(SourceEvent::Closed)), "{last:?}");
    assert!(within("events to end", 2000, events.next()).await.is_none());

    // Streams taken after the close: the closed state once, `Closed` once, then the end.
    let mut late_states = source.state_changes();
    let state = within("a late state", 2000, late_states.next())
        .await
        .unwrap();
    assert_eq!(state.ready_state, ReadyState::Closed);
    assert!(late_states.next().await.is_none());
    let mut late_events = source.events();
    assert!(matches!(
        late_events.next().await,
        Some(SourceEvent::Closed)
    ));
    assert!(late_events.next().await.is_none());
}
