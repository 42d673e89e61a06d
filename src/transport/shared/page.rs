//! A page that goes away. Into the back/forward cache (`pagehide` with `persisted`), it is
//! frozen, not destroyed, and keeps what it holds: Chromium caches a page that holds a Web Lock,
//! so the others would wait for a lock nobody can release. Unloaded, its leader's fetch is
//! aborted, and once the page has a `pagehide` or `unload` listener (any app's, or ours) that
//! abort runs as a network error the leader would report to all the others. So on every
//! `pagehide` each hub of the page gives up its lock (or withdraws its request) and, if it
//! leads, its connection, quietly, and another context takes over at once; on `pageshow` with
//! `persisted` (restored) it asks for the lock again, as a follower.

use std::rc::{Rc, Weak};

use gloo_events::EventListener;
use wasm_bindgen::JsCast;

use super::hub::{Hub, Role};
use crate::support::prop;

/// The hub's `pagehide` and `pageshow` listeners (none in a worker); removed when dropped.
pub(super) struct PageListeners {
    _hide: EventListener,
    _show: EventListener,
}

/// Listens for the page going away, and coming back from the back/forward cache.
pub(super) fn listen(hub: &Rc<Hub>) -> Option<PageListeners> {
    let global = js_sys::global().dyn_into::<web_sys::EventTarget>().ok()?;
    let on = |event_type: &'static str, only_persisted: bool, handle: fn(&Rc<Hub>)| {
        let weak: Weak<Hub> = Rc::downgrade(hub);
        EventListener::new(&global, event_type, move |event| {
            let persisted = prop(event, "persisted").is_truthy();
            if let (true, Some(hub)) = (persisted || !only_persisted, weak.upgrade()) {
                handle(&hub);
            }
        })
    };
    Some(PageListeners {
        _hide: on("pagehide", false, Hub::suspend),
        _show: on("pageshow", true, Hub::restore),
    })
}

impl Hub {
    /// The page goes away (unloaded, or into the back/forward cache): no lock held or asked for,
    /// no connection run from here (its abort is no failure to report). The members stay as
    /// they are (open, if the stream was): the next leader's events reach them if the page is
    /// shown again.
    fn suspend(self: &Rc<Self>) {
        if self.is_closed() {
            return;
        }
        self.drop_lock();
        // The lead and count loops of this term end; so does an election in progress.
        self.term.set(self.term.get().wrapping_add(1));
        self.answers.borrow_mut().take();
        if self.role.replace(Role::Follower) != Role::Follower {
            self.fetch.abort();
            let wake = self.wake.borrow_mut().take();
            if let Some(wake) = wake {
                wake.send(());
            }
        }
    }

    /// The page is shown again: back in the lock's queue.
    fn restore(self: &Rc<Self>) {
        if !self.is_closed() && !self.has_lock() {
            // Without a lock request this hub only follows (as if the lock were never granted).
            let _ = self.request_lock();
        }
    }
}
