//! Browser tests: `wasm-pack test --headless --chrome -- --test browser`, run by `npm test`,
//! which starts the companion server and passes its URL in `SSE_SERVER_URL` (read at compile
//! time, since a browser has no environment).
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use eventsource_wasm::{
    is_supported, DecodeError, Error, EventSource, EventSourceOptions, ReadyState, SourceEvent,
};
use futures::StreamExt;
#[cfg(all(feature = "fetch", feature = "reconnect"))]
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[cfg(all(feature = "fetch", feature = "reconnect"))]
mod reconnect;
#[cfg(all(feature = "fetch", feature = "reconnect"))]
mod streaming;

mod lifetime;
mod send;
#[cfg(feature = "shared")]
mod shared;
mod typed;

#[path = "support.rs"]
mod support;
use support::*;

#[wasm_bindgen_test]
fn feature_detection_in_a_window() {
    assert!(is_supported());
}

#[wasm_bindgen_test]
fn invalid_url_is_a_typed_error() {
    let error = EventSource::new("http://[::1").unwrap_err();
    match &error {
        Error::InvalidUrl { url, message } => {
            assert_eq!(url, "http://[::1");
            assert!(!message.is_empty());
        }
        other => panic!("expected InvalidUrl, got {other:?}"),
    }
    assert!(error.to_string().contains("http://[::1"));
}

