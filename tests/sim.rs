//! Specification of the platform simulator against ../shared/platform-apis.md: shapes
//! and JSON types of every endpoint, pagination, auth and quota errors, faults, and the
//! agreement between `/__sim/truth` and what the APIs serve.

mod common;

use std::collections::BTreeSet;

use common::{sim_config, start_sim};
use jempol::platform::Platform;
use jempol::sim::{Fault, Simulator};
use reqwest::StatusCode;
use serde_json::Value;

const IG_USER: &str = "17841400000000001";
const TAG: &str = "UMKMKotaPadangMajuBersama";

thread_local! {
    /// One client per test (each test has its own thread and runtime): building one
    /// per request costs more than the request.
    static CLIENT: reqwest::Client = reqwest::Client::new();
}

fn client() -> reqwest::Client {
    CLIENT.with(reqwest::Client::clone)
}

async fn get(url: &str) -> (StatusCode, Value) {
    let r = client().get(url).send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn truth(sim: &Simulator, platform: &str) -> Value {
    get(&format!(
        "{}/__sim/truth?platform={platform}",
        sim.urls.root
    ))
    .await
    .1
}

fn is_digits(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()))
}

fn graph_time(v: &Value) -> bool {
    // `2026-11-21T02:15:00+0000`: offset without a colon (§1.2).
    let s = v.as_str().unwrap_or_default();
    s.len() == 24
        && s.ends_with("+0000")
        && jiff::fmt::strtime::parse("%Y-%m-%dT%H:%M:%S%z", s).is_ok()
}

async fn hashtag_id(sim: &Simulator) -> String {
    let (status, body) = get(&format!(
        "{}/ig_hashtag_search?user_id={IG_USER}&q={TAG}&access_token=t",
        sim.urls.graph
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        is_digits(&body["data"][0]["id"]),
        "hashtag id is a string of digits: {body}"
    );
    body["data"][0]["id"].as_str().unwrap().to_string()
}

// ---- Instagram ----

#[tokio::test]
async fn instagram_recent_media_pages_through_the_last_24_hours_of_tagged_media() {
    let sim = start_sim(sim_config(300)).await;
    sim.state
        .clock
        .advance(jiff::SignedDuration::from_hours(30));
    let hid = hashtag_id(&sim).await;
    let fields = "id,caption,media_type,comments_count,like_count,permalink,timestamp";
    let mut url = format!(
        "{}/{hid}/recent_media?user_id={IG_USER}&fields={fields}&limit=3&access_token=tok",
        sim.urls.graph
    );
    let mut seen = BTreeSet::new();
    let mut pages = 0;
    loop {
        let (status, body) = get(&url).await;
        assert_eq!(status, 200, "{body}");
        pages += 1;
        for m in body["data"].as_array().unwrap() {
            assert!(is_digits(&m["id"]));
            assert!(m["caption"].is_string());
            assert!(
                ["IMAGE", "VIDEO", "CAROUSEL_ALBUM"].contains(&m["media_type"].as_str().unwrap())
            );
            assert!(m["comments_count"].is_u64());
            assert!(
                m["like_count"].is_u64() || m.get("like_count").is_none(),
                "like_count omitted when hidden"
            );
            assert!(
                m["permalink"]
                    .as_str()
                    .unwrap()
                    .starts_with("https://www.instagram.com/")
            );
            assert!(graph_time(&m["timestamp"]), "{}", m["timestamp"]);
            assert!(
                m.get("username").is_none() && m.get("owner").is_none(),
                "hashtag media carry no owner"
            );
            seen.insert(m["id"].as_str().unwrap().to_string());
        }
        assert!(body["paging"]["cursors"]["after"].is_string());
        match body["paging"]["next"].as_str() {
            Some(next) => {
                assert!(
                    next.contains("access_token=tok"),
                    "Graph puts the token in next: {next}"
                );
                url = next.to_string();
            }
            None => break,
        }
    }
    assert!(pages > 1, "more than one page of 3: {} items", seen.len());
    let now: jiff::Timestamp = truth(&sim, "instagram").await["now"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let expected: BTreeSet<String> = truth(&sim, "instagram").await["posts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["tagged"] == true && p["deleted"] == false)
        .filter(|p| {
            now.duration_since(p["posted_at"].as_str().unwrap().parse().unwrap())
                < jiff::SignedDuration::from_hours(24)
        })
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        seen, expected,
        "recent_media serves exactly the tagged media of the last 24 h"
    );
}

#[tokio::test]
async fn instagram_hashtag_media_refuse_owner_fields() {
    let sim = start_sim(sim_config(20)).await;
    let hid = hashtag_id(&sim).await;
    let (status, body) = get(&format!(
        "{}/{hid}/recent_media?user_id={IG_USER}&fields=id,username&access_token=t",
        sim.urls.graph
    ))
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], 100);
    assert_eq!(body["error"]["type"], "OAuthException");
}

