//! Specification of the coordinators' dashboard in `jempol serve` (`jempol demo --serve`
//! on a small simulated campaign): sign-in with rate limits and CSRF, every page kind in
//! a real browser at phone and desktop sizes, downloads that hold the table shown, the
//! JSON API with the reports' own figures, a business's link that shows its page and no
//! other, and captions shown as text.

mod common;

use common::consent::KEY;
use common::dashboard::DashRig;
use jempol::consent::Vault;
use rusqlite::Connection;
use serde_json::Value;

fn link(rig: &DashRig, key: &str) -> String {
    let vault = Vault::from_env("K", |_| Some(KEY.into())).unwrap();
    let expires = jiff::Timestamp::now().as_second() + 86_400;
    jempol::web::personal_link(&rig.base, &vault, key, expires).replace("/hubungkan/", "/usaha/")
}

/// Two registered businesses with tagged posts: (key, name, one post id) each.
fn two_businesses(rig: &DashRig) -> Vec<(String, String, i64)> {
    let db = Connection::open(rig.path("jempol.db")).unwrap();
    let mut stmt = db
        .prepare(
            "SELECT b.key, b.name, min(p.id) FROM businesses b JOIN posts p ON p.business_id = b.id
             GROUP BY b.id ORDER BY b.key LIMIT 2",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn a_page_without_a_session_redirects_to_sign_in_and_the_api_answers_401() {
    let rig = DashRig::start(30);
    for path in [
        "/dasbor",
        "/dasbor/peringkat?platform=tiktok",
        "/dasbor/usaha/PDG-00001",
        "/dasbor/pos/1",
        "/dasbor/daftar/sepi",
        "/dasbor/laporan",
    ] {
        let a = rig.get(path, None);
        assert_eq!(a.status, 303, "{path}");
        let to = a.location.unwrap();
        assert!(to.starts_with("/masuk?lanjut=%2Fdasbor"), "{path} → {to}");
    }
    // A forged session cookie is no session.
    let forged = format!("jempol_sesi={}", "ab".repeat(32));
    assert_eq!(rig.get("/dasbor", Some(&forged)).status, 303);
    for path in ["/api/v1/overview", "/api/v1/leaderboard", "/api/v1/posts/1"] {
        let a = rig.get(path, None);
        assert_eq!(a.status, 401, "{path}");
        assert!(a.text().contains("Bearer"));
    }
    // Signed in, the same page answers, and sign-in returns to where it was asked for.
    let (csrf, cookie) = rig.sign_in_form();
    let a = rig.post(
        "/masuk",
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("lanjut", "/dasbor/laporan"),
            ("nama", "demo"),
            ("sandi", &rig.password),
        ],
    );
    assert_eq!(a.location.as_deref(), Some("/dasbor/laporan"));
    let session = format!("jempol_sesi={}", a.cookie("jempol_sesi").unwrap());
    let reports = rig.get("/dasbor/laporan", Some(&session));
    assert_eq!(reports.status, 200);
    assert!(
        reports.text().contains(".html"),
        "the demo's reports are listed"
    );
    // Sign-in never sends anyone off the site.
    let (csrf, cookie) = rig.sign_in_form();
    let a = rig.post(
        "/masuk",
        Some(&cookie),
        &[
            ("csrf", &csrf),
            ("lanjut", "//evil.example/"),
            ("nama", "demo"),
            ("sandi", &rig.password),
        ],
    );
    assert_eq!(a.location.as_deref(), Some("/dasbor"));
}

