//! The test-mode routes that echo the raw Last-Event-ID bytes and hold a wrong response open.

mod common;

use std::time::Duration;

use common::*;
use sse_server::Config;

fn test_mode() -> Config {
    Config {
        test_mode: true,
        ..config()
    }
}

#[tokio::test]
async fn last_event_id_echoes_the_raw_header_bytes_and_sends_the_id() {
    let server = TestServer::start(test_mode()).await;
    // é as UTF-8 (c3 a9) and as Latin-1 (e9): the bytes as they came, whatever they are.
    let mut request = format!(
        "GET /last-event-id?id=%E6%97%A5%E6%9C%AC&retry=7 HTTP/1.1\r\nHost: {}\r\nLast-Event-ID: ",
        server.addr
    )
    .into_bytes();
    request.extend_from_slice(b"\xc3\xa9\xe9\r\nConnection: close\r\n\r\n");
    let (mut conn, head) = Conn::raw(server.addr, &request).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    let body = String::from_utf8(within("body", conn.read_to_end()).await).unwrap();
    assert_eq!(
        body,
        "retry: 7\nid: 日本\ndata: {\"header\":\"c3a9e9\",\"query\":\"id=%E6%97%A5%E6%9C%AC&retry=7\"}\n\n"
    );
    let (_, body) = server.get("/last-event-id").await;
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "retry: 50\ndata: {\"header\":null,\"query\":\"\"}\n\n"
    );
    assert_eq!(server.get("/last-event-id?id=a%0Ab").await.0.status, 400);
    // `cors=1` allows the requesting origin on the GET only; its preflight is refused.
    let (head, _) = request_with(
        &server,
        "GET",
        "/last-event-id?cors=1",
        &[("Origin", "http://elsewhere")],
    )
    .await;
    assert_eq!(
        head.header("access-control-allow-origin"),
        Some("http://elsewhere")
    );
    let (head, _) = request_with(
        &server,
        "OPTIONS",
        "/last-event-id?cors=1",
        &[
            ("Origin", "http://elsewhere"),
            ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "last-event-id"),
        ],
    )
    .await;
    assert!(!head.has("access-control-allow-origin"));
    assert_ne!(head.status / 100, 2);
    server.stop().await;
}

async fn request_with(
    server: &TestServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (Head, Vec<u8>) {
    request(server.addr, method, path, headers, b"").await
}

#[tokio::test]
async fn open_body_sends_its_start_and_stays_open() {
    let server = TestServer::start(test_mode()).await;
    for (query, status, content_type) in [
        ("", 200, "text/html"),
        ("?type=text/event-streamx", 200, "text/event-streamx"),
        ("?status=500&type=text/plain", 500, "text/plain"),
    ] {
        let (mut conn, head) =
            Conn::open(server.addr, "GET", &format!("/open-body{query}"), &[], b"").await;
        assert_eq!(head.status, status, "{query}");
        assert_eq!(head.header("content-type"), Some(content_type), "{query}");
        let start = within("the start of the body", conn.next_data()).await;
        assert_eq!(
            start.as_deref(),
            Some(&b"start of the body\n"[..]),
            "{query}"
        );
        conn.expect_silence(Duration::from_millis(100)).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn the_wire_routes_need_test_mode() {
    let server = TestServer::start(config()).await;
    assert_eq!(server.get("/last-event-id").await.0.status, 404);
    assert_eq!(server.get("/open-body").await.0.status, 404);
    server.stop().await;
}
