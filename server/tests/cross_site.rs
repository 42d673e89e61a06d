//! Other sites cannot write (cross-site POSTs are refused) or read through DNS rebinding
//! (requests must name this server in `Host`).

mod common;

use std::net::SocketAddr;

use common::*;
use sse_server::Config;

const LISTED: &str = "http://127.0.0.1:9000";

/// Sends `raw` (a whole request, which should ask for `Connection: close`) and returns the
/// status and body.
async fn raw_request(addr: SocketAddr, raw: &str) -> (u16, String) {
    let (mut conn, head) = Conn::raw(addr, raw.as_bytes()).await;
    let body = within("body", conn.read_to_end()).await;
    (head.status, String::from_utf8_lossy(&body).into_owned())
}

async fn post(
    server: &TestServer,
    path: &str,
    origin: Option<&str>,
    content_type: Option<&str>,
    body: &str,
) -> (u16, String) {
    let mut headers = Vec::new();
    if let Some(origin) = origin {
        headers.push(("Origin", origin));
    }
    if let Some(ct) = content_type {
        headers.push(("Content-Type", ct));
    }
    let (head, body) = request(server.addr, "POST", path, &headers, body.as_bytes()).await;
    (head.status, String::from_utf8_lossy(&body).into_owned())
}

fn published(server: &TestServer, channel: &str) -> usize {
    server.state.hub.channel(channel).unwrap().since(0).len()
}

#[tokio::test]
async fn cross_site_publishes_are_refused() {
    let server = TestServer::start(Config {
        cors_origins: vec![LISTED.to_string()],
        ..config()
    })
    .await;
    let port = server.addr.port();
    let body = r#"{"channel":"x","data":"hi"}"#;
    const JSON: Option<&str> = Some("application/json");

    // The attack: a form on another site posting text/plain. Refused for its origin, and
    // (without Origin, as from an old browser) for its content type; nothing is published.
    let (status, msg) = post(
        &server,
        "/publish",
        Some("http://evil.test"),
        Some("text/plain"),
        body,
    )
    .await;
    assert_eq!(status, 403, "{msg}");
    assert!(msg.contains("\"http://evil.test\" refused"), "{msg}");
    assert_eq!(
        post(&server, "/publish", None, Some("text/plain"), body)
            .await
            .0,
        415
    );
    // Another origin is refused whatever it sends; so are `null` and, without --test-mode,
    // even a --cors-origin origin.
    for origin in ["http://evil.test", "null", LISTED, "https://127.0.0.1:9000"] {
        let (status, msg) = post(&server, "/publish", Some(origin), JSON, body).await;
        assert_eq!(status, 403, "{origin}: {msg}");
    }
    // Any unsafe method is covered, not only the routes that exist.
    assert_eq!(
        post(&server, "/echo", Some("http://evil.test"), None, "")
            .await
            .0,
        403
    );
    assert_eq!(
        post(&server, "/nope", Some("http://evil.test"), None, "")
            .await
            .0,
        403
    );
    assert_eq!(published(&server, "x"), 0);

    // The server's own origins, and clients that send no Origin (curl, Node), may publish.
    for origin in [
        Some(format!("http://127.0.0.1:{port}")),
        Some(format!("http://localhost:{port}")),
        None,
    ] {
        let (status, msg) = post(&server, "/publish", origin.as_deref(), JSON, body).await;
        assert_eq!(status, 200, "{origin:?}: {msg}");
    }
    assert_eq!(published(&server, "x"), 3);
    // Reads from other origins are left to CORS (no CORS headers, so a page cannot read them).
    let (head, _) = request(
        server.addr,
        "GET",
        "/stats",
        &[("Origin", "http://evil.test")],
        b"",
    )
    .await;
    assert_eq!(head.status, 200);
    assert!(!head.has("access-control-allow-origin"));
    server.stop().await;
}

