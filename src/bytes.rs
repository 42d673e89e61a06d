//! Bytes out of a JS `Uint8Array`, a bounded piece at a time.

use wasm_bindgen::JsValue;

use crate::intrinsics::{copy_from_uint8_array, uint8_array_length};

/// The most bytes of a JS `Uint8Array` copied into wasm memory at a time: a browser may hand
/// over megabytes at once, and wasm memory never shrinks once grown.
pub(crate) const PIECE_BYTES: u32 = 64 * 1024;

/// Why a chunk of bytes could not be read.
#[derive(Debug)]
pub(crate) enum ChunkError {
    /// The value is not a genuine `Uint8Array` (a Proxy, another view, anything else).
    NotUint8Array,
    /// Reading it threw (the exception).
    Threw(JsValue),
}

/// Copies the genuine `Uint8Array` `bytes` into `buffer` [`PIECE_BYTES`] at a time, calling
/// `feed` with each piece, while `feed` returns `true`. Lengths come from the view itself (never
/// from a `length` or `subarray` a caller could override), so a lying chunk cannot make a copy
/// fail; a buffer that shrinks or is detached between pieces ends the chunk early.
pub(crate) fn for_each_piece(
    bytes: &JsValue,
    buffer: &mut Vec<u8>,
    mut feed: impl FnMut(&[u8]) -> bool,
) -> Result<(), ChunkError> {
    let total = uint8_array_length(bytes).ok_or(ChunkError::NotUint8Array)?;
    let mut start = 0;
    while start < total {
        let want = (total - start).min(PIECE_BYTES);
        buffer.resize(want as usize, 0);
        let got = copy_from_uint8_array(bytes, start, buffer).map_err(ChunkError::Threw)?;
        if got == 0 {
            return Ok(());
        }
        buffer.truncate(got);
        if !feed(buffer) {
            return Ok(());
        }
        start = start.saturating_add(got as u32);
    }
    Ok(())
}
