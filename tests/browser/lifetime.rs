//! What keeps a connection open: weak handles in callbacks (issue 14 item 2) and streams
//! consumed in a task (item 3). The server's subscriber count of a channel of our own shows
//! whether the connection is really gone.

use std::cell::RefCell;
use std::rc::Rc;

use eventsource_wasm::{EventSource, ReadyState, SourceEvent};
use futures::StreamExt;
use wasm_bindgen_test::*;

use super::support::*;

/// A source on a channel of its own, open and counted by the server.
async fn open_channel(prefix: &str) -> (EventSource, String) {
    let channel = unique(prefix);
    let source = EventSource::new(&url(&format!("/events?channel={channel}"))).unwrap();
    wait_until("open", 5000, || source.ready_state() == ReadyState::Open).await;
    wait_for_receivers(&channel, 1, 3000).await;
    (source, channel)
}

#[wasm_bindgen_test]
async fn a_forgotten_callback_with_a_weak_handle_lets_the_connection_close() {
    let (source, channel) = open_channel("weak").await;
    let weak = source.downgrade();
    source
        .on_error({
            let weak = weak.clone();
            move |_| weak.close()
        })
        .forget();
    assert!(weak.upgrade().is_some());
    drop(source);
    assert!(weak.upgrade().is_none(), "the weak handle owned the source");
    weak.close();
    wait_for_receivers(&channel, 0, 5000).await;
}

#[wasm_bindgen_test]
async fn a_forgotten_callback_that_owns_a_clone_keeps_the_connection_until_closed() {
    // The cycle the `forget` docs warn of: documented, so tested.
    let (source, channel) = open_channel("cycle").await;
    let weak = source.downgrade();
    let me = source.clone();
    source.on_error(move |_| me.close()).forget();
    drop(source);
    sleep(1200).await;
    assert_eq!(publish(&channel, Some("ping"), "").await, 1, "still open");
    let source = weak.upgrade().expect("the callback still owns the source");
    source.close();
    drop(source);
    assert!(weak.upgrade().is_none(), "closing released the callback");
    wait_for_receivers(&channel, 0, 5000).await;
}

#[wasm_bindgen_test]
async fn a_stream_in_a_task_ends_when_the_source_is_closed_from_outside() {
    let (source, channel) = open_channel("task-close").await;
    let ended = Rc::new(RefCell::new(None));
    let mut events = source.subscribe("tick");
    wasm_bindgen_futures::spawn_local({
        let ended = ended.clone();
        async move {
            let mut seen = 0;
            while events.next().await.is_some() {
                seen += 1;
            }
            *ended.borrow_mut() = Some(seen);
        }
    });
    publish(&channel, Some("tick"), "1").await;
    sleep(200).await;
    // The component's cleanup hook: close, and the task's loop ends.
    source.close();
    wait_until("the task to end", 2000, || ended.borrow().is_some()).await;
    assert_eq!(*ended.borrow(), Some(1));
    wait_for_receivers(&channel, 0, 5000).await;
}

#[wasm_bindgen_test]
async fn a_stream_owns_the_connection_until_it_is_dropped() {
    let (source, channel) = open_channel("task-drop").await;
    let weak = source.downgrade();
    let events = source.events();
    drop(source);
    // The stream still owns it: a task that holds it keeps the connection open.
    sleep(1200).await;
    assert_eq!(publish(&channel, Some("ping"), "").await, 1, "still open");
    assert!(weak.upgrade().is_some());
    // A task scoped to the component (Dioxus, `futures::future::Abortable`) drops its stream:
    // the last owner is gone, the connection closes.
    let (task, abort) = futures::future::abortable(async move {
        let mut events = events;
        while let Some(event) = events.next().await {
            if let SourceEvent::Closed = event {
                break;
            }
        }
    });
    wasm_bindgen_futures::spawn_local(async move {
        let _ = task.await;
    });
    sleep(100).await;
    abort.abort();
    wait_until("the stream to be dropped", 2000, || {
        weak.upgrade().is_none()
    })
    .await;
    wait_for_receivers(&channel, 0, 5000).await;
}
