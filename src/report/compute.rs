//! The numbers of a report, computed once; every format renders this same [`Report`].
//!
//! Definitions (README, "Reports"): a day is a calendar day in the campaign time zone;
//! gained = latest counts at the period's end minus those at its start, summed per day
//! (a first sight counts on the publication day within tracking, else apart as before
//! tracking; days before tracking are unknown); a hidden count adds nothing and is
//! unknown (`None`) when every post hides it; engagement = likes + comments + shares;
//! engagement rate = engagement gained / followers at the period's end.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};

use crate::model::{AccountId, BusinessId, PostId};
use crate::platform::Platform;
use crate::store::{Gains, RegistryEntry, Store, StoreError};

/// The JSON structure's version: bumped when a field changes meaning or goes away.
pub const SCHEMA_VERSION: u32 = 2;

/// What to report on.
#[derive(Debug, Clone)]
pub struct Request {
    pub campaign: String,
    pub hashtags: Vec<String>,
    pub timezone: String,
    /// First and last day, inclusive.
    pub from: Date,
    pub to: Date,
    pub platform: Option<Platform>,
    /// How many days the trend covers, ending with `to`.
    pub trend_days: i32,
    /// Which registered businesses it covers.
    pub scope: Scope,
}

/// Which registered businesses a report covers: the whole campaign, one business (by
/// key), or those of one district or category (named in any case).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "by", content = "value", rename_all = "lowercase")]
pub enum Scope {
    #[default]
    Campaign,
    Business(String),
    District(String),
    Category(String),
}

impl Scope {
    fn admits(&self, b: &RegistryEntry) -> bool {
        let named =
            |v: &Option<String>, want: &str| v.as_deref().is_some_and(|v| same_name(v, want));
        match self {
            Scope::Campaign => true,
            Scope::Business(k) => b.key == *k,
            Scope::District(d) => named(&b.district, d),
            Scope::Category(c) => named(&b.category, c),
        }
    }
}

/// Whether two registry names are the same, whatever their case and outer spaces.
pub fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// One of a business's accounts, in its drill-down.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AccountLine {
    pub platform: Platform,
    pub account: String,
    pub profile_url: Option<String>,
    /// At the period's end, and the change over it.
    pub followers: Option<i64>,
    pub followers_growth: Option<i64>,
}

/// An account's followers at the end of a day (the latest figure taken by then).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FollowerPoint {
    pub date: String,
    pub platform: Platform,
    pub account: String,
    pub followers: Option<i64>,
}

/// What a report on one business adds: its accounts, their follower trend over the
/// trend's days, and every post of its that gained in the period (most engaging first).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BusinessDetail {
    pub key: String,
    pub name: String,
    pub district: Option<String>,
    pub category: Option<String>,
    pub accounts: Vec<AccountLine>,
    pub followers_trend: Vec<FollowerPoint>,
    pub posts: Vec<TopPost>,
}

/// Campaign-wide figures of a period (registered businesses only).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Totals {
    pub posts_published: i64,
    #[serde(flatten)]
    pub gains: Gains,
    pub engagement: Option<i64>,
    pub followers: Option<i64>,
    pub followers_growth: Option<i64>,
    pub businesses_active: usize,
}

/// One platform's share of the totals.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PlatformTotals {
    pub platform: Platform,
    #[serde(flatten)]
    pub totals: Totals,
}

/// A business on the leaderboard.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BusinessLine {
    pub rank: usize,
    pub key: String,
    pub name: String,
    pub district: Option<String>,
    pub category: Option<String>,
    pub platforms: Vec<Platform>,
    pub posts_published: i64,
    #[serde(flatten)]
    pub gains: Gains,
    pub engagement: Option<i64>,
    /// Engagement gained / followers at the period's end (a fraction, not percent).
    pub engagement_rate: Option<f64>,
    pub followers: Option<i64>,
    pub followers_growth: Option<i64>,
    pub new_participant: bool,
}

/// A post among the period's most engaging.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TopPost {
    pub rank: usize,
    pub platform: Platform,
    pub url: Option<String>,
    pub business_key: Option<String>,
    pub business_name: Option<String>,
    pub account: Option<String>,
    pub caption: Option<String>,
    pub posted_at: Option<String>,
    #[serde(flatten)]
    pub gains: Gains,
    pub engagement: Option<i64>,
    pub deleted: bool,
}

