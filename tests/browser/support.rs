//! Helpers shared by the browser test binaries (`browser`, `outage`).
#![allow(dead_code)]

use std::cell::RefCell;
use std::rc::Rc;

use eventsource_wasm::{EventSource, ReadyState};
use futures::future::{select, Either};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

pub const SERVER: Option<&str> = option_env!("SSE_SERVER_URL");

pub fn url(path: &str) -> String {
    let server = SERVER.expect(
        "SSE_SERVER_URL is not set: run the browser tests with `npm test` \
         (scripts/test.sh starts the companion server and sets it)",
    );
    format!("{server}{path}")
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", (js_sys::Math::random() * 1e12) as u64)
}

pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

/// Waits until `done()` holds, failing the test after `ms` milliseconds.
pub async fn wait_until(what: &str, ms: i32, done: impl Fn() -> bool) {
    let mut waited = 0;
    while !done() {
        assert!(waited < ms, "timed out after {ms} ms waiting for {what}");
        sleep(20).await;
        waited += 20;
    }
}

pub async fn within<T>(what: &str, ms: i32, future: impl std::future::Future<Output = T>) -> T {
    match select(Box::pin(future), Box::pin(sleep(ms))).await {
        Either::Left((value, _)) => value,
        Either::Right(_) => panic!("timed out after {ms} ms waiting for {what}"),
    }
}

/// Publishes an event to `channel`; returns how many subscribers the server still had.
pub async fn publish(channel: &str, event: Option<&str>, data: &str) -> u64 {
    let body = js_sys::Object::new();
    js_sys::Reflect::set(&body, &"channel".into(), &channel.into()).unwrap();
    if let Some(event) = event {
        js_sys::Reflect::set(&body, &"event".into(), &event.into()).unwrap();
    }
    js_sys::Reflect::set(&body, &"data".into(), &data.into()).unwrap();
    let text = js_sys::JSON::stringify(&body).unwrap();
    // The server takes JSON only; from the test runner's origin (a --cors-origin) that is a
    // preflighted cross-origin request.
    let headers = web_sys::Headers::new().unwrap();
    headers.set("Content-Type", "application/json").unwrap();
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_body(&text);
    let window = web_sys::window().unwrap();
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_str_and_init(&url("/publish"), &init))
            .await
            .expect("publish request failed")
            .dyn_into()
            .unwrap();
    assert_eq!(
        response.status(),
        200,
        "publish answered {}",
        response.status()
    );
    let answer = JsFuture::from(response.json().unwrap()).await.unwrap();
    js_sys::Reflect::get(&answer, &"receivers".into())
        .unwrap()
        .as_f64()
        .unwrap_or(0.0) as u64
}

/// Publishes `ping`s to `channel` until the server counts `receivers` subscribers (a closed
/// connection is noticed when the server next writes to it), failing after `ms`.
pub async fn wait_for_receivers(channel: &str, receivers: u64, ms: i32) {
    let mut waited = 0;
    loop {
        let now = publish(channel, Some("ping"), "").await;
        if now == receivers {
            return;
        }
        assert!(
            waited < ms,
            "timed out after {ms} ms waiting for {receivers} subscribers of {channel} (still {now})"
        );
        sleep(100).await;
        waited += 100;
    }
}

/// `(is_reconnecting, is_fatal, ready_state)` of each error seen.
pub type ErrorLog = Rc<RefCell<Vec<(bool, bool, ReadyState)>>>;

/// Collects `(is_reconnecting, is_fatal, ready_state)` of each error.
pub fn record_errors(source: &EventSource) -> (ErrorLog, eventsource_wasm::Listener) {
    let errors = Rc::new(RefCell::new(Vec::new()));
    let listener = source.on_error({
        let errors = errors.clone();
        move |error| {
            errors.borrow_mut().push((
                error.is_reconnecting(),
                error.is_fatal(),
                error.ready_state(),
            ))
        }
    });
    (errors, listener)
}

pub async fn post(path: &str) -> String {
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    let window = web_sys::window().unwrap();
    let response: web_sys::Response =
        JsFuture::from(window.fetch_with_str_and_init(&url(path), &init))
            .await
            .unwrap_or_else(|error| panic!("POST {path} failed: {error:?}"))
            .dyn_into()
            .unwrap();
    assert_eq!(
        response.status(),
        200,
        "POST {path} answered {}",
        response.status()
    );
    JsFuture::from(response.text().unwrap())
        .await
        .unwrap()
        .as_string()
        .unwrap()
}

/// Collects the data of every message, in order, as numbers.
pub fn collect_data(source: &EventSource) -> (Rc<RefCell<Vec<u64>>>, eventsource_wasm::Listener) {
    let data = Rc::new(RefCell::new(Vec::new()));
    let listener = source.on_message({
        let data = data.clone();
        move |event| data.borrow_mut().push(event.data().parse().unwrap_or(0))
    });
    (data, listener)
}
