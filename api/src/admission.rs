//! How much work the server takes on, and how much of it one caller may
//! hold, so that no caller can take the database pool from the others.
//!
//! * Each caller (a user, an API token, or an anonymous address) has a rate
//!   (a token bucket) and a number of operations it may run at once; past
//!   the rate it is told RATE_LIMITED at once with the seconds to wait, past
//!   its concurrency it waits briefly and is then told the same.
//! * The server runs at most so many operations at once; a flood waits
//!   briefly for a slot and is then refused as busy (UNAVAILABLE) instead
//!   of timing out everybody.
//! * Work that scans (statistics, indicators) takes a permit of its own
//!   from a smaller pool, leaving most connections to page reads; when that
//!   pool stays full the request is refused as busy.
//!
//! The limits hold per replica: each replica protects its own pool.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::caller::Caller;
use crate::error::{ApiError, ApiResult};

/// Who a limit applies to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CallerKey {
    User(i64),
    Token(i64),
    Department(i64),
    /// An anonymous caller, by the address it connects from.
    Address(Option<IpAddr>),
}

impl CallerKey {
    pub fn of(caller: &Caller) -> CallerKey {
        match (caller.token_id, caller.user_id, caller.department_id) {
            (Some(token), _, _) => CallerKey::Token(token),
            (None, Some(user), _) => CallerKey::User(user),
            (None, None, Some(department)) => CallerKey::Department(department),
            (None, None, None) => CallerKey::Address(None),
        }
    }
}

/// The limits, from configuration.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Operations a caller may start per second on average; 0 for no limit.
    pub rate_per_caller: f64,
    /// Operations a caller may start at once after a quiet spell.
    pub burst_per_caller: f64,
    /// Operations one caller may run at once.
    pub concurrent_per_caller: usize,
    /// Operations the server runs at once.
    pub concurrent: usize,
    /// Scanning work (statistics and the like) the server runs at once.
    pub heavy: usize,
    /// How long an operation may wait for a slot before it is refused.
    pub queue_wait: Duration,
}

struct CallerState {
    tokens: f64,
    refilled: Instant,
    running: Arc<Semaphore>,
}

struct Inner {
    limits: Limits,
    callers: Mutex<HashMap<CallerKey, CallerState>>,
    running: Arc<Semaphore>,
    heavy: Arc<Semaphore>,
    waiting: AtomicUsize,
}

/// Shared by every request of a replica.
#[derive(Clone)]
pub struct Admission(Arc<Inner>);

/// Held while an operation runs; dropping it frees its slots.
pub struct Ticket {
    _caller: OwnedSemaphorePermit,
    _server: OwnedSemaphorePermit,
}

/// Callers idle this long are forgotten, so the table cannot grow without
/// bound however many addresses call.
const FORGET_AFTER: Duration = Duration::from_secs(300);
const FORGET_ABOVE: usize = 10_000;

impl Admission {
    pub fn new(limits: Limits) -> Admission {
        Admission(Arc::new(Inner {
            limits,
            callers: Mutex::new(HashMap::new()),
            running: Arc::new(Semaphore::new(limits.concurrent.max(1))),
            heavy: Arc::new(Semaphore::new(limits.heavy.max(1))),
            waiting: AtomicUsize::new(0),
        }))
    }

    pub fn limits(&self) -> Limits {
        self.0.limits
    }

    /// Takes `operations` of the caller's rate, then a slot of the caller's
    /// and one of the server's, waiting at most the configured time for each.
    pub async fn admit(&self, key: &CallerKey, operations: usize) -> ApiResult<Ticket> {
        let own = self.take_rate(key, operations)?;
        let limits = self.0.limits;
        let _waiting = Waiting::count(&self.0.waiting);
        let caller = tokio::time::timeout(limits.queue_wait, own.acquire_owned())
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or_else(|| ApiError::rate_limited(1))?;
        let server =
            tokio::time::timeout(limits.queue_wait, self.0.running.clone().acquire_owned())
                .await
                .ok()
                .and_then(Result::ok)
                .ok_or(ApiError::Busy)?;
        Ok(Ticket {
            _caller: caller,
            _server: server,
        })
    }

