//! The lifecycle triggers (opt-in): reconnect at once when the network comes back, pause while
//! the page is hidden, reconnect after a restore from the back/forward cache.

use std::rc::Rc;

use gloo_events::EventListener;
use wasm_bindgen::JsCast;

use super::Supervisor;
use crate::support::prop;

/// Which triggers to attach.
#[derive(Clone, Copy, Default)]
pub(crate) struct Triggers {
    pub(crate) online: bool,
    pub(crate) hidden: bool,
    pub(crate) pageshow: bool,
}

impl Supervisor {
    /// Attaches the triggers to the global object (window or worker) and its document.
    pub(crate) fn watch_lifecycle(self: &Rc<Self>, triggers: Triggers) {
        let Ok(global) = js_sys::global().dyn_into::<web_sys::EventTarget>() else {
            return;
        };
        let mut listeners = Vec::new();
        if triggers.online {
            let weak = Rc::downgrade(self);
            listeners.push(EventListener::new(&global, "online", move |_| {
                if let Some(supervisor) = weak.upgrade() {
                    supervisor.wake_now();
                }
            }));
        }
        let document = prop(&js_sys::global(), "document").dyn_into::<web_sys::EventTarget>();
        if let (true, Ok(document)) = (triggers.hidden, document) {
            let weak = Rc::downgrade(self);
            let doc = document.clone();
            listeners.push(EventListener::new(
                &document,
                "visibilitychange",
                move |_| {
                    let hidden = prop(&doc, "visibilityState")
                        .as_string()
                        .is_some_and(|state| state == "hidden");
                    match weak.upgrade() {
                        Some(supervisor) if hidden => supervisor.pause(),
                        Some(supervisor) => supervisor.resume(),
                        None => {}
                    }
                },
            ));
        }
        if triggers.pageshow {
            let weak = Rc::downgrade(self);
            listeners.push(EventListener::new(&global, "pageshow", move |event| {
                let persisted = prop(event, "persisted").is_truthy();
                if let (true, Some(supervisor)) = (persisted, weak.upgrade()) {
                    // Restored from the back/forward cache: its connection is gone.
                    supervisor.pause();
                    supervisor.resume();
                }
            }));
        }
        *self.lifecycle.borrow_mut() = listeners;
    }
}
