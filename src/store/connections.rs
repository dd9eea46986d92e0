//! Accounts that businesses connected with their consent, their sealed tokens, and the
//! OAuth round trips in flight (platform-apis-consent.md). The store keeps tokens only
//! as the sealed bytes it is given: it never sees one in clear.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};
use crate::model::{BusinessId, ConnectionId};
use crate::platform::Platform;

/// Where a connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// Every scope jempol asked for was granted.
    Connected,
    /// Connected, but some scopes were not granted (the page lists them).
    Partial,
    /// The consent lapsed or a token was refused: the business must connect again.
    NeedsReconsent,
    /// Disconnected (in jempol or at the platform): no tokens are kept.
    Revoked,
}

impl ConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionStatus::Connected => "connected",
            ConnectionStatus::Partial => "partial",
            ConnectionStatus::NeedsReconsent => "needs_reconsent",
            ConnectionStatus::Revoked => "revoked",
        }
    }

    fn parse(s: &str) -> ConnectionStatus {
        match s {
            "connected" => ConnectionStatus::Connected,
            "partial" => ConnectionStatus::Partial,
            "needs_reconsent" => ConnectionStatus::NeedsReconsent,
            _ => ConnectionStatus::Revoked,
        }
    }

    /// Whether jempol reads with this connection's tokens.
    pub fn usable(self) -> bool {
        matches!(
            self,
            ConnectionStatus::Connected | ConnectionStatus::Partial
        )
    }
}

/// A connection as the callback saves it (tokens already sealed).
#[derive(Debug, Clone)]
pub struct NewConnection {
    pub business: BusinessId,
    pub platform: Platform,
    pub external_id: String,
    pub handle: Option<String>,
    /// Meta: the app-scoped id of the user who granted it (deauthorize names it).
    pub grantor: Option<String>,
    pub status: ConnectionStatus,
    pub status_reason: Option<String>,
    pub scopes: String,
    pub access_token: Vec<u8>,
    pub refresh_token: Option<Vec<u8>>,
    pub access_expires_at: Option<i64>,
    pub refresh_expires_at: Option<i64>,
}

/// A stored connection.
#[derive(Debug, Clone)]
pub struct Connection {
    pub id: ConnectionId,
    pub business: BusinessId,
    pub business_key: String,
    pub platform: Platform,
    pub external_id: String,
    pub handle: Option<String>,
    /// Meta: the app-scoped id of the user who granted it.
    pub grantor: Option<String>,
    pub status: ConnectionStatus,
    pub status_reason: Option<String>,
    pub scopes: String,
    pub access_token: Option<Vec<u8>>,
    pub refresh_token: Option<Vec<u8>>,
    pub access_expires_at: Option<i64>,
    pub refresh_expires_at: Option<i64>,
    pub connected_at: i64,
    /// When the row last changed (tokens written, status set).
    pub updated_at: i64,
}

impl Connection {
    /// Whether the platform granted `scope` (scopes are kept comma-separated).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.split(',').any(|s| s.trim() == scope)
    }
}

/// Renewed tokens, written together or not at all (TikTok kills the old refresh token
/// the moment it issues a new one: §6.4).
#[derive(Debug, Clone)]
pub struct TokenUpdate {
    pub access_token: Vec<u8>,
    pub refresh_token: Option<Vec<u8>>,
    pub access_expires_at: Option<i64>,
    pub refresh_expires_at: Option<i64>,
}

/// An OAuth round trip in flight.
#[derive(Debug, Clone)]
pub struct OauthState {
    pub business: BusinessId,
    pub platform: Platform,
    pub verifier: Option<Vec<u8>>,
    /// The expiry of the personal link the round trip started from (the browser
    /// returns to that same link).
    pub link_expires_at: Option<i64>,
}

/// A connection whose consent ends soon, for the coordinators' list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Lapsing {
    pub business_key: String,
    pub business_name: String,
    pub platform: Platform,
    pub handle: Option<String>,
    pub status: ConnectionStatus,
    /// When the consent ends (Unix seconds); `None` for one that already needs re-consent.
    pub ends_at: Option<i64>,
}

