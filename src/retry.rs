//! The reconnection policy: when to retry a failed connection, and after how long.
//!
//! Pure Rust with no web dependencies, so it is tested natively. The connection code feeds it
//! what happened ([`Failure`]) and a random number, and gets back a [`Decision`].

use std::time::Duration;

/// How to reconnect after a connection fails. Every field has a documented default.
///
/// The delay before retry *n* (counting from 0) is `min(max_delay, base × multiplierⁿ)`, then
/// jittered: with `jitter` *j* it is drawn uniformly from `[(1 − j) × d, d]` (*j* = 1 is "full
/// jitter"). `base` is the server's `retry:` value when it sent one, else `initial_delay`.
///
/// ```
/// use std::time::Duration;
/// use eventsource_wasm::{Decision, Failure, RetryPolicy};
///
/// let policy = RetryPolicy::new()
///     .initial_delay(Duration::from_millis(100))
///     .max_delay(Duration::from_secs(1))
///     .jitter(0.0);
/// let mut backoff = policy.backoff();
/// let delays: Vec<u128> = (0..5)
///     .map(|_| match backoff.next(&Failure::Network, 0.5) {
///         Decision::Retry { delay, .. } => delay.as_millis(),
///         Decision::GiveUp { .. } => unreachable!("no retry limit"),
///     })
///     .collect();
/// assert_eq!(delays, [100, 200, 400, 800, 1_000]);
/// ```
#[cfg(feature = "reconnect")]
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// The first delay when the server sent no `retry:` field. Default: 1 s.
    pub initial_delay: Duration,
    /// The largest delay (a `Retry-After` is honoured even when larger). Default: 30 s.
    pub max_delay: Duration,
    /// The growth factor per consecutive failure. Default: 2.
    pub multiplier: f64,
    /// The share of the delay that is randomized, from 0 (none) to 1 (full jitter). Default: 1.
    pub jitter: f64,
    /// Consecutive failed attempts allowed before giving up; `None` retries forever. A failed
    /// request and a stream that ended or broke each count, on both transports, so `Some(n)`
    /// makes at most n + 1 requests in a row. Default: `None`.
    pub max_retries: Option<u32>,
    /// A connection that stayed open this long resets the attempt count. Default: 10 s.
    pub reset_after: Duration,
}

#[cfg(feature = "reconnect")]
impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            multiplier: 2.0,
            jitter: 1.0,
            max_retries: None,
            reset_after: Duration::from_secs(10),
        }
    }
}

#[cfg(feature = "reconnect")]
impl RetryPolicy {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`initial_delay`](Self::initial_delay) (delays are counted in whole milliseconds).
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay;
        self
    }

    /// Sets [`max_delay`](Self::max_delay).
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// Sets [`multiplier`](Self::multiplier) (values below 1 are treated as 1).
    pub fn multiplier(mut self, factor: f64) -> Self {
        self.multiplier = factor;
        self
    }

    /// Sets [`jitter`](Self::jitter) (clamped to 0..=1).
    pub fn jitter(mut self, share: f64) -> Self {
        self.jitter = share;
        self
    }

    /// Sets [`max_retries`](Self::max_retries).
    pub fn max_retries(mut self, retries: Option<u32>) -> Self {
        self.max_retries = retries;
        self
    }

    /// Sets [`reset_after`](Self::reset_after).
    pub fn reset_after(mut self, open_for: Duration) -> Self {
        self.reset_after = open_for;
        self
    }

    /// A fresh backoff state following this policy.
    pub fn backoff(&self) -> Backoff {
        Backoff {
            policy: self.clone(),
            attempt: 0,
            server_retry_ms: None,
        }
    }
}

