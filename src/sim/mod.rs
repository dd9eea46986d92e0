//! A faithful local simulator of the four platform APIs (`jempol sim`), following
//! `../shared/platform-apis.md`. One server; each platform under its own prefix:
//!
//! | platform | base URL |
//! |---|---|
//! | Instagram, Facebook | `{root}/graph/v25.0` (any version is served alike) |
//! | TikTok | `{root}/tiktok` (paths `/v2/...`) |
//! | YouTube | `{root}/youtube/v3` |
//!
//! Control endpoints under `{root}/__sim/`: `truth`, `registry.csv`, `advance`, `faults`,
//! `stats`. Time comes from a [`SimClock`] that an in-process scheduler can share.

// Handlers return an early `Response` as their error: idiomatic in axum, and off any
// hot path, so the size of `Response` does not matter here.
#![allow(clippy::result_large_err)]

pub mod clock;
pub mod faults;
mod graph;
pub mod meta_consent;
mod tiktok;
pub mod tiktok_consent;
pub mod world;
mod youtube;

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::Timestamp;
use serde_json::{Value, json};

pub use clock::SimClock;
pub use faults::{Fault, FaultProfile};
pub use world::{World, WorldConfig};

use crate::platform::Platform;
use crate::time::Clock;

/// Quotas the simulator enforces. Defaults are the platforms' documented defaults.
#[derive(Debug, Clone)]
pub struct Quotas {
    /// YouTube units per Pacific-time day (search 100, others 1).
    pub youtube_units_per_day: u64,
    /// TikTok Research API requests per UTC day.
    pub tiktok_requests_per_day: u64,
    /// TikTok Research API records per UTC day.
    pub tiktok_records_per_day: u64,
    /// Graph platform limit: 200 calls × daily active users per rolling hour. The
    /// simulator assumes 50 users.
    pub graph_calls_per_hour: u64,
    /// Instagram Business Use Case calls per rolling 24 h for the campaign account.
    pub instagram_calls_per_day: u64,
    /// Calls per rolling 24 h per Facebook Page.
    pub page_calls_per_day: u64,
    /// Instagram's unique hashtags per account per rolling 7 days.
    pub ig_unique_hashtags: usize,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            youtube_units_per_day: 10_000,
            tiktok_requests_per_day: 1_000,
            tiktok_records_per_day: 100_000,
            graph_calls_per_hour: 200 * 50,
            instagram_calls_per_day: 4_800 * 100,
            page_calls_per_day: 4_800,
            ig_unique_hashtags: 30,
        }
    }
}

impl Quotas {
    /// Limits high enough that benchmarks measure jempol, not the quotas.
    pub fn unlimited() -> Quotas {
        Quotas {
            youtube_units_per_day: u64::MAX / 4,
            tiktok_requests_per_day: u64::MAX / 4,
            tiktok_records_per_day: u64::MAX / 4,
            graph_calls_per_hour: u64::MAX / 4,
            instagram_calls_per_day: u64::MAX / 4,
            page_calls_per_day: u64::MAX / 4,
            ig_unique_hashtags: 30,
        }
    }
}

/// Credentials the simulator demands. `None`: any non-empty value is accepted.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    pub graph_token: Option<String>,
    pub tiktok_client_key: Option<String>,
    pub tiktok_client_secret: Option<String>,
    pub youtube_key: Option<String>,
}

/// Everything that shapes a simulator run.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub world: WorldConfig,
    /// Simulated seconds per real second (0: only `advance` moves time).
    pub speed: f64,
    pub faults: FaultProfile,
    pub quotas: Quotas,
    pub credentials: Credentials,
    /// How long a `slow` fault holds a response back, in real milliseconds.
    pub slow_ms: u64,
    /// TikTok client tokens live this long (simulated seconds).
    pub token_ttl_secs: i64,
    /// `Retry-After` seconds sent with 429s: a random value in this range.
    pub retry_after_secs: (u32, u32),
    /// Serve Graph's legacy features (multi-ID requests, field aliases, …) as to an app
    /// created before 4 Nov 2026. Off by default: a city sets up a new app, which
    /// Meta refuses them (platform-apis.md, corrections).
    pub graph_legacy_app: bool,
    /// The simulated TikTok Login Kit app (consent, platform-apis-consent.md §10.1).
    pub tiktok_app: tiktok_consent::TiktokApp,
    /// The simulated Meta app (Facebook Login for Business, §10.2).
    pub meta_app: meta_consent::MetaApp,
}

