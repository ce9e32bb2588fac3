//! The daily recommendation quota: at most N successful recommendations per user per Seoul
//! calendar day, exact across concurrent requests, restarts and kills.
//!
//! A recommendation [`DailyQuota::reserve`]s one unit before its provider runs, then
//! [`DailyQuota::keep`]s it when the course is ready (saving the course in the same atomic
//! write) or [`DailyQuota::release`]s it if the provider failed, so only successes count.
//! The units live in the [`Store`], never in this process: a reservation is the store's
//! [`QuotaHold`], a record with a deadline, the request's own deadline (the provider's) plus
//! [`HOLD_MARGIN`]. A request that never finishes (the process killed, the task dropped) cannot
//! keep its unit: the hold counts for nothing from its deadline on, and a store open in one
//! process only (sled) gives back every hold when it opens after a crash. A request that
//! finishes after its hold lapsed spends nothing and fails with [`QuotaError::Lapsed`].
//!
//! Nothing here speaks HTTP: `api/` turns [`QuotaError`] into a 429 (used up) or a 504
//! (lapsed), and a [`Standing`] into the `X-RateLimit-*` headers and the `quota` of a user.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use fyd_core::course::Course;
use fyd_core::wire;
use jiff::{SignedDuration, Timestamp};

use crate::clock::{iso_seoul, next_seoul_midnight, seoul_day};
use crate::store::{KeptQuota, NewCourse, QuotaHold, QuotaReservation, Store, StoreError};

/// How long a hold outlives its request's deadline: time to save the course and answer.
pub const HOLD_MARGIN: SignedDuration = SignedDuration::from_secs(30);

pub struct DailyQuota {
    store: Arc<dyn Store>,
    /// `None`: no daily limit.
    per_day: Option<NonZeroU32>,
    /// From a reservation to its hold's deadline.
    hold_for: SignedDuration,
}

/// Where a user stands today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// `None` when no daily limit is configured.
    pub allowance: Option<Allowance>,
    /// The next midnight in Seoul, when a new day's units begin.
    pub resets_at: Timestamp,
}

/// A daily limit and what is left of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    pub per_day: NonZeroU32,
    pub remaining: u32,
}

/// One unit held for a recommendation in progress: spent with [`DailyQuota::keep`] if it
/// succeeds, otherwise given back with [`DailyQuota::release`] (or lapsed at its deadline).
#[derive(Debug)]
pub struct Reservation {
    user: u64,
    /// `None` when there is no limit, so nothing was held.
    hold: Option<QuotaHold>,
    /// The standing once this recommendation succeeds.
    pub standing: Standing,
}

#[derive(Debug, thiserror::Error)]
pub enum QuotaError {
    #[error("Today's {per_day} recommendations are used up; more from {} (Seoul time).", iso_seoul(*resets_at))]
    Exhausted { per_day: NonZeroU32, resets_at: Timestamp, retry_after_secs: u64 },
    /// The request outlived its hold's deadline: the unit was already given back, and nothing
    /// was spent or saved.
    #[error("The recommendation took longer than its deadline; nothing was charged or saved. Please try again.")]
    Lapsed,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DailyQuota {
    /// `per_day` successful recommendations per user per Seoul day (0 means no limit), for
    /// requests that finish within `request_deadline`.
    pub fn new(store: Arc<dyn Store>, per_day: u32, request_deadline: Duration) -> Self {
        let request_deadline = SignedDuration::try_from(request_deadline).unwrap_or(SignedDuration::MAX);
        Self { store, per_day: NonZeroU32::new(per_day), hold_for: request_deadline.saturating_add(HOLD_MARGIN) }
    }

    /// The daily limit, if there is one.
    pub fn per_day(&self) -> Option<NonZeroU32> {
        self.per_day
    }

    /// What `user` has left on the Seoul day of `now`.
    pub async fn standing(&self, user: u64, now: Timestamp) -> Result<Standing, StoreError> {
        let allowance = match self.per_day {
            None => None,
            Some(per_day) => {
                let used = self.store.quota_used(user, &day_of(now), now).await?;
                Some(Allowance { per_day, remaining: per_day.get().saturating_sub(used) })
            }
        };
        Ok(Standing { allowance, resets_at: next_seoul_midnight(now) })
    }

    /// Holds one unit of `user`'s quota for the Seoul day of `now`, or says when more come.
    pub async fn reserve(&self, user: u64, now: Timestamp) -> Result<Reservation, QuotaError> {
        let resets_at = next_seoul_midnight(now);
        let Some(per_day) = self.per_day else {
            return Ok(Reservation { user, hold: None, standing: Standing { allowance: None, resets_at } });
        };
        let deadline = now.checked_add(self.hold_for).unwrap_or(Timestamp::MAX);
        match self.store.reserve_quota(user, &day_of(now), per_day.get(), now, deadline).await? {
            QuotaReservation::Granted { hold, remaining } => Ok(Reservation {
                user,
                hold: Some(hold),
                standing: Standing { allowance: Some(Allowance { per_day, remaining }), resets_at },
            }),
            QuotaReservation::Exhausted => {
                let retry_after_secs = (resets_at.as_second() - now.as_second()).max(1) as u64;
                Err(QuotaError::Exhausted { per_day, resets_at, retry_after_secs })
            }
        }
    }

    /// The recommendation succeeded at `now`: spends the unit and, with `course`, saves the
    /// course in the same atomic write (so a crash leaves both or neither). Fails with
    /// [`QuotaError::Lapsed`] if the hold's deadline passed first: nothing is spent or saved.
    pub async fn keep(&self, reservation: &Reservation, now: Timestamp, course: Option<NewCourse>) -> Result<Option<Course>, QuotaError> {
        match &reservation.hold {
            Some(hold) => match self.store.keep_quota(hold, now, course).await? {
                KeptQuota::Kept(course) => Ok(course.map(|course| *course)),
                KeptQuota::Lapsed => Err(QuotaError::Lapsed),
            },
            None => match course {
                Some(NewCourse { created_at, content }) => Ok(Some(self.store.create_course(reservation.user, created_at, content).await?)),
                None => Ok(None),
            },
        }
    }

    /// Gives the unit back (the work it paid for failed) and answers the standing without it.
    /// A store that cannot take it back is logged: the unit lapses at its hold's deadline,
    /// and the request still fails with its own error.
    pub async fn release(&self, reservation: Reservation) -> Standing {
        let Reservation { user, hold, standing } = reservation;
        if let Some(hold) = hold {
            if let Err(err) = self.store.release_quota(&hold).await {
                tracing::error!(error = %err, user, "could not give back a quota unit; it lapses at its deadline");
            }
        }
        Standing { allowance: standing.allowance.map(|a| Allowance { remaining: a.remaining + 1, ..a }), ..standing }
    }
}

/// On the wire a limit of 0 means none, as the settings say.
impl From<Standing> for wire::Quota {
    fn from(standing: Standing) -> Self {
        wire::Quota {
            limit: standing.allowance.map_or(0, |a| a.per_day.get()),
            remaining: standing.allowance.map(|a| a.remaining),
            resets_at: iso_seoul(standing.resets_at),
        }
    }
}

/// Quota counters are kept per Seoul calendar day.
fn day_of(now: Timestamp) -> String {
    seoul_day(now).to_string()
}
