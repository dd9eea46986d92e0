//! What Instagram and Facebook share on the Graph API: error classification
//! (platform-apis.md §1.4), paging (§1.5) and time format (§1.2).

use serde_json::Value;

use super::endpoint;
use super::http::{ApiError, Raw, Verdict};

/// A Graph URL with its parameters and the token as `access_token` (§1; redacted from
/// every log line and error by `http::redact`).
pub(super) fn url(
    base: &str,
    path: &str,
    params: &[(&str, &str)],
    token: &str,
) -> Result<url::Url, ApiError> {
    let mut url = endpoint(base, path)?;
    url.query_pairs_mut()
        .extend_pairs(params)
        .append_pair("access_token", token);
    Ok(url)
}

/// Judges a Graph response by its `error.code` more than by its HTTP status.
pub(super) fn verdict(raw: &Raw) -> Verdict {
    let body = match raw.json() {
        Ok(v) => v,
        Err(retry) => return retry,
    };
    let Some(err) = body.get("error").filter(|e| e.is_object()) else {
        if raw.status.is_success() {
            return Verdict::Ok(body);
        }
        return if raw.status.is_server_error() || raw.status.as_u16() == 429 {
            Verdict::Retry {
                reason: format!("HTTP {}", raw.status.as_u16()),
                after: raw.retry_after(),
            }
        } else {
            Verdict::Fail(ApiError::Invalid(format!(
                "HTTP {} without an error body",
                raw.status.as_u16()
            )))
        };
    };
    let code = err["code"].as_u64().unwrap_or(0);
    let subcode = err["error_subcode"].as_u64();
    let message = err["message"].as_str().unwrap_or("").to_string();
    let described = format!(
        "Graph error {code}{}: {message}",
        subcode.map(|s| format!("/{s}")).unwrap_or_default()
    );
    match code {
        1 | 2 => Verdict::Retry {
            reason: described,
            after: raw.retry_after(),
        },
        613 => Verdict::Retry {
            reason: described,
            after: raw.retry_after(),
        },
        // App, user, page and Business Use Case limits: calls while throttled prolong
        // the block, so stop this platform until a later cycle.
        4 | 17 | 32 | 80001 | 80002 => Verdict::Fail(ApiError::Quota(described)),
        190 | 102 | 10 | 200..=299 => Verdict::Fail(ApiError::Auth(described)),
        110 | 803 => Verdict::Fail(ApiError::NotFound(described)),
        100 if subcode == Some(33) => Verdict::Fail(ApiError::NotFound(described)),
        _ if err["is_transient"] == true || raw.status.is_server_error() => Verdict::Retry {
            reason: described,
            after: raw.retry_after(),
        },
        _ => Verdict::Fail(ApiError::Invalid(described)),
    }
}

/// The query of a Graph page's `next` link, without its `access_token`, if the listing
/// goes on. The list ends when `next` is absent or `data` is empty, not when a cursor
/// repeats (§1.5): `recent_media` may send the same `after` on every page, so `next` is
/// followed as sent (its query re-issued on the configured base URL with our token,
/// which keeps the token out of stored cursors). A `next` that is not a URL falls back
/// to `after={cursors.after}`.
pub(super) fn next_query(body: &Value) -> Option<String> {
    let data_empty = body["data"].as_array().is_none_or(|d| d.is_empty());
    let next = body["paging"]["next"].as_str()?;
    if data_empty {
        return None;
    }
    let pairs: Vec<(String, String)> = match url::Url::parse(next) {
        Ok(u) => u
            .query_pairs()
            .filter(|(k, _)| k != "access_token")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        Err(_) => Vec::new(),
    };
    let pairs = if pairs.is_empty() {
        let after = body["paging"]["cursors"]["after"].as_str()?;
        vec![("after".to_string(), after.to_string())]
    } else {
        pairs
    };
    Some(
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish(),
    )
}

/// The parameters of a query kept by [`next_query`].
pub(super) fn query_pairs(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// What a listing of one account's posts (newest first) has shown so far: each id
/// once, how many of the ids asked for, whether it went past `horizon`. Facebook's Page
/// listings and a business's own Instagram media share it, so both hand over the same
/// [`Listing`](super::Listing).
pub(super) struct Tally<'a> {
    wanted: &'a std::collections::HashSet<&'a str>,
    horizon: jiff::Timestamp,
    seen: std::collections::HashSet<String>,
    listed: Vec<String>,
    found: usize,
    reached: bool,
}

