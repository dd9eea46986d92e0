//! The campaign's figures for the dashboard: [`crate::report::compute`] itself (the very
//! numbers of the daily reports), computed once per period and platform and kept until
//! the database changed *and* `dashboard.refresh_seconds` passed. A stale figure is
//! served, marked with when it was computed, while a fresh one is computed beside it:
//! a campaign-wide computation takes about a second at 45,000 businesses, a page 200 ms.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::civil::Date;

use super::readers::Readers;
use crate::model::BusinessId;
use crate::platform::Platform;
use crate::report::compute::{Report, Request, Scope, compute};
use crate::store::{DayScore, Store, StoreError};

/// One computed period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub from: Date,
    pub to: Date,
    pub platform: Option<Platform>,
}

/// A figure and when it was computed (Unix seconds, for "angka per …").
pub struct Computed<T> {
    pub value: Arc<T>,
    pub at: i64,
}

impl<T> Clone for Computed<T> {
    fn clone(&self) -> Self {
        Computed {
            value: self.value.clone(),
            at: self.at,
        }
    }
}

struct Slot<T> {
    computed: Computed<T>,
    version: i64,
    made: Instant,
    used: Instant,
    refreshing: bool,
}

/// Each registered business's rank on each of a span of days (the report's order:
/// engagement, then views, then posts, then key), among the businesses active that day.
#[derive(Debug, Default)]
pub struct Ranks {
    pub days: Vec<Date>,
    /// Per business: its rank on each of `days` (`None`: not active that day).
    pub of: HashMap<BusinessId, Vec<Option<u32>>>,
    /// How many businesses were ranked each day.
    pub ranked: Vec<u32>,
}

/// How many computed periods are kept (a campaign-wide report of 45,000 businesses is
/// tens of MB).
const KEPT: usize = 10;

pub struct Figures {
    readers: Arc<Readers>,
    template: Request,
    refresh: Duration,
    clock: Arc<dyn crate::time::Clock>,
    /// A connection of its own whose `PRAGMA data_version` moves when any other commits.
    watch: Mutex<Option<Store>>,
    reports: Mutex<HashMap<Key, Slot<Report>>>,
    ranks: Mutex<HashMap<(Date, Date), Slot<Ranks>>>,
    /// One campaign-wide computation at a time: the daemon shares the machine.
    computing: tokio::sync::Semaphore,
}

impl Figures {
    pub fn new(
        readers: Arc<Readers>,
        template: Request,
        refresh: Duration,
        clock: Arc<dyn crate::time::Clock>,
    ) -> Figures {
        Figures {
            readers,
            template,
            refresh,
            clock,
            watch: Mutex::new(None),
            reports: Mutex::new(HashMap::new()),
            ranks: Mutex::new(HashMap::new()),
            computing: tokio::sync::Semaphore::new(1),
        }
    }

    /// The database's change counter as this process last saw it (0 when unreadable:
    /// then every figure is computed again after `refresh`).
    fn version(&self) -> i64 {
        let mut watch = self.watch.lock().unwrap_or_else(|p| p.into_inner());
        if watch.is_none() {
            *watch = Store::open_read_only(self.readers.path()).ok();
        }
        watch
            .as_ref()
            .and_then(|s| {
                s.connection()
                    .query_row("PRAGMA data_version", [], |r| r.get(0))
                    .ok()
            })
            .unwrap_or(0)
    }

    /// The campaign-wide report of a period (every figure the dashboard shows of it).
    pub async fn report(self: &Arc<Self>, key: Key) -> Result<Computed<Report>, StoreError> {
        let template = self.template.clone();
        self.cached(
            |f| &f.reports,
            key,
            Arc::new(move |store: &Store| {
                let mut req = template.clone();
                req.from = key.from;
                req.to = key.to;
                req.platform = key.platform;
                req.scope = Scope::Campaign;
                req.trend_days = ((key.to - key.from).get_days() + 1).max(14);
                compute(store, &req)
            }),
        )
        .await
    }

    /// Every business's daily rank over `from..=to`.
    pub async fn ranks(
        self: &Arc<Self>,
        from: Date,
        to: Date,
    ) -> Result<Computed<Ranks>, StoreError> {
        self.cached(
            |f| &f.ranks,
            (from, to),
            Arc::new(move |store: &Store| ranks(store, from, to)),
        )
        .await
    }

