-- jempol database schema: the one source of truth, embedded in the binary.
--
-- Layout of this file (read by src/store/migrate.rs):
--   "-- @migration N" starts forward-only step N. Steps run in order, each in its own
--   transaction, and set PRAGMA user_version = N. A step is never edited once released:
--   change the schema by appending a new step.
--   "-- @views" starts the public views. They are dropped and recreated whenever any
--   step runs, so they always match the newest tables.
--
-- Conventions: instants are INTEGER Unix seconds in UTC (`*_at`); the views turn them into
-- ISO-8601 text in the campaign time zone. A NULL count means "the platform did not report
-- it" and is never 0. Secrets never appear in any table.

-- @migration 1
-- The registry and what was observed: the first released schema.

CREATE TABLE businesses (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,          -- the campaign's registry key
    name        TEXT NOT NULL,
    category    TEXT,
    district    TEXT,                          -- kecamatan
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE accounts (
    id               INTEGER PRIMARY KEY,
    platform         TEXT NOT NULL CHECK (platform IN ('instagram', 'facebook', 'tiktok', 'youtube')),
    handle           TEXT NOT NULL,            -- normalised: username, page id, channel id or @handle
    platform_user_id TEXT,                     -- the platform's own id, once learned
    business_id      INTEGER REFERENCES businesses(id),
    origin           TEXT NOT NULL CHECK (origin IN ('registered', 'discovered')),
    first_seen_at    INTEGER NOT NULL,
    UNIQUE (platform, handle)
) STRICT;
CREATE INDEX accounts_business ON accounts(business_id);

CREATE TABLE posts (
    id                INTEGER PRIMARY KEY,
    platform          TEXT NOT NULL CHECK (platform IN ('instagram', 'facebook', 'tiktok', 'youtube')),
    platform_post_id  TEXT NOT NULL,
    account_id        INTEGER REFERENCES accounts(id),
    business_id       INTEGER REFERENCES businesses(id),   -- NULL: not in the registry
    permalink         TEXT,
    caption           TEXT,
    media_type        TEXT,
    posted_at         INTEGER,
    first_seen_at     INTEGER NOT NULL,
    last_refreshed_at INTEGER NOT NULL,
    deleted_at        INTEGER,                 -- marked, never removed
    UNIQUE (platform, platform_post_id)
) STRICT;
CREATE INDEX posts_business ON posts(business_id, posted_at);
CREATE INDEX posts_account ON posts(account_id);

-- Written on first sight and whenever any count changed.
CREATE TABLE post_snapshots (
    post_id   INTEGER NOT NULL REFERENCES posts(id),
    taken_at  INTEGER NOT NULL,
    likes     INTEGER,
    comments  INTEGER,
    shares    INTEGER,
    views     INTEGER,
    PRIMARY KEY (post_id, taken_at)
) STRICT, WITHOUT ROWID;

CREATE TABLE account_snapshots (
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    taken_at    INTEGER NOT NULL,
    followers   INTEGER,
    following   INTEGER,
    media_count INTEGER,
    total_likes INTEGER,                       -- TikTok likes_count
    total_views INTEGER,                       -- YouTube channel viewCount
    PRIMARY KEY (account_id, taken_at)
) STRICT, WITHOUT ROWID;

-- @migration 2
-- What the polling daemon needs to run for months: its history, spent quota, resumable
-- cursors, resolved platform ids, and the campaign settings the views read.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE poll_runs (
    id          INTEGER PRIMARY KEY,
    platform    TEXT NOT NULL CHECK (platform IN ('instagram', 'facebook', 'tiktok', 'youtube')),
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    outcome     TEXT NOT NULL CHECK (outcome IN ('running', 'ok', 'partial', 'failed', 'interrupted')),
    requests    INTEGER NOT NULL DEFAULT 0,
    items_seen  INTEGER NOT NULL DEFAULT 0,
    error       TEXT                           -- already redacted
) STRICT;
CREATE INDEX poll_runs_platform ON poll_runs(platform, started_at);

-- Spent quota per platform, bucket (e.g. 'units', 'requests', 'hashtags') and window.
CREATE TABLE quota_ledger (
    platform     TEXT NOT NULL CHECK (platform IN ('instagram', 'facebook', 'tiktok', 'youtube')),
    bucket       TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    used         INTEGER NOT NULL,
    PRIMARY KEY (platform, bucket, window_start)
) STRICT;

-- Where an interrupted pagination resumes, per platform and query.
CREATE TABLE sync_state (
    platform   TEXT NOT NULL CHECK (platform IN ('instagram', 'facebook', 'tiktok', 'youtube')),
    query      TEXT NOT NULL,
    cursor     TEXT,
    state      TEXT,                           -- JSON, client specific
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (platform, query)
) STRICT;

-- Platform ids of hashtags (Instagram ids are static: resolve once) and when each was
-- first searched, for Instagram's 30 unique hashtags per rolling 7 days.
CREATE TABLE hashtags (
    platform          TEXT NOT NULL CHECK (platform IN ('instagram', 'facebook', 'tiktok', 'youtube')),
    tag               TEXT NOT NULL,           -- lower-case, without '#'
    platform_tag_id   TEXT,
    last_searched_at  INTEGER,
    PRIMARY KEY (platform, tag)
) STRICT;

ALTER TABLE accounts ADD COLUMN display_name TEXT;
-- 'active', or why polling it stopped: 'undiscoverable', 'not_found'.
ALTER TABLE accounts ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE accounts ADD COLUMN checked_at INTEGER;

CREATE INDEX post_snapshots_taken ON post_snapshots(taken_at);

-- @migration 3
-- Accounts are looked up by the platform's own id on every ingest (a YouTube channel
-- id, a Page id): without this index each lookup scanned the whole table.