    /// Spends `operations` tokens of `key`'s bucket and returns its
    /// concurrency semaphore; RATE_LIMITED with the wait when the bucket
    /// holds too few.
    fn take_rate(&self, key: &CallerKey, operations: usize) -> ApiResult<Arc<Semaphore>> {
        let cost = operations.max(1) as f64;
        let limits = self.0.limits;
        let now = Instant::now();
        let mut callers = match self.0.callers.lock() {
            Ok(callers) => callers,
            Err(poisoned) => poisoned.into_inner(),
        };
        if callers.len() > FORGET_ABOVE {
            callers.retain(|_, state| {
                now.duration_since(state.refilled) < FORGET_AFTER
                    || state.running.available_permits() < limits.concurrent_per_caller.max(1)
            });
        }
        let state = callers.entry(key.clone()).or_insert_with(|| CallerState {
            tokens: limits.burst_per_caller,
            refilled: now,
            running: Arc::new(Semaphore::new(limits.concurrent_per_caller.max(1))),
        });
        if limits.rate_per_caller > 0.0 {
            let elapsed = now.duration_since(state.refilled).as_secs_f64();
            let capacity = limits.burst_per_caller.max(cost);
            state.tokens = (state.tokens + elapsed * limits.rate_per_caller).min(capacity);
            state.refilled = now;
            if state.tokens < cost {
                let wait = ((cost - state.tokens) / limits.rate_per_caller).ceil();
                return Err(ApiError::rate_limited(wait as u64));
            }
            state.tokens -= cost;
        } else {
            state.refilled = now;
        }
        Ok(state.running.clone())
    }

    /// A permit for scanning work; RATE_LIMITED when none frees up in time.
    pub async fn heavy(&self) -> ApiResult<OwnedSemaphorePermit> {
        let _waiting = Waiting::count(&self.0.waiting);
        tokio::time::timeout(
            self.0.limits.queue_wait,
            self.0.heavy.clone().acquire_owned(),
        )
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| ApiError::rate_limited(1))
    }

    /// Operations running now, scanning work running now, and operations
    /// waiting for a slot: for `/metrics`.
    pub fn load(&self) -> (usize, usize, usize) {
        let limits = self.0.limits;
        (
            limits.concurrent.max(1) - self.0.running.available_permits(),
            limits.heavy.max(1) - self.0.heavy.available_permits(),
            self.0.waiting.load(Ordering::Relaxed),
        )
    }
}

/// Counts a wait for as long as it lasts.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn count(counter: &'a AtomicUsize) -> Waiting<'a> {
        counter.fetch_add(1, Ordering::Relaxed);
        Waiting(counter)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            rate_per_caller: 1.0,
            burst_per_caller: 3.0,
            concurrent_per_caller: 2,
            concurrent: 3,
            heavy: 1,
            queue_wait: Duration::from_millis(50),
        }
    }

    #[tokio::test]
    async fn a_caller_past_its_burst_is_told_to_wait() {
        let admission = Admission::new(limits());
        let key = CallerKey::User(1);
        for _ in 0..3 {
            drop(admission.admit(&key, 1).await.expect("within the burst"));
        }
        match admission.admit(&key, 1).await {
            Err(ApiError::RateLimited { retry_after_secs }) => assert_eq!(retry_after_secs, 1),
            _ => panic!("the fourth is refused"),
        }
        // Another caller is not affected.
        assert!(admission.admit(&CallerKey::User(2), 1).await.is_ok());
    }

    #[tokio::test]
    async fn a_caller_runs_at_most_its_share_at_once() {
        let admission = Admission::new(Limits {
            rate_per_caller: 0.0,
            ..limits()
        });
        let key = CallerKey::Token(7);
        let first = admission.admit(&key, 1).await.expect("first");
        let second = admission.admit(&key, 1).await.expect("second");
        assert!(matches!(
            admission.admit(&key, 1).await,
            Err(ApiError::RateLimited { .. })
        ));
        // The server still has a slot for someone else…
        let other = admission
            .admit(&CallerKey::User(3), 1)
            .await
            .expect("another caller");
        // …and then none.
        assert!(matches!(
            admission.admit(&CallerKey::User(4), 1).await,
            Err(ApiError::Busy)
        ));
        assert_eq!(admission.load().0, 3);
        drop((first, second, other));
        assert_eq!(admission.load().0, 0);
    }

    #[tokio::test]
    async fn scanning_work_has_its_own_small_pool() {
        let admission = Admission::new(limits());
        let held = admission.heavy().await.expect("one");
        assert!(admission.heavy().await.is_err());
        drop(held);
        assert!(admission.heavy().await.is_ok());
    }
}
