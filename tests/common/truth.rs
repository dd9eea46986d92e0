//! The simulator's ground truth as the daemon specs compare with it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

pub fn ts(v: &Value) -> jiff::Timestamp {
    v.as_str().unwrap().parse().unwrap()
}

pub fn counts(p: &Value) -> [Option<i64>; 4] {
    ["likes", "comments", "shares", "views"].map(|k| p[k].as_i64())
}

/// Which live tagged posts jempol can see (platform-apis.md): Instagram — registered,
/// discoverable accounts, plus anyone's posts of the last 24 h; Facebook — registered
/// Pages; TikTok and YouTube — every tagged post. All back to the 30-day horizon.
pub fn visible(truth: &Value, platform: &str) -> BTreeMap<String, [Option<i64>; 4]> {
    let now = ts(&truth["now"]);
    let discoverable: BTreeSet<&str> = truth["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["discoverable"] == true && !a["business_key"].is_null())
        .map(|a| a["handle"].as_str().unwrap())
        .collect();
    truth["posts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["platform"] == platform && p["tagged"] == true && p["deleted"] == false)
        .filter(|p| {
            now.duration_since(ts(&p["posted_at"])) < jiff::SignedDuration::from_hours(24 * 30)
        })
        .filter(|p| match platform {
            "instagram" => {
                discoverable.contains(p["account_handle"].as_str().unwrap())
                    || now.duration_since(ts(&p["posted_at"]))
                        < jiff::SignedDuration::from_hours(24)
            }
            "facebook" => !p["business_key"].is_null(),
            _ => true,
        })
        .map(|p| (p["id"].as_str().unwrap().to_string(), counts(p)))
        .collect()
}

pub fn tagged_ids(truth: &Value, platform: &str) -> BTreeSet<String> {
    truth["posts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["platform"] == platform && p["tagged"] == true)
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect()
}
