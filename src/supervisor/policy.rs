//! What to do after a failed attempt: the retry policy (feature `reconnect`), or else exactly
//! what the browser's `EventSource` does.

use crate::retry::{Decision, DEFAULT_RETRY_MS};
use crate::transport::Ended;
#[cfg(feature = "reconnect")]
use crate::{options::ShouldRetry, retry::Backoff, RetryPolicy};

/// The reconnection rules of one source.
pub(crate) struct Policy {
    /// The browser's reconnection time: [`DEFAULT_RETRY_MS`] until the server sets one.
    retry_ms: u32,
    #[cfg(feature = "reconnect")]
    backoff: Option<Backoff>,
    #[cfg(feature = "reconnect")]
    should_retry: Option<ShouldRetry>,
}

impl Policy {
    /// The browser's behaviour: no policy.
    pub(crate) fn browser() -> Self {
        Policy {
            retry_ms: DEFAULT_RETRY_MS,
            #[cfg(feature = "reconnect")]
            backoff: None,
            #[cfg(feature = "reconnect")]
            should_retry: None,
        }
    }

    /// A retry policy; `should_retry` overrides which failures it retries.
    #[cfg(feature = "reconnect")]
    pub(crate) fn with_retry(
        policy: Option<RetryPolicy>,
        should_retry: Option<ShouldRetry>,
    ) -> Self {
        Policy {
            backoff: policy.as_ref().map(RetryPolicy::backoff),
            should_retry,
            ..Policy::browser()
        }
    }

    /// Whether a retry policy decides (otherwise the browser's behaviour does).
    pub(crate) fn is_managed(&self) -> bool {
        #[cfg(feature = "reconnect")]
        return self.backoff.is_some();
        #[cfg(not(feature = "reconnect"))]
        return false;
    }

    /// The server set the reconnection time (`retry:`).
    #[cfg(feature = "fetch")]
    pub(crate) fn server_retry(&mut self, ms: u32) {
        self.retry_ms = ms;
        #[cfg(feature = "reconnect")]
        if let Some(backoff) = &mut self.backoff {
            backoff.set_server_retry(crate::retry::millis(ms));
        }
    }

    /// Decides after `ended`; also says whether the failure counted as retryable (a policy
    /// that gives up on a retryable failure says so in the message).
    pub(crate) fn decide(&mut self, ended: &Ended) -> (Decision, bool) {
        #[cfg(feature = "reconnect")]
        if let Some(backoff) = &mut self.backoff {
            let failure = &ended.failure;
            let retryable = match &self.should_retry {
                Some(should_retry) => (should_retry.0)(failure),
                None => failure.is_retryable(),
            };
            if let Some(opened_at) = ended.opened_at {
                let open_ms = js_sys::Date::now() - opened_at;
                let open_for = std::time::Duration::try_from_secs_f64(open_ms / 1_000.0);
                backoff.connection_lasted(open_for.unwrap_or_default());
            }
            let decision = backoff.next_with(failure, retryable, js_sys::Math::random());
            return (decision, retryable);
        }
        // No policy: exactly the browser's EventSource.
        let decision = if ended.browser_retries {
            Decision::Retry {
                attempt: 0,
                delay: crate::retry::millis(self.retry_ms),
            }
        } else {
            Decision::GiveUp { attempts: 0 }
        };
        (decision, false)
    }
}
