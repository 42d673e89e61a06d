//! The npm package's wasm (`scripts/build.sh` builds this crate and names its output
//! `eventsource_wasm`): the `eventsource-wasm` library with its JS API (feature `js`) and the
//! talc global allocator. Nothing of its own: the exports are the library's `#[wasm_bindgen]`
//! items, which reach the cdylib only because the library is linked, hence the `pub use`.
#![deny(missing_docs, missing_debug_implementations)]

pub use eventsource_wasm;

// talc instead of Rust's default allocator (dlmalloc): the npm wasm is 2.5 KB smaller gzipped,
// and bench/ab.mjs measured no speed cost. Only where talc's wasm allocator exists (wasm32
// without threads); elsewhere (`cargo check --workspace` on the host) the default stays.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
