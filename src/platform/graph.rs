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

/// The `after` cursor of a Graph page, if the listing goes on. The list ends when
/// `next` is absent or `data` is empty, not when a cursor repeats (§1.5).
pub(super) fn next_cursor(body: &Value) -> Option<String> {
    let data_empty = body["data"].as_array().is_none_or(|d| d.is_empty());
    if data_empty || body["paging"]["next"].as_str().is_none() {
        return None;
    }
    body["paging"]["cursors"]["after"]
        .as_str()
        .map(str::to_string)
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
        assert_eq!(next_cursor(&more).as_deref(), Some("A"));
        let last: Value =
            serde_json::json!({"data": [{"id": "1"}], "paging": {"cursors": {"after": "A"}}});
        assert_eq!(next_cursor(&last), None);
        let empty: Value = serde_json::json!({"data": [], "paging": {"cursors": {"after": "A"}, "next": "http://x"}});
        assert_eq!(next_cursor(&empty), None);
    }

    #[test]
    fn missing_aliases_are_read_from_the_803_message() {
        assert_eq!(
            missing_aliases("(#803) Some of the aliases you requested do not exist: 1_2,3_4"),
            vec!["1_2", "3_4"]
        );
    }
}