#[wasm_bindgen_test]
async fn open_then_messages_with_metadata() {
    let source = EventSource::new(&url("/fixture/basic")).unwrap();
    assert_eq!(source.ready_state(), ReadyState::Connecting);
    assert_eq!(source.url(), url("/fixture/basic"));
    assert!(!source.with_credentials());
    let opened = Rc::new(RefCell::new(0));
    let messages = Rc::new(RefCell::new(Vec::new()));
    let _open = source.on_open({
        let opened = opened.clone();
        move || *opened.borrow_mut() += 1
    });
    let _message = source.on_message({
        let messages = messages.clone();
        move |event| {
            messages.borrow_mut().push((
                event.event_type(),
                event.data(),
                event.last_event_id(),
                event.origin(),
            ))
        }
    });
    wait_until("three messages", 5000, || messages.borrow().len() == 3).await;
    assert_eq!(*opened.borrow(), 1);
    assert_eq!(source.ready_state(), ReadyState::Open);
    let origin = SERVER.unwrap().trim_end_matches('/').to_owned();
    let got = messages.borrow().clone();
    let expected: Vec<_> = [("one", "1"), ("two", "2"), ("three", "3")]
        .iter()
        .map(|(data, id)| {
            (
                "message".to_owned(),
                data.to_string(),
                id.to_string(),
                origin.clone(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(source.last_event_id(), "3");
    source.close();
    assert_eq!(source.ready_state(), ReadyState::Closed);
}

#[wasm_bindgen_test]
async fn named_events_reach_only_their_listeners() {
    let source = EventSource::new(&url("/fixture/named")).unwrap();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let record = |label: &'static str| {
        let seen = seen.clone();
        move |event: &eventsource_wasm::MessageEvent| {
            seen.borrow_mut()
                .push(format!("{label}:{}:{}", event.event_type(), event.data()))
        }
    };
    let _tick = source.on("tick", record("tick"));
    let _notice = source.on(String::from("notice"), record("notice"));
    let _message = source.on_message(record("message"));
    wait_until("three events", 5000, || seen.borrow().len() == 3).await;
    assert_eq!(
        *seen.borrow(),
        vec![
            "tick:tick:1",
            "notice:notice:hello",
            "message:message:plain"
        ]
    );
}

#[derive(serde::Deserialize, Debug, PartialEq)]
struct Item {
    n: u32,
    text: String,
}

#[wasm_bindgen_test]
async fn json_listener_decodes_and_reports_bad_payloads() {
    let source = EventSource::new(&url("/fixture/json")).unwrap();
    let results = Rc::new(RefCell::new(Vec::new()));
    let _json = source.on_json::<Item>("data", {
        let results = results.clone();
        move |item, event| results.borrow_mut().push((item, event.data()))
    });
    wait_until("three JSON events", 5000, || results.borrow().len() == 3).await;
    let results = results.borrow();
    assert_eq!(
        results[0].0,
        Ok(Item {
            n: 1,
            text: "a".into()
        })
    );
    match &results[1].0 {
        Err(DecodeError::Syntax { data, message }) => {
            assert_eq!(data, "not json{");
            assert!(!message.is_empty());
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
    assert_eq!(results[1].0.as_ref().unwrap_err().data(), "not json{");
    assert_eq!(
        results[2].0,
        Ok(Item {
            n: 2,
            text: "b".into()
        })
    );
}

#[derive(serde::Deserialize, Debug)]
#[allow(dead_code)]
struct Wrong {
    missing: Vec<u8>,
}

#[wasm_bindgen_test]
async fn json_of_the_wrong_shape_is_a_shape_error() {
    let source = EventSource::new(&url("/fixture/json")).unwrap();
    let errors = Rc::new(RefCell::new(Vec::new()));
    let _json = source.on_json::<Wrong>("data", {
        let errors = errors.clone();
        move |result, _| errors.borrow_mut().push(result.unwrap_err())
    });
    wait_until("three results", 5000, || errors.borrow().len() == 3).await;
    let errors = errors.borrow();
    assert!(
        matches!(errors[0], DecodeError::Shape { .. }),
        "{:?}",
        errors[0]
    );
    assert!(
        matches!(errors[1], DecodeError::Syntax { .. }),
        "{:?}",
        errors[1]
    );
    assert_eq!(errors[0].data(), r#"{"n":1,"text":"a"}"#);
}

#[wasm_bindgen_test]
async fn a_dropped_stream_is_reconnecting_not_fatal() {
    let source = EventSource::new(&url("/finite?n=2&retry=100")).unwrap();
    let ids = Rc::new(RefCell::new(Vec::new()));
    let _message = source.on_message({
        let ids = ids.clone();
        move |event| ids.borrow_mut().push(event.last_event_id())
    });
    let (errors, _error) = record_errors(&source);
    wait_until("a reconnect and more events", 8000, || {
        ids.borrow().len() >= 4
    })
    .await;
    let first = errors.borrow()[0];
    assert_eq!(first, (true, false, ReadyState::Connecting));
    // The browser resumed with Last-Event-ID: the ids continue without a gap or repeat.
    assert_eq!(&ids.borrow()[..4], &["1", "2", "3", "4"]);
    source.close();
}

async fn assert_fatal(path: &str) {
    let source = EventSource::new(&url(path)).unwrap();
    let (errors, _error) = record_errors(&source);
    let mut events = source.events();
    let mut seen = Vec::new();
    within(&format!("the stream of {path} to end"), 8000, async {
        while let Some(event) = events.next().await {
            seen.push(event);
        }
    })
    .await;
    assert_eq!(
        *errors.borrow(),
        vec![(false, true, ReadyState::Closed)],
        "{path}"
    );
    assert_eq!(source.ready_state(), ReadyState::Closed, "{path}");
    assert!(
        matches!(seen.last(), Some(SourceEvent::Closed)),
        "{path}: the stream should yield Closed last, got {seen:?}"
    );
    assert!(
        matches!(seen.iter().rev().nth(1), Some(SourceEvent::Error(error)) if error.is_fatal()),
        "{path}: the stream should yield the fatal error before Closed, got {seen:?}"
    );
}

#[wasm_bindgen_test]
async fn http_500_gives_up() {
    assert_fatal("/status/500").await;
}

#[wasm_bindgen_test]
async fn wrong_content_type_gives_up() {
    assert_fatal("/wrong-type").await;
}

#[wasm_bindgen_test]
async fn no_content_gives_up() {
    assert_fatal("/status/204").await;
}

#[wasm_bindgen_test]
async fn close_ends_streams_and_stops_events() {
    let channel = unique("close");
    let source = EventSource::new(&url(&format!("/events?channel={channel}"))).unwrap();
    let mut events = source.events();
    let mut ticks = source.subscribe("ping");
    let first = within("open", 5000, events.next()).await;
    assert!(matches!(first, Some(SourceEvent::Open)), "{first:?}");
    publish(&channel, Some("ping"), "before").await;
    let ping = within("ping", 5000, ticks.next()).await.unwrap();
    assert_eq!(ping.data(), "before");
    source.close();
    assert_eq!(source.ready_state(), ReadyState::Closed);
    assert_eq!(source.as_raw().unwrap().ready_state(), 2);
    publish(&channel, Some("ping"), "after").await;
    let closed = within("Closed", 2000, events.next()).await;
    assert!(matches!(closed, Some(SourceEvent::Closed)), "{closed:?}");
    assert!(within("events to end", 2000, events.next()).await.is_none());
    assert!(within("ticks to end", 2000, ticks.next()).await.is_none());
    source.close(); // idempotent
}

#[wasm_bindgen_test]
async fn dropping_a_handle_removes_its_listener() {
    let channel = unique("drop");
    let source = EventSource::new(&url(&format!("/events?channel={channel}"))).unwrap();
    let kept = Rc::new(RefCell::new(Vec::new()));
    let dropped = Rc::new(RefCell::new(Vec::new()));
    let _kept = source.on_message({
        let kept = kept.clone();
        move |event| kept.borrow_mut().push(event.data())
    });
    let doomed = source.on_message({
        let dropped = dropped.clone();
        move |event| dropped.borrow_mut().push(event.data())
    });
    let mut opened = source.events();
    within("open", 5000, opened.next()).await;
    publish(&channel, None, "first").await;
    wait_until("first", 5000, || kept.borrow().len() == 1).await;
    drop(doomed);
    publish(&channel, None, "second").await;
    wait_until("second", 5000, || kept.borrow().len() == 2).await;
    assert_eq!(*kept.borrow(), vec!["first", "second"]);
    assert_eq!(*dropped.borrow(), vec!["first"]);
}

#[wasm_bindgen_test]
async fn a_listener_can_remove_itself_and_close_the_source_while_dispatching() {
    let source = EventSource::new(&url("/fixture/basic")).unwrap();
    let handle: Rc<RefCell<Option<eventsource_wasm::Listener>>> = Rc::new(RefCell::new(None));
    let calls = Rc::new(RefCell::new(0));
    let listener = source.on_message({
        let handle = handle.clone();
        let calls = calls.clone();
        let source = source.clone();
        move |_| {
            *calls.borrow_mut() += 1;
            handle.borrow_mut().take(); // drops this very listener
            source.close();
        }
    });
    *handle.borrow_mut() = Some(listener);
    wait_until("the first message", 5000, || *calls.borrow() == 1).await;
    sleep(300).await;
    assert_eq!(*calls.borrow(), 1);
    assert_eq!(source.ready_state(), ReadyState::Closed);
}

#[wasm_bindgen_test]
async fn clones_share_the_connection_and_only_the_last_owner_closes_it() {
    let source = EventSource::new(&url("/fixture/basic")).unwrap();
    let raw = source.as_raw().unwrap();
    let clone = source.clone();
    let count = Rc::new(RefCell::new(0));
    let _message = clone.on_message({
        let count = count.clone();
        move |_| *count.borrow_mut() += 1
    });
    drop(clone);
    wait_until("messages through the remaining owner", 5000, || {
        *count.borrow() == 3
    })
    .await;
    assert_eq!(source.ready_state(), ReadyState::Open);
    drop(source);
    assert_eq!(
        raw.ready_state(),
        2,
        "dropping the last owner closes the connection"
    );
}

#[wasm_bindgen_test]
async fn a_stream_owns_the_connection() {
    let mut messages = EventSource::new(&url("/fixture/basic"))
        .unwrap()
        .subscribe("message");
    let mut data = Vec::new();
    for _ in 0..3 {
        data.push(
            within("a message", 5000, messages.next())
                .await
                .unwrap()
                .data(),
        );
    }
    assert_eq!(data, ["one", "two", "three"]);
}

#[wasm_bindgen_test]
async fn live_events_arrive_in_order_with_ids() {
    let channel = unique("live");
    let source = EventSource::new(&url(&format!("/events?channel={channel}"))).unwrap();
    let mut events = source.events();
    assert!(matches!(
        within("open", 5000, events.next()).await,
        Some(SourceEvent::Open)
    ));
    for i in 0..5 {
        publish(&channel, None, &format!("m{i}")).await;
    }
    let mut got = Vec::new();
    while got.len() < 5 {
        match within("a live message", 5000, events.next()).await {
            Some(SourceEvent::Message(m)) => got.push((m.data(), m.last_event_id())),
            other => panic!("unexpected {other:?}"),
        }
    }
    let expected: Vec<_> = (0..5)
        .map(|i| (format!("m{i}"), (i + 1).to_string()))
        .collect();
    assert_eq!(got, expected);
}

#[wasm_bindgen_test]
async fn credentials_option_sends_cookies_cross_origin() {
    // The test page and the server are different origins on the same host; the server allows
    // this origin with credentials in test mode.
    let init = web_sys::RequestInit::new();
    init.set_credentials(web_sys::RequestCredentials::Include);
    let window = web_sys::window().unwrap();
    JsFuture::from(window.fetch_with_str_and_init(&url("/set-cookie"), &init))
        .await
        .unwrap();
    for with_credentials in [true, false] {
        let options = EventSourceOptions::new().with_credentials(with_credentials);
        let source = EventSource::with_options(&url("/echo"), &options).unwrap();
        assert_eq!(source.with_credentials(), with_credentials);
        let mut echo = source.subscribe("message");
        let event = within("the echo", 5000, echo.next()).await.unwrap();
        let has_cookie = event.data().contains("sse_test=1");
        assert_eq!(has_cookie, with_credentials, "{}", event.data());
    }
}

#[wasm_bindgen_test]
async fn unicode_multiline_and_bom_survive() {
    let cases = [
        ("/fixture/unicode", "héllo wörld ✓ 🚀"),
        ("/fixture/multiline", "line one\nline two"),
        ("/fixture/bom", "bom"),
    ];
    for (path, expected) in cases {
        let source = EventSource::new(&url(path)).unwrap();
        let mut messages = source.subscribe("message");
        let event = within(path, 5000, messages.next()).await.unwrap();
        assert_eq!(event.data(), expected, "{path}");
    }
}

#[cfg(feature = "fetch")]
mod fetch_transport {
    use super::*;
    use eventsource_wasm::{HeaderProvider, Transport};

    fn fetch_options() -> EventSourceOptions {
        EventSourceOptions::new().transport(Transport::Fetch)
    }

    #[wasm_bindgen_test]
    async fn delivers_the_same_events_as_the_browser() {
        let mut all = Vec::new();
        for options in [EventSourceOptions::new(), fetch_options()] {
            let source = EventSource::with_options(&url("/fixture/named"), &options).unwrap();
            let seen = Rc::new(RefCell::new(Vec::new()));
            let mut listeners = Vec::new();
            for event_type in ["tick", "notice", "message"] {
                let seen = seen.clone();
                listeners.push(source.on(event_type, move |event| {
                    seen.borrow_mut().push((
                        event.event_type(),
                        event.data(),
                        event.last_event_id(),
                        event.origin(),
                    ))
                }));
            }
            wait_until("three events", 5000, || seen.borrow().len() == 3).await;
            assert_eq!(source.ready_state(), ReadyState::Open);
            source.close();
            all.push(seen.borrow().clone());
        }
        assert_eq!(all[0], all[1]);
    }

    #[wasm_bindgen_test]
    async fn errors_carry_the_http_status() {
        let source = EventSource::with_options(&url("/status/401"), &fetch_options()).unwrap();
        assert!(source.as_raw().is_none());
        let mut events = source.events();
        let mut last = None;
        within("the stream to end", 5000, async {
            while let Some(event) = events.next().await {
                if !matches!(event, SourceEvent::Closed) {
                    last = Some(event);
                }
            }
        })
        .await;
        let Some(SourceEvent::Error(error)) = last else {
            panic!("expected a final error, got {last:?}");
        };
        assert!(error.is_fatal());
        assert_eq!(error.status(), Some(401));
        assert_eq!(error.status_text().as_deref(), Some("Unauthorized"));
        // The error does not wait for the body: what had not arrived is added to it later.
        wait_until("the body on the error", 2000, || {
            error.body().as_deref() == Some("status 401")
        })
        .await;
        assert!(error
            .header("Content-Type")
            .unwrap()
            .starts_with("text/plain"));
        assert!(error.message().contains("401"), "{}", error.message());
        assert_eq!(source.ready_state(), ReadyState::Closed);
    }

    #[wasm_bindgen_test]
    async fn header_provider_and_post_body_reach_the_server() {
        let calls = Rc::new(RefCell::new(0));
        let provider = HeaderProvider::new({
            let calls = calls.clone();
            move || {
                *calls.borrow_mut() += 1;
                let token = format!("token-{}", calls.borrow());
                async move {
                    Ok(vec![(
                        "Authorization".to_owned(),
                        format!("Bearer {token}"),
                    )])
                }
            }
        });
        let options = EventSourceOptions::new()
            .method("POST")
            .body("payload")
            .header("X-Static", "yes")
            .header_provider(provider);
        assert!(options.needs_fetch());
        let source = EventSource::with_options(&url("/echo"), &options).unwrap();
        #[derive(serde::Deserialize)]
        struct Echo {
            method: String,
            body: String,
            headers: std::collections::HashMap<String, String>,
        }
        let echo = Rc::new(RefCell::new(None));
        let _json = source.on_json::<Echo>("message", {
            let echo = echo.clone();
            move |value, _| *echo.borrow_mut() = Some(value.unwrap())
        });
        wait_until("the echo", 5000, || echo.borrow().is_some()).await;
        let echo = echo.borrow_mut().take().unwrap();
        assert_eq!(echo.method, "POST");
        assert_eq!(echo.body, "payload");
        assert_eq!(echo.headers["authorization"], "Bearer token-1");
        assert_eq!(echo.headers["x-static"], "yes");
        assert_eq!(echo.headers["accept"], "text/event-stream");
    }

    #[wasm_bindgen_test]
    fn option_conflicts_are_typed_errors() {
        let options = EventSourceOptions::new()
            .transport(Transport::EventSource)
            .header("A", "b");
        assert!(matches!(
            EventSource::with_options(&url("/echo"), &options),
            Err(Error::InvalidOptions(_))
        ));
        let options = EventSourceOptions::new().body("x");
        assert!(matches!(
            EventSource::with_options(&url("/echo"), &options),
            Err(Error::InvalidOptions(_))
        ));
    }

    #[wasm_bindgen_test]
    async fn close_during_the_retry_wait_stops_everything() {
        let source =
            EventSource::with_options(&url("/finite?n=1&retry=300"), &fetch_options()).unwrap();
        let (errors, _listener) = record_errors(&source);
        wait_until("the reconnecting error", 5000, || {
            !errors.borrow().is_empty()
        })
        .await;
        source.close();
        let mut events = source.events();
        let closed = within("Closed", 1000, events.next()).await;
        assert!(matches!(closed, Some(SourceEvent::Closed)), "{closed:?}");
        assert!(within("end", 1000, events.next()).await.is_none());
        sleep(600).await;
        assert_eq!(source.ready_state(), ReadyState::Closed);
    }
}

/// Without the `fetch` feature (the bare wrapper), asking for the fetch transport is a typed
/// error that names the feature, and `Auto` uses the browser's EventSource.
#[cfg(not(feature = "fetch"))]
#[wasm_bindgen_test]
fn the_fetch_transport_needs_its_feature() {
    use eventsource_wasm::Transport;
    let options = EventSourceOptions::new().transport(Transport::Fetch);
    match EventSource::with_options(&url("/fixture/basic"), &options) {
        Err(Error::InvalidOptions(message)) => {
            assert!(message.contains("`fetch` feature"), "{message}")
        }
        other => panic!("expected InvalidOptions, got {other:?}"),
    }
    let source = EventSource::new(&url("/fixture/basic")).unwrap();
    assert!(source.as_raw().is_some());
    source.close();
}

/// DOM dispatch calls every listener registered when it began: a listener that closes the
/// source does not hide the current event from the listeners after it (both transports).
#[wasm_bindgen_test]
async fn closing_in_a_listener_still_delivers_the_event_to_later_listeners() {
    use eventsource_wasm::Transport;
    let mut transports = vec![Transport::EventSource];
    if cfg!(feature = "fetch") {
        transports.push(Transport::Fetch);
    }
    for transport in transports {
        let options = EventSourceOptions::new().transport(transport);
        let source = Rc::new(EventSource::with_options(&url("/fixture/basic"), &options).unwrap());
        let calls = Rc::new(RefCell::new(Vec::new()));
        let _first = source.on_message({
            let calls = calls.clone();
            let source = Rc::downgrade(&source);
            move |event| {
                calls.borrow_mut().push(format!("first {}", event.data()));
                if let Some(source) = source.upgrade() {
                    source.close();
                }
            }
        });
        let _second = source.on_message({
            let calls = calls.clone();
            move |event| calls.borrow_mut().push(format!("second {}", event.data()))
        });
        wait_until("the first event", 5000, || calls.borrow().len() >= 2).await;
        // Later events are not delivered.
        sleep(300).await;
        assert_eq!(
            *calls.borrow(),
            ["first one", "second one"],
            "{transport:?}"
        );
        assert_eq!(source.ready_state(), ReadyState::Closed);
    }
}

/// A page that replaces `globalThis.EventSource` (for instance with this package's own class,
/// as a polyfill) does not change what the crate constructs: the platform's constructor was
/// captured when the module loaded.
#[wasm_bindgen_test]
async fn the_platform_event_source_is_used_even_after_the_global_is_replaced() {
    let global = js_sys::global();
    let platform = js_sys::Reflect::get(&global, &"EventSource".into()).unwrap();
    let impostor = js_sys::Function::new_no_args("throw new Error('the impostor was called')");
    js_sys::Reflect::set(&global, &"EventSource".into(), &impostor).unwrap();
    let opened = EventSource::with_options(
        &url("/fixture/basic"),
        &EventSourceOptions::new().transport(eventsource_wasm::Transport::EventSource),
    );
    js_sys::Reflect::set(&global, &"EventSource".into(), &platform).unwrap();
    let source = opened.unwrap();
    let mut messages = source.events();
    let first = within("a message", 5000, messages.next()).await;
    assert!(matches!(first, Some(SourceEvent::Open)), "{first:?}");
    source.close();
}
