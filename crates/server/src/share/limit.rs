//! The per-IP limit on share-page requests (`/s/…`): GCRA through governor, `per_minute`
//! requests a minute with bursts of as many, per client address. Share pages need no login, so
//! this is what stands between them and someone walking token space or scraping.
//!
//! The client is the TCP peer, or — when the peer is one of `--trusted-proxy` — the address
//! the proxy reports in `X-Forwarded-For` (the rightmost one that is not itself a trusted
//! proxy). IPv6 clients are counted per /64, the block one subscriber usually holds.
//!
//! Kept in memory per process, like the login throttle; clients whose allowance is full again
//! are forgotten when [`PruneSchedule`] says the map is due.

use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::prune::PruneSchedule;

pub struct PageLimit {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    trusted_proxies: Vec<IpAddr>,
    pruning: PruneSchedule,
}

impl PageLimit {
    /// `None` for a limit of 0 (no limit).
    pub fn new(per_minute: u32, trusted_proxies: Vec<IpAddr>) -> Option<Self> {
        let per_minute = NonZeroU32::new(per_minute)?;
        Some(Self { limiter: RateLimiter::keyed(Quota::per_minute(per_minute)), trusted_proxies, pruning: PruneSchedule::default() })
    }

    /// `Err(seconds to wait)` when the client of a request from `peer` with the proxy header
    /// `forwarded_for` has used its allowance.
    pub fn check(&self, peer: Option<IpAddr>, forwarded_for: Option<&str>) -> Result<(), u64> {
        let Some(client) = peer.map(|peer| self.client(peer, forwarded_for)) else {
            return Ok(());
        };
        self.pruning.maybe_prune(self.limiter.len(), || {
            self.limiter.retain_recent();
            self.limiter.len()
        });
        self.limiter.check_key(&client).map_err(|not_until| {
            let wait: Duration = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs().max(1)
        })
    }

    /// Who a request is counted against.
    fn client(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        let mut client = peer;
        if self.trusted_proxies.contains(&peer) {
            let hops = forwarded_for.unwrap_or_default().rsplit(',').map(|hop| hop.trim().parse::<IpAddr>());
            for hop in hops {
                match hop {
                    Ok(ip) if self.trusted_proxies.contains(&ip) => continue,
                    Ok(ip) => client = ip,
                    Err(_) => {}
                }
                break;
            }
        }
        per_subscriber(client.to_canonical())
    }
}

/// IPv6 addresses cut to their /64.
fn per_subscriber(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_client_is_the_peer_unless_a_trusted_proxy_names_another() {
        let limit = PageLimit::new(1, vec![ip("10.0.0.1"), ip("10.0.0.2")]).unwrap();
        assert_eq!(limit.client(ip("203.0.113.7"), Some("198.51.100.1")), ip("203.0.113.7"), "an untrusted peer's header is ignored");
        assert_eq!(limit.client(ip("10.0.0.1"), Some("6.6.6.6, 198.51.100.1, 10.0.0.2")), ip("198.51.100.1"));
        assert_eq!(limit.client(ip("10.0.0.1"), None), ip("10.0.0.1"));
        assert_eq!(limit.client(ip("10.0.0.1"), Some("garbage")), ip("10.0.0.1"));
        assert_eq!(limit.client(ip("2001:db8:1:2:3:4:5:6"), None), ip("2001:db8:1:2::"));
        assert_eq!(limit.client(ip("::ffff:192.0.2.1"), None), ip("192.0.2.1"));
    }

    #[test]
    fn a_client_past_its_allowance_waits_and_others_do_not() {
        let limit = PageLimit::new(2, vec![]).unwrap();
        let (a, b) = (Some(ip("192.0.2.1")), Some(ip("192.0.2.2")));
        assert!(limit.check(a, None).is_ok() && limit.check(a, None).is_ok());
        let wait = limit.check(a, None).unwrap_err();
        assert!((1..=30).contains(&wait), "{wait}");
        assert!(limit.check(b, None).is_ok());
        assert!(PageLimit::new(0, vec![]).is_none());
    }
}
