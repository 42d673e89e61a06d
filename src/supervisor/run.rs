//! The reconnect loop, the same for both transports: an attempt, and after a failed one a
//! decision, its report, and a wait.

use std::rc::{Rc, Weak};

use super::{report, wait, Phase, Supervisor};
use crate::retry::{Decision, Failure};
use crate::state::LastError;
use crate::transport::{Ended, ErrorInfo, Outcome};

/// Runs attempts until the source closes or the policy gives up.
pub(super) async fn run(weak: Weak<Supervisor>) {
    loop {
        // Without `reconnect` nothing pauses the connection.
        #[cfg(feature = "reconnect")]
        if !wait::wait_resumed(&weak).await {
            return;
        }
        let supervisor = weak.upgrade().filter(|supervisor| !supervisor.is_closed());
        let Some((attempt, pauses)) = supervisor.map(|supervisor| {
            supervisor.phase.set(Phase::Attempt);
            (supervisor.transport.attempt(), supervisor.pause_count())
        }) else {
            return;
        };
        let outcome = supervise(&weak, attempt).await;
        let Some(supervisor) = weak.upgrade() else {
            return;
        };
        if supervisor.is_closed() {
            return;
        }
        supervisor.phase.set(Phase::Between);
        let ended = match outcome {
            Outcome::Stopped => return,
            // Hidden page, or a pause and resume (back/forward cache) while the attempt ran:
            // no error, no backoff; reconnect from the last ID once visible.
            Outcome::Interrupted => continue,
            _ if supervisor.is_paused() || supervisor.pause_count() != pauses => continue,
            Outcome::Ended(ended) => ended,
        };
        let Some(wait) = supervisor.after_failure(ended) else {
            return;
        };
        drop(supervisor);
        if !wait.await {
            return;
        }
    }
}

/// An attempt, under the idle timeout if one is set.
async fn supervise(
    weak: &Weak<Supervisor>,
    attempt: impl std::future::Future<Output = Outcome>,
) -> Outcome {
    #[cfg(feature = "fetch")]
    return super::idle::watch(weak, attempt).await;
    #[cfg(not(feature = "fetch"))]
    {
        let _ = weak;
        attempt.await
    }
}

/// The state's summary of a failure.
fn last_error(failure: &Failure, info: &ErrorInfo, fatal: bool) -> LastError {
    LastError {
        kind: if *failure == Failure::Truncated {
            "truncated"
        } else {
            "connection"
        },
        message: info.message.clone(),
        status: info.status,
        fatal,
    }
}

impl Supervisor {
    /// Decides after a failed attempt; reports it. Returns the wait before the next attempt,
    /// or `None` when the source gave up (and is closed).
    fn after_failure(
        self: &Rc<Self>,
        ended: Ended,
    ) -> Option<impl std::future::Future<Output = bool>> {
        let mut ended = ended;
        // With `close_on`, a stream that opened and then ended or broke was cut short.
        if self.close_on.is_some() && ended.failure == Failure::Network && ended.opened_at.is_some()
        {
            ended.failure = Failure::Truncated;
        }
        let (decision, retryable) = if ended.repeatable {
            self.policy.borrow_mut().decide(&ended)
        } else {
            (Decision::GiveUp { attempts: 0 }, false)
        };
        let managed = self.policy.borrow().is_managed();
        let Ended { failure, info, .. } = ended;
        match decision {
            Decision::GiveUp { attempts } => {
                let mut info = info;
                if managed && retryable {
                    info.message.push_str(" (the retry policy gave up after ");
                    info.message.push_str(&attempts.to_string());
                    info.message.push_str(" retries)");
                }
                self.phase.set(Phase::Ending);
                // The events that arrived before the end reach batch listeners before it.
                self.batches.flush_all();
                let message = info.message.clone();
                let error = last_error(&failure, &info, true);
                self.state.failed(error, self.state.attempt.get(), None);
                self.state.changed();
                report::dispatch_failure(self, &failure, info, true);
                if !self.is_closed() {
                    report::dispatch_close(self, "error", &message);
                }
                self.finish_close();
                None
            }
            Decision::Retry { attempt, delay } => {
                let delay_ms = crate::retry::timer_ms(delay);
                let reason = info.message.clone();
                let status = info.status;
                // The timer is set before the events, so a listener can cut it short.
                let wait = wait::sleep(&Rc::downgrade(self), delay_ms);
                // Without a policy, the attempts are counted here.
                let attempt = if managed {
                    attempt
                } else {
                    self.state.attempt.get().saturating_add(1)
                };
                let retry_at = js_sys::Date::now() + f64::from(delay_ms);
                let error = last_error(&failure, &info, false);
                self.state.failed(error, attempt, Some(retry_at));
                self.state.changed();
                report::dispatch_failure(self, &failure, info, false);
                if managed && !self.is_closed() {
                    report::dispatch_reconnecting(
                        self, attempt, delay_ms, &failure, &reason, status,
                    );
                }
                Some(wait)
            }
        }
    }
}
