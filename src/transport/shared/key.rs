//! The key of a shared source: a hash of everything that makes two requests the same stream
//! (URL, transport, method, body, credentials, headers, the resume request). Header values and
//! the body never leave this context: only the hash names the lock and the channel.

use crate::resume::ResumeUrl;
use crate::transport::fetch::Request;

/// 128-bit FNV-1a, fed one field at a time (each field ends with its length, so that
/// `("ab", "c")` and `("a", "bc")` differ).
struct Hasher(u128);

const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;

impl Hasher {
    fn field(&mut self, text: &str) {
        for byte in text.bytes().chain((text.len() as u64).to_le_bytes()) {
            self.0 ^= u128::from(byte);
            self.0 = self.0.wrapping_mul(PRIME);
        }
    }
}

/// The key of `request`, or `None` when it cannot be shared: its headers come from a function
/// (a token may differ per call), it uses an injected `fetch`, its body is not a string, or its
/// resume URL is computed.
pub(super) fn of_request(request: &Request) -> Option<String> {
    if request.header_provider.is_some() || request.fetch.is_some() {
        return None;
    }
    let body = match &request.body {
        None => None,
        Some(body) => Some(body.as_string()?),
    };
    let mut headers: Vec<(String, &str)> = request
        .headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.as_str()))
        .collect();
    sort(&mut headers);
    let mut parts = vec![
        "fetch".to_owned(),
        request.url.clone(),
        request.method.to_ascii_uppercase(),
        request.credentials.as_str().to_owned(),
        request.max_event_size.to_string(),
        request.last_event_id_param.clone().unwrap_or_default(),
        body.map_or_else(|| "-".to_owned(), |body| ["+", body.as_str()].concat()),
    ];
    if let Some(resume) = &request.resume {
        let ResumeUrl::Fixed(url) = &resume.url else {
            return None;
        };
        parts.push(resume.method.clone());
        parts.push(url.clone());
    }
    parts.push(headers.len().to_string());
    for (name, value) in headers {
        parts.push(name);
        parts.push(value.to_owned());
    }
    Some(hash(&parts))
}

/// Sorts `headers` by insertion: a request has a handful, and core's sorts would add some
/// 3 KB to the wasm. The order is `sort`'s (equal elements are identical).
fn sort(headers: &mut [(String, &str)]) {
    for i in 1..headers.len() {
        let mut j = i;
        while j > 0 && headers[j - 1] > headers[j] {
            headers.swap(j - 1, j);
            j -= 1;
        }
    }
}

/// The hex hash of `parts`.
fn hash(parts: &[String]) -> String {
    let mut hasher = Hasher(OFFSET);
    for part in parts {
        hasher.field(part);
    }
    hex(hasher.0)
}

/// `value` as 32 lower-case hex digits (without `core::fmt`, which the shipped wasm avoids).
fn hex(value: u128) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    (0..32)
        .rev()
        .map(|nibble| char::from(DIGITS[((value >> (nibble * 4)) & 0xf) as usize]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::hash;

    #[test]
    fn fields_are_delimited() {
        let a = hash(&["ab".to_owned(), "c".to_owned()]);
        let b = hash(&["a".to_owned(), "bc".to_owned()]);
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert_eq!(a, hash(&["ab".to_owned(), "c".to_owned()]));
    }

    #[test]
    fn sort_is_sorts_order() {
        let names = ["x-b", "accept", "x-a", "x-b", "Accept", "", "x-a"];
        let values = ["2", "1", "3", "1", "0", "5", "3"];
        let mut headers: Vec<(String, &str)> = names
            .iter()
            .zip(values)
            .map(|(name, value)| ((*name).to_owned(), value))
            .collect();
        let mut expected = headers.clone();
        expected.sort();
        super::sort(&mut headers);
        assert_eq!(headers, expected);
    }

    #[test]
    fn hex_is_32_digits() {
        assert_eq!(super::hex(0xab), format!("{:032x}", 0xab));
        assert_eq!(super::hex(u128::MAX), "f".repeat(32));
    }
}
