//! An empty wasm-bindgen app: the baseline of bench row 5's Rust apps.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(start)]
fn start() {}