#[test]
fn wrong_passwords_are_rate_limited_and_then_even_the_right_one_waits() {
    let rig = DashRig::start(20);
    for i in 0..5 {
        let a = rig.try_sign_in("demo", "not-the-password");
        assert_eq!(a.status, 401, "attempt {i}");
        assert!(a.text().contains("salah"), "{}", a.text());
        assert!(a.cookie("jempol_sesi").is_none());
    }
    let a = rig.try_sign_in("demo", &rig.password);
    assert_eq!(a.status, 429, "the sixth attempt within a minute waits");
    assert!(a.retry_after.is_some());
    assert!(a.text().contains("Terlalu banyak percobaan"));
    assert!(
        a.cookie("jempol_sesi").is_none(),
        "no session while limited"
    );
    // Another name is not held up by these attempts.
    let a = rig.try_sign_in("someone-else", "x");
    assert_eq!(a.status, 401);
}

#[test]
fn a_form_without_its_csrf_token_is_refused() {
    let rig = DashRig::start(20);
    let (_, cookie) = rig.sign_in_form();
    let a = rig.post(
        "/masuk",
        Some(&cookie),
        &[("nama", "demo"), ("sandi", &rig.password)],
    );
    assert_eq!(a.status, 403);
    assert!(a.cookie("jempol_sesi").is_none());
    // A value made for another sign-in form does not pass either.
    let (csrf, _) = rig.sign_in_form();
    let a = rig.post(
        "/masuk",
        Some(&cookie),
        &[("csrf", &csrf), ("nama", "demo"), ("sandi", &rig.password)],
    );
    assert_eq!(a.status, 403);
    // Signing out needs the session's own value: without it the session lives on.
    let session = rig.sign_in();
    assert_eq!(rig.post("/keluar", Some(&session), &[]).status, 403);
    assert_eq!(
        rig.post("/keluar", Some(&session), &[("csrf", "0000")])
            .status,
        403
    );
    assert_eq!(rig.get("/dasbor", Some(&session)).status, 200);
    let page = rig.get("/dasbor", Some(&session)).text();
    let csrf = common::consent::field(&page, "csrf");
    assert_eq!(
        rig.post("/keluar", Some(&session), &[("csrf", &csrf)])
            .status,
        303
    );
    assert_eq!(rig.get("/dasbor", Some(&session)).status, 303, "signed out");
}

#[test]
fn a_business_link_shows_its_page_and_no_other() {
    let rig = DashRig::start(30);
    let both = two_businesses(&rig);
    let (a_key, a_name, _) = &both[0];
    let (_, b_name, b_post) = &both[1];
    let own = link(&rig, a_key);
    let page = rig.get(&own.replace(&rig.base, ""), None);
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    assert!(html.contains(&format!("<h1>{a_name}</h1>")) || html.contains(a_name));
    assert!(
        !html.contains(b_name.as_str()),
        "no other business on its page"
    );
    assert!(
        !html.contains("href=\"/dasbor"),
        "no way into the dashboard"
    );
    // Its own post opens; another business's post through its link does not.
    let token = own.rsplit('/').next().unwrap();
    let db = Connection::open(rig.path("jempol.db")).unwrap();
    let own_post: i64 = db
        .query_row(
            "SELECT min(p.id) FROM posts p JOIN businesses b ON b.id = p.business_id WHERE b.key = ?1",
            [a_key],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        rig.get(&format!("/usaha/{token}/pos/{own_post}"), None)
            .status,
        200
    );
    assert_eq!(
        rig.get(&format!("/usaha/{token}/pos/{b_post}"), None)
            .status,
        404
    );
    // A changed character, or another business's key under this one's signature.
    let mut tampered = token.to_string();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(rig.get(&format!("/usaha/{tampered}"), None).status, 404);
    let other = link(&rig, &both[1].0);
    let other_token = other.rsplit('/').next().unwrap();
    let (a_part, _) = token.split_once('.').unwrap();
    let (_, other_rest) = other_token.split_once('.').unwrap();
    let spliced = format!("{a_part}.{other_rest}");
    assert_eq!(rig.get(&format!("/usaha/{spliced}"), None).status, 404);
}

