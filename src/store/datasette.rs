//! Datasette metadata for a jempol database: titles of the views, internal tables hidden,
//! and canned queries. Datasette keys metadata by the database's name (the file's stem),
//! so the metadata is written for the configured file (`jempol db datasette-metadata`);
//! `config/datasette.yml` is the one for the default `data/jempol.db`.

/// The day a canned query shows when none is given: the latest complete day, the one
/// before the latest day with data (that one is still being written).
const LATEST_COMPLETE_DAY: &str = "date((SELECT max(day) FROM day_totals), '-1 day')";

/// A canned query: name, title, description, SQL (`:day` is its one parameter, if any).
pub struct CannedQuery {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    sql: &'static str,
}

impl CannedQuery {
    /// The SQL as Datasette runs it.
    pub fn sql(&self) -> String {
        self.sql.replace("{LATEST}", LATEST_COMPLETE_DAY)
    }
}

/// The canned queries, each reading the views (their figures are the contract's) over the
/// materialised day tables (fast at any size).
pub const CANNED_QUERIES: [CannedQuery; 5] = [
    CannedQuery {
        name: "leaderboard",
        title: "Leaderboard of a day",
        description: "Businesses ranked by engagement gained (likes + comments + shares) on a day, all platforms together. Leave day empty for the latest complete day. An empty cell is a count the platforms hide, or a day before tracking.",
        sql: "WITH d AS (
  SELECT COALESCE(NULLIF(:day, ''), {LATEST}) AS day
),
g AS (
  SELECT business_key, business_name, district, category,
         group_concat(platform) AS platforms,
         sum(posts_published) AS posts_published,
         sum(posts_changed) AS posts_changed,
         sum(likes_gained) AS likes, sum(comments_gained) AS comments,
         sum(shares_gained) AS shares, sum(views_gained) AS views
  FROM business_daily
  WHERE day = (SELECT day FROM d) AND (posts_published > 0 OR posts_changed > 0)
  GROUP BY business_key
)
SELECT
  rank() OVER (ORDER BY COALESCE(likes, 0) + COALESCE(comments, 0) + COALESCE(shares, 0) DESC) AS rank,
  (SELECT day FROM d) AS day,
  business_key, business_name, district, category, platforms,
  likes, comments, shares, views,
  COALESCE(likes, 0) + COALESCE(comments, 0) + COALESCE(shares, 0) AS engagement,
  posts_published, posts_changed
FROM g
ORDER BY rank, business_key
LIMIT 200",
    },
    CannedQuery {
        name: "daily_trend",
        title: "Daily trend, 30 days",
        description: "Campaign engagement (likes + comments + shares), views and posts that gained, per day, registered businesses, all platforms together, up to the latest complete day. campaign_daily has the same per platform, with followers.",
        sql: "SELECT day,
       sum(likes) + sum(comments) + sum(shares) AS engagement,
       sum(likes) AS likes, sum(comments) AS comments, sum(shares) AS shares,
       sum(views) AS views,
       sum(posts) AS posts_changed
FROM day_totals
WHERE registered = 1 AND day <= {LATEST} AND day > date({LATEST}, '-30 days')
GROUP BY day
ORDER BY day DESC",
    },
    CannedQuery {
        name: "top_posts",
        title: "Top posts of a day",
        description: "Posts with the most engagement gained on a day (registered or not). Leave day empty for the latest complete day.",
        sql: "WITH d AS (
  SELECT COALESCE(NULLIF(:day, ''), {LATEST}) AS day
)
SELECT g.platform, b.key AS business_key, b.name AS business_name, p.permalink,
       g.likes_gained, g.comments_gained, g.shares_gained, g.views_gained,
       COALESCE(g.likes_gained, 0) + COALESCE(g.comments_gained, 0)
         + COALESCE(g.shares_gained, 0) AS engagement