#[tokio::test]
async fn instagram_business_discovery_lists_an_accounts_media_with_nested_cursors() {
    let sim = start_sim(sim_config(200)).await;
    sim.state
        .clock
        .advance(jiff::SignedDuration::from_hours(24 * 20));
    let t = truth(&sim, "instagram").await;
    let posts = t["posts"].as_array().unwrap();
    // The registered, discoverable account with the most visible posts.
    let account = t["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["discoverable"] == true && !a["business_key"].is_null())
        .max_by_key(|a| {
            posts
                .iter()
                .filter(|p| p["account_handle"] == a["handle"] && p["deleted"] == false)
                .count()
        })
        .unwrap();
    let handle = account["handle"].as_str().unwrap();
    let mut after: Option<String> = None;
    let mut seen = Vec::new();
    loop {
        let media = match &after {
            Some(a) => format!("media.after({a}).limit(2)"),
            None => "media.limit(2)".to_string(),
        };
        let url = format!(
            "{}/{IG_USER}?fields=business_discovery.username({handle}){{id,username,followers_count,media_count,{media}{{id,caption,like_count,comments_count,media_type,permalink,timestamp}}}}&access_token=t",
            sim.urls.graph
        );
        let (status, body) = get(&url).await;
        assert_eq!(status, 200, "{url}: {body}");
        assert_eq!(body["id"], IG_USER, "{body}");
        let bd = &body["business_discovery"];
        assert!(is_digits(&bd["id"]));
        assert_eq!(bd["username"], handle);
        assert_eq!(bd["followers_count"], account["followers"]);
        assert!(bd["media_count"].is_u64());
        for m in bd["media"]["data"].as_array().unwrap() {
            let truth_post = posts
                .iter()
                .find(|p| p["id"] == m["id"])
                .expect("served media is in the truth");
            assert_eq!(
                m.get("like_count").cloned().unwrap_or(Value::Null),
                truth_post["likes"]
            );
            assert_eq!(m["comments_count"], truth_post["comments"]);
            seen.push(m["id"].as_str().unwrap().to_string());
        }
        assert!(
            bd["media"]["paging"].get("next").is_none(),
            "nested paging has no usable next"
        );
        match bd["media"]["paging"]["cursors"]["after"].as_str() {
            Some(a) => after = Some(a.to_string()),
            None => break,
        }
    }
    let expected: Vec<String> = posts
        .iter()
        .filter(|p| p["account_handle"] == handle && p["deleted"] == false)
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    assert!(expected.len() >= 3, "the account has several posts");
    assert_eq!(
        seen.iter().collect::<BTreeSet<_>>(),
        expected.iter().collect::<BTreeSet<_>>()
    );
}

#[tokio::test]
async fn business_discovery_of_an_unknown_account_is_code_110() {
    let sim = start_sim(sim_config(20)).await;
    let (status, body) = get(&format!(
        "{}/{IG_USER}?fields=business_discovery.username(tidak.ada){{id}}&access_token=t",
        sim.urls.graph
    ))
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], 110);
    assert_eq!(body["error"]["error_subcode"], 2_207_013);
}

#[tokio::test]
async fn instagram_allows_30_unique_hashtags_per_week_and_free_repeats() {
    let sim = start_sim(sim_config(5)).await;
    let search = |q: String| {
        let url = format!(
            "{}/ig_hashtag_search?user_id={IG_USER}&q={q}&access_token=t",
            sim.urls.graph
        );
        async move { get(&url).await }
    };
    for i in 0..30 {
        assert_eq!(search(format!("tag{i}")).await.0, 200);
    }
    let (status, body) = search("tag30".into()).await;
    assert_eq!(status, 400, "the 31st unique tag in 7 days is refused");
    assert_eq!(body["error"]["type"], "OAuthException");
    assert_eq!(
        search("tag0".into()).await.0,
        200,
        "re-querying a tag in the window is free"
    );
    sim.state
        .clock
        .advance(jiff::SignedDuration::from_hours(24 * 7 + 1));
    assert_eq!(search("tag30".into()).await.0, 200, "the window rolls");
}

// ---- Graph auth and limits ----

#[tokio::test]
async fn graph_without_a_token_is_code_190_and_an_expired_token_is_463() {
    let sim = start_sim(sim_config(10)).await;
    let (status, body) = get(&format!(
        "{}/ig_hashtag_search?user_id={IG_USER}&q={TAG}",
        sim.urls.graph
    ))
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], 190);
    assert!(body["error"].get("error_subcode").is_none());
    assert_eq!(
        body["error"]["message"],
        "Invalid OAuth access token - Cannot parse access token"
    );

    sim.state
        .inject(Platform::Instagram, Fault::TokenExpired, 1);
    let url = format!(
        "{}/ig_hashtag_search?user_id={IG_USER}&q={TAG}&access_token=old",
        sim.urls.graph
    );
    for _ in 0..2 {
        let (status, body) = get(&url).await;
        assert_eq!(status, 400);
        assert_eq!(
            (
                body["error"]["code"].as_u64(),
                body["error"]["error_subcode"].as_u64()
            ),
            (Some(190), Some(463)),
            "{body}"
        );
    }
    assert_eq!(
        get(&url.replace("=old", "=fresh")).await.0,
        200,
        "another token still works"
    );
}

