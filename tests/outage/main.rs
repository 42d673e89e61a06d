//! A five-second server outage, in its own test binary: while the server is down, every other
//! request would fail too, so it must not run beside the other browser tests.
#![cfg(target_arch = "wasm32")]

#[path = "../browser/support.rs"]
mod support;

use eventsource_wasm::{
    EventSource, EventSourceOptions, ReadyState, RetryPolicy, SourceEvent, Transport,
};
use futures::StreamExt;
use std::time::Duration;
use support::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn transports() -> [(&'static str, Transport); 2] {
    [
        ("eventsource", Transport::EventSource),
        ("fetch", Transport::Fetch),
    ]
}

#[wasm_bindgen_test]
async fn server_down_for_five_seconds_then_back_loses_nothing() {
    for (name, transport) in transports() {
        let channel = unique(&format!("outage-{name}"));
        let options = EventSourceOptions::new().transport(transport).retry(
            RetryPolicy::new()
                .initial_delay(Duration::from_millis(200))
                .max_delay(Duration::from_millis(1000)),
        );
        let source = EventSource::with_options(
            &url(&format!("/events?channel={channel}&retry=200")),
            &options,
        )
        .unwrap();
        let (data, _messages) = collect_data(&source);
        let (errors, _errors) = record_errors(&source);
        let mut events = source.events();
        assert!(matches!(
            within("open", 5000, events.next()).await,
            Some(SourceEvent::Open)
        ));
        post(&format!("/burst?channel={channel}&n=50")).await;
        wait_until("the first 50", 5000, || data.borrow().len() == 50).await;
        // 50 more are published one second into a five-second outage.
        post(&format!("/burst?channel={channel}&n=50&delay_ms=1000")).await;
        post("/admin/outage?ms=5000").await;
        wait_until(
            &format!("all 100 after the outage ({name})"),
            20_000,
            || data.borrow().len() >= 100,
        )
        .await;
        sleep(200).await;
        // The burst numbers each batch 1..=50.
        let expected: Vec<u64> = (1..=50).chain(1..=50).collect();
        assert_eq!(*data.borrow(), expected, "{name}");
        assert!(
            !errors.borrow().is_empty(),
            "{name}: the outage was noticed"
        );
        assert!(
            errors.borrow().iter().all(|(_, fatal, _)| !fatal),
            "{name}: never fatal"
        );
        assert_eq!(source.ready_state(), ReadyState::Open);
        source.close();
    }
}
