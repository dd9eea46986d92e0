//! The polling daemon: for each enabled platform, a cycle of discovery, account reads
//! and refreshes of due posts, within quota, resumable after a crash, stoppable by a
//! signal. The scheduler talks to platforms only through [`PlatformClient`].

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::watch;
use tracing::Instrument;

use crate::alert::Alerter;
use crate::config::{Config, Credentials, MetaApi, Schedule, Secrets, TiktokApi};
use crate::daily::{ChildProcess, DailyJob};
use crate::hashtag::Hashtag;
use crate::model::DiscoveryState;
pub use crate::model::Outcome;
use crate::platform::http::{ApiError, Http, HttpSettings, RetryPolicy, as_refresh};
use crate::platform::pager::{End, Page, Pager};
use crate::platform::{
    Client, Harvest, Platform, PlatformClient, facebook, feed, instagram, tiktok, youtube,
};
use crate::push::PushRetry;
use crate::quota::Budgets;
use crate::store::{CLOCK_SLACK, Store, StoreError, SyncState, Writer};
use crate::time::{Clock, SystemClock};

/// Query name under which discovery keeps its cursor in `sync_state`.
const DISCOVERY: &str = "discovery";
/// Discovery looks this far behind its previous completion (late-indexed posts).
const DISCOVERY_OVERLAP: i64 = 86_400;
/// One discovery: pages until the listing ends (a page stores itself and its cursor).
const DISCOVERY_PAGES: Pager = Pager::new(10_000);
/// Items (posts and account figures) fetched ahead of the store, beyond the batch being
/// fetched: bounded, since each is held in memory until stored.
const BACKLOG_ITEMS: usize = 5_000;
/// Waiting batches are merged into one transaction up to about this many items.
const MERGED_ITEMS: usize = 2_000;

/// What went wrong setting up the daemon.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
    #[error("no platform is enabled{0}")]
    NothingToPoll(String),
    #[error(transparent)]
    Vault(#[from] crate::consent::VaultError),
}

/// One platform's cycle, as `poll --once` reports it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PlatformReport {
    pub platform: Platform,
    pub outcome: Outcome,
    pub requests: u64,
    pub items_seen: u64,
    pub new_posts: u64,
    pub snapshots: u64,
    pub error: Option<String>,
    /// Set when the quota stopped the cycle: when the next window starts (RFC 3339 in
    /// JSON).
    #[serde(serialize_with = "rfc3339")]
    pub quota_until: Option<Timestamp>,
    /// The platform refused the credential (the cycle failed for it).
    pub credential_rejected: bool,
}

fn rfc3339<S: serde::Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_some(&t.to_string()),
        None => s.serialize_none(),
    }
}

/// The daemon: clients, budgets and the writer they store through. Each platform's
/// cycle is a task of its own, so one platform's responses are read while another's are
/// stored.
pub struct Daemon {
    core: Arc<Core>,
}

/// What the platforms' tasks share.
struct Core {
    writer: Writer,
    clock: Arc<dyn Clock>,
    clients: Vec<Client>,
    budgets: Arc<Budgets>,
    schedule: Schedule,
    shutdown: watch::Receiver<bool>,
    /// Keeps a default `shutdown` open (a closed one would read as a request to stop).
    _never: Option<watch::Sender<bool>>,
    daily: Option<DailyJob>,
    alerts: Option<Alerter>,
}

/// Assembles a [`Daemon`]: the one place where a config becomes clients, budgets and the
/// writer they share. Made by [`Daemon::builder`]; everything but the config, the
/// secrets and the writer has a default (the system clock, no shutdown signal, every
/// enabled platform, the default retries, reports written inside the daemon).
pub struct DaemonBuilder<'a> {
    config: &'a Config,
    secrets: &'a Secrets,
    writer: Writer,
    clock: Arc<dyn Clock>,
    shutdown: Option<watch::Receiver<bool>>,
    only: Option<Platform>,
    retry: RetryPolicy,
    report_process: Option<ChildProcess>,
    push_retry: Option<PushRetry>,
}

