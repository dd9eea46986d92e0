//! Fuzzing with proptest: the registry CSV importer and the four platforms' item parsers
//! take any input without panicking; a malformed item or row is rejected with a reason
//! (and, for CSV, the line it is on) while well-formed ones still parse.

use jempol::hashtag::Hashtag;
use jempol::platform::{AccountRef, facebook, instagram, tiktok, youtube};
use proptest::prelude::*;
use serde_json::{Value, json};

fn tags() -> Vec<Hashtag> {
    vec![Hashtag::parse("UMKMKotaPadangMajuBersama").unwrap()]
}

/// Text that sometimes carries the campaign tag, in the ways people write it.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Mantap #UMKMKotaPadangMajuBersama".to_string()),
        Just("#kuliner#umkmkotapadangmajubersama!".to_string()),
        Just("#UMKMKotaPadangMajuBersamaLagi".to_string()),
        Just("مرحبا 👍 #UMKMKotaPadangMajuBersama".to_string()),
        ".{0,40}",
    ]
}

/// Any JSON value: numbers of every size and sign, strings, nesting.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A well-formed item with some fields replaced by arbitrary JSON.
fn mutated(valid: Value, fields: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop::collection::vec((prop::sample::select(fields), any_json()), 0..4).prop_map(
        move |changes| {
            let mut item = valid.clone();
            for (field, value) in changes {
                item[field] = value;
            }
            item
        },
    )
}

fn ig_item() -> Value {
    json!({"id": "17900000000000001", "caption": "Mantap #UMKMKotaPadangMajuBersama",
           "like_count": 12, "comments_count": 3, "timestamp": "2026-11-20T09:00:00+0000",
           "permalink": "https://www.instagram.com/p/x/", "media_type": "IMAGE"})
}

fn fb_item() -> Value {
    json!({"id": "1_2", "message": "#UMKMKotaPadangMajuBersama", "created_time": "2026-11-20T09:00:00+0000",
           "permalink_url": "https://www.facebook.com/1/posts/2",
           "reactions": {"summary": {"total_count": 5}}, "comments": {"summary": {"total_count": 1}},
           "shares": {"count": 2}})
}

fn tt_item() -> Value {
    json!({"id": 7311000000000006804u64, "video_description": "#UMKMKotaPadangMajuBersama",
           "create_time": 1763600000, "username": "tenun", "like_count": 9, "comment_count": 1,
           "share_count": 0, "view_count": 400, "hashtag_names": ["umkmkotapadangmajubersama"]})
}

