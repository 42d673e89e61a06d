//! Row 3 of `npm run bench`: parser throughput in native Rust, ours against the
//! `eventsource-stream` and `sseer` crates, on the same corpora cut into the same chunks.
//!
//! Every parser gets the corpus as a sequence of 16 KiB `Bytes` chunks (what a network read
//! gives) and the sink does the same work for each: count the event and add up its data length.
//! The peers are driven through their public `Stream` adapters (`futures::executor::block_on`
//! over an always-ready `stream::iter`, so no waker work); ours through `Parser::feed`.
//!
//! Before measuring, each parser's event count and data length are checked against the
//! corpus's and written, with the corpus sizes, to `BENCH_PARSER_META` (default
//! `../.work/parser-meta.json`); `bench/run.mjs` reads that and criterion's estimates.
//!
//! `BENCH_SMOKE=1`: tiny corpora and the shortest measurement criterion allows.

use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, Throughput};
use eventsource_stream::Eventsource as _;
use futures::executor::block_on;
use futures::stream::{self, StreamExt};

use eventsource_wasm::parser::{Item, Parser};

const CHUNK: usize = 16 * 1024;

struct Corpus {
    name: &'static str,
    about: &'static str,
    bytes: Vec<u8>,
    events: usize,
    data_bytes: usize,
}

/// Deterministic filler text of `len` ASCII characters.
fn filler(len: usize, seed: usize) -> String {
    const ALPHABET: &[u8] =
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 {}\":,";
    (0..len)
        .map(|i| ALPHABET[(i * 7 + seed * 13) % ALPHABET.len()] as char)
        .collect()
}

fn corpora(smoke: bool) -> Vec<Corpus> {
    let scale = if smoke { 50 } else { 1 };
    let mut out = Vec::new();

    // ~100-byte events: `id`, one `data` line.
    out.push(small_events(
        "small",
        "~100-byte events (id + one data line)",
        20_000 / scale,
        "\n",
    ));

    // ~10 KB events: `event`, `id`, five 2 KB data lines.
    let n = 200 / scale.min(20);
    let mut s = String::new();
    let mut data_bytes = 0;
    for i in 0..n {
        s.push_str(&format!("event: update\nid: {i}\n"));
        let lines: Vec<String> = (0..5).map(|k| filler(2_000, i + k)).collect();
        for line in &lines {
            s.push_str("data: ");
            s.push_str(line);
            s.push('\n');
        }
        data_bytes += lines.iter().map(String::len).sum::<usize>() + lines.len() - 1;
        s.push('\n');
    }
    out.push(Corpus {
        name: "large",
        about: "~10 KB events (event + id + five 2 KB data lines)",
        bytes: s.into_bytes(),
        events: n,
        data_bytes,
    });

    // Mostly comments: ten comment lines before each small event.
    let n = 4_000 / scale;
    let mut s = String::new();
    let mut data_bytes = 0;
    for i in 0..n {
        for k in 0..10 {
            s.push_str(&format!(": keep-alive {i}.{k} {}\n", filler(20, k)));
        }
        let data = filler(40, i);
        data_bytes += data.len();
        s.push_str(&format!("data: {data}\n\n"));
    }
    out.push(Corpus {
        name: "comments",
        about: "ten ~35-byte comment lines per 48-byte event",
        bytes: s.into_bytes(),
        events: n,
        data_bytes,
    });

    // The small corpus with CRLF line ends.
    out.push(small_events(
        "crlf",
        "~100-byte events with CRLF line ends",
        20_000 / scale,
        "\r\n",
    ));
    out
}

/// `n` events of ~100 bytes (an `id` and one `data` line), lines ended by `eol`.
fn small_events(name: &'static str, about: &'static str, n: usize, eol: &str) -> Corpus {
    let mut s = String::new();
    let mut data_bytes = 0;
    for i in 0..n {
        let head = format!("id: {i}{eol}data: ");
        let data = filler(100 - head.len() - 2 * eol.len(), i);
        data_bytes += data.len();
        s.push_str(&head);
        s.push_str(&data);
        s.push_str(eol);
        s.push_str(eol);
    }
    Corpus {
        name,
        about,
        bytes: s.into_bytes(),
        events: n,
        data_bytes,
    }
}

