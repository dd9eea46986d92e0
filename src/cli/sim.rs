//! `jempol sim`: the platform simulator as a standalone server.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context;

use crate::sim::{self, FaultProfile, Quotas, SimConfig, SimState, Simulator};

/// Options of `jempol sim`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  jempol sim                                   # 200 businesses, real time, port 8700
  jempol sim --businesses 45000 --speed 3600   # a simulated hour per second
  jempol sim --write-config config/sim.toml    # then: jempol businesses import <(curl …/__sim/registry.csv)

Control endpoints (fixed, for scripts):
  GET  /__sim/truth[?platform=P]   every post's and account's true counts now (JSON)
  GET  /__sim/registry.csv         the registered businesses, for `jempol businesses import`
  POST /__sim/advance?hours=H      move simulated time forward
  POST /__sim/faults?profile=P     none | flaky | hostile; also &inject=KIND&platform=P&count=N
  POST /__sim/tiktok/remove?username=U   the user disconnects the app in TikTok (signed webhook)
  GET  /__sim/stats                requests served, quota used and refused, faults served")]
pub struct SimArgs {
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 8700)]
    pub port: u16,
    /// Address to bind; the simulator is for this machine only by default.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Seed of the generated world: the same seed gives the same world.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Registered businesses to generate (plus a tenth as many accounts outside the registry).
    #[arg(long, default_value_t = 200)]
    pub businesses: usize,
    /// Mean posts per account over the world's span (a week before the start to 35 days
    /// after): more gives a busier campaign from the same businesses.
    #[arg(long, default_value_t = 5.0)]
    pub posts_per_account: f64,
    /// Fault profile: none, flaky or hostile.
    #[arg(long, default_value = "none")]
    pub faults: FaultProfile,
    /// Simulated seconds per real second (1: follow the wall clock).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// When the simulated world begins (RFC 3339); default: now. At --speed 1 the
    /// clock still reads the wall clock, so a past start gives a world with history.
    #[arg(long)]
    pub start: Option<jiff::Timestamp>,
    /// Write a complete jempol config pointing at this simulator, then serve.
    #[arg(long, value_name = "FILE")]
    pub write_config: Option<PathBuf>,
    /// YouTube units per day (default 10000, the platform's default).
    #[arg(long)]
    pub youtube_units: Option<u64>,
    /// TikTok research requests per day (default 1000).
    #[arg(long)]
    pub tiktok_requests: Option<u64>,
    /// Graph calls per rolling hour (default 10000: 200 × 50 users).
    #[arg(long)]
    pub graph_calls_per_hour: Option<u64>,
    /// Lift every quota (for benchmarks); the 30-hashtag rule stays.
    #[arg(long)]
    pub unlimited_quotas: bool,
    /// How long a `slow` fault holds a response (ms).
    #[arg(long, default_value_t = 35_000)]
    pub slow_ms: u64,
    /// Accept only this Graph access token (default: any non-empty one).
    #[arg(long, value_name = "TOKEN")]
    pub require_graph_token: Option<String>,
    /// Accept only this YouTube API key.
    #[arg(long, value_name = "KEY")]
    pub require_youtube_key: Option<String>,
    /// Accept only this TikTok client key.
    #[arg(long, value_name = "KEY")]
    pub require_tiktok_key: Option<String>,
    /// Serve Graph's legacy features (multi-ID `?ids=` requests, field aliases) as Meta
    /// does for apps created before 4 Nov 2026. Default: a new app's rules, which refuse them.
    #[arg(long)]
    pub legacy_graph_app: bool,
    /// Accept only this TikTok client secret (it also signs the webhooks; default
    /// `sim-client-secret`).
    #[arg(long, value_name = "SECRET")]
    pub require_tiktok_secret: Option<String>,
    /// A redirect URI registered for the TikTok Login Kit app, exactly (repeat for
    /// more). Default: any http(s) URL is accepted.
    #[arg(long, value_name = "URI")]
    pub tiktok_redirect_uri: Vec<String>,
    /// Where the TikTok app's webhook (`authorization.removed`) is posted, e.g.
    /// http://127.0.0.1:8080/webhooks/tiktok.
    #[arg(long, value_name = "URL")]
    pub tiktok_webhook: Option<String>,
    /// Lifetime of a TikTok user access token, simulated seconds (2026 docs: 7200).
    #[arg(long, default_value_t = 7_200)]
    pub tiktok_access_seconds: i64,
    /// Lifetime of a TikTok consent (refresh token), simulated seconds (2026 docs: 180 days).
    #[arg(long, default_value_t = 15_552_000)]
    pub tiktok_refresh_seconds: i64,
}