impl<'a> DaemonBuilder<'a> {
    /// How reports' summaries and alerts are sent again (tests shorten the waits).
    pub fn push_retry(mut self, policy: PushRetry) -> Self {
        self.push_retry = Some(policy);
        self
    }

    /// The clock cycles and reports go by (a simulated one in tests and the demo).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Stops the daemon (between requests; the transaction under way ends) once `true`.
    pub fn shutdown(mut self, shutdown: watch::Receiver<bool>) -> Self {
        self.shutdown = Some(shutdown);
        self
    }

    /// Polls only this platform.
    pub fn only(mut self, platform: Option<Platform>) -> Self {
        self.only = platform;
        self
    }

    /// How failed requests are retried.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Writes daily reports in a child process (see [`ChildProcess`]), as `jempol run`
    /// does.
    pub fn report_in_child_process(mut self, child: ChildProcess) -> Self {
        self.report_process = Some(child);
        self
    }

    /// Builds a client for every enabled platform (or only the one asked for).
    pub fn build(self) -> Result<Daemon, DaemonError> {
        let core = Core::new(self)?;
        Ok(Daemon {
            core: Arc::new(core),
        })
    }
}

impl Daemon {
    /// Starts assembling a daemon that polls what `config` enables with `secrets`, and
    /// stores through `writer`.
    pub fn builder<'a>(
        config: &'a Config,
        secrets: &'a Secrets,
        writer: Writer,
    ) -> DaemonBuilder<'a> {
        DaemonBuilder {
            config,
            secrets,
            writer,
            clock: Arc::new(SystemClock),
            shutdown: None,
            only: None,
            retry: RetryPolicy::default(),
            report_process: None,
            push_retry: None,
        }
    }

    /// Requests sent so far per platform (for progress displays).
    pub fn requests(&self) -> Vec<(Platform, u64)> {
        self.core.requests()
    }

    /// One cycle of every platform, side by side: each a task of its own on the runtime.
    pub async fn cycle(&self) -> Vec<PlatformReport> {
        self.core.notice_clock_step_back().await;
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..self.core.clients.len() {
            let core = self.core.clone();
            let span = tracing::info_span!("cycle", platform = %core.clients[i].platform());
            tasks.spawn(async move {
                let client = &core.clients[i];
                (i, core.platform_cycle(client).instrument(span).await)
            });
        }
        let mut reports = Vec::new();
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(report) => reports.push(report),
                Err(e) => match e.try_into_panic() {
                    Ok(panic) => std::panic::resume_unwind(panic),
                    Err(e) => tracing::error!(error = %e, "a platform's cycle was cancelled"),
                },
            }
        }
        reports.sort_by_key(|(i, _)| *i);
        crate::release_free_memory();
        let reports: Vec<PlatformReport> = reports.into_iter().map(|(_, r)| r).collect();
        if let Some(alerts) = &self.core.alerts {
            alerts
                .after_cycle(&self.core.writer, &reports, self.core.now())
                .await;
        }
        reports
    }

    /// Writes the daily report if one is due (see [`crate::daily::DailyJob`]);
    /// returns the files written.
    pub async fn daily_report(&self) -> Vec<std::path::PathBuf> {
        let written = self.core.daily_report().await;
        if !written.is_empty() {
            crate::release_free_memory();
        }
        written
    }

    /// Cycles on the schedule until shutdown. The first starts at once and resumes any
    /// pagination a crash interrupted.
    pub async fn run(&self) {
        let mut shutdown = self.core.shutdown.clone();
        loop {
            let started = self.core.clock.now();
            let reports = self.cycle().await;
            for r in &reports {
                tracing::info!(platform = %r.platform, outcome = r.outcome.as_str(), requests = r.requests, items = r.items_seen, new_posts = r.new_posts, error = r.error.as_deref().unwrap_or(""), "cycle finished");
            }
            if *shutdown.borrow() {
                return;
            }
            // A slow report (or Telegram, 20 s timeout) must not hold up a shutdown:
            // files are renamed into place whole, so stopping mid-report loses nothing.
            tokio::select! {
                _ = self.daily_report() => {}
                _ = shutdown.wait_for(|s| *s) => return,
            }
            let next = started + SignedDuration::from_secs(self.core.schedule.cycle);
            tracing::info!(next = %next, "next cycle scheduled");
            // A clock stepped back below this cycle's start would hold the next one
            // back by as much: it starts at once instead.
            while (started..next).contains(&self.core.clock.now()) {
                let wait = self
                    .core
                    .clock
                    .real_wait(next)
                    .unwrap_or(Duration::from_millis(50))
                    .clamp(Duration::from_millis(1), Duration::from_secs(1));
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.wait_for(|s| *s) => return,
                }
            }
        }
    }
}