impl TopPost {
    fn new(
        rank: usize,
        post: crate::store::PostGain,
        business: Option<&RegistryEntry>,
        iso: &dyn Fn(i64) -> String,
    ) -> TopPost {
        TopPost {
            rank,
            platform: post.platform,
            url: post.permalink,
            business_key: business.map(|b| b.key.clone()),
            business_name: business.map(|b| b.name.clone()),
            account: post.account,
            caption: post.caption,
            posted_at: post.posted_at.map(iso),
            engagement: post.gains.engagement(),
            gains: post.gains,
            deleted: post.deleted,
        }
    }
}

/// A registered business, as the participant lists name it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BusinessRef {
    pub key: String,
    pub name: String,
    pub district: Option<String>,
    pub category: Option<String>,
    pub platforms: Vec<Platform>,
}

/// A business that went quiet: it posted before the period, not in it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QuietBusiness {
    #[serde(flatten)]
    pub business: BusinessRef,
    /// Tagged posts it published in the [`QUIET_DAYS`] before the period.
    pub posts_before: i64,
}

/// How far back a business must have posted to count as gone quiet.
pub const QUIET_DAYS: i64 = 14;

/// An account outside the registry that used the hashtag in the period.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OutsiderLine {
    pub platform: Platform,
    pub account: String,
    /// The account's public profile, to invite it.
    pub profile_url: Option<String>,
    pub display_name: Option<String>,
    pub posts_published: i64,
    #[serde(flatten)]
    pub gains: Gains,
    pub engagement: Option<i64>,
    pub followers: Option<i64>,
}

/// Posts no account is known for yet (Instagram hashtag media until Business Discovery
/// lists them under an account): counted, never attributed to a business.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Unattributed {
    pub posts_published: i64,
    #[serde(flatten)]
    pub gains: Gains,
    pub engagement: Option<i64>,
}

/// One day and platform of the trend.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TrendPoint {
    pub date: String,
    pub platform: Platform,
    #[serde(flatten)]
    pub gains: Gains,
    pub engagement: Option<i64>,
    /// Its figures may still move (late finds, late attribution).
    pub provisional: bool,
}

/// An earlier day whose campaign engagement moved since its daily report was sent.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Revision {
    pub date: String,
    pub reported: Option<i64>,
    pub now: Option<i64>,
}

/// A day's engagement has moved when it changed by more than both of these.
const REVISION_UNITS: i64 = 10;
const REVISION_SHARE: f64 = 0.01;

fn moved(reported: Option<i64>, now: Option<i64>) -> bool {
    match (reported, now) {
        (Some(a), Some(b)) => {
            let d = (b - a).abs();
            d > REVISION_UNITS && d as f64 > a.abs() as f64 * REVISION_SHARE
        }
        (None, None) => false,
        (a, b) => a.or(b).unwrap_or(0).abs() > REVISION_UNITS,
    }
}

/// Everything a report shows. Serialised as is, it is the JSON format.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub campaign: String,
    pub hashtags: Vec<String>,
    /// The last day (the report's day when it covers one).
    pub date: String,
    pub from: String,
    pub to: String,
    pub timezone: String,
    pub utc_offset: String,
    pub platform: Option<Platform>,
    /// Which registered businesses it covers; every figure is theirs alone.
    pub scope: Scope,
    /// The latest observation in the database, in the campaign time zone.
    pub data_until: Option<String>,
    /// The last day whose figures are settled (`reports.settle_days` after its end,
    /// counted back from the latest day with data: the views' `settled`); later days are
    /// provisional.
    pub settled_until: Option<String>,
    /// The period's last day is provisional: its figures may still move.
    pub provisional: bool,
    /// Earlier days (within the trend) whose engagement moved since they were reported.
    pub revisions: Vec<Revision>,
    pub registered_businesses: usize,
    pub totals: Totals,
    /// The same figures for the period of equal length just before.
    pub previous: Totals,
    pub platforms: Vec<PlatformTotals>,
    pub businesses: Vec<BusinessLine>,
    pub top_posts: Vec<TopPost>,
    pub new_participants: Vec<BusinessRef>,
    /// Registered businesses that posted in the [`QUIET_DAYS`] before the period and not
    /// in it: most posts before first.
    pub gone_quiet: Vec<QuietBusiness>,
    pub not_posted_yet: Vec<BusinessRef>,
    pub outside_registry: Vec<OutsiderLine>,
    pub unattributed: Unattributed,
    pub trend: Vec<TrendPoint>,
    /// The drill-down of a report on one business.
    pub business: Option<BusinessDetail>,
}

