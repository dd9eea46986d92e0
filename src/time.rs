//! Time: UTC inside, the campaign zone at the edges, and one [`Clock`] that logic asks.

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// Where "now" comes from. Logic takes a `&dyn Clock` instead of reading the system time,
/// so tests and the demo can run a simulated week in seconds.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;

    /// Real time until the clock reads `until`, if it moves by itself (a stopped
    /// simulated clock only moves when advanced).
    fn real_wait(&self, until: Timestamp) -> Option<std::time::Duration> {
        let d = until.duration_since(self.now());
        Some(d.try_into().unwrap_or_default())
    }
}

/// The machine's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that always reads the same instant: the demo's dashboard stands at the end
/// of its simulated week.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// The zone's fixed UTC offset now, as seconds and as `+07:00`: what the database views use.
pub fn offset_now(tz: &TimeZone, at: Timestamp) -> (i32, String) {
    let offset = tz.to_offset(at);
    let secs = offset.seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    let abs = secs.unsigned_abs();
    (
        secs,
        format!("{sign}{:02}:{:02}", abs / 3600, (abs % 3600) / 60),
    )
}

/// Does the zone keep one offset all year (as WIB, WITA and WIT do)? Views are exact then.
pub fn has_fixed_offset(tz: &TimeZone, at: Timestamp) -> bool {
    let year = jiff::SignedDuration::from_hours(24 * 366);
    let later = at.checked_add(year).unwrap_or(at);
    tz.following(at)
        .take_while(|t| t.timestamp() < later)
        .count()
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wib_is_plus_seven_all_year() {
        let tz = TimeZone::get("Asia/Jakarta").unwrap();
        let t: Timestamp = "2026-11-23T00:00:00Z".parse().unwrap();
        assert_eq!(offset_now(&tz, t), (25200, "+07:00".to_string()));
        assert!(has_fixed_offset(&tz, t));
        let ny = TimeZone::get("America/New_York").unwrap();
        assert!(!has_fixed_offset(&ny, t));
    }
}