    async fn cached<K, T>(
        self: &Arc<Self>,
        slots: Slots<K, T>,
        key: K,
        make: Maker<T>,
    ) -> Result<Computed<T>, StoreError>
    where
        K: Copy + Eq + std::hash::Hash + Send + 'static,
        T: Send + Sync + 'static,
    {
        let me = self.clone();
        let version = tokio::task::spawn_blocking(move || me.version())
            .await
            .unwrap_or(0);
        if let Some(hit) = self.lookup(slots, key, version, &make) {
            return Ok(hit);
        }
        let _one = self.computing.acquire().await;
        // Another request may have computed it while this one waited.
        if let Some(hit) = self.lookup(slots, key, version, &make) {
            return Ok(hit);
        }
        let computed = self.make(slots, key, version, make).await?;
        Ok(computed)
    }

    /// A kept figure, fresh or stale; a stale one starts its recomputation.
    fn lookup<K, T>(
        self: &Arc<Self>,
        slots: Slots<K, T>,
        key: K,
        version: i64,
        make: &Maker<T>,
    ) -> Option<Computed<T>>
    where
        K: Copy + Eq + std::hash::Hash + Send + 'static,
        T: Send + Sync + 'static,
    {
        let mut map = slots(self).lock().unwrap_or_else(|p| p.into_inner());
        let slot = map.get_mut(&key)?;
        slot.used = Instant::now();
        let fresh = slot.version == version || slot.made.elapsed() < self.refresh;
        if !fresh && !slot.refreshing {
            slot.refreshing = true;
            let me = self.clone();
            let make = make.clone();
            tokio::spawn(async move {
                let _one = me.computing.acquire().await;
                if let Err(e) = me.make(slots, key, version, make).await {
                    tracing::warn!(error = %e, "dashboard: cannot compute the figures again; the last ones are shown");
                    if let Some(s) = slots(&me)
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get_mut(&key)
                    {
                        s.refreshing = false;
                    }
                }
            });
        }
        Some(slot.computed.clone())
    }

    async fn make<K, T>(
        self: &Arc<Self>,
        slots: Slots<K, T>,
        key: K,
        version: i64,
        make: Maker<T>,
    ) -> Result<Computed<T>, StoreError>
    where
        K: Copy + Eq + std::hash::Hash + Send + 'static,
        T: Send + Sync + 'static,
    {
        let value = self.readers.read(move |s| make(s)).await?;
        let computed = Computed {
            value: Arc::new(value),
            at: self.clock.now().as_second(),
        };
        let mut map = slots(self).lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= KEPT && !map.contains_key(&key) {
            let oldest = map.iter().min_by_key(|(_, s)| s.used).map(|(k, _)| *k);
            if let Some(k) = oldest {
                map.remove(&k);
            }
        }
        let now = Instant::now();
        map.insert(
            key,
            Slot {
                computed: computed.clone(),
                version,
                made: now,
                used: now,
                refreshing: false,
            },
        );
        Ok(computed)
    }
}

/// Which of the kept maps a figure lives in.
type Slots<K, T> = fn(&Figures) -> &Mutex<HashMap<K, Slot<T>>>;

type Maker<T> = Arc<dyn Fn(&Store) -> Result<T, StoreError> + Send + Sync>;

/// Ranks every business active on each day of `from..=to`.
pub fn ranks(store: &Store, from: Date, to: Date) -> Result<Ranks, StoreError> {
    let keys = store.business_keys()?;
    let mut by_day: Vec<(Date, Vec<DayScore>)> = Vec::new();
    store.day_scores(from, to, |s| match by_day.last_mut() {
        Some((d, v)) if *d == s.day => v.push(s),
        _ => by_day.push((s.day, vec![s])),
    })?;
    let mut days = Vec::new();
    let mut d = from;
    while d <= to {
        days.push(d);
        d = d.tomorrow().unwrap_or(to);
        if days.len() > 400 {
            break;
        }
    }
    let mut out = Ranks {
        ranked: vec![0; days.len()],
        days,
        of: HashMap::new(),
    };
    let empty = String::new();
    for (day, mut scores) in by_day {
        let Some(i) = out.days.iter().position(|x| *x == day) else {
            continue;
        };
        let key = |s: &DayScore| keys.get(&s.business_id).unwrap_or(&empty);
        scores.sort_by(|a, b| {
            let score =
                |s: &DayScore| (s.engagement.unwrap_or(0), s.views.unwrap_or(0), s.published);
            score(b).cmp(&score(a)).then_with(|| key(a).cmp(key(b)))
        });
        out.ranked[i] = scores.len() as u32;
        let n = out.days.len();
        for (rank, s) in scores.iter().enumerate() {
            out.of.entry(s.business_id).or_insert_with(|| vec![None; n])[i] = Some(rank as u32 + 1);
        }
    }
    Ok(out)
}
