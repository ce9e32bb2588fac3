//! What every handler shares: the catalogue, the store, sessions, the daily quota, the clock, the login
//! throttle, the recommendation provider and sharing. The rules live in their own modules
//! (`auth::sessions`, `quota`); this is only the bundle handed to `api/`.

use std::sync::Arc;
use std::time::Duration;

use fyd_core::catalogue::Catalogue;

use crate::auth::sessions::Sessions;
use crate::auth::throttle::LoginThrottle;
use crate::clock::Clock;
use crate::provider::Provider;
use crate::quota::DailyQuota;
use crate::share::Sharing;
use crate::store::Store;

pub struct AppState {
    /// The catalogue every plan and place lookup uses, for the life of the process.
    pub catalogue: &'static Catalogue,
    pub store: Arc<dyn Store>,
    pub sessions: Sessions,
    pub quota: DailyQuota,
    pub clock: Arc<dyn Clock>,
    pub throttle: LoginThrottle,
    pub provider: Arc<dyn Provider>,
    /// Share links: where they point, and the share-page limit.
    pub sharing: Sharing,
    /// Between keep-alive comments on event streams.
    pub keep_alive: Duration,
}
