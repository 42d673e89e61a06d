//! Streams that end on purpose (`close_on`), resume without re-sending their request
//! (`resume`), batch at frame rate (`on_batch`) and expose their state (`state_changes`), on
//! both transports where the feature applies.

use super::*;
use eventsource_wasm::{CloseOn, Every, Resume, RetryPolicy, Transport};
use std::time::Duration;

fn quick(transport: Transport) -> EventSourceOptions {
    EventSourceOptions::new().transport(transport).retry(
        RetryPolicy::new()
            .initial_delay(Duration::from_millis(10))
            .jitter(0.0),
    )
}

fn data_is(text: &'static str) -> CloseOn {
    CloseOn::when(move |event| event.data() == text)
}

#[wasm_bindgen_test]
async fn close_on_resumes_truncated_streams_and_the_state_follows() {
    for transport in [Transport::EventSource, Transport::Fetch] {
        let options = quick(transport).close_on(data_is("event 5"));
        let source =
            EventSource::with_options(&url(&unique("/finite?n=3&retry=10&t")), &options).unwrap();
        let mut states = source.state_changes();
        let mut events = source.events();
        let log = Rc::new(RefCell::new(Vec::new()));
        let _collect = {
            let log = log.clone();
            source.on_error(move |error| {
                log.borrow_mut().push(format!(
                    "error truncated={} fatal={}",
                    error.is_truncated(),
                    error.is_fatal()
                ))
            })
        };
        let mut seen = Vec::new();
        within("the stream to complete", 10_000, async {
            while let Some(event) = events.next().await {
                if let SourceEvent::Message(message) = event {
                    seen.push(message.data());
                }
            }
        })
        .await;
        assert_eq!(
            seen,
            ["event 1", "event 2", "event 3", "event 4", "event 5"],
            "{transport:?}"
        );
        assert_eq!(
            *log.borrow(),
            ["error truncated=true fatal=false"],
            "{transport:?}"
        );
        let mut last = None;
        within("the state stream to end", 2000, async {
            while let Some(state) = states.next().await {
                last = Some(state);
            }
        })
        .await;
        let last = last.unwrap();
        assert_eq!(last.ready_state, ReadyState::Closed, "{transport:?}");
        assert_eq!(last.events_received, 5, "{transport:?}");
        assert_eq!(last.last_event_id, "5", "{transport:?}");
        assert_eq!(source.state(), last);
    }
}

#[wasm_bindgen_test]
async fn batches_deliver_every_event_once_in_order_across_reconnects() {
    for transport in [Transport::EventSource, Transport::Fetch] {
        let options = quick(transport).close_on(data_is("event 120"));
        let source =
            EventSource::with_options(&url(&unique("/finite?n=50&retry=10&t")), &options).unwrap();
        let got = Rc::new(RefCell::new(Vec::new()));
        let calls = Rc::new(RefCell::new(0));
        let _batch = {
            let (got, calls) = (got.clone(), calls.clone());
            source.on_batch(Every::Frame, move |events| {
                *calls.borrow_mut() += 1;
                got.borrow_mut()
                    .extend(events.iter().map(|event| event.data.clone()));
            })
        };
        wait_until("the stream to complete", 10_000, || {
            source.ready_state() == ReadyState::Closed
        })
        .await;
        let expected: Vec<String> = (1..=120).map(|n| format!("event {n}")).collect();
        assert_eq!(*got.borrow(), expected, "{transport:?}");
        assert!(
            *calls.borrow() < 120,
            "{transport:?}: {} calls",
            calls.borrow()
        );
    }
}

#[wasm_bindgen_test]
async fn a_post_continues_by_get_and_is_sent_once() {
    let body = r#"{"prompt":"a b c","tokens":200,"interval_ms":1}"#;
    let options = quick(Transport::Fetch)
        .method("POST")
        .header("content-type", "application/json")
        .body(body)
        .resume(Resume::get_with(|last_event_id| {
            let reply = last_event_id.split(':').next().unwrap_or_default();
            // Relative URLs resolve against this page, the test runner's: name the server.
            url(&format!("/chat/{reply}"))
        }))
        .close_on(CloseOn::event_type("done"));
    let source = EventSource::with_options(&url("/chat?cut_after=50"), &options).unwrap();
    let mut tokens = source.subscribe("token");
    let mut ids = Vec::new();
    within("the reply", 10_000, async {
        while let Some(token) = tokens.next().await {
            ids.push(token.last_event_id());
        }
    })
    .await;
    let reply = ids[0].split(':').next().unwrap().to_owned();
    let expected: Vec<String> = (1..=200).map(|n| format!("{reply}:{n}")).collect();
    assert_eq!(ids, expected);
    let window = web_sys::window().unwrap();
    let stats = JsFuture::from(window.fetch_with_str(&url(&format!("/chat/{reply}/stats"))))
        .await
        .unwrap()
        .dyn_into::<web_sys::Response>()
        .unwrap();
    let stats = JsFuture::from(stats.json().unwrap()).await.unwrap();
    let posts = js_sys::Reflect::get(&stats, &"posts".into()).unwrap();
    assert_eq!(
        posts.as_f64(),
        Some(1.0),
        "{}",
        js_sys::JSON::stringify(&stats).unwrap()
    );
}
