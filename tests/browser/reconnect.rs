//! Reconnection: chaos (connections cut at random byte offsets), outages, retry policy faults.

use super::*;
use eventsource_wasm::{RetryPolicy, Transport};
use std::time::Duration;

/// How many requests the server has seen for `path`.
async fn requests(path: &str) -> u64 {
    let window = web_sys::window().unwrap();
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(&url("/stats")))
        .await
        .unwrap()
        .dyn_into()
        .unwrap();
    let stats = JsFuture::from(response.json().unwrap()).await.unwrap();
    let all = js_sys::Reflect::get(&stats, &"requests".into()).unwrap();
    js_sys::Reflect::get(&all, &path.into())
        .unwrap()
        .as_f64()
        .unwrap_or(0.0) as u64
}

pub(crate) fn transports() -> [(&'static str, Transport); 2] {
    [
        ("eventsource", Transport::EventSource),
        ("fetch", Transport::Fetch),
    ]
}

fn fetch_with_retry(policy: RetryPolicy) -> EventSourceOptions {
    EventSourceOptions::new()
        .transport(Transport::Fetch)
        .retry(policy)
}

#[wasm_bindgen_test]
async fn http_401_is_fatal_even_with_a_retry_policy() {
    let before = requests("/status/401").await;
    let source = EventSource::with_options(
        &url("/status/401"),
        &fetch_with_retry(RetryPolicy::new().initial_delay(Duration::from_millis(10))),
    )
    .unwrap();
    let mut events = source.events();
    let mut last = None;
    within("the end", 5000, async {
        while let Some(event) = events.next().await {
            if !matches!(event, SourceEvent::Closed) {
                last = Some(event);
            }
        }
    })
    .await;
    let Some(SourceEvent::Error(error)) = last else {
        panic!("{last:?}")
    };
    assert!(error.is_fatal());
    assert_eq!(error.status(), Some(401));
    sleep(200).await;
    assert_eq!(requests("/status/401").await - before, 1, "no retry");
}

#[wasm_bindgen_test]
async fn http_503_with_retry_after_waits_about_a_second() {
    let path = "/status/503";
    let before = requests(path).await;
    let options = fetch_with_retry(
        RetryPolicy::new()
            .initial_delay(Duration::from_millis(10))
            .max_retries(Some(1)),
    );
    let source =
        EventSource::with_options(&url(&format!("{path}?retry_after=1")), &options).unwrap();
    let delays = Rc::new(RefCell::new(Vec::new()));
    let _reconnecting = source.on_reconnecting({
        let delays = delays.clone();
        move |event| {
            delays.borrow_mut().push((
                event.attempt(),
                event.delay().as_millis(),
                event.reason(),
                event.status(),
            ))
        }
    });
    let errors = Rc::new(RefCell::new(Vec::new()));
    let _errors = source.on_error({
        let errors = errors.clone();
        move |error| {
            errors
                .borrow_mut()
                .push((js_sys::Date::now(), error.is_fatal(), error.message()))
        }
    });
    wait_until("the fatal error", 5000, || {
        errors.borrow().iter().any(|e| e.1)
    })
    .await;
    assert_eq!(
        *delays.borrow(),
        vec![(1, 1000, "status".to_owned(), Some(503))]
    );
    let errors = errors.borrow().clone();
    let waited = errors[1].0 - errors[0].0;
    assert!((950.0..2500.0).contains(&waited), "waited {waited} ms");
    assert!(
        errors[1].2.contains("gave up after 1 retries"),
        "{}",
        errors[1].2
    );
    assert_eq!(requests(path).await - before, 2);
}

#[wasm_bindgen_test]
async fn max_retries_ends_with_a_fatal_error() {
    for (name, transport) in transports() {
        let path = "/status/500";
        let before = requests(path).await;
        let options = EventSourceOptions::new().transport(transport).retry(
            RetryPolicy::new()
                .initial_delay(Duration::from_millis(20))
                .jitter(0.0)
                .max_retries(Some(2)),
        );
        let source = EventSource::with_options(&url(path), &options).unwrap();
        let attempts = Rc::new(RefCell::new(Vec::new()));
        let _reconnecting = source.on_reconnecting({
            let attempts = attempts.clone();
            move |event| {
                attempts
                    .borrow_mut()
                    .push((event.attempt(), event.delay().as_millis()))
            }
        });
        let (errors, _errors) = record_errors(&source);
        wait_until(&format!("the fatal error ({name})"), 5000, || {
            errors.borrow().iter().any(|e| e.1)
        })
        .await;
        assert_eq!(*attempts.borrow(), vec![(1, 20), (2, 40)], "{name}");
        let errors = errors.borrow().clone();
        assert_eq!(errors.len(), 3, "{name}: {errors:?}");
        assert!(
            errors[..2]
                .iter()
                .all(|e| e.0 && !e.1 && e.2 == ReadyState::Connecting),
            "{name}: {errors:?}"
        );
        assert_eq!(errors[2], (false, true, ReadyState::Closed), "{name}");
        assert_eq!(source.ready_state(), ReadyState::Closed);
        sleep(200).await;
        // The browser's EventSource hides the status: one probe request after each give-up.
        let expected = if name == "fetch" { 3 } else { 6 };
        assert_eq!(
            requests(path).await - before,
            expected,
            "{name}: one request and two retries"
        );
    }
}

#[wasm_bindgen_test]
async fn close_during_backoff_leaves_no_timer_and_no_new_connection() {
    for (name, transport) in transports() {
        let path = "/status/502";
        let before = requests(path).await;
        let options = EventSourceOptions::new().transport(transport).retry(
            RetryPolicy::new()
                .initial_delay(Duration::from_millis(400))
                .jitter(0.0),
        );
        let source = EventSource::with_options(&url(path), &options).unwrap();
        let waiting = Rc::new(RefCell::new(false));
        let _reconnecting = source.on_reconnecting({
            let waiting = waiting.clone();
            move |_| *waiting.borrow_mut() = true
        });
        wait_until("the backoff", 5000, || *waiting.borrow()).await;
        assert_eq!(source.ready_state(), ReadyState::Connecting, "{name}");
        source.close();
        assert_eq!(source.ready_state(), ReadyState::Closed);
        sleep(800).await;
        // The browser's EventSource gave up once: one probe request learnt the status.
        let expected = if name == "fetch" { 1 } else { 2 };
        assert_eq!(
            requests(path).await - before,
            expected,
            "{name}: no reconnect after close()"
        );
    }
}

#[wasm_bindgen_test]
async fn a_seeded_last_event_id_resumes_on_both_transports() {
    for (name, transport) in transports() {
        let options = EventSourceOptions::new()
            .transport(transport)
            .last_event_id("41");
        let source = EventSource::with_options(&url("/finite?n=2&retry=5000"), &options).unwrap();
        let ids = Rc::new(RefCell::new(Vec::new()));
        let _m = source.on_message({
            let ids = ids.clone();
            move |event| ids.borrow_mut().push(event.last_event_id())
        });
        wait_until("two events", 5000, || ids.borrow().len() == 2).await;
        assert_eq!(*ids.borrow(), ["42", "43"], "{name}");
        source.close();
    }
}

#[wasm_bindgen_test]
async fn idle_timeout_counts_from_the_last_byte() {
    let options = EventSourceOptions::new()
        .idle_timeout(Duration::from_millis(400))
        .retry(
            RetryPolicy::new()
                .initial_delay(Duration::from_millis(5000))
                .max_retries(Some(1)),
        );
    assert!(options.needs_fetch());
    // The fixture sends three events at once and then stays silent.
    let source = EventSource::with_options(&url("/fixture/basic"), &options).unwrap();
    let third_at = Rc::new(RefCell::new(None));
    let _m = source.on_message({
        let third_at = third_at.clone();
        move |event| {
            if event.data() == "three" {
                *third_at.borrow_mut() = Some(js_sys::Date::now());
            }
        }
    });
    let reconnecting = Rc::new(RefCell::new(None));
    let _r = source.on_reconnecting({
        let reconnecting = reconnecting.clone();
        move |event| *reconnecting.borrow_mut() = Some((js_sys::Date::now(), event.reason()))
    });
    wait_until("the idle timeout", 3000, || reconnecting.borrow().is_some()).await;
    let (at, reason) = reconnecting.borrow().clone().unwrap();
    assert_eq!(reason, "idle");
    let quiet = at - third_at.borrow().unwrap();
    assert!(
        (380.0..700.0).contains(&quiet),
        "timed out {quiet} ms after the last byte"
    );
    source.close();
}

/// Each stream ends; under the retry policy the library reopens the source itself (the
/// browser's own reconnect would send the ID in a header, which this server refuses with a 500)
/// with the last event ID in the query parameter, and the stream resumes where it stopped.
#[wasm_bindgen_test]
async fn native_reopen_carries_the_last_event_id_in_the_query() {
    let options = EventSourceOptions::new()
        .transport(Transport::EventSource)
        .last_event_id_param("lastEventId")
        .retry(
            RetryPolicy::new()
                .initial_delay(Duration::from_millis(50))
                .jitter(0.0)
                .max_retries(Some(3)),
        );
    let source =
        EventSource::with_options(&url("/finite?n=2&retry=50&header_fails=1"), &options).unwrap();
    let ids = Rc::new(RefCell::new(Vec::new()));
    let _m = source.on_message({
        let ids = ids.clone();
        move |event| ids.borrow_mut().push(event.last_event_id())
    });
    let reopened = Rc::new(RefCell::new(0));
    let _r = source.on_reconnecting({
        let reopened = reopened.clone();
        move |event| {
            assert_eq!(event.reason(), "network");
            *reopened.borrow_mut() += 1;
        }
    });
    wait_until("six events across reopens", 8000, || {
        ids.borrow().len() >= 6
    })
    .await;
    source.close();
    assert_eq!(&ids.borrow()[..6], ["1", "2", "3", "4", "5", "6"]);
    assert!(*reopened.borrow() >= 2, "the policy reopened the source");
    assert_eq!(
        source.url(),
        url("/finite?n=2&retry=50&header_fails=1"),
        "url() is the one given"
    );
}
