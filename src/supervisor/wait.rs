//! Waiting between attempts: the retry timer (which a wake-up cuts short) and pauses.

use std::rc::Weak;

use wasm_bindgen::JsValue;

use super::Supervisor;
use crate::timer::{clear_timeout, set_timeout};

/// Waits `ms` milliseconds unless the source closes meanwhile (then it returns early, leaving
/// no timer behind), or until [`Supervisor::wake_now`] cuts the wait short. The timer is set
/// when this is called, not when the future is first polled, so a trigger that fires right
/// after (e.g. from a `reconnecting` listener) finds it. Resolves to whether the source is
/// still open.
pub(super) fn sleep(weak: &Weak<Supervisor>, ms: u32) -> impl std::future::Future<Output = bool> {
    let promise = weak
        .upgrade()
        .filter(|supervisor| !supervisor.is_closed())
        .map(|supervisor| {
            let mut timer = None;
            let promise = js_sys::Promise::new(&mut |resolve, _reject| {
                // A timer that cannot be set never fires; `close()` and `wake_now` still end it.
                let id = set_timeout(&resolve, ms);
                timer = Some((id, resolve));
            });
            *supervisor.timer.borrow_mut() = timer;
            promise
        });
    let weak = weak.clone();
    async move {
        let Some(promise) = promise else {
            return false;
        };
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        match weak.upgrade() {
            Some(supervisor) => {
                supervisor.timer.borrow_mut().take();
                !supervisor.is_closed()
            }
            None => false,
        }
    }
}

/// Waits until a pause ends (or the source closes). Returns whether the source is still open.
#[cfg(feature = "reconnect")]
pub(super) async fn wait_resumed(weak: &Weak<Supervisor>) -> bool {
    let promise = {
        let Some(supervisor) = weak.upgrade() else {
            return false;
        };
        if !supervisor.paused.get() || supervisor.is_closed() {
            return !supervisor.is_closed();
        }
        let mut waiter = None;
        let promise = js_sys::Promise::new(&mut |resolve, _reject| waiter = Some(resolve));
        *supervisor.resume_waiter.borrow_mut() = waiter;
        promise
    };
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    weak.upgrade()
        .is_some_and(|supervisor| !supervisor.is_closed())
}

impl Supervisor {
    /// Whether the connection is paused (only `reconnect`'s lifecycle triggers pause it).
    pub(super) fn is_paused(&self) -> bool {
        #[cfg(feature = "reconnect")]
        return self.paused.get();
        #[cfg(not(feature = "reconnect"))]
        return false;
    }

    /// How many pauses there have been (see `Supervisor::pauses`).
    pub(super) fn pause_count(&self) -> u64 {
        #[cfg(feature = "reconnect")]
        return self.pauses.get();
        #[cfg(not(feature = "reconnect"))]
        return 0;
    }

    /// Ends a pending retry wait at once; returns whether there was one.
    pub(super) fn cancel_timer(&self) -> bool {
        let timer = self.timer.borrow_mut().take();
        match timer {
            Some((id, resolve)) => {
                clear_timeout(&id);
                let _ = resolve.call0(&JsValue::UNDEFINED);
                true
            }
            None => false,
        }
    }

    /// Reconnects at once if a retry wait is pending (e.g. the network came back), or if the
    /// browser waits to reconnect by itself (its wait cannot be shortened: it is reopened).
    #[cfg(feature = "reconnect")]
    pub(crate) fn wake_now(&self) {
        if self.is_closed() || self.paused.get() {
            return;
        }
        if !self.cancel_timer() && self.transport.browser_is_reconnecting() {
            self.transport.interrupt();
        }
    }

    /// Closes the connection without ending the source (the page was hidden).
    #[cfg(feature = "reconnect")]
    pub(crate) fn pause(&self) {
        if self.is_closed() || self.paused.replace(true) {
            return;
        }
        self.pauses.set(self.pauses.get().wrapping_add(1));
        self.transport.interrupt();
        // A pending retry wait ends; the loop then waits for `resume`.
        self.cancel_timer();
        self.state.next_retry_at.set(None);
        self.state.changed();
    }

    /// Reconnects after a pause, from the last event ID.
    #[cfg(feature = "reconnect")]
    pub(crate) fn resume(&self) {
        if self.is_closed() || !self.paused.replace(false) {
            return;
        }
        let waiter = self.resume_waiter.borrow_mut().take();
        if let Some(resolve) = waiter {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
        self.state.changed();
    }
}
