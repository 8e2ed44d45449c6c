//! The throttle on failed sign-ins, per account and per client address (an IPv6 address counts
//! by its /64, which one client usually holds whole). After [`ThrottleLimits::failures_max`]
//! failures within [`ThrottleLimits::window`], the account or address is locked for
//! [`ThrottleLimits::lockout`]: every sign-in under it is refused with 429 and `Retry-After`, a
//! correct password too. A success clears the account's count, never the address's (else one
//! account of one's own would reset the count for guessing at others).
//!
//! Held in memory, bounded: past [`ThrottleLimits::keys_max`] counts, those that no longer matter
//! are dropped; if all still do, sign-ins are refused until some do not (it fails closed).

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

#[derive(Clone, Copy, Debug)]
pub struct ThrottleLimits {
    pub failures_max: u32,
    pub window: Duration,
    pub lockout: Duration,
    pub keys_max: usize,
}

impl Default for ThrottleLimits {
    fn default() -> ThrottleLimits {
        ThrottleLimits {
            failures_max: 5,
            window: Duration::minutes(15),
            lockout: Duration::minutes(15),
            keys_max: 100_000,
        }
    }
}

/// What a throttle keys on.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    Account(String),
    Address(String),
}

impl Key {
    /// The address's key: an IPv4 address as it is, an IPv6 address by its /64.
    pub fn address(ip: Option<IpAddr>) -> Key {
        Key::Address(match ip.map(|ip| ip.to_canonical()) {
            None => "ingen adress".into(),
            Some(IpAddr::V4(v4)) => v4.to_string(),
            Some(IpAddr::V6(v6)) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        })
    }
}

#[derive(Clone, Copy, Debug)]
struct Count {
    failures: u32,
    since: DateTime<Utc>,
    locked_until: Option<DateTime<Utc>>,
}

/// Why a sign-in may not be tried now.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// Locked until then.
    Locked(DateTime<Utc>),
    /// The throttle holds as many counts as it may, all still in force.
    Full,
}

pub struct Throttle {
    counts: Mutex<HashMap<Key, Count>>,
    limits: Mutex<ThrottleLimits>,
}

impl Throttle {
    pub fn new(limits: ThrottleLimits) -> Throttle {
        Throttle {
            counts: Mutex::new(HashMap::new()),
            limits: Mutex::new(limits),
        }
    }

    pub fn set_limits(&self, limits: ThrottleLimits) {
        *super::lock(&self.limits) = limits;
    }

    fn limits(&self) -> ThrottleLimits {
        *super::lock(&self.limits)
    }

    /// Whether a sign-in under these keys may be tried at `now`; the latest lock if not.
    pub fn check(&self, keys: &[Key], now: DateTime<Utc>) -> Result<(), Refused> {
        let l = self.limits();
        let mut counts = super::lock(&self.counts);
        if counts.len() >= l.keys_max {
            counts
                .retain(|_, c| c.locked_until.is_some_and(|t| t > now) || now - c.since < l.window);
        }
        let until = keys
            .iter()
            .filter_map(|k| counts.get(k)?.locked_until)
            .filter(|t| *t > now)
            .max();
        match until {
            Some(t) => Err(Refused::Locked(t)),
            None if counts.len() >= l.keys_max => Err(Refused::Full),
            None => Ok(()),
        }
    }

    /// Counts a failure under each key; the keys whose lockout it begins.
    pub fn failed(&self, keys: &[Key], now: DateTime<Utc>) -> Result<Vec<Key>, Refused> {
        let l = self.limits();
        let mut counts = super::lock(&self.counts);
        if counts.len() + keys.len() > l.keys_max {
            counts
                .retain(|_, c| c.locked_until.is_some_and(|t| t > now) || now - c.since < l.window);
            if counts.len() + keys.len() > l.keys_max {
                return Err(Refused::Full);
            }
        }
        let mut locked = Vec::new();
        for k in keys {
            let c = counts.entry(k.clone()).or_insert(Count {
                failures: 0,
                since: now,
                locked_until: None,
            });
            if now - c.since >= l.window {
                *c = Count {
                    failures: 0,
                    since: now,
                    locked_until: c.locked_until,
                };
            }
            c.failures += 1;
            if c.failures >= l.failures_max {
                c.locked_until = Some(now + l.lockout);
                c.failures = 0;
                c.since = now;
                locked.push(k.clone());
            }
        }
        Ok(locked)
    }

