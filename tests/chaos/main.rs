//! The chaos test, in its own test binary so that `npm test` runs it in Chromium and in
//! Firefox ESR (`wasm-pack test --headless --firefox -- --test chaos`).
#![cfg(target_arch = "wasm32")]

#[path = "../browser/support.rs"]
mod support;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use eventsource_wasm::{EventSource, EventSourceOptions, RetryPolicy, Transport};
use support::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn transports() -> [(&'static str, Transport); 2] {
    [
        ("eventsource", Transport::EventSource),
        ("fetch", Transport::Fetch),
    ]
}

/// 10,000 events while the server cuts the connection at random byte offsets (often in the
/// middle of an event) about every 200 events: every event arrives exactly once, in order.
#[wasm_bindgen_test]
async fn chaos_every_event_exactly_once_in_order() {
    const EVENTS: u64 = 10_000;
    for (name, transport) in transports() {
        let channel = unique(&format!("chaos-{name}"));
        // ~20 bytes per event: a cut every 1..8000 bytes is about every 200 events.
        let path = format!("/events?channel={channel}&chaos=42&chaos_bytes=4000&retry=20");
        let options = EventSourceOptions::new().transport(transport).retry(
            RetryPolicy::new()
                .initial_delay(Duration::from_millis(20))
                .max_delay(Duration::from_millis(200))
                .reset_after(Duration::from_millis(0)),
        );
        let source = EventSource::with_options(&url(&path), &options).unwrap();
        let (data, _messages) = collect_data(&source);
        let opens = Rc::new(RefCell::new(0u32));
        let _open = source.on_open({
            let opens = opens.clone();
            move || *opens.borrow_mut() += 1
        });
        wait_until("the first open", 5000, || *opens.borrow() > 0).await;
        post(&format!("/burst?channel={channel}&n={EVENTS}&per_ms=20")).await;
        wait_until(&format!("{EVENTS} events over {name}"), 60_000, || {
            data.borrow().len() as u64 >= EVENTS
        })
        .await;
        sleep(200).await;
        source.close();
        let data = data.borrow();
        let expected: Vec<u64> = (1..=EVENTS).collect();
        if *data != expected {
            let first_bad = data.iter().zip(&expected).position(|(a, b)| a != b);
            panic!(
                "{name}: {} events, first mismatch at {first_bad:?}: {:?}",
                data.len(),
                first_bad.map(|i| &data[i.saturating_sub(2)..(i + 3).min(data.len())])
            );
        }
        let reconnects = *opens.borrow();
        assert!(
            reconnects >= 10,
            "{name}: only {reconnects} connections: the chaos did not bite"
        );
    }
}
