//! How the sled store keeps one user's quota for one Seoul day: the units spent, and the holds
//! of requests in flight, each with its deadline (see [`QuotaHold`](super::QuotaHold)).
//!
//! One value per user and day, changed in one sled transaction per operation, so a reservation,
//! a release and a keep never interleave. Encoding, big-endian: `spent: u32`, `issued: u32`
//! (holds ever handed out that day, so a hold id is never reused), then per hold
//! `id: u32 ++ deadline: i64` (Unix milliseconds). A store from before holds wrote the 4-byte
//! count alone, which reads as that many spent and no holds. At most `limit` holds are live at
//! once; lapsed ones are dropped whenever the value is written.

use jiff::Timestamp;

use super::{StoreError, StoreResult};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct QuotaDay {
    spent: u32,
    issued: u32,
    holds: Vec<Hold>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Hold {
    id: u32,
    /// Unix milliseconds.
    deadline: i64,
}

/// The 4-byte value of a store written before holds existed.
const SPENT_ONLY: usize = 4;
const HEADER: usize = 8;
const HOLD: usize = 12;

impl QuotaDay {
    /// Reads a stored value; an absent one is a day with nothing spent or held.
    pub(super) fn decode(bytes: Option<&[u8]>) -> StoreResult<Self> {
        let Some(bytes) = bytes else {
            return Ok(Self::default());
        };
        let u32_at = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
        if bytes.len() == SPENT_ONLY {
            return Ok(Self { spent: u32_at(0), issued: 0, holds: Vec::new() });
        }
        if bytes.len() < HEADER || !(bytes.len() - HEADER).is_multiple_of(HOLD) {
            return Err(StoreError::Corrupt(format!("a quota value of {} bytes", bytes.len())));
        }
        let holds = bytes[HEADER..]
            .chunks_exact(HOLD)
            .map(|hold| Hold {
                id: u32::from_be_bytes(hold[..4].try_into().expect("4 bytes")),
                deadline: i64::from_be_bytes(hold[4..].try_into().expect("8 bytes")),
            })
            .collect();
        Ok(Self { spent: u32_at(0), issued: u32_at(4), holds })
    }

    pub(super) fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(HEADER + HOLD * self.holds.len());
        bytes.extend_from_slice(&self.spent.to_be_bytes());
        bytes.extend_from_slice(&self.issued.to_be_bytes());
        for hold in &self.holds {
            bytes.extend_from_slice(&hold.id.to_be_bytes());
            bytes.extend_from_slice(&hold.deadline.to_be_bytes());
        }
        bytes
    }

    /// Units spent, plus those held at `now`.
    pub(super) fn used(&self, now: Timestamp) -> u32 {
        self.spent + self.holds.iter().filter(|hold| hold.is_live(now)).count() as u32
    }

    /// Whether any hold is recorded, lapsed or not.
    pub(super) fn has_holds(&self) -> bool {
        !self.holds.is_empty()
    }

    /// Holds one more unit until `deadline` if fewer than `limit` are used at `now`; the new
    /// hold's id, or `None` when the day is used up. Lapsed holds are dropped either way.
    pub(super) fn hold(&mut self, limit: u32, now: Timestamp, deadline: Timestamp) -> Option<u32> {
        self.holds.retain(|hold| hold.is_live(now));
        if self.used(now) >= limit {
            return None;
        }
        self.issued += 1;
        self.holds.push(Hold { id: self.issued, deadline: deadline.as_millisecond() });
        Some(self.issued)
    }

    /// Gives back hold `id`; false if it is not (or no longer) here.
    pub(super) fn release(&mut self, id: u32) -> bool {
        let before = self.holds.len();
        self.holds.retain(|hold| hold.id != id);
        self.holds.len() != before
    }

    /// Spends hold `id` if it is here and live at `now`; a lapsed one is dropped instead.
    pub(super) fn keep(&mut self, id: u32, now: Timestamp) -> bool {
        let Some(at) = self.holds.iter().position(|hold| hold.id == id) else {
            return false;
        };
        let hold = self.holds.remove(at);
        let live = hold.is_live(now);
        if live {
            self.spent += 1;
        }
        live
    }

    /// Gives back every hold (their process is gone).
    pub(super) fn release_all(&mut self) {
        self.holds.clear();
    }
}

impl Hold {
    fn is_live(self, now: Timestamp) -> bool {
        now.as_millisecond() < self.deadline
    }
}

/// The behaviour of holds is the store contract's (`contract.rs`); this is the encoding.
#[cfg(test)]
mod tests {
    use super::*;

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(1_790_000_000 + second).unwrap()
    }

    #[test]
    fn the_value_round_trips_and_an_old_count_reads_as_spent_units() {
        let mut day = QuotaDay::decode(Some(&3u32.to_be_bytes())).unwrap();
        assert_eq!((day.used(at(0)), day.has_holds()), (3, false));
        day.hold(5, at(0), at(10)).unwrap();
        let encoded = day.encode();
        assert_eq!(encoded.len(), HEADER + HOLD);
        let read = QuotaDay::decode(Some(&encoded)).unwrap();
        assert_eq!(read, day);
        assert_eq!(read.used(at(0)), 4);
        assert!(QuotaDay::decode(Some(&encoded[..encoded.len() - 1])).is_err());
        let mut after_crash = read;
        after_crash.release_all();
        assert_eq!((after_crash.used(at(0)), after_crash.has_holds()), (3, false));
    }
}