impl SimConfig {
    pub fn new(seed: u64, businesses: usize, start: Timestamp) -> SimConfig {
        SimConfig {
            world: WorldConfig::new(seed, businesses, start),
            speed: 0.0,
            faults: FaultProfile::None,
            quotas: Quotas::default(),
            credentials: Credentials::default(),
            slow_ms: 35_000,
            token_ttl_secs: 7_200,
            retry_after_secs: (1, 2),
            graph_legacy_app: false,
            tiktok_app: tiktok_consent::TiktokApp::default(),
            meta_app: meta_consent::MetaApp::default(),
        }
    }
}

/// Counters the simulator keeps about what it served (`GET /__sim/stats`).
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Stats {
    /// Requests per `platform endpoint`.
    pub requests: BTreeMap<String, u64>,
    /// Requests refused for quota or rate limits, per platform.
    pub quota_refusals: BTreeMap<String, u64>,
    /// Requests refused for a missing or wrong credential, per platform.
    pub auth_failures: BTreeMap<String, u64>,
    pub faults: BTreeMap<String, u64>,
    pub youtube_units_today: u64,
    pub tiktok_requests_today: u64,
    pub tiktok_records_today: u64,
    pub graph_calls_last_hour: u64,
}

struct Mutable {
    faults: faults::FaultState,
    stats: Stats,
    youtube_units: HashMap<String, u64>,
    tiktok_requests: HashMap<String, u64>,
    tiktok_records: HashMap<String, u64>,
    tiktok_tokens: HashMap<String, i64>,
    token_counter: u64,
    graph_calls: VecDeque<i64>,
    graph_buc: HashMap<String, VecDeque<i64>>,
    ig_hashtags: HashMap<String, Vec<(String, i64)>>,
    dead_credentials: HashSet<String>,
    /// TikTok keeps a query's results under its `search_id` (the last few searches).
    tiktok_searches: VecDeque<(String, Arc<Vec<u32>>)>,
    search_counter: u64,
}

/// The simulator's state, shared by all handlers.
pub struct SimState {
    pub world: World,
    pub clock: Arc<SimClock>,
    pub config: SimConfig,
    m: Mutex<Mutable>,
    consent: Mutex<tiktok_consent::ConsentState>,
    meta: Mutex<meta_consent::MetaState>,
}

type Shared = Arc<SimState>;

impl SimState {
    pub fn new(config: SimConfig) -> SimState {
        let clock = Arc::new(SimClock::new(config.world.start, config.speed));
        Self::with_clock(config, clock)
    }

