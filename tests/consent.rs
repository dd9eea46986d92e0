//! Specification of consent (platform-apis-consent.md §6, §7, §10.4): a business opens
//! its personal link, connects its own TikTok through `jempol serve` and the simulated
//! Login Kit, and `poll --once` then reads its videos and followers with its own token;
//! tokens are sealed at rest and renewed, lapsed or revoked consent marks only that
//! business, and forged links, states and callbacks are refused.

mod common;

use common::consent::{CLIENT_SECRET, ConsentRig, KEY, connect_over_http, database_bytes, field};
use jempol::platform::Platform;
use rusqlite::Connection;

/// What the database holds of a business's TikTok connection: (status, handle,
/// sealed access token length).
fn connection(rig: &ConsentRig, key: &str) -> Option<(String, Option<String>, Option<i64>)> {
    let db = Connection::open(rig.path("jempol.db")).unwrap();
    db.query_row(
        "SELECT c.status, c.handle, length(c.access_token) FROM connections c
         JOIN businesses b ON b.id = c.business_id WHERE b.key = ?1 AND c.platform = 'tiktok'",
        [key],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .ok()
}

fn requests(rig: &ConsentRig, endpoint: &str) -> u64 {
    rig.sim
        .state
        .stats()
        .requests
        .get(&format!("tiktok {endpoint}"))
        .copied()
        .unwrap_or(0)
}

/// No token, code or secret the simulator issued, in clear.
fn assert_no_secret(what: &str, text: &[u8]) {
    let text = String::from_utf8_lossy(text);
    for needle in ["act.sim", "rft.sim", "*Code!", CLIENT_SECRET, KEY] {
        assert!(!text.contains(needle), "{needle} in {what}");
    }
}

#[test]
fn a_business_connects_tiktok_through_its_link_and_poll_once_stores_its_videos_and_followers() {
    let mut rig = ConsentRig::new(|_| {});
    rig.start_serve();
    let (key, username) = rig.business_with_tagged_videos(0);
    let link = rig.link(&key);
    assert!(
        link.starts_with(&format!("{}/hubungkan/", rig.public)),
        "{link}"
    );

    let (landed, page) = connect_over_http(&link, &username, true, &[]);
    assert!(landed.contains("pesan=terhubung"), "{landed}");
    assert!(page.contains(&format!("@{username}")), "{page}");
    let (status, handle, sealed) = connection(&rig, &key).expect("a connection");
    assert_eq!(status, "connected");
    assert_eq!(handle.as_deref(), Some(username.as_str()));
    assert!(sealed.unwrap() > 28, "a sealed token is stored");

    let (out, err) = rig.run(&["poll", "--once", "--platform", "tiktok", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report[0]["outcome"], "ok", "{out}\n{err}");

    // What the database holds equals the simulator's truth for this account.
    let w = &rig.sim.state.world;
    let now = rig.sim.state.now();
    let (_, account) = w.account_by_handle(Platform::Tiktok, &username).unwrap();
    let db = Connection::open(rig.path("jempol.db")).unwrap();
    let mut expected = 0;
    for (_, post) in w.visible_posts(account, now).filter(|(_, p)| w.tagged(p)) {
        if post.posted_at < now - 30 * 86_400 {
            continue;
        }
        expected += 1;
        let counts = w.reported(post, now);
        let stored: (Option<i64>, Option<i64>, Option<i64>, Option<i64>, String) = db
            .query_row(
                "SELECT likes, comments, shares, views, business_key FROM posts_latest
                 WHERE platform = 'tiktok' AND platform_post_id = ?1",
                [&post.id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap_or_else(|e| panic!("video {} not stored: {e}", post.id));
        let as_i64 = |c: Option<u64>| c.map(|c| c as i64);
        assert_eq!(
            (stored.0, stored.1, stored.2, stored.3),
            (
                as_i64(counts.likes),
                as_i64(counts.comments),
                as_i64(counts.shares),
                as_i64(counts.views)
            ),
            "video {}",
            post.id
        );
        assert_eq!(stored.4, key, "credited to the business that connected");
    }
    assert!(expected > 0);
    let untagged: i64 = db
        .query_row(
            "SELECT count(*) FROM posts WHERE platform = 'tiktok'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(untagged, expected, "only the tagged videos are stored");
    let followers: i64 = db
        .query_row(
            "SELECT s.followers FROM account_snapshots s JOIN accounts a ON a.id = s.account_id
             WHERE a.platform = 'tiktok' AND a.handle = ?1 ORDER BY s.taken_at DESC LIMIT 1",
            [&username],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(Some(followers as u64), w.figures(account, now).followers);

    // The view dashboards read names the connection, never a token.
    let (view_status, ends): (String, Option<String>) = db
        .query_row(
            "SELECT status, consent_ends_at FROM business_connections WHERE business_key = ?1",
            [&key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(view_status, "connected");
    assert!(ends.is_some_and(|e| e.ends_with("+07:00")));

    // No token in clear: not in the database, its WAL, serve's log or poll's output.
    assert_no_secret("the database", &database_bytes(&rig.path("jempol.db")));
    assert_no_secret("serve's log", rig.serve_log().as_bytes());
    assert_no_secret("poll's output", format!("{out}{err}").as_bytes());
}

#[test]
fn cancel_on_tiktoks_page_says_so_and_connects_nothing() {
    let mut rig = ConsentRig::new(|_| {});
    rig.start_serve();
    let (key, username) = rig.business_with_tagged_videos(0);
    let (landed, page) = connect_over_http(&rig.link(&key), &username, false, &[]);
    assert!(landed.contains("pesan=batal"), "{landed}");
    assert!(page.contains("Anda membatalkan"), "{page}");
    assert_eq!(connection(&rig, &key), None);
    assert_eq!(
        requests(&rig, "oauth/token"),
        0,
        "no exchange after a cancel"
    );
}

#[test]
fn a_partial_grant_is_saved_as_partial_and_the_page_names_what_is_missing() {
    let mut rig = ConsentRig::new(|_| {});
    rig.start_serve();
    let (key, username) = rig.business_with_tagged_videos(0);
    let (landed, page) = connect_over_http(&rig.link(&key), &username, true, &["user.info.stats"]);
    assert!(landed.contains("pesan=sebagian"), "{landed}");
    assert!(page.contains("user.info.stats"), "{page}");
    assert_eq!(connection(&rig, &key).unwrap().0, "partial");
    // Videos are read; followers, whose scope was refused, are not asked for.
    rig.run(&["poll", "--once", "--platform", "tiktok"]);
    let db = Connection::open(rig.path("jempol.db")).unwrap();
    let posts: i64 = db
        .query_row(
            "SELECT count(*) FROM posts WHERE platform = 'tiktok'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(posts > 0);
    let followers: Option<i64> = db
        .query_row(
            "SELECT max(s.followers) FROM account_snapshots s JOIN accounts a ON a.id = s.account_id WHERE a.handle = ?1",
            [&username],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(followers, None, "unknown, not 0");
}

#[test]
fn a_tampered_or_expired_link_and_a_callback_with_a_wrong_state_are_refused() {
    let mut rig = ConsentRig::new(|_| {});
    rig.start_serve();
    let (key, _) = rig.business_with_tagged_videos(0);
    let link = rig.link(&key);
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // One character of the MAC changed.
    let mut tampered = link.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == '0' { '1' } else { '0' });
    let r = http.get(&tampered).send().unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().unwrap().contains("Tautan tidak dikenal"));
    // Signed with the campaign's key, but expired.
    let vault = jempol::consent::Vault::from_env("K", |_| Some(KEY.into())).unwrap();
    let old =
        jempol::consent::signing::link_token(&vault, &key, jiff::Timestamp::now().as_second() - 1);
    let r = http
        .get(format!("{}/hubungkan/{old}", rig.public))
        .send()
        .unwrap();
    assert_eq!(r.status(), 410);
    assert!(r.text().unwrap().contains("kedaluwarsa"));
    // A form without the page's CSRF value starts nothing.
    let r = http
        .post(format!("{link}/tiktok"))
        .form(&[("csrf", "00")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    // A callback whose state jempol never issued: refused before any exchange.
    let r = http
        .get(format!(
            "{}/oauth/tiktok?code=sim000001*Code!0&scopes=video.list&state=forged",
            rig.public
        ))
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(requests(&rig, "oauth/token"), 0, "nothing reached TikTok");
    // A real state, used twice (a reloaded callback): the second is refused.
    let page = http.get(&link).send().unwrap().text().unwrap();
    let start = http
        .post(format!("{link}/tiktok"))
        .form(&[("csrf", field(&page, "csrf"))])
        .send()
        .unwrap();
    let authorize = url::Url::parse(start.headers()["location"].to_str().unwrap()).unwrap();
    let state = authorize
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .to_string();
    let cancel = format!(
        "{}/oauth/tiktok?error=access_denied&state={state}",
        rig.public
    );
    assert_eq!(http.get(&cancel).send().unwrap().status(), 303);
    assert_eq!(http.get(&cancel).send().unwrap().status(), 400);
}

/// The simulator, `jempol serve`'s web face and the daemon in this process on one
/// simulated clock: for lifetimes (renewal, lapse) that the wall clock would take
/// hours or months to reach.
struct OnOneClock {
    sim: jempol::sim::Simulator,
    writer: jempol::store::Writer,
    config: jempol::config::Config,
    secrets: jempol::config::Secrets,
    public: String,
    _dir: tempfile::TempDir,
    shutdown: tokio::sync::watch::Sender<bool>,
}

impl OnOneClock {
    async fn new(app: impl FnOnce(&mut jempol::sim::tiktok_consent::TiktokApp)) -> OnOneClock {
        use common::consent::{CLIENT_KEY, config_text, free_port};
        let mut sc = common::sim_config(12);
        sc.credentials.tiktok_client_key = Some(CLIENT_KEY.into());
        sc.credentials.tiktok_client_secret = Some(CLIENT_SECRET.into());
        let port = free_port();
        let public = format!("http://127.0.0.1:{port}");
        sc.tiktok_app.webhook_url = Some(format!("{public}/webhooks/tiktok"));
        app(&mut sc.tiktok_app);
        let sim = common::start_sim(sc).await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("jempol.toml");
        std::fs::write(&path, config_text(&sim, &public, port)).unwrap();
        let config = jempol::config::Config::load(&path).unwrap();
        let env = common::consent::ENV;
        let secrets = config
            .secrets(|v| {
                env.iter()
                    .find(|(k, _)| *k == v)
                    .map(|(_, x)| x.to_string())
            })
            .unwrap();
        let mut store = jempol::store::Store::open(&config.database).unwrap();
        let csv = jempol::sim::registry_csv(&sim.state.world);
        store
            .import_registry(
                jempol::registry::reader(csv.as_bytes()).unwrap(),
                0,
                Default::default(),
                |bad| panic!("{bad:?}"),
            )
            .unwrap();
        let (shutdown, rx) = tokio::sync::watch::channel(false);
        let writer = jempol::store::Writer::start(store, config.wal_limit, rx.clone()).unwrap();
        let web = jempol::web::Web::new(
            &config,
            &secrets,
            writer.clone(),
            sim.state.clock.clone(),
            rx.clone(),
        )
        .unwrap();
        let (ready_tx, ready) = tokio::sync::oneshot::channel();
        tokio::spawn(jempol::web::serve(
            web,
            config.consent.listen,
            rx,
            move |_| {
                let _ = ready_tx.send(());
            },
        ));
        ready.await.unwrap();
        OnOneClock {
            sim,
            writer,
            config,
            secrets,
            public,
            _dir: dir,
            shutdown,
        }
    }

    fn link(&self, key: &str) -> String {
        let vault = jempol::consent::Vault::from_env("K", |_| Some(KEY.into())).unwrap();
        let expires = self.sim.state.now() + 30 * 86_400;
        jempol::web::personal_link(&self.public, &vault, key, expires)
    }

    async fn connect(&self, key: &str, username: &str) {
        let (link, user) = (self.link(key), username.to_string());
        let (landed, _) =
            tokio::task::spawn_blocking(move || connect_over_http(&link, &user, true, &[]))
                .await
                .unwrap();
        assert!(landed.contains("pesan=terhubung"), "{landed}");
    }

    async fn cycle(&self) -> Vec<jempol::scheduler::PlatformReport> {
        jempol::scheduler::Daemon::builder(&self.config, &self.secrets, self.writer.clone())
            .clock(self.sim.state.clock.clone())
            .shutdown(self.shutdown.subscribe())
            .build()
            .unwrap()
            .cycle()
            .await
    }

    fn advance_hours(&self, h: i64) {
        self.sim
            .state
            .clock
            .advance(jiff::SignedDuration::from_hours(h));
    }

    async fn connection(&self, key: &str) -> jempol::store::ConsentConnection {
        let key = key.to_string();
        self.writer
            .run(move |s| {
                let (id, _) = s.business_by_key(&key)?.unwrap();
                Ok(s.connections_of(id)?.remove(0))
            })
            .await
            .unwrap()
    }

    fn vault(&self) -> jempol::consent::Vault {
        jempol::consent::Vault::from_env("K", |_| Some(KEY.into())).unwrap()
    }

    /// The stored refresh token, opened.
    async fn refresh_token(&self, key: &str) -> String {
        let c = self.connection(key).await;
        self.vault()
            .open(
                &jempol::consent::token_context(Platform::Tiktok, &c.external_id, "refresh"),
                c.refresh_token.as_deref().unwrap(),
            )
            .unwrap()
    }

    /// What the simulated token endpoint says to a refresh with `token`.
    async fn try_refresh(&self, token: &str) -> serde_json::Value {
        reqwest::Client::new()
            .post(format!("{}/v2/oauth/token/", self.sim.urls.tiktok))
            .form(&[
                ("client_key", common::consent::CLIENT_KEY),
                ("client_secret", CLIENT_SECRET),
                ("grant_type", "refresh_token"),
                ("refresh_token", token),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    fn requests(&self, endpoint: &str) -> u64 {
        self.sim
            .state
            .stats()
            .requests
            .get(&format!("tiktok {endpoint}"))
            .copied()
            .unwrap_or(0)
    }

    fn token_requests(&self) -> u64 {
        // The token endpoint counts every grant type under one name.
        self.requests("oauth/token")
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_near_expiry_is_renewed_once_and_the_rotated_refresh_token_is_the_one_kept() {
    let rig = OnOneClock::new(|_| {}).await;
    let (key, user) = common::consent::business_with_tagged_videos(&rig.sim, 0);
    rig.connect(&key, &user).await;
    let first = rig.refresh_token(&key).await;
    let after_connect = rig.token_requests();
    assert_eq!(rig.cycle().await[0].outcome, jempol::scheduler::Outcome::Ok);
    assert_eq!(
        rig.token_requests(),
        after_connect,
        "a fresh token is used as it is"
    );

    // 2 h tokens: at 1 h 40 min under a fifth of the lifetime is left.
    rig.sim
        .state
        .clock
        .advance(jiff::SignedDuration::from_mins(100));
    let reports = rig.cycle().await;
    assert_eq!(
        reports[0].outcome,
        jempol::scheduler::Outcome::Ok,
        "{reports:?}"
    );
    assert_eq!(
        rig.token_requests(),
        after_connect + 1,
        "exactly one renewal"
    );
    let kept = rig.refresh_token(&key).await;
    assert_ne!(kept, first, "TikTok rotated the refresh token");
    // The old one died with the renewal; the kept one is the live one.
    assert_eq!(rig.try_refresh(&first).await["error"], "invalid_grant");
    assert!(rig.try_refresh(&kept).await["access_token"].is_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lapsed_consent_marks_only_that_business_and_its_link_asks_it_to_reconnect() {
    // Consents of 3 hours, tokens of 2: the first business's consent ends before the second's.
    let rig = OnOneClock::new(|app| app.refresh_ttl = 3 * 3600).await;
    let (a, a_user) = common::consent::business_with_tagged_videos(&rig.sim, 0);
    let (b, b_user) = common::consent::business_with_tagged_videos(&rig.sim, 1);
    rig.connect(&a, &a_user).await;
    rig.advance_hours(2);
    rig.connect(&b, &b_user).await;
    // Listed for the coordinators ahead of time: a ends within two hours, b later.
    let soon = rig.sim.state.now() + 2 * 3600;
    let lapsing = rig
        .writer
        .run(move |s| s.lapsing_connections(soon))
        .await
        .unwrap();
    assert_eq!(
        lapsing
            .iter()
            .map(|l| l.business_key.as_str())
            .collect::<Vec<_>>(),
        [a.as_str()]
    );

    rig.advance_hours(2); // a's consent has ended; b's has an hour left
    let before = rig.token_requests();
    let reports = rig.cycle().await;
    assert_eq!(
        reports[0].outcome,
        jempol::scheduler::Outcome::Ok,
        "the platform goes on: {reports:?}"
    );
    let ca = rig.connection(&a).await;
    assert_eq!(ca.status, jempol::store::ConnectionStatus::NeedsReconsent);
    // b's token (2 h old) was renewed and b's videos read; a's consent was not even tried.
    assert_eq!(
        rig.connection(&b).await.status,
        jempol::store::ConnectionStatus::Connected
    );
    assert_eq!(rig.token_requests(), before + 1);
    let now = rig.sim.state.now();
    let reconnect = rig
        .writer
        .run(move |s| s.lapsing_connections(now))
        .await
        .unwrap();
    assert_eq!(reconnect[0].business_key, a);
    assert_eq!(reconnect[0].ends_at, None);
    // The link says so.
    let link = rig.link(&a);
    let page = reqwest::get(&link).await.unwrap().text().await.unwrap();
    assert!(page.contains("perlu dihubungkan ulang"), "{page}");
    assert!(page.contains("id=\"connect-tiktok\""), "{page}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_renewal_tiktok_refuses_marks_the_business_for_reconsent_and_the_cycle_goes_on() {
    let rig = OnOneClock::new(|app| app.webhook_url = None).await;
    let (a, a_user) = common::consent::business_with_tagged_videos(&rig.sim, 0);
    let (b, b_user) = common::consent::business_with_tagged_videos(&rig.sim, 1);
    rig.connect(&a, &a_user).await;
    rig.connect(&b, &b_user).await;
    // a removes the app in TikTok; the webhook never reaches jempol.
    let removed = reqwest::Client::new()
        .post(format!(
            "{}/__sim/tiktok/remove?username={a_user}",
            rig.sim.urls.root
        ))
        .send()
        .await
        .unwrap();
    assert!(removed.status().is_success());
    let reports = rig.cycle().await;
    assert_eq!(
        reports[0].outcome,
        jempol::scheduler::Outcome::Ok,
        "{reports:?}"
    );
    assert_eq!(
        rig.connection(&a).await.status,
        jempol::store::ConnectionStatus::NeedsReconsent
    );
    assert_eq!(
        rig.connection(&b).await.status,
        jempol::store::ConnectionStatus::Connected
    );
    let videos_of = |user: String| {
        let db = rig.config.database.clone();
        move || -> i64 {
            Connection::open(db)
                .unwrap()
                .query_row(
                    "SELECT count(*) FROM posts p JOIN accounts a ON a.id = p.account_id WHERE a.handle = ?1",
                    [user],
                    |r| r.get(0),
                )
                .unwrap()
        }
    };
    assert_eq!(videos_of(a_user)(), 0);
    assert!(videos_of(b_user)() > 0, "the other business is read");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_removal_in_tiktok_revokes_the_connection_and_a_forged_one_changes_nothing() {
    let rig = OnOneClock::new(|_| {}).await;
    let (key, user) = common::consent::business_with_tagged_videos(&rig.sim, 0);
    rig.connect(&key, &user).await;
    let open_id = rig.connection(&key).await.external_id;
    let http = reqwest::Client::new();
    let webhook = format!("{}/webhooks/tiktok", rig.public);
    let now = rig.sim.state.now();
    let body = serde_json::json!({
        "client_key": common::consent::CLIENT_KEY, "event": "authorization.removed",
        "create_time": now, "user_openid": open_id, "content": "{\"reason\":1}",
    })
    .to_string();
    let sign = |secret: &str, t: i64| {
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret.as_bytes());
        let tag = aws_lc_rs::hmac::sign(&key, format!("{t}.{body}").as_bytes());
        format!("t={t},s={}", jempol::consent::vault::hex(tag.as_ref()))
    };
    for (why, header) in [
        ("another secret", Some(sign("not-the-secret", now))),
        ("a stale signature", Some(sign(CLIENT_SECRET, now - 3600))),
        ("no signature", None),
    ] {
        let mut req = http.post(&webhook).body(body.clone());
        if let Some(h) = header {
            req = req.header("TikTok-Signature", h);
        }
        assert_eq!(req.send().await.unwrap().status(), 401, "{why}");
        assert_eq!(
            rig.connection(&key).await.status,
            jempol::store::ConnectionStatus::Connected,
            "{why}"
        );
    }
    let signed = http
        .post(&webhook)
        .header("TikTok-Signature", sign(CLIENT_SECRET, now))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 200);
    let c = rig.connection(&key).await;
    assert_eq!(c.status, jempol::store::ConnectionStatus::Revoked);
    assert!(
        c.access_token.is_none() && c.refresh_token.is_none(),
        "its tokens are deleted"
    );
    // Delivered again (at least once): still 200, nothing more happens.
    let again = http
        .post(&webhook)
        .header("TikTok-Signature", sign(CLIENT_SECRET, now))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);

    // The simulated TikTok signs its own webhook when another business removes the app.
    let (other, other_user) = common::consent::business_with_tagged_videos(&rig.sim, 1);
    rig.connect(&other, &other_user).await;
    let answer: serde_json::Value = http
        .post(format!(
            "{}/__sim/tiktok/remove?username={other_user}",
            rig.sim.urls.root
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["webhook_status"], 200);
    assert_eq!(
        rig.connection(&other).await.status,
        jempol::store::ConnectionStatus::Revoked
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn disconnect_on_the_page_revokes_at_tiktok_and_deletes_the_tokens() {
    let rig = OnOneClock::new(|_| {}).await;
    let (key, user) = common::consent::business_with_tagged_videos(&rig.sim, 0);
    rig.connect(&key, &user).await;
    let refresh = rig.refresh_token(&key).await;
    let link = rig.link(&key);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http.get(&link).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("id=\"disconnect-tiktok\""), "{page}");
    let done = http
        .post(format!("{link}/tiktok/putuskan"))
        .form(&[("csrf", field(&page, "csrf"))])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 303);
    assert!(
        done.headers()["location"]
            .to_str()
            .unwrap()
            .ends_with("pesan=putus")
    );
    assert_eq!(rig.requests("oauth/revoke"), 1, "revoked at TikTok");
    assert_eq!(
        rig.try_refresh(&refresh).await["error"],
        "invalid_grant",
        "the grant is dead"
    );
    let c = rig.connection(&key).await;
    assert_eq!(c.status, jempol::store::ConnectionStatus::Revoked);
    assert!(c.access_token.is_none() && c.refresh_token.is_none());
    let page = http.get(&link).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Persetujuan dicabut"), "{page}");
}

/// Where the browser spec keeps its screenshots: `$JEMPOL_SCREENSHOTS` (docs/ through
/// `bash docs/screenshots.sh`), else nowhere.
fn screenshot(browser: &common::browser::Browser, name: &str) {
    if let Some(dir) = std::env::var_os("JEMPOL_SCREENSHOTS") {
        browser.screenshot(&std::path::Path::new(&dir).join(name));
    }
}

#[test]
fn in_chromium_a_business_connects_tiktok_cancels_disconnects_and_forged_links_are_refused() {
    use common::browser::{Browser, Screen};
    let Some(phone) = Browser::start(Screen::Phone) else {
        return;
    };
    let mut rig = ConsentRig::new(|_| {});
    rig.start_serve();
    let (key, username) = rig.business_with_tagged_videos(0);
    let link = rig.link(&key);
    let width =
        |b: &Browser| b.eval("return [document.documentElement.scrollWidth, window.innerWidth];");

    phone.goto(&link);
    assert!(phone.text("#card-tiktok").contains("Belum terhubung"));
    assert!(
        phone.text("main").contains("membaca angka saja"),
        "what jempol reads, first"
    );
    let w = width(&phone);
    assert!(
        w[0].as_f64() <= w[1].as_f64(),
        "no sideways scroll on a phone: {w}"
    );
    screenshot(&phone, "consent-connect-phone.png");

    // Connect: jempol's button, TikTok's login and consent pages, back to the link.
    phone.click("#connect-tiktok");
    phone.wait_for_url(&rig.sim.urls.tiktok_auth);
    phone.type_into("#username", &username);
    phone.click("#login");
    assert!(phone.text("#who").contains(&username));
    phone.click("#authorize");
    phone.wait_for_url(&link);
    assert!(
        phone.text("#flash").contains("TikTok terhubung"),
        "{}",
        phone.text("main")
    );
    assert!(phone.text("#card-tiktok").contains(&format!("@{username}")));
    assert!(
        phone
            .text("#card-tiktok")
            .contains("Persetujuan berlaku sampai")
    );
    screenshot(&phone, "consent-connected-phone.png");

    // poll --once reads the business's videos with its own token.
    rig.run(&["poll", "--once", "--platform", "tiktok"]);
    let db = Connection::open(rig.path("jempol.db")).unwrap();
    let stored: i64 = db
        .query_row(
            "SELECT count(*) FROM posts_latest WHERE platform = 'tiktok' AND business_key = ?1",
            [&key],
            |r| r.get(0),
        )
        .unwrap();
    assert!(stored > 0, "the business's videos are stored");

    // Cancel on TikTok's consent page: a clear message, nothing connected.
    let (other, _) = rig.business_with_tagged_videos(1);
    phone.goto(&rig.link(&other));
    phone.click("#connect-tiktok");
    phone.click("#cancel");
    phone.wait_for_url(&format!("{}/hubungkan/", rig.public));
    assert!(
        phone.text("#flash").contains("Anda membatalkan"),
        "{}",
        phone.text("main")
    );
    assert!(phone.text("#card-tiktok").contains("Belum terhubung"));
    screenshot(&phone, "consent-cancelled-phone.png");

    // One Facebook login connects a business's Page and its Instagram account.
    let (meta_key, page, ig) = common::consent::business_with_meta(&rig.sim);
    let meta_link = rig.link(&meta_key);
    phone.goto(&meta_link);
    phone.click("#connect-meta");
    phone.wait_for_url(&rig.sim.urls.facebook_www);
    phone.type_into("#fb-user", &page);
    phone.click("#fb-login");
    assert!(
        phone.text("#asset-ig").contains(&ig),
        "the linked Instagram account is offered"
    );
    phone.click("#fb-continue");
    phone.wait_for_url(&meta_link);
    assert!(
        phone
            .text("#flash")
            .contains("Facebook dan Instagram terhubung"),
        "{}",
        phone.text("main")
    );
    assert!(phone.text("#card-meta").contains(&format!("@{ig}")));
    screenshot(&phone, "consent-meta-connected-phone.png");
    rig.run(&["poll", "--once", "--platform", "instagram"]);
    let with_insights: i64 = db
        .query_row(
            "SELECT count(*) FROM posts_latest WHERE platform = 'instagram' AND business_key = ?1 AND views IS NOT NULL",
            [&meta_key],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        with_insights > 0,
        "Instagram media stored with their insights"
    );

    // A desktop shows the same page in its own width.
    let desktop = Browser::start(Screen::Desktop).unwrap();
    desktop.goto(&format!("{link}?lang=en"));
    assert!(desktop.text("#card-tiktok").contains("Connected as"));
    let w = width(&desktop);
    assert!(w[0].as_f64() <= w[1].as_f64(), "{w}");
    screenshot(&desktop, "consent-connected-desktop.png");

    // Disconnect: revoked at TikTok, the page says consent was withdrawn.
    phone.goto(&link);
    phone.click("#disconnect-tiktok");
    phone.wait_for_url(&format!("{link}?pesan=putus"));
    assert!(phone.text("#flash").contains("Akun diputuskan"));
    assert!(phone.text("#card-tiktok").contains("Persetujuan dicabut"));
    assert_eq!(connection(&rig, &key).unwrap().0, "revoked");
    assert_eq!(requests(&rig, "oauth/revoke"), 1);

    // A tampered link, and a callback with a state jempol never issued.
    phone.goto(&link.replace("/hubungkan/", "/hubungkan/x"));
    assert!(
        phone
            .text("#message")
            .contains("bukan tautan jempol yang sah")
    );
    let exchanges = requests(&rig, "oauth/token");
    phone.goto(&format!(
        "{}/oauth/tiktok?code=abc&state=forged",
        rig.public
    ));
    assert!(phone.text("main").contains("Tautan masuk tidak berlaku"));
    assert_eq!(
        requests(&rig, "oauth/token"),
        exchanges,
        "no exchange for a forged state"
    );
    assert_no_secret("serve's log", rig.serve_log().as_bytes());
}

/// What the database holds of a business's connections on `platform`: (status, handle).
fn meta_connection(
    rig: &ConsentRig,
    key: &str,
    platform: &str,
) -> Option<(String, Option<String>, bool)> {
    let db = Connection::open(rig.path("jempol.db")).unwrap();
    db.query_row(
        "SELECT c.status, c.handle, c.access_token IS NOT NULL FROM connections c
         JOIN businesses b ON b.id = c.business_id WHERE b.key = ?1 AND c.platform = ?2",
        [key, platform],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .ok()
}

#[test]
fn one_facebook_login_connects_the_page_and_its_instagram_and_poll_once_stores_posts_and_insights()
{
    use common::consent::{business_with_meta, connect_meta_over_http};
    let mut rig = ConsentRig::new(|_| {});
    rig.start_serve();
    let (key, page, ig) = business_with_meta(&rig.sim);
    let (landed, html) = connect_meta_over_http(&rig.link(&key), &page, true);
    assert!(landed.contains("pesan=meta-terhubung"), "{landed}");
    assert!(html.contains(&format!("@{ig}")), "{html}");
    assert_eq!(
        meta_connection(&rig, &key, "facebook").unwrap().0,
        "connected"
    );
    assert_eq!(
        meta_connection(&rig, &key, "instagram")
            .unwrap()
            .1
            .as_deref(),
        Some(ig.as_str())
    );

    let (fb_out, fb_err) = rig.run(&[
        "poll",
        "--once",
        "--platform",
        "facebook",
        "--format",
        "json",
    ]);
    let (ig_out, ig_err) = rig.run(&[
        "poll",
        "--once",
        "--platform",
        "instagram",
        "--format",
        "json",
    ]);
    for out in [&fb_out, &ig_out] {
        let r: serde_json::Value = serde_json::from_str(out).unwrap();
        assert_eq!(r[0]["outcome"], "ok", "{out}\n{fb_err}\n{ig_err}");
    }
    let w = &rig.sim.state.world;
    let now = rig.sim.state.now();
    let db = Connection::open(rig.path("jempol.db")).unwrap();
    let stored = |platform: &str,
                  id: &str|
     -> (Option<i64>, Option<i64>, Option<i64>, Option<i64>, String) {
        db.query_row(
            "SELECT likes, comments, shares, views, business_key FROM posts_latest
             WHERE platform = ?1 AND platform_post_id = ?2",
            [platform, id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap_or_else(|e| panic!("{platform} post {id} not stored: {e}"))
    };
    let n = |c: Option<u64>| c.map(|c| c as i64);
    // The Page's tagged posts, read with its own Page token.
    let (_, fb) = w.account_by_handle(Platform::Facebook, &page).unwrap();
    let mut fb_posts = 0;
    for (_, p) in w
        .visible_posts(fb, now)
        .filter(|(_, p)| w.tagged(p) && p.posted_at >= now - 30 * 86_400)
    {
        fb_posts += 1;
        let c = w.reported(p, now);
        let s = stored("facebook", &p.id);
        assert_eq!(
            (s.0, s.1, s.2),
            (n(c.likes), n(c.comments), n(c.shares)),
            "post {}",
            p.id
        );
        assert_eq!(s.4, key);
    }
    assert!(fb_posts > 0);
    // The Instagram media with their insights: views and shares, hidden likes read directly.
    let (_, ig_account) = w.account_by_handle(Platform::Instagram, &ig).unwrap();
    let mut ig_posts = 0;
    for (_, p) in w
        .visible_posts(ig_account, now)
        .filter(|(_, p)| w.tagged(p) && p.posted_at >= now - 30 * 86_400)
    {
        ig_posts += 1;
        let raw = w.raw_counts(p, now);
        let (views, shares) =
            jempol::sim::meta_consent::insight_counts(&rig.sim.state, &p.id).unwrap();
        let s = stored("instagram", &p.id);
        assert_eq!(
            s.0,
            Some(raw.likes as i64),
            "likes of {} (the owner sees hidden likes)",
            p.id
        );
        assert_eq!(s.1, n(w.reported(p, now).comments));
        assert_eq!(s.3, Some(views as i64), "views of {}", p.id);
        assert_eq!(s.2, n(shares), "shares of {} (unknown where refused)", p.id);
        assert_eq!(s.4, key);
    }
    assert!(ig_posts > 0);
    let followers: i64 = db
        .query_row(
            "SELECT s.followers FROM account_snapshots s JOIN accounts a ON a.id = s.account_id
             WHERE a.platform = 'instagram' AND a.handle = ?1 ORDER BY s.taken_at DESC LIMIT 1",
            [&ig],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(Some(followers as u64), w.figures(ig_account, now).followers);
    for (what, text) in [
        ("the database", database_bytes(&rig.path("jempol.db"))),
        ("serve's log", rig.serve_log().into_bytes()),
        (
            "poll's output",
            format!("{fb_out}{fb_err}{ig_out}{ig_err}").into_bytes(),
        ),
    ] {
        let text = String::from_utf8_lossy(&text);
        for needle in ["EAAJsim", "AQDsim", common::consent::APP_SECRET] {
            assert!(!text.contains(needle), "{needle} in {what}");
        }
    }
}

#[test]
fn cancel_on_facebook_and_disconnect_revoke_the_login_and_the_page_tokens_stop_working() {
    use common::consent::{business_with_meta, connect_meta_over_http};
    let mut rig = ConsentRig::new(|_| {});
    rig.start_serve();
    let (key, page, _) = business_with_meta(&rig.sim);
    let link = rig.link(&key);
    let (landed, html) = connect_meta_over_http(&link, &page, false);
    assert!(landed.contains("pesan=meta-batal"), "{landed}");
    assert!(html.contains("Anda membatalkan di halaman Facebook"));
    assert_eq!(meta_connection(&rig, &key, "facebook"), None);

    connect_meta_over_http(&link, &page, true);
    // The Page token jempol keeps, opened with the campaign's key, works now.
    let (page_id, sealed): (String, Vec<u8>) = Connection::open(rig.path("jempol.db"))
        .unwrap()
        .query_row(
            "SELECT external_id, access_token FROM connections WHERE platform = 'facebook'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let vault = jempol::consent::Vault::from_env("K", |_| Some(KEY.into())).unwrap();
    let page_token = vault
        .open(
            &jempol::consent::token_context(Platform::Facebook, &page_id, "access"),
            &sealed,
        )
        .unwrap();
    let read_page = || -> serde_json::Value {
        reqwest::blocking::get(format!(
            "{}/{page_id}?fields=id,followers_count&access_token={page_token}",
            rig.sim.urls.graph
        ))
        .unwrap()
        .json()
        .unwrap()
    };
    assert_eq!(read_page()["id"], page_id.as_str());
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let html = http.get(&link).send().unwrap().text().unwrap();
    let done = http
        .post(format!("{link}/meta/putuskan"))
        .form(&[("csrf", field(&html, "csrf"))])
        .send()
        .unwrap();
    assert_eq!(done.status(), 303);
    for platform in ["facebook", "instagram"] {
        let (status, _, has_token) = meta_connection(&rig, &key, platform).unwrap();
        assert_eq!(
            (status.as_str(), has_token),
            ("revoked", false),
            "{platform}"
        );
    }
    assert_eq!(
        rig.sim
            .state
            .stats()
            .requests
            .get("facebook permissions")
            .copied(),
        Some(1),
        "the login was ended at Meta"
    );
    let refused = read_page();
    assert_eq!(refused["error"]["code"], 190, "{refused}");
    assert_eq!(refused["error"]["error_subcode"], 458, "{refused}");
    // Nothing is read for it any more, and polling goes on.
    let (out, _) = rig.run(&[
        "poll",
        "--once",
        "--platform",
        "facebook",
        "--format",
        "json",
    ]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&out).unwrap()[0]["outcome"],
        "ok"
    );
}

#[test]
fn a_signed_deauthorize_revokes_a_forged_one_is_refused_and_a_deletion_request_gets_a_status_page()
{
    use common::consent::{APP_SECRET, business_with_meta, connect_meta_over_http};
    let mut rig = ConsentRig::new(|_| {});
    rig.start_serve();
    let (key, page, _) = business_with_meta(&rig.sim);
    connect_meta_over_http(&rig.link(&key), &page, true);
    let user = {
        let (id, _) = rig
            .sim
            .state
            .world
            .account_by_handle(Platform::Facebook, &page)
            .unwrap();
        let b = rig.sim.state.world.accounts[id as usize].business.unwrap();
        jempol::sim::meta_consent::user_id(b)
    };
    let http = reqwest::blocking::Client::new();
    let hook = format!("{}/webhooks/meta/deauthorize", rig.public);
    let payload =
        serde_json::json!({"algorithm": "HMAC-SHA256", "issued_at": 1795392000, "user_id": user});
    // Signed with another secret, or a payload changed after signing: refused.
    let forged = jempol::sim::meta_consent::signed_request("not-the-app-secret", &payload);
    assert_eq!(
        http.post(&hook)
            .form(&[("signed_request", forged)])
            .send()
            .unwrap()
            .status(),
        401
    );
    let genuine = jempol::sim::meta_consent::signed_request(APP_SECRET, &payload);
    let (sig, _) = genuine.split_once('.').unwrap();
    let other = jempol::sim::meta_consent::signed_request(
        APP_SECRET,
        &serde_json::json!({"algorithm": "HMAC-SHA256", "user_id": "1"}),
    );
    let swapped = format!("{sig}.{}", other.split_once('.').unwrap().1);
    assert_eq!(
        http.post(&hook)
            .form(&[("signed_request", swapped)])
            .send()
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        meta_connection(&rig, &key, "facebook").unwrap().0,
        "connected"
    );
    // Meta's own deauthorize call, when the owner removes the app in Facebook.
    let removed: serde_json::Value = http
        .post(format!(
            "{}/__sim/meta/remove?page={page}",
            rig.sim.urls.root
        ))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(removed["status"], 200);
    for platform in ["facebook", "instagram"] {
        assert_eq!(
            meta_connection(&rig, &key, platform).unwrap().0,
            "revoked",
            "{platform}"
        );
    }
    // A data-deletion request: a JSON reply with a code and a page that shows its status.
    let deleted: serde_json::Value = http
        .post(format!(
            "{}/__sim/meta/delete?page={page}",
            rig.sim.urls.root
        ))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(deleted["status"], 200, "{deleted}");
    let code = deleted["reply"]["confirmation_code"].as_str().unwrap();
    assert!(code.starts_with("JMP-"), "{deleted}");
    assert!(deleted["reply"]["url"].as_str().unwrap().contains(code));
    assert_eq!(deleted["status_page"], 200);
    let unknown = http
        .get(format!("{}/hapus-data/status?kode=JMP-NOPE", rig.public))
        .send()
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[test]
fn a_page_whose_own_limit_is_spent_waits_while_the_other_pages_are_read() {
    use common::consent::connect_meta_over_http;
    // Small Pages: a dozen calls a day each.
    let mut rig = ConsentRig::with_sim(|c| c.quotas.page_calls_per_day = 12);
    rig.start_serve();
    // Two businesses with a Page that has tagged posts.
    let w = &rig.sim.state.world;
    let now = rig.sim.state.now();
    let pages: Vec<(String, String)> = w
        .businesses
        .iter()
        .filter_map(|b| {
            let page = b
                .accounts
                .iter()
                .map(|&a| &w.accounts[a as usize])
                .find(|a| a.platform == Platform::Facebook)?;
            w.visible_posts(page, now)
                .any(|(_, p)| w.tagged(p) && p.posted_at > now - 20 * 86_400)
                .then(|| (b.key.clone(), page.handle.clone()))
        })
        .take(2)
        .collect();
    assert_eq!(pages.len(), 2);
    for (key, page) in &pages {
        connect_meta_over_http(&rig.link(key), page, true);
    }
    // The first Page's Business Use Case limit is spent (calls with its own token).
    let (page_id, sealed): (String, Vec<u8>) = Connection::open(rig.path("jempol.db"))
        .unwrap()
        .query_row(
            "SELECT c.external_id, c.access_token FROM connections c JOIN businesses b ON b.id = c.business_id
             WHERE b.key = ?1 AND c.platform = 'facebook'",
            [&pages[0].0],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let vault = jempol::consent::Vault::from_env("K", |_| Some(KEY.into())).unwrap();
    let token = vault
        .open(
            &jempol::consent::token_context(Platform::Facebook, &page_id, "access"),
            &sealed,
        )
        .unwrap();
    let limit = rig.sim.state.config.quotas.page_calls_per_day;
    let url = format!(
        "{}/{page_id}?fields=id&access_token={token}",
        rig.sim.urls.graph
    );
    for _ in 0..=limit {
        let _ = reqwest::blocking::get(&url);
    }
    let spent: serde_json::Value = reqwest::blocking::get(&url).unwrap().json().unwrap();
    assert_eq!(spent["error"]["code"], 32, "{spent}");

    let (out, err) = rig.run(&[
        "poll",
        "--once",
        "--platform",
        "facebook",
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        report[0]["outcome"], "ok",
        "one Page's limit does not stop Facebook: {out}\n{err}"
    );
    let db = Connection::open(rig.path("jempol.db")).unwrap();
    let posts_of = |key: &str| -> i64 {
        db.query_row(
            "SELECT count(*) FROM posts_latest WHERE platform = 'facebook' AND business_key = ?1",
            [key],
            |r| r.get(0),
        )
        .unwrap()
    };
    assert_eq!(posts_of(&pages[0].0), 0, "the throttled Page waits");
    assert!(posts_of(&pages[1].0) > 0, "the other Page is read");
    assert_eq!(
        meta_connection(&rig, &pages[0].0, "facebook").unwrap().0,
        "connected",
        "not marked: it only waits"
    );
}

#[test]
fn a_password_change_or_a_lost_page_task_marks_that_business_and_facebook_goes_on() {
    use common::consent::connect_meta_over_http;
    let mut rig = ConsentRig::new(|_| {});
    rig.start_serve();
    let (key, page, _) = common::consent::business_with_meta(&rig.sim);
    connect_meta_over_http(&rig.link(&key), &page, true);
    let http = reqwest::blocking::Client::new();
    http.post(format!(
        "{}/__sim/meta/password?page={page}",
        rig.sim.urls.root
    ))
    .send()
    .unwrap();
    for platform in ["facebook", "instagram"] {
        let (out, err) = rig.run(&["poll", "--once", "--platform", platform, "--format", "json"]);
        let report: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(report[0]["outcome"], "ok", "{platform}: {out}\n{err}");
        assert_eq!(
            meta_connection(&rig, &key, platform).unwrap().0,
            "needs_reconsent",
            "{platform}"
        );
    }
    // Connecting again brings it back; then the person loses their task on the Page.
    connect_meta_over_http(&rig.link(&key), &page, true);
    assert_eq!(
        meta_connection(&rig, &key, "facebook").unwrap().0,
        "connected"
    );
    http.post(format!(
        "{}/__sim/meta/remove-task?page={page}",
        rig.sim.urls.root
    ))
    .send()
    .unwrap();
    rig.run(&["poll", "--once", "--platform", "facebook"]);
    assert_eq!(
        meta_connection(&rig, &key, "facebook").unwrap().0,
        "needs_reconsent"
    );
}

#[test]
fn short_video_list_pages_are_followed_to_the_end_of_the_listing() {
    // Fewer videos than asked on a page while has_more is true (§7.2).
    let mut rig = ConsentRig::new(|app| app.short_pages = true);
    rig.start_serve();
    let (key, username) = rig.business_with_tagged_videos(0);
    connect_over_http(&rig.link(&key), &username, true, &[]);
    rig.run(&["poll", "--once", "--platform", "tiktok"]);
    let w = &rig.sim.state.world;
    let now = rig.sim.state.now();
    let (_, account) = w.account_by_handle(Platform::Tiktok, &username).unwrap();
    let expected: std::collections::BTreeSet<String> = w
        .visible_posts(account, now)
        .filter(|(_, p)| w.tagged(p) && p.posted_at >= now - 30 * 86_400)
        .map(|(_, p)| p.id.clone())
        .collect();
    let db = Connection::open(rig.path("jempol.db")).unwrap();
    let mut stmt = db
        .prepare("SELECT platform_post_id FROM posts WHERE platform = 'tiktok'")
        .unwrap();
    let stored: std::collections::BTreeSet<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(stored, expected);
    assert!(w.visible_posts(account, now).count() >= 2);
    assert!(
        requests(&rig, "video/list") >= 2,
        "the listing took several short pages: {} requests for {} videos",
        requests(&rig, "video/list"),
        w.visible_posts(account, now).count()
    );
}
