//! Listener handles behind the unsubscribe functions the JS API returns (`subscribe`,
//! `onBatch`): the handle lives until that function is called or the source is freed.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::Function;
use wasm_bindgen::prelude::*;

use crate::Listener;

/// The subscriptions of one JS `EventSource`.
#[derive(Default)]
pub(super) struct Subscriptions {
    next_id: Cell<u32>,
    listeners: RefCell<Vec<(u32, Listener)>>,
}

impl Subscriptions {
    /// Keeps `listener`; returns the function that removes it.
    pub(super) fn keep(self: &Rc<Self>, listener: Listener) -> Function {
        let id = self.next_id.get().wrapping_add(1);
        self.next_id.set(id);
        self.listeners.borrow_mut().push((id, listener));
        let weak: Weak<Subscriptions> = Rc::downgrade(self);
        // Owned by the JS function: freed by the garbage collector once the caller drops it.
        Closure::<dyn FnMut()>::new(move || {
            if let Some(subscriptions) = weak.upgrade() {
                let removed = {
                    let mut listeners = subscriptions.listeners.borrow_mut();
                    listeners
                        .iter()
                        .position(|(other, _)| *other == id)
                        .map(|index| listeners.remove(index))
                };
                drop(removed);
            }
        })
        .into_js_value()
        .unchecked_into()
    }
}
