//! The report as titled tables of text cells, which the terminal table and Markdown
//! formats lay out their own way.

use super::compute::{Report, Scope, Totals};
use super::labels::{Lang, change_percent, delta, long_date, long_time, maybe, number, percent};

/// One titled table (or, without headers, lines of text).
pub struct Section {
    /// What it lists, for a format that adds to one section (HTML's bar chart).
    pub id: &'static str,
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Lines after the table.
    pub notes: Vec<String>,
    /// Columns to align right (numbers).
    pub numeric: Vec<bool>,
    /// Columns a narrow terminal may leave out, in the order they go.
    pub droppable: Vec<usize>,
}

fn section(id: &'static str, title: &str, headers: &[&str], numeric: &[bool]) -> Section {
    Section {
        id,
        title: title.to_string(),
        headers: headers.iter().map(|h| h.to_string()).collect(),
        rows: Vec::new(),
        notes: Vec::new(),
        numeric: numeric.to_vec(),
        droppable: Vec::new(),
    }
}

/// "… N more" under a list cut at `top` of `total`.
fn more_note(s: &mut Section, total: usize, top: usize, lang: Lang) {
    if total > top {
        s.notes.push(format!(
            "… {} {}",
            number((total - top) as i64, lang),
            lang.labels().more
        ));
    }
}

fn platforms(list: &[crate::platform::Platform]) -> String {
    list.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ")
}