impl Core {
    fn new(b: DaemonBuilder<'_>) -> Result<Core, DaemonError> {
        let DaemonBuilder {
            config,
            secrets,
            writer,
            clock,
            shutdown,
            only,
            retry,
            report_process,
            push_retry,
        } = b;
        let (never, shutdown) = match shutdown {
            Some(shutdown) => (None, shutdown),
            None => {
                let (tx, rx) = watch::channel(false);
                (Some(tx), rx)
            }
        };
        let platforms: Vec<_> = config
            .platforms
            .iter()
            .filter(|p| only.is_none_or(|o| o == p.platform))
            .collect();
        if platforms.is_empty() {
            return Err(DaemonError::NothingToPoll(
                only.map(|p| format!(": {p} is not enabled in the config"))
                    .unwrap_or_default(),
            ));
        }
        let limits = crate::quota::limits(config);
        let budgets = Arc::new(Budgets::new(writer.clone(), clock.clone(), limits));
        let all_secrets: Vec<String> = secrets.values().map(|s| s.expose().to_string()).collect();
        let tags: Vec<Hashtag> = config.campaign.hashtags.clone();
        let mut clients = Vec::new();
        for pc in platforms {
            let settings = HttpSettings {
                timeout: Duration::from_secs(u64::from(pc.timeout_seconds)),
                connect_timeout: Duration::from_secs(10),
                requests_per_second: pc.requests_per_second,
                retry: retry.clone(),
            };
            let http = Http::new(
                pc.platform,
                &settings,
                all_secrets.clone(),
                budgets.clone(),
                shutdown.clone(),
            )
            .map_err(|e| DaemonError::Http(e.to_string()))?;
            // Each credential by its name, matched with the platform it belongs to.
            let consent_keeper = |oauth| -> Result<Arc<crate::consent::Keeper>, DaemonError> {
                let vault = crate::consent::Vault::from_env(&config.consent.secret_key_env, |v| {
                    secrets.get(v).map(|s| s.expose().to_string())
                })?;
                Ok(Arc::new(crate::consent::Keeper::new(
                    pc.platform,
                    writer.clone(),
                    Arc::new(vault),
                    oauth,
                    clock.clone(),
                )))
            };
            clients.push(match secrets.credentials(pc) {
                Credentials::Instagram { .. } if pc.meta_api == MetaApi::Consent => {
                    Client::InstagramOwn(instagram::own::InstagramOwn::new(
                        http.app_usage_only(),
                        &pc.base_url,
                        tags.clone(),
                        consent_keeper(None)?,
                    ))
                }
                Credentials::Facebook { .. } if pc.meta_api == MetaApi::Consent => {
                    Client::Facebook(
                        facebook::Facebook::new(
                            http.app_usage_only(),
                            &pc.base_url,
                            String::new(),
                            tags.clone(),
                            false,
                        )
                        .with_consent(consent_keeper(None)?),
                    )
                }
                Credentials::Instagram { access_token } => {
                    let week_ago = clock.now().as_second() - 7 * 86_400;
                    let (ids, searched) = writer.run_blocking(move |s| {
                        Ok((
                            s.hashtag_ids(Platform::Instagram)?,
                            s.hashtags_searched_since(Platform::Instagram, week_ago)?,
                        ))
                    })?;
                    Client::Instagram(instagram::Instagram::new(
                        http,
                        &pc.base_url,
                        pc.ig_user_id.as_deref().unwrap_or_default(),
                        access_token.expose().to_string(),
                        tags.clone(),
                        ids,
                        searched,
                    ))
                }
                Credentials::Facebook { access_token } => {
                    Client::Facebook(facebook::Facebook::new(
                        http,
                        &pc.base_url,
                        access_token.expose().to_string(),
                        tags.clone(),
                        pc.multi_id_requests,
                    ))
                }
                Credentials::Tiktok {
                    client_key,
                    client_secret,
                } if pc.tiktok_api == TiktokApi::Display => {
                    // Token renewals: unmetered (not Display API calls), same pacing.
                    let oauth_http = Http::new(
                        pc.platform,
                        &settings,
                        all_secrets.clone(),
                        Arc::new(crate::platform::http::Unmetered),
                        shutdown.clone(),
                    )
                    .map_err(|e| DaemonError::Http(e.to_string()))?;
                    let oauth = crate::consent::tiktok::TiktokOauth::new(
                        oauth_http,
                        pc.auth_url.as_deref().unwrap_or_default(),
                        &pc.base_url,
                        client_key.expose().to_string(),
                        client_secret.expose().to_string(),
                    );
                    Client::TiktokDisplay(tiktok::display::TiktokDisplay::new(
                        http,
                        &pc.base_url,
                        tags.clone(),
                        consent_keeper(Some(Arc::new(oauth)))?,
                    ))
                }
                Credentials::Tiktok {
                    client_key,
                    client_secret,
                } => Client::Tiktok(tiktok::Tiktok::new(
                    http,
                    &pc.base_url,
                    client_key.expose().to_string(),
                    client_secret.expose().to_string(),
                    tags.clone(),
                    clock.clone(),
                )),
                Credentials::Youtube { api_key } => Client::Youtube(youtube::Youtube::new(
                    http,
                    &pc.base_url,
                    api_key.expose().to_string(),
                    tags.clone(),
                )),
            });
        }
        let now = clock.now().as_second();
        writer.run_blocking(move |s| s.close_abandoned_runs(now))?;
        let mut daily = DailyJob::new(config, secrets);
        let mut alerts = Alerter::new(config, secrets);
        if let Some(policy) = push_retry {
            daily = daily.map(|d| d.with_push_retry(policy));
            alerts = alerts.map(|a| a.with_push_retry(policy));
        }
        if let (Some(daily), Some(child)) = (daily.as_mut(), report_process) {
            daily.in_child_process(child);
        }
        Ok(Core {
            writer,
            clock,
            clients,
            budgets,
            schedule: config.schedule,
            shutdown,
            _never: never,
            daily,
            alerts,
        })
    }

