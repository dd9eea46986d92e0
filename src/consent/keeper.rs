//! Hands the pollers each connected account's live access token: renewed from its
//! refresh token when under a fifth of its lifetime is left (platform-apis-consent.md
//! §6.3), the rotated pair written before the new access token is used (§6.4), one
//! renewal at a time per account. A consent that ended marks its account for the
//! coordinators; it never stops the platform for the other businesses.

use std::collections::HashMap;
use std::sync::Arc;

use super::tiktok::{Grant, TiktokOauth};
use super::{Vault, token_context};
use crate::model::ConnectionId;
use crate::platform::ApiError;
use crate::platform::http::SecretSet;
use crate::platform::{Platform, TrackedAccount};
use crate::store::{ConnectionStatus, ConsentConnection, TokenUpdate, Writer};
use crate::time::Clock;

/// The tokens of one platform's connections.
pub struct Keeper {
    platform: Platform,
    writer: Writer,
    vault: Arc<Vault>,
    /// Renews expiring tokens (TikTok); `None` where tokens do not expire (Meta's Page
    /// tokens, §8.4).
    oauth: Option<Arc<TiktokOauth>>,
    clock: Arc<dyn Clock>,
    renewing: tokio::sync::Mutex<HashMap<ConnectionId, Arc<tokio::sync::Mutex<()>>>>,
    /// Tokens opened so far, redacted from every message.
    opened: std::sync::RwLock<SecretSet>,
}

/// Sealed forms of a grant's tokens and their deadlines, as the store keeps them.
pub fn sealed(vault: &Vault, platform: Platform, grant: &Grant, now: i64) -> TokenUpdate {
    TokenUpdate {
        access_token: vault.seal(
            &token_context(platform, &grant.open_id, "access"),
            &grant.access_token,
        ),
        refresh_token: (!grant.refresh_token.is_empty()).then(|| {
            vault.seal(
                &token_context(platform, &grant.open_id, "refresh"),
                &grant.refresh_token,
            )
        }),
        access_expires_at: Some(now + grant.expires_in.max(0)),
        refresh_expires_at: (grant.refresh_expires_in > 0).then(|| now + grant.refresh_expires_in),
    }
}

impl Keeper {
    pub fn new(
        platform: Platform,
        writer: Writer,
        vault: Arc<Vault>,
        oauth: Option<Arc<TiktokOauth>>,
        clock: Arc<dyn Clock>,
    ) -> Keeper {
        Keeper {
            platform,
            writer,
            vault,
            oauth,
            clock,
            renewing: tokio::sync::Mutex::new(HashMap::new()),
            opened: std::sync::RwLock::new(SecretSet::default()),
        }
    }

    /// The OAuth client that renews this platform's tokens, if they expire.
    pub fn oauth(&self) -> Option<&TiktokOauth> {
        self.oauth.as_deref()
    }

    /// `text` without any token this keeper opened or renewed.
    pub fn redact(&self, text: &str) -> String {
        let text = match &self.oauth {
            Some(o) => o.redact(text),
            None => text.to_string(),
        };
        self.opened
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .redact(&text)
    }

    /// The usable connections from row `from` on, at most `limit` (for the pollers: a
    /// store that cannot be read fails the step like a platform that cannot be).
    pub async fn usable_from(
        &self,
        from: i64,
        limit: usize,
    ) -> Result<Vec<ConsentConnection>, ApiError> {
        let platform = self.platform;
        self.writer
            .run(move |s| s.usable_connections_from(platform, from, limit))
            .await
            .map_err(|e| ApiError::Invalid(format!("reading the connections: {e}")))
    }

    fn open(&self, c: &ConsentConnection, field: &str, sealed: Option<&[u8]>) -> Option<String> {
        let sealed = sealed?;
        match self
            .vault
            .open(&token_context(c.platform, &c.external_id, field), sealed)
        {
            Ok(token) => {
                self.opened
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .add(&token);
                Some(token)
            }
            Err(e) => {
                tracing::error!(business = %c.business_key, platform = %c.platform, error = %e, "a stored token cannot be opened");
                None
            }
        }
    }

    /// The connected ones among `accounts` (matched by the platform's id or the handle),
    /// each with its connection and live access token; the others are left out.
    pub async fn holders(
        &self,
        accounts: &[TrackedAccount],
    ) -> Result<Vec<(TrackedAccount, ConsentConnection, String)>, ApiError> {
        let platform = self.platform;
        // Only the connections these accounts may have, read by their ids and handles.
        let keys: Vec<String> = accounts
            .iter()
            .flat_map(|a| std::iter::once(a.handle.clone()).chain(a.platform_user_id.clone()))
            .collect();
        let conns = self
            .writer
            .run(move |s| {
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                s.usable_connections_matching(platform, &keys)
            })
            .await
            .map_err(|e| ApiError::Invalid(format!("reading the connections: {e}")))?;
        let mut by_key: HashMap<&str, &ConsentConnection> = HashMap::new();
        for c in &conns {
            by_key.entry(c.external_id.as_str()).or_insert(c);
            if let Some(h) = c.handle.as_deref() {
                by_key.entry(h).or_insert(c);
            }
        }
        let mut out = Vec::new();
        for a in accounts {
            let Some(&c) = a
                .platform_user_id
                .as_deref()
                .and_then(|id| by_key.get(id))
                .or_else(|| by_key.get(a.handle.as_str()))
            else {
                continue;
            };
            if let Some(token) = self.access(c, false).await {
                let account = TrackedAccount {
                    handle: a.handle.clone(),
                    platform_user_id: Some(c.external_id.clone()),
                };
                out.push((account, c.clone(), token));
            }
        }
        Ok(out)
    }

