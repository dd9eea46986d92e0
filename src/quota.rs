//! Quota budgets: what each platform allows per window, spent from a ledger in SQLite
//! so a restart never forgets what was used. Request pacing is governor's, in
//! `platform::http`; this module decides whether a request may be sent at all.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::platform::Platform;
use futures::future::BoxFuture;

use crate::platform::http::{Grant, Meter, Purpose};
use crate::store::{Store, Writer};
use crate::time::Clock;

/// The window a quota is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// YouTube: midnight to midnight Pacific time (platform-apis.md §4).
    PacificDay,
    /// TikTok: midnight to midnight UTC (§3.4).
    UtcDay,
    /// Graph: calls in the clock hour (a conservative stand-in for the rolling hour).
    Hour,
}

impl Window {
    /// Start of the window that holds `t`, in Unix seconds.
    pub fn start(self, t: Timestamp) -> i64 {
        let day_start = |tz: TimeZone| {
            t.to_zoned(tz)
                .start_of_day()
                .map_or(t.as_second(), |z| z.timestamp().as_second())
        };
        match self {
            Window::PacificDay => {
                day_start(TimeZone::get("America/Los_Angeles").unwrap_or(TimeZone::UTC))
            }
            Window::UtcDay => day_start(TimeZone::UTC),
            Window::Hour => t.as_second() - t.as_second().rem_euclid(3600),
        }
    }

    /// Start of the next window after the one that holds `t`, in Unix seconds.
    pub fn end(self, t: Timestamp) -> i64 {
        let next_day = |tz: TimeZone| {
            t.to_zoned(tz)
                .tomorrow()
                .and_then(|z| z.start_of_day())
                .map_or(t.as_second() + 86_400, |z| z.timestamp().as_second())
        };
        match self {
            Window::PacificDay => {
                next_day(TimeZone::get("America/Los_Angeles").unwrap_or(TimeZone::UTC))
            }
            Window::UtcDay => next_day(TimeZone::UTC),
            Window::Hour => self.start(t) + 3600,
        }
    }
}

/// One platform's budget.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub bucket: &'static str,
    pub window: Window,
    pub limit: u64,
    /// Platforms counted together (Instagram and Facebook share Graph's app limit).
    pub shared_with: Option<Platform>,
}

impl Limit {
    /// The budget of a platform with its configured quota.
    pub fn for_platform(platform: Platform, quota: u64) -> Limit {
        match platform {
            Platform::Youtube => Limit {
                bucket: "units",
                window: Window::PacificDay,
                limit: quota,
                shared_with: None,
            },
            Platform::Tiktok => Limit {
                bucket: "requests",
                window: Window::UtcDay,
                limit: quota,
                shared_with: None,
            },
            Platform::Instagram => Limit {
                bucket: "graph_calls",
                window: Window::Hour,
                limit: quota,
                shared_with: Some(Platform::Facebook),
            },
            Platform::Facebook => Limit {
                bucket: "graph_calls",
                window: Window::Hour,
                limit: quota,
                shared_with: Some(Platform::Instagram),
            },
        }
    }
}

/// The budget of every enabled platform, from the config.
pub fn limits(config: &crate::config::Config) -> HashMap<Platform, Limit> {
    config
        .platforms
        .iter()
        .map(|p| (p.platform, Limit::for_platform(p.platform, p.quota)))
        .collect()
}

/// Usage reported by Graph headers above which jempol slows down, and stops for the
/// rest of the cycle (platform-apis.md §1.4: slow down well before 100).
const SLOW_DOWN_AT: u32 = 75;
const STOP_AT: u32 = 90;

/// The share of each budget that only refreshes of tracked posts may spend: discovery
/// and account reads stop where it begins, page by page.
pub const REFRESH_RESERVE: f64 = 0.2;

/// Units written to the ledger ahead of spending them, so that not every request
/// costs a database commit. The ledger thus never shows less than was spent: a crash
/// loses at most one unspent reservation, and never lets jempol overspend. 20 units, or
/// a 500th of a large budget (at most 0.2 % of it lost to a crash): with limits raised
/// high, a ledger write every 20 requests queued every request behind the store's
/// transactions.
fn reserve_chunk(limit: u64) -> u64 {
    (limit / 500).clamp(20, 10_000)
}

/// Reserved but not yet spent units of one platform in one window.
#[derive(Debug, Clone, Copy, Default)]
struct Reservation {
    window_start: i64,
    left: u64,
}

/// The budgets of all enabled platforms.
pub struct Budgets {
    writer: Writer,
    clock: Arc<dyn Clock>,
    limits: HashMap<Platform, Limit>,
    usage: Mutex<HashMap<Platform, u32>>,
    /// Held while a reservation is written, so that one platform's requests never
    /// write two at once.
    reserved: tokio::sync::Mutex<HashMap<Platform, Reservation>>,
}

/// What a platform has used and may still use in the current window.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Usage {
    pub used: u64,
    pub limit: u64,
    pub window_start: i64,
}

/// What `platform` has used (as written in the ledger, reservations included) and may
/// use at `now` under `limit`, counting the platform that shares its budget.
pub fn usage(store: &Store, platform: Platform, limit: &Limit, now: Timestamp) -> Usage {
    let window_start = limit.window.start(now);
    let mut used = store
        .quota_used(platform, limit.bucket, window_start)
        .unwrap_or(0);
    if let Some(other) = limit.shared_with {
        used += store
            .quota_used(other, limit.bucket, window_start)
            .unwrap_or(0);
    }
    Usage {
        used,
        limit: limit.limit,
        window_start,
    }
}