const COLUMNS: &str = "c.id, c.business_id, b.key, c.platform, c.external_id, c.handle, c.status,
    c.status_reason, c.scopes, c.access_token, c.refresh_token, c.access_expires_at,
    c.refresh_expires_at, c.connected_at, c.updated_at, c.grantor_id";

fn row(r: &rusqlite::Row) -> rusqlite::Result<Connection> {
    let platform: String = r.get(3)?;
    let status: String = r.get(6)?;
    Ok(Connection {
        id: r.get(0)?,
        business: r.get(1)?,
        business_key: r.get(2)?,
        platform: platform.parse().unwrap_or(Platform::Tiktok),
        external_id: r.get(4)?,
        handle: r.get(5)?,
        status: ConnectionStatus::parse(&status),
        status_reason: r.get(7)?,
        scopes: r.get::<_, Option<String>>(8)?.unwrap_or_default(),
        access_token: r.get(9)?,
        refresh_token: r.get(10)?,
        access_expires_at: r.get(11)?,
        refresh_expires_at: r.get(12)?,
        connected_at: r.get(13)?,
        updated_at: r.get(14)?,
        grantor: r.get(15)?,
    })
}

impl Store {
    /// The business a registry key names, with its name.
    pub fn business_by_key(&self, key: &str) -> Result<Option<(BusinessId, String)>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT id, name FROM businesses WHERE key = ?1")?
            .query_row([key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// A business's registry key and name by its row id.
    pub fn business_by_id(&self, id: BusinessId) -> Result<Option<(String, String)>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT key, name FROM businesses WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// Saves a connection (a business connecting again replaces its tokens) and ties
    /// the account it reads to the business, unless the registry gives that account to
    /// another business.
    pub fn save_connection(
        &mut self,
        c: &NewConnection,
        now: i64,
    ) -> Result<ConnectionId, StoreError> {
        let tx = self.conn.transaction()?;
        // The account the registry already knows by this handle or the platform's id
        // (a Page registered by its id, connected by its username), else a new one.
        let handle = c.handle.clone().unwrap_or_else(|| c.external_id.clone());
        let known: Option<(i64, Option<BusinessId>)> = tx
            .prepare_cached(
                "SELECT id, business_id FROM accounts WHERE platform = ?1
                   AND (handle IN (?2, ?3) OR platform_user_id = ?3)
                 ORDER BY business_id IS NOT ?4, id LIMIT 1",
            )?
            .query_row(
                params![c.platform.as_str(), handle, c.external_id, c.business],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let account: Option<i64> = match known {
            Some((id, Some(owner))) if owner == c.business => Some(id),
            // The registry gives this account to another business: read, not credited here.
            Some((_, Some(_))) => None,
            Some((id, None)) => {
                tx.prepare_cached(
                    "UPDATE accounts SET business_id = ?2, origin = 'registered',
                         platform_user_id = coalesce(platform_user_id, ?3) WHERE id = ?1",
                )?
                .execute(params![id, c.business, c.external_id])?;
                Some(id)
            }
            None => Some(
                tx.prepare_cached(
                    "INSERT INTO accounts (platform, handle, platform_user_id, business_id, origin, first_seen_at)
                     VALUES (?1, ?2, ?3, ?4, 'registered', ?5) RETURNING id",
                )?
                .query_row(
                    params![c.platform.as_str(), handle, c.external_id, c.business, now],
                    |r| r.get(0),
                )?,
            ),
        };
        let id = tx
            .prepare_cached(
                "INSERT INTO connections (business_id, platform, external_id, handle, account_id, status,
                     status_reason, scopes, access_token, refresh_token, access_expires_at,
                     refresh_expires_at, connected_at, updated_at, grantor_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14)
                 ON CONFLICT (platform, external_id) DO UPDATE SET
                     business_id = excluded.business_id, handle = excluded.handle,
                     grantor_id = excluded.grantor_id,
                     account_id = excluded.account_id, status = excluded.status,
                     status_reason = excluded.status_reason, scopes = excluded.scopes,
                     access_token = excluded.access_token, refresh_token = excluded.refresh_token,
                     access_expires_at = excluded.access_expires_at,
                     refresh_expires_at = excluded.refresh_expires_at,
                     connected_at = excluded.connected_at, updated_at = excluded.updated_at
                 RETURNING id",
            )?
            .query_row(
                params![
                    c.business,
                    c.platform.as_str(),
                    c.external_id,
                    c.handle,
                    account,
                    c.status.as_str(),
                    c.status_reason,
                    c.scopes,
                    c.access_token,
                    c.refresh_token,
                    c.access_expires_at,
                    c.refresh_expires_at,
                    now,
                    c.grantor
                ],
                |r| r.get(0),
            )?;
        tx.commit()?;
        Ok(id)
    }

    /// A business's connections, every status, by platform.
    pub fn connections_of(&self, business: BusinessId) -> Result<Vec<Connection>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM connections c JOIN businesses b ON b.id = c.business_id
             WHERE c.business_id = ?1 ORDER BY c.platform, c.connected_at DESC"
        ))?;
        Ok(stmt.query_map([business], row)?.collect::<Result<_, _>>()?)
    }

    /// The usable connections of `platform` from row `from` on, at most `limit`, in row
    /// order: a listing over every connected business walks them a few at a time.
    pub fn usable_connections_from(
        &self,
        platform: Platform,
        from: i64,
        limit: usize,
    ) -> Result<Vec<Connection>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM connections c JOIN businesses b ON b.id = c.business_id
             WHERE c.platform = ?1 AND c.status IN ('connected', 'partial')
               AND c.access_token IS NOT NULL AND c.id >= ?2
             ORDER BY c.id LIMIT ?3"
        ))?;
        Ok(stmt
            .query_map(params![platform.as_str(), from, limit as i64], row)?
            .collect::<Result<_, _>>()?)
    }

    /// The usable connections of `platform` whose platform id or handle is one of `keys`.
    pub fn usable_connections_matching(
        &self,
        platform: Platform,
        keys: &[&str],
    ) -> Result<Vec<Connection>, StoreError> {
        let keys = serde_json::to_string(keys).unwrap_or_else(|_| "[]".into());
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM connections c JOIN businesses b ON b.id = c.business_id
             WHERE c.platform = ?1 AND c.status IN ('connected', 'partial')
               AND c.access_token IS NOT NULL
               AND (c.external_id IN (SELECT value FROM json_each(?2))
                    OR c.handle IN (SELECT value FROM json_each(?2)))
             ORDER BY c.id"
        ))?;
        Ok(stmt
            .query_map(params![platform.as_str(), keys], row)?
            .collect::<Result<_, _>>()?)
    }

    /// One connection by id.
    pub fn connection_by_id(&self, id: ConnectionId) -> Result<Option<Connection>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM connections c JOIN businesses b ON b.id = c.business_id
                 WHERE c.id = ?1"
            ))?
            .query_row([id], row)
            .optional()?)
    }

    /// Replaces a connection's tokens in one statement, if it is still usable (a
    /// disconnect that came first wins). Returns whether it was written.
    pub fn update_tokens(
        &self,
        id: ConnectionId,
        t: &TokenUpdate,
        now: i64,
    ) -> Result<bool, StoreError> {
        let n = self
            .conn
            .prepare_cached(
                "UPDATE connections SET access_token = ?2, refresh_token = ?3,
                     access_expires_at = ?4, refresh_expires_at = ?5, updated_at = ?6
                 WHERE id = ?1 AND status IN ('connected', 'partial')",
            )?
            .execute(params![
                id,
                t.access_token,
                t.refresh_token,
                t.access_expires_at,
                t.refresh_expires_at,
                now
            ])?;
        Ok(n == 1)
    }

    /// Sets a connection's status with the reason in words; `Revoked` also deletes its
    /// tokens. Returns whether a connection was changed.
    pub fn mark_connection(
        &self,
        id: ConnectionId,
        status: ConnectionStatus,
        reason: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let n = self
            .conn
            .prepare_cached(
                "UPDATE connections SET status = ?2, status_reason = ?3, updated_at = ?4,
                     access_token = CASE WHEN ?2 = 'revoked' THEN NULL ELSE access_token END,
                     refresh_token = CASE WHEN ?2 = 'revoked' THEN NULL ELSE refresh_token END
                 WHERE id = ?1",
            )?
            .execute(params![id, status.as_str(), reason, now])?;
        Ok(n == 1)
    }

    /// The connection a platform knows by its user id (TikTok `open_id`, Meta user id).
    pub fn connection_by_external(
        &self,
        platform: Platform,
        external_id: &str,
    ) -> Result<Option<Connection>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM connections c JOIN businesses b ON b.id = c.business_id
                 WHERE c.platform = ?1 AND c.external_id = ?2"
            ))?
            .query_row(params![platform.as_str(), external_id], row)
            .optional()?)
    }

    /// The connections a Meta user granted (every Page and Instagram account of theirs).
    pub fn connections_granted_by(&self, grantor: &str) -> Result<Vec<Connection>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM connections c JOIN businesses b ON b.id = c.business_id
             WHERE c.grantor_id = ?1 ORDER BY c.id"
        ))?;
        Ok(stmt.query_map([grantor], row)?.collect::<Result<_, _>>()?)
    }

    /// Connections whose consent ends before `before`, or that already need re-consent,
    /// soonest first.
    pub fn lapsing_connections(&self, before: i64) -> Result<Vec<Lapsing>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT b.key, b.name, c.platform, c.handle, c.status, c.refresh_expires_at
             FROM connections c JOIN businesses b ON b.id = c.business_id
             WHERE c.status = 'needs_reconsent'
                OR (c.status IN ('connected', 'partial') AND c.refresh_expires_at < ?1)
             ORDER BY c.status <> 'needs_reconsent', c.refresh_expires_at, b.key",
        )?;
        let rows = stmt.query_map([before], |r| {
            let platform: String = r.get(2)?;
            let status: String = r.get(4)?;
            let status = ConnectionStatus::parse(&status);
            Ok(Lapsing {
                business_key: r.get(0)?,
                business_name: r.get(1)?,
                platform: platform.parse().unwrap_or(Platform::Tiktok),
                handle: r.get(3)?,
                status,
                ends_at: if status == ConnectionStatus::NeedsReconsent {
                    None
                } else {
                    r.get(5)?
                },
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Keeps an OAuth round trip until `expires_at`; old ones are dropped on the way.
    pub fn put_oauth_state(
        &self,
        state: &str,
        s: &OauthState,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("DELETE FROM oauth_states WHERE expires_at <= ?1")?
            .execute([now])?;
        self.conn
            .prepare_cached(
                "INSERT INTO oauth_states (state, business_id, platform, verifier, link_expires_at,
                     created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                state,
                s.business,
                s.platform.as_str(),
                s.verifier,
                s.link_expires_at,
                now,
                expires_at
            ])?;
        Ok(())
    }

    /// Takes an OAuth round trip for good (a `state` works once), if it has not expired.
    pub fn take_oauth_state(
        &self,
        state: &str,
        now: i64,
    ) -> Result<Option<OauthState>, StoreError> {
        type Found = (BusinessId, String, Option<Vec<u8>>, Option<i64>, i64);
        let found: Option<Found> = self
            .conn
            .prepare_cached(
                "DELETE FROM oauth_states WHERE state = ?1
                 RETURNING business_id, platform, verifier, link_expires_at, expires_at",
            )?
            .query_row([state], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()?;
        Ok(found.and_then(
            |(business, platform, verifier, link_expires_at, expires_at)| {
                (expires_at > now).then(|| OauthState {
                    business,
                    platform: platform.parse().unwrap_or(Platform::Tiktok),
                    verifier,
                    link_expires_at,
                })
            },
        ))
    }

    /// Records a platform callback by its key; `false` when it was handled before.
    pub fn record_consent_event(
        &self,
        platform: Platform,
        key: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let n = self
            .conn
            .prepare_cached(
                "INSERT INTO consent_events (platform, event_key, received_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![platform.as_str(), key, now])?;
        Ok(n == 1)
    }
}
