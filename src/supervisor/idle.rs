//! The idle timeout (fetch transport): an attempt fails when nothing arrives for that long,
//! counted from the request, then from the response and each chunk of its body.

use std::cell::Cell;
use std::future::Future;
use std::rc::Weak;

use super::Supervisor;
use crate::retry::{Failure, MAX_TIMER_MS};
use crate::timer::{first_of, Next, Timer};
use crate::transport::{Ended, ErrorInfo, Outcome, Transport};

/// The idle timeout of one source.
pub(super) struct Idle {
    timeout_ms: Option<u32>,
    /// When the transport last reported progress in this attempt (`None`: not yet sent).
    last: Cell<Option<f64>>,
}

impl Idle {
    pub(super) fn new(timeout_ms: Option<u32>) -> Self {
        Idle {
            timeout_ms,
            last: Cell::new(None),
        }
    }

    pub(super) fn progress(&self) {
        if self.timeout_ms.is_some() {
            self.last.set(Some(js_sys::Date::now()));
        }
    }
}

/// Runs `attempt`; if the idle timeout passes first, ends it through the transport.
pub(super) async fn watch(
    weak: &Weak<Supervisor>,
    attempt: impl Future<Output = Outcome>,
) -> Outcome {
    let timeout_ms = weak.upgrade().and_then(|supervisor| {
        supervisor.idle.last.set(None);
        supervisor.idle.timeout_ms
    });
    let Some(timeout_ms) = timeout_ms else {
        return attempt.await;
    };
    let mut attempt = std::pin::pin!(attempt);
    let mut timer = Timer::new(timeout_ms);
    loop {
        match first_of(&mut attempt, Some(&mut timer)).await {
            Next::Value(outcome) => return outcome,
            Next::Timer => {}
        }
        let Some(supervisor) = weak.upgrade() else {
            return Outcome::Stopped;
        };
        // Not sent yet (an async headers function runs): the timeout has not started.
        let quiet = supervisor
            .idle
            .last
            .get()
            .map_or(0.0, |last| js_sys::Date::now() - last);
        if quiet >= f64::from(timeout_ms) {
            return timed_out(&supervisor.transport, timeout_ms);
        }
        timer = Timer::new((f64::from(timeout_ms) - quiet).ceil() as u32);
    }
}

fn timed_out(transport: &Transport, timeout_ms: u32) -> Outcome {
    let opened_at = transport.time_out();
    let mut message = "nothing arrived for ".to_owned();
    message.push_str(&timeout_ms.min(MAX_TIMER_MS).to_string());
    message.push_str(" ms (idle timeout)");
    Outcome::Ended(Ended {
        failure: Failure::IdleTimeout,
        info: ErrorInfo::message(message),
        opened_at,
        browser_retries: true,
        repeatable: true,
    })
}
