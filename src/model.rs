//! Typed values that cross module boundaries, where a bare string or number could be
//! mixed up with another.

/// How one platform's cycle ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Ok,
    /// Some steps failed; what succeeded is stored.
    Partial,
    Failed,
    Interrupted,
    /// The platform's quota for this window is spent: the cycle did what it allowed,
    /// the rest waits for the next window. Not a failure.
    QuotaSpent,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Partial => "partial",
            Outcome::Failed => "failed",
            Outcome::Interrupted => "interrupted",
            Outcome::QuotaSpent => "quota_spent",
        }
    }
}

/// The state a discovery keeps between pages and cycles (beside its cursor), stored as
/// JSON in `sync_state.state`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DiscoveryState {
    /// Posts published since this instant (Unix seconds) are listed: fixed across the
    /// pages of one discovery, resumed or not.
    pub since: Option<i64>,
    /// When the last discovery read its listing to the end.
    pub completed_at: Option<i64>,
}

impl DiscoveryState {
    /// The stored JSON; anything unreadable (an older or damaged row) is no state.
    pub fn parse(text: Option<&str>) -> DiscoveryState {
        text.and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default()
    }

    pub fn to_json(self) -> String {
        serde_json::to_string(&self).unwrap_or_default()
    }
}

/// Row ids of the store's tables, each its own type: a business's id passed where a
/// post's is expected does not compile. Stored and serialised as the bare integer.
macro_rules! row_id {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

row_id! {
    /// A row of `posts`.
    PostId;
    /// A row of `businesses` (the registry).
    BusinessId;
    /// A row of `accounts`.
    AccountId;
    /// A row of `poll_runs`: one platform's cycle.
    RunId;
    /// A row of `connections`: an account a business connected with its consent.
    ConnectionId;
}
