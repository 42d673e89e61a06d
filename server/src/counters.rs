//! Requests counted by path, for tests ("how many times did the client connect?").

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

/// Distinct paths remembered; later new paths are counted under `"(other)"`.
const MAX_PATHS: usize = 1024;

/// Per-path request counts (bounded).
#[derive(Debug, Default)]
pub struct RequestCounts {
    counts: Mutex<HashMap<String, u64>>,
}

impl RequestCounts {
    /// Counts one request for `path`.
    pub fn count(&self, path: &str) {
        let Ok(mut counts) = self.counts.lock() else {
            return;
        };
        if let Some(n) = counts.get_mut(path) {
            *n += 1;
        } else if counts.len() < MAX_PATHS {
            counts.insert(path.to_owned(), 1);
        } else {
            *counts.entry("(other)".to_owned()).or_insert(0) += 1;
        }
    }

    /// A copy of the counts.
    pub fn snapshot(&self) -> HashMap<String, u64> {
        self.counts.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

/// Middleware: counts every request by its path (without the query).
pub async fn middleware(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    state.requests.count(request.uri().path());
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_path_and_stays_bounded() {
        let counts = RequestCounts::default();
        counts.count("/a");
        counts.count("/a");
        counts.count("/b");
        for i in 0..2 * MAX_PATHS {
            counts.count(&format!("/many/{i}"));
        }
        let snapshot = counts.snapshot();
        assert_eq!(snapshot["/a"], 2);
        assert_eq!(snapshot["/b"], 1);
        assert!(snapshot.len() <= MAX_PATHS + 1);
        assert!(snapshot["(other)"] > 0);
    }
}