    /// Whether the access token has under a fifth of its lifetime left.
    fn due(c: &ConsentConnection, now: i64) -> bool {
        match c.access_expires_at {
            None => false,
            Some(exp) => {
                let lifetime = (exp - c.updated_at).max(60);
                exp - now < lifetime / 5
            }
        }
    }

    /// The live access token of `c`, renewed first when due or when `force` (the
    /// platform refused it). `None`: nothing can be read with it now (the account was
    /// marked when the consent ended; a passing failure was logged).
    pub async fn access(&self, c: &ConsentConnection, force: bool) -> Option<String> {
        let now = self.clock.now().as_second();
        let Some(oauth) = self.oauth.as_deref() else {
            // Nothing to renew with: the token is good until the platform refuses it.
            return (!force)
                .then(|| self.open(c, "access", c.access_token.as_deref()))
                .flatten();
        };
        if !force && !Self::due(c, now) {
            return self.open(c, "access", c.access_token.as_deref());
        }
        let lock = {
            let mut map = self.renewing.lock().await;
            map.entry(c.id).or_default().clone()
        };
        let _one_at_a_time = lock.lock().await;
        // Another task may have renewed it while this one waited.
        let id = c.id;
        let current = match self.writer.run(move |s| s.connection_by_id(id)).await {
            Ok(Some(current)) if current.status.usable() => current,
            Ok(_) => return None,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read a connection");
                return None;
            }
        };
        if current.updated_at != c.updated_at && !Self::due(&current, now) {
            return self.open(&current, "access", current.access_token.as_deref());
        }
        if current.refresh_expires_at.is_some_and(|end| end <= now) {
            self.mark(
                &current,
                ConnectionStatus::NeedsReconsent,
                "the consent ended: connect again",
            )
            .await;
            return None;
        }
        let Some(refresh) = self.open(&current, "refresh", current.refresh_token.as_deref()) else {
            self.mark(
                &current,
                ConnectionStatus::NeedsReconsent,
                "no renewable token: connect again",
            )
            .await;
            return None;
        };
        match oauth.refresh(&refresh).await {
            Ok(grant) => {
                if grant.open_id != current.external_id {
                    tracing::error!(business = %current.business_key, "a renewal answered for another account; ignored");
                    return None;
                }
                let update = sealed(&self.vault, self.platform, &grant, now);
                // Kept before use: the old refresh token is already dead (§6.4).
                match self
                    .writer
                    .run(move |s| s.update_tokens(id, &update, now))
                    .await
                {
                    Ok(true) => {
                        tracing::info!(business = %current.business_key, platform = %self.platform, "access token renewed");
                        Some(grant.access_token)
                    }
                    Ok(false) => None, // disconnected meanwhile
                    Err(e) => {
                        tracing::error!(business = %current.business_key, error = %e, "renewed tokens could not be stored: the business will have to connect again");
                        None
                    }
                }
            }
            Err(ApiError::TokenRefused(why)) => {
                tracing::warn!(business = %current.business_key, platform = %self.platform, reason = %self.redact(&why), "renewal refused: the business must connect again");
                self.mark(
                    &current,
                    ConnectionStatus::NeedsReconsent,
                    "the platform refused to renew access: connect again",
                )
                .await;
                None
            }
            Err(e) => {
                tracing::warn!(business = %current.business_key, platform = %self.platform, error = %self.redact(&e.to_string()), "renewal failed; tried again next cycle");
                if force {
                    None
                } else {
                    self.open(&current, "access", current.access_token.as_deref())
                }
            }
        }
    }

    /// A read refused the token after a renewal: the business must connect again.
    pub async fn refused(&self, c: &ConsentConnection) {
        self.mark(
            c,
            ConnectionStatus::NeedsReconsent,
            "the platform refused access: connect again",
        )
        .await;
    }

    async fn mark(&self, c: &ConsentConnection, status: ConnectionStatus, reason: &'static str) {
        let (id, now) = (c.id, self.clock.now().as_second());
        if let Err(e) = self
            .writer
            .run(move |s| s.mark_connection(id, status, reason, now))
            .await
        {
            tracing::warn!(error = %e, "cannot mark a connection");
        }
        tracing::warn!(business = %c.business_key, platform = %c.platform, status = status.as_str(), "{reason}");
    }
}
