//! The daily recommendation quota: at most N successful recommendations per user per Seoul
//! calendar day, exact across concurrent requests, restarts and kills.
//!
//! A recommendation [`DailyQuota::reserve`]s one unit before its provider runs and
//! [`DailyQuota::release`]s it if the provider or the save fails, so only successes count.
//! The units live in the [`Store`] (whose `reserve_quota` is atomic), never in this process;
//! what a reservation holds is the store's [`QuotaHold`], handed back as it came.
//!
//! Nothing here speaks HTTP: `api/` turns [`QuotaError`] into a 429 and a [`Standing`] into
//! the `X-RateLimit-*` headers and the `quota` of a user.

use std::num::NonZeroU32;
use std::sync::Arc;

use fyd_core::wire;
use jiff::Timestamp;

use crate::clock::{iso_seoul, next_seoul_midnight, seoul_day};
use crate::store::{QuotaHold, QuotaReservation, Store, StoreError};

pub struct DailyQuota {
    store: Arc<dyn Store>,
    /// `None`: no daily limit.
    per_day: Option<NonZeroU32>,
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

/// One unit taken for a recommendation in progress: kept if it succeeds, otherwise given
/// back with [`DailyQuota::release`].
#[derive(Debug)]
pub struct Reservation {
    /// `None` when there is no limit, so nothing was taken.
    hold: Option<QuotaHold>,
    /// The standing once this recommendation succeeds.
    pub standing: Standing,
}

#[derive(Debug, thiserror::Error)]
pub enum QuotaError {
    #[error("Today's {per_day} recommendations are used up; more from {} (Seoul time).", iso_seoul(*resets_at))]
    Exhausted { per_day: NonZeroU32, resets_at: Timestamp, retry_after_secs: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DailyQuota {
    /// `per_day` successful recommendations per user per Seoul day; 0 means no limit.
    pub fn new(store: Arc<dyn Store>, per_day: u32) -> Self {
        Self { store, per_day: NonZeroU32::new(per_day) }
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
                let used = self.store.quota_used(user, &day_of(now)).await?;
                Some(Allowance { per_day, remaining: per_day.get().saturating_sub(used) })
            }
        };
        Ok(Standing { allowance, resets_at: next_seoul_midnight(now) })
    }

    /// Takes one unit of `user`'s quota for the Seoul day of `now`, or says when more come.
    pub async fn reserve(&self, user: u64, now: Timestamp) -> Result<Reservation, QuotaError> {
        let resets_at = next_seoul_midnight(now);
        let Some(per_day) = self.per_day else {
            return Ok(Reservation { hold: None, standing: Standing { allowance: None, resets_at } });
        };
        match self.store.reserve_quota(user, &day_of(now), per_day.get()).await? {
            QuotaReservation::Granted { hold, remaining } => {
                Ok(Reservation { hold: Some(hold), standing: Standing { allowance: Some(Allowance { per_day, remaining }), resets_at } })
            }
            QuotaReservation::Exhausted => {
                let retry_after_secs = (resets_at.as_second() - now.as_second()).max(1) as u64;
                Err(QuotaError::Exhausted { per_day, resets_at, retry_after_secs })
            }
        }
    }

    /// Gives the unit back (the work it paid for failed) and answers the standing without it.
    /// A store that cannot take it back is logged: the user loses one unit for the day, and
    /// the request still fails with its own error.
    pub async fn release(&self, reservation: Reservation) -> Standing {
        let Reservation { hold, standing } = reservation;
        if let Some(hold) = hold {
            let user = hold.user;
            if let Err(err) = self.store.release_quota(hold).await {
                tracing::error!(error = %err, user, "could not give back a quota unit");
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
