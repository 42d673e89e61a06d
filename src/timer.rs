//! Timers: `setTimeout` imported with `catch` (a page may have replaced it with a function
//! that throws) and capped at [`MAX_TIMER_MS`], and a timer as a future.

#[cfg(feature = "fetch")]
use std::{future::Future, pin::Pin, task::Poll};

use wasm_bindgen::prelude::*;
#[cfg(feature = "fetch")]
use wasm_bindgen_futures::JsFuture;

use crate::retry::MAX_TIMER_MS;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout, catch)]
    fn set_timeout_raw(callback: &js_sys::Function, ms: u32) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = clearTimeout, catch)]
    fn clear_timeout_raw(id: &JsValue) -> Result<(), JsValue>;
}

/// `setTimeout(callback, ms)`, the delay capped at [`MAX_TIMER_MS`] (a larger one would fire at
/// once); `undefined` when the timer could not be set (it then never fires).
pub(crate) fn set_timeout(callback: &js_sys::Function, ms: u32) -> JsValue {
    set_timeout_raw(callback, ms.min(MAX_TIMER_MS)).unwrap_or_default()
}

/// `clearTimeout(id)`; errors ignored.
pub(crate) fn clear_timeout(id: &JsValue) {
    let _ = clear_timeout_raw(id);
}

/// A `setTimeout` as a future; dropping it clears the timeout.
#[cfg(feature = "fetch")]
pub(crate) struct Timer {
    id: JsValue,
    future: JsFuture,
}

#[cfg(feature = "fetch")]
impl Timer {
    pub(crate) fn new(ms: u32) -> Self {
        let mut id = JsValue::UNDEFINED;
        let promise = js_sys::Promise::new(&mut |resolve, _reject| {
            id = set_timeout(&resolve, ms);
        });
        Timer {
            id,
            future: JsFuture::from(promise),
        }
    }
}

#[cfg(feature = "fetch")]
impl Drop for Timer {
    fn drop(&mut self) {
        clear_timeout(&self.id);
    }
}

#[cfg(feature = "fetch")]
impl Future for Timer {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
        Pin::new(&mut self.future).poll(cx).map(|_| ())
    }
}

/// What came first in [`first_of`].
#[cfg(feature = "fetch")]
pub(crate) enum Next<T> {
    Value(T),
    Timer,
}

/// `future`'s output, or [`Next::Timer`] if `timer` fires first (the future stays pending for
/// the next call).
#[cfg(feature = "fetch")]
pub(crate) async fn first_of<F: Future + Unpin>(
    future: &mut F,
    timer: Option<&mut Timer>,
) -> Next<F::Output> {
    let mut timer = timer;
    std::future::poll_fn(move |cx| {
        if let Poll::Ready(value) = Pin::new(&mut *future).poll(cx) {
            return Poll::Ready(Next::Value(value));
        }
        if let Some(timer) = timer.as_deref_mut() {
            if Pin::new(timer).poll(cx).is_ready() {
                return Poll::Ready(Next::Timer);
            }
        }
        Poll::Pending
    })
    .await
}