fn yt_item() -> Value {
    json!({"id": "H7warQCRWNy", "snippet": {"title": "#UMKMKotaPadangMajuBersama", "channelId": "UC0123456789abcdefghijkl",
           "publishedAt": "2026-11-20T09:00:00Z", "tags": ["UMKMKotaPadangMajuBersama"]},
           "statistics": {"viewCount": "100", "likeCount": "5", "commentCount": "1"}})
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn platform_parsers_take_any_json(item in any_json()) {
        let tags = tags();
        let owner = AccountRef { handle: Some("tenun".into()), ..Default::default() };
        let _ = instagram::media_item(&tags, &item, Some(&owner));
        let _ = facebook::post_item(&tags, &item, None);
        let _ = tiktok::video_item(&tags, &item);
        let _ = youtube::video_item(&tags, &item, true);
        let _ = youtube::video_item(&tags, &item, false);
    }

    #[test]
    fn instagram_items_with_broken_fields_parse_or_say_why(item in mutated(ig_item(), &["id", "caption", "like_count", "comments_count", "timestamp", "permalink"])) {
        match instagram::media_item(&tags(), &item, None) {
            Ok(Some(post)) => prop_assert_eq!(Some(post.id.as_str()), item["id"].as_str()),
            Ok(None) => prop_assert!(!item["caption"].as_str().is_some_and(|c| tags()[0].in_text(c))),
            Err(why) => prop_assert!(!why.is_empty()),
        }
    }

    #[test]
    fn facebook_items_with_broken_fields_parse_or_say_why(item in mutated(fb_item(), &["id", "message", "reactions", "comments", "shares", "created_time"])) {
        match facebook::post_item(&tags(), &item, None) {
            Ok(Some(post)) => prop_assert_eq!(Some(post.id.as_str()), item["id"].as_str()),
            Ok(None) => {}
            Err(why) => prop_assert!(!why.is_empty()),
        }
    }

    #[test]
    fn tiktok_items_with_broken_fields_parse_or_say_why(item in mutated(tt_item(), &["id", "video_description", "like_count", "view_count", "create_time", "hashtag_names", "username"])) {
        match tiktok::video_item(&tags(), &item) {
            Ok(Some(post)) => {
                // Ids beyond 2^53 survive as written, never through a float.
                if let Some(n) = item["id"].as_u64() {
                    prop_assert_eq!(post.id, n.to_string());
                }
            }
            Ok(None) => {}
            Err(why) => prop_assert!(!why.is_empty()),
        }
    }

    #[test]
    fn youtube_items_with_broken_fields_parse_or_say_why(item in mutated(yt_item(), &["id", "snippet", "statistics"])) {
        match youtube::video_item(&tags(), &item, true) {
            Ok(Some(post)) => prop_assert_eq!(Some(post.id.as_str()), item["id"].as_str()),
            Ok(None) => {}
            Err(why) => prop_assert!(!why.is_empty()),
        }
    }

    #[test]
    fn the_registry_importer_takes_any_bytes(data in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = jempol::registry::parse(&data);
    }

    #[test]
    fn registry_rows_are_imported_or_rejected_with_their_line(
        rows in prop::collection::vec(
            (
                prop_oneof![Just(String::new()), "[A-Z]{3}-[0-9]{1,3}"],
                prop_oneof![Just(String::new()), ".{0,20}", Just("Rendang \"Uni\" 👍 مرحبا".to_string())],
                prop_oneof![Just(String::new()), "@?[a-z0-9._]{1,20}", ".{0,10}"],
                prop_oneof![Just(String::new()), "UC[A-Za-z0-9_-]{22}", ".{0,10}"],
            ),
            1..30,
        ),
        separator in prop::sample::select(vec![b',', b';', b'\t']),
        crlf in any::<bool>(),
        bom in any::<bool>(),
    ) {
        let mut w = csv::WriterBuilder::new()
            .delimiter(separator)
            .terminator(if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') })
            .from_writer(Vec::new());
        w.write_record(["key", "name", "instagram", "youtube"]).unwrap();
        for (key, name, ig, yt) in &rows {
            w.write_record([key, name, ig, yt]).unwrap();
        }
        let mut data = if bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() };
        data.extend(w.into_inner().unwrap());
        let lines = 1 + data.iter().filter(|b| **b == b'\n').count() as u64;
        match jempol::registry::parse(&data) {
            Ok(parsed) => {
                for row in &parsed {
                    match row {
                        jempol::registry::Row::Invalid(bad) => {
                            prop_assert!(bad.line >= 2 && bad.line <= lines, "line {} of {}", bad.line, lines);
                            prop_assert!(!bad.reason.is_empty());
                        }
                        jempol::registry::Row::Valid { line, business: b } => {
                            prop_assert!(*line >= 2 && *line <= lines);
                            prop_assert!(!b.key.trim().is_empty() && !b.name.trim().is_empty());
                        }
                    }
                }
                prop_assert!(parsed.len() <= rows.len());
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}

/// A 10 MB caption (a hostile or broken response): the tag at its very end is still
/// found, and the caption is stored cut to jempol's limit on a character boundary.
#[test]
fn a_10_mb_caption_with_the_tag_at_its_end_is_matched_and_stored_cut() {
    use jempol::platform::CAPTION_MAX_BYTES;
    let caption = format!(
        "{}#UMKMKotaPadangMajuBersama",
        "Rendang enak 🍛 ".repeat(560_000)
    );
    assert!(caption.len() > 10_000_000);
    let tags = tags();
    let owner = AccountRef {
        handle: Some("tenun".into()),
        ..Default::default()
    };
    let mut ig = ig_item();
    ig["caption"] = json!(caption);
    let mut fb = fb_item();
    fb["message"] = json!(caption);
    let mut tt = tt_item();
    tt["video_description"] = json!(caption);
    tt["hashtag_names"] = json!([]);
    let mut yt = yt_item();
    yt["snippet"]["description"] = json!(caption);
    yt["snippet"]["title"] = json!("Rendang");
    yt["snippet"]["tags"] = json!([]);
    let posts = [
        instagram::media_item(&tags, &ig, Some(&owner)),
        facebook::post_item(&tags, &fb, None),
        tiktok::video_item(&tags, &tt),
        youtube::video_item(&tags, &yt, true),
    ];
    for post in posts {
        let post = post.unwrap().expect("the tag at the end is found");
        let stored = post.caption.unwrap();
        assert!(stored.len() <= CAPTION_MAX_BYTES && stored.len() > CAPTION_MAX_BYTES - 8);
        assert!(stored.starts_with("Rendang enak 🍛") && stored.ends_with('…'));
    }
}