impl<'a> Tally<'a> {
    pub fn new(
        wanted: &'a std::collections::HashSet<&'a str>,
        horizon: jiff::Timestamp,
    ) -> Tally<'a> {
        Tally {
            wanted,
            horizon,
            seen: Default::default(),
            listed: Vec::new(),
            found: 0,
            reached: false,
        }
    }

    /// Counts one listed item; whether it is older than the horizon.
    pub fn note(&mut self, id: Option<&str>, time: Option<jiff::Timestamp>) -> bool {
        if let Some(id) = id
            && self.seen.insert(id.to_string())
        {
            self.found += usize::from(self.wanted.contains(id));
            self.listed.push(id.to_string());
        }
        let before = time.is_some_and(|t| t < self.horizon);
        self.reached |= before;
        before
    }

    /// Whether the listing may stop: past the horizon, or every wanted id listed.
    pub fn enough(&self) -> bool {
        self.reached || !self.wanted.is_empty() && self.found == self.wanted.len()
    }

    /// The complete listing of `handle`. Listed newest first: when it stopped at the
    /// last wanted id, everything after the oldest wanted post is in, not that second.
    pub fn listing(self, handle: &str) -> super::Listing {
        let ended = self.reached || self.found < self.wanted.len() || self.wanted.is_empty();
        super::Listing {
            handle: handle.to_string(),
            ids: self.listed,
            since: if ended {
                self.horizon
            } else {
                self.horizon + jiff::SignedDuration::from_secs(1)
            },
        }
    }
}

/// Graph times carry `+0000` without a colon: parse with `%z`, not RFC 3339 (§1.2).
pub(super) fn time(v: &Value) -> Option<jiff::Timestamp> {
    let s = v.as_str()?;
    jiff::fmt::strtime::parse("%Y-%m-%dT%H:%M:%S%z", s)
        .ok()?
        .to_timestamp()
        .ok()
        .or_else(|| s.parse().ok())
}

/// The missing ids named by a `#803` error ("… do not exist: A,B").
pub(super) fn missing_aliases(message: &str) -> Vec<String> {
    message
        .rsplit_once(':')
        .map(|(_, ids)| {
            ids.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_times_without_a_colon_parse() {
        let t = time(&Value::from("2026-11-21T02:15:00+0000")).unwrap();
        assert_eq!(t.to_string(), "2026-11-21T02:15:00Z");
    }

    #[test]
    fn paging_ends_on_missing_next_or_empty_data() {
        let more: Value = serde_json::json!({"data": [{"id": "1"}], "paging": {"cursors": {"after": "A"}, "next": "http://x"}});
        assert_eq!(next_query(&more).as_deref(), Some("after=A"));
        let last: Value =
            serde_json::json!({"data": [{"id": "1"}], "paging": {"cursors": {"after": "A"}}});
        assert_eq!(next_query(&last), None);
        let empty: Value = serde_json::json!({"data": [], "paging": {"cursors": {"after": "A"}, "next": "http://x"}});
        assert_eq!(next_query(&empty), None);
    }

    #[test]
    fn next_is_followed_as_sent_without_its_token() {
        // recent_media may repeat `after`; whatever else `next` carries moves the page.
        let page: Value = serde_json::json!({"data": [{"id": "1"}], "paging": {
            "cursors": {"after": "SAME"},
            "next": "https://graph.facebook.com/v21.0/178/recent_media?user_id=9&fields=id%2Ccaption&access_token=SECRET&after=SAME&page=3"}});
        let q = next_query(&page).unwrap();
        assert!(!q.contains("SECRET") && !q.contains("access_token"), "{q}");
        let pairs = query_pairs(&q);
        assert!(pairs.contains(&("page".into(), "3".into())), "{pairs:?}");
        assert!(pairs.contains(&("after".into(), "SAME".into())));
        assert!(pairs.contains(&("fields".into(), "id,caption".into())));
    }

    #[test]
    fn missing_aliases_are_read_from_the_803_message() {
        assert_eq!(
            missing_aliases("(#803) Some of the aliases you requested do not exist: 1_2,3_4"),
            vec!["1_2", "3_4"]
        );
    }
}