CREATE INDEX accounts_platform_user ON accounts(platform, platform_user_id);

-- @migration 4
-- Reports and dashboards read days, not snapshots: a per-post, per-day rollup written with
-- each snapshot, and each post's latest counts on its row (what the ingest compares
-- new counts with, and what posts_latest shows).

ALTER TABLE posts ADD COLUMN likes INTEGER;
ALTER TABLE posts ADD COLUMN comments INTEGER;
ALTER TABLE posts ADD COLUMN shares INTEGER;
ALTER TABLE posts ADD COLUMN views INTEGER;
ALTER TABLE posts ADD COLUMN counted_at INTEGER;   -- when the latest snapshot was taken
UPDATE posts SET (likes, comments, shares, views, counted_at) =
    (SELECT likes, comments, shares, views, taken_at FROM post_snapshots s
      WHERE s.post_id = posts.id ORDER BY taken_at DESC LIMIT 1);
CREATE INDEX posts_posted ON posts(posted_at);

-- One row per post and campaign day on which a snapshot was taken. start_* are the
-- counts at the day's start (the latest before it; 0 when the post was first seen that
-- day), the others the latest counts of the day. Gained that day = end minus start.
-- jempol fills it from post_snapshots whenever the campaign's UTC offset differs from
-- the one it was built with (settings 'rollup_utc_offset_seconds').
CREATE TABLE post_days (
    day            TEXT NOT NULL,              -- YYYY-MM-DD in the campaign time zone
    post_id        INTEGER NOT NULL REFERENCES posts(id),
    platform       TEXT NOT NULL,
    business_id    INTEGER,                    -- = posts.business_id (kept by a trigger)
    start_likes    INTEGER,
    start_comments INTEGER,
    start_shares   INTEGER,
    start_views    INTEGER,
    likes          INTEGER,
    comments       INTEGER,
    shares         INTEGER,
    views          INTEGER,
    PRIMARY KEY (day, post_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX post_days_post ON post_days(post_id, day);

-- A post attributed to a business later (registry import, merged accounts) carries its
-- days along.
CREATE TRIGGER post_days_business AFTER UPDATE OF business_id ON posts
WHEN OLD.business_id IS NOT NEW.business_id
BEGIN
    UPDATE post_days SET business_id = NEW.business_id WHERE post_id = NEW.id;
END;

-- post_days summed per day, platform and whether the post is a registered business's:
-- what campaign totals and the 14-day trend read (a few rows a day instead of one per
-- post). Kept by the triggers below on every change of post_days. For each count, the
-- sum of the known gains and how many were known: a total is unknown when none was.
CREATE TABLE day_totals (
    day             TEXT NOT NULL,
    platform        TEXT NOT NULL,
    registered      INTEGER NOT NULL,          -- 1: posts of registered businesses
    posts           INTEGER NOT NULL,          -- post-day rows summed
    likes           INTEGER NOT NULL,
    likes_known     INTEGER NOT NULL,
    comments        INTEGER NOT NULL,
    comments_known  INTEGER NOT NULL,
    shares          INTEGER NOT NULL,
    shares_known    INTEGER NOT NULL,
    views           INTEGER NOT NULL,
    views_known     INTEGER NOT NULL,
    PRIMARY KEY (day, platform, registered)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER day_totals_add AFTER INSERT ON post_days
BEGIN
    INSERT INTO day_totals VALUES (
        NEW.day, NEW.platform, NEW.business_id IS NOT NULL, 1,
        COALESCE(NEW.likes - NEW.start_likes, 0), NEW.likes - NEW.start_likes IS NOT NULL,
        COALESCE(NEW.comments - NEW.start_comments, 0), NEW.comments - NEW.start_comments IS NOT NULL,
        COALESCE(NEW.shares - NEW.start_shares, 0), NEW.shares - NEW.start_shares IS NOT NULL,
        COALESCE(NEW.views - NEW.start_views, 0), NEW.views - NEW.start_views IS NOT NULL)
    ON CONFLICT (day, platform, registered) DO UPDATE SET
        posts = posts + 1,
        likes = likes + excluded.likes, likes_known = likes_known + excluded.likes_known,
        comments = comments + excluded.comments, comments_known = comments_known + excluded.comments_known,
        shares = shares + excluded.shares, shares_known = shares_known + excluded.shares_known,
        views = views + excluded.views, views_known = views_known + excluded.views_known;
END;

CREATE TRIGGER day_totals_remove AFTER DELETE ON post_days
BEGIN
    UPDATE day_totals SET
        posts = posts - 1,
        likes = likes - COALESCE(OLD.likes - OLD.start_likes, 0),
        likes_known = likes_known - (OLD.likes - OLD.start_likes IS NOT NULL),
        comments = comments - COALESCE(OLD.comments - OLD.start_comments, 0),
        comments_known = comments_known - (OLD.comments - OLD.start_comments IS NOT NULL),
        shares = shares - COALESCE(OLD.shares - OLD.start_shares, 0),
        shares_known = shares_known - (OLD.shares - OLD.start_shares IS NOT NULL),
        views = views - COALESCE(OLD.views - OLD.start_views, 0),
        views_known = views_known - (OLD.views - OLD.start_views IS NOT NULL)
    WHERE day = OLD.day AND platform = OLD.platform AND registered = (OLD.business_id IS NOT NULL);
END;

CREATE TRIGGER day_totals_change AFTER UPDATE ON post_days
BEGIN
    UPDATE day_totals SET
        posts = posts - 1,
        likes = likes - COALESCE(OLD.likes - OLD.start_likes, 0),
        likes_known = likes_known - (OLD.likes - OLD.start_likes IS NOT NULL),
        comments = comments - COALESCE(OLD.comments - OLD.start_comments, 0),
        comments_known = comments_known - (OLD.comments - OLD.start_comments IS NOT NULL),
        shares = shares - COALESCE(OLD.shares - OLD.start_shares, 0),
        shares_known = shares_known - (OLD.shares - OLD.start_shares IS NOT NULL),
        views = views - COALESCE(OLD.views - OLD.start_views, 0),
        views_known = views_known - (OLD.views - OLD.start_views IS NOT NULL)
    WHERE day = OLD.day AND platform = OLD.platform AND registered = (OLD.business_id IS NOT NULL);
    INSERT INTO day_totals VALUES (
        NEW.day, NEW.platform, NEW.business_id IS NOT NULL, 1,
        COALESCE(NEW.likes - NEW.start_likes, 0), NEW.likes - NEW.start_likes IS NOT NULL,
        COALESCE(NEW.comments - NEW.start_comments, 0), NEW.comments - NEW.start_comments IS NOT NULL,
        COALESCE(NEW.shares - NEW.start_shares, 0), NEW.shares - NEW.start_shares IS NOT NULL,
        COALESCE(NEW.views - NEW.start_views, 0), NEW.views - NEW.start_views IS NOT NULL)
    ON CONFLICT (day, platform, registered) DO UPDATE SET
        posts = posts + 1,
        likes = likes + excluded.likes, likes_known = likes_known + excluded.likes_known,
        comments = comments + excluded.comments, comments_known = comments_known + excluded.comments_known,
        shares = shares + excluded.shares, shares_known = shares_known + excluded.shares_known,
        views = views + excluded.views, views_known = views_known + excluded.views_known;
END;

-- @migration 5
-- Numbers that hold (README, "Definitions"): counts a post had gathered before jempol
-- first saw it are never a gain of the day it was first seen. They go to the post's
-- publication day when that day lies within tracking, else they are kept apart on the
-- post as "before tracking". Days before a platform's tracking start are unknown.

-- When jempol first stored something of each platform: its tracking start. Written once.
CREATE TABLE tracking (
    platform   TEXT PRIMARY KEY CHECK (platform IN ('instagram', 'facebook', 'tiktok', 'youtube')),
    started_at INTEGER NOT NULL
) STRICT;
INSERT INTO tracking (platform, started_at)
SELECT platform, min(first_seen_at) FROM posts GROUP BY platform;

-- A post's counts at first sight when it was published before its platform's tracking
-- start: engagement from before tracking, shown apart, never as a day's gain.
ALTER TABLE posts ADD COLUMN before_likes INTEGER;
ALTER TABLE posts ADD COLUMN before_comments INTEGER;
ALTER TABLE posts ADD COLUMN before_shares INTEGER;
ALTER TABLE posts ADD COLUMN before_views INTEGER;

-- post_days is rebuilt with the new definition the next time jempol opens the file.
DELETE FROM settings WHERE key = 'rollup_utc_offset_seconds';

-- @migration 6
-- Dashboard-speed views: what business_daily and campaign_daily show, kept per business,
-- platform and day as the daemon writes (as day_totals is for the campaign), so a view
-- reads a few index ranges instead of grouping every post-day, post and snapshot.

-- One row per registered business, platform and campaign day with any activity: posts
-- published, post-day rows (posts that gained), follower figures taken; the known gains
-- summed as in day_totals; followers at the day's end (its accounts on that platform).
CREATE TABLE business_days (
    day             TEXT NOT NULL,
    business_id     INTEGER NOT NULL,
    platform        TEXT NOT NULL,
    published       INTEGER NOT NULL DEFAULT 0,
    changed         INTEGER NOT NULL DEFAULT 0,
    likes           INTEGER NOT NULL DEFAULT 0,
    likes_known     INTEGER NOT NULL DEFAULT 0,
    comments        INTEGER NOT NULL DEFAULT 0,
    comments_known  INTEGER NOT NULL DEFAULT 0,
    shares          INTEGER NOT NULL DEFAULT 0,
    shares_known    INTEGER NOT NULL DEFAULT 0,
    views           INTEGER NOT NULL DEFAULT 0,
    views_known     INTEGER NOT NULL DEFAULT 0,
    follower_figures INTEGER NOT NULL DEFAULT 0,
    followers       INTEGER,
    PRIMARY KEY (day, business_id, platform)
) STRICT, WITHOUT ROWID;
CREATE INDEX business_days_business ON business_days(business_id, platform, day);

-- Per campaign day and platform, registered businesses only: posts published, and how
-- many businesses were active (published or gained on a post).
CREATE TABLE campaign_days (
    day        TEXT NOT NULL,
    platform   TEXT NOT NULL,
    published  INTEGER NOT NULL DEFAULT 0,
    active     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, platform)
) STRICT, WITHOUT ROWID;

-- Registered accounts' follower figures as changes per day and platform: the campaign's
-- followers at a day's end are the sum of the changes up to that day (`known`: how many
-- accounts have a figure, so that none reads NULL, not 0).
CREATE TABLE follower_changes (
    day        TEXT NOT NULL,
    platform   TEXT NOT NULL,
    followers  INTEGER NOT NULL DEFAULT 0,
    known      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (platform, day)
) STRICT, WITHOUT ROWID;

-- The campaign day of an instant, as the triggers below cut it (settings written by
-- jempol; WIB when never written).
CREATE VIEW IF NOT EXISTS campaign_offset AS
SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'utc_offset_seconds'), 25200) AS off;

