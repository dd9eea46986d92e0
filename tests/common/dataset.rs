//! A small hand-built dataset shared by the views and report specs. Days are WIB
//! (UTC+7): 00:30 WIB on the 21st is still the 20th in UTC.

use super::Workspace;
use jempol::platform::{AccountRef, AccountStats, Counts, Platform, Post};
use jempol::registry::Business;
use jempol::store::Store;

/// Unix seconds of a WIB wall-clock time.
pub fn wib(local: &str) -> i64 {
    let ts: jiff::Timestamp = format!("{local}+07:00").parse().unwrap();
    ts.as_second()
}

pub fn account(handle: &str) -> Option<AccountRef> {
    Some(AccountRef {
        handle: Some(handle.into()),
        ..Default::default()
    })
}

pub fn post(platform: Platform, id: &str, handle: &str, posted: &str, counts: Counts) -> Post {
    Post {
        platform,
        id: id.into(),
        account: account(handle),
        permalink: Some(format!("https://example.invalid/{id}")),
        caption: Some("Mantap #UMKMKotaPadangMajuBersama".into()),
        media_type: None,
        posted_at: Some(format!("{posted}+07:00").parse().unwrap()),
        counts,
    }
}

pub fn c(
    likes: Option<u64>,
    comments: Option<u64>,
    shares: Option<u64>,
    views: Option<u64>,
) -> Counts {
    Counts {
        likes,
        comments,
        shares,
        views,
    }
}

pub fn followers(handle: &str, n: u64) -> AccountStats {
    AccountStats {
        platform: Platform::Instagram,
        account: AccountRef {
            handle: Some(handle.into()),
            ..Default::default()
        },
        followers: Some(n),
        following: None,
        media_count: None,
        total_likes: None,
        total_views: None,
    }
}

/// PDG-1 on Instagram (p1) and YouTube (p2, likes hidden); PDG-2 on TikTok (p3, likes
/// go down); an Instagram account outside the registry (p4).
pub fn dataset(ws: &Workspace) -> Store {
    let mut store = Store::open(&ws.database()).unwrap();
    let biz = |key: &str, name: &str, handles: Vec<(Platform, String)>| Business {
        key: key.into(),
        name: name.into(),
        category: Some("kuliner".into()),
        district: Some("Padang Utara".into()),
        handles,
    };
    store
        .import_businesses(
            &[
                biz(
                    "PDG-1",
                    "Dendeng Uni Lis",
                    vec![
                        (Platform::Instagram, "a.ig".into()),
                        (Platform::Youtube, "@a".into()),
                    ],
                ),
                biz(
                    "PDG-2",
                    "Songket Bundo",
                    vec![(Platform::Tiktok, "b.tt".into())],
                ),
            ],
            wib("2026-11-01T00:00:00"),
        )
        .unwrap();

    let p1 = |likes, comments| {
        post(
            Platform::Instagram,
            "p1",
            "a.ig",
            "2026-11-20T09:00:00",
            c(Some(likes), Some(comments), None, None),
        )
    };
    let p2 = |views| {
        post(
            Platform::Youtube,
            "p2",
            "@a",
            "2026-11-19T12:00:00",
            c(None, Some(5), None, Some(views)),
        )
    };
    let p3 = |likes| {
        post(
            Platform::Tiktok,
            "p3",
            "b.tt",
            "2026-11-20T07:00:00",
            c(Some(likes), Some(1), Some(2), Some(500)),
        )
    };
    let p4 = post(
        Platform::Instagram,
        "p4",
        "orang.lain",
        "2026-11-20T10:00:00",
        c(Some(8), Some(0), None, None),
    );

    store
        .record_account_stats(&[followers("a.ig", 1000)], wib("2026-11-20T08:00:00"))
        .unwrap();
    store
        .record_posts(&[p1(10, 1), p3(100), p4], wib("2026-11-20T10:00:00"))
        .unwrap();
    store
        .record_posts(&[p2(100)], wib("2026-11-20T12:00:00"))
        .unwrap();
    store
        .record_posts(&[p1(30, 2)], wib("2026-11-20T23:30:00"))
        .unwrap();
    store
        .record_account_stats(&[followers("a.ig", 1010)], wib("2026-11-20T23:59:00"))
        .unwrap();
    store
        .record_account_stats(&[followers("a.ig", 1020)], wib("2026-11-21T00:01:00"))
        .unwrap();
    store
        .record_posts(&[p1(35, 2)], wib("2026-11-21T00:30:00"))
        .unwrap();
    store
        .record_posts(&[p2(160), p3(90)], wib("2026-11-21T12:00:00"))
        .unwrap();
    store
        .record_posts(&[p1(50, 4)], wib("2026-11-21T20:00:00"))
        .unwrap();
    store
        .mark_deleted(Platform::Tiktok, &["p3".into()], wib("2026-11-22T09:00:00"))
        .unwrap();
    store
}