    /// A clock stepped back leaves times from the future in the database; polling
    /// carries on from the clock as it is now (see [`Store::pull_back_future_marks`]).
    async fn notice_clock_step_back(&self) {
        let now = self.now();
        let tiers = self.schedule.tiers;
        let moved = self
            .writer
            .run(move |store| match store.clock_ahead(now)? {
                Some(latest) => Ok(Some((latest, store.pull_back_future_marks(now, &tiers)))),
                None => Ok(None),
            })
            .await;
        let (latest, pulled) = match moved {
            Ok(Some(found)) => found,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "cannot compare the database's times with the clock");
                return;
            }
        };
        let ahead = SignedDuration::from_secs(latest - now);
        let ahead = ahead.round(jiff::Unit::Minute).unwrap_or(ahead);
        match pulled {
            Ok((posts, accounts)) => tracing::warn!(
                ahead = %ahead,
                posts,
                accounts,
                "the database holds times ahead of this clock (it was stepped back): \
                 those posts and accounts are due again now; days after today may hold \
                 figures taken with the wrong clock"
            ),
            Err(e) => {
                tracing::warn!(error = %e, "the clock stepped back and the refresh marks could not be moved")
            }
        }
    }

    fn now(&self) -> i64 {
        self.clock.now().as_second()
    }

    /// Requests sent so far per platform (for progress displays).
    fn requests(&self) -> Vec<(Platform, u64)> {
        self.clients
            .iter()
            .map(|c| (c.platform(), c.requests()))
            .collect()
    }

    /// Writes the daily report if one is due (see [`crate::daily::DailyJob`]);
    /// returns the files written.
    async fn daily_report(&self) -> Vec<std::path::PathBuf> {
        match &self.daily {
            Some(job) => job.tick(&self.writer, self.clock.now()).await,
            None => Vec::new(),
        }
    }

    async fn platform_cycle(&self, client: &Client) -> PlatformReport {
        let platform = client.platform();
        let cycle_start = self.now();
        self.budgets.new_cycle(platform);
        let requests_before = client.requests();
        let mut report = PlatformReport {
            platform,
            outcome: Outcome::Ok,
            requests: 0,
            items_seen: 0,
            new_posts: 0,
            snapshots: 0,
            error: None,
            quota_until: None,
            credential_rejected: false,
        };
        let run_id = self
            .writer
            .run(move |s| s.start_run(platform, cycle_start))
            .await
            .ok();

        let steps: [Step; 3] = [Step::Discovery, Step::Accounts, Step::Refresh];
        for step in steps {
            let result = match step {
                Step::Discovery => self.discover(client, &mut report).await,
                Step::Accounts => self.read_accounts(client, &mut report).await,
                Step::Refresh => as_refresh(self.refresh(client, cycle_start, &mut report)).await,
            };
            if let Err(StepError::Api(ApiError::Reserved(why))) = &result {
                tracing::info!(step = ?step, "{why}; the step goes on next cycle");
                continue;
            }
            if let Err(e) = result {
                let message = e.to_string();
                // A spent quota is the budget at work: said, not warned about.
                if matches!(e, StepError::Api(ApiError::Budget(_) | ApiError::Quota(_))) {
                    tracing::info!(step = ?step, reason = %message, "quota spent; the step waits for its next window");
                } else {
                    tracing::warn!(step = ?step, error = %message, "step failed");
                }
                report.error = Some(message.clone());
                match e {
                    StepError::Api(ApiError::Interrupted) => {
                        report.outcome = Outcome::Interrupted;
                        break;
                    }
                    // The quota, not a fault: the cycle did what it allowed.
                    StepError::Api(ref api @ (ApiError::Budget(_) | ApiError::Quota(_))) => {
                        if report.outcome == Outcome::Ok {
                            report.outcome = Outcome::QuotaSpent;
                        }
                        // jempol's own budget renews with its window; the platform's
                        // refusals (Instagram's weekly hashtag limit among them) may not.
                        if matches!(api, ApiError::Budget(_)) {
                            report.quota_until = self.budgets.renewed_at(platform);
                        }
                        break;
                    }
                    StepError::Api(ref api) if api.stops_platform() => {
                        report.outcome = if report.items_seen > 0 {
                            Outcome::Partial
                        } else {
                            Outcome::Failed
                        };
                        if matches!(api, ApiError::Auth(_) | ApiError::TokenRefused(_)) {
                            tracing::error!(%platform, error = %message, "credential rejected: this platform stops until the credential is fixed; the others go on");
                            report.outcome = Outcome::Failed;
                            report.credential_rejected = true;
                        }
                        break;
                    }
                    _ => report.outcome = Outcome::Partial,
                }
            }
        }
        report.requests = client.requests() - requests_before;
        if let Some(id) = run_id {
            let (now, outcome, requests, items) = (
                self.now(),
                report.outcome,
                report.requests,
                report.items_seen,
            );
            let error = report.error.clone();
            let _ = self
                .writer
                .run(move |s| s.finish_run(id, now, outcome, requests, items, error.as_deref()))
                .await;
        }
        report
    }

    /// Pages of discovery, each stored with the cursor after it.
    async fn discover(
        &self,
        client: &Client,
        report: &mut PlatformReport,
    ) -> Result<(), StepError> {
        let platform = client.platform();
        let now = self.now();
        let saved = self
            .with_store(move |s| s.sync_state(platform, DISCOVERY))
            .await?
            .unwrap_or_default();
        let state = DiscoveryState::parse(saved.state.as_deref());
        // A mark from the future (the clock stepped back since) counts as never written.
        let completed = state.completed_at.filter(|c| *c <= now + CLOCK_SLACK);
        let every = if client.discovery_cost() > 1 {
            self.schedule
                .expensive_discovery_every
                .max(self.schedule.cycle)
        } else {
            self.schedule.cycle
        };
        let resuming = saved.cursor.is_some();
        if !resuming && completed.is_some_and(|c| c > now - every + every / 10) {
            return Ok(()); // not due yet
        }
        // `since` stays fixed across the pages of one discovery, resumed or not.
        let since = state
            .since
            .filter(|s| resuming && *s <= now + CLOCK_SLACK)
            .unwrap_or_else(|| {
                completed.map_or(now - self.schedule.tiers.max_age, |c| c - DISCOVERY_OVERLAP)
            });
        let since_ts = Timestamp::from_second(since).unwrap_or_else(|_| self.clock.now());
        // What is kept beside the cursor: `since`, and when the listing last completed.
        let state_json = |completed_at: Option<i64>| {
            DiscoveryState {
                since: Some(since),
                completed_at,
            }
            .to_json()
        };
        if resuming {
            tracing::info!(
                cursor = %client.redact(saved.cursor.as_deref().unwrap_or("")),
                "resuming interrupted discovery"
            );
        }
        let mut paging = DISCOVERY_PAGES.start(saved.cursor);
        while let Some(cursor) = paging.next_cursor() {
            let read = async {
                let page = client.discover(since_ts, cursor).await?;
                report.items_seen += page.posts.len() as u64;
                for why in &page.skipped {
                    tracing::warn!(reason = %why, "malformed item skipped");
                }
                let now = self.now();
                // A cursor that carries a credential (a server put the key or a token in
                // its page token) is followed now but never stored: an interrupted
                // listing then starts again from `since`.
                let kept = page.next.clone().filter(|n| client.redact(n) == *n);
                if page.next.is_some() && kept.is_none() {
                    tracing::warn!("the platform's cursor carries a credential: it is not stored");
                }
                let sync = SyncState {
                    cursor: kept,
                    state: Some(state_json(page.next.is_none().then_some(now).or(completed))),
                    updated_at: now,
                };
                let (learned, posts) = (page.learned_tags, page.posts);
                let summary = self
                    .with_store(move |store| {
                        for (tag, id) in &learned {
                            store.save_hashtag(platform, tag, id, now)?;
                        }
                        store.ingest_page(platform, &posts, now, DISCOVERY, &sync)
                    })
                    .await?;
                report.new_posts += summary.new_posts;
                report.snapshots += summary.snapshots;
                Ok::<_, StepError>(Page {
                    ids: page.listed,
                    next: page.next,
                    enough: false,
                })
            }
            .await;
            paging.read(read);
        }
        let ended = paging.end();
        match ended {
            End::Complete => Ok(()),
            End::Failed(e) => Err(e),
            // Ended without completing: the next discovery lists again from the same
            // `since` and reads then what the platform skipped (replaying pages stores
            // nothing twice).
            End::Stalled | End::Capped => {
                tracing::warn!(end = ?ended, "the platform's listing stopped moving on; ending it, to be listed again");
                let sync = SyncState {
                    cursor: None,
                    state: Some(state_json(completed)),
                    updated_at: self.now(),
                };
                self.with_store(move |s| s.set_sync_state(platform, DISCOVERY, &sync))
                    .await
            }
        }
    }

    async fn read_accounts(
        &self,
        client: &Client,
        report: &mut PlatformReport,
    ) -> Result<(), StepError> {
        let platform = client.platform();
        let now = self.now();
        let tiers = self.schedule.tiers;
        let due = self
            .with_store(move |s| s.due_accounts(platform, now, &tiers, 1_000_000))
            .await?;
        let horizon = now - self.schedule.tiers.max_age;
        let horizon_ts = Timestamp::from_second(horizon).unwrap_or_else(|_| self.clock.now());
        let (feeder, backlog) = feed::bounded(BACKLOG_ITEMS);
        let fetching = async move {
            for chunk in due.chunks(client.account_batch().max(1)) {
                let mut harvest = client.read_accounts(chunk, horizon_ts).await?;
                let failure = harvest.failure.take();
                let open = feeder.feed(harvest).await;
                if let Some(e) = failure {
                    return Err(e.into());
                }
                if !open {
                    break;
                }
            }
            Ok(())
        };
        let storing = self.store_backlog(platform, horizon, report, backlog);
        let (fetched, stored) = tokio::join!(fetching, storing);
        stored.and(fetched)
    }

    async fn refresh(
        &self,
        client: &Client,
        cycle_start: i64,
        report: &mut PlatformReport,
    ) -> Result<(), StepError> {
        let platform = client.platform();
        let now = self.now();
        // Ids only, in priority order; each batch's details are loaded as it goes.
        let tiers = self.schedule.tiers;
        let due = self
            .with_store(move |store| store.due_post_ids(platform, now, &tiers, cycle_start))
            .await?;
        let horizon = now - self.schedule.tiers.max_age;
        let (feeder, backlog) = feed::bounded(BACKLOG_ITEMS);
        let fetching = async move {
            for chunk in due.chunks(client.refresh_batch().max(1)) {
                let ids = chunk.to_vec();
                let posts = self
                    .with_store(move |store| store.tracked_posts(&ids))
                    .await?;
                if !client.refresh_in_parts(&posts, &feeder).await? {
                    break;
                }
            }
            Ok(())
        };
        let storing = self.store_backlog(platform, horizon, report, backlog);
        let (fetched, stored) = tokio::join!(fetching, storing);
        stored.and(fetched)
    }

    /// Stores what a step's fetching hands to the backlog while it fetches more (the
    /// two run joined): whatever waits when the store is free goes in one transaction
    /// (fewer commits when the platform answers quickly). The backlog ends with the
    /// fetching's [`feed::Feeder`].
    async fn store_backlog(
        &self,
        platform: Platform,
        horizon: i64,
        report: &mut PlatformReport,
        mut backlog: feed::Backlog,
    ) -> Result<(), StepError> {
        while let Some((harvest, _room)) = backlog.next(MERGED_ITEMS).await {
            self.ingest(platform, harvest, horizon, report).await?;
        }
        Ok(())
    }

    /// Runs `work` on the writer thread (see [`Writer::run`]).
    async fn with_store<R: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Store) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StepError> {
        Ok(self.writer.run(work).await?)
    }

    /// Stores a harvest in one transaction, on the writer thread.
    async fn ingest(
        &self,
        platform: Platform,
        harvest: Harvest,
        horizon: i64,
        report: &mut PlatformReport,
    ) -> Result<(), StepError> {
        for why in &harvest.skipped {
            tracing::warn!(reason = %why, "malformed item skipped");
        }
        report.items_seen += (harvest.posts.len() + harvest.stats.len()) as u64;
        let now = self.now();
        let summary = self
            .with_store(move |store| store.ingest_harvest(platform, &harvest, now, horizon))
            .await?;
        report.new_posts += summary.new_posts;
        report.snapshots += summary.snapshots;
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Discovery,
    Accounts,
    Refresh,
}

#[derive(Debug, thiserror::Error)]
enum StepError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("database: {0}")]
    Store(#[from] StoreError),
}
