//! Pushes to people: Telegram's Bot API (`sendMessage`, `sendDocument`) and signed
//! webhooks, each sent again after a 429 (as long as asked), a 5xx or a network failure,
//! never after a refusal. Errors never carry a token or secret. The reports and the
//! operator's alerts both push through here.

use std::time::Duration;

use crate::config::{Telegram, Webhook};

/// The HTTP client for the Bot API: 20 s timeout, and no redirect followed (the token
/// is in the path; a redirect is an error, see [`send_telegram`]).
pub fn telegram_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("jempol/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Why a push (Telegram, the webhook) failed, and whether sending again may help.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct PushError {
    /// Cleaned, cut and without the token: fit for the log.
    pub message: String,
    pub retry: Retry,
}

/// Whether a failed send is worth another try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// The request itself is refused (a wrong token, a chat the bot may not write).
    Never,
    /// The server or the network failed: again after a backoff.
    Later,
    /// Telegram asked to wait this long (429 with `parameters.retry_after`).
    After(Duration),
}

impl PushError {
    fn never(message: String) -> PushError {
        PushError {
            message,
            retry: Retry::Never,
        }
    }
}

/// How often and how patiently a summary is sent again.
#[derive(Debug, Clone, Copy)]
pub struct PushRetry {
    pub attempts: u32,
    /// The first backoff after a server or network failure; doubled each time.
    pub base: Duration,
    /// A `retry_after` longer than this is not waited for (the summary is dropped and
    /// the report files are there regardless).
    pub max_retry_after: Duration,
}