    /// A simulator on a clock shared with the caller (demo, tests).
    pub fn with_clock(config: SimConfig, clock: Arc<SimClock>) -> SimState {
        let world = World::generate(config.world.clone());
        SimState {
            m: Mutex::new(Mutable {
                faults: faults::FaultState::new(
                    config.faults,
                    config.world.seed,
                    config.retry_after_secs,
                ),
                stats: Stats::default(),
                youtube_units: HashMap::new(),
                tiktok_requests: HashMap::new(),
                tiktok_records: HashMap::new(),
                tiktok_tokens: HashMap::new(),
                token_counter: 0,
                graph_calls: VecDeque::new(),
                graph_buc: HashMap::new(),
                ig_hashtags: HashMap::new(),
                dead_credentials: HashSet::new(),
                tiktok_searches: VecDeque::new(),
                search_counter: 0,
            }),
            world,
            clock,
            config,
            consent: Mutex::new(tiktok_consent::ConsentState::default()),
            meta: Mutex::new(meta_consent::MetaState::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Mutable> {
        self.m.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn now(&self) -> i64 {
        self.clock.now().as_second()
    }

    /// Queues faults for the next requests to a platform (per-test injection).
    pub fn inject(&self, platform: Platform, fault: Fault, count: u32) {
        self.lock().faults.inject(platform, fault, count);
    }

    pub fn set_fault_profile(&self, profile: FaultProfile) {
        self.lock().faults.set_profile(profile);
    }

    /// What the simulator has served so far.
    pub fn stats(&self) -> Stats {
        let now = self.now();
        let mut m = self.lock();
        let mut stats = m.stats.clone();
        stats.youtube_units_today = m.youtube_units.get(&pacific_day(now)).copied().unwrap_or(0);
        stats.tiktok_requests_today = m.tiktok_requests.get(&utc_day(now)).copied().unwrap_or(0);
        stats.tiktok_records_today = m.tiktok_records.get(&utc_day(now)).copied().unwrap_or(0);
        prune(&mut m.graph_calls, now - 3600);
        stats.graph_calls_last_hour = m.graph_calls.len() as u64;
        stats.faults = m
            .faults
            .served
            .iter()
            .map(|(k, v)| (format!("{k:?}"), *v))
            .collect();
        stats
    }

    /// Counts a request and draws its fault.
    fn begin(&self, platform: Platform, endpoint: &str) -> Option<Fault> {
        let mut m = self.lock();
        *m.stats
            .requests
            .entry(format!("{platform} {endpoint}"))
            .or_default() += 1;
        m.faults.draw(platform)
    }

    fn refuse_quota(&self, platform: Platform) {
        *self
            .lock()
            .stats
            .quota_refusals
            .entry(platform.to_string())
            .or_default() += 1;
    }

    fn refuse_auth(&self, platform: Platform) {
        *self
            .lock()
            .stats
            .auth_failures
            .entry(platform.to_string())
            .or_default() += 1;
    }

    fn retry_after(&self) -> u32 {
        self.lock().faults.retry_after()
    }

    /// The results kept for a TikTok `search_id`, if any.
    fn tiktok_search(&self, id: &str) -> Option<Arc<Vec<u32>>> {
        self.lock()
            .tiktok_searches
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, v)| v.clone())
    }

    /// Keeps a TikTok search's results; returns its new `search_id`.
    fn keep_tiktok_search(&self, results: Vec<u32>) -> (String, Arc<Vec<u32>>) {
        let mut m = self.lock();
        m.search_counter += 1;
        let id = format!("74238{:014}", m.search_counter);
        let results = Arc::new(results);
        m.tiktok_searches.push_back((id.clone(), results.clone()));
        if m.tiktok_searches.len() > 64 {
            m.tiktok_searches.pop_front();
        }
        (id, results)
    }

    /// Expires a credential of one API (`graph` or `youtube`) for good.
    fn kill_credential(&self, api: &str, credential: &str) {
        self.lock()
            .dead_credentials
            .insert(format!("{api}:{credential}"));
    }

    fn credential_dead(&self, api: &str, credential: &str) -> bool {
        self.lock()
            .dead_credentials
            .contains(&format!("{api}:{credential}"))
    }
}

fn prune(calls: &mut VecDeque<i64>, before: i64) {
    while calls.front().is_some_and(|t| *t <= before) {
        calls.pop_front();
    }
}

/// The YouTube quota day: midnight to midnight Pacific time (platform-apis.md §4).
fn pacific_day(t: i64) -> String {
    let tz = jiff::tz::TimeZone::get("America/Los_Angeles").unwrap_or(jiff::tz::TimeZone::UTC);
    Timestamp::from_second(t)
        .unwrap_or_default()
        .to_zoned(tz)
        .date()
        .to_string()
}

/// The TikTok quota day: midnight to midnight UTC (platform-apis.md §3.4).
fn utc_day(t: i64) -> String {
    Timestamp::from_second(t)
        .unwrap_or_default()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_string()
}

/// RFC 3339 UTC with `Z`, as YouTube writes times.
fn rfc3339(t: i64) -> String {
    Timestamp::from_second(t)
        .unwrap_or_default()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// `+0000` offset without a colon, as the Graph API writes times (platform-apis.md §1.2).
fn graph_time(t: i64) -> String {
    Timestamp::from_second(t)
        .unwrap_or_default()
        .strftime("%Y-%m-%dT%H:%M:%S+0000")
        .to_string()
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=UTF-8")],
        body.to_string(),
    )
        .into_response()
}

/// A page of a simulated platform's own site (login, consent): minimal HTML, escaped.
fn site_page(site: &str, title: &str, body: &str) -> Response {
    use crate::report::html::esc;
    axum::response::Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} | {site} (simulated)</title>\
         <style>body{{font-family:sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}}\
         button{{font-size:1.1rem;padding:.6rem 1.2rem;margin:.3rem}}label{{display:block;margin:.4rem 0}}</style>\
         </head><body><h1>{t}</h1>{body}</body></html>",
        t = esc(title)
    ))
    .into_response()
}

/// A request's parameters as hidden form fields, so that a login or consent form
/// carries them on.
fn hidden_fields(params: &HashMap<String, String>) -> String {
    use crate::report::html::esc;
    let mut keys: Vec<&String> = params.keys().collect();
    keys.sort();
    keys.iter()
        .map(|k| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                esc(k),
                esc(&params[*k])
            )
        })
        .collect()
}

