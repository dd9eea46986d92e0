//! The one HTTP path of every platform client: reqwest with timeouts and compression,
//! governor pacing, retry with capped exponential backoff and jitter, `Retry-After`,
//! and redaction of every secret from URLs and messages (platform-apis.md, "Rules for
//! every client").

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::HeaderMap;
use serde_json::Value;

use super::Platform;

/// Query parameters that carry secrets (Graph `access_token`, YouTube `key`, TikTok
/// `client_secret`; OAuth codes, verifiers and refresh tokens on the consent path).
const SECRET_PARAMS: [&str; 9] = [
    "access_token",
    "key",
    "client_secret",
    "client_key",
    "refresh_token",
    "code",
    "code_verifier",
    "fb_exchange_token",
    "input_token",
];

/// Removes secrets from text: values of secret query parameters, and every known
/// secret value wherever it appears (an error may quote a URL or a body).
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        for form in encodings(secret) {
            out = out.replace(&form, "***");
        }
    }
    for param in SECRET_PARAMS {
        let needle = format!("{param}=");
        let mut from = 0;
        while let Some(pos) = out[from..].find(&needle) {
            let start = from + pos + needle.len();
            let preceded_ok = from + pos == 0
                || matches!(
                    out.as_bytes()[from + pos - 1],
                    b'?' | b'&' | b' ' | b'"' | b'\''
                );
            let end = out[start..]
                .find(['&', ' ', '"', '\'', '\n', '#'])
                .map_or(out.len(), |e| start + e);
            if preceded_ok && &out[start..end] != "***" {
                out.replace_range(start..end, "***");
            }
            from = start;
        }
    }
    out
}

