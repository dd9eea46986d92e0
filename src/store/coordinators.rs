//! Who may sign in to the dashboard: coordinators, their sessions and their API tokens.
//! The store is handed hashes only (a password's Argon2id string, a session's or
//! token's keyed hash); it never sees a password or a token in clear.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

/// A coordinator account, as sign-in reads it.
#[derive(Debug, Clone)]
pub struct Coordinator {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
}

/// A coordinator account, as `jempol users list` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CoordinatorRow {
    pub username: String,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
    /// Sessions not yet expired.
    pub sessions: i64,
    pub api_tokens: i64,
}

impl Store {
    /// Adds a coordinator; `None` when the name (in any case) is taken.
    pub fn add_coordinator(
        &self,
        username: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let added = self.conn.execute(
            "INSERT INTO coordinators (username, password_hash, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (username) DO NOTHING",
            params![username, password_hash, now],
        )?;
        Ok((added == 1).then(|| self.conn.last_insert_rowid()))
    }

    /// Sets a coordinator's password and ends its sessions; false when there is none.
    pub fn set_coordinator_password(
        &self,
        username: &str,
        password_hash: &str,
    ) -> Result<bool, StoreError> {
        let Some(c) = self.coordinator(username)? else {
            return Ok(false);
        };
        self.conn.execute(
            "UPDATE coordinators SET password_hash = ?2 WHERE id = ?1",
            params![c.id, password_hash],
        )?;
        self.conn
            .execute("DELETE FROM sessions WHERE coordinator_id = ?1", [c.id])?;
        Ok(true)
    }

    /// Removes a coordinator with its sessions and API tokens; false when there is none.
    pub fn remove_coordinator(&mut self, username: &str) -> Result<bool, StoreError> {
        let tx = self.conn.transaction()?;
        let id: Option<i64> = tx
            .query_row(
                "SELECT id FROM coordinators WHERE username = ?1",
                [username],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = id {
            tx.execute("DELETE FROM sessions WHERE coordinator_id = ?1", [id])?;
            tx.execute("DELETE FROM api_tokens WHERE coordinator_id = ?1", [id])?;
            tx.execute("DELETE FROM coordinators WHERE id = ?1", [id])?;
        }
        tx.commit()?;
        Ok(id.is_some())
    }

    /// The coordinator of that name, in any case.
    pub fn coordinator(&self, username: &str) -> Result<Option<Coordinator>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, username, password_hash FROM coordinators WHERE username = ?1",
            )?
            .query_row([username], |r| {
                Ok(Coordinator {
                    id: r.get(0)?,
                    username: r.get(1)?,
                    password_hash: r.get(2)?,
                })
            })
            .optional()?)
    }

    /// Every coordinator, by name.
    pub fn coordinators(&self, now: i64) -> Result<Vec<CoordinatorRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.username, c.created_at, c.last_login_at,
                    (SELECT count(*) FROM sessions s WHERE s.coordinator_id = c.id AND s.expires_at > ?1),
                    (SELECT count(*) FROM api_tokens t WHERE t.coordinator_id = c.id)
             FROM coordinators c ORDER BY c.username",
        )?;
        let rows = stmt.query_map([now], |r| {
            Ok(CoordinatorRow {
                username: r.get(0)?,
                created_at: r.get(1)?,
                last_login_at: r.get(2)?,
                sessions: r.get(3)?,
                api_tokens: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Starts a session for a coordinator who just signed in (and forgets expired ones).
    pub fn start_session(
        &mut self,
        id_hash: &str,
        coordinator: i64,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now])?;
        tx.execute(
            "INSERT INTO sessions (id_hash, coordinator_id, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![id_hash, coordinator, now, expires_at],
        )?;
        tx.execute(
            "UPDATE coordinators SET last_login_at = ?2 WHERE id = ?1",
            params![coordinator, now],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The coordinator a live session belongs to.
    pub fn session_user(&self, id_hash: &str, now: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT c.username FROM sessions s JOIN coordinators c ON c.id = s.coordinator_id
                 WHERE s.id_hash = ?1 AND s.expires_at > ?2",
            )?
            .query_row(params![id_hash, now], |r| r.get(0))
            .optional()?)
    }

    /// Ends a session (signing out).
    pub fn end_session(&self, id_hash: &str) -> Result<(), StoreError> {
        self.conn
            .execute("DELETE FROM sessions WHERE id_hash = ?1", [id_hash])?;
        Ok(())
    }

    /// Adds an API token for a coordinator; false when there is none of that name.
    pub fn add_api_token(
        &self,
        username: &str,
        token_hash: &str,
        label: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let Some(c) = self.coordinator(username)? else {
            return Ok(false);
        };
        self.conn.execute(
            "INSERT INTO api_tokens (token_hash, coordinator_id, label, created_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![token_hash, c.id, label, now],
        )?;
        Ok(true)
    }

    /// The coordinator an API token belongs to.
    pub fn api_token_user(&self, token_hash: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT c.username FROM api_tokens t JOIN coordinators c ON c.id = t.coordinator_id
                 WHERE t.token_hash = ?1",
            )?
            .query_row([token_hash], |r| r.get(0))
            .optional()?)
    }
}
