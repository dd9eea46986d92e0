//! Fault profiles (`none`, `flaky`, `hostile`) and per-test injection.
//!
//! Each platform request draws at most one fault. Bursts keep a fault going for several
//! consecutive requests of that platform, as real outages and 429 storms do.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::str::FromStr;

use crate::platform::Platform;

/// A named set of fault rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FaultProfile {
    #[default]
    None,
    Flaky,
    Hostile,
}

impl FromStr for FaultProfile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "none" => Ok(FaultProfile::None),
            "flaky" => Ok(FaultProfile::Flaky),
            "hostile" => Ok(FaultProfile::Hostile),
            other => Err(format!(
                "unknown fault profile {other:?} (none, flaky or hostile)"
            )),
        }
    }
}

impl fmt::Display for FaultProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FaultProfile::None => "none",
            FaultProfile::Flaky => "flaky",
            FaultProfile::Hostile => "hostile",
        })
    }
}

/// One thing that can go wrong with a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// 500/503 in the platform's own error shape.
    ServerError,
    /// 429 with `Retry-After` in the platform's own error shape.
    RateLimited,
    /// The response is held back for the simulator's `slow` delay (longer than a client
    /// timeout should be).
    Slow,
    /// A valid response cut off in the middle.
    Truncated,
    /// An HTML error page instead of JSON.
    NonJson,
    /// The credential in use expires now: Graph code 190/463 for this and later calls
    /// with it; TikTok `access_token_invalid` (a new token works).
    TokenExpired,
    /// The next-page cursor equals the one just used.
    RepeatCursor,
    /// The page repeats items from the previous page.
    DuplicateItems,
    /// Graph's per-user limit (code 17, HTTP 400); a 429 elsewhere. Injection only.
    UserLimit,
}

impl FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "server_error" => Fault::ServerError,
            "rate_limited" => Fault::RateLimited,
            "slow" => Fault::Slow,
            "truncated" => Fault::Truncated,
            "non_json" => Fault::NonJson,
            "token_expired" => Fault::TokenExpired,
            "repeat_cursor" => Fault::RepeatCursor,
            "duplicate_items" => Fault::DuplicateItems,
            "user_limit" => Fault::UserLimit,
            other => {
                return Err(format!(
                    "unknown fault {other:?} (server_error, rate_limited, slow, truncated, non_json, token_expired, repeat_cursor, duplicate_items, user_limit)"
                ));
            }
        })
    }
}

/// Per request: probability to start a fault, and the burst length range.
struct Rate {
    fault: Fault,
    p: f32,
    burst: (u32, u32),
}

fn rates(profile: FaultProfile) -> &'static [Rate] {
    const FLAKY: &[Rate] = &[
        Rate {
            fault: Fault::ServerError,
            p: 0.02,
            burst: (1, 3),
        },
        Rate {
            fault: Fault::RateLimited,
            p: 0.01,
            burst: (2, 4),
        },
        Rate {
            fault: Fault::Truncated,
            p: 0.01,
            burst: (1, 1),
        },
        Rate {
            fault: Fault::NonJson,
            p: 0.005,
            burst: (1, 1),
        },
        Rate {
            fault: Fault::DuplicateItems,
            p: 0.01,
            burst: (1, 1),
        },
        Rate {
            fault: Fault::RepeatCursor,
            p: 0.005,
            burst: (1, 1),
        },
    ];
    const HOSTILE: &[Rate] = &[
        Rate {
            fault: Fault::ServerError,
            p: 0.05,
            burst: (2, 6),
        },
        Rate {
            fault: Fault::RateLimited,
            p: 0.04,
            burst: (3, 10),
        },
        Rate {
            fault: Fault::Slow,
            p: 0.005,
            burst: (1, 1),
        },
        Rate {
            fault: Fault::Truncated,
            p: 0.03,
            burst: (1, 1),
        },
        Rate {
            fault: Fault::NonJson,
            p: 0.03,
            burst: (1, 1),
        },
        Rate {
            fault: Fault::DuplicateItems,
            p: 0.05,
            burst: (1, 1),
        },
        Rate {
            fault: Fault::RepeatCursor,
            p: 0.03,
            burst: (1, 1),
        },
        // Only TikTok tokens can be renewed; see `FaultState::draw`.
        Rate {
            fault: Fault::TokenExpired,
            p: 0.005,
            burst: (1, 1),
        },
    ];
    match profile {
        FaultProfile::None => &[],
        FaultProfile::Flaky => FLAKY,
        FaultProfile::Hostile => HOSTILE,
    }
}