#[test]
fn captions_with_html_and_script_are_shown_as_text() {
    let rig = DashRig::start(20);
    let (key, _, post) = two_businesses(&rig).remove(0);
    let hostile =
        "<script>alert('x')</script><img src=x onerror=alert(1)> =HYPERLINK(\"http://evil\")";
    let db = Connection::open(rig.path("jempol.db")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    db.execute(
        "UPDATE posts SET caption = ?1 WHERE id = ?2",
        rusqlite::params![hostile, post],
    )
    .unwrap();
    let session = rig.sign_in();
    for path in [
        format!("/dasbor/pos/{post}"),
        format!("/dasbor/usaha/{key}"),
    ] {
        let html = rig.get(&path, Some(&session)).text();
        assert!(!html.contains("<script>alert"), "{path}");
        assert!(!html.contains("<img src=x"), "{path}");
        assert!(
            html.contains("&lt;script&gt;alert("),
            "{path}: shown as text"
        );
    }
    let csv = rig.get(
        &format!("/dasbor/usaha/{key}?table=posts&format=csv-rfc"),
        Some(&session),
    );
    let text = csv.text();
    assert!(!text.contains(",=HYPERLINK"), "neutralised in CSV");
}

#[test]
fn downloads_hold_the_table_in_both_csv_dialects_and_xlsx() {
    let rig = DashRig::start(40);
    let session = rig.sign_in();
    let api_token = String::from_utf8(rig.jempol(&["users", "token", "demo"]).stdout).unwrap();
    let board: Value = serde_json::from_slice(
        &rig.get_bearer("/api/v1/leaderboard?page_size=1000", api_token.trim())
            .body,
    )
    .unwrap();
    let total = board["total"].as_u64().unwrap() as usize;
    assert!(total > 5, "{board}");

    let excel = rig.get("/dasbor/peringkat?format=csv", Some(&session));
    assert!(excel.content_type.starts_with("text/csv"));
    let text = excel.text();
    assert!(text.starts_with('\u{FEFF}'), "Excel's BOM");
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), total + 1, "every row, not one page");
    assert!(rows[0].contains(';'));
    let first = rows[1].trim_start_matches('\u{FEFF}');
    assert!(first.starts_with("1;"), "{first}");

    let rfc = rig
        .get("/dasbor/peringkat?format=csv-rfc", Some(&session))
        .text();
    let mut reader = csv::Reader::from_reader(rfc.as_bytes());
    let records: Vec<_> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), total);
    // The ranking figure is the third column: the API's engagement, row by row.
    for (rec, row) in records.iter().zip(board["rows"].as_array().unwrap()) {
        assert_eq!(rec[0], row["rank"].to_string());
        let engagement = row["engagement"]
            .as_i64()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(rec[2], engagement, "{rec:?}");
    }

    let xlsx = rig.get("/dasbor/peringkat?format=xlsx", Some(&session));
    assert!(xlsx.content_type.contains("spreadsheetml"));
    assert_eq!(&xlsx.body[..2], b"PK", "a zip: the workbook");
    assert_eq!(
        rig.get("/dasbor/peringkat?format=pdf", Some(&session))
            .status,
        400
    );
}

