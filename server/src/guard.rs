//! Request checks against other sites: DNS rebinding (the `Host` check, on every route) and
//! cross-site writes (the `Origin` check, on every request that is not GET, HEAD or OPTIONS).
//!
//! - `Host` (and the authority of an absolute-form request target) must name this server:
//!   `127.0.0.1`, `localhost`, `[::1]` or the bound address, with the bound port (no port only
//!   when that is 80). Anything else is answered 421 — a page on another site whose name was
//!   rebound to 127.0.0.1 sends its own name and so cannot read `/stats` or `/events`. A
//!   request without `Host` (HTTP/1.0) passes.
//! - A POST (or any other unsafe method) whose `Origin` is present must come from this
//!   server's own origin (`http://` + one of the names above) or, in `--test-mode`, from one of
//!   the `--cors-origin` origins; others are answered 403. Browsers send `Origin` with every
//!   cross-origin POST, including plain HTML form posts.
//!
//! Content types are checked by the routes themselves (`/publish` requires JSON).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use crate::sse::text;
use crate::{AppState, Config};

/// The accepted `Host` values and trusted origins of one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guard {
    /// Accepted `Host` values, lowercase (`127.0.0.1:8787`, …).
    hosts: Vec<String>,
    /// Origins allowed to send unsafe requests.
    origins: Vec<String>,
}

impl Guard {
    /// The checks for a server listening on `local` with `config`.
    pub fn new(local: SocketAddr, config: &Config) -> Guard {
        let port = local.port();
        let mut names = vec![
            "127.0.0.1".to_string(),
            "localhost".to_string(),
            "[::1]".to_string(),
        ];
        let ip = local.ip();
        if !ip.is_unspecified() {
            let bound = match ip {
                std::net::IpAddr::V4(v4) => v4.to_string(),
                std::net::IpAddr::V6(v6) => format!("[{v6}]"),
            };
            if !names.contains(&bound) {
                names.push(bound);
            }
        }
        let mut hosts: Vec<String> = names.iter().map(|n| format!("{n}:{port}")).collect();
        // An origin leaves out the default port, and so may a Host header.
        let origin_hosts = if port == 80 {
            hosts.extend(names.iter().cloned());
            names.clone()
        } else {
            hosts.clone()
        };
        let mut origins: Vec<String> = origin_hosts.iter().map(|h| format!("http://{h}")).collect();
        if config.test_mode {
            origins.extend(config.cors_origins.iter().cloned());
        }
        Guard { hosts, origins }
    }

    /// True if `host` (a `Host` header value or URI authority) names this server.
    pub fn host_ok(&self, host: &str) -> bool {
        let host = host.trim();
        self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }

    /// True if `origin` may send unsafe requests.
    pub fn origin_ok(&self, origin: &[u8]) -> bool {
        self.origins.iter().any(|o| o.as_bytes() == origin)
    }

    /// The accepted `Host` values.
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// Checks a request's `Host` header and absolute-form authority; `Err` holds the offending
    /// value.
    fn check_host(&self, req: &Request) -> Result<(), String> {
        let mut values = req.headers().get_all(header::HOST).iter();
        if let Some(value) = values.next() {
            if values.next().is_some() {
                return Err("more than one Host header".to_string());
            }
            let host = String::from_utf8_lossy(value.as_bytes());
            if !self.host_ok(&host) {
                return Err(format!("Host {host:?}"));
            }
        }
        if let Some(authority) = req.uri().authority() {
            if !self.host_ok(authority.as_str()) {
                return Err(format!("request target authority {:?}", authority.as_str()));
            }
        }
        Ok(())
    }
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The value of `Origin` if present and not trusted.
fn untrusted_origin(guard: &Guard, headers: &HeaderMap) -> Option<String> {
    let origin = headers.get(header::ORIGIN)?;
    (!guard.origin_ok(origin.as_bytes()))
        .then(|| String::from_utf8_lossy(origin.as_bytes()).into_owned())
}

/// Middleware applying the `Host` and `Origin` checks (see the module docs).
pub async fn middleware(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let guard = st.guard();
    if let Err(what) = guard.check_host(&req) {
        return text(
            StatusCode::MISDIRECTED_REQUEST,
            format!(
                "this server answers only to Host {}; {what} refused (a guard against DNS \
                 rebinding)\n",
                guard.hosts().join(", ")
            ),
        );
    }
    if is_unsafe(req.method()) {
        if let Some(origin) = untrusted_origin(guard, req.headers()) {
            let listed = if st.config.test_mode {
                "this server's own origin or a --cors-origin origin"
            } else {
                "this server's own origin (--cors-origin needs --test-mode)"
            };
            return text(
                StatusCode::FORBIDDEN,
                format!(
                    "cross-origin {} from {origin:?} refused: only {listed} may send it\n",
                    req.method()
                ),
            );
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(addr: &str, test_mode: bool) -> Guard {
        let config = Config {
            test_mode,
            cors_origins: vec!["http://127.0.0.1:9000".to_string()],
            ..Config::default()
        };
        Guard::new(addr.parse().unwrap(), &config)
    }

    #[test]
    fn hosts() {
        let g = guard("127.0.0.1:8787", false);
        for ok in [
            "127.0.0.1:8787",
            "localhost:8787",
            "LocalHost:8787",
            "[::1]:8787",
        ] {
            assert!(g.host_ok(ok), "{ok}");
        }
        for bad in [
            "127.0.0.1",
            "localhost",
            "127.0.0.1:8788",
            "evil.test:8787",
            "evil.test",
            "127.0.0.1.evil.test:8787",
            "localhost.:8787",
            "::1:8787",
            "",
        ] {
            assert!(!g.host_ok(bad), "{bad}");
        }
        // Port 80 may be left out; another bound address is accepted too.
        let g = guard("10.1.2.3:80", false);
        for ok in [
            "localhost",
            "127.0.0.1:80",
            "10.1.2.3",
            "10.1.2.3:80",
            "[::1]",
        ] {
            assert!(g.host_ok(ok), "{ok}");
        }
        assert!(!g.host_ok("10.1.2.4"));
        let g = guard("[::1]:5000", false);
        assert!(g.host_ok("[::1]:5000") && g.host_ok("localhost:5000"));
    }

    #[test]
    fn origins() {
        let g = guard("127.0.0.1:8787", false);
        for ok in [
            "http://127.0.0.1:8787",
            "http://localhost:8787",
            "http://[::1]:8787",
        ] {
            assert!(g.origin_ok(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "http://127.0.0.1:9000", // listed, but not in test mode
            "https://127.0.0.1:8787",
            "http://127.0.0.1:8787/",
            "http://evil.test",
            "null",
            "",
        ] {
            assert!(!g.origin_ok(bad.as_bytes()), "{bad}");
        }
        let g = guard("127.0.0.1:8787", true);
        assert!(g.origin_ok(b"http://127.0.0.1:9000"));
        assert!(!g.origin_ok(b"http://127.0.0.1:9001"));
        // Origins leave out port 80.
        let g = guard("127.0.0.1:80", false);
        assert!(g.origin_ok(b"http://localhost"));
        assert!(!g.origin_ok(b"http://localhost:80"));
    }
}