/// Why a connection attempt ended, as far as the client can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    /// The request failed or the stream broke (no HTTP answer, reset, server closed the stream).
    Network,
    /// The server answered with a status other than 200 (`retry_after` from `Retry-After`).
    Status {
        /// The HTTP status.
        status: u16,
        /// The `Retry-After` header as a delay.
        retry_after: Option<Duration>,
    },
    /// A 200 whose `Content-Type` is not `text/event-stream`.
    ContentType,
    /// Nothing (not even a comment) arrived for the idle timeout.
    IdleTimeout,
    /// The browser's `EventSource` gave up without saying why (it hides the status), and a
    /// probe request of the same URL could not tell either (no answer in time, or a stream).
    Unknown,
    /// The headers function (a token refresh, say) failed or returned something that is not
    /// headers. Retryable: the next attempt calls it again.
    Headers,
    /// The request could not be made at all: an invalid header name or value, no `fetch`, a URL
    /// whose scheme cannot carry an event stream (not http(s), `data:` or `blob:`), or an
    /// injected `fetch` that resolved to something that is not a `Response`. Fatal: retrying
    /// would fail the same way.
    Request,
    /// The stream ended or broke before the event that completes it
    /// ([`close_on`](crate::EventSourceOptions::close_on)). Retryable: the next attempt resumes
    /// from the last event ID.
    Truncated,
}

impl Failure {
    /// The default classification: network errors, 5xx, 408, the idle timeout and unknown
    /// failures retry; 429 and 503 retry (after `Retry-After` when given); other statuses
    /// (including 204 and other 4xx) and a wrong `Content-Type` are fatal.
    pub fn is_retryable(&self) -> bool {
        match self {
            Failure::Network
            | Failure::IdleTimeout
            | Failure::Unknown
            | Failure::Headers
            | Failure::Truncated => true,
            Failure::Status { status, .. } => {
                matches!(status, 408 | 429) || (500..=599).contains(status)
            }
            Failure::ContentType | Failure::Request => false,
        }
    }

    /// A short label for events and logs: `network`, `status`, `content-type`, `idle`,
    /// `unknown`, `headers`, `request`, `truncated`.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::Network => "network",
            Failure::Status { .. } => "status",
            Failure::ContentType => "content-type",
            Failure::IdleTimeout => "idle",
            Failure::Unknown => "unknown",
            Failure::Headers => "headers",
            Failure::Request => "request",
            Failure::Truncated => "truncated",
        }
    }
}

/// The longest delay a timer can wait: browsers and Node.js treat a `setTimeout` delay above
/// 2³¹ − 1 ms (about 24.8 days) as 0 or 1, so every delay is capped here.
pub const MAX_DELAY: Duration = Duration::from_millis(MAX_TIMER_MS as u64);

/// [`MAX_DELAY`] in milliseconds.
pub(crate) const MAX_TIMER_MS: u32 = i32::MAX as u32;

/// `duration` in whole milliseconds, capped at [`MAX_DELAY`].
pub(crate) fn timer_ms(duration: Duration) -> u32 {
    u32::try_from(duration.as_millis())
        .unwrap_or(u32::MAX)
        .min(MAX_TIMER_MS)
}

/// `ms` milliseconds as a duration.
pub(crate) fn millis(ms: u32) -> Duration {
    Duration::from_millis(u64::from(ms))
}

/// The reconnection time before the server sets one with `retry:` (what Chromium uses).
pub(crate) const DEFAULT_RETRY_MS: u32 = 3000;

/// What to do after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Reconnect after `delay`; this is retry number `attempt` (from 1).
    Retry {
        /// Retry number, from 1.
        attempt: u32,
        /// How long to wait (whole milliseconds, at most [`MAX_DELAY`]).
        delay: Duration,
    },
    /// Stop: the failure is fatal, or `max_retries` is spent (`attempts` retries were made).
    GiveUp {
        /// Retries made before giving up.
        attempts: u32,
    },
}

/// The state of one source's backoff: consecutive failures and the server's `retry:` value.
#[cfg(feature = "reconnect")]
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: RetryPolicy,
    attempt: u32,
    server_retry_ms: Option<u32>,
}

#[cfg(feature = "reconnect")]
impl Backoff {
    /// The server set its reconnection time (`retry:`): it becomes the base delay.
    pub fn set_server_retry(&mut self, retry: Duration) {
        self.server_retry_ms = Some(timer_ms(retry));
    }

    /// A connection was open for `open_for` before it failed: long enough resets the count.
    pub fn connection_lasted(&mut self, open_for: Duration) {
        if open_for >= self.policy.reset_after {
            self.attempt = 0;
        }
    }

