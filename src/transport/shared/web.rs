//! The two platform APIs a shared source stands on, imported with `catch`: the Web Locks API
//! (which context leads) and `BroadcastChannel` (what the leader reports to the others).

use std::rc::Rc;

use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = "export function shared_available() {\n\
  try {\n\
    const locks = globalThis.navigator && globalThis.navigator.locks;\n\
    return typeof BroadcastChannel === 'function' && !!locks && typeof locks.request === 'function';\n\
  } catch (_) {\n\
    return false;\n\
  }\n\
}\n\
export function lock_request(name, signal, granted) {\n\
  return globalThis.navigator.locks.request(name, { signal }, () =>\n\
    new Promise((release) => { granted(release); }));\n\
}")]
extern "C" {
    #[wasm_bindgen(catch)]
    fn shared_available() -> Result<bool, JsValue>;
    #[wasm_bindgen(catch)]
    fn lock_request(
        name: &str,
        signal: &web_sys::AbortSignal,
        granted: &js_sys::Function,
    ) -> Result<js_sys::Promise, JsValue>;
}

/// Whether this context has both the Web Locks API and `BroadcastChannel` (not Node.js, not
/// old browsers): without them a shared source is a private one.
pub(crate) fn available() -> bool {
    cfg!(target_arch = "wasm32") && shared_available().unwrap_or(false)
}

/// A request for the lock of a source: granted once the contexts before it have released it
/// (closed, crashed or navigated away). Dropping it releases the lock, or withdraws the request.
pub(super) struct Lock {
    abort: web_sys::AbortController,
    release: Rc<std::cell::RefCell<Option<js_sys::Function>>>,
    _granted: Closure<dyn FnMut(js_sys::Function)>,
}

impl Lock {
    /// Asks for lock `name`; `on_granted` runs once it is held.
    pub(super) fn request(
        name: &str,
        on_granted: impl FnOnce() + 'static,
    ) -> Result<Self, JsValue> {
        let abort = web_sys::AbortController::new()?;
        let release = Rc::new(std::cell::RefCell::new(None));
        let held = release.clone();
        let mut on_granted = Some(on_granted);
        let granted = Closure::new(move |resolve: js_sys::Function| {
            *held.borrow_mut() = Some(resolve);
            if let Some(on_granted) = on_granted.take() {
                on_granted();
            }
        });
        let promise = lock_request(name, &abort.signal(), granted.as_ref().unchecked_ref())?;
        // A withdrawn request rejects (AbortError): awaited here, so nothing is left unhandled.
        wasm_bindgen_futures::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        });
        Ok(Lock {
            abort,
            release,
            _granted: granted,
        })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        self.abort.abort();
        let release = self.release.borrow_mut().take();
        if let Some(release) = release {
            let _ = release.call0(&JsValue::UNDEFINED);
        }
    }
}

/// A `BroadcastChannel` and its `message` listener; closed when dropped.
pub(super) struct Channel {
    channel: web_sys::BroadcastChannel,
    _listener: gloo_events::EventListener,
}

impl Channel {
    /// Opens channel `name`; `on_message` gets the `data` of each message from another context
    /// (or another source of this one).
    pub(super) fn open(
        name: &str,
        on_message: impl Fn(JsValue) + 'static,
    ) -> Result<Self, JsValue> {
        let channel = web_sys::BroadcastChannel::new(name)?;
        let listener = gloo_events::EventListener::new(&channel, "message", move |event| {
            on_message(crate::support::prop(event, "data"));
        });
        Ok(Channel {
            channel,
            _listener: listener,
        })
    }

    /// Posts `message` to the other contexts; `false` when it could not be (closed, or data
    /// that cannot be cloned).
    pub(super) fn post(&self, message: &JsValue) -> bool {
        self.channel.post_message(message).is_ok()
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        self.channel.close();
    }
}