CREATE TRIGGER business_days_gain AFTER INSERT ON post_days
WHEN NEW.business_id IS NOT NULL
BEGIN
    INSERT INTO business_days (day, business_id, platform, changed, likes, likes_known,
                               comments, comments_known, shares, shares_known, views, views_known)
    VALUES (NEW.day, NEW.business_id, NEW.platform, 1,
        COALESCE(NEW.likes - NEW.start_likes, 0), NEW.likes - NEW.start_likes IS NOT NULL,
        COALESCE(NEW.comments - NEW.start_comments, 0), NEW.comments - NEW.start_comments IS NOT NULL,
        COALESCE(NEW.shares - NEW.start_shares, 0), NEW.shares - NEW.start_shares IS NOT NULL,
        COALESCE(NEW.views - NEW.start_views, 0), NEW.views - NEW.start_views IS NOT NULL)
    ON CONFLICT (day, business_id, platform) DO UPDATE SET
        changed = changed + 1,
        likes = likes + excluded.likes, likes_known = likes_known + excluded.likes_known,
        comments = comments + excluded.comments, comments_known = comments_known + excluded.comments_known,
        shares = shares + excluded.shares, shares_known = shares_known + excluded.shares_known,
        views = views + excluded.views, views_known = views_known + excluded.views_known;
