//! `Send` and `Sync` for the public handles on single-threaded wasm.
//!
//! The handles share state through `Rc` and `RefCell`, so Rust sees them as `!Send`. UI
//! frameworks ask for `Send + Sync` anyway (Leptos 0.8's `on_cleanup`, `RwSignal`,
//! `StoredValue`) because they also run on servers. On `wasm32` without the `atomics` target
//! feature there is exactly one thread and no memory shared with any other (a Web Worker has a
//! memory of its own), so no value can ever be reached from two threads: the impls below are
//! sound there, as wasm-bindgen's own `unsafe impl Send for JsValue` under the same condition.
//! With `atomics` (real threads) they do not exist, and the handles stay `!Send`.

/// Implements `Send` and `Sync` for each type, on single-threaded wasm only.
macro_rules! single_threaded {
    ($($handle:ty),* $(,)?) => {
        $(
            // SAFETY: this code only compiles for wasm without `atomics`, where no second
            // thread exists and no memory is shared between threads, so the `Rc`s, `RefCell`s
            // and JS handles inside can only ever be touched from the one thread there is.
            #[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
            unsafe impl Send for $handle {}
            // SAFETY: as above: with a single thread, `&T` is never shared between threads.
            #[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
            unsafe impl Sync for $handle {}
        )*
    };
}

single_threaded!(
    crate::EventSource,
    crate::WeakEventSource,
    crate::Listener,
    crate::EventStream,
    crate::MessageStream,
    crate::StateStream,
    crate::EventSourceOptions,
    crate::CloseOn,
);

#[cfg(feature = "fetch")]
single_threaded!(crate::HeaderProvider, crate::Resume);

#[cfg(feature = "reconnect")]
single_threaded!(crate::ShouldRetry);