/// The fault state of a running simulator.
pub struct FaultState {
    pub profile: FaultProfile,
    rng: fastrand::Rng,
    injected: HashMap<Platform, VecDeque<Fault>>,
    bursts: HashMap<Platform, (Fault, u32)>,
    /// Faults served so far, per kind.
    pub served: HashMap<Fault, u64>,
    retry_after: (u32, u32),
}

impl FaultState {
    pub fn new(profile: FaultProfile, seed: u64, retry_after: (u32, u32)) -> FaultState {
        FaultState {
            profile,
            rng: fastrand::Rng::with_seed(seed ^ 0x5EED_FA17),
            injected: HashMap::new(),
            bursts: HashMap::new(),
            served: HashMap::new(),
            retry_after,
        }
    }

    /// Queues `count` faults of one kind for the next requests to `platform`.
    pub fn inject(&mut self, platform: Platform, fault: Fault, count: u32) {
        let queue = self.injected.entry(platform).or_default();
        queue.extend(std::iter::repeat_n(fault, count as usize));
    }

    pub fn set_profile(&mut self, profile: FaultProfile) {
        self.profile = profile;
        self.bursts.clear();
    }

    /// The fault (if any) for the next request to `platform`. Injected faults come first.
    pub fn draw(&mut self, platform: Platform) -> Option<Fault> {
        let fault = self.draw_inner(platform)?;
        *self.served.entry(fault).or_default() += 1;
        Some(fault)
    }

    fn draw_inner(&mut self, platform: Platform) -> Option<Fault> {
        if let Some(f) = self
            .injected
            .get_mut(&platform)
            .and_then(VecDeque::pop_front)
        {
            return Some(f);
        }
        if let Some((fault, left)) = self.bursts.get_mut(&platform) {
            let fault = *fault;
            *left -= 1;
            if *left == 0 {
                self.bursts.remove(&platform);
            }
            return Some(fault);
        }
        for rate in rates(self.profile) {
            if rate.fault == Fault::TokenExpired && platform != Platform::Tiktok {
                continue; // a Graph or YouTube credential would stay dead: inject it instead
            }
            if self.rng.f32() < rate.p {
                let len = self.rng.u32(rate.burst.0..=rate.burst.1);
                if len > 1 {
                    self.bursts.insert(platform, (rate.fault, len - 1));
                }
                return Some(rate.fault);
            }
        }
        None
    }

    /// A `Retry-After` value in seconds for a 429.
    pub fn retry_after(&mut self) -> u32 {
        let (lo, hi) = self.retry_after;
        self.rng.u32(lo..=hi.max(lo))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injected_faults_come_first_and_in_order() {
        let mut f = FaultState::new(FaultProfile::None, 1, (1, 2));
        f.inject(Platform::Youtube, Fault::ServerError, 2);
        f.inject(Platform::Youtube, Fault::Truncated, 1);
        assert_eq!(f.draw(Platform::Tiktok), None);
        assert_eq!(f.draw(Platform::Youtube), Some(Fault::ServerError));
        assert_eq!(f.draw(Platform::Youtube), Some(Fault::ServerError));
        assert_eq!(f.draw(Platform::Youtube), Some(Fault::Truncated));
        assert_eq!(f.draw(Platform::Youtube), None);
        assert_eq!(f.served[&Fault::ServerError], 2);
    }

    #[test]
    fn hostile_serves_every_kind_and_none_serves_nothing() {
        let mut f = FaultState::new(FaultProfile::Hostile, 9, (1, 2));
        let mut seen = std::collections::HashSet::new();
        for i in 0..20_000 {
            if let Some(fault) = f.draw(Platform::ALL[i % 4]) {
                seen.insert(fault);
            }
        }
        assert_eq!(seen.len(), 8, "{seen:?}");
        let mut quiet = FaultState::new(FaultProfile::None, 9, (1, 2));
        assert!((0..1000).all(|_| quiet.draw(Platform::Instagram).is_none()));
    }
}