END;

CREATE TRIGGER business_days_ungain AFTER DELETE ON post_days
WHEN OLD.business_id IS NOT NULL
BEGIN
    UPDATE business_days SET
        changed = changed - 1,
        likes = likes - COALESCE(OLD.likes - OLD.start_likes, 0),
        likes_known = likes_known - (OLD.likes - OLD.start_likes IS NOT NULL),
        comments = comments - COALESCE(OLD.comments - OLD.start_comments, 0),
        comments_known = comments_known - (OLD.comments - OLD.start_comments IS NOT NULL),
        shares = shares - COALESCE(OLD.shares - OLD.start_shares, 0),
        shares_known = shares_known - (OLD.shares - OLD.start_shares IS NOT NULL),
        views = views - COALESCE(OLD.views - OLD.start_views, 0),
        views_known = views_known - (OLD.views - OLD.start_views IS NOT NULL)
    WHERE day = OLD.day AND business_id = OLD.business_id AND platform = OLD.platform;
END;

CREATE TRIGGER business_days_regain AFTER UPDATE ON post_days
BEGIN
    UPDATE business_days SET
        changed = changed - 1,
        likes = likes - COALESCE(OLD.likes - OLD.start_likes, 0),
        likes_known = likes_known - (OLD.likes - OLD.start_likes IS NOT NULL),
        comments = comments - COALESCE(OLD.comments - OLD.start_comments, 0),
        comments_known = comments_known - (OLD.comments - OLD.start_comments IS NOT NULL),
        shares = shares - COALESCE(OLD.shares - OLD.start_shares, 0),
        shares_known = shares_known - (OLD.shares - OLD.start_shares IS NOT NULL),
        views = views - COALESCE(OLD.views - OLD.start_views, 0),
        views_known = views_known - (OLD.views - OLD.start_views IS NOT NULL)
    WHERE OLD.business_id IS NOT NULL
      AND day = OLD.day AND business_id = OLD.business_id AND platform = OLD.platform;
    INSERT INTO business_days (day, business_id, platform, changed, likes, likes_known,
                               comments, comments_known, shares, shares_known, views, views_known)
    SELECT NEW.day, NEW.business_id, NEW.platform, 1,
        COALESCE(NEW.likes - NEW.start_likes, 0), NEW.likes - NEW.start_likes IS NOT NULL,
        COALESCE(NEW.comments - NEW.start_comments, 0), NEW.comments - NEW.start_comments IS NOT NULL,
        COALESCE(NEW.shares - NEW.start_shares, 0), NEW.shares - NEW.start_shares IS NOT NULL,
        COALESCE(NEW.views - NEW.start_views, 0), NEW.views - NEW.start_views IS NOT NULL
    WHERE NEW.business_id IS NOT NULL
    ON CONFLICT (day, business_id, platform) DO UPDATE SET
        changed = changed + 1,
        likes = likes + excluded.likes, likes_known = likes_known + excluded.likes_known,
        comments = comments + excluded.comments, comments_known = comments_known + excluded.comments_known,
        shares = shares + excluded.shares, shares_known = shares_known + excluded.shares_known,
        views = views + excluded.views, views_known = views_known + excluded.views_known;
END;

-- Posts published, per business day and campaign day.
CREATE TRIGGER business_days_published AFTER INSERT ON posts
WHEN NEW.business_id IS NOT NULL AND NEW.posted_at IS NOT NULL
BEGIN
    INSERT INTO business_days (day, business_id, platform, published)
    SELECT date(NEW.posted_at + off, 'unixepoch'), NEW.business_id, NEW.platform, 1 FROM campaign_offset
    WHERE true -- (an upsert after FROM needs a WHERE)
    ON CONFLICT (day, business_id, platform) DO UPDATE SET published = published + 1;
END;