pub fn run(args: SimArgs) -> anyhow::Result<()> {
    let start = args.start.unwrap_or_else(jiff::Timestamp::now);
    let mut config = SimConfig::new(args.seed, args.businesses, start);
    config.world.posts_per_account = args.posts_per_account;
    config.speed = args.speed;
    config.faults = args.faults;
    config.slow_ms = args.slow_ms;
    config.graph_legacy_app = args.legacy_graph_app;
    config.tiktok_app.redirect_uris = args.tiktok_redirect_uri.clone();
    config.tiktok_app.webhook_url = args.tiktok_webhook.clone();
    config.tiktok_app.access_ttl = args.tiktok_access_seconds.max(1);
    config.tiktok_app.refresh_ttl = args.tiktok_refresh_seconds.max(1);
    if args.unlimited_quotas {
        config.quotas = Quotas::unlimited();
    }
    let q = &mut config.quotas;
    q.youtube_units_per_day = args.youtube_units.unwrap_or(q.youtube_units_per_day);
    q.tiktok_requests_per_day = args.tiktok_requests.unwrap_or(q.tiktok_requests_per_day);
    q.graph_calls_per_hour = args.graph_calls_per_hour.unwrap_or(q.graph_calls_per_hour);
    config.credentials = sim::Credentials {
        graph_token: args.require_graph_token,
        tiktok_client_key: args.require_tiktok_key,
        tiktok_client_secret: args.require_tiktok_secret,
        youtube_key: args.require_youtube_key,
    };

    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let began = std::time::Instant::now();
        let state = SimState::new(config);
        if args.speed == 1.0 {
            // Follow the wall clock, so a daemon on the same machine agrees on "now".
            state.clock.advance_to(jiff::Timestamp::now());
        }
        let generated = began.elapsed();
        let world = &state.world;
        eprintln!(
            "world (seed {}): {} businesses, {} accounts, {} posts, generated in {:.2} s",
            args.seed,
            world.businesses.len(),
            world.accounts.len(),
            world.posts.len(),
            generated.as_secs_f64()
        );
        let sim = Simulator::start(state, SocketAddr::new(args.bind, args.port))
            .await
            .with_context(|| format!("binding {}:{}", args.bind, args.port))?;
        let hashtag = sim.state.world.config.hashtag.clone();
        println!("jempol simulator listening on {}", sim.urls.root);
        println!("  instagram, facebook  {}", sim.urls.graph);
        println!("  tiktok               {}", sim.urls.tiktok);
        println!("  tiktok consent page  {}", sim.urls.tiktok_auth);
        println!("  youtube              {}", sim.urls.youtube);
        println!(
            "  control              {}/__sim/{{truth,registry.csv,advance,faults,stats}}",
            sim.urls.root
        );
        println!(
            "simulated time {} at {}× speed, faults: {}, Graph app: {}",
            sim.state.clock.start(),
            args.speed,
            args.faults,
            if args.legacy_graph_app {
                "legacy (multi-ID requests served)"
            } else {
                "new (no multi-ID requests)"
            }
        );
        if let Some(path) = &args.write_config {
            let text = sim::jempol_config(&sim.urls, &hashtag, "jempol-sim.db");
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
            println!(
                "wrote {} (database jempol-sim.db beside it); it reads these variables:",
                path.display()
            );
            for var in sim::CONFIG_ENV {
                println!("  export {var}=sim");
            }
        }
        println!("press Ctrl-C to stop");
        tokio::signal::ctrl_c().await?;
        sim.stop().await;
        Ok(())
    })
}
