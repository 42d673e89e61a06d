//! The `shared` feature through the Rust API (`EventSourceOptions::shared`,
//! `EventSource::sharing`): sources of one page with the same key share one connection (the
//! server's subscriber count of a channel of our own says how many streams are open), a
//! different header makes another connection, and the connection ends only when the last
//! source is closed. Sharing among tabs and workers is tested through the npm package
//! (tests/js/shared.test.mjs, tests/js/shared-worker.test.mjs).

use eventsource_wasm::{EventSource, EventSourceOptions, ReadyState};
use wasm_bindgen_test::*;

use super::support::*;

fn shared() -> EventSourceOptions {
    EventSourceOptions::new().shared(true)
}

async fn open(path: &str, options: &EventSourceOptions) -> EventSource {
    let source = EventSource::with_options(path, options).unwrap();
    wait_until("open", 5000, || source.ready_state() == ReadyState::Open).await;
    source
}

#[wasm_bindgen_test]
async fn two_shared_sources_of_one_page_share_one_connection_until_both_are_closed() {
    let channel = unique("shared-rust");
    let path = url(&format!("/events?channel={channel}"));
    let one = open(&path, &shared()).await;
    let two = open(&path, &shared()).await;
    for source in [&one, &two] {
        let sharing = source
            .sharing()
            .expect("shared in a browser with Web Locks");
        assert!(sharing.leader, "this page holds the connection");
        assert_eq!(sharing.contexts, 1, "one page shares it");
    }
    let (got_one, _one) = collect_data(&one);
    let (got_two, _two) = collect_data(&two);
    assert_eq!(publish(&channel, None, "1").await, 1, "one stream for both");
    assert_eq!(publish(&channel, None, "2").await, 1);
    wait_until("both sources' events", 5000, || {
        got_one.borrow().len() == 2 && got_two.borrow().len() == 2
    })
    .await;
    assert_eq!(*got_one.borrow(), [1, 2]);
    assert_eq!(*got_two.borrow(), [1, 2]);

    // Closing one leaves the other running on the same connection.
    one.close();
    assert_eq!(one.ready_state(), ReadyState::Closed);
    assert_eq!(publish(&channel, None, "3").await, 1);
    wait_until("the other's event", 5000, || got_two.borrow().len() == 3).await;
    assert_eq!(*got_two.borrow(), [1, 2, 3]);
    assert_eq!(*got_one.borrow(), [1, 2], "a closed source gets nothing");
    assert_eq!(two.ready_state(), ReadyState::Open);
    assert!(two.sharing().is_some_and(|sharing| sharing.leader));

    // Closing the last one ends the connection (after the grace period).
    two.close();
    wait_for_receivers(&channel, 0, 5000).await;
}

#[wasm_bindgen_test]
async fn a_shared_source_with_another_header_has_its_own_connection() {
    let channel = unique("shared-rust-keys");
    let path = url(&format!("/events?channel={channel}"));
    let one = open(&path, &shared().header("X-Token", "one")).await;
    let same = open(&path, &shared().header("X-Token", "one")).await;
    let other = open(&path, &shared().header("X-Token", "two")).await;
    for source in [&one, &same, &other] {
        assert!(source.sharing().is_some_and(|sharing| sharing.leader));
    }
    let (got_same, _same) = collect_data(&same);
    let (got_other, _other) = collect_data(&other);
    assert_eq!(
        publish(&channel, None, "1").await,
        2,
        "one stream per header value"
    );
    assert_eq!(publish(&channel, None, "2").await, 2);
    wait_until("both connections' events", 5000, || {
        got_same.borrow().len() == 2 && got_other.borrow().len() == 2
    })
    .await;
    assert_eq!(*got_same.borrow(), [1, 2]);
    assert_eq!(*got_other.borrow(), [1, 2]);
    for source in [&one, &same, &other] {
        source.close();
    }
    wait_for_receivers(&channel, 0, 5000).await;
}

#[wasm_bindgen_test]
async fn a_source_not_shared_reports_no_sharing() {
    let source = EventSource::with_options(
        &url("/fixture/basic"),
        &EventSourceOptions::new().shared(false),
    )
    .unwrap();
    assert_eq!(source.sharing(), None);
    source.close();
}