/// The token of an `Authorization: Bearer …` header, if any.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

/// The value of cookie `name` in a request.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(header::COOKIE)?
        .to_str()
        .ok()?
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Applies the body faults (truncated, non-JSON) to a successful JSON answer.
fn finish(
    fault: Option<Fault>,
    status: StatusCode,
    body: Value,
    headers: Vec<(&'static str, String)>,
) -> Response {
    let text = body.to_string();
    let (content_type, text) = match fault {
        // Cut at half, backed off to a character boundary: captions carry "—" and emoji.
        Some(Fault::Truncated) => {
            let mut cut = text.len() / 2;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            ("application/json; charset=UTF-8", text[..cut].to_string())
        }
        Some(Fault::NonJson) => (
            "text/html; charset=UTF-8",
            "<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Sorry, something went wrong.</h1></body></html>".into(),
        ),
        _ => ("application/json; charset=UTF-8", text),
    };
    let mut response = (status, [(header::CONTENT_TYPE, content_type)], text).into_response();
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, v);
        }
    }
    response
}

/// A comma-separated query parameter (`ids`, `id`, `part`, `fields`) as its non-empty,
/// trimmed items.
fn comma_list<'a>(params: &'a HashMap<String, String>, key: &str) -> Vec<&'a str> {
    params
        .get(key)
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// `http://host:port` of the request, for `next` links.
fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// Base URLs of a simulator listening at `root` (e.g. `http://127.0.0.1:8700`).
#[derive(Debug, Clone)]
pub struct BaseUrls {
    pub root: String,
    pub graph: String,
    pub tiktok: String,
    /// TikTok's browser-facing host (the consent page), apart from its API host.
    pub tiktok_auth: String,
    /// Facebook's browser-facing host (the login dialog): `{root}/facebook-www`.
    pub facebook_www: String,
    pub youtube: String,
}

impl BaseUrls {
    pub fn new(root: &str) -> BaseUrls {
        BaseUrls {
            root: root.to_string(),
            graph: format!("{root}/graph/{}", crate::platform::graph_version::DEFAULT),
            tiktok: format!("{root}/tiktok"),
            tiktok_auth: format!("{root}/tiktok-www"),
            facebook_www: format!("{root}/facebook-www"),
            youtube: format!("{root}/youtube/v3"),
        }
    }

    /// The base URL jempol's config should use for `platform`.
    pub fn for_platform(&self, platform: Platform) -> &str {
        match platform {
            Platform::Instagram | Platform::Facebook => &self.graph,
            Platform::Tiktok => &self.tiktok,
            Platform::Youtube => &self.youtube,
        }
    }
}

/// The simulator's HTTP routes.
pub fn router(state: Shared) -> Router {
    Router::new()
        .merge(graph::routes())
        .merge(tiktok::routes())
        .merge(tiktok_consent::routes())
        .merge(meta_consent::routes())
        .merge(youtube::routes())
        .route("/__sim/truth", get(truth))
        .route("/__sim/registry.csv", get(registry_csv_route))
        .route("/__sim/advance", post(advance))
        .route("/__sim/faults", post(set_faults))
        .route("/__sim/stats", get(stats))
        .with_state(state)
}