    /// The consecutive failures so far.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// Decides after `failure` with the default classification; `random` is uniform in [0, 1).
    pub fn next(&mut self, failure: &Failure, random: f64) -> Decision {
        self.next_with(failure, failure.is_retryable(), random)
    }

    /// Decides after `failure` when the caller already classified it (a `shouldRetry` hook).
    pub fn next_with(&mut self, failure: &Failure, retryable: bool, random: f64) -> Decision {
        if !retryable {
            return Decision::GiveUp {
                attempts: self.attempt,
            };
        }
        if self
            .policy
            .max_retries
            .is_some_and(|max| self.attempt >= max)
        {
            return Decision::GiveUp {
                attempts: self.attempt,
            };
        }
        let exponent = self.attempt.min(64) as i32;
        self.attempt = self.attempt.saturating_add(1);
        let initial = timer_ms(self.policy.initial_delay);
        let base = f64::from(self.server_retry_ms.unwrap_or(initial));
        let multiplier = if self.policy.multiplier.is_finite() {
            self.policy.multiplier.max(1.0)
        } else {
            1.0
        };
        let max_delay = f64::from(timer_ms(self.policy.max_delay));
        let capped = (base * multiplier.powi(exponent)).min(max_delay);
        let jitter = if self.policy.jitter.is_finite() {
            self.policy.jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let random = if random.is_finite() {
            random.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let mut delay = capped * (1.0 - jitter * random);
        if let Failure::Status {
            retry_after: Some(after),
            ..
        } = failure
        {
            delay = delay.max(f64::from(timer_ms(*after)));
        }
        Decision::Retry {
            attempt: self.attempt,
            delay: millis(delay.round().clamp(0.0, f64::from(MAX_TIMER_MS)) as u32),
        }
    }
}

/// Parses a `Retry-After` header given in seconds.
///
/// Any number of digits is accepted: a value too large for a timer (above [`MAX_DELAY`],
/// about 24.8 days) means "wait the longest a timer can", never "retry at once". For the
/// HTTP-date form, which needs the current time, see [`parse_retry_after_at`].
///
/// ```
/// use std::time::Duration;
/// use eventsource_wasm::{parse_retry_after, MAX_DELAY};
///
/// assert_eq!(parse_retry_after("1"), Some(Duration::from_secs(1)));
/// assert_eq!(parse_retry_after(" 2 "), Some(Duration::from_secs(2)));
/// assert_eq!(parse_retry_after("4294967296"), Some(MAX_DELAY));
/// assert_eq!(parse_retry_after("soon"), None);
/// ```
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    parse_retry_after_ms(value).map(millis)
}

/// [`parse_retry_after`] in milliseconds.
fn parse_retry_after_ms(value: &str) -> Option<u32> {
    let digits = value.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // `delay-seconds = 1*DIGIT` (RFC 9110): more digits than a u64 holds saturate too.
    let seconds = digits.parse::<u64>().unwrap_or(u64::MAX);
    Some(seconds.saturating_mul(1_000).min(u64::from(MAX_TIMER_MS)) as u32)
}

/// Parses a `Retry-After` header in either of its forms (RFC 9110, section 10.2.3): seconds,
/// or an HTTP-date, which is counted from `now_ms` (milliseconds since the Unix epoch, as
/// `Date.now()`). A date in the past means no wait; one further ahead than a timer can wait
/// means the longest wait ([`MAX_DELAY`]). The three date formats HTTP recipients must
/// accept are understood (IMF-fixdate, RFC 850, asctime).
///
/// ```
/// use std::time::Duration;
/// use eventsource_wasm::{parse_retry_after_at, MAX_DELAY};
///
/// let now = 1_445_412_480_000.0; // Wed, 21 Oct 2015 07:28:00 GMT
/// let at = |value| parse_retry_after_at(value, now);
/// assert_eq!(at("Wed, 21 Oct 2015 07:28:30 GMT"), Some(Duration::from_secs(30)));
/// assert_eq!(at("Fri, 31 Dec 9999 23:59:59 GMT"), Some(MAX_DELAY));
/// assert_eq!(at("Tue, 20 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
/// assert_eq!(at("120"), Some(Duration::from_secs(120)));
/// ```
pub fn parse_retry_after_at(value: &str, now_ms: f64) -> Option<Duration> {
    if let Some(ms) = parse_retry_after_ms(value) {
        return Some(millis(ms));
    }
    let date_ms = parse_http_date(value)?;
    let now_ms = if now_ms.is_finite() { now_ms } else { 0.0 };
    Some(millis(
        (date_ms - now_ms).clamp(0.0, f64::from(MAX_TIMER_MS)) as u32,
    ))
}

/// An HTTP-date (IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, RFC 850
/// `Sunday, 06-Nov-94 08:49:37 GMT` or asctime `Sun Nov  6 08:49:37 1994`) in milliseconds
/// since the Unix epoch.
fn parse_http_date(value: &str) -> Option<f64> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let (mut day, mut month, mut year, mut time) = (None, None, None, None);
    for token in value.split([' ', ',', '-']).filter(|t| !t.is_empty()) {
        if token.contains(':') {
            let mut parts = token.split(':').map(|p| {
                (p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| p.parse::<i64>().ok())
                    .flatten()
            });
            let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
            if parts.next().is_some() || h > 23 || m > 59 || s > 60 {
                return None;
            }
            time = Some(h * 3_600 + m * 60 + s);
        } else if token.bytes().all(|b| b.is_ascii_digit()) {
            let n: i64 = token.parse().ok()?;
            match token.len() {
                4 => year = Some(n),
                1 | 2 if day.is_none() => day = Some(n),
                // RFC 850's two-digit year.
                2 => year = Some(if n < 70 { 2000 + n } else { 1900 + n }),
                _ => return None,
            }
        } else if let Some(index) = MONTHS.iter().position(|m| token.eq_ignore_ascii_case(m)) {
            month = Some(index as i64 + 1);
        }
        // Day names and `GMT` are not needed.
    }
    let (day, month, year, time) = (day?, month?, year?, time?);
    if !(1..=31).contains(&day) {
        return None;
    }
    // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + time) as f64 * 1_000.0)
}