/// The forms a secret takes when a server quotes it back: as it is, percent-encoded (as a
/// form encodes it, `+` for a space, and with every reserved byte encoded; either hex
/// case) and JSON-escaped. Longest first, so no form is left half-replaced.
fn encodings(secret: &str) -> Vec<String> {
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let strict: String = secret
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json
        .get(1..json.len().saturating_sub(1))
        .unwrap_or_default()
        .to_string();
    let lower = |s: &str| {
        // Only the hex digits after a '%' change case.
        let mut out = String::with_capacity(s.len());
        let mut hex = 0;
        for c in s.chars() {
            if c == '%' {
                hex = 2;
                out.push(c);
            } else if hex > 0 {
                hex -= 1;
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
        out
    };
    let mut forms = vec![
        secret.to_string(),
        lower(&form),
        form.clone(),
        lower(&strict),
        strict,
        json.replace('/', "\\/"),
        json,
    ];
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    forms.dedup();
    forms
}

/// Bytes of a secret's form that find it in a text (see [`SecretSet`]).
const PREFIX: usize = 8;

/// The secrets to keep out of every message: the few configured ones, and any number
/// learned at run time (business tokens and codes on the consent path). A learned
/// secret is found in a text by the first bytes of each of its forms, so redacting
/// costs the text's length, not the number of secrets held (tens of thousands with a
/// city's businesses connected).
#[derive(Debug, Default)]
pub struct SecretSet {
    /// Configured secrets, and learned ones too short to index: always tried.
    few: Vec<String>,
    /// The first [`PREFIX`] bytes of every form of a learned secret → the secrets.
    by_prefix: std::collections::HashMap<String, Vec<String>>,
    held: std::collections::HashSet<String>,
}

impl SecretSet {
    pub fn new(configured: Vec<String>) -> SecretSet {
        SecretSet {
            held: configured.iter().cloned().collect(),
            few: configured,
            by_prefix: Default::default(),
        }
    }

    /// Keeps `secret` out of every later message.
    pub fn add(&mut self, secret: &str) {
        if secret.is_empty() || !self.held.insert(secret.to_string()) {
            return;
        }
        let forms = encodings(secret);
        if forms
            .iter()
            .any(|f| f.len() < PREFIX || !f.is_char_boundary(PREFIX))
        {
            self.few.push(secret.to_string());
            return;
        }
        let mut prefixes: Vec<&str> = forms.iter().map(|f| &f[..PREFIX]).collect();
        prefixes.sort_unstable();
        prefixes.dedup();
        for prefix in prefixes {
            self.by_prefix
                .entry(prefix.to_string())
                .or_default()
                .push(secret.to_string());
        }
    }

    /// `text` without any of these secrets, in any of their forms.
    pub fn redact(&self, text: &str) -> String {
        let mut candidates = self.few.clone();
        let mut taken = std::collections::HashSet::new();
        for i in 0..text.len().saturating_sub(PREFIX - 1) {
            if let Some(list) = text
                .get(i..i + PREFIX)
                .and_then(|window| self.by_prefix.get(window))
            {
                for s in list {
                    if taken.insert(s.as_str()) {
                        candidates.push(s.clone());
                    }
                }
            }
        }
        redact(text, &candidates)
    }
}

/// How a client judged one response.
#[derive(Debug)]
pub enum Verdict {
    /// Success: the parsed body.
    Ok(Value),
    /// A transient failure worth another try, optionally after a server-named delay.
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    /// A failure that another try cannot fix.
    Fail(ApiError),
}

/// A failure in the platform's terms, already free of secrets.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// The credential is missing, invalid or expired: stop the platform.
    #[error("credential rejected: {0}")]
    Auth(String),
    /// A token jempol was issued and can renew was refused (TikTok's client token):
    /// renew it once, then it is [`ApiError::Auth`].
    #[error("credential rejected: {0}")]
    TokenRefused(String),
    /// A quota or rate limit that will not lift soon (daily quota, app limit).
    #[error("quota exhausted: {0}")]
    Quota(String),
    /// The object does not exist or cannot be read (deleted post, unknown account).
    #[error("not found: {0}")]
    NotFound(String),
    /// The request was refused as invalid; another try would fail the same way.
    #[error("request refused: {0}")]
    Invalid(String),
    /// Still failing after every retry (5xx, timeouts, broken bodies, 429 storms).
    #[error("gave up after {attempts} attempts: {last}")]
    Exhausted { attempts: u32, last: String },
    /// jempol's own budget says no: the request was not sent.
    #[error("skipped: the {0} budget is spent")]
    Budget(String),
    /// Not sent: what is left of the budget is kept for refreshing tracked posts.
    /// Ends the listing or read under way, not the platform's cycle.
    #[error("postponed: the rest of the {0} budget is kept for refreshing")]
    Reserved(String),
    /// Shutdown was requested while waiting.
    #[error("interrupted by shutdown")]
    Interrupted,
}

impl ApiError {
    /// Errors that mean the platform cannot go on this cycle.
    pub fn stops_platform(&self) -> bool {
        matches!(
            self,
            ApiError::Auth(_)
                | ApiError::TokenRefused(_)
                | ApiError::Quota(_)
                | ApiError::Budget(_)
                | ApiError::Interrupted
                | ApiError::Exhausted { .. }
        )
    }
}

/// Retry policy: attempts and backoff bounds.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub base: Duration,
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured; a longer one gives up on the request.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            base: Duration::from_millis(200),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// Capped exponential backoff with full jitter for attempt `n` (1-based).
    pub fn delay(&self, n: u32) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << n.min(16))
            .min(self.max_delay);
        exp.mul_f64(0.5 + fastrand::f64() * 0.5)
    }
}

/// What a request is for, as the budget sees it: the share kept for refreshing tracked
/// posts is spent only on refreshes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Discovery and account reads: they stop where the refresh reserve begins.
    Gather,
    Refresh,
}

tokio::task_local! {
    static PURPOSE: Purpose;
}

/// Runs `work` with its requests paid as refreshes (see [`Purpose`]); requests outside
/// it gather. Every page of every listing is checked against the reserve as it is sent.
pub async fn as_refresh<F: std::future::Future>(work: F) -> F::Output {
    PURPOSE.scope(Purpose::Refresh, work).await
}

fn purpose() -> Purpose {
    PURPOSE.try_with(|p| *p).unwrap_or(Purpose::Gather)
}

/// A meter's answer to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    Granted,
    /// It fits the budget, but only in the share kept for refreshing.
    Reserved,
    /// The budget is spent.
    Refused,
}

/// Decides whether a request may be sent (quota budgets) and records what it cost.
pub trait Meter: Send + Sync {
    /// Reserves `cost` units for a request made for `purpose`.
    fn try_spend(
        &self,
        platform: Platform,
        cost: u32,
        purpose: Purpose,
    ) -> futures::future::BoxFuture<'_, Grant>;
    /// Graph usage headers seen on a response (percent of the allowance, 0–100).
    fn usage(&self, _platform: Platform, _percent: u32) {}
    /// An extra pause before the next request (slowing down near a limit).
    fn pause(&self, _platform: Platform) -> Duration {
        Duration::ZERO
    }
}

