//! The reconnect loop, the same for both transports: an attempt, and after a failed one a
//! decision, its report, and a wait.

use std::rc::{Rc, Weak};

use super::{report, wait, Phase, Supervisor};
use crate::retry::Decision;
use crate::transport::{Ended, Outcome};

/// Runs attempts until the source closes or the policy gives up.
pub(super) async fn run(weak: Weak<Supervisor>) {
    loop {
        if !wait::wait_resumed(&weak).await {
            return;
        }
        let Some((attempt, pauses)) = weak.upgrade().map(|supervisor| {
            supervisor.phase.set(Phase::Attempt);
            (supervisor.transport.attempt(), supervisor.pauses.get())
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
            _ if supervisor.paused.get() || supervisor.pauses.get() != pauses => continue,
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

impl Supervisor {
    /// Decides after a failed attempt; reports it. Returns the wait before the next attempt,
    /// or `None` when the source gave up (and is closed).
    fn after_failure(
        self: &Rc<Self>,
        ended: Ended,
    ) -> Option<impl std::future::Future<Output = bool>> {
        let (decision, retryable) = self.policy.borrow_mut().decide(&ended);
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
                self.phase.set(Phase::GivingUp);
                report::dispatch_failure(self, info, true);
                self.finish_close();
                None
            }
            Decision::Retry { attempt, delay_ms } => {
                let reason = info.message.clone();
                let status = info.status;
                // The timer is set before the events, so a listener can cut it short.
                let wait = wait::sleep(&Rc::downgrade(self), delay_ms);
                report::dispatch_failure(self, info, false);
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