CREATE TRIGGER business_days_republished AFTER UPDATE OF business_id, posted_at ON posts
WHEN OLD.business_id IS NOT NEW.business_id OR OLD.posted_at IS NOT NEW.posted_at
BEGIN
    UPDATE business_days SET published = published - 1
    WHERE OLD.business_id IS NOT NULL AND OLD.posted_at IS NOT NULL
      AND day = (SELECT date(OLD.posted_at + off, 'unixepoch') FROM campaign_offset)
      AND business_id = OLD.business_id AND platform = OLD.platform;
    INSERT INTO business_days (day, business_id, platform, published)
    SELECT date(NEW.posted_at + off, 'unixepoch'), NEW.business_id, NEW.platform, 1 FROM campaign_offset
    WHERE NEW.business_id IS NOT NULL AND NEW.posted_at IS NOT NULL
    ON CONFLICT (day, business_id, platform) DO UPDATE SET published = published + 1;
END;

-- A business day's followers: its accounts on that platform at the day's end. Set when the
-- row appears and whenever a figure of that day is taken.
CREATE TRIGGER business_days_followers AFTER INSERT ON business_days
BEGIN
    UPDATE business_days SET followers = (
        SELECT sum((SELECT s.followers FROM account_snapshots s
                     WHERE s.account_id = a.id
                       AND s.taken_at < CAST(strftime('%s', NEW.day, '+1 day') AS INTEGER) - (SELECT off FROM campaign_offset)
                     ORDER BY s.taken_at DESC LIMIT 1))
        FROM accounts a WHERE a.business_id = NEW.business_id AND a.platform = NEW.platform)
    WHERE day = NEW.day AND business_id = NEW.business_id AND platform = NEW.platform;
END;

-- Which businesses were active on a campaign day (published or gained), and what was
-- published: kept as business days appear and change.
CREATE TRIGGER campaign_days_add AFTER INSERT ON business_days
WHEN NEW.published > 0 OR NEW.changed > 0
BEGIN
    INSERT INTO campaign_days (day, platform, published, active)
    VALUES (NEW.day, NEW.platform, NEW.published, 1)
    ON CONFLICT (day, platform) DO UPDATE SET
        published = published + excluded.published, active = active + 1;
END;

CREATE TRIGGER campaign_days_change AFTER UPDATE OF published, changed ON business_days
WHEN (OLD.published > 0 OR OLD.changed > 0) IS NOT (NEW.published > 0 OR NEW.changed > 0)
   OR OLD.published IS NOT NEW.published
BEGIN
    INSERT INTO campaign_days (day, platform, published, active)
    VALUES (NEW.day, NEW.platform, NEW.published - OLD.published,
            (NEW.published > 0 OR NEW.changed > 0) - (OLD.published > 0 OR OLD.changed > 0))
    ON CONFLICT (day, platform) DO UPDATE SET
        published = published + excluded.published, active = active + excluded.active;
END;

-- A follower figure of a registered account: its business day counts it and takes the
-- new day-end figure; the campaign's followers change by the difference to the figure
-- before it.
CREATE TRIGGER follower_figure AFTER INSERT ON account_snapshots
WHEN (SELECT business_id FROM accounts WHERE id = NEW.account_id) IS NOT NULL
BEGIN
    INSERT INTO business_days (day, business_id, platform, follower_figures)
    SELECT date(NEW.taken_at + o.off, 'unixepoch'), a.business_id, a.platform, 1
    FROM accounts a CROSS JOIN campaign_offset o WHERE a.id = NEW.account_id
    ON CONFLICT (day, business_id, platform) DO UPDATE SET follower_figures = follower_figures + 1;
    UPDATE business_days SET followers = (
        SELECT sum((SELECT s.followers FROM account_snapshots s
                     WHERE s.account_id = a.id
                       AND s.taken_at < CAST(strftime('%s', business_days.day, '+1 day') AS INTEGER) - (SELECT off FROM campaign_offset)
                     ORDER BY s.taken_at DESC LIMIT 1))
        FROM accounts a WHERE a.business_id = business_days.business_id AND a.platform = business_days.platform)
    WHERE (business_id, platform) = (SELECT business_id, platform FROM accounts WHERE id = NEW.account_id)
      AND day >= (SELECT date(NEW.taken_at + off, 'unixepoch') FROM campaign_offset);
    INSERT INTO follower_changes (day, platform, followers, known)
    SELECT date(NEW.taken_at + o.off, 'unixepoch'), a.platform,
           COALESCE(NEW.followers, 0) - COALESCE(prev.followers, 0),
           (NEW.followers IS NOT NULL) - (prev.followers IS NOT NULL)
    FROM accounts a CROSS JOIN campaign_offset o
    LEFT JOIN (SELECT followers FROM account_snapshots
                WHERE account_id = NEW.account_id AND taken_at < NEW.taken_at
                ORDER BY taken_at DESC LIMIT 1) prev
    WHERE a.id = NEW.account_id
    ON CONFLICT (platform, day) DO UPDATE SET
        followers = followers + excluded.followers, known = known + excluded.known;
END;

-- These tables are filled from the facts the next time jempol opens the file.
DELETE FROM settings WHERE key = 'rollup_utc_offset_seconds';