/// A meter that allows everything (tests of single requests).
pub struct Unmetered;

impl Meter for Unmetered {
    fn try_spend(&self, _: Platform, _: u32, _: Purpose) -> futures::future::BoxFuture<'_, Grant> {
        Box::pin(std::future::ready(Grant::Granted))
    }
}

/// One request to send, possibly several times.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: reqwest::Method,
    pub url: url::Url,
    pub bearer: Option<String>,
    pub form: Option<Vec<(String, String)>>,
    pub json: Option<Value>,
    /// Quota units this request costs (YouTube: search 100, reads 1).
    pub cost: u32,
    /// Short name for logs (`recent_media`, `videos.list`).
    pub endpoint: &'static str,
    /// The most of its body that is read, decompressed: [`MAX_BODY`] for pages of data,
    /// [`TOKEN_MAX_BODY`] for a token.
    pub max_body: usize,
}

impl Request {
    pub fn get(url: url::Url, endpoint: &'static str) -> Request {
        Request {
            method: reqwest::Method::GET,
            url,
            bearer: None,
            form: None,
            json: None,
            cost: 1,
            endpoint,
            max_body: MAX_BODY,
        }
    }
}

/// A raw response handed to a client's classifier.
pub struct Raw<'a> {
    pub status: reqwest::StatusCode,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

impl Raw<'_> {
    /// The body as JSON, or a retryable verdict for a truncated or non-JSON body.
    pub fn json(&self) -> Result<Value, Verdict> {
        serde_json::from_slice(self.body).map_err(|e| Verdict::Retry {
            reason: format!("unreadable body (HTTP {}): {e}", self.status.as_u16()),
            after: None,
        })
    }

    /// `Retry-After` in seconds, if the server sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        let v = self
            .headers
            .get(reqwest::header::RETRY_AFTER)?
            .to_str()
            .ok()?;
        v.trim().parse::<u64>().ok().map(Duration::from_secs)
    }
}

/// Settings of one platform's HTTP path.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub requests_per_second: u32,
    pub retry: RetryPolicy,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            requests_per_second: 5,
            retry: RetryPolicy::default(),
        }
    }
}

/// Counters of one platform's HTTP traffic.
#[derive(Debug, Default)]
pub struct Traffic {
    pub requests: std::sync::atomic::AtomicU64,
    pub retries: std::sync::atomic::AtomicU64,
}

/// The HTTP client of one platform.
pub struct Http {
    platform: Platform,
    client: reqwest::Client,
    limiter: Arc<DefaultDirectRateLimiter>,
    retry: RetryPolicy,
    /// Every secret to redact: the configured ones, and tokens issued at run time.
    secrets: std::sync::RwLock<SecretSet>,
    meter: Arc<dyn Meter>,
    shutdown: tokio::sync::watch::Receiver<bool>,
    pub traffic: Traffic,
    /// Only the app's usage (`X-App-Usage`) paces the platform: with consent, each
    /// Page's Business Use Case usage is that Page's alone (platform-apis-consent.md §8.8).
    app_usage_only: bool,
}