impl Budgets {
    /// Budgets whose ledger `writer` keeps.
    pub fn new(writer: Writer, clock: Arc<dyn Clock>, limits: HashMap<Platform, Limit>) -> Budgets {
        Budgets {
            writer,
            clock,
            limits,
            usage: Mutex::new(HashMap::new()),
            reserved: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    /// When `platform`'s budget is whole again (the next window starts).
    pub fn renewed_at(&self, platform: Platform) -> Option<Timestamp> {
        let limit = self.limits.get(&platform)?;
        Timestamp::from_second(limit.window.end(self.clock.now())).ok()
    }

    /// Forgets the Graph usage figures at the start of a cycle: the next response
    /// reports them again.
    pub fn new_cycle(&self, platform: Platform) {
        self.usage
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&platform);
    }

    fn reported(&self, platform: Platform) -> u32 {
        let usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        let mine = usage.get(&platform).copied().unwrap_or(0);
        let shared = self
            .limits
            .get(&platform)
            .and_then(|l| l.shared_with)
            .and_then(|o| usage.get(&o).copied())
            .unwrap_or(0);
        mine.max(shared)
    }

    /// A pause before the next Graph request when usage is high (halving the pace
    /// above 75 %).
    pub fn pause_before(&self, platform: Platform) -> Duration {
        if self.reported(platform) >= SLOW_DOWN_AT {
            Duration::from_millis(500)
        } else {
            Duration::ZERO
        }
    }
}

impl Meter for Budgets {
    fn try_spend(&self, platform: Platform, cost: u32, purpose: Purpose) -> BoxFuture<'_, Grant> {
        Box::pin(self.spend(platform, cost, purpose))
    }

    fn usage(&self, platform: Platform, percent: u32) {
        self.usage
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(platform, percent);
    }

    fn pause(&self, platform: Platform) -> Duration {
        self.pause_before(platform)
    }
}

impl Budgets {
    async fn spend(&self, platform: Platform, cost: u32, purpose: Purpose) -> Grant {
        if cost == 0 {
            return Grant::Granted;
        }
        if self.reported(platform) >= STOP_AT {
            return Grant::Refused;
        }
        let Some(limit) = self.limits.get(&platform) else {
            return Grant::Granted;
        };
        let cost = u64::from(cost);
        let now = self.clock.now();
        let window_start = limit.window.start(now);
        let mut reserved = self.reserved.lock().await;
        let r = reserved.entry(platform).or_default();
        if r.window_start != window_start {
            *r = Reservation {
                window_start,
                left: 0,
            };
        }
        // Units already written to the ledger: judged against the reserve when taken
        // (a chunk a refresh took may pay a gathering request: at most one chunk).
        if r.left >= cost {
            r.left -= cost;
            return Grant::Granted;
        }
        let limit = *limit;
        let Ok(usage) = self
            .writer
            .run(move |store| Ok(usage(store, platform, &limit, now)))
            .await
        else {
            return Grant::Refused;
        };
        let room = limit.limit.saturating_sub(usage.used) + r.left;
        if cost > room {
            return Grant::Refused;
        }
        let kept = match purpose {
            Purpose::Refresh => 0,
            Purpose::Gather => (limit.limit as f64 * REFRESH_RESERVE) as u64,
        };
        if cost + kept > room {
            return Grant::Reserved;
        }
        // Written before the request goes out: a crash never forgets spent quota.
        let take = (cost - r.left)
            .max(reserve_chunk(limit.limit))
            .min(room - kept - r.left);
        let written = self
            .writer
            .run(move |store| store.quota_add(platform, limit.bucket, window_start, take))
            .await;
        if written.is_err() {
            return Grant::Refused;
        }
        r.left = r.left + take - cost;
        Grant::Granted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn youtube_days_start_at_midnight_pacific() {
        // 2026-11-20 07:59 UTC is 23:59 PST on the 19th; 08:00 UTC is midnight.
        let before: Timestamp = "2026-11-20T07:59:00Z".parse().unwrap();
        let after: Timestamp = "2026-11-20T08:00:00Z".parse().unwrap();
        assert_eq!(Window::PacificDay.start(after), after.as_second());
        assert_eq!(Window::PacificDay.start(before), after.as_second() - 86_400);
        assert_eq!(
            Window::UtcDay.start(after),
            "2026-11-20T00:00:00Z"
                .parse::<Timestamp>()
                .unwrap()
                .as_second()
        );
    }

    #[tokio::test]
    async fn gathering_stops_where_the_refresh_reserve_begins_and_refreshes_spend_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("q.db")).unwrap();
        let clock = Arc::new(crate::sim::SimClock::new(
            "2026-11-20T12:00:00Z".parse().unwrap(),
            0.0,
        ));
        let limits = HashMap::from([(
            Platform::Youtube,
            Limit::for_platform(Platform::Youtube, 1_000),
        )]);
        let (_shutdown, running) = tokio::sync::watch::channel(false);
        let writer = Writer::start(store, u64::MAX, running).unwrap();
        let budgets = Budgets::new(writer, clock, limits);
        let spend = async |cost, purpose| budgets.try_spend(Platform::Youtube, cost, purpose).await;
        // Searches of 100 units: eight fit before the reserve of 200.
        let mut searches = 0;
        while searches < 20 && spend(100, Purpose::Gather).await == Grant::Granted {
            searches += 1;
        }
        assert_eq!(searches, 8);
        assert_eq!(spend(1, Purpose::Gather).await, Grant::Reserved);
        // Refreshes spend the reserve, to the last unit, and no further.
        let mut reads = 0;
        while reads < 1_000 && spend(1, Purpose::Refresh).await == Grant::Granted {
            reads += 1;
        }
        assert_eq!(reads, 200);
        assert_eq!(spend(1, Purpose::Refresh).await, Grant::Refused);
    }
}