#[cfg(all(test, feature = "reconnect"))]
mod tests {
    use super::*;

    /// Milliseconds, as the tests count.
    fn ms(n: u32) -> Duration {
        millis(n)
    }

    fn delays(policy: &RetryPolicy, n: usize, random: f64) -> Vec<u32> {
        let mut backoff = policy.backoff();
        (0..n)
            .map(|_| match backoff.next(&Failure::Network, random) {
                Decision::Retry { delay, .. } => timer_ms(delay),
                Decision::GiveUp { .. } => panic!("gave up"),
            })
            .collect()
    }

    #[test]
    fn exponential_growth_is_capped() {
        let policy = RetryPolicy::new()
            .initial_delay(ms(250))
            .max_delay(ms(3_000))
            .jitter(0.0);
        assert_eq!(
            delays(&policy, 6, 0.7),
            [250, 500, 1_000, 2_000, 3_000, 3_000]
        );
        let tripling = policy.clone().multiplier(3.0);
        assert_eq!(delays(&tripling, 4, 0.0), [250, 750, 2_250, 3_000]);
    }

    #[test]
    fn multiplier_below_one_does_not_shrink() {
        let policy = RetryPolicy::new()
            .initial_delay(ms(100))
            .multiplier(0.5)
            .jitter(0.0);
        assert_eq!(delays(&policy, 3, 0.0), [100, 100, 100]);
        let nan = RetryPolicy::new()
            .initial_delay(ms(100))
            .multiplier(f64::NAN)
            .jitter(0.0);
        assert_eq!(delays(&nan, 2, 0.0), [100, 100]);
    }

