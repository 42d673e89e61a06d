//! Connections that never finish their request head are bounded and timed out, so they cannot
//! lock out other clients.

mod common;

use std::time::{Duration, Instant};

use common::*;
use sse_server::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

const TIMEOUT: Duration = Duration::from_millis(1500);
const MAX_WAITING: usize = 8;
const HALF_SENT: usize = 24;

/// Reads until the server closes the connection; returns when that happened and how many
/// bytes arrived before. Gives up `limit` after `start`.
fn watch_close(
    mut stream: TcpStream,
    start: Instant,
    limit: Duration,
) -> JoinHandle<(Instant, usize)> {
    tokio::spawn(async move {
        let mut got = 0;
        let mut buf = [0u8; 1024];
        loop {
            let read = tokio::time::timeout_at((start + limit).into(), stream.read(&mut buf)).await;
            match read {
                Ok(Ok(0)) | Ok(Err(_)) => return (Instant::now(), got),
                Ok(Ok(n)) => got += n,
                Err(_) => panic!("a connection was still open {limit:?} after the start"),
            }
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_are_bounded_and_time_out() {
    let server = TestServer::start(Config {
        header_timeout_ms: TIMEOUT.as_millis() as u64,
        max_waiting: MAX_WAITING,
        keepalive_ms: 0,
        ..config()
    })
    .await;
    // A stream opened before: busy connections are neither timed out nor closed to make room.
    let (mut stream, head) = Conn::open(server.addr, "GET", "/events?channel=s", &[], b"").await;
    assert_eq!(head.status, 200);
    within("prelude", stream.next_data()).await.unwrap();

    let start = Instant::now();
    let limit = TIMEOUT + Duration::from_secs(3);
    let mut watchers = Vec::new();
    for _ in 0..HALF_SENT {
        let mut s = within("connect", TcpStream::connect(server.addr))
            .await
            .unwrap();
        let head = format!(
            "GET /stats HTTP/1.1\r\nHost: {}\r\nX-Never-Ends: ",
            server.addr
        );
        s.write_all(head.as_bytes()).await.unwrap();
        watchers.push(watch_close(s, start, limit));
    }

    // A normal client is served at once, and the server holds at most MAX_WAITING waiting.
    let stats = server.stats().await;
    let waiting = stats["waiting_connections"].as_u64().unwrap() as usize;
    assert!(waiting <= MAX_WAITING, "{stats}");
    // The ones closed to make room are gone soon (well before the timeout): then only the
    // waiting ones, the stats request and the stream are open.
    within("closed connections to be released", async {
        loop {
            let stats = server.stats().await;
            let waiting = stats["waiting_connections"].as_u64().unwrap() as usize;
            assert!(waiting <= MAX_WAITING, "{stats}");
            if stats["tcp_connections"].as_u64().unwrap() as usize <= MAX_WAITING + 2 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(
        server
            .publish_ok(r#"{"channel":"s","data":"still served"}"#)
            .await
            > 0
    );

    // A keep-alive connection that goes idle after its response waits again, so it is timed
    // out too (counted from the end of its response).
    let (mut idle, head) = Conn::open(server.addr, "GET", "/stats", &[], b"").await;
    assert_eq!(head.status, 200);
    within("stats body", idle.next_data()).await.unwrap();
    let idle_since = Instant::now();
    let (_, closed) = within("idle close", idle.raw_until(|_| false)).await;
    assert!(closed);
    assert!(idle_since.elapsed() >= TIMEOUT - Duration::from_millis(50));

    let mut closes = Vec::new();
    for w in watchers {
        let (at, got) = w.await.unwrap();
        assert_eq!(got, 0, "a half-sent request got an answer");
        closes.push(at - start);
    }
    closes.sort();
    // The oldest were closed to make room (long before any timeout could fire: a timeout
    // counts from the accept, which is after `start`)...
    let early = closes.iter().filter(|d| **d < TIMEOUT).count();
    assert!(early >= HALF_SENT - MAX_WAITING, "{closes:?}");
    // ... and the rest by the timeout.
    assert!(closes.iter().all(|d| *d < limit), "{closes:?}");
    assert!(
        early < HALF_SENT,
        "some must have waited for the timeout: {closes:?}"
    );

    // The stream outlived all of it and still delivers.
    let mut acc = Vec::new();
    within(
        "the event on the stream",
        stream.read_until(&mut acc, |b| count_events(b) >= 1),
    )
    .await;
    assert_eq!(parse_events(&acc)[0].data, "still served");
    stream.expect_silence(Duration::from_millis(50)).await;
    let stats = server.stats().await;
    assert_eq!(stats["waiting_connections"], 0, "{stats}");
    assert_eq!(stats["open_connections"], 1, "{stats}");
    server.stop().await;
}