#[tokio::test]
async fn test_mode_admits_listed_origins_only() {
    let server = TestServer::start(Config {
        test_mode: true,
        cors_origins: vec![LISTED.to_string()],
        ..config()
    })
    .await;
    let body = r#"{"channel":"y","data":"hi"}"#;

    // The fault endpoints: another origin, or a form content type, is refused.
    for (origin, ct, status) in [
        (Some("http://evil.test"), None, 403),
        (Some("http://evil.test"), Some("text/plain"), 403),
        (None, Some("text/plain"), 415),
        (None, Some("application/x-www-form-urlencoded"), 415),
        (None, Some("multipart/form-data; boundary=b"), 415),
    ] {
        for path in ["/admin/outage?ms=5000", "/burst?channel=y&n=5"] {
            let (got, msg) = post(&server, path, origin, ct, "").await;
            assert_eq!(got, status, "{path} {origin:?} {ct:?}: {msg}");
        }
    }
    assert!(!server.state.outages.active());
    assert_eq!(published(&server, "y"), 0);

    // The listed origin (the browser tests' page) may publish and trigger bursts, with CORS
    // headers on the answer.
    for (path, ct, body) in [
        ("/publish", Some("application/json"), body),
        ("/burst?channel=y&n=2", None, ""),
    ] {
        let mut headers = vec![("Origin", LISTED)];
        headers.extend(ct.map(|ct| ("Content-Type", ct)));
        let (head, resp) = request(server.addr, "POST", path, &headers, body.as_bytes()).await;
        assert_eq!(
            head.status,
            200,
            "{path}: {}",
            String::from_utf8_lossy(&resp)
        );
        assert_eq!(head.header("access-control-allow-origin"), Some(LISTED));
    }
    assert_eq!(published(&server, "y"), 3);
    // Near misses of the listed origin are not it.
    for origin in [
        "http://127.0.0.1:9000/",
        "HTTP://127.0.0.1:9000",
        "http://127.0.0.1:90001",
    ] {
        let (status, _) = post(
            &server,
            "/publish",
            Some(origin),
            Some("application/json"),
            body,
        )
        .await;
        assert_eq!(status, 403, "{origin}");
    }
    server.stop().await;
}

#[tokio::test]
async fn host_must_name_this_server() {
    let server = TestServer::start(config()).await;
    let addr = server.addr;
    let port = addr.port();
    let get = |path: &str, host: &str| {
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
    };

    // DNS rebinding: a page on evil.test whose name now points at 127.0.0.1 sends its own
    // name. Every route refuses it, streams included.
    for path in ["/stats", "/events", "/fixture/basic", "/", "/index.html"] {
        let (status, body) = raw_request(addr, &get(path, &format!("evil.test:{port}"))).await;
        assert_eq!(status, 421, "{path}");
        assert!(body.contains("answers only to Host"), "{body}");
        assert!(body.contains(&format!("localhost:{port}")), "{body}");
    }
    for host in [
        "evil.test".to_string(),
        "127.0.0.1".to_string(),
        "localhost".to_string(),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
        format!("127.0.0.1.evil.test:{port}"),
        format!("{port}"),
    ] {
        let (status, _) = raw_request(addr, &get("/stats", &host)).await;
        assert_eq!(status, 421, "{host}");
    }
    // An absolute-form target naming another host, and two Host headers, are refused too.
    let (status, _) = raw_request(
        addr,
        &format!("GET http://evil.test:{port}/stats HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(status, 421);
    let (status, _) = raw_request(
        addr,
        &format!("GET /stats HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: evil.test:{port}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(status, 421);
    assert_eq!(server.stats().await["open_connections"], 0);

    // This server's names pass; so does a request without Host (HTTP/1.0).
    for host in ["127.0.0.1", "localhost", "LocalHost", "[::1]"] {
        let (status, body) = raw_request(addr, &get("/stats", &format!("{host}:{port}"))).await;
        assert_eq!(status, 200, "{host}: {body}");
    }
    let (status, _) = raw_request(
        addr,
        &format!("GET http://localhost:{port}/stats HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = raw_request(addr, "GET /stats HTTP/1.0\r\n\r\n").await;
    assert_eq!(status, 200, "{body}");
    server.stop().await;
}