impl Report {
    /// The period is one day.
    pub fn is_one_day(&self) -> bool {
        self.from == self.to
    }
}

/// How many top posts a report keeps.
pub const TOP_POSTS: usize = 10;

fn sum_known(values: impl IntoIterator<Item = Option<i64>>) -> Option<i64> {
    values.into_iter().flatten().reduce(|a, b| a + b)
}

/// Computes the report from the store.
pub fn compute(store: &Store, req: &Request) -> Result<Report, StoreError> {
    let tz = TimeZone::fixed(Offset::from_seconds(store.utc_offset()).unwrap_or(Offset::UTC));
    let start_of = |d: Date| -> i64 {
        d.to_zoned(tz.clone())
            .map(|z| z.timestamp().as_second())
            .unwrap_or(0)
    };
    let iso = |t: i64| -> String {
        jiff::Timestamp::from_second(t)
            .map(|ts| {
                ts.to_zoned(tz.clone())
                    .strftime("%Y-%m-%dT%H:%M:%S%:z")
                    .to_string()
            })
            .unwrap_or_default()
    };
    let days = (req.to - req.from).get_days() + 1;
    let prev_to = req.from.yesterday().unwrap_or(req.from);
    let prev_from = req
        .from
        .checked_sub(jiff::Span::new().days(days))
        .unwrap_or(req.from);
    let (start, end) = (
        start_of(req.from),
        start_of(req.to.tomorrow().unwrap_or(req.to)),
    );
    let prev_start = start_of(prev_from);
    let day = |d: Date| d.to_string();
    let p = req.platform;

    let tracked_from = store.tracked_from()?;
    // Platforms tracked on some day up to `last`: before a platform's first tracked day,
    // its gains are unknown, never 0.
    let tracked_by = |last: Date| -> Vec<Platform> {
        tracked_from
            .iter()
            .filter(|(_, first)| *first <= last)
            .map(|(x, _)| *x)
            .collect()
    };
    let mut registry = store.registry_entries(p, end)?;
    registry.retain(|b| req.scope.admits(b));
    let by_id: HashMap<BusinessId, &RegistryEntry> = registry.iter().map(|b| (b.id, b)).collect();
    // A narrowed report counts its businesses' posts and accounts only.
    let scoped: Option<HashSet<BusinessId>> =
        (req.scope != Scope::Campaign).then(|| by_id.keys().copied().collect());
    let keep = |b: Option<BusinessId>| {
        scoped
            .as_ref()
            .is_none_or(|s| b.is_some_and(|b| s.contains(&b)))
    };
    let mut followers = store.followers_at([prev_start, start, end], p, None)?;
    followers.retain(|a| keep(a.business_id));

    // This period and the one before, the same way.
    let period = |from: Date, to: Date, s: i64, e: i64, at: usize| -> Result<_, StoreError> {
        let posts = per_post(store, from, to, p, &keep)?;
        let mut published = store.published(s, e, p)?;
        published.retain(|x| keep(x.business_id));
        Ok((
            Period::new(&posts, &published, &followers, at, tracked_by(to)),
            posts,
            published,
        ))
    };
    // The period before: only its totals are shown, so only they are kept, and its maps
    // are gone before this period's are built (a day of a large campaign: ~60 MB).
    let previous = period(prev_from, prev_to, prev_start, start, 1)?
        .0
        .totals(None);
    let (now, posts, published) = period(req.from, req.to, start, end, 2)?;

    let mut businesses: Vec<BusinessLine> = now
        .active(None)
        .into_iter()
        .filter_map(|id| by_id.get(&id).map(|b| now.line(b, start, end)))
        .collect();
    businesses.sort_by(|a, b| {
        let score = |l: &BusinessLine| {
            (
                l.engagement.unwrap_or(0),
                l.gains.views.unwrap_or(0),
                l.posts_published,
            )
        };
        score(b).cmp(&score(a)).then_with(|| a.key.cmp(&b.key))
    });
    for (i, b) in businesses.iter_mut().enumerate() {
        b.rank = i + 1;
    }

    let platforms = Platform::ALL
        .into_iter()
        .filter(|x| p.is_none_or(|p| p == *x))
        .filter(|x| {
            registry.iter().any(|b| b.platforms.contains(x)) || !now.active(Some(*x)).is_empty()
        })
        .map(|x| PlatformTotals {
            platform: x,
            totals: now.totals(Some(x)),
        })
        .collect();

    // The most engaging posts (registered or not); ties by views, then by id. Kept
    // TOP_POSTS at a time rather than sorting every post of the period.
    let mut best = std::collections::BinaryHeap::with_capacity(TOP_POSTS + 1);
    for (id, (_, _, g)) in &posts {
        let rank = (
            std::cmp::Reverse(g.engagement().unwrap_or(0)),
            std::cmp::Reverse(g.views.unwrap_or(0)),
            *id,
        );
        best.push(rank);
        if best.len() > TOP_POSTS {
            best.pop(); // the worst of those kept
        }
    }
    let ranked: Vec<(PostId, Gains)> = best
        .into_sorted_vec()
        .into_iter()
        .map(|(_, _, id)| (id, posts[&id].2))
        .collect();
    let top_posts = store
        .post_details(&ranked)?
        .into_iter()
        .enumerate()
        .map(|(i, post)| {
            let b = post.business_id.and_then(|id| by_id.get(&id)).copied();
            TopPost::new(i + 1, post, b, &iso)
        })
        .collect();

    let reference = |b: &RegistryEntry| BusinessRef {
        key: b.key.clone(),
        name: b.name.clone(),
        district: b.district.clone(),
        category: b.category.clone(),
        platforms: b.platforms.clone(),
    };
    let new_participants = registry
        .iter()
        .filter(|b| b.first_post_at.is_some_and(|t| t >= start && t < end))
        .map(reference)
        .collect();
    let not_posted_yet = registry
        .iter()
        .filter(|b| !b.seen_by_end)
        .map(reference)
        .collect();
    let gone_quiet = {
        let quiet_from = req
            .from
            .checked_sub(jiff::Span::new().days(QUIET_DAYS))
            .unwrap_or(req.from);
        let by_business = |published: &[crate::store::Published]| {
            let mut by: HashMap<BusinessId, i64> = HashMap::new();
            for x in published {
                if let Some(b) = x.business_id {
                    *by.entry(b).or_default() += x.posts;
                }
            }
            by
        };
        let before = by_business(&store.published(start_of(quiet_from), start, p)?);
        // This period's posts are read already.
        let during = by_business(&published);
        let mut quiet: Vec<QuietBusiness> = before
            .iter()
            .filter(|(b, _)| !during.contains_key(b))
            .filter_map(|(b, n)| {
                Some(QuietBusiness {
                    business: reference(by_id.get(b)?),
                    posts_before: *n,
                })
            })
            .collect();
        quiet.sort_by(|a, b| {
            b.posts_before
                .cmp(&a.posts_before)
                .then_with(|| a.business.name.cmp(&b.business.name))
                .then_with(|| a.business.key.cmp(&b.business.key))
        });
        quiet
    };

    // Accounts outside the registry and posts of no known account are in no district.
    let outside_registry = match scoped {
        None => outsiders(store, (req.from, req.to), &published, end, p)?,
        Some(_) => Vec::new(),
    };
    let unattributed = if scoped.is_some() {
        Unattributed::default()
    } else {
        let gains = store.unattributed_gains(req.from, req.to, p)?;
        Unattributed {
            posts_published: published
                .iter()
                .filter(|x| x.business_id.is_none() && x.account_id.is_none())
                .map(|x| x.posts)
                .sum(),
            engagement: gains.engagement(),
            gains,
        }
    };

    let trend_from = req
        .to
        .checked_sub(jiff::Span::new().days(req.trend_days.max(1) - 1))
        .unwrap_or(req.to);
    let mut trend: BTreeMap<(Date, Platform), Gains> = BTreeMap::new();
    let mut d = trend_from;
    while d <= req.to {
        let tracked = tracked_by(d);
        for x in Platform::ALL
            .into_iter()
            .filter(|x| p.is_none_or(|p| p == *x))
        {
            let nothing = if tracked.contains(&x) {
                Gains::unchanged(x)
            } else {
                Gains::UNKNOWN
            };
            trend.insert((d, x), nothing);
        }
        d = d.tomorrow().unwrap_or(req.to.tomorrow().unwrap_or(req.to));
    }
    let daily = match &scoped {
        None => store.daily_gains(trend_from, req.to, p)?,
        Some(ids) => {
            let ids: Vec<BusinessId> = ids.iter().copied().collect();
            store.scoped_daily_gains(trend_from, req.to, p, &ids)?
        }
    };
    for g in daily {
        trend.insert((g.day, g.platform), g.gains);
    }
    let settled_until = store.settled_until()?;
    let provisional = |d: Date| settled_until.is_none_or(|s| d > s);
    let mut per_day: BTreeMap<Date, Gains> = BTreeMap::new();
    for ((date, _), gains) in &trend {
        per_day
            .entry(*date)
            .and_modify(|g| *g = g.plus(*gains))
            .or_insert(*gains);
    }
    let revisions = match req.from.yesterday() {
        Ok(before) if p.is_none() && scoped.is_none() => store
            .reported_days(trend_from, before)?
            .into_iter()
            .filter_map(|(date, reported)| {
                let now = per_day.get(&date).and_then(|g| g.engagement());
                moved(reported, now).then_some(Revision {
                    date: day(date),
                    reported,
                    now,
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    let trend = trend
        .into_iter()
        .map(|((date, platform), gains)| TrendPoint {
            provisional: provisional(date),
            date: day(date),
            platform,
            engagement: gains.engagement(),
            gains,
        })
        .collect();

    let business = match (&req.scope, registry.as_slice()) {
        (Scope::Business(_), [b]) => Some(detail(
            store,
            b,
            &followers,
            &posts,
            // The trend's days, or the period's when it is longer.
            (trend_from.min(req.from), req.to),
            &start_of,
            &iso,
        )?),
        _ => None,
    };

    let offset =
        crate::time::offset_now(&tz, jiff::Timestamp::from_second(start).unwrap_or_default()).1;
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        campaign: req.campaign.clone(),
        hashtags: req.hashtags.clone(),
        date: day(req.to),
        from: day(req.from),
        to: day(req.to),
        timezone: req.timezone.clone(),
        utc_offset: offset,
        platform: p,
        scope: req.scope.clone(),
        data_until: store.last_observation()?.map(iso),
        provisional: provisional(req.to),
        settled_until: settled_until.map(day),
        revisions,
        registered_businesses: registry.len(),
        totals: now.totals(None),
        previous,
        platforms,
        businesses,
        top_posts,
        new_participants,
        gone_quiet,
        not_posted_yet,
        outside_registry,
        unattributed,
        trend,
        business,
    })
}

/// The drill-down of one business: its accounts with their followers, their followers
/// at the end of each day `days`, and each of its posts that gained in the period.
fn detail(
    store: &Store,
    b: &RegistryEntry,
    followers: &[crate::store::AccountFollowers],
    posts: &PostGains,
    days: (Date, Date),
    start_of: &dyn Fn(Date) -> i64,
    iso: &dyn Fn(i64) -> String,
) -> Result<BusinessDetail, StoreError> {
    let mine: Vec<&crate::store::AccountFollowers> = followers
        .iter()
        .filter(|a| a.business_id == Some(b.id))
        .collect();
    let accounts = mine
        .iter()
        .map(|a| AccountLine {
            platform: a.platform,
            account: a.handle.clone(),
            profile_url: a.platform.profile_url(&a.handle),
            followers: a.at[2],
            followers_growth: a.at[2].zip(a.at[1]).map(|(e, s)| e - s),
        })
        .collect();

    // The latest figure before each day's end: the one before the first day, then each
    // taken since, in order.
    let ids: Vec<AccountId> = mine.iter().map(|a| a.account_id).collect();
    let first = start_of(days.0);
    let mut latest: HashMap<AccountId, Option<i64>> = store
        .followers_at([first; 3], None, Some(&ids))?
        .into_iter()
        .map(|a| (a.account_id, a.at[0]))
        .collect();
    let history =
        store.follower_history(&ids, first, start_of(days.1.tomorrow().unwrap_or(days.1)))?;
    let mut taken = history.into_iter().peekable();
    let mut followers_trend = Vec::new();
    let mut d = days.0;
    while d <= days.1 {
        let end = start_of(d.tomorrow().unwrap_or(d));
        while let Some((account, _, figure)) = taken.next_if(|(_, at, _)| *at < end) {
            latest.insert(account, figure);
        }
        for a in &mine {
            followers_trend.push(FollowerPoint {
                date: d.to_string(),
                platform: a.platform,
                account: a.handle.clone(),
                followers: latest.get(&a.account_id).copied().flatten(),
            });
        }
        match d.tomorrow() {
            Ok(next) => d = next,
            Err(_) => break,
        }
    }

    let mut ranked: Vec<(PostId, Gains)> = posts.iter().map(|(id, (_, _, g))| (*id, *g)).collect();
    ranked.sort_by(|a, b| {
        let score = |g: &Gains| (g.engagement().unwrap_or(0), g.views.unwrap_or(0));
        score(&b.1).cmp(&score(&a.1)).then_with(|| a.0.cmp(&b.0))
    });
    let posts = store
        .post_details(&ranked)?
        .into_iter()
        .enumerate()
        .map(|(i, post)| TopPost::new(i + 1, post, Some(b), iso))
        .collect();
    Ok(BusinessDetail {
        key: b.key.clone(),
        name: b.name.clone(),
        district: b.district.clone(),
        category: b.category.clone(),
        accounts,
        followers_trend,
        posts,
    })
}

/// Post id → its business, platform and gains over a period.
type PostGains = HashMap<PostId, (Option<BusinessId>, Platform, Gains)>;

/// Each post's gains summed over the period's days, with its business and platform.
fn per_post(
    store: &Store,
    from: Date,
    to: Date,
    platform: Option<Platform>,
    keep: &dyn Fn(Option<BusinessId>) -> bool,
) -> Result<PostGains, StoreError> {
    let mut out = PostGains::new();
    store.post_gains(from, to, platform, |r| {
        if !keep(r.business_id) {
            return;
        }
        out.entry(r.post_id)
            .and_modify(|e| e.2 = e.2.plus(r.gains))
            .or_insert((r.business_id, r.platform, r.gains));
    })?;
    Ok(out)
}

/// Accounts outside the registry that published tagged posts or gained on them.
fn outsiders(
    store: &Store,
    (from, to): (Date, Date),
    published: &[crate::store::Published],
    end: i64,
    p: Option<Platform>,
) -> Result<Vec<OutsiderLine>, StoreError> {
    let mut by_account: BTreeMap<AccountId, (i64, Gains)> = BTreeMap::new();
    for o in store.outsider_gains(from, to, p)? {
        by_account.entry(o.account_id).or_insert((0, Gains::ZERO)).1 = o.gains;
    }
    for pb in published {
        if let (None, Some(a)) = (pb.business_id, pb.account_id) {
            by_account.entry(a).or_insert((0, Gains::ZERO)).0 += pb.posts;
        }
    }
    let ids: Vec<AccountId> = by_account.keys().copied().collect();
    let mut lines: Vec<OutsiderLine> = store
        .followers_at([end, end, end], p, Some(&ids))?
        .into_iter()
        .filter(|a| a.business_id.is_none())
        .filter_map(|a| {
            let (posts, gains) = by_account.get(&a.account_id)?;
            Some(OutsiderLine {
                profile_url: a.platform.profile_url(&a.handle),
                platform: a.platform,
                account: a.handle,
                display_name: a.display_name,
                posts_published: *posts,
                engagement: gains.engagement(),
                gains: *gains,
                followers: a.at[2],
            })
        })
        .collect();
    lines.sort_by(|a, b| {
        (b.engagement.unwrap_or(0), b.posts_published)
            .cmp(&(a.engagement.unwrap_or(0), a.posts_published))
            .then_with(|| (a.platform, &a.account).cmp(&(b.platform, &b.account)))
    });
    Ok(lines)
}

/// One period's figures per business and platform.
struct Period {
    gains: HashMap<(BusinessId, Platform), Gains>,
    published: HashMap<(BusinessId, Platform), i64>,
    /// Per business: followers at the period's end, and growth over it, per platform.
    followers: HashMap<(BusinessId, Platform), (Option<i64>, Option<i64>)>,
    /// Platforms tracked on some day of the period: the others' gains are unknown.
    tracked: Vec<Platform>,
}

impl Period {
    /// `at` picks the followers figure at the period's end (start is the one before).
    fn new(
        posts: &PostGains,
        published: &[crate::store::Published],
        followers: &[crate::store::AccountFollowers],
        at: usize,
        tracked: Vec<Platform>,
    ) -> Period {
        let mut f: HashMap<(BusinessId, Platform), (Option<i64>, Option<i64>)> = HashMap::new();
        for a in followers {
            let Some(b) = a.business_id else { continue };
            let entry = f.entry((b, a.platform)).or_insert((None, None));
            let growth = a.at[at].zip(a.at[at - 1]).map(|(e, s)| e - s);
            entry.0 = sum_known([entry.0, a.at[at]]);
            entry.1 = sum_known([entry.1, growth]);
        }
        let mut pubs = HashMap::new();
        for x in published {
            if let Some(b) = x.business_id {
                *pubs.entry((b, x.platform)).or_insert(0) += x.posts;
            }
        }
        let mut gains: HashMap<(BusinessId, Platform), Gains> = HashMap::new();
        for (business, platform, g) in posts.values() {
            if let Some(b) = business {
                gains
                    .entry((*b, *platform))
                    .and_modify(|sum| *sum = sum.plus(*g))
                    .or_insert(*g);
            }
        }
        // Published, but no post of theirs changed on that platform: nothing gained, or
        // unknown when the platform was not tracked yet.
        for key in pubs.keys() {
            let nothing = if tracked.contains(&key.1) {
                Gains::unchanged(key.1)
            } else {
                Gains::UNKNOWN
            };
            gains.entry(*key).or_insert(nothing);
        }
        Period {
            gains,
            published: pubs,
            followers: f,
            tracked,
        }
    }

    /// Businesses with a tagged post published or observed in the period (on
    /// `platform`, or any): `gains` has a key for each, published ones included.
    fn active(&self, platform: Option<Platform>) -> Vec<BusinessId> {
        let mut ids: Vec<BusinessId> = self
            .gains
            .keys()
            .filter(|(_, p)| platform.is_none_or(|x| x == *p))
            .map(|(b, _)| *b)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    fn line(&self, b: &RegistryEntry, start: i64, end: i64) -> BusinessLine {
        let keys = |p: &Platform| (b.id, *p);
        let gains = Gains::sum(
            Platform::ALL
                .iter()
                .filter_map(|p| self.gains.get(&keys(p)).copied()),
        );
        let followers = sum_known(
            Platform::ALL
                .iter()
                .map(|p| self.followers.get(&keys(p)).and_then(|f| f.0)),
        );
        let growth = sum_known(
            Platform::ALL
                .iter()
                .map(|p| self.followers.get(&keys(p)).and_then(|f| f.1)),
        );
        let engagement = gains.engagement();
        BusinessLine {
            rank: 0,
            key: b.key.clone(),
            name: b.name.clone(),
            district: b.district.clone(),
            category: b.category.clone(),
            platforms: b.platforms.clone(),
            posts_published: Platform::ALL
                .iter()
                .filter_map(|p| self.published.get(&keys(p)))
                .sum(),
            gains,
            engagement,
            engagement_rate: engagement
                .zip(followers.filter(|f| *f > 0))
                .map(|(e, f)| e as f64 / f as f64),
            followers,
            followers_growth: growth,
            new_participant: b.first_post_at.is_some_and(|t| t >= start && t < end),
        }
    }

    fn totals(&self, platform: Option<Platform>) -> Totals {
        let on = |p: &Platform| platform.is_none_or(|x| x == *p);
        let gains = if self.tracked.iter().any(on) {
            Gains::sum(
                self.gains
                    .iter()
                    .filter(|((_, p), _)| on(p))
                    .map(|(_, g)| *g),
            )
        } else {
            Gains::UNKNOWN
        };
        Totals {
            posts_published: self
                .published
                .iter()
                .filter(|((_, p), _)| on(p))
                .map(|(_, n)| n)
                .sum(),
            engagement: gains.engagement(),
            gains,
            followers: sum_known(
                self.followers
                    .iter()
                    .filter(|((_, p), _)| on(p))
                    .map(|(_, f)| f.0),
            ),
            followers_growth: sum_known(
                self.followers
                    .iter()
                    .filter(|((_, p), _)| on(p))
                    .map(|(_, f)| f.1),
            ),
            businesses_active: self.active(platform).len(),
        }
    }
}