    /// A sign-in succeeded: the account's failures are forgotten.
    pub fn succeeded(&self, account: &Key) {
        super::lock(&self.counts).remove(account);
    }
}

/// Whole seconds until `until`, at least 1: the `Retry-After` value.
pub fn retry_after(until: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let ms = (until - now).num_milliseconds();
    ((ms + 999) / 1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-02T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + Duration::seconds(s)
    }

    #[test]
    fn five_failures_lock_the_account_and_the_address_for_the_lockout() {
        let th = Throttle::new(ThrottleLimits::default());
        let anna = Key::Account("anna".into());
        let here = Key::address(Some("192.0.2.7".parse().unwrap()));
        let keys = [anna.clone(), here.clone()];
        for i in 0..4 {
            assert_eq!(th.check(&keys, t(i)), Ok(()));
            assert!(th.failed(&keys, t(i)).unwrap().is_empty());
        }
        assert_eq!(th.failed(&keys, t(4)).unwrap(), keys.to_vec());
        let until = t(4) + Duration::minutes(15);
        assert_eq!(th.check(&keys, t(5)), Err(Refused::Locked(until)));
        // Another account from the same address is locked too; the same account from elsewhere too.
        let elsewhere = Key::address(Some("198.51.100.1".parse().unwrap()));
        assert!(th
            .check(&[Key::Account("bo".into()), here.clone()], t(5))
            .is_err());
        assert!(th.check(&[anna.clone(), elsewhere.clone()], t(5)).is_err());
        assert_eq!(th.check(&[anna.clone(), elsewhere], until), Ok(()));
        assert_eq!(retry_after(until, t(5)), 899);
        // A success clears the account's count, not the address's.
        th.succeeded(&anna);
        assert_eq!(th.check(&[anna], t(6)), Ok(()));
        assert!(th.check(&[here], t(6)).is_err());
    }

    #[test]
    fn failures_outside_the_window_do_not_add_up_and_ipv6_counts_by_its_64() {
        let th = Throttle::new(ThrottleLimits::default());
        let k = [Key::Account("anna".into())];
        for i in 0..20 {
            th.failed(&k, t(i * 240)).unwrap();
            assert_eq!(th.check(&k, t(i * 240)), Ok(()), "{i}");
        }
        let a = Key::address(Some("2001:db8:1:2:aaaa::1".parse().unwrap()));
        let b = Key::address(Some("2001:db8:1:2:bbbb::9".parse().unwrap()));
        assert_eq!(a, b);
        assert_eq!(a, Key::Address("2001:db8:1:2::/64".into()));
        let mapped = Key::address(Some("::ffff:192.0.2.7".parse().unwrap()));
        assert_eq!(mapped, Key::Address("192.0.2.7".into()));
    }

    #[test]
    fn a_full_throttle_refuses_rather_than_forgets() {
        let th = Throttle::new(ThrottleLimits {
            keys_max: 2,
            ..ThrottleLimits::default()
        });
        th.failed(&[Key::Account("a".into()), Key::Account("b".into())], t(0))
            .unwrap();
        assert_eq!(
            th.failed(&[Key::Account("c".into())], t(1)),
            Err(Refused::Full)
        );
        assert_eq!(
            th.check(&[Key::Account("c".into())], t(1)),
            Err(Refused::Full)
        );
        // Once the window has passed, old counts make room.
        assert!(th.failed(&[Key::Account("c".into())], t(901)).is_ok());
    }
}