impl Http {
    pub fn new(
        platform: Platform,
        settings: &HttpSettings,
        secrets: Vec<String>,
        meter: Arc<dyn Meter>,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> Result<Http, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            .user_agent(concat!(
                "jempol/",
                env!("CARGO_PKG_VERSION"),
                " (UMKM hashtag engagement tracker)"
            ))
            .gzip(true)
            // A redirect is never followed: a token request would carry its secret to
            // wherever it points, and data from another host is not the platform's. The
            // 3xx is a clear error instead (see `send`).
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let rps = NonZeroU32::new(settings.requests_per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        Ok(Http {
            platform,
            client,
            limiter: Arc::new(RateLimiter::direct(Quota::per_second(rps))),
            retry: settings.retry.clone(),
            secrets: std::sync::RwLock::new(SecretSet::new(secrets)),
            meter,
            shutdown,
            traffic: Traffic::default(),
            app_usage_only: false,
        })
    }

    /// Paces the platform by the app's usage only, not by one object's (a Page's or an
    /// account's own limit is met by that object waiting, not by every object waiting).
    pub fn app_usage_only(mut self) -> Http {
        self.app_usage_only = true;
        self
    }

    pub fn platform(&self) -> Platform {
        self.platform
    }

    /// Requests sent so far, retries included.
    pub fn requests(&self) -> u64 {
        self.traffic
            .requests
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Redacts this platform's secrets from text.
    pub fn redact(&self, text: &str) -> String {
        self.secrets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .redact(text)
    }

    /// A secret the platform issued at run time (a TikTok client token): redacted from
    /// then on like the configured ones.
    pub fn add_secret(&self, secret: &str) {
        let mut secrets = self.secrets.write().unwrap_or_else(|e| e.into_inner());
        if !secret.is_empty() {
            secrets.add(secret);
        }
    }

    fn stopping(&self) -> bool {
        *self.shutdown.borrow()
    }

    async fn pause(&self, d: Duration) -> Result<(), ApiError> {
        let mut rx = self.shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep(d) => Ok(()),
            _ = rx.wait_for(|stop| *stop) => Err(ApiError::Interrupted),
        }
    }

    /// Sends `req` until the classifier accepts it, fails it, or the retries run out.
    /// Each attempt waits for the rate limiter and spends the request's quota cost.
    pub async fn send(
        &self,
        req: &Request,
        classify: impl Fn(&Raw) -> Verdict,
    ) -> Result<Value, ApiError> {
        let mut last = String::new();
        for attempt in 1..=self.retry.attempts {
            if self.stopping() {
                return Err(ApiError::Interrupted);
            }
            let what = || format!("{} {}", self.platform, req.endpoint);
            match self
                .meter
                .try_spend(self.platform, req.cost, purpose())
                .await
            {
                Grant::Granted => {}
                Grant::Reserved => return Err(ApiError::Reserved(what())),
                Grant::Refused => return Err(ApiError::Budget(what())),
            }
            let extra = self.meter.pause(self.platform);
            if !extra.is_zero() {
                self.pause(extra).await?;
            }
            self.limiter.until_ready().await;
            let mut builder = self.client.request(req.method.clone(), req.url.clone());
            if let Some(token) = &req.bearer {
                builder = builder.bearer_auth(token);
            }
            if let Some(form) = &req.form {
                builder = builder.form(form);
            }
            if let Some(json) = &req.json {
                builder = builder.json(json);
            }
            self.traffic
                .requests
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let started = std::time::Instant::now();
            // A shutdown abandons the request in flight: nothing from it is stored.
            let mut stop = self.shutdown.clone();
            let sent = tokio::select! {
                r = builder.send() => r,
                _ = stop.wait_for(|s| *s) => return Err(ApiError::Interrupted),
            };
            let verdict = match sent {
                Err(e) => Verdict::Retry {
                    reason: self.redact(&network_error(e)),
                    after: None,
                },
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    let usage = if self.app_usage_only {
                        app_usage(&headers)
                    } else {
                        graph_usage(&headers)
                    };
                    if let Some(pct) = usage {
                        self.meter.usage(self.platform, pct);
                    }
                    if status.is_redirection() {
                        Verdict::Fail(ApiError::Invalid(redirected(&headers, status)))
                    } else {
                        match read_capped(response, req.max_body).await {
                            Err(Body::Broken(e)) => Verdict::Retry {
                                reason: self.redact(&e.without_url().to_string()),
                                after: None,
                            },
                            Err(Body::TooLarge) => Verdict::Fail(ApiError::Invalid(format!(
                                "HTTP {}: the {} response body is over {}; refused",
                                status.as_u16(),
                                req.endpoint,
                                match req.max_body {
                                    n if n >= 1 << 20 => format!("{} MiB", n >> 20),
                                    n => format!("{} KiB", n >> 10),
                                }
                            ))),
                            Ok(body) => classify(&Raw {
                                status,
                                headers: &headers,
                                body: &body,
                            }),
                        }
                    }
                }
            };
            tracing::debug!(platform = %self.platform, endpoint = req.endpoint, attempt, ms = started.elapsed().as_millis() as u64, url = %self.redact(req.url.as_str()), "request");
            match verdict {
                Verdict::Ok(v) => return Ok(v),
                Verdict::Fail(e) => return Err(self.redact_error(e)),
                Verdict::Retry { reason, after } => {
                    last = self.redact(&reason);
                    if attempt == self.retry.attempts {
                        break;
                    }
                    self.traffic
                        .retries
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let wait = match after {
                        Some(a) if a > self.retry.max_retry_after => break,
                        Some(a) => a,
                        None => self.retry.delay(attempt),
                    };
                    tracing::warn!(platform = %self.platform, endpoint = req.endpoint, attempt, wait_ms = wait.as_millis() as u64, reason = %last, "retrying");
                    self.pause(wait).await?;
                }
            }
        }
        Err(ApiError::Exhausted {
            attempts: self.retry.attempts,
            last,
        })
    }
}

