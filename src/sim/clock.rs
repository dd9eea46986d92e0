//! The simulated clock: the one time source of the simulator, shared with jempol's
//! scheduler when both run in one process, so a simulated week passes in seconds for both.

use std::sync::Mutex;
use std::time::Instant;

use jiff::{SignedDuration, Timestamp};

use crate::time::Clock;

/// Simulated time = `start` + (wall time since creation × `speed`) + manual advances.
/// Speed 1 follows the wall clock (a standalone `jempol sim`); speed 0 moves only when
/// advanced (tests).
#[derive(Debug)]
pub struct SimClock {
    start: Timestamp,
    created: Instant,
    state: Mutex<ClockState>,
}

#[derive(Debug)]
struct ClockState {
    speed: f64,
    /// Real time already accounted for under earlier speeds, and the sim time it gave.
    anchor_real_secs: f64,
    anchor_sim: Timestamp,
}

impl SimClock {
    pub fn new(start: Timestamp, speed: f64) -> SimClock {
        SimClock {
            start,
            created: Instant::now(),
            state: Mutex::new(ClockState {
                speed: speed.max(0.0),
                anchor_real_secs: 0.0,
                anchor_sim: start,
            }),
        }
    }

    /// When the simulated world began.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ClockState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now_locked(&self, state: &ClockState) -> Timestamp {
        let real = self.created.elapsed().as_secs_f64() - state.anchor_real_secs;
        let sim = SignedDuration::from_secs_f64(real * state.speed);
        state
            .anchor_sim
            .checked_add(sim)
            .unwrap_or(state.anchor_sim)
    }

    /// Moves simulated time forward (never back).
    pub fn advance(&self, by: SignedDuration) {
        let mut state = self.lock();
        let now = self.now_locked(&state);
        state.anchor_real_secs = self.created.elapsed().as_secs_f64();
        state.anchor_sim = now.checked_add(by.abs()).unwrap_or(now);
    }

    /// Moves simulated time to `to` if that is later than now.
    pub fn advance_to(&self, to: Timestamp) {
        let now = self.now();
        if to > now {
            self.advance(to.duration_since(now));
        }
    }

    /// Changes how many simulated seconds pass per real second.
    pub fn set_speed(&self, speed: f64) {
        let mut state = self.lock();
        let now = self.now_locked(&state);
        state.anchor_real_secs = self.created.elapsed().as_secs_f64();
        state.anchor_sim = now;
        state.speed = speed.max(0.0);
    }

    pub fn speed(&self) -> f64 {
        self.lock().speed
    }
}

impl Clock for SimClock {
    fn now(&self) -> Timestamp {
        let state = self.lock();
        self.now_locked(&state)
    }

    fn real_wait(&self, until: Timestamp) -> Option<std::time::Duration> {
        let state = self.lock();
        let sim = until
            .duration_since(self.now_locked(&state))
            .as_secs_f64()
            .max(0.0);
        (state.speed > 0.0).then(|| std::time::Duration::from_secs_f64(sim / state.speed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stopped_clock_moves_only_when_advanced() {
        let start: Timestamp = "2026-11-20T00:00:00Z".parse().unwrap();
        let clock = SimClock::new(start, 0.0);
        assert_eq!(clock.now(), start);
        clock.advance(SignedDuration::from_hours(30));
        assert_eq!(
            clock.now(),
            "2026-11-21T06:00:00Z".parse::<Timestamp>().unwrap()
        );
        clock.advance_to("2026-11-21T00:00:00Z".parse().unwrap());
        assert_eq!(
            clock.now(),
            "2026-11-21T06:00:00Z".parse::<Timestamp>().unwrap(),
            "never back"
        );
    }

    #[test]
    fn a_fast_clock_runs_ahead_of_the_wall_clock() {
        let start: Timestamp = "2026-11-20T00:00:00Z".parse().unwrap();
        let clock = SimClock::new(start, 3600.0);
        std::thread::sleep(std::time::Duration::from_millis(20));
        let elapsed = clock.now().duration_since(start);
        assert!(elapsed >= SignedDuration::from_secs(60), "{elapsed:?}");
    }
}