fn chunks(bytes: &[u8]) -> Vec<Bytes> {
    let all = Bytes::copy_from_slice(bytes);
    (0..bytes.len())
        .step_by(CHUNK)
        .map(|start| all.slice(start..(start + CHUNK).min(bytes.len())))
        .collect()
}

/// (events, data bytes)
fn run_ours(chunks: &[Bytes]) -> (usize, usize) {
    let mut parser = Parser::new();
    let (mut events, mut data) = (0, 0);
    let mut sink = |item: Item<'_>| {
        if let Item::Event(event) = item {
            events += 1;
            data += black_box(&event).data.len();
        }
    };
    for chunk in chunks {
        parser.feed(chunk, &mut sink);
    }
    parser.finish();
    (events, data)
}

fn run_eventsource_stream(chunks: &[Bytes]) -> (usize, usize) {
    block_on(async {
        let mut es = stream::iter(chunks.iter().cloned().map(Ok::<_, ()>)).eventsource();
        let (mut events, mut data) = (0, 0);
        while let Some(item) = es.next().await {
            if let Ok(event) = item {
                events += 1;
                data += black_box(&event).data.len();
            }
        }
        (events, data)
    })
}

fn run_sseer(chunks: &[Bytes]) -> (usize, usize) {
    block_on(async {
        let mut es = sseer::EventStream::new(stream::iter(chunks.iter().cloned().map(Ok::<_, ()>)));
        let (mut events, mut data) = (0, 0);
        while let Some(item) = es.next().await {
            if let Ok(event) = item {
                events += 1;
                data += black_box(&event).data.len();
            }
        }
        (events, data)
    })
}

type Runner = fn(&[Bytes]) -> (usize, usize);

const PARSERS: [(&str, Runner); 3] = [
    ("eventsource-wasm", run_ours),
    ("eventsource-stream", run_eventsource_stream),
    ("sseer", run_sseer),
];

fn json_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn main() {
    let smoke = std::env::var("BENCH_SMOKE").is_ok_and(|v| !v.is_empty() && v != "0");
    let corpora = corpora(smoke);

    // Correctness first: every parser must see the corpus's events.
    let mut meta = Vec::new();
    for corpus in &corpora {
        let chunks = chunks(&corpus.bytes);
        let mut checks = Vec::new();
        for (name, run) in PARSERS {
            let (events, data) = run(&chunks);
            let ok = events == corpus.events && data == corpus.data_bytes;
            if !ok {
                eprintln!(
                    "[parser bench] {name} on {}: {events} events / {data} data bytes, expected {} / {}",
                    corpus.name, corpus.events, corpus.data_bytes
                );
            }
            checks.push(format!(
                "{}: {{\"events\": {events}, \"data_bytes\": {data}, \"ok\": {ok}}}",
                json_str(name)
            ));
        }
        meta.push(format!(
            "{{\"name\": {}, \"about\": {}, \"bytes\": {}, \"events\": {}, \"data_bytes\": {}, \"chunk\": {CHUNK}, \"chunks\": {}, \"checks\": {{{}}}}}",
            json_str(corpus.name),
            json_str(corpus.about),
            corpus.bytes.len(),
            corpus.events,
            corpus.data_bytes,
            chunks.len(),
            checks.join(", ")
        ));
    }
    let meta_path = std::env::var("BENCH_PARSER_META")
        .unwrap_or_else(|_| "../.work/parser-meta.json".to_owned());
    if let Some(dir) = std::path::Path::new(&meta_path).parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(
        &meta_path,
        format!(
            "{{\"smoke\": {smoke}, \"corpora\": [{}]}}\n",
            meta.join(", ")
        ),
    )
    .expect("write the parser bench metadata");

    let mut criterion = if smoke {
        Criterion::default()
            .sample_size(10)
            .warm_up_time(Duration::from_millis(50))
            .measurement_time(Duration::from_millis(100))
    } else {
        Criterion::default()
            .sample_size(30)
            .warm_up_time(Duration::from_millis(700))
            .measurement_time(Duration::from_secs(3))
    }
    .without_plots()
    .configure_from_args();

    for corpus in &corpora {
        let chunks = chunks(&corpus.bytes);
        let mut group = criterion.benchmark_group(corpus.name);
        group.throughput(Throughput::Bytes(corpus.bytes.len() as u64));
        for (name, run) in PARSERS {
            group.bench_function(name, |b| b.iter(|| run(black_box(&chunks))));
        }
        group.finish();
    }
    criterion.final_summary();
}
