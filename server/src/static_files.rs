//! Static files: `<www>` at `/`, `<pkg>` at `/pkg`, and each `--mount PREFIX=DIR`.

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::Response;
use tower_http::services::ServeDir;

use crate::sse::text;
use crate::AppState;

/// The static directories, longest prefix first; the `www` root has the empty prefix.
pub struct StaticDirs {
    dirs: Vec<(String, ServeDir)>,
}

impl StaticDirs {
    /// Builds the table from the configured directories. Later mounts with the same prefix as
    /// an earlier one are ignored (the CLI rejects duplicates anyway).
    pub fn new(www: PathBuf, pkg: PathBuf, mounts: &[(String, PathBuf)]) -> Self {
        let mut dirs: Vec<(String, ServeDir)> = Vec::new();
        let all = mounts
            .iter()
            .cloned()
            .chain([("/pkg".to_string(), pkg), (String::new(), www)]);
        for (prefix, dir) in all {
            if dirs.iter().all(|(p, _)| *p != prefix) {
                dirs.push((prefix, ServeDir::new(dir)));
            }
        }
        dirs.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        StaticDirs { dirs }
    }

    fn find(&self, path: &str) -> Option<&(String, ServeDir)> {
        self.dirs.iter().find(|(prefix, _)| {
            prefix.is_empty()
                || path
                    .strip_prefix(prefix.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    }
}

fn content_type_for(path: &str) -> Option<&'static str> {
    let ext = path.rsplit_once('.')?.1;
    match ext {
        "wasm" => Some("application/wasm"),
        "js" | "mjs" => Some("text/javascript; charset=utf-8"),
        _ => None,
    }
}

/// Fallback handler serving the static directories.
pub async fn handler(State(st): State<Arc<AppState>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let Some((prefix, dir)) = st.statics.find(&path) else {
        return text(StatusCode::NOT_FOUND, "not found\n");
    };
    let query = req
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let rest = &path[prefix.len()..];
    if rest.is_empty() {
        // `/mount` -> `/mount/`, so relative links inside the mounted index resolve.
        let mut res = Response::new(Body::empty());
        *res.status_mut() = StatusCode::TEMPORARY_REDIRECT;
        if let Ok(loc) = HeaderValue::from_str(&format!("{path}/{query}")) {
            res.headers_mut().insert(header::LOCATION, loc);
        }
        return res;
    }
    let Ok(uri) = format!("{rest}{query}").parse::<Uri>() else {
        return text(StatusCode::BAD_REQUEST, "bad path\n");
    };
    let (mut parts, body) = req.into_parts();
    parts.uri = uri;
    let req = Request::from_parts(parts, body);
    let mut res = match dir.clone().try_call(req).await {
        Ok(res) => res.map(Body::new),
        Err(err) => {
            return text(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("could not read file: {err}\n"),
            )
        }
    };
    let status = res.status();
    let headers = res.headers_mut();
    if status.is_redirection() {
        // ServeDir redirects `/dir` to `/dir/` relative to the path it saw; put the prefix back.
        if let Some(loc) = headers.get(header::LOCATION).and_then(|l| l.to_str().ok()) {
            if loc.starts_with('/') {
                if let Ok(v) = HeaderValue::from_str(&format!("{prefix}{loc}")) {
                    headers.insert(header::LOCATION, v);
                }
            }
        }
    } else if status.is_success() {
        if let Some(ct) = content_type_for(rest) {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
        }
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}