FROM post_daily g
JOIN posts p ON p.id = g.post_id
LEFT JOIN businesses b ON b.id = p.business_id
WHERE g.day = (SELECT day FROM d)
ORDER BY engagement DESC, views_gained DESC
LIMIT 50",
    },
    CannedQuery {
        name: "not_posted_yet",
        title: "Registered businesses that have not posted yet",
        description: "Candidates for a reminder from their coach.",
        sql: "SELECT b.key, b.name, b.district, b.category,
       (SELECT group_concat(a.platform || ':' || a.handle, ', ')
          FROM accounts a WHERE a.business_id = b.id) AS accounts
FROM businesses b
WHERE NOT EXISTS (SELECT 1 FROM posts p WHERE p.business_id = b.id)
ORDER BY b.district, b.name",
    },
    CannedQuery {
        name: "outside_registry",
        title: "Accounts outside the registry that used the hashtag",
        description: "Invite them to register.",
        sql: "SELECT a.platform, a.handle, a.display_name, count(p.id) AS posts,
       min(datetime(p.posted_at, 'unixepoch')) AS first_post_utc
FROM accounts a JOIN posts p ON p.account_id = a.id
WHERE a.business_id IS NULL
GROUP BY a.id
ORDER BY posts DESC",
    },
];

const HEAD: &str = r#"# Datasette metadata for a jempol database, written by `jempol db datasette-metadata`:
#   datasette FILE.db -m THIS.yml
# Datasette keys metadata by the database's name (the file name without .db): this file is
# for "{NAME}". Read-only: Datasette opens the file beside the writing daemon (WAL mode),
# never blocks it. The views are jempol's public contract (README, "Views for dashboards").
title: jempol — hashtag campaign engagement
description_html: |-
  Likes, comments, shares, views and followers that the campaign brings to registered
  small businesses (UMKM). Days are calendar days in the campaign time zone (WIB for
  Padang). <em>Gained</em> = counts at the day's end minus counts at its start; an empty
  cell is a count the platform hides or a day before tracking (unknown), never 0.
license: Campaign data — ask the cooperative office before publishing
databases:
  "{NAME}":
    description: Written by the jempol daemon; schema in schema.sql.
    tables:
      campaign_daily:
        title: Campaign per day and platform
        description: Registered businesses summed per campaign day and platform.
        sort_desc: day
      business_daily:
        title: Business per day and platform
        description: One row per registered business, platform and day with any activity.
        sort_desc: day
      posts_latest:
        title: Posts with their latest counts
        description: Every tracked post; business_key is empty for accounts outside the registry.
      post_daily:
        title: Post gains per day
        description: Per post and day it gained on, counts at the day's end and what was gained.
      tracked_from:
        title: Tracking start per platform
        description: Days before a platform's first tracked day are unknown.
      businesses:
        title: Registry
        description: The businesses the campaign coaches, imported from the registry CSV.
      accounts:
        title: Accounts
        description: Registered and discovered accounts; origin says which.
      poll_runs:
        title: Poll runs
        description: The daemon's history per platform; error is already redacted.
      quota_ledger:
        title: Quota spent
"#;

/// Tables of jempol's own bookkeeping, hidden from the dashboard.
const HIDDEN: [&str; 13] = [
    "post_snapshots",
    "account_snapshots",
    "post_days",
    "day_totals",
    "business_days",
    "campaign_days",
    "follower_changes",
    "tracking",
    "sync_state",
    "settings",
    "hashtags",
    "campaign_tz",
    "campaign_offset",
];

/// The metadata for a database that Datasette names `name` (the file's stem).
pub fn metadata(name: &str) -> String {
    let quoted = name.replace('\\', "\\\\").replace('"', "\\\"");
    let mut out = HEAD.replace("{NAME}", &quoted);
    for table in HIDDEN {
        out.push_str(&format!("      {table}:\n        hidden: true\n"));
    }
    out.push_str("    queries:\n");
    for q in &CANNED_QUERIES {
        out.push_str(&format!(
            "      {}:\n        title: \"{}\"\n        description: \"{}\"\n        sql: |-\n",
            q.name, q.title, q.description
        ));
        for line in q.sql().lines() {
            out.push_str(&format!("          {line}\n"));
        }
    }
    out
}