    #[test]
    fn full_jitter_stays_within_zero_and_the_cap() {
        let policy = RetryPolicy::new()
            .initial_delay(ms(1_000))
            .max_delay(ms(8_000));
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..1_000 {
            let mut backoff = policy.backoff();
            for attempt in 0..8u32 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let random = (seed >> 11) as f64 / (1u64 << 53) as f64;
                let Decision::Retry { delay, .. } = backoff.next(&Failure::Network, random) else {
                    panic!("gave up")
                };
                let delay_ms = timer_ms(delay);
                let cap = (1_000u32 << attempt).min(8_000);
                assert!(delay_ms <= cap, "{delay_ms} > {cap}");
            }
        }
        // The extremes of the random draw reach both ends.
        assert_eq!(delays(&policy, 1, 0.0), [1_000]);
        assert_eq!(delays(&policy, 1, 0.999_999_9), [0]);
    }

    #[test]
    fn partial_jitter_keeps_a_floor() {
        let policy = RetryPolicy::new().initial_delay(ms(1_000)).jitter(0.25);
        assert_eq!(delays(&policy, 1, 1.0), [750]);
        assert_eq!(delays(&policy, 1, 0.0), [1_000]);
        let silly = RetryPolicy::new().initial_delay(ms(1_000)).jitter(7.0);
        assert_eq!(delays(&silly, 1, 0.5), [500], "jitter is clamped to 1");
    }

    #[test]
    fn the_server_retry_value_is_the_base() {
        let policy = RetryPolicy::new().initial_delay(ms(1_000)).jitter(0.0);
        let mut backoff = policy.backoff();
        backoff.set_server_retry(ms(40));
        let got: Vec<_> = (0..3)
            .map(|_| backoff.next(&Failure::Network, 0.0))
            .collect();
        assert_eq!(
            got,
            [
                Decision::Retry {
                    attempt: 1,
                    delay: ms(40)
                },
                Decision::Retry {
                    attempt: 2,
                    delay: ms(80)
                },
                Decision::Retry {
                    attempt: 3,
                    delay: ms(160)
                },
            ]
        );
    }

    #[test]
    fn max_retries_gives_up() {
        let policy = RetryPolicy::new().max_retries(Some(2)).jitter(0.0);
        let mut backoff = policy.backoff();
        assert!(matches!(
            backoff.next(&Failure::Network, 0.0),
            Decision::Retry { attempt: 1, .. }
        ));
        assert!(matches!(
            backoff.next(&Failure::Network, 0.0),
            Decision::Retry { attempt: 2, .. }
        ));
        assert_eq!(
            backoff.next(&Failure::Network, 0.0),
            Decision::GiveUp { attempts: 2 }
        );
        let never = RetryPolicy::new().max_retries(Some(0));
        assert_eq!(
            never.backoff().next(&Failure::Network, 0.0),
            Decision::GiveUp { attempts: 0 }
        );
    }

    #[test]
    fn a_healthy_connection_resets_the_count() {
        let policy = RetryPolicy::new()
            .initial_delay(ms(100))
            .jitter(0.0)
            .reset_after(ms(5_000));
        let mut backoff = policy.backoff();
        backoff.next(&Failure::Network, 0.0);
        backoff.next(&Failure::Network, 0.0);
        assert_eq!(backoff.attempts(), 2);
        backoff.connection_lasted(ms(4_999));
        assert_eq!(backoff.attempts(), 2, "too short to count as healthy");
        backoff.connection_lasted(ms(5_000));
        assert_eq!(backoff.attempts(), 0);
        assert_eq!(
            backoff.next(&Failure::Network, 0.0),
            Decision::Retry {
                attempt: 1,
                delay: ms(100)
            }
        );
    }

    #[test]
    fn default_classification() {
        let status = |status| Failure::Status {
            status,
            retry_after: None,
        };
        for retryable in [
            Failure::Network,
            Failure::IdleTimeout,
            Failure::Unknown,
            status(500),
            status(502),
            status(503),
            status(599),
            status(408),
            status(429),
        ] {
            assert!(retryable.is_retryable(), "{retryable:?}");
        }
        for fatal in [
            Failure::ContentType,
            status(204),
            status(400),
            status(401),
            status(403),
            status(404),
            status(410),
            status(301),
        ] {
            assert!(!fatal.is_retryable(), "{fatal:?}");
        }
        let mut backoff = RetryPolicy::new().backoff();
        assert_eq!(
            backoff.next(&status(401), 0.0),
            Decision::GiveUp { attempts: 0 }
        );
    }

    #[test]
    fn retry_after_is_honoured_even_above_the_cap() {
        let policy = RetryPolicy::new()
            .initial_delay(ms(100))
            .max_delay(ms(500))
            .jitter(1.0);
        let mut backoff = policy.backoff();
        let failure = Failure::Status {
            status: 503,
            retry_after: Some(ms(1_000)),
        };
        assert_eq!(
            backoff.next(&failure, 0.9),
            Decision::Retry {
                attempt: 1,
                delay: ms(1_000)
            }
        );
        assert_eq!(parse_retry_after("120"), Some(ms(120_000)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn any_huge_retry_after_waits_the_longest_a_timer_can() {
        // 2^32 seconds and more used to be ignored (a reconnect within milliseconds).
        for huge in [
            "2147484",
            "4294967295",
            "4294967296",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999999999999999999999999999",
        ] {
            assert_eq!(parse_retry_after(huge), Some(MAX_DELAY), "{huge}");
        }
        assert_eq!(parse_retry_after("2147483"), Some(ms(2_147_483_000)));
        assert_eq!(parse_retry_after("0"), Some(ms(0)));
        for not_seconds in ["", " ", "-1", "+1", "1.5", "1e9", "0x10", "１"] {
            assert_eq!(parse_retry_after(not_seconds), None, "{not_seconds:?}");
        }
    }

    #[test]
    fn retry_after_dates_count_from_now_and_saturate() {
        let now = 784_111_777_000.0; // Sun, 06 Nov 1994 08:49:37 GMT
        for same in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(parse_retry_after_at(same, now), Some(ms(0)), "{same}");
            assert_eq!(
                parse_retry_after_at(same, now - 90_000.0),
                Some(ms(90_000)),
                "{same}"
            );
        }
        assert_eq!(
            parse_retry_after_at("Thu, 01 Jan 1970 00:00:00 GMT", 0.0),
            Some(ms(0))
        );
        assert_eq!(
            parse_retry_after_at("Sat, 01 Mar 2025 00:00:01 GMT", 1_740_787_200_000.0),
            Some(ms(1_000)),
            "the day after 28 February"
        );
        // Far in the future: the longest a timer can wait, not an overflow to "now".
        for far in [
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "Mon, 01 Jan 2052 00:00:00 GMT",
        ] {
            assert_eq!(parse_retry_after_at(far, now), Some(MAX_DELAY), "{far}");
        }
        for bad in [
            "Sun, 06 Nov 1994",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "soon",
        ] {
            assert_eq!(parse_retry_after_at(bad, now), None, "{bad}");
        }
        assert_eq!(parse_retry_after_at("4294967296", now), Some(MAX_DELAY));
    }

    #[test]
    fn a_should_retry_override_wins() {
        let mut backoff = RetryPolicy::new().jitter(0.0).backoff();
        let unauthorized = Failure::Status {
            status: 401,
            retry_after: None,
        };
        assert!(matches!(
            backoff.next_with(&unauthorized, true, 0.0),
            Decision::Retry { .. }
        ));
        assert_eq!(
            backoff.next_with(&Failure::Network, false, 0.0),
            Decision::GiveUp { attempts: 1 }
        );
    }

    #[test]
    fn delays_never_exceed_what_a_timer_can_wait() {
        // A huge Retry-After or server `retry:` must not overflow setTimeout (which would fire
        // at once and hammer the server).
        let mut backoff = RetryPolicy::new().jitter(0.0).backoff();
        let failure = Failure::Status {
            status: 503,
            retry_after: parse_retry_after("4294967295"),
        };
        assert_eq!(
            backoff.next(&failure, 0.0),
            Decision::Retry {
                attempt: 1,
                delay: MAX_DELAY
            }
        );
        let mut backoff = RetryPolicy::new()
            .max_delay(Duration::MAX)
            .jitter(0.0)
            .backoff();
        backoff.set_server_retry(Duration::MAX);
        assert!(matches!(
            backoff.next(&Failure::Network, 0.0),
            Decision::Retry { delay, .. } if delay == MAX_DELAY
        ));
    }

    #[test]
    fn header_failures_retry_and_request_failures_do_not() {
        assert!(Failure::Headers.is_retryable());
        assert!(!Failure::Request.is_retryable());
        assert_eq!(Failure::Headers.kind(), "headers");
        assert_eq!(Failure::Request.kind(), "request");
    }
}
