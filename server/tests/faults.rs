//! Test-mode fault injection: chaos drops, outages and bursts, seen by a raw HTTP/1.1 client.

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;
use sse_server::burst::MAX_SCHEDULED;
use sse_server::chaos::cut_offset;
use sse_server::Config;

fn test_mode() -> Config {
    Config {
        test_mode: true,
        ..config()
    }
}

const CLOSE: (&str, &str) = ("Connection", "close");

/// GETs `path` and reads the raw response body until the server closes the connection:
/// the decoded data and whether it ended with the terminating chunk.
async fn fetch_raw(server: &TestServer, path: &str, headers: &[(&str, &str)]) -> (Vec<u8>, bool) {
    let mut all = headers.to_vec();
    all.push(CLOSE);
    let (mut conn, head) = Conn::open(server.addr, "GET", path, &all, b"").await;
    assert_eq!(head.status, 200, "GET {path}");
    assert_eq!(head.header("transfer-encoding"), Some("chunked"));
    dechunk(&conn.raw_rest().await)
}

/// Publishes `data(1)..=data(n)` to `channel` and returns what `/events` writes when replaying
/// them all: the `retry: 3000` prelude, then every event's wire bytes.
async fn publish_all(
    server: &TestServer,
    channel: &str,
    n: u64,
    data: impl Fn(u64) -> String,
) -> Vec<u8> {
    let ch = server.state.hub.channel(channel).unwrap();
    for i in 1..=n {
        ch.publish(None, &data(i));
    }
    let mut full = b"retry: 3000\n\n".to_vec();
    for ev in ch.since(0) {
        full.extend_from_slice(&ev.wire);
    }
    full
}

fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap()
}

#[tokio::test]
async fn clean_ends_keep_the_terminating_chunk() {
    // The control for the tests below: a response that ends normally is seen as such.
    let server = TestServer::start(test_mode()).await;
    let (data, terminated) = fetch_raw(&server, "/finite?n=2", &[]).await;
    assert!(terminated);
    assert!(data.ends_with(b"id: 2\ndata: event 2\n\n"));
    server.stop().await;
}

#[tokio::test]
async fn chaos_cut_is_abrupt_at_a_seeded_offset_often_mid_event() {
    let server = TestServer::start(test_mode()).await;
    let full = publish_all(&server, "c", 200, |i| i.to_string()).await;
    // The prelude (13 bytes) and event 1 (15 bytes) always arrive whole.
    let first_end = 13 + 15;
    let mean = 500;
    let mut lengths = std::collections::BTreeSet::new();
    let mut mid_event = 0;
    for seed in 0..12u64 {
        let path = format!("/events?channel=c&chaos={seed}&chaos_bytes={mean}&lastEventId=0");
        let (data, terminated) = fetch_raw(&server, &path, &[]).await;
        assert!(!terminated, "seed {seed}: dropped, not ended");
        let at = first_end + cut_offset(seed, Some(0), mean) as usize;
        assert_eq!(
            data,
            full[..at],
            "seed {seed}: cut after exactly {at} bytes"
        );
        lengths.insert(data.len());
        if !data.ends_with(b"\n\n") {
            mid_event += 1;
        }
        // The same seed and resume point cut at the same byte again.
        let (again, _) = fetch_raw(&server, &path, &[]).await;
        assert_eq!(again, data, "seed {seed}: reproducible");
    }
    assert!(
        lengths.len() >= 10,
        "the offset varies with the seed: {lengths:?}"
    );
    assert!(
        mid_event >= 6,
        "most cuts are inside an event: {mid_event}/12"
    );

    // The header resume point counts like the query parameter.
    let (by_query, _) = fetch_raw(
        &server,
        "/events?channel=c&chaos=3&chaos_bytes=500&lastEventId=0",
        &[],
    )
    .await;
    let (by_header, _) = fetch_raw(
        &server,
        "/events?channel=c&chaos=3&chaos_bytes=500",
        &[("Last-Event-ID", "0")],
    )
    .await;
    assert_eq!(by_query, by_header);

    // A later resume point replays from there and cuts elsewhere.
    let (data, terminated) = fetch_raw(
        &server,
        "/events?channel=c&chaos=3&chaos_bytes=500&lastEventId=100",
        &[],
    )
    .await;
    assert!(!terminated);
    let start = full.windows(9).position(|w| w == b"id: 101\nd").unwrap();
    let mut tail = b"retry: 3000\n\n".to_vec();
    tail.extend_from_slice(&full[start..]);
    let at = 13 + "id: 101\ndata: 101\n\n".len() + cut_offset(3, Some(100), 500) as usize;
    assert_eq!(data, tail[..at]);
    server.wait_open(0).await;
    server.stop().await;
}

/// One client run: resume after every cut until all `n` events arrived. Returns, per
/// connection, the resume point and the number of body bytes it delivered.
async fn chaos_run(server: &TestServer, n: u64) -> Vec<(u64, usize)> {
    let mut connections = Vec::new();
    let mut got: Vec<u64> = Vec::new();
    let mut resume = 0;
    while resume < n {
        assert!(connections.len() < 1000, "no progress");
        let path = format!("/events?channel=run&chaos=42&chaos_bytes=300&lastEventId={resume}");
        let (mut conn, head) = Conn::open(server.addr, "GET", &path, &[CLOSE], b"").await;
        assert_eq!(head.status, 200);
        let all_in = |raw: &[u8]| {
            let evs = parse_events(&dechunk(raw).0);
            evs.last().and_then(|e| e.id.as_deref()) == Some(&n.to_string())
        };
        let (raw, closed) = conn.raw_until(all_in).await;
        let (data, terminated) = dechunk(&raw);
        assert!(!terminated);
        let evs = parse_events(&data);
        assert!(
            !evs.is_empty(),
            "connection {} delivered no event",
            connections.len()
        );
        if !closed {
            assert!(all_in(&raw));
        }
        got.extend(ids(&evs));
        connections.push((resume, data.len()));
        resume = *got.last().unwrap();
    }
    assert_eq!(
        got,
        (1..=n).collect::<Vec<_>>(),
        "every event once, in order"
    );
    connections
}