/// The header lines: campaign, period, time zone.
pub fn heading(r: &Report, lang: Lang) -> (String, Vec<String>) {
    let l = lang.labels();
    let period = if r.is_one_day() {
        long_date(&r.date, lang)
    } else {
        format!("{} – {}", long_date(&r.from, lang), long_date(&r.to, lang))
    };
    let mut lines = vec![
        format!("{}: {period}", l.period),
        format!("{}: {} (UTC{})", l.timezone, r.timezone, r.utc_offset),
        format!("#{}", r.hashtags.join(" #")),
    ];
    match (&r.scope, &r.business) {
        (Scope::Campaign, _) => {}
        (Scope::Business(key), Some(b)) => {
            let place = [b.district.as_deref(), b.category.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            let place = if place.is_empty() {
                String::new()
            } else {
                format!(" — {place}")
            };
            lines.push(format!("{}: {} ({key}){place}", l.business, b.name));
        }
        (Scope::Business(key), None) => lines.push(format!("{}: {key}", l.business)),
        (Scope::District(d), _) => lines.push(format!("{}: {d}", l.district)),
        (Scope::Category(c), _) => lines.push(format!("{}: {c}", l.category)),
    }
    if let Some(p) = r.platform {
        lines.push(format!("{}: {}", l.platform_filter, p.name()));
    }
    if let Some(t) = &r.data_until {
        lines.push(format!("{}: {}", l.data_until, long_time(t, lang)));
    }
    if r.provisional {
        let settled = r
            .settled_until
            .as_deref()
            .map_or_else(|| "-".to_string(), |d| long_date(d, lang));
        lines.push(l.provisional.replace("{}", &settled));
    }
    for v in &r.revisions {
        lines.push(format!(
            "{}: {} — {} {}, {} {} ({})",
            l.revised,
            long_date(&v.date, lang),
            l.reported,
            maybe(v.reported, lang),
            l.now,
            maybe(v.now, lang),
            delta(v.now.zip(v.reported).map(|(a, b)| a - b), lang)
        ));
    }
    (format!("{} — {}", l.title, r.campaign), lines)
}

/// The report as sections; `top` limits the leaderboard.
pub fn sections(r: &Report, lang: Lang, top: usize) -> Vec<Section> {
    let l = lang.labels();
    let n = |v: i64| number(v, lang);
    let m = |v: Option<i64>| maybe(v, lang);
    let mut out = Vec::new();

    let previous = if r.is_one_day() {
        l.previous_day
    } else {
        l.previous
    };
    let mut totals = section(
        "totals",
        if r.scope == Scope::Campaign {
            l.totals
        } else {
            l.totals_scoped
        },
        &[l.figure, &r.date, previous, l.change, l.change_percent],
        &[false, true, true, true, true],
    );
    type Figure = fn(&Totals) -> Option<i64>;
    let rows: [(&str, Figure); 9] = [
        (l.posts_published, |t| Some(t.posts_published)),
        (l.likes, |t| t.gains.likes),
        (l.comments, |t| t.gains.comments),
        (l.shares, |t| t.gains.shares),
        (l.views, |t| t.gains.views),
        (l.engagement, |t| t.engagement),
        (l.followers, |t| t.followers),
        (l.followers_growth, |t| t.followers_growth),
        (l.businesses_active, |t| {
            Some(i64::try_from(t.businesses_active).unwrap_or(i64::MAX))
        }),
    ];
    if !r.is_one_day() {
        totals.headers[1] = format!("{} – {}", r.from, r.to);
    }
    for (label, get) in rows {
        let (now, before) = (get(&r.totals), get(&r.previous));
        totals.rows.push(vec![
            label.to_string(),
            m(now),
            m(before),
            delta(now.zip(before).map(|(a, b)| a - b), lang),
            change_percent(now, before, lang),
        ]);
    }
    totals.notes.push(format!(
        "{}: {}",
        l.registered,
        n(r.registered_businesses as i64)
    ));
    out.push(totals);

    let mut by_platform = section(
        "platforms",
        l.by_platform,
        &[
            l.platform,
            l.posts_published,
            l.likes,
            l.comments,
            l.shares,
            l.views,
            l.engagement,
            l.followers,
        ],
        &[false, true, true, true, true, true, true, true],
    );
    for p in &r.platforms {
        let t = &p.totals;
        by_platform.rows.push(vec![
            p.platform.name().to_string(),
            n(t.posts_published),
            m(t.gains.likes),
            m(t.gains.comments),
            m(t.gains.shares),
            m(t.gains.views),
            m(t.engagement),
            m(t.followers),
        ]);
    }
    // Platform, posts and engagement stay longest.
    by_platform.droppable = vec![4, 3, 2, 5, 7];
    out.push(by_platform);
    if let Some(b) = &r.business {
        out.extend(business_sections(b, lang, top));
        return out;
    }

    let mut board = section(
        "leaderboard",
        l.leaderboard,
        &l.leaderboard_columns(),
        &[
            true, false, false, false, false, true, true, true, true, true, true, true, true, true,
        ],
    );
    // Rank, business, district, posts and engagement stay longest.
    board.droppable = vec![4, 3, 6, 7, 8, 9, 11, 13, 12, 2];
    for b in r.businesses.iter().take(top) {
        let star = if b.new_participant { " *" } else { "" };
        board.rows.push(vec![
            b.rank.to_string(),
            format!("{}{star}", b.name),
            b.district.clone().unwrap_or_default(),
            b.category.clone().unwrap_or_default(),
            platforms(&b.platforms),
            n(b.posts_published),
            m(b.gains.likes),
            m(b.gains.comments),
            m(b.gains.shares),
            m(b.gains.views),
            m(b.engagement),
            percent(b.engagement_rate, lang),
            m(b.followers),
            delta(b.followers_growth, lang),
        ]);
    }
    more_note(&mut board, r.businesses.len(), top, lang);
    if r.businesses.iter().take(top).any(|b| b.new_participant) {
        board.notes.push(format!("* {}", l.new_participant));
    }
    board.notes.push(l.unknown_legend.to_string());
    out.push(board);

    let mut posts = section(
        "top_posts",
        l.top_posts,
        &[
            l.rank,
            l.platform,
            l.business,
            l.likes,
            l.comments,
            l.shares,
            l.views,
            l.engagement,
            l.post,
        ],
        &[true, false, false, true, true, true, true, true, false],
    );
    posts.droppable = vec![8, 6, 5, 4, 3];
    for p in &r.top_posts {
        let who = match (&p.business_name, &p.account) {
            (Some(b), _) => b.clone(),
            (None, Some(a)) => format!("{a} ({})", l.not_registered),
            (None, None) => l.not_registered.to_string(),
        };
        let link = post_link(p, lang);
        posts.rows.push(vec![
            p.rank.to_string(),
            p.platform.name().to_string(),
            who,
            m(p.gains.likes),
            m(p.gains.comments),
            m(p.gains.shares),
            m(p.gains.views),
            m(p.engagement),
            link,
        ]);
    }
    out.push(posts);

    let mut fresh = section(
        "new_participants",
        &format!("{} ({})", l.new_participants, r.new_participants.len()),
        &[l.business, l.district, l.category, l.platforms],
        &[false; 4],
    );
    fresh.droppable = vec![3, 2];
    for b in r.new_participants.iter().take(top) {
        fresh.rows.push(vec![
            b.name.clone(),
            b.district.clone().unwrap_or_default(),
            b.category.clone().unwrap_or_default(),
            platforms(&b.platforms),
        ]);
    }
    more_note(&mut fresh, r.new_participants.len(), top, lang);
    out.push(fresh);

    let mut quiet = section(
        "gone_quiet",
        &format!("{} ({})", l.gone_quiet, r.gone_quiet.len()),
        &[l.business, l.district, l.posts_before, l.platforms],
        &[false, false, true, false],
    );
    quiet.droppable = vec![3];
    for q in r.gone_quiet.iter().take(top) {
        let b = &q.business;
        quiet.rows.push(vec![
            b.name.clone(),
            b.district.clone().unwrap_or_default(),
            n(q.posts_before),
            platforms(&b.platforms),
        ]);
    }
    more_note(&mut quiet, r.gone_quiet.len(), top, lang);
    out.push(quiet);

    let mut unposted = section(
        "not_posted_yet",
        &format!(
            "{} ({} / {})",
            l.not_posted_yet,
            n(r.not_posted_yet.len() as i64),
            n(r.registered_businesses as i64)
        ),
        &[l.business, l.district, l.category],
        &[false; 3],
    );
    unposted.droppable = vec![2];
    for b in r.not_posted_yet.iter().take(top) {
        unposted.rows.push(vec![
            b.name.clone(),
            b.district.clone().unwrap_or_default(),
            b.category.clone().unwrap_or_default(),
        ]);
    }
    more_note(&mut unposted, r.not_posted_yet.len(), top, lang);
    out.push(unposted);

    let mut outside = section(
        "outside_registry",
        &format!("{} ({})", l.outside_registry, r.outside_registry.len()),
        &[
            l.platform,
            l.account,
            l.posts_published,
            l.engagement,
            l.profile,
        ],
        &[false, false, true, true, false],
    );
    outside.droppable = vec![4];
    for o in r.outside_registry.iter().take(top) {
        let who = match &o.display_name {
            Some(name) if !name.eq_ignore_ascii_case(&o.account) => {
                format!("{name} ({})", o.account)
            }
            _ => o.account.clone(),
        };
        outside.rows.push(vec![
            o.platform.name().to_string(),
            who,
            n(o.posts_published),
            m(o.engagement),
            o.profile_url.clone().unwrap_or_default(),
        ]);
    }
    let u = &r.unattributed;
    if u.posts_published > 0 || u.engagement.is_some_and(|e| e != 0) {
        outside.notes.push(
            l.unattributed
                .replace("{posts}", &number(u.posts_published, lang))
                .replace("{engagement}", &maybe(u.engagement, lang)),
        );
    }
    if !r.outside_registry.is_empty() {
        outside.notes.push(l.outside_hint.to_string());
    }
    // A district's or category's report has no accounts outside the registry.
    if r.scope == Scope::Campaign {
        out.push(outside);
    }
    out
}

/// A post's address, marked when the post was deleted.
fn post_link(p: &super::compute::TopPost, lang: Lang) -> String {
    let link = p.url.clone().unwrap_or_default();
    if p.deleted {
        format!("{link} ({})", lang.labels().deleted)
    } else {
        link
    }
}

/// A business's drill-down: its accounts, their followers day by day, its posts.
fn business_sections(b: &super::compute::BusinessDetail, lang: Lang, top: usize) -> Vec<Section> {
    let l = lang.labels();
    let m = |v: Option<i64>| maybe(v, lang);
    let mut accounts = section(
        "accounts",
        l.accounts,
        &[
            l.platform,
            l.account,
            l.followers,
            l.followers_growth,
            l.profile,
        ],
        &[false, false, true, true, false],
    );
    accounts.droppable = vec![4, 3];
    for a in &b.accounts {
        accounts.rows.push(vec![
            a.platform.name().to_string(),
            a.account.clone(),
            m(a.followers),
            delta(a.followers_growth, lang),
            a.profile_url.clone().unwrap_or_default(),
        ]);
    }

    // One row a day, one column an account: named by its platform, and by its handle too
    // when the business has two on one platform.
    let columns: Vec<String> = b
        .accounts
        .iter()
        .map(|a| {
            let twice = b
                .accounts
                .iter()
                .filter(|o| o.platform == a.platform)
                .count()
                > 1;
            if twice {
                format!("{} {}", a.platform.name(), a.account)
            } else {
                a.platform.name().to_string()
            }
        })
        .collect();
    let mut headers = vec![l.day];
    headers.extend(columns.iter().map(String::as_str));
    let mut numeric = vec![true; headers.len()];
    numeric[0] = false;
    let mut trend = section("followers_trend", l.followers_trend, &headers, &numeric);
    let mut days: Vec<&str> = b.followers_trend.iter().map(|p| p.date.as_str()).collect();
    days.dedup();
    // Days before any figure was taken say nothing: the table starts at the first figure.
    let first = b.followers_trend.iter().find(|p| p.followers.is_some());
    if let Some(first) = first {
        days.retain(|d| *d >= first.date.as_str());
    }
    for d in days {
        let mut row = vec![super::labels::short_date(d, lang)];
        row.extend(
            b.followers_trend
                .iter()
                .filter(|p| p.date == d)
                .map(|p| m(p.followers)),
        );
        trend.rows.push(row);
    }

    let mut posts = section(
        "business_posts",
        &format!("{} ({})", l.business_posts, b.posts.len()),
        &[
            l.platform,
            l.posted_at,
            l.likes,
            l.comments,
            l.shares,
            l.views,
            l.engagement,
            l.post,
        ],
        &[false, false, true, true, true, true, true, false],
    );
    posts.droppable = vec![5, 4, 3, 2, 1];
    for p in b.posts.iter().take(top) {
        let link = post_link(p, lang);
        posts.rows.push(vec![
            p.platform.name().to_string(),
            p.posted_at
                .as_deref()
                .map(|t| super::labels::long_time(t, lang))
                .unwrap_or_default(),
            m(p.gains.likes),
            m(p.gains.comments),
            m(p.gains.shares),
            m(p.gains.views),
            m(p.engagement),
            link,
        ]);
    }
    more_note(&mut posts, b.posts.len(), top, lang);
    posts.notes.push(l.unknown_legend.to_string());
    vec![accounts, trend, posts]
}
