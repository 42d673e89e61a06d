//! URLs: resolving what a caller passes, and the last event ID in a query parameter.

use js_sys::Reflect;

use crate::support::error_message;

/// Resolves `url` against the page's or worker's location (absolute URLs only where there is
/// none, as in Node.js).
pub(crate) fn resolve_url(url: &str) -> Result<String, String> {
    let base = Reflect::get(&js_sys::global(), &"location".into())
        .ok()
        .filter(|location| location.is_object())
        .and_then(|location| Reflect::get(&location, &"href".into()).ok())
        .and_then(|href| href.as_string());
    let parsed = match &base {
        Some(base) => web_sys::Url::new_with_base(url, base),
        None => web_sys::Url::new(url),
    };
    match parsed {
        Ok(parsed) => Ok(parsed.href()),
        Err(error) if base.is_none() && !has_scheme(url) => {
            let mut message = error_message(&error);
            message.push_str(
                " (there is no page location here to resolve a relative URL against: pass an \
absolute URL)",
            );
            Err(message)
        }
        Err(error) => Err(error_message(&error)),
    }
}

/// Whether `url` starts with a URL scheme (`letter *( letter / digit / "+" / "-" / "." ) ":"`),
/// that is, whether it is meant as an absolute URL.
fn has_scheme(url: &str) -> bool {
    let url = url.trim_start_matches(|c: char| c <= ' ');
    match url.split_once(':') {
        Some((scheme, _)) => {
            let mut chars = scheme.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphabetic())
                && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// `url` with the query parameter `param` set to `value` (added, or replaced if present);
/// `url` itself when `value` is empty.
pub(crate) fn url_with_param(url: &str, param: &str, value: &str) -> String {
    if value.is_empty() {
        return url.to_owned();
    }
    match web_sys::Url::new(url) {
        Ok(parsed) => {
            parsed.search_params().set(param, value);
            parsed.href()
        }
        Err(_) => url.to_owned(),
    }
}