#[tokio::test]
async fn graph_reports_usage_headers_and_refuses_with_code_4_past_the_app_limit() {
    let mut config = sim_config(10);
    config.quotas.graph_calls_per_hour = 20;
    let sim = start_sim(config).await;
    let url = format!(
        "{}/ig_hashtag_search?user_id={IG_USER}&q={TAG}&access_token=t",
        sim.urls.graph
    );
    let mut last_pct = 0;
    for _ in 0..20 {
        let r = client().get(&url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let usage: Value =
            serde_json::from_str(r.headers()["x-app-usage"].to_str().unwrap()).unwrap();
        let pct = usage["call_count"].as_u64().unwrap();
        assert!(pct >= last_pct && pct <= 100);
        last_pct = pct;
        let buc: Value =
            serde_json::from_str(r.headers()["x-business-use-case-usage"].to_str().unwrap())
                .unwrap();
        assert_eq!(buc[IG_USER][0]["type"], "instagram");
    }
    assert_eq!(last_pct, 100);
    let (status, body) = get(&url).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], 4);
    assert_eq!(sim.state.stats().quota_refusals["instagram"], 1);
}

// ---- Facebook ----

async fn a_registered_page(sim: &Simulator) -> (String, Value) {
    let t = truth(sim, "facebook").await;
    let posts = t["posts"].as_array().unwrap().clone();
    let page = t["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| !a["business_key"].is_null())
        .max_by_key(|a| {
            posts
                .iter()
                .filter(|p| p["account_user_id"] == a["user_id"] && p["deleted"] == false)
                .count()
        })
        .unwrap()
        .clone();
    (page["user_id"].as_str().unwrap().to_string(), t)
}

#[tokio::test]
async fn facebook_page_posts_carry_reaction_comment_and_share_totals() {
    let sim = start_sim(sim_config(200)).await;
    sim.state
        .clock
        .advance(jiff::SignedDuration::from_hours(24 * 20));
    let (page, t) = a_registered_page(&sim).await;
    let fields = "id,message,created_time,permalink_url,shares,reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)";
    let mut url = format!(
        "{}/{page}/posts?fields={fields}&limit=2&access_token=t",
        sim.urls.graph
    );
    let mut seen = 0;
    loop {
        let (status, body) = get(&url).await;
        assert_eq!(status, 200, "{body}");
        for p in body["data"].as_array().unwrap() {
            let id = p["id"].as_str().unwrap();
            assert!(
                id.starts_with(&format!("{page}_")),
                "post ids are page_post: {id}"
            );
            assert!(graph_time(&p["created_time"]));
            assert_eq!(p["reactions"]["data"], serde_json::json!([]));
            let truth_post = t["posts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["id"] == id)
                .unwrap();
            assert_eq!(
                p["reactions"]["summary"]["total_count"],
                truth_post["likes"]
            );
            assert_eq!(
                p["comments"]["summary"]["total_count"],
                truth_post["comments"]
            );
            // `shares` is absent when never shared: that means 0 (§2.1).
            let shares = p["shares"]["count"].as_u64().unwrap_or(0);
            assert_eq!(Some(shares), truth_post["shares"].as_u64());
            if shares == 0 {
                assert!(p.get("shares").is_none());
            }
            seen += 1;
        }
        match body["paging"]["next"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert!(seen >= 3);
}

#[tokio::test]
async fn facebook_page_fields_one_page_per_request() {
    let sim = start_sim(sim_config(200)).await;
    sim.state
        .clock
        .advance(jiff::SignedDuration::from_hours(24 * 20));
    let (page, _) = a_registered_page(&sim).await;
    let (status, body) = get(&format!(
        "{}/{page}?fields=id,name,username,followers_count,fan_count&access_token=t",
        sim.urls.graph
    ))
    .await;
    assert_eq!(status, 200);
    assert!(is_digits(&body["id"]) && body["name"].is_string() && body["username"].is_string());
    assert!(body["followers_count"].is_u64() && body["fan_count"].is_u64());
    // By username too.
    let by_name = get(&format!(
        "{}/{}?fields=id&access_token=t",
        sim.urls.graph,
        body["username"].as_str().unwrap()
    ))
    .await
    .1;
    assert_eq!(by_name["id"], page);
}

#[tokio::test]
async fn a_new_app_is_refused_multi_id_requests_and_field_aliases() {
    // The simulator's default: an app created after 4 Nov 2026 (platform-apis.md).
    let sim = start_sim(sim_config(50)).await;
    let (page, t) = a_registered_page(&sim).await;
    let post = t["posts"][0]["id"].as_str().unwrap().to_string();
    for query in [
        format!("/?ids={page},{post}&fields=id"),
        format!("/{page}?fields=id,followers_count.as(fans)"),
        format!("/{page}/posts?fields=id,created_time&date_format=U"),
    ] {
        let (status, body) = get(&format!("{}{query}&access_token=t", sim.urls.graph)).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["code"], 12, "{query}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("not available to apps created after"),
            "{body}"
        );
    }
    // Field expansion with modifiers is not an alias, and stays.
    let (status, body) = get(&format!(
        "{}/{page}/posts?fields=id,reactions.summary(total_count).limit(0)&access_token=t",
        sim.urls.graph
    ))
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_legacy_app_gets_batch_reads_by_ids() {
    let mut config = sim_config(200);
    config.graph_legacy_app = true;
    let sim = start_sim(config).await;
    sim.state
        .clock
        .advance(jiff::SignedDuration::from_hours(24 * 20));
    let (page, t) = a_registered_page(&sim).await;
    let ids: Vec<&str> = t["posts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["deleted"] == false)
        .take(3)
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    let (status, batch) = get(&format!(
        "{}/?ids={}&fields=id,reactions.summary(total_count).limit(0)&access_token=t",
        sim.urls.graph,
        ids.join(",")
    ))
    .await;
    assert_eq!(status, 200, "{batch}");
    for id in &ids {
        assert_eq!(batch[*id]["id"], *id, "keyed by id");
    }
    let (status, missing) = get(&format!(
        "{}/?ids={},{page}_999&fields=id&access_token=t",
        sim.urls.graph, ids[0]
    ))
    .await;
    assert_ne!(status, 200);
    assert_eq!(missing["error"]["code"], 803);
    let many: Vec<String> = (0..51).map(|i| format!("{page}_{i}")).collect();
    let (status, _) = get(&format!(
        "{}/?ids={}&fields=id&access_token=t",
        sim.urls.graph,
        many.join(",")
    ))
    .await;
    assert_eq!(status, 400, "at most 50 ids per call");
}

#[tokio::test]
async fn an_unknown_page_is_code_100_subcode_33() {
    let sim = start_sim(sim_config(10)).await;
    let (status, body) = get(&format!(
        "{}/nosuchpage999/posts?access_token=t",
        sim.urls.graph
    ))
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        (
            body["error"]["code"].as_u64(),
            body["error"]["error_subcode"].as_u64()
        ),
        (Some(100), Some(33))
    );
    assert_eq!(body["error"]["type"], "GraphMethodException");
}

// ---- TikTok ----

async fn tiktok_token(sim: &Simulator) -> String {
    let r = client()
        .post(format!("{}/v2/oauth/token/", sim.urls.tiktok))
        .form(&[
            ("client_key", "k"),
            ("client_secret", "s"),
            ("grant_type", "client_credentials"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 7200);
    body["access_token"].as_str().unwrap().to_string()
}

async fn tiktok_query(sim: &Simulator, token: &str, body: Value) -> (StatusCode, Value) {
    let fields = "id,video_description,create_time,region_code,share_count,view_count,like_count,comment_count,hashtag_names,username";
    let r = client()
        .post(format!(
            "{}/v2/research/video/query/?fields={fields}",
            sim.urls.tiktok
        ))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn hashtag_query(start: &str, end: &str, cursor: u64, search_id: &str) -> Value {
    serde_json::json!({
        "query": {"and": [{"operation": "IN", "field_name": "hashtag_name", "field_values": ["umkmkotapadangmajubersama"]}]},
        "start_date": start, "end_date": end, "max_count": 100, "cursor": cursor, "search_id": search_id
    })
}

#[tokio::test]
async fn tiktok_video_query_pages_with_cursor_and_search_id_and_matches_truth() {
    let sim = start_sim(sim_config(400)).await;
    sim.state
        .clock
        .advance(jiff::SignedDuration::from_hours(24 * 10));
    let token = tiktok_token(&sim).await;
    let (mut cursor, mut search_id, mut seen) = (0, String::new(), BTreeSet::new());
    loop {
        let (status, body) = tiktok_query(
            &sim,
            &token,
            hashtag_query("20261110", "20261130", cursor, &search_id),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["error"]["code"], "ok");
        let data = &body["data"];
        for v in data["videos"].as_array().unwrap() {
            let id = v["id"].as_u64().expect("ids are JSON integers beyond 2^53");
            assert!(id > 1 << 53);
            assert!(
                v["create_time"].is_i64() && v["like_count"].is_u64() && v["view_count"].is_u64()
            );
            assert_eq!(v["region_code"], "ID");
            assert!(
                v["hashtag_names"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|h| h == "umkmkotapadangmajubersama")
            );
            seen.insert(id.to_string());
        }
        search_id = data["search_id"].as_str().unwrap().to_string();
        cursor = data["cursor"].as_u64().unwrap();
        if data["has_more"] != true {
            break;
        }
    }
    let t = truth(&sim, "tiktok").await;
    let window_start: jiff::Timestamp = "2026-11-10T00:00:00Z".parse().unwrap();
    let expected: BTreeSet<String> = t["posts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["tagged"] == true && p["deleted"] == false)
        .filter(|p| {
            p["posted_at"]
                .as_str()
                .unwrap()
                .parse::<jiff::Timestamp>()
                .unwrap()
                >= window_start
        })
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    assert!(expected.len() > 100, "more than one page");
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn tiktok_refuses_windows_over_30_days_and_missing_tokens() {
    let sim = start_sim(sim_config(10)).await;
    let token = tiktok_token(&sim).await;
    let (status, body) =
        tiktok_query(&sim, &token, hashtag_query("20261001", "20261101", 0, "")).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_params");
    assert!(body["data"].is_object());
    let (status, body) = tiktok_query(&sim, "", hashtag_query("20261101", "20261120", 0, "")).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "access_token_invalid");
    let r = client()
        .post(format!("{}/v2/oauth/token/", sim.urls.tiktok))
        .form(&[
            ("client_key", ""),
            ("client_secret", "s"),
            ("grant_type", "client_credentials"),
        ])
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["error"], "invalid_client",
        "token failures carry no envelope"
    );
}

#[tokio::test]
async fn tiktok_user_info_reports_followers_in_the_envelope() {
    let sim = start_sim(sim_config(100)).await;
    let token = tiktok_token(&sim).await;
    let t = truth(&sim, "tiktok").await;
    let account = &t["accounts"][0];
    let r = client()
        .post(format!("{}/v2/research/user/info/?fields=display_name,follower_count,following_count,likes_count,video_count,is_verified", sim.urls.tiktok))
        .bearer_auth(&token)
        .json(&serde_json::json!({"username": account["handle"]}))
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "ok");
    assert_eq!(body["data"]["follower_count"], account["followers"]);
    assert!(body["data"]["display_name"].is_string() && body["data"]["is_verified"].is_boolean());
}

#[tokio::test]
async fn tiktok_daily_request_quota_is_1000_then_429() {
    let sim = start_sim(sim_config(5)).await;
    let token = tiktok_token(&sim).await;
    for _ in 0..1000 {
        assert_eq!(
            tiktok_query(&sim, &token, hashtag_query("20261101", "20261120", 0, ""))
                .await
                .0,
            200
        );
    }
    let (status, body) =
        tiktok_query(&sim, &token, hashtag_query("20261101", "20261120", 0, "")).await;
    assert_eq!(status, 429);
    assert_eq!(body["error"]["code"], "rate_limit_exceeded");
    sim.state
        .clock
        .advance(jiff::SignedDuration::from_hours(24));
    let token = tiktok_token(&sim).await;
    assert_eq!(
        tiktok_query(&sim, &token, hashtag_query("20261101", "20261120", 0, ""))
            .await
            .0,
        200,
        "resets at 00:00 UTC"
    );
}

// ---- YouTube ----

#[tokio::test]
async fn youtube_search_is_fuzzy_and_paged_with_next_page_token() {
    let sim = start_sim(sim_config(300)).await;
    sim.state
        .clock
        .advance(jiff::SignedDuration::from_hours(24 * 20));
    let mut url = format!(
        "{}/search?part=snippet&q=%23{TAG}&type=video&order=date&maxResults=50&key=k",
        sim.urls.youtube
    );
    let t = truth(&sim, "youtube").await;
    let mut untagged_results = 0;
    let mut pages = 0;
    loop {
        let (status, body) = get(&url).await;
        assert_eq!(status, 200, "{body}");
        pages += 1;
        for item in body["items"].as_array().unwrap() {
            assert_eq!(item["id"]["kind"], "youtube#video");
            let id = item["id"]["videoId"].as_str().unwrap();
            assert!(
                item["snippet"]["publishedAt"]
                    .as_str()
                    .unwrap()
                    .ends_with('Z')
            );
            let p = t["posts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["id"] == id)
                .unwrap();
            untagged_results += usize::from(p["tagged"] == false);
        }
        match body["nextPageToken"].as_str() {
            Some(token) => {
                url = format!(
                    "{}/search?part=snippet&q=%23{TAG}&type=video&order=date&maxResults=50&pageToken={token}&key=k",
                    sim.urls.youtube
                )
            }
            None => break,
        }
    }
    assert!(pages >= 2);
    assert!(
        untagged_results > 0,
        "search returns look-alikes that jempol must filter"
    );
    assert_eq!(
        sim.state.stats().youtube_units_today,
        100 * pages,
        "every page of search costs 100 units"
    );
}

#[tokio::test]
async fn youtube_videos_have_string_statistics_and_omit_hidden_and_deleted() {
    let sim = start_sim(sim_config(400)).await;
    sim.state
        .clock
        .advance(jiff::SignedDuration::from_hours(24 * 20));
    let t = truth(&sim, "youtube").await;
    let posts = t["posts"].as_array().unwrap();
    let hidden = posts
        .iter()
        .find(|p| p["likes"].is_null() && p["deleted"] == false)
        .expect("a video with hidden likes");
    let shown = posts
        .iter()
        .find(|p| !p["likes"].is_null() && p["deleted"] == false)
        .unwrap();
    let deleted = posts
        .iter()
        .find(|p| p["deleted"] == true)
        .expect("a deleted video");
    let ids = [
        hidden["id"].as_str().unwrap(),
        shown["id"].as_str().unwrap(),
        deleted["id"].as_str().unwrap(),
        "nosuchvideo",
    ]
    .join(",");
    let (status, body) = get(&format!(
        "{}/videos?part=snippet,statistics&id={ids}&key=k",
        sim.urls.youtube
    ))
    .await;
    assert_eq!(status, 200);
    let items = body["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        2,
        "deleted and unknown ids are silently left out"
    );
    for item in items {
        let s = &item["statistics"];
        assert!(
            s["viewCount"].as_str().unwrap().parse::<u64>().is_ok(),
            "statistics are strings"
        );
        assert_eq!(s["favoriteCount"], "0");
        let p = posts.iter().find(|p| p["id"] == item["id"]).unwrap();
        assert_eq!(
            s["viewCount"].as_str().unwrap().parse::<u64>().ok(),
            p["views"].as_u64()
        );
        match p["likes"].as_u64() {
            Some(l) => assert_eq!(s["likeCount"].as_str().unwrap().parse::<u64>().unwrap(), l),
            None => assert!(s.get("likeCount").is_none(), "likeCount absent when hidden"),
        }
        assert!(
            item["snippet"]["channelId"]
                .as_str()
                .unwrap()
                .starts_with("UC")
        );
    }
}

#[tokio::test]
async fn youtube_channels_and_uploads_playlists() {
    let sim = start_sim(sim_config(300)).await;
    sim.state
        .clock
        .advance(jiff::SignedDuration::from_hours(24 * 20));
    let t = truth(&sim, "youtube").await;
    let posts = t["posts"].as_array().unwrap();
    let channel = t["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .max_by_key(|a| {
            posts
                .iter()
                .filter(|p| p["account_user_id"] == a["user_id"] && p["deleted"] == false)
                .count()
        })
        .unwrap();
    let handle = channel["handle"].as_str().unwrap();
    let (status, body) = get(&format!(
        "{}/channels?part=snippet,statistics,contentDetails&forHandle={handle}&key=k",
        sim.urls.youtube
    ))
    .await;
    assert_eq!(status, 200);
    let item = &body["items"][0];
    assert_eq!(item["id"], channel["user_id"]);
    assert!(item["statistics"]["hiddenSubscriberCount"].is_boolean());
    match channel["followers"].as_u64() {
        Some(n) => assert_eq!(item["statistics"]["subscriberCount"], n.to_string()),
        None => assert!(item["statistics"].get("subscriberCount").is_none()),
    }
    let uploads = item["contentDetails"]["relatedPlaylists"]["uploads"]
        .as_str()
        .unwrap();
    assert!(uploads.starts_with("UU"));

    let mut url = format!(
        "{}/playlistItems?part=snippet,contentDetails&playlistId={uploads}&maxResults=2&key=k",
        sim.urls.youtube
    );
    let mut seen = BTreeSet::new();
    loop {
        let (status, body) = get(&url).await;
        assert_eq!(status, 200);
        for it in body["items"].as_array().unwrap() {
            seen.insert(
                it["contentDetails"]["videoId"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
            assert!(it["contentDetails"]["videoPublishedAt"].is_string());
        }
        match body["nextPageToken"].as_str() {
            Some(tok) => {
                url = format!(
                    "{}/playlistItems?part=contentDetails&playlistId={uploads}&maxResults=2&pageToken={tok}&key=k",
                    sim.urls.youtube
                )
            }
            None => break,
        }
    }
    let expected: BTreeSet<String> = posts
        .iter()
        .filter(|p| p["account_user_id"] == channel["user_id"] && p["deleted"] == false)
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(seen, expected);

    let (status, none) = get(&format!(
        "{}/channels?part=id&forHandle=@tidakada&key=k",
        sim.urls.youtube
    ))
    .await;
    assert_eq!(status, 200);
    assert!(none["items"].as_array().is_none_or(|i| i.is_empty()));
    let (status, body) = get(&format!(
        "{}/playlistItems?part=contentDetails&playlistId=UUnope&key=k",
        sim.urls.youtube
    ))
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["errors"][0]["reason"], "playlistNotFound");
}

#[tokio::test]
async fn youtube_refuses_the_101st_search_of_a_pacific_day() {
    let sim = start_sim(sim_config(10)).await;
    let url = format!(
        "{}/search?part=snippet&q=%23{TAG}&type=video&key=k",
        sim.urls.youtube
    );
    for _ in 0..100 {
        assert_eq!(get(&url).await.0, 200);
    }
    let (status, body) = get(&url).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["errors"][0]["reason"], "quotaExceeded");
    assert_eq!(body["error"]["errors"][0]["domain"], "youtube.quota");
    // SIM_START is 00:00 UTC = 16:00 Pacific (PST): the quota day ends 8 h later, not at UTC midnight.
    sim.state.clock.advance(jiff::SignedDuration::from_hours(7));
    assert_eq!(get(&url).await.0, 403);
    sim.state.clock.advance(jiff::SignedDuration::from_hours(2));
    assert_eq!(get(&url).await.0, 200, "new quota after midnight Pacific");
}

#[tokio::test]
async fn youtube_without_a_key_is_forbidden() {
    let sim = start_sim(sim_config(5)).await;
    let (status, body) = get(&format!("{}/videos?part=statistics&id=x", sim.urls.youtube)).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["errors"][0]["reason"], "forbidden");
}

// ---- faults ----

#[tokio::test]
async fn injected_server_errors_and_429s_use_each_platforms_own_shape() {
    let sim = start_sim(sim_config(10)).await;
    let yt = format!("{}/videos?part=statistics&id=x&key=k", sim.urls.youtube);
    let ig = format!(
        "{}/ig_hashtag_search?user_id={IG_USER}&q={TAG}&access_token=t",
        sim.urls.graph
    );

    sim.state.inject(Platform::Youtube, Fault::ServerError, 1);
    let (status, body) = get(&yt).await;
    assert_eq!(status, 503);
    assert_eq!(body["error"]["errors"][0]["reason"], "backendError");

    sim.state.inject(Platform::Instagram, Fault::ServerError, 1);
    let (status, body) = get(&ig).await;
    assert_eq!(status, 500);
    assert_eq!(body["error"]["code"], 2);
    assert_eq!(body["error"]["is_transient"], true);

    sim.state.inject(Platform::Instagram, Fault::RateLimited, 1);
    let r = client().get(&ig).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert!(
        r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u32>()
            .unwrap()
            >= 1
    );

    let token = tiktok_token(&sim).await;
    sim.state.inject(Platform::Tiktok, Fault::ServerError, 1);
    let (status, body) =
        tiktok_query(&sim, &token, hashtag_query("20261101", "20261120", 0, "")).await;
    assert_eq!(status, 500);
    assert_eq!(body["error"]["code"], "internal_error");
    assert_eq!(get(&yt).await.0, 200, "faults end");
}

#[tokio::test]
async fn injected_body_faults_truncate_or_replace_the_json() {
    let sim = start_sim(sim_config(10)).await;
    let url = format!("{}/channels?part=id&forHandle=@x&key=k", sim.urls.youtube);
    sim.state.inject(Platform::Youtube, Fault::Truncated, 1);
    let r = client().get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        serde_json::from_str::<Value>(&r.text().await.unwrap()).is_err(),
        "truncated JSON does not parse"
    );
    sim.state.inject(Platform::Youtube, Fault::NonJson, 1);
    let r = client().get(&url).send().await.unwrap();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

#[tokio::test]
async fn a_slow_response_is_held_back() {
    let mut config = sim_config(5);
    config.slow_ms = 400;
    let sim = start_sim(config).await;
    sim.state.inject(Platform::Youtube, Fault::Slow, 1);
    let c = reqwest::Client::builder()
        .timeout(std::time::Duration::from_millis(100))
        .build()
        .unwrap();
    let err = c
        .get(format!(
            "{}/channels?part=id&id=UCx&key=k",
            sim.urls.youtube
        ))
        .send()
        .await
        .unwrap_err();
    assert!(
        err.is_timeout(),
        "the response outlasts a 100 ms client timeout"
    );
}

#[tokio::test]
async fn a_tiktok_token_expiring_mid_run_is_access_token_invalid_and_a_new_one_works() {
    let sim = start_sim(sim_config(10)).await;
    let token = tiktok_token(&sim).await;
    sim.state.inject(Platform::Tiktok, Fault::TokenExpired, 1);
    let (status, body) =
        tiktok_query(&sim, &token, hashtag_query("20261101", "20261120", 0, "")).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "access_token_invalid");
    let fresh = tiktok_token(&sim).await;
    assert_eq!(
        tiktok_query(&sim, &fresh, hashtag_query("20261101", "20261120", 0, ""))
            .await
            .0,
        200
    );
    // Tokens also expire after their 2 h lifetime.
    sim.state.clock.advance(jiff::SignedDuration::from_hours(3));
    assert_eq!(
        tiktok_query(&sim, &fresh, hashtag_query("20261101", "20261120", 0, ""))
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn repeating_cursors_and_duplicate_items_bend_pagination() {
    let sim = start_sim(sim_config(300)).await;
    sim.state
        .clock
        .advance(jiff::SignedDuration::from_hours(24 * 20));
    let (page, _) = a_registered_page(&sim).await;
    let first = get(&format!(
        "{}/{page}/posts?fields=id&limit=2&access_token=t",
        sim.urls.graph
    ))
    .await
    .1;
    let after = first["paging"]["cursors"]["after"]
        .as_str()
        .unwrap()
        .to_string();
    let second_url = format!(
        "{}/{page}/posts?fields=id&limit=2&after={after}&access_token=t",
        sim.urls.graph
    );

    sim.state.inject(Platform::Facebook, Fault::RepeatCursor, 1);
    let repeated = get(&second_url).await.1;
    assert_eq!(
        repeated["paging"]["cursors"]["after"], after,
        "the cursor repeats"
    );

    sim.state
        .inject(Platform::Facebook, Fault::DuplicateItems, 1);
    let duplicated = get(&second_url).await.1;
    let first_ids: Vec<&Value> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["id"])
        .collect();
    assert!(
        duplicated["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| first_ids.contains(&&p["id"])),
        "page 2 repeats page 1 items"
    );
}

#[tokio::test]
async fn fault_profiles_switch_at_runtime() {
    let mut config = sim_config(10);
    config.slow_ms = 50;
    let sim = start_sim(config).await;
    let set = |p: &str| {
        client()
            .post(format!("{}/__sim/faults?profile={p}", sim.urls.root))
            .send()
    };
    assert_eq!(set("hostile").await.unwrap().status(), 200);
    let url = format!("{}/channels?part=id&id=UCx&key=k", sim.urls.youtube);
    let mut failures = 0;
    for _ in 0..300 {
        let r = client()
            .get(&url)
            .timeout(std::time::Duration::from_secs(2))
            .send()
            .await;
        failures += usize::from(r.map(|r| r.status() != 200).unwrap_or(true));
    }
    assert!(failures > 10, "hostile fails often: {failures}");
    assert!(!sim.state.stats().faults.is_empty());
    assert_eq!(set("none").await.unwrap().status(), 200);
    for _ in 0..50 {
        assert_eq!(get(&url).await.0, 200);
    }
    assert_eq!(
        set("gentle").await.unwrap().status(),
        400,
        "unknown profiles are refused"
    );
}

// ---- the world ----

#[tokio::test]
async fn the_same_seed_gives_the_same_truth_and_another_seed_does_not() {
    let a = start_sim(sim_config(50)).await;
    let b = start_sim(sim_config(50)).await;
    let mut other = sim_config(50);
    other.world.seed = 8;
    let c = start_sim(other).await;
    let (ta, tb, tc) = (
        truth(&a, "youtube").await,
        truth(&b, "youtube").await,
        truth(&c, "youtube").await,
    );
    assert_eq!(ta, tb);
    assert_ne!(ta["posts"], tc["posts"]);
    let registry = |s: &Simulator| {
        let url = format!("{}/__sim/registry.csv", s.urls.root);
        async move {
            client()
                .get(url)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    assert_eq!(registry(&a).await, registry(&b).await);
}

#[tokio::test]
async fn advancing_time_grows_engagement() {
    let sim = start_sim(sim_config(100)).await;
    let before = truth(&sim, "tiktok").await;
    let r = client()
        .post(format!("{}/__sim/advance?hours=12", sim.urls.root))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let after = truth(&sim, "tiktok").await;
    let views = |t: &Value| {
        t["posts"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["views"].as_u64())
            .sum::<u64>()
    };
    assert!(views(&after) > views(&before));
    assert_ne!(before["now"], after["now"]);
}

#[tokio::test]
async fn the_registry_csv_imports_cleanly_and_names_every_registered_business() {
    let sim = start_sim(sim_config(120)).await;
    let csv = client()
        .get(format!("{}/__sim/registry.csv", sim.urls.root))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let rows = jempol::registry::parse(csv.as_bytes()).unwrap();
    let businesses: Vec<_> = rows
        .iter()
        .filter_map(|r| match r {
            jempol::registry::Row::Valid { business, .. } => Some(business),
            jempol::registry::Row::Invalid(_) => None,
        })
        .collect();
    assert_eq!(businesses.len(), 120, "{rows:?}");
    let t = truth(&sim, "instagram").await;
    for account in t["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| !a["business_key"].is_null())
    {
        let b = businesses
            .iter()
            .find(|b| b.key == account["business_key"])
            .unwrap();
        assert_eq!(
            b.handle(Platform::Instagram),
            account["handle"].as_str(),
            "normalised handle equals the platform's"
        );
    }
}

#[tokio::test]
async fn faults_can_be_injected_through_the_control_endpoint() {
    let sim = start_sim(sim_config(5)).await;
    let r = client()
        .post(format!(
            "{}/__sim/faults?inject=server_error&platform=youtube&count=2",
            sim.urls.root
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let url = format!("{}/channels?part=id&id=UCx&key=k", sim.urls.youtube);
    assert_eq!(get(&url).await.0, 503);
    assert_eq!(get(&url).await.0, 503);
    assert_eq!(get(&url).await.0, 200);
    let r = client()
        .post(format!("{}/__sim/faults?inject=meteor", sim.urls.root))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "unknown fault kinds are refused");
}

#[test]
fn jempol_sim_serves_and_writes_a_config_that_jempol_accepts() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("sim.toml");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_jempol"))
        .args(["sim", "--port", "0", "--businesses", "30", "--write-config"])
        .arg(&config_path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let done = line.contains("Ctrl-C");
        lines.push(line);
        if done {
            break;
        }
    }
    let root = lines[0].rsplit(' ').next().unwrap().to_string();
    let stats = reqwest::blocking::get(format!("{root}/__sim/stats"));
    child.kill().unwrap();
    let _ = child.wait();
    assert!(
        lines[0].starts_with("jempol simulator listening on http://127.0.0.1:"),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("export JEMPOL_YOUTUBE_API_KEY=")),
        "prints the variables: {lines:?}"
    );
    assert_eq!(stats.unwrap().status(), 200);
    let config = jempol::config::Config::load(&config_path).unwrap();
    assert_eq!(config.platforms.len(), 4);
    assert!(
        config
            .platform(Platform::Tiktok)
            .unwrap()
            .base_url
            .starts_with(&root)
    );
}