#[tokio::test]
async fn chaos_runs_make_progress_and_replay_from_the_seed() {
    let n = 1000;
    let server = TestServer::start(test_mode()).await;
    publish_all(&server, "run", n, |i| format!("event {i}")).await;
    let first = chaos_run(&server, n).await;
    assert!(
        first.len() >= 10,
        "the chaos bit: {} connections",
        first.len()
    );
    server.stop().await;

    // A fresh server with the same events cuts the same connections at the same bytes.
    let server = TestServer::start(test_mode()).await;
    publish_all(&server, "run", n, |i| format!("event {i}")).await;
    assert_eq!(chaos_run(&server, n).await, first);
    server.stop().await;
}

#[tokio::test]
async fn chaos_needs_test_mode() {
    let server = TestServer::start(config()).await;
    let (head, body) = server.get("/events?chaos=1").await;
    assert_eq!(head.status, 400);
    assert!(String::from_utf8_lossy(&body).contains("--test-mode"));
    assert_eq!(server.stats().await["open_connections"], 0);
    server.stop().await;

    let server = TestServer::start(test_mode()).await;
    let (head, body) = server.get("/events?chaos=x").await;
    assert_eq!(head.status, 400);
    assert!(String::from_utf8_lossy(&body).contains("chaos must be a whole number"));
    let (head, _) = server.get("/events?chaos=1&chaos_bytes=-5").await;
    assert_eq!(head.status, 400);
    server.stop().await;
}

#[tokio::test]
async fn outage_drops_live_streams_abruptly() {
    let server = TestServer::start(test_mode()).await;
    let (mut conn, _) = Conn::open(server.addr, "GET", "/events?channel=o", &[CLOSE], b"").await;
    assert_eq!(
        within("prelude", conn.next_data()).await.unwrap(),
        b"retry: 3000\n\n"
    );
    server
        .publish_ok(r#"{"channel":"o","data":"before"}"#)
        .await;
    assert_eq!(
        within("event", conn.next_data()).await.unwrap(),
        b"id: 1\ndata: before\n\n"
    );
    let (head, body) = request(server.addr, "POST", "/admin/outage?ms=300", &[], b"").await;
    assert_eq!(head.status, 200);
    assert_eq!(json(&body)["outage_ms"], 300);
    let (data, terminated) = dechunk(&conn.raw_rest().await);
    assert!(!terminated, "the stream was dropped, not ended");
    assert!(data.is_empty());
    within("the outage to end", async {
        while server.state.outages.active() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    server.wait_open(0).await;
    server.stop().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_burst_yields_to_other_tasks() {
    // One thread: a burst that never yielded would publish all events before anything else
    // (this watcher included) runs again.
    const N: u64 = 100_000;
    let server = TestServer::start(test_mode()).await;
    let ch = server.state.hub.channel("big").unwrap();
    let addr = server.addr;
    let burst = tokio::spawn(async move {
        request(addr, "POST", &format!("/burst?channel=big&n={N}"), &[], b"").await
    });
    let seen = within("the burst to start", async {
        loop {
            let next = ch.next_id();
            if next > 1 {
                return next;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(
        seen <= N,
        "the watcher ran during the burst (next id {seen})"
    );
    let (head, body) = within("the burst", burst).await.unwrap();
    assert_eq!(head.status, 200);
    let v = json(&body);
    assert_eq!(
        (&v["first_id"], &v["last_id"], &v["published"]),
        (&1.into(), &N.into(), &N.into())
    );
    assert_eq!(v["channel"], "big");
    server.stop().await;
}

#[tokio::test]
async fn delayed_bursts_run_later_are_bounded_and_end_at_shutdown() {
    let server = TestServer::start(test_mode()).await;
    let addr = server.addr;
    let post = |path: &'static str| request(addr, "POST", path, &[], b"");
    let soon = server.state.hub.channel("soon").unwrap();
    let (head, body) = post("/burst?channel=soon&n=3&delay_ms=20").await;
    assert_eq!(head.status, 200);
    assert_eq!(
        json(&body),
        serde_json::json!({ "channel": "soon", "scheduled": 3 })
    );
    within("the delayed burst", async {
        while soon.next_id() != 4 || server.state.bursts.pending() != 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;

    for _ in 0..MAX_SCHEDULED {
        let (head, _) = post("/burst?channel=later&n=5&delay_ms=60000").await;
        assert_eq!(head.status, 200);
    }
    let (head, body) = post("/burst?channel=later&n=5&delay_ms=60000").await;
    assert_eq!(head.status, 503);
    assert!(String::from_utf8_lossy(&body).contains("too many scheduled bursts"));
    assert_eq!(server.state.bursts.pending(), MAX_SCHEDULED);

    let state = server.state.clone();
    server.stop().await;
    within("scheduled bursts to be cancelled", async {
        while state.bursts.pending() != 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert_eq!(state.hub.channel("later").unwrap().next_id(), 1, "none ran");
}

#[tokio::test]
async fn fault_endpoints_need_test_mode() {
    let server = TestServer::start(config()).await;
    for path in ["/admin/outage?ms=10", "/burst?n=1"] {
        let (head, _) = request(server.addr, "POST", path, &[], b"").await;
        assert_eq!(head.status, 404, "{path}");
    }
    assert!(!server.state.outages.active());
    server.stop().await;
}