-- An account linked to a business (or unlinked) later, by a registry import: its figures
-- move with it, in the business days and in the campaign's followers.
CREATE TRIGGER follower_owner AFTER UPDATE OF business_id ON accounts
WHEN OLD.business_id IS NOT NEW.business_id
BEGIN
    UPDATE business_days SET follower_figures = follower_figures - (
        SELECT count(*) FROM account_snapshots s
        WHERE s.account_id = NEW.id
          AND date(s.taken_at + (SELECT off FROM campaign_offset), 'unixepoch') = business_days.day)
    WHERE OLD.business_id IS NOT NULL AND business_id = OLD.business_id AND platform = OLD.platform;
    INSERT INTO business_days (day, business_id, platform, follower_figures)
    SELECT date(s.taken_at + o.off, 'unixepoch'), NEW.business_id, NEW.platform, count(*)
    FROM account_snapshots s CROSS JOIN campaign_offset o
    WHERE NEW.business_id IS NOT NULL AND s.account_id = NEW.id
    GROUP BY 1
    ON CONFLICT (day, business_id, platform) DO UPDATE SET
        follower_figures = follower_figures + excluded.follower_figures;
    UPDATE business_days SET followers = (
        SELECT sum((SELECT s.followers FROM account_snapshots s
                     WHERE s.account_id = a.id
                       AND s.taken_at < CAST(strftime('%s', business_days.day, '+1 day') AS INTEGER) - (SELECT off FROM campaign_offset)
                     ORDER BY s.taken_at DESC LIMIT 1))
        FROM accounts a WHERE a.business_id = business_days.business_id AND a.platform = business_days.platform)
    WHERE platform = NEW.platform AND business_id IN (OLD.business_id, NEW.business_id);
    INSERT INTO follower_changes (day, platform, followers, known)
    SELECT day, NEW.platform, sign * sum(d_followers), sign * sum(d_known)
    FROM (SELECT date(taken_at + (SELECT off FROM campaign_offset), 'unixepoch') AS day,
                 COALESCE(followers, 0) - COALESCE(lag(followers) OVER w, 0) AS d_followers,
                 (followers IS NOT NULL) - COALESCE(lag(followers IS NOT NULL) OVER w, 0) AS d_known
          FROM account_snapshots WHERE account_id = NEW.id
          WINDOW w AS (ORDER BY taken_at))
    CROSS JOIN (SELECT CASE WHEN OLD.business_id IS NULL THEN 1
                            WHEN NEW.business_id IS NULL THEN -1 ELSE 0 END AS sign)
    WHERE sign <> 0
    GROUP BY day
    ON CONFLICT (platform, day) DO UPDATE SET
        followers = followers + excluded.followers, known = known + excluded.known;
END;

-- @migration 7
-- What each daily report said, so a later report can name the days whose figures moved
-- after they were sent (late attribution, late finds).
CREATE TABLE reported_days (
    day         TEXT PRIMARY KEY,              -- campaign day
    engagement  INTEGER,                       -- the campaign's engagement gained, as reported
    reported_at INTEGER NOT NULL
) STRICT;

-- @migration 8
-- A cycle that the quota stopped is not a failure: its own outcome, 'quota_spent'.
-- (SQLite changes a CHECK only by copying the table.)

CREATE TABLE poll_runs_8 (
    id          INTEGER PRIMARY KEY,
    platform    TEXT NOT NULL CHECK (platform IN ('instagram', 'facebook', 'tiktok', 'youtube')),
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    outcome     TEXT NOT NULL CHECK (outcome IN ('running', 'ok', 'partial', 'failed', 'interrupted', 'quota_spent')),
    requests    INTEGER NOT NULL DEFAULT 0,
    items_seen  INTEGER NOT NULL DEFAULT 0,
    error       TEXT                           -- already redacted
) STRICT;
INSERT INTO poll_runs_8 SELECT id, platform, started_at, finished_at, outcome, requests, items_seen, error FROM poll_runs;
DROP TABLE poll_runs;
ALTER TABLE poll_runs_8 RENAME TO poll_runs;
CREATE INDEX poll_runs_platform ON poll_runs(platform, started_at);


-- @migration 9
-- Consent: the accounts that businesses connected themselves (platform-apis-consent.md),
-- and the OAuth round trips in flight. Tokens are sealed with an AEAD whose key lives in
-- the environment (JEMPOL_SECRET_KEY), bound to their row and field: this file never
-- holds one in clear, and a sealed value copied to another row does not open.

CREATE TABLE connections (
    id                 INTEGER PRIMARY KEY,
    business_id        INTEGER NOT NULL REFERENCES businesses(id),
    platform           TEXT NOT NULL CHECK (platform IN ('instagram', 'facebook', 'tiktok', 'youtube')),
    external_id        TEXT NOT NULL,          -- TikTok open_id, Meta app-scoped user id, Page id
    handle             TEXT,                   -- the account's username, as the registry keeps it
    grantor_id         TEXT,                   -- Meta: the app-scoped id of the user who granted it
    account_id         INTEGER REFERENCES accounts(id),
    status             TEXT NOT NULL CHECK (status IN ('connected', 'partial', 'needs_reconsent', 'revoked')),
    status_reason      TEXT,                   -- why, in words (never a token)
    scopes             TEXT,                   -- granted, comma-separated
    access_token       BLOB,                   -- sealed; NULL once revoked
    refresh_token      BLOB,                   -- sealed; NULL once revoked or where none exists
    access_expires_at  INTEGER,                -- NULL: no expiry (Page tokens)
    refresh_expires_at INTEGER,                -- the consent's end: re-consent needed by then
    connected_at       INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    UNIQUE (platform, external_id)
) STRICT;
CREATE INDEX connections_business ON connections(business_id);