/// A running simulator.
pub struct Simulator {
    pub state: Shared,
    pub addr: SocketAddr,
    pub urls: BaseUrls,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Simulator {
    /// Starts the simulator on `bind` (port 0 picks a free port) inside the current
    /// tokio runtime.
    pub async fn start(state: SimState, bind: SocketAddr) -> std::io::Result<Simulator> {
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(state);
        let app = router(state.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Simulator {
            urls: BaseUrls::new(&format!("http://{addr}")),
            state,
            addr,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// Stops serving and waits for open connections to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

// ---- control endpoints ----

#[derive(serde::Deserialize)]
struct TruthQuery {
    platform: Option<String>,
}

/// Every post's and account's counts as the platforms report them now.
pub fn truth_json(state: &SimState, platform: Option<Platform>) -> Value {
    let w = &state.world;
    let now = state.now();
    let key = |a: &world::SimAccount| a.business.map(|b| w.businesses[b as usize].key.clone());
    let posts: Vec<Value> = w
        .posts
        .iter()
        .filter(|p| p.posted_at <= now && platform.is_none_or(|x| x == p.platform))
        .map(|p| {
            let account = &w.accounts[p.account as usize];
            let deleted = p.deleted_at.filter(|d| *d <= now);
            // A deleted post's last servable counts are those just before deletion.
            let counts = w.reported(p, deleted.map_or(now, |d| d - 1));
            json!({
                "platform": p.platform,
                "id": p.id,
                "account_handle": account.handle,
                "account_user_id": account.user_id,
                "business_key": key(account),
                "tagged": w.tagged(p),
                "posted_at": rfc3339(p.posted_at),
                "deleted": deleted.is_some(),
                "deleted_at": deleted.map(rfc3339),
                "likes": counts.likes,
                "comments": counts.comments,
                "shares": counts.shares,
                "views": counts.views,
            })
        })
        .collect();
    let accounts: Vec<Value> = w
        .accounts
        .iter()
        .filter(|a| platform.is_none_or(|x| x == a.platform))
        .map(|a| {
            let f = w.figures(a, now);
            json!({
                "platform": a.platform,
                "handle": a.handle,
                "user_id": a.user_id,
                "business_key": key(a),
                "discoverable": !a.personal,
                "followers": f.followers,
                "following": f.following,
                "media_count": f.media_count,
                "total_likes": f.total_likes,
                "total_views": f.total_views,
            })
        })
        .collect();
    json!({
        "now": rfc3339(now),
        "hashtag": w.config.hashtag,
        "posts": posts,
        "accounts": accounts,
    })
}

async fn truth(State(state): State<Shared>, Query(q): Query<TruthQuery>) -> Response {
    let platform = match q.platform.as_deref().map(str::parse::<Platform>) {
        Some(Err(e)) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
        Some(Ok(p)) => Some(p),
        None => None,
    };
    json_response(StatusCode::OK, &truth_json(&state, platform))
}

/// The registered businesses as `jempol businesses import` reads them. Handles are
/// written in the varied ways people type them, to exercise normalisation.
pub fn registry_csv(world: &World) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(crate::registry::HEADER);
    for (i, b) in world.businesses.iter().enumerate() {
        let handle = |platform: Platform| -> String {
            let Some(a) = b
                .accounts
                .iter()
                .map(|&a| &world.accounts[a as usize])
                .find(|a| a.platform == platform)
            else {
                return String::new();
            };
            match (platform, i % 3) {
                (Platform::Instagram, 0) => format!("@{}", a.handle),
                (Platform::Instagram, 1) => format!("https://www.instagram.com/{}/", a.handle),
                (Platform::Tiktok, 1) => format!("https://www.tiktok.com/@{}", a.handle),
                (Platform::Facebook, 0) => a.user_id.clone(),
                (Platform::Facebook, 2) => format!("https://www.facebook.com/{}", a.handle),
                (Platform::Youtube, 1) => a.user_id.clone(),
                (Platform::Youtube, 2) => format!("https://www.youtube.com/{}", a.handle),
                _ => a.handle.clone(),
            }
        };
        let _ = w.write_record([
            b.key.as_str(),
            b.name.as_str(),
            b.category,
            b.district,
            &handle(Platform::Instagram),
            &handle(Platform::Tiktok),
            &handle(Platform::Facebook),
            &handle(Platform::Youtube),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

async fn registry_csv_route(State(state): State<Shared>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/csv; charset=UTF-8")],
        registry_csv(&state.world),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
struct AdvanceQuery {
    hours: f64,
}

async fn advance(State(state): State<Shared>, Query(q): Query<AdvanceQuery>) -> Response {
    if !q.hours.is_finite() || q.hours < 0.0 {
        return (
            StatusCode::BAD_REQUEST,
            "hours must be a non-negative number",
        )
            .into_response();
    }
    state
        .clock
        .advance(jiff::SignedDuration::from_secs_f64(q.hours * 3600.0));
    json_response(StatusCode::OK, &json!({"now": rfc3339(state.now())}))
}

#[derive(serde::Deserialize)]
struct FaultQuery {
    profile: Option<String>,
    inject: Option<String>,
    platform: Option<String>,
    count: Option<u32>,
}

async fn set_faults(State(state): State<Shared>, Query(q): Query<FaultQuery>) -> Response {
    if let Some(profile) = &q.profile {
        match profile.parse::<FaultProfile>() {
            Ok(p) => state.set_fault_profile(p),
            Err(e) => return (StatusCode::BAD_REQUEST, e).into_response(),
        }
    }
    if let Some(kind) = &q.inject {
        let fault = match kind.parse::<Fault>() {
            Ok(f) => f,
            Err(e) => return (StatusCode::BAD_REQUEST, e).into_response(),
        };
        let platforms: Vec<Platform> = match q.platform.as_deref().map(str::parse::<Platform>) {
            None => Platform::ALL.to_vec(),
            Some(Ok(p)) => vec![p],
            Some(Err(e)) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
        };
        for p in platforms {
            state.inject(p, fault, q.count.unwrap_or(1));
        }
    }
    let profile = state.lock().faults.profile;
    json_response(StatusCode::OK, &json!({"profile": profile}))
}

async fn stats(State(state): State<Shared>) -> Response {
    json_response(
        StatusCode::OK,
        &serde_json::to_value(state.stats()).unwrap_or_default(),
    )
}

/// The Instagram professional account id the written config uses for the campaign.
pub const CAMPAIGN_IG_USER_ID: &str = "17841400000000001";

/// A complete jempol config pointing every platform at this simulator.
pub fn jempol_config(urls: &BaseUrls, hashtag: &str, database: &str) -> String {
    config_text(
        urls,
        &ConfigFor {
            hashtag,
            database,
            written_by: "`jempol sim --write-config`",
            requests_per_second: 200,
        },
    )
}

/// What a config pointed at the simulator says beside the simulator's addresses.
#[derive(Debug, Clone, Copy)]
pub struct ConfigFor<'a> {
    pub hashtag: &'a str,
    pub database: &'a str,
    /// Named in the file's first line (a command, in backticks).
    pub written_by: &'a str,
    /// Each platform's pace: a local simulator can take requests faster than the real
    /// platforms'.
    pub requests_per_second: u32,
}

/// A config whose every platform points at the simulator at `urls`.
pub fn config_text(urls: &BaseUrls, c: &ConfigFor<'_>) -> String {
    format!(
        r#"# Written by {written_by}: every platform points at the simulator.
# The simulator accepts any non-empty credential; set the variables below to anything.

[campaign]
name = "Gerakan UMKM Digital Sedekah Jempol (simulator)"
hashtags = ["{hashtag}"]
timezone = "Asia/Jakarta"

[storage]
database = "{database}"

# A local simulator can take requests faster than the real platforms' pacing.
[platforms.instagram]
base_url = "{graph}"
ig_user_id = "{ig}"
access_token_env = "JEMPOL_INSTAGRAM_TOKEN"
requests_per_second = {rps}

[platforms.facebook]
base_url = "{graph}"
access_token_env = "JEMPOL_FACEBOOK_TOKEN"
requests_per_second = {rps}

[platforms.tiktok]
base_url = "{tiktok}"
client_key_env = "JEMPOL_TIKTOK_CLIENT_KEY"
client_secret_env = "JEMPOL_TIKTOK_CLIENT_SECRET"
requests_per_second = {rps}

[platforms.youtube]
base_url = "{youtube}"
api_key_env = "JEMPOL_YOUTUBE_API_KEY"
requests_per_second = {rps}
"#,
        written_by = c.written_by,
        hashtag = c.hashtag,
        database = c.database,
        rps = c.requests_per_second,
        graph = urls.graph,
        tiktok = urls.tiktok,
        youtube = urls.youtube,
        ig = CAMPAIGN_IG_USER_ID,
    )
}

/// The environment variables the written config names, with placeholder values.
pub const CONFIG_ENV: [&str; 5] = [
    "JEMPOL_INSTAGRAM_TOKEN",
    "JEMPOL_FACEBOOK_TOKEN",
    "JEMPOL_TIKTOK_CLIENT_KEY",
    "JEMPOL_TIKTOK_CLIENT_SECRET",
    "JEMPOL_YOUTUBE_API_KEY",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_truncated_body_is_cut_between_characters() {
        // Every cut point falls inside some multi-byte character for one of these.
        for pad in 0..4 {
            let body = json!({ "message": format!("{}— 👍 #UMKM", "x".repeat(pad)) });
            let text = body.to_string();
            let response = finish(Some(Fault::Truncated), StatusCode::OK, body, Vec::new());
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            let bytes = runtime
                .block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
                .unwrap();
            let cut = std::str::from_utf8(&bytes).expect("valid UTF-8");
            assert!(text.starts_with(cut) && cut.len() < text.len());
        }
    }
}