impl Default for PushRetry {
    fn default() -> PushRetry {
        PushRetry {
            attempts: 4,
            base: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

/// Sends `text` to the configured chat, again as [`with_retries`] says.
pub async fn push_telegram(
    client: &reqwest::Client,
    telegram: &Telegram,
    token: &str,
    text: &str,
    policy: PushRetry,
) -> Result<(), PushError> {
    with_retries("Telegram", policy, async || {
        send_telegram(client, telegram, token, text).await
    })
    .await
}

/// Runs `send` until it succeeds: again after a 429 (waiting as long as the receiver
/// asks) or a server or network failure (with a doubling backoff), never after a
/// refusal, and at most `policy.attempts` times.
async fn with_retries(
    to: &str,
    policy: PushRetry,
    mut send: impl AsyncFnMut() -> Result<(), PushError>,
) -> Result<(), PushError> {
    let mut backoff = policy.base;
    let mut attempt = 1;
    loop {
        let err = match send().await {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        let wait = match err.retry {
            Retry::Never => return Err(err),
            Retry::After(d) if d > policy.max_retry_after => {
                return Err(PushError::never(format!(
                    "{}; {to} asks to wait {} s, longer than jempol waits",
                    err.message,
                    d.as_secs()
                )));
            }
            Retry::After(d) => d,
            Retry::Later => {
                let d = backoff;
                backoff *= 2;
                d
            }
        };
        if attempt >= policy.attempts {
            return Err(PushError::never(format!(
                "{} (after {attempt} attempts)",
                err.message
            )));
        }
        tracing::info!(to, error = %err, wait_s = wait.as_secs_f64(), attempt, "summary not sent yet; trying again");
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

/// One `sendMessage` (Bot API): `ok: true`, or why not. Errors never contain the token.
pub async fn send_telegram(
    client: &reqwest::Client,
    telegram: &Telegram,
    token: &str,
    text: &str,
) -> Result<(), PushError> {
    let body = serde_json::json!({ "chat_id": telegram.chat_id, "text": text });
    bot_call(client, telegram, token, "sendMessage", |r| r.json(&body)).await
}

/// One `sendDocument`: the file `name` with `contents` and a caption, as
/// `multipart/form-data` (the Bot API's way to upload a file).
pub async fn send_telegram_document(
    client: &reqwest::Client,
    telegram: &Telegram,
    token: &str,
    (name, contents): (&str, &str),
    caption: &str,
) -> Result<(), PushError> {
    let file = reqwest::multipart::Part::text(contents.to_string())
        .file_name(name.to_string())
        .mime_str("text/html; charset=utf-8")
        .map_err(|e| PushError::never(e.without_url().to_string()))?;
    let form = reqwest::multipart::Form::new()
        .text("chat_id", telegram.chat_id.clone())
        .text("caption", caption.to_string())
        .part("document", file);
    bot_call(client, telegram, token, "sendDocument", |r| {
        r.multipart(form)
    })
    .await
}

/// Sends the HTML report as a file to the configured chat, again as [`with_retries`] says.
pub async fn push_telegram_document(
    client: &reqwest::Client,
    telegram: &Telegram,
    token: &str,
    file: (&str, &str),
    caption: &str,
    policy: PushRetry,
) -> Result<(), PushError> {
    with_retries("Telegram", policy, async || {
        send_telegram_document(client, telegram, token, file, caption).await
    })
    .await
}

/// One Bot API call: `method` with the body `build` puts on the request; `ok: true`, or
/// why not, and whether to try again. Errors never contain the token.
async fn bot_call(
    client: &reqwest::Client,
    telegram: &Telegram,
    token: &str,
    method: &str,
    build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
) -> Result<(), PushError> {
    use crate::platform::http::{Body, network_error, read_capped, redact, redirected};
    // The Bot API answers in a few hundred bytes.
    const ANSWER_MAX: usize = 64 << 10;
    let url = format!("{}/bot{token}/{method}", telegram.base_url);
    let secrets = [token.to_string()];
    let resp = build(client.post(&url))
        .send()
        .await
        .map_err(|e| PushError {
            message: redact(&network_error(e), &secrets),
            retry: Retry::Later,
        })?;
    let status = resp.status();
    if status.is_redirection() {
        return Err(PushError::never(redact(
            &redirected(resp.headers(), status),
            &secrets,
        )));
    }
    let server_failed = if status.is_server_error() {
        Retry::Later
    } else {
        Retry::Never
    };
    let body = match read_capped(resp, ANSWER_MAX).await {
        Ok(body) => body,
        Err(Body::TooLarge) => {
            return Err(PushError {
                message: format!("HTTP {status}: an answer over {} KiB", ANSWER_MAX >> 10),
                retry: server_failed,
            });
        }
        Err(Body::Broken(e)) => {
            return Err(PushError {
                message: redact(&format!("HTTP {status}: {}", e.without_url()), &secrets),
                retry: Retry::Later,
            });
        }
    };
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return Err(PushError {
            message: format!("HTTP {status}: the answer is not JSON"),
            retry: server_failed,
        });
    };
    if body.get("ok").and_then(|v| v.as_bool()) == Some(true) {
        return Ok(());
    }
    let why = body
        .get("description")
        .and_then(|v| v.as_str())
        .unwrap_or("no description");
    // The server's words reach the log: cleaned, cut, and without the token.
    let why: String = crate::report::neutral::terminal(why)
        .chars()
        .take(300)
        .collect();
    let retry = if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        // ResponseParameters.retry_after: seconds to wait before the next request.
        let after = body["parameters"]["retry_after"].as_u64().unwrap_or(1);
        Retry::After(Duration::from_secs(after.clamp(1, 86_400)))
    } else {
        server_failed
    };
    Err(PushError {
        message: redact(&format!("HTTP {status}: {why}"), &secrets),
        retry,
    })
}

/// The header that carries the webhook body's signature: `sha256=` and the hex HMAC-SHA256
/// of the raw body under the shared secret (check it before trusting the body).
pub const SIGNATURE_HEADER: &str = "X-Jempol-Signature-256";

/// `sha256=<hex>`: HMAC-SHA256 of `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    use aws_lc_rs::hmac;
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let tag = hmac::sign(&key, body);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// A URL for the log: scheme, host and path, without query or user info.
pub fn redact_url(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| {
            format!(
                "{}://{}{}",
                u.scheme(),
                u.host_str().unwrap_or(""),
                u.path()
            )
        })
        .unwrap_or_default()
}

/// POSTs `body` to the webhook with its signature, again as [`with_retries`] says.
pub async fn push_webhook(
    client: &reqwest::Client,
    hook: &Webhook,
    secret: &str,
    body: &[u8],
    policy: PushRetry,
) -> Result<(), PushError> {
    with_retries("the webhook", policy, async || {
        send_webhook(client, hook, secret, body).await
    })
    .await
}

/// One signed POST: a 2xx, or why not (a 429 or 5xx may be tried again).
async fn send_webhook(
    client: &reqwest::Client,
    hook: &Webhook,
    secret: &str,
    body: &[u8],
) -> Result<(), PushError> {
    let sent = client
        .post(&hook.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature(secret, body))
        .body(body.to_vec())
        .send()
        .await;
    match sent {
        Ok(resp) if resp.status().is_success() => Ok(()),
        Ok(resp) => {
            let status = resp.status();
            let retry = if status.is_server_error() || status.as_u16() == 429 {
                Retry::Later
            } else {
                Retry::Never
            };
            Err(PushError {
                message: format!("webhook answered HTTP {status}"),
                retry,
            })
        }
        Err(e) => Err(PushError {
            message: crate::platform::http::redact(
                &crate::platform::http::network_error(e),
                &[secret.to_string()],
            ),
            retry: Retry::Later,
        }),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_webhook_signature_is_hmac_sha256_of_the_body() {
        // RFC 4231, test case 2.
        assert_eq!(
            super::signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