-- A connect started on a business's page: its `state` (single use) and the sealed PKCE
-- verifier, until the platform sends the browser back or the round trip expires.
CREATE TABLE oauth_states (
    state       TEXT PRIMARY KEY,
    business_id INTEGER NOT NULL REFERENCES businesses(id),
    platform    TEXT NOT NULL CHECK (platform IN ('instagram', 'facebook', 'tiktok', 'youtube')),
    verifier    BLOB,
    link_expires_at INTEGER,                   -- the link it started from, to return to
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT;

-- Platform callbacks already handled (they arrive at least once).
CREATE TABLE consent_events (
    platform    TEXT NOT NULL,
    event_key   TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (platform, event_key)
) STRICT;

-- @migration 10
-- The dashboard's sign-in (`jempol serve`): coordinators, created with `jempol users
-- add`, their sessions and their API tokens. A password is kept as its Argon2id hash; a
-- session or API token only as a keyed hash (HMAC with a subkey of JEMPOL_SECRET_KEY),
-- so neither this file nor a copy of it lets anyone in.

CREATE TABLE coordinators (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,               -- PHC string: $argon2id$v=19$...
    created_at    INTEGER NOT NULL,
    last_login_at INTEGER
) STRICT;

CREATE TABLE sessions (
    id_hash        TEXT PRIMARY KEY,
    coordinator_id INTEGER NOT NULL REFERENCES coordinators(id),
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_coordinator ON sessions(coordinator_id);

CREATE TABLE api_tokens (
    token_hash     TEXT PRIMARY KEY,
    coordinator_id INTEGER NOT NULL REFERENCES coordinators(id),
    label          TEXT,
    created_at     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- @views
-- The public contract for dashboards (README, "Views for dashboards"). Column names of
-- posts_latest, business_daily and campaign_daily are fixed; columns may be added.

DROP VIEW IF EXISTS campaign_daily;
DROP VIEW IF EXISTS business_daily;
DROP VIEW IF EXISTS post_daily;
DROP VIEW IF EXISTS posts_latest;
DROP VIEW IF EXISTS campaign_tz;
DROP VIEW IF EXISTS tracked_from;
DROP VIEW IF EXISTS business_connections;

-- The campaign time zone's offset, written by jempol from the config (Indonesian zones
-- have no daylight saving, so one offset is exact); WIB when never written.
CREATE VIEW campaign_tz AS
SELECT
    (SELECT off FROM campaign_offset) AS off,
    COALESCE((SELECT value FROM settings WHERE key = 'utc_offset'), '+07:00') AS suffix,
    COALESCE((SELECT value FROM settings WHERE key = 'timezone'), 'Asia/Jakarta') AS timezone,
    -- The last settled day: settle_days (written by jempol from the config) after a day's
    -- end, counted back from the latest day with data, its figures stop being provisional.
    date((SELECT max(day) FROM day_totals),
         printf('-%d days', COALESCE((SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'settle_days'), 2) + 1))
        AS settled_until;

-- Each platform's first tracked day (campaign time zone): the day jempol first stored
-- something of it. Gains of earlier days are unknown (NULL), never 0.
CREATE VIEW tracked_from AS
SELECT t.platform, date(t.started_at + tz.off, 'unixepoch') AS day
FROM tracking t CROSS JOIN campaign_tz tz;

-- One row per post with its latest counts.
CREATE VIEW posts_latest AS
SELECT
    p.platform,
    p.platform_post_id,
    b.key AS business_key,
    a.handle AS account,
    p.permalink,
    strftime('%Y-%m-%dT%H:%M:%S', p.posted_at + tz.off, 'unixepoch') || tz.suffix AS posted_at,
    p.likes,
    p.comments,
    p.shares,
    p.views,
    strftime('%Y-%m-%dT%H:%M:%S', p.counted_at + tz.off, 'unixepoch') || tz.suffix AS taken_at,
    b.name AS business_name,
    p.caption,
    p.media_type,
    strftime('%Y-%m-%dT%H:%M:%S', p.first_seen_at + tz.off, 'unixepoch') || tz.suffix AS first_seen_at,
    strftime('%Y-%m-%dT%H:%M:%S', p.deleted_at + tz.off, 'unixepoch') || tz.suffix AS deleted_at,
    -- Counts the post had gathered before its platform's tracking began: no day's gain.
    p.before_likes AS likes_before_tracking,
    p.before_comments AS comments_before_tracking,
    p.before_shares AS shares_before_tracking,
    p.before_views AS views_before_tracking
FROM posts p
CROSS JOIN campaign_tz tz
LEFT JOIN accounts a ON a.id = p.account_id
LEFT JOIN businesses b ON b.id = p.business_id;

-- Per post and campaign day on which it was observed: counts at the day's end and what
-- was gained that day (end minus start; start is 0 on first sight). A NULL on either
-- side gives a NULL gain: unknown, never 0.
CREATE VIEW post_daily AS
SELECT post_id, day, likes, comments, shares, views,
       likes - start_likes AS likes_gained,
       comments - start_comments AS comments_gained,
       shares - start_shares AS shares_gained,
       views - start_views AS views_gained,
       platform,
       business_id
FROM post_days;

-- One row per registered business, platform and campaign day with any activity (a post
-- published or changed, or a follower figure taken), read from business_days. A gain is
-- the sum of the known gains of the posts that changed; NULL when all of them hide that
-- count. Rows with posts_published = 0 AND posts_changed = 0 only carry a follower figure.
CREATE VIEW business_daily AS
SELECT
    g.day,
    b.key AS business_key,
    b.name AS business_name,
    g.platform,
    g.published AS posts_published,
    -- No post changed: 0 for the counts the platform reports, NULL for those it never
    -- does (shares: Facebook and TikTok only; views: TikTok and YouTube only), as in
    -- Platform::reports_shares / reports_views. Before the platform's first tracked day
    -- every gain is unknown: NULL.
    CASE WHEN tf.day IS NULL OR g.day < tf.day THEN NULL
         WHEN g.changed = 0 THEN 0
         WHEN g.likes_known > 0 THEN g.likes END AS likes_gained,
    CASE WHEN tf.day IS NULL OR g.day < tf.day THEN NULL
         WHEN g.changed = 0 THEN 0
         WHEN g.comments_known > 0 THEN g.comments END AS comments_gained,
    CASE WHEN tf.day IS NULL OR g.day < tf.day THEN NULL
         WHEN g.changed = 0 THEN CASE WHEN g.platform IN ('facebook', 'tiktok') THEN 0 END
         WHEN g.shares_known > 0 THEN g.shares END AS shares_gained,
    CASE WHEN tf.day IS NULL OR g.day < tf.day THEN NULL
         WHEN g.changed = 0 THEN CASE WHEN g.platform IN ('tiktok', 'youtube') THEN 0 END
         WHEN g.views_known > 0 THEN g.views END AS views_gained,
    g.followers,
    CASE WHEN tf.day IS NULL OR g.day < tf.day THEN NULL
         WHEN g.changed = 0 THEN 0
         WHEN g.likes_known = 0 AND g.comments_known = 0 AND g.shares_known = 0 THEN NULL
         ELSE g.likes + g.comments + g.shares
    END AS engagement_gained,
    b.category,
    b.district,
    g.changed AS posts_changed,
    tf.day IS NOT NULL AND g.day >= tf.day AS tracked,
    g.day <= tz.settled_until AS settled
FROM business_days g
JOIN businesses b ON b.id = g.business_id
CROSS JOIN campaign_tz tz
LEFT JOIN tracked_from tf ON tf.platform = g.platform;

-- Registered businesses summed per day and platform, over the businesses active that day
-- (a post published or changed); read from day_totals, campaign_days and follower_changes,
-- so a day costs a few lookups. followers is the sum over every registered account of
-- that platform at the day's end, active that day or not.
CREATE VIEW campaign_daily AS
WITH keys AS (
    SELECT day, platform FROM day_totals WHERE registered = 1 AND posts > 0
    UNION
    SELECT day, platform FROM campaign_days WHERE published > 0 OR active > 0
),
span AS (
    SELECT k.day, k.platform,
           t.posts AS changed,
           CASE WHEN t.likes_known > 0 THEN t.likes END AS l,
           CASE WHEN t.comments_known > 0 THEN t.comments END AS c,
           CASE WHEN t.shares_known > 0 THEN t.shares END AS s,
           CASE WHEN t.views_known > 0 THEN t.views END AS v,
           COALESCE(cd.published, 0) AS published,
           COALESCE(cd.active, 0) AS active,
           tf.day IS NOT NULL AND k.day >= tf.day AS tracked
    FROM keys k
    LEFT JOIN day_totals t ON t.day = k.day AND t.platform = k.platform AND t.registered = 1
    LEFT JOIN campaign_days cd ON cd.day = k.day AND cd.platform = k.platform
    LEFT JOIN tracked_from tf ON tf.platform = k.platform
)
SELECT
    day,
    platform,
    published AS posts_published,
    -- Before the platform's first tracked day every gain is unknown: NULL, never 0.
    CASE WHEN NOT tracked THEN NULL WHEN changed > 0 THEN l ELSE 0 END AS likes_gained,
    CASE WHEN NOT tracked THEN NULL WHEN changed > 0 THEN c ELSE 0 END AS comments_gained,
    CASE WHEN NOT tracked THEN NULL
         WHEN changed > 0 THEN s WHEN platform IN ('facebook', 'tiktok') THEN 0 END AS shares_gained,
    CASE WHEN NOT tracked THEN NULL
         WHEN changed > 0 THEN v WHEN platform IN ('tiktok', 'youtube') THEN 0 END AS views_gained,
    (SELECT CASE WHEN sum(f.known) > 0 THEN sum(f.followers) END
       FROM follower_changes f WHERE f.platform = span.platform AND f.day <= span.day) AS followers,
    CASE WHEN NOT tracked THEN NULL
         WHEN COALESCE(changed, 0) = 0 THEN 0
         WHEN l IS NULL AND c IS NULL AND s IS NULL THEN NULL
         ELSE COALESCE(l, 0) + COALESCE(c, 0) + COALESCE(s, 0)
    END AS engagement_gained,
    active AS businesses_active,
    tracked,
    day <= (SELECT settled_until FROM campaign_tz) AS settled
FROM span;

-- Which businesses connected which accounts, and until when (never a token).
CREATE VIEW business_connections AS
SELECT
    b.key AS business_key,
    b.name AS business_name,
    c.platform,
    c.handle,
    c.status,
    c.status_reason,
    c.scopes,
    strftime('%Y-%m-%dT%H:%M:%S', c.connected_at + tz.off, 'unixepoch') || tz.suffix AS connected_at,
    strftime('%Y-%m-%dT%H:%M:%S', c.refresh_expires_at + tz.off, 'unixepoch') || tz.suffix AS consent_ends_at
FROM connections c
CROSS JOIN campaign_tz tz
JOIN businesses b ON b.id = c.business_id;