#[test]
fn the_api_gives_the_reports_own_figures() {
    let rig = DashRig::start(40);
    let out = rig.jempol(&["users", "token", "demo", "--label", "agency"]);
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert_eq!(token.len(), 64);
    assert_eq!(
        rig.get_bearer("/api/v1/overview", "not-a-token").status,
        401
    );
    let overview: Value =
        serde_json::from_slice(&rig.get_bearer("/api/v1/overview?period=7d", &token).body).unwrap();
    let (from, to) = (
        overview["period"]["from"].as_str().unwrap().to_string(),
        overview["period"]["to"].as_str().unwrap().to_string(),
    );
    let report = rig.jempol(&["report", "--from", &from, "--to", &to, "--format", "json"]);
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    let report: Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(overview["totals"], report["totals"], "the same totals");
    assert_eq!(overview["previous"], report["previous"]);
    let board: Value = serde_json::from_slice(
        &rig.get_bearer("/api/v1/leaderboard?period=7d&page_size=5", &token)
            .body,
    )
    .unwrap();
    for (a, b) in board["rows"]
        .as_array()
        .unwrap()
        .iter()
        .zip(report["businesses"].as_array().unwrap())
    {
        assert_eq!(a, b, "the same leaderboard lines");
    }
    // A filtered leaderboard keeps the campaign's ranks and holds only its district.
    let district = board["rows"][0]["district"].as_str().unwrap().to_string();
    let q: String = url::form_urlencoded::byte_serialize(district.as_bytes()).collect();
    let filtered: Value = serde_json::from_slice(
        &rig.get_bearer(
            &format!("/api/v1/leaderboard?district={q}&page_size=1000"),
            &token,
        )
        .body,
    )
    .unwrap();
    let rows = filtered["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["district"] == district.as_str()));
    assert!(
        rows.windows(2)
            .all(|w| w[0]["rank"].as_u64() < w[1]["rank"].as_u64())
    );
    // A business and a post.
    let key = board["rows"][0]["key"].as_str().unwrap();
    let b: Value = serde_json::from_slice(
        &rig.get_bearer(&format!("/api/v1/businesses/{key}"), &token)
            .body,
    )
    .unwrap();
    assert_eq!(b["business"]["line"], board["rows"][0]);
    assert_eq!(b["business"]["ranks"].as_array().unwrap().len(), 14);
    let post = b["business"]["posts"][0]["id"].as_i64().unwrap();
    let p: Value = serde_json::from_slice(
        &rig.get_bearer(&format!("/api/v1/posts/{post}"), &token)
            .body,
    )
    .unwrap();
    assert_eq!(p["business_key"], key);
    assert!(!p["snapshots"].as_array().unwrap().is_empty());
    assert_eq!(
        rig.get_bearer("/api/v1/lists/sepi?period=nope", &token)
            .status,
        400
    );
    assert_eq!(
        rig.get_bearer("/api/v1/businesses/NO-SUCH", &token).status,
        404
    );
}

fn screenshot(b: &common::browser::Browser, name: &str) {
    if let Some(dir) = std::env::var_os("JEMPOL_SCREENSHOTS") {
        b.screenshot(&std::path::Path::new(&dir).join(name));
    }
}

#[test]
fn in_chromium_a_coordinator_signs_in_filters_opens_a_business_and_a_post_downloads_and_signs_out()
{
    use common::browser::{Browser, Screen};
    let Some(phone) = Browser::start(Screen::Phone) else {
        return;
    };
    let desktop = Browser::start(Screen::Desktop).unwrap();
    let rig = DashRig::start(60);
    let no_sideways = |b: &Browser| {
        let w = b.eval("return [document.documentElement.scrollWidth, window.innerWidth];");
        assert!(
            w[0].as_f64() <= w[1].as_f64(),
            "no sideways scroll of the page: {w}"
        );
    };

    for (b, size) in [(&phone, "phone"), (&desktop, "desktop")] {
        // No session: sign-in first, then back to the page asked for.
        b.goto(&format!("{}/dasbor/peringkat", rig.base));
        b.wait_for_url(&format!("{}/masuk", rig.base));
        b.type_into("#nama", "demo");
        b.type_into("#sandi", &rig.password);
        b.click("#masuk");
        b.wait_for_url(&format!("{}/dasbor/peringkat", rig.base));

        // The overview: three periods, the trend, per platform.
        b.goto(&format!("{}/dasbor", rig.base));
        for card in ["#card-today", "#card-7d", "#card-30d"] {
            assert!(b.text(card).contains("Keterlibatan"), "{card}");
        }
        // A mark per day of the 30: a bar, or `?` for a day before tracking.
        let marks = b.eval(
            "return document.querySelectorAll('#trend svg rect, #trend svg text.unknown').length;",
        );
        assert_eq!(marks, 30);
        no_sideways(b);
        screenshot(b, &format!("dashboard-overview-{size}.png"));

        // The leaderboard filtered by a district: only its businesses, ranks kept.
        b.goto(&format!("{}/dasbor/peringkat", rig.base));
        // The district of the first business listed.
        let district = b
            .eval(
                "const i = [...document.querySelectorAll('#peringkat thead th')].findIndex(t => t.textContent === 'Kecamatan');
                 return document.querySelector('#peringkat tbody tr').children[i].textContent;",
            )
            .as_str()
            .unwrap()
            .to_string();
        b.eval(&format!(
            "document.querySelector('#f-district').value = {}; return 0;",
            serde_json::to_string(&district).unwrap()
        ));
        b.click("#terapkan");
        b.wait_for_url(&format!("{}/dasbor/peringkat?", rig.base));
        let districts = b.eval(
            "const i = [...document.querySelectorAll('#peringkat thead th')].findIndex(t => t.textContent === 'Kecamatan');
             return [...document.querySelectorAll('#peringkat tbody tr')].map(r => r.children[i].textContent);",
        );
        let districts = districts.as_array().unwrap();
        assert!(!districts.is_empty());
        assert!(
            districts.iter().all(|d| d == district.as_str()),
            "{districts:?}"
        );
        // On a phone the rank, the business and the ranking figure are in view.
        let right = b.eval(
            "const c = document.querySelector('#peringkat tbody tr').children[2].getBoundingClientRect();
             return [c.right, window.innerWidth];",
        );
        assert!(
            right[0].as_f64() <= right[1].as_f64(),
            "the ranking figure in view: {right}"
        );
        no_sideways(b);
        screenshot(b, &format!("dashboard-leaderboard-{size}.png"));

        // Downloads: the page's own links, fetched with the session.
        let got = b.eval_async(
            "Promise.all(['#unduh-csv', '#unduh-xlsx'].map(s => fetch(document.querySelector(s).href)
                .then(r => r.arrayBuffer().then(a => [r.status, r.headers.get('content-type'), new Uint8Array(a).slice(0, 3)]))))
              .then(v => done(v.map(([s, t, b]) => [s, t, Array.from(b)])), e => done(String(e)));",
        );
        assert_eq!(got[0][0], 200);
        assert!(got[0][1].as_str().unwrap().starts_with("text/csv"));
        assert_eq!(
            got[0][2],
            serde_json::json!([0xEF, 0xBB, 0xBF]),
            "CSV with Excel's BOM"
        );
        assert_eq!(got[1][0], 200);
        assert_eq!(got[1][2][0], serde_json::json!(b'P'), "XLSX");

        // A business, then one of its posts.
        b.click("#peringkat tbody tr td:nth-child(2) a");
        b.wait_for_url(&format!("{}/dasbor/usaha/", rig.base));
        assert!(b.text("#accounts").contains("Pengikut"));
        assert!(
            b.eval("return document.querySelectorAll('#ranks svg').length;")
                .as_i64()
                == Some(1)
        );
        no_sideways(b);
        screenshot(b, &format!("dashboard-business-{size}.png"));
        b.click("#posting tbody tr td:nth-child(3) a");
        b.wait_for_url(&format!("{}/dasbor/pos/", rig.base));
        assert!(
            b.eval("return document.querySelectorAll('#history svg path.line').length;")
                .as_i64()
                .unwrap()
                >= 1
        );
        no_sideways(b);
        screenshot(b, &format!("dashboard-post-{size}.png"));

        // Sign out: the dashboard asks for sign-in again.
        b.click("#keluar");
        b.wait_for_url(&format!("{}/masuk", rig.base));
        b.goto(&format!("{}/dasbor", rig.base));
        b.wait_for_url(&format!("{}/masuk", rig.base));
        if size == "phone" {
            screenshot(b, "dashboard-sign-in-phone.png");
        }
    }
}
