//! Graph API versions and when Meta retires them. Instagram and Facebook share one
//! version; a call to a retired version is moved by Meta to the oldest supported one,
//! with its breaking changes, so jempol warns well before the date.

use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, date};

/// The version jempol uses unless the config says otherwise: v25.0 is available until
/// 29 Jul 2028 (platform-apis.md, corrections of 2026-12-01).
pub const DEFAULT: GraphVersion = GraphVersion {
    major: 25,
    minor: 0,
};

/// How many days before a version's end `config check` and `status` warn.
pub const WARN_DAYS: i32 = 90;

/// The "available until" dates of Meta's Graph API changelog (version table, read
/// 2026-12-01). Versions older than the first row have ended; newer ones than the last
/// row had no end date announced. Update this table when Meta announces more.
const ENDS: [(GraphVersion, Date); 8] = [
    (GraphVersion::new(18, 0), date(2026, 1, 26)),
    (GraphVersion::new(19, 0), date(2026, 5, 21)),
    (GraphVersion::new(20, 0), date(2026, 9, 24)),
    (GraphVersion::new(21, 0), date(2027, 1, 21)),
    (GraphVersion::new(22, 0), date(2027, 5, 20)),
    (GraphVersion::new(23, 0), date(2027, 10, 8)),
    (GraphVersion::new(24, 0), date(2028, 2, 18)),
    (GraphVersion::new(25, 0), date(2028, 7, 29)),
];

/// A Graph API version such as `v25.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GraphVersion {
    major: u16,
    minor: u16,
}

impl GraphVersion {
    pub const fn new(major: u16, minor: u16) -> GraphVersion {
        GraphVersion { major, minor }
    }

    /// The version a base URL pins in its last path segment
    /// (`https://graph.facebook.com/v21.0` → v21.0), if any.
    pub fn in_url(base_url: &str) -> Option<GraphVersion> {
        let url = url::Url::parse(base_url).ok()?;
        let last = url.path_segments()?.rfind(|s| !s.is_empty())?;
        last.parse().ok()
    }

    /// When Meta retires this version, as far as the table in this module knows.
    pub fn lifetime(self) -> Lifetime {
        match ENDS.iter().find(|(v, _)| *v == self) {
            Some((_, end)) => Lifetime::Until(*end),
            None if self < ENDS[0].0 => Lifetime::Ended,
            None if self > ENDS[ENDS.len() - 1].0 => Lifetime::NotAnnounced,
            // A minor version the table does not list (Meta ships .0 only): unknown.
            None => Lifetime::NotAnnounced,
        }
    }

    /// A warning for `today`, when the version has ended or ends within [`WARN_DAYS`].
    pub fn warning(self, today: Date) -> Option<String> {
        match self.lifetime() {
            Lifetime::Ended => Some(format!(
                "Graph API {self} is no longer available: Meta answers its calls as the oldest supported version; set platforms.graph_version = \"{DEFAULT}\" (or later)"
            )),
            Lifetime::Until(end) if end <= today => Some(format!(
                "Graph API {self} ended on {end}: Meta answers its calls as the oldest supported version; set platforms.graph_version = \"{DEFAULT}\" (or later)"
            )),
            Lifetime::Until(end) => {
                let days = (end - today).get_days();
                (days <= WARN_DAYS).then(|| format!(
                    "Graph API {self} is available only until {end} ({days} days left): set platforms.graph_version = \"{DEFAULT}\" (or later)"
                ))
            }
            Lifetime::NotAnnounced => None,
        }
    }
}

/// How long a version stays available.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    Until(Date),
    Ended,
    NotAnnounced,
}

impl fmt::Display for GraphVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}", self.major, self.minor)
    }
}

/// Not of the form `v25.0`.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not a Graph API version (written like \"v25.0\")")]
pub struct BadVersion(pub String);

impl FromStr for GraphVersion {
    type Err = BadVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadVersion(s.to_string());
        let (major, minor) = s
            .strip_prefix('v')
            .and_then(|rest| rest.split_once('.'))
            .ok_or_else(bad)?;
        let number = |part: &str| {
            (!part.is_empty() && part.len() <= 3 && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse::<u16>().ok())
                .flatten()
        };
        Ok(GraphVersion {
            major: number(major).ok_or_else(bad)?,
            minor: number(minor).ok_or_else(bad)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_print_as_meta_writes_them() {
        let v: GraphVersion = "v25.0".parse().unwrap();
        assert_eq!(v, DEFAULT);
        assert_eq!(v.to_string(), "v25.0");
        for bad in ["25.0", "v25", "v.0", "vx.0", "v25.0.1", "", "v2500.0"] {
            assert!(bad.parse::<GraphVersion>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_base_url_pins_the_version_in_its_last_segment() {
        let v21 = GraphVersion::new(21, 0);
        assert_eq!(
            GraphVersion::in_url("https://graph.facebook.com/v21.0"),
            Some(v21)
        );
        assert_eq!(
            GraphVersion::in_url("http://127.0.0.1:8700/graph/v21.0/"),
            Some(v21)
        );
        assert_eq!(GraphVersion::in_url("https://graph.facebook.com"), None);
        assert_eq!(GraphVersion::in_url("http://127.0.0.1:8700/graph"), None);
    }

    #[test]
    fn warnings_start_ninety_days_before_the_end() {
        let v21 = GraphVersion::new(21, 0);
        // 21 Jan 2027 is the end: 23 Oct 2026 is 90 days before.
        assert!(v21.warning(date(2026, 10, 22)).is_none());
        let w = v21.warning(date(2026, 12, 1)).unwrap();
        assert!(w.contains("2027-01-21") && w.contains("51 days"), "{w}");
        assert!(v21.warning(date(2027, 1, 21)).unwrap().contains("ended"));
        assert!(
            GraphVersion::new(17, 0)
                .warning(date(2026, 12, 1))
                .unwrap()
                .contains("no longer available")
        );
        assert!(DEFAULT.warning(date(2026, 12, 1)).is_none());
        assert!(DEFAULT.warning(date(2028, 5, 1)).is_some());
        assert_eq!(GraphVersion::new(27, 0).lifetime(), Lifetime::NotAnnounced);
        assert!(
            GraphVersion::new(27, 0)
                .warning(date(2026, 12, 1))
                .is_none()
        );
    }
}