/// The most of a response body jempol reads, after decompression: far above any page a
/// platform sends (a Graph page of 100 posts with 64 KiB captions is ~7 MB), far below
/// what would hurt the daemon (a 2 GB body, a gzip bomb).
pub const MAX_BODY: usize = 16 << 20;

/// The most of a token response jempol reads: a token and its expiry take a few hundred
/// bytes.
pub const TOKEN_MAX_BODY: usize = 64 << 10;

pub(crate) enum Body {
    Broken(reqwest::Error),
    TooLarge,
}

/// Reads a body chunk by chunk (decompressed as it comes), stopping past `cap`: memory
/// never holds more than the cap, whatever the server sends or claims.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    cap: usize,
) -> Result<Vec<u8>, Body> {
    // A declared length past the cap is refused unread (a compressed body only inflates).
    if response.content_length().is_some_and(|n| n > cap as u64) {
        return Err(Body::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(Body::Broken)? {
        if body.len() + chunk.len() > cap {
            return Err(Body::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A request that got no answer, with its cause: reqwest's own text is only "error
/// sending request"; the cause (refused, DNS, TLS, timeout) is further down its chain.
pub(crate) fn network_error(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "no answer"
    };
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !causes.contains(&text) {
            causes.push(text);
        }
        source = cause.source();
    }
    if causes.is_empty() {
        format!("{kind}: {}", e.without_url())
    } else {
        format!("{kind}: {}", causes.join(": "))
    }
}

/// A redirect as an error that names where it pointed, without its query (which could
/// carry a credential).
pub(crate) fn redirected(headers: &HeaderMap, status: reqwest::StatusCode) -> String {
    let to = headers
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(|l| match url::Url::parse(l) {
            Ok(mut u) => {
                u.set_query(None);
                u.set_fragment(None);
                let _ = u.set_password(None);
                let _ = u.set_username("");
                u.to_string()
            }
            Err(_) => l.split(['?', '#']).next().unwrap_or_default().to_string(),
        })
        .unwrap_or_else(|| "nowhere (no Location)".into());
    format!(
        "HTTP {}: redirected to {to}; jempol follows no redirect (a platform API answers in place)",
        status.as_u16()
    )
}

impl Http {
    fn redact_error(&self, e: ApiError) -> ApiError {
        let redact = |m: &str| self.redact(m);
        match e {
            ApiError::Auth(m) => ApiError::Auth(redact(&m)),
            ApiError::TokenRefused(m) => ApiError::TokenRefused(redact(&m)),
            ApiError::Quota(m) => ApiError::Quota(redact(&m)),
            ApiError::NotFound(m) => ApiError::NotFound(redact(&m)),
            ApiError::Invalid(m) => ApiError::Invalid(redact(&m)),
            other => other,
        }
    }
}

/// The highest figure of `X-App-Usage`, in percent.
fn app_usage(headers: &HeaderMap) -> Option<u32> {
    let v = headers
        .get("x-app-usage")
        .and_then(|h| h.to_str().ok())
        .and_then(|s| serde_json::from_str::<Value>(s).ok())?;
    usage_of(&v)
}

fn usage_of(v: &Value) -> Option<u32> {
    ["call_count", "total_cputime", "total_time"]
        .iter()
        .filter_map(|k| v[*k].as_u64())
        .map(|n| n.min(100) as u32)
        .max()
}

/// The highest figure of the Graph usage headers (`X-App-Usage`,
/// `X-Business-Use-Case-Usage`), in percent (platform-apis.md §1.4).
pub fn graph_usage(headers: &HeaderMap) -> Option<u32> {
    let mut max: Option<u32> = app_usage(headers);
    let mut take = |v: &Value| {
        if let Some(n) = usage_of(v) {
            max = Some(max.unwrap_or(0).max(n));
        }
    };
    if let Some(v) = headers
        .get("x-business-use-case-usage")
        .and_then(|h| h.to_str().ok())
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
    {
        for entries in v.as_object().into_iter().flat_map(|o| o.values()) {
            for e in entries.as_array().into_iter().flatten() {
                take(e);
            }
        }
    }
    max
}

#[cfg(test)]
impl Http {
    /// An unmetered client with default settings for a platform client's unit specs, and
    /// the shutdown sender that keeps it running while it is held.
    pub(crate) fn for_tests(platform: Platform) -> (Http, tokio::sync::watch::Sender<bool>) {
        let (tx, rx) = tokio::sync::watch::channel(false);
        let http = Http::new(
            platform,
            &Default::default(),
            vec![],
            Arc::new(Unmetered),
            rx,
        )
        .expect("a default HTTP client builds");
        (http, tx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_of_many_learned_secrets_redacts_each_form_as_the_one_by_one_redaction_does() {
        let mut set = SecretSet::new(vec!["configuredKey01".into()]);
        for n in 0..20_000 {
            set.add(&format!("act.business{n:06}Token"));
        }
        set.add("rft.with space*and!bang");
        set.add("short");
        set.add("act.business000042Token"); // again: held once
        let text = "refused act.business000042Token and act.business019999Token; \
                    form rft.with+space*and%21bang, strict rft.with%20space%2Aand%21bang, \
                    short, configuredKey01, act.business99Token stays";
        let one_by_one = redact(
            text,
            &[
                "configuredKey01".into(),
                "act.business000042Token".into(),
                "act.business019999Token".into(),
                "rft.with space*and!bang".into(),
                "short".into(),
            ],
        );
        assert_eq!(set.redact(text), one_by_one);
        assert!(!one_by_one.contains("business000042"), "{one_by_one}");
        assert!(!one_by_one.contains("with+space"), "{one_by_one}");
        assert!(
            one_by_one.contains("act.business99Token stays"),
            "{one_by_one}"
        );
    }

    #[test]
    fn redaction_removes_secret_parameters_and_known_values() {
        let url = "http://x/v21.0/1/recent_media?user_id=1&access_token=EAAB123secret&after=Q";
        assert_eq!(
            redact(url, &[]),
            "http://x/v21.0/1/recent_media?user_id=1&access_token=***&after=Q"
        );
        assert_eq!(
            redact("GET /videos?id=a&key=AIzaSy999", &[]),
            "GET /videos?id=a&key=***"
        );
        let msg = "error sending request: Bearer clt.abc12345 rejected";
        assert_eq!(
            redact(msg, &["clt.abc12345".into()]),
            "error sending request: Bearer *** rejected"
        );
        assert_eq!(
            redact("monkey=1&donkey=2", &[]),
            "monkey=1&donkey=2",
            "only whole parameter names"
        );
    }

    #[test]
    fn a_secret_is_redacted_in_every_encoding_a_server_may_quote_it_in() {
        let secret = "1234567890|FB/SECRET+key ok\"q";
        let secrets = vec![secret.to_string()];
        for quoted in [
            secret.to_string(),
            "1234567890%7CFB%2FSECRET%2Bkey+ok%22q".into(), // form-encoded
            "1234567890%7cFB%2fSECRET%2bkey+ok%22q".into(), // lower-case hex
            "1234567890%7CFB%2FSECRET%2Bkey%20ok%22q".into(), // every reserved byte
            "1234567890|FB/SECRET+key ok\\\"q".into(),      // JSON-escaped
            "1234567890|FB\\/SECRET+key ok\\\"q".into(),    // JSON with \/
        ] {
            let text = format!("Invalid OAuth token {quoted} (code 190)");
            assert_eq!(
                redact(&text, &secrets),
                "Invalid OAuth token *** (code 190)",
                "{quoted}"
            );
        }
    }

    #[test]
    fn usage_headers_give_the_highest_figure() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-app-usage",
            r#"{"call_count":28,"total_cputime":5,"total_time":9}"#
                .parse()
                .unwrap(),
        );
        h.insert("x-business-use-case-usage", r#"{"123":[{"type":"instagram","call_count":80,"total_cputime":3,"total_time":4,"estimated_time_to_regain_access":0}]}"#.parse().unwrap());
        assert_eq!(graph_usage(&h), Some(80));
        assert_eq!(graph_usage(&HeaderMap::new()), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            attempts: 5,
            base: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(1),
        };
        assert!(p.delay(1) <= Duration::from_millis(200));
        assert!(p.delay(10) <= Duration::from_secs(1));
        assert!(p.delay(10) >= Duration::from_millis(500));
    }
}
