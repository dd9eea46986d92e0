//! The coordinators' dashboard: campaign overview, leaderboard with filters, a page per
//! business and per post, the participant lists and the reports already written, each
//! table downloadable as CSV (both dialects) or XLSX. Campaign figures are the reports'
//! own ([`super::figures`]); a business's and a post's history are read directly, a few
//! index ranges each. Pages need a signed-in coordinator; a business sees its own page
//! through its personal link ([`own`]).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use jiff::civil::Date;

use super::auth::{Signed, require};
use super::chart::{self, Bar, Line};
use super::connect::{html, see_other};
use super::figures::{Computed, Key};
use super::pages::Lang;
use super::table::{Cell, Download, Table};
use super::views::{self, Frame, Section};
use super::{Shared, Web};
use crate::model::PostId;
use crate::platform::Platform;
use crate::report::compute::{BusinessLine, Report, same_name};
use crate::report::html::esc;
use crate::report::labels::{self, Labels};
use crate::store::{BusinessInfo, ConsentConnection, Gains, PostInfo};

/// A period the dashboard shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Span {
    pub from: Date,
    pub to: Date,
    /// `today`, `yesterday`, `7d`, `30d` or `custom`.
    pub name: String,
}

/// The longest custom period (a campaign-wide computation grows with its days).
pub const MAX_DAYS: i64 = 92;

impl Span {
    /// The period a query names (`period`, or `from` and `to`), `default` without one.
    pub fn of(q: &HashMap<String, String>, today: Date, default: &str) -> Result<Span, String> {
        let back = |n: i64| {
            today
                .checked_sub(jiff::Span::new().days(n))
                .unwrap_or(today)
        };
        let custom = q.contains_key("from") || q.contains_key("to");
        let name = q
            .get("period")
            .map(String::as_str)
            .filter(|p| !p.is_empty())
            .unwrap_or(if custom { "custom" } else { default });
        let (from, to) = match name {
            "today" => (today, today),
            "yesterday" => (back(1), back(1)),
            "7d" => (back(6), today),
            "30d" => (back(29), today),
            "custom" => {
                let day = |k: &str| -> Result<Date, String> {
                    let v = q.get(k).map(|s| s.trim()).unwrap_or("");
                    v.parse()
                        .map_err(|_| format!("{k} = {v:?}: write a day as YYYY-MM-DD"))
                };
                (day("from")?, day("to")?)
            }
            other => {
                return Err(format!(
                    "period = {other:?}: write today, yesterday, 7d, 30d, or from and to"
                ));
            }
        };
        if from > to {
            return Err(format!("from {from} is after to {to}"));
        }
        if (to - from).get_days() as i64 + 1 > MAX_DAYS {
            return Err(format!("a period may cover at most {MAX_DAYS} days"));
        }
        Ok(Span {
            from,
            to,
            name: name.to_string(),
        })
    }

    fn label(&self, lang: Lang) -> String {
        let rl = lang.report();
        if self.from == self.to {
            labels::long_date(&self.from.to_string(), rl)
        } else {
            format!(
                "{} – {}",
                labels::short_date(&self.from.to_string(), rl),
                labels::long_date(&self.to.to_string(), rl)
            )
        }
    }
}

fn words(lang: Lang) -> &'static Labels {
    lang.report().labels()
}

/// A refused query: 400 with what to write instead.
pub(crate) fn bad_query(lang: Lang, why: &str) -> Response {
    html(
        StatusCode::BAD_REQUEST,
        super::pages::message(
            lang,
            lang.t("Permintaan tidak dapat dibaca", "Bad request"),
            why,
        ),
    )
}

fn not_found(lang: Lang, what: &str) -> Response {
    html(
        StatusCode::NOT_FOUND,
        super::pages::message(lang, lang.t("Tidak ditemukan", "Not found"), what),
    )
}

fn failed(lang: Lang, e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "dashboard: cannot read the figures");
    super::server_error(lang)
}

impl Web {
    /// Today in the campaign time zone.
    pub(crate) fn today(&self) -> Date {
        self.clock.now().to_zoned(self.tz.clone()).date()
    }

    fn as_of(&self, lang: Lang, at: i64, report: Option<&Report>) -> String {
        let t = super::pages::date_time(lang, at, &self.tz);
        let until = report
            .and_then(|r| r.data_until.clone())
            .map(|d| labels::long_time(&d, lang.report()))
            .unwrap_or_else(|| "?".into());
        match lang {
            Lang::Id => format!("Angka dihitung {t}; data sampai {until}."),
            Lang::En => format!("Figures computed {t}; data until {until}."),
        }
    }
}

/// The signed-in frame of a page.
fn frame<'a>(
    lang: Lang,
    title: &'a str,
    section: Section,
    who: &'a Signed,
    csrf: &'a str,
    as_of: Option<String>,
) -> Frame<'a> {
    Frame {
        lang,
        title,
        section,
        user: Some((&who.username, csrf)),
        as_of,
    }
}

fn period_form(lang: Lang, action: &str, span: &Span, extra: &str) -> String {
    let periods: Vec<(String, String)> = [
        ("today", "Hari ini", "Today"),
        ("yesterday", "Kemarin", "Yesterday"),
        ("7d", "7 hari terakhir", "Last 7 days"),
        ("30d", "30 hari terakhir", "Last 30 days"),
        ("custom", "Tanggal pilihan", "Chosen days"),
    ]
    .iter()
    .map(|(v, id, en)| (v.to_string(), lang.t(id, en).to_string()))
    .collect();
    format!(
        "<form method=\"get\" action=\"{}\" class=\"filters\">{}\
         <label>{}<input type=\"date\" name=\"from\" id=\"f-from\" value=\"{}\"></label>\
         <label>{}<input type=\"date\" name=\"to\" id=\"f-to\" value=\"{}\"></label>{extra}\
         <button type=\"submit\" id=\"terapkan\">{}</button></form>",
        esc(action),
        views::select("period", lang.t("Periode", "Period"), &periods, &span.name),
        lang.t("Dari", "From"),
        span.from,
        lang.t("Sampai", "To"),
        span.to,
        lang.t("Terapkan", "Apply"),
    )
}

// ---------------------------------------------------------------- overview

pub async fn overview(
    State(web): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = super::lang_of(&q, &headers);
    let who = match require(&web, &headers, &uri).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let today = web.today();
    let mut cards = Vec::new();
    for name in ["today", "7d", "30d"] {
        let span = Span::of(
            &HashMap::from([("period".into(), name.into())]),
            today,
            name,
        )
        .unwrap_or(Span {
            from: today,
            to: today,
            name: name.into(),
        });
        match web.figures.report(key(&span, None)).await {
            Ok(r) => cards.push((span, r)),
            Err(e) => return failed(lang, e),
        }
    }
    let l = words(lang);
    let rl = lang.report();
    let (month, week) = (&cards[2].1, &cards[1].1);
    if let Some(which) = q.get("table") {
        let table = match which.as_str() {
            "platforms" => platform_table(lang, &week.value),
            "trend" => trend_table(lang, &month.value),
            _ => return bad_query(lang, "table: platforms or trend"),
        };
        return download_or(lang, &q, table);
    }
    let mut body = String::from("<div class=\"cards\">");
    for (span, c) in &cards {
        let r = &c.value;
        let title = match span.name.as_str() {
            "today" => lang.t("Hari ini", "Today"),
            "7d" => lang.t("7 hari", "7 days"),
            _ => lang.t("30 hari", "30 days"),
        };
        let provisional = if r.provisional {
            format!(
                " <span class=\"badge\" title=\"{}\">{}</span>",
                esc(&l
                    .provisional
                    .replace("{}", r.settled_until.as_deref().unwrap_or("?"))),
                lang.t("sementara", "provisional")
            )
        } else {
            String::new()
        };
        body.push_str(&format!(
            "<section class=\"card stat\" id=\"card-{}\"><h2>{title}{provisional}</h2>\
             <p class=\"big\">{}</p><p class=\"muted small\">{} · {} {}</p>\
             <p class=\"small\">{} {} · {} {} · {} {} · {} {}</p>\
             <p class=\"small\">{} {} · {} {}/{}</p></section>",
            span.name,
            labels::maybe(r.totals.engagement, rl),
            l.engagement,
            labels::change_percent(r.totals.engagement, r.previous.engagement, rl),
            lang.t("dibanding periode sebelumnya", "against the period before"),
            l.likes,
            labels::maybe(r.totals.gains.likes, rl),
            l.comments,
            labels::maybe(r.totals.gains.comments, rl),
            l.shares,
            labels::maybe(r.totals.gains.shares, rl),
            l.views,
            labels::maybe(r.totals.gains.views, rl),
            l.posts_published,
            labels::number(r.totals.posts_published, rl),
            l.businesses_active,
            labels::number(r.totals.businesses_active as i64, rl),
            labels::number(r.registered_businesses as i64, rl),
        ));
    }
    body.push_str("</div>");
    // The trend: the 30 days' engagement, a bar a day.
    let mut per_day: Vec<(String, Option<i64>, bool)> = Vec::new();
    for p in &month.value.trend {
        match per_day.last_mut() {
            Some((d, e, prov)) if *d == p.date => {
                *e = match (*e, p.engagement) {
                    (Some(a), Some(b)) => Some(a + b),
                    (a, b) => a.or(b),
                };
                *prov |= p.provisional;
            }
            _ => per_day.push((p.date.clone(), p.engagement, p.provisional)),
        }
    }
    let bars: Vec<Bar> = per_day
        .iter()
        .map(|(d, e, p)| Bar {
            label: labels::short_date(d, rl),
            value: *e,
            provisional: *p,
        })
        .collect();
    body.push_str(&format!(
        "<section class=\"card\" id=\"trend\"><h2>{}</h2>{}<p class=\"muted small\">{}</p>{}</section>",
        lang.t("Keterlibatan per hari (30 hari)", "Engagement per day (30 days)"),
        chart::bars(
            l.engagement,
            &bars,
            lang.t("sementara", "provisional"),
            l.unknown
        ),
        lang.t(
            "Batang pucat: hari yang angkanya masih bisa berubah (sementara). Tanda ?: belum dilacak.",
            "Pale bars: days whose figures may still move (provisional). ?: not tracked yet.",
        ),
        views::downloads(lang, "/dasbor?table=trend"),
    ));
    body.push_str(&format!(
        "<section class=\"card\" id=\"platforms\"><h2>{} (7 {})</h2>{}{}</section>",
        l.by_platform,
        lang.t("hari", "days"),
        platform_table(lang, &week.value).html(lang, "tabel-platform"),
        views::downloads(lang, "/dasbor?table=platforms"),
    ));
    if !week.value.revisions.is_empty() {
        body.push_str(&format!(
            "<section class=\"card\"><h2>{}</h2><ul>",
            l.revised
        ));
        for r in &week.value.revisions {
            body.push_str(&format!(
                "<li>{}: {} {} → {} {}</li>",
                esc(&labels::long_date(&r.date, rl)),
                l.reported,
                labels::maybe(r.reported, rl),
                l.now,
                labels::maybe(r.now, rl)
            ));
        }
        body.push_str("</ul></section>");
    }
    let w = &week.value;
    body.push_str(&format!(
        "<section class=\"card\"><h2>{} (7 {})</h2><ul>\
         <li><a href=\"/dasbor/daftar/sepi\">{}</a>: {}</li>\
         <li><a href=\"/dasbor/daftar/belum-posting\">{}</a>: {}</li>\
         <li><a href=\"/dasbor/daftar/luar-registri\">{}</a>: {}</li></ul></section>",
        lang.t("Daftar", "Lists"),
        lang.t("hari", "days"),
        l.gone_quiet,
        w.gone_quiet.len(),
        l.not_posted_yet,
        w.not_posted_yet.len(),
        l.outside_registry,
        w.outside_registry.len(),
    ));
    let csrf = who.csrf(&web.vault);
    let title = format!("{} · {}", lang.t("Ringkasan", "Overview"), web.campaign);
    let as_of = web.as_of(lang, month.at, Some(&month.value));
    let f = frame(lang, &title, Section::Overview, &who, &csrf, Some(as_of));
    super::with_lang(html(StatusCode::OK, views::page(&f, &body)), &q)
}

fn key(span: &Span, platform: Option<Platform>) -> Key {
    Key {
        from: span.from,
        to: span.to,
        platform,
    }
}

fn platform_table(lang: Lang, r: &Report) -> Table {
    let l = words(lang);
    Table {
        name: format!("platform-{}-{}", r.from, r.to),
        columns: [
            l.platform,
            l.posts_published,
            l.likes,
            l.comments,
            l.shares,
            l.views,
            l.engagement,
            l.followers,
            l.businesses_active,
        ]
        .map(String::from)
        .to_vec(),
        rows: r
            .platforms
            .iter()
            .map(|p| {
                vec![
                    Cell::text(p.platform.name()),
                    Cell::Int(Some(p.totals.posts_published)),
                    Cell::Int(p.totals.gains.likes),
                    Cell::Int(p.totals.gains.comments),
                    Cell::Int(p.totals.gains.shares),
                    Cell::Int(p.totals.gains.views),
                    Cell::Int(p.totals.engagement),
                    Cell::Int(p.totals.followers),
                    Cell::Int(Some(p.totals.businesses_active as i64)),
                ]
            })
            .collect(),
    }
}

fn trend_table(lang: Lang, r: &Report) -> Table {
    let l = words(lang);
    Table {
        name: format!("tren-{}-{}", r.from, r.to),
        columns: vec![
            l.day.into(),
            l.platform.into(),
            l.likes.into(),
            l.comments.into(),
            l.shares.into(),
            l.views.into(),
            l.engagement.into(),
            l.provisional_column.into(),
        ],
        rows: r
            .trend
            .iter()
            .map(|p| {
                vec![
                    Cell::text(&p.date),
                    Cell::text(p.platform.name()),
                    Cell::Int(p.gains.likes),
                    Cell::Int(p.gains.comments),
                    Cell::Int(p.gains.shares),
                    Cell::Int(p.gains.views),
                    Cell::Int(p.engagement),
                    Cell::text(if p.provisional { l.yes } else { l.no }),
                ]
            })
            .collect(),
    }
}

fn download_or(lang: Lang, q: &HashMap<String, String>, table: Table) -> Response {
    match Download::from_query(q.get("format").map(String::as_str)) {
        Some(how) => table.download(how),
        None => bad_query(lang, "format: csv, csv-rfc or xlsx"),
    }
}

// ------------------------------------------------------------- leaderboard

/// What the leaderboard is sorted by.
const SORTS: [(&str, &str, &str); 10] = [
    ("engagement", "Keterlibatan", "Engagement"),
    ("likes", "Suka", "Likes"),
    ("comments", "Komentar", "Comments"),
    ("shares", "Dibagikan", "Shares"),
    ("views", "Tayangan", "Views"),
    ("rate", "Tingkat interaksi", "Engagement rate"),
    ("followers", "Pengikut", "Followers"),
    ("growth", "Pertumbuhan pengikut", "Follower growth"),
    ("posts", "Posting", "Posts"),
    ("name", "Nama", "Name"),
];

/// The leaderboard's filters, as a query names them.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Filters {
    pub platform: Option<Platform>,
    pub district: Option<String>,
    pub category: Option<String>,
    /// Part of a name or key, in any case.
    pub search: Option<String>,
    pub sort: String,
    pub page: usize,
}

impl Filters {
    pub fn of(q: &HashMap<String, String>) -> Result<Filters, String> {
        let text = |k: &str| {
            q.get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let platform = match text("platform") {
            None => None,
            Some(p) => Some(p.parse::<Platform>().map_err(|_| {
                format!("platform = {p:?}: write instagram, facebook, tiktok or youtube")
            })?),
        };
        let sort = text("sort").unwrap_or_else(|| "engagement".into());
        if !SORTS.iter().any(|(k, ..)| *k == sort) {
            let all: Vec<&str> = SORTS.iter().map(|(k, ..)| *k).collect();
            return Err(format!("sort = {sort:?}: write one of {}", all.join(", ")));
        }
        let page = match text("page") {
            None => 1,
            Some(p) => p
                .parse::<usize>()
                .ok()
                .filter(|p| *p >= 1)
                .ok_or_else(|| format!("page = {p:?}: a page number from 1"))?,
        };
        Ok(Filters {
            platform,
            district: text("district"),
            category: text("category"),
            search: text("q"),
            sort,
            page,
        })
    }

    fn admits(&self, b: &BusinessLine) -> bool {
        let named = |v: &Option<String>, want: &Option<String>| {
            want.as_ref()
                .is_none_or(|w| v.as_deref().is_some_and(|v| same_name(v, w)))
        };
        named(&b.district, &self.district)
            && named(&b.category, &self.category)
            && self.search.as_ref().is_none_or(|s| {
                let s = s.to_lowercase();
                b.name.to_lowercase().contains(&s) || b.key.to_lowercase().contains(&s)
            })
    }

    /// The report's lines that pass, in the chosen order (the report's rank kept).
    pub fn apply<'a>(&self, report: &'a Report) -> Vec<&'a BusinessLine> {
        let mut rows: Vec<&BusinessLine> = report
            .businesses
            .iter()
            .filter(|b| self.admits(b))
            .collect();
        let figure = |b: &BusinessLine| -> Option<f64> {
            match self.sort.as_str() {
                "likes" => b.gains.likes.map(|v| v as f64),
                "comments" => b.gains.comments.map(|v| v as f64),
                "shares" => b.gains.shares.map(|v| v as f64),
                "views" => b.gains.views.map(|v| v as f64),
                "rate" => b.engagement_rate,
                "followers" => b.followers.map(|v| v as f64),
                "growth" => b.followers_growth.map(|v| v as f64),
                "posts" => Some(b.posts_published as f64),
                _ => None,
            }
        };
        match self.sort.as_str() {
            "engagement" => {}
            "name" => rows.sort_by_key(|b| b.name.to_lowercase()),
            // Highest first; unknown last, never as 0; ties keep the rank's order.
            _ => rows.sort_by(|a, b| match (figure(a), figure(b)) {
                (Some(x), Some(y)) => y.total_cmp(&x).then(a.rank.cmp(&b.rank)),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => a.rank.cmp(&b.rank),
            }),
        }
        rows
    }
}

/// The leaderboard's columns: rank, business and the ranking figure first, so that a
/// phone shows them without scrolling.
fn leaderboard_table(
    lang: Lang,
    span: &Span,
    f: &Filters,
    rows: &[&BusinessLine],
    link: &dyn Fn(&str) -> String,
) -> Table {
    let l = words(lang);
    let sorted_by = SORTS
        .iter()
        .find(|(k, ..)| *k == f.sort && *k != "name")
        .map_or("engagement", |(k, ..)| k);
    let figure = |b: &BusinessLine, k: &str| -> Cell {
        match k {
            "likes" => Cell::Int(b.gains.likes),
            "comments" => Cell::Int(b.gains.comments),
            "shares" => Cell::Int(b.gains.shares),
            "views" => Cell::Int(b.gains.views),
            "rate" => Cell::Percent(b.engagement_rate),
            "followers" => Cell::Int(b.followers),
            "growth" => Cell::Int(b.followers_growth),
            "posts" => Cell::Int(Some(b.posts_published)),
            _ => Cell::Int(b.engagement),
        }
    };
    let heading = |k: &str| -> String {
        match k {
            "likes" => l.likes,
            "comments" => l.comments,
            "shares" => l.shares,
            "views" => l.views,
            "rate" => l.engagement_rate,
            "followers" => l.followers,
            "growth" => l.followers_growth,
            "posts" => l.posts_published,
            _ => l.engagement,
        }
        .to_string()
    };
    let rest: Vec<&str> = [
        "engagement",
        "likes",
        "comments",
        "shares",
        "views",
        "rate",
        "followers",
        "growth",
        "posts",
    ]
    .into_iter()
    .filter(|k| *k != sorted_by)
    .collect();
    let mut columns = vec![
        l.rank.to_string(),
        l.business.to_string(),
        heading(sorted_by),
    ];
    columns.extend(rest.iter().map(|k| heading(k)));
    columns.extend([l.key, l.district, l.category, l.platforms].map(String::from));
    Table {
        name: format!("peringkat-{}-{}", span.from, span.to),
        columns,
        rows: rows
            .iter()
            .map(|b| {
                let mut row = vec![
                    Cell::Int(Some(b.rank as i64)),
                    Cell::Link {
                        text: b.name.clone(),
                        href: link(&b.key),
                    },
                    figure(b, sorted_by),
                ];
                row.extend(rest.iter().map(|k| figure(b, k)));
                row.extend([
                    Cell::text(&b.key),
                    Cell::opt_text(b.district.as_deref()),
                    Cell::opt_text(b.category.as_deref()),
                    Cell::text(
                        b.platforms
                            .iter()
                            .map(|p| p.name())
                            .collect::<Vec<_>>()
                            .join(" "),
                    ),
                ]);
                row
            })
            .collect(),
    }
}

/// A business's page under the dashboard.
pub fn business_href(key: &str) -> String {
    format!(
        "/dasbor/usaha/{}",
        url::form_urlencoded::byte_serialize(key.as_bytes()).collect::<String>()
    )
}

pub async fn leaderboard(
    State(web): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = super::lang_of(&q, &headers);
    let who = match require(&web, &headers, &uri).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let span = match Span::of(&q, web.today(), "7d") {
        Ok(s) => s,
        Err(e) => return bad_query(lang, &e),
    };
    let filters = match Filters::of(&q) {
        Ok(f) => f,
        Err(e) => return bad_query(lang, &e),
    };
    let computed = match web.figures.report(key(&span, filters.platform)).await {
        Ok(r) => r,
        Err(e) => return failed(lang, e),
    };
    let report = &computed.value;
    let rows = filters.apply(report);
    if q.contains_key("format") {
        let table = leaderboard_table(lang, &span, &filters, &rows, &business_href);
        return download_or(lang, &q, table);
    }
    let size = web.page_size;
    let pages = rows.len().div_ceil(size).max(1);
    let page = filters.page.min(pages);
    let shown: Vec<&BusinessLine> = rows
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .copied()
        .collect();
    let l = words(lang);
    let rl = lang.report();
    let (districts, categories) = match web
        .readers
        .read(|s| {
            Ok((
                s.registry_values(crate::store::RegistryField::District)?,
                s.registry_values(crate::store::RegistryField::Category)?,
            ))
        })
        .await
    {
        Ok(v) => v,
        Err(e) => return failed(lang, e),
    };
    let all = lang.t("Semua", "All").to_string();
    let options = |vs: &[String]| {
        let mut o = vec![(String::new(), all.clone())];
        o.extend(vs.iter().map(|v| (v.clone(), v.clone())));
        o
    };
    let mut platforms = vec![(String::new(), all.clone())];
    platforms.extend(
        Platform::ALL
            .iter()
            .map(|p| (p.as_str().to_string(), p.name().to_string())),
    );
    let sorts: Vec<(String, String)> = SORTS
        .iter()
        .map(|(k, id, en)| (k.to_string(), lang.t(id, en).to_string()))
        .collect();
    let extra = format!(
        "{}{}{}{}<label>{}<input name=\"q\" id=\"f-q\" value=\"{}\"></label>",
        views::select(
            "platform",
            l.platform,
            &platforms,
            filters.platform.map_or("", |p| p.as_str())
        ),
        views::select(
            "district",
            l.district,
            &options(&districts),
            filters.district.as_deref().unwrap_or("")
        ),
        views::select(
            "category",
            l.category,
            &options(&categories),
            filters.category.as_deref().unwrap_or("")
        ),
        views::select("sort", lang.t("Urutkan", "Sort by"), &sorts, &filters.sort),
        lang.t("Cari nama", "Find a name"),
        esc(filters.search.as_deref().unwrap_or("")),
    );
    let span_text = span.label(lang);
    let filters_q = [
        ("period", span.name.as_str()),
        ("from", &span.from.to_string()),
        ("to", &span.to.to_string()),
        ("platform", filters.platform.map_or("", |p| p.as_str())),
        ("district", filters.district.as_deref().unwrap_or("")),
        ("category", filters.category.as_deref().unwrap_or("")),
        ("q", filters.search.as_deref().unwrap_or("")),
        ("sort", &filters.sort),
    ]
    .map(|(k, v)| (k, v.to_string()));
    let base = |extra: &[(&str, String)]| {
        let mut pairs: Vec<(&str, &str)> =
            filters_q.iter().map(|(k, v)| (*k, v.as_str())).collect();
        pairs.extend(extra.iter().map(|(k, v)| (*k, v.as_str())));
        format!("/dasbor/peringkat{}", views::query(&pairs))
    };
    let mut pager = format!(
        "<p class=\"pager\" id=\"pager\">{} {}–{} {} {}",
        lang.t("Baris", "Rows"),
        if rows.is_empty() {
            0
        } else {
            (page - 1) * size + 1
        },
        (page - 1) * size + shown.len(),
        lang.t("dari", "of"),
        labels::number(rows.len() as i64, rl),
    );
    if page > 1 {
        pager.push_str(&format!(
            " · <a href=\"{}\" id=\"sebelumnya\">{}</a>",
            esc(&base(&[("page", (page - 1).to_string())])),
            lang.t("‹ Sebelumnya", "‹ Previous")
        ));
    }
    if page < pages {
        pager.push_str(&format!(
            " · <a href=\"{}\" id=\"berikutnya\">{}</a>",
            esc(&base(&[("page", (page + 1).to_string())])),
            lang.t("Berikutnya ›", "Next ›")
        ));
    }
    pager.push_str("</p>");
    let provisional = if report.provisional {
        format!(
            "<p class=\"flash warn small\">{}</p>",
            esc(&l
                .provisional
                .replace("{}", report.settled_until.as_deref().unwrap_or("?")))
        )
    } else {
        String::new()
    };
    let body = format!(
        "{}<p class=\"muted\" id=\"period\">{}{}</p>{provisional}{pager}{}{}",
        period_form(lang, "/dasbor/peringkat", &span, &extra),
        esc(&span_text),
        filters
            .platform
            .map(|p| format!(" · {}", p.name()))
            .unwrap_or_default(),
        leaderboard_table(lang, &span, &filters, &shown, &business_href).html(lang, "peringkat"),
        views::downloads(lang, &base(&[])),
    );
    let csrf = who.csrf(&web.vault);
    let title = l.leaderboard.to_string();
    let as_of = web.as_of(lang, computed.at, Some(report));
    let f = frame(lang, &title, Section::Leaderboard, &who, &csrf, Some(as_of));
    super::with_lang(html(StatusCode::OK, views::page(&f, &body)), &q)
}

// ---------------------------------------------------------------- business

/// What a business's page shows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BusinessPage {
    pub business: BusinessInfo,
    pub period: Span,
    /// Its leaderboard line for the period (`None`: not active in it).
    pub line: Option<BusinessLine>,
    pub accounts: Vec<crate::store::AccountInfo>,
    pub connections: Vec<ConnectionLine>,
    /// Per platform and day over the 30 days to the period's end.
    pub days: Vec<crate::store::BusinessDay>,
    /// Its rank on each of the 14 days to the period's end (`None`: not active).
    pub ranks: Vec<(Date, Option<u32>)>,
    pub posts: Vec<PostInfo>,
    pub post_count: i64,
    #[serde(skip)]
    pub computed_at: i64,
}

/// A connection as its business's page shows it (never a token).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ConnectionLine {
    pub platform: Platform,
    pub handle: Option<String>,
    pub status: crate::store::ConnectionStatus,
    pub consent_ends_at: Option<i64>,
}

impl From<&ConsentConnection> for ConnectionLine {
    fn from(c: &ConsentConnection) -> Self {
        ConnectionLine {
            platform: c.platform,
            handle: c.handle.clone(),
            status: c.status,
            consent_ends_at: c.refresh_expires_at,
        }
    }
}

/// How many of a business's posts its page lists.
const POSTS_SHOWN: usize = 50;

/// Everything a business's page shows, or `None` for an unknown key.
pub async fn business_page(
    web: &Web,
    key: String,
    span: Span,
) -> Result<Option<BusinessPage>, crate::store::StoreError> {
    let k = key.clone();
    let found = web.readers.read(move |s| s.business_info(&k)).await?;
    let Some(info) = found else {
        return Ok(None);
    };
    let computed = web.figures.report(self::key(&span, None)).await?;
    let line = computed
        .value
        .businesses
        .iter()
        .find(|b| b.key == key)
        .cloned();
    let back = |n: i64| {
        span.to
            .checked_sub(jiff::Span::new().days(n))
            .unwrap_or(span.to)
    };
    let (from30, from14) = (back(29), back(13));
    let ranks = web.figures.ranks(from14, span.to).await?;
    let id = info.id;
    let to = span.to;
    let k = key.clone();
    let (accounts, connections, days, (posts, post_count)) = web
        .readers
        .read(move |s| {
            Ok((
                s.business_accounts(id)?,
                s.connections_of(id)?,
                s.business_days_of(&k, from30, to)?,
                s.business_posts(id, POSTS_SHOWN)?,
            ))
        })
        .await?;
    let Computed { value: r, .. } = &ranks;
    let mine = r.of.get(&id);
    Ok(Some(BusinessPage {
        business: info,
        period: span,
        line,
        accounts,
        connections: connections.iter().map(ConnectionLine::from).collect(),
        days,
        ranks: r
            .days
            .iter()
            .enumerate()
            .map(|(i, d)| (*d, mine.and_then(|m| m[i])))
            .collect(),
        posts,
        post_count,
        computed_at: computed.at,
    }))
}

fn accounts_table(lang: Lang, p: &BusinessPage) -> Table {
    let l = words(lang);
    Table {
        name: format!("akun-{}", p.business.key),
        columns: vec![
            l.platform.into(),
            l.account.into(),
            l.followers.into(),
            lang.t("Status", "Status").into(),
        ],
        rows: p
            .accounts
            .iter()
            .map(|a| {
                vec![
                    Cell::text(a.platform.name()),
                    Cell::text(&a.handle),
                    Cell::Int(a.followers),
                    Cell::text(&a.status),
                ]
            })
            .collect(),
    }
}

fn posts_table(
    lang: Lang,
    p: &BusinessPage,
    tz: &jiff::tz::TimeZone,
    link: &dyn Fn(PostId) -> String,
) -> Table {
    let l = words(lang);
    Table {
        name: format!("posting-{}", p.business.key),
        columns: vec![
            l.posted_at.into(),
            l.platform.into(),
            l.post.into(),
            l.likes.into(),
            l.comments.into(),
            l.shares.into(),
            l.views.into(),
            l.deleted.into(),
        ],
        rows: p
            .posts
            .iter()
            .map(|post| {
                vec![
                    Cell::text(
                        post.posted_at
                            .map(|t| super::pages::date_time(lang, t, tz))
                            .unwrap_or_default(),
                    ),
                    Cell::text(post.platform.name()),
                    Cell::Link {
                        text: caption_short(post.caption.as_deref(), &post.platform_post_id),
                        href: link(post.id),
                    },
                    Cell::Int(post.counts.likes),
                    Cell::Int(post.counts.comments),
                    Cell::Int(post.counts.shares),
                    Cell::Int(post.counts.views),
                    Cell::text(if post.deleted_at.is_some() {
                        l.yes
                    } else {
                        l.no
                    }),
                ]
            })
            .collect(),
    }
}

fn caption_short(caption: Option<&str>, id: &str) -> String {
    match caption.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) if c.chars().count() > 60 => format!("{}…", c.chars().take(60).collect::<String>()),
        Some(c) => c.to_string(),
        None => id.to_string(),
    }
}

/// The body of a business's page (for a coordinator or for the business itself).
pub fn business_body(
    web: &Web,
    lang: Lang,
    p: &BusinessPage,
    post_link: &dyn Fn(PostId) -> String,
    download_base: &str,
) -> String {
    let l = words(lang);
    let rl = lang.report();
    let b = &p.business;
    let mut body = format!(
        "<p class=\"muted\" id=\"business-meta\">{} · {} · {}</p>",
        esc(&b.key),
        esc(b.district.as_deref().unwrap_or("–")),
        esc(b.category.as_deref().unwrap_or("–"))
    );
    body.push_str(&format!(
        "<section class=\"card\" id=\"line\"><h2>{}</h2>",
        esc(&p.period.label(lang))
    ));
    match &p.line {
        Some(line) => body.push_str(&format!(
            "<p class=\"big\">#{} </p><p>{} {} · {} {} · {} {} · {} {} · {} {}</p><p class=\"small\">{} {} · {} {} ({})</p>",
            line.rank,
            l.engagement,
            labels::maybe(line.engagement, rl),
            l.likes,
            labels::maybe(line.gains.likes, rl),
            l.comments,
            labels::maybe(line.gains.comments, rl),
            l.shares,
            labels::maybe(line.gains.shares, rl),
            l.views,
            labels::maybe(line.gains.views, rl),
            l.posts_published,
            labels::number(line.posts_published, rl),
            l.followers,
            labels::maybe(line.followers, rl),
            labels::delta(line.followers_growth, rl),
        )),
        None => body.push_str(&format!(
            "<p class=\"muted\">{}</p>",
            lang.t(
                "Tidak ada posting bertagar atau interaksi baru pada periode ini.",
                "No tagged post and no new engagement in this period."
            )
        )),
    }
    body.push_str("</section>");
    // Accounts and their connection state.
    body.push_str(&format!(
        "<section class=\"card\" id=\"accounts\"><h2>{}</h2>{}",
        l.accounts,
        accounts_table(lang, p).html(lang, "akun")
    ));
    if !p.connections.is_empty() {
        body.push_str("<ul class=\"small\">");
        for c in &p.connections {
            let state = match c.status {
                crate::store::ConnectionStatus::Connected => lang.t("terhubung", "connected"),
                crate::store::ConnectionStatus::Partial => {
                    lang.t("terhubung sebagian", "partly connected")
                }
                crate::store::ConnectionStatus::NeedsReconsent => {
                    lang.t("perlu dihubungkan lagi", "needs connecting again")
                }
                crate::store::ConnectionStatus::Revoked => lang.t("diputus", "disconnected"),
            };
            body.push_str(&format!(
                "<li>{} {}: {}{}</li>",
                c.platform.name(),
                esc(c
                    .handle
                    .as_deref()
                    .map(|h| format!("@{h}"))
                    .as_deref()
                    .unwrap_or("")),
                state,
                c.consent_ends_at
                    .map(|t| format!(
                        " ({} {})",
                        lang.t("izin sampai", "consent until"),
                        super::pages::date(lang, t, &web.tz)
                    ))
                    .unwrap_or_default()
            ));
        }
        body.push_str("</ul>");
    } else {
        body.push_str(&format!(
            "<p class=\"muted small\">{}</p>",
            lang.t(
                "Belum ada akun yang dihubungkan lewat tautan pribadi.",
                "No account connected through the personal link yet."
            )
        ));
    }
    body.push_str("</section>");
    // Follower trend per platform: a day's figure carries until the next one.
    let days: Vec<Date> = {
        let mut v = Vec::new();
        let mut d = p
            .period
            .to
            .checked_sub(jiff::Span::new().days(29))
            .unwrap_or(p.period.to);
        while d <= p.period.to && v.len() < 30 {
            v.push(d);
            d = d.tomorrow().unwrap_or(p.period.to);
        }
        v
    };
    let labels_x: Vec<String> = days
        .iter()
        .map(|d| labels::short_date(&d.to_string(), rl))
        .collect();
    let classes = ["s1", "s2", "s3", "s4"];
    let mut follower_lines = Vec::new();
    for (i, platform) in Platform::ALL.iter().enumerate() {
        let rows: Vec<_> = p.days.iter().filter(|d| d.platform == *platform).collect();
        if !rows.iter().any(|r| r.followers.is_some()) {
            continue;
        }
        let mut last = None;
        let values = days
            .iter()
            .map(|d| {
                if let Some(f) = rows.iter().find(|r| r.day == *d).and_then(|r| r.followers) {
                    last = Some(f as f64);
                }
                last
            })
            .collect();
        follower_lines.push(Line {
            name: platform.name().into(),
            class: classes[i],
            values,
        });
    }
    body.push_str(&format!(
        "<section class=\"card\" id=\"followers\"><h2>{}</h2>",
        l.followers_trend
    ));
    if follower_lines.is_empty() {
        body.push_str(&format!(
            "<p class=\"muted\">{}</p>",
            lang.t("Belum ada angka pengikut.", "No follower figure yet.")
        ));
    } else {
        body.push_str(&chart::lines(
            l.followers_trend,
            &labels_x,
            &follower_lines,
            false,
        ));
    }
    body.push_str("</section>");
    // Rank over time.
    let rank_labels: Vec<String> = p
        .ranks
        .iter()
        .map(|(d, _)| labels::short_date(&d.to_string(), rl))
        .collect();
    let rank_values: Vec<Option<f64>> = p.ranks.iter().map(|(_, r)| r.map(f64::from)).collect();
    body.push_str(&format!(
        "<section class=\"card\" id=\"ranks\"><h2>{}</h2>{}<p class=\"muted small\">{}</p></section>",
        lang.t("Peringkat harian (14 hari)", "Daily rank (14 days)"),
        chart::lines(
            l.rank,
            &rank_labels,
            &[Line { name: l.rank.into(), class: "s1", values: rank_values }],
            true
        ),
        lang.t(
            "Peringkat di antara usaha yang aktif hari itu; celah: tidak aktif.",
            "Rank among the businesses active that day; a gap: not active."
        )
    ));
    // Posts.
    body.push_str(&format!(
        "<section class=\"card\" id=\"posts\"><h2>{} ({})</h2>{}{}{}</section>",
        lang.t("Posting bertagar", "Tagged posts"),
        labels::number(p.post_count, rl),
        posts_table(lang, p, &web.tz, post_link).html(lang, "posting"),
        if p.post_count > p.posts.len() as i64 {
            format!(
                "<p class=\"muted small\">{} {}</p>",
                lang.t("Ditampilkan yang terbaru:", "Newest shown:"),
                p.posts.len()
            )
        } else {
            String::new()
        },
        views::downloads(lang, download_base),
    ));
    body
}

pub async fn business(
    State(web): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    Path(key): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = super::lang_of(&q, &headers);
    let who = match require(&web, &headers, &uri).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let span = match Span::of(&q, web.today(), "7d") {
        Ok(s) => s,
        Err(e) => return bad_query(lang, &e),
    };
    let page = match business_page(&web, key.clone(), span.clone()).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            return not_found(
                lang,
                lang.t(
                    "Usaha ini tidak ada di registri.",
                    "No such business in the registry.",
                ),
            );
        }
        Err(e) => return failed(lang, e),
    };
    let post_link = |id: PostId| format!("/dasbor/pos/{}", id.0);
    if let Some(which) = q.get("table") {
        let table = match which.as_str() {
            "accounts" => accounts_table(lang, &page),
            _ => posts_table(lang, &page, &web.tz, &post_link),
        };
        return download_or(lang, &q, table);
    }
    let href = business_href(&key);
    let base = format!(
        "{href}{}",
        views::query(&[
            ("period", &span.name),
            ("from", &span.from.to_string()),
            ("to", &span.to.to_string()),
            ("table", "posts")
        ])
    );
    let body = format!(
        "{}{}",
        period_form(lang, &href, &span, ""),
        business_body(&web, lang, &page, &post_link, &base)
    );
    let csrf = who.csrf(&web.vault);
    let as_of = web.as_of(lang, page.computed_at, None);
    let f = frame(
        lang,
        &page.business.name,
        Section::Leaderboard,
        &who,
        &csrf,
        Some(as_of),
    );
    super::with_lang(html(StatusCode::OK, views::page(&f, &body)), &q)
}

// -------------------------------------------------------------------- post

/// What a post's page shows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PostPage {
    pub post: PostInfo,
    pub business: Option<(String, String)>,
    pub snapshots: Vec<crate::store::Snapshot>,
}

pub async fn post_page(
    web: &Web,
    id: PostId,
) -> Result<Option<PostPage>, crate::store::StoreError> {
    web.readers
        .read(move |s| {
            let Some(post) = s.post_info(id)? else {
                return Ok(None);
            };
            let business = match post.business_id {
                Some(b) => s.business_by_id(b)?,
                None => None,
            };
            Ok(Some(PostPage {
                snapshots: s.post_snapshots(id)?,
                post,
                business,
            }))
        })
        .await
}

fn snapshots_table(lang: Lang, p: &PostPage, tz: &jiff::tz::TimeZone) -> Table {
    let l = words(lang);
    Table {
        name: format!("pos-{}", p.post.id.0),
        columns: vec![
            lang.t("Diambil", "Taken").into(),
            l.likes.into(),
            l.comments.into(),
            l.shares.into(),
            l.views.into(),
        ],
        rows: p
            .snapshots
            .iter()
            .map(|s| {
                vec![
                    Cell::text(super::pages::date_time(lang, s.taken_at, tz)),
                    Cell::Int(s.counts.likes),
                    Cell::Int(s.counts.comments),
                    Cell::Int(s.counts.shares),
                    Cell::Int(s.counts.views),
                ]
            })
            .collect(),
    }
}

/// The body of a post's page.
pub fn post_body(
    web: &Web,
    lang: Lang,
    p: &PostPage,
    business_link: Option<String>,
    download_base: &str,
) -> String {
    let l = words(lang);
    let post = &p.post;
    let mut body = String::new();
    body.push_str(&format!(
        "<section class=\"card\" id=\"post\"><p class=\"caption\" id=\"caption\">{}</p><p class=\"muted small\">{} · {}{}{}</p>",
        esc(post.caption.as_deref().unwrap_or("")),
        post.platform.name(),
        esc(post.account.as_deref().map(|a| format!("@{a}")).as_deref().unwrap_or("?")),
        post.posted_at
            .map(|t| format!(" · {} {}", l.posted_at, super::pages::date_time(lang, t, &web.tz)))
            .unwrap_or_default(),
        if post.deleted_at.is_some() { format!(" · {}", l.deleted) } else { String::new() },
    ));
    if let (Some((_, name)), Some(href)) = (&p.business, business_link) {
        body.push_str(&format!(
            "<p>{}: <a href=\"{}\" id=\"business-link\">{}</a></p>",
            l.business,
            esc(&href),
            esc(name)
        ));
    }
    if let Some(url) = post
        .permalink
        .as_deref()
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
    {
        body.push_str(&format!(
            "<p><a href=\"{}\" rel=\"noopener noreferrer\" target=\"_blank\" id=\"permalink\">{}</a></p>",
            esc(url),
            lang.t("Buka posting di platform ↗", "Open the post on the platform ↗")
        ));
    }
    let rl = lang.report();
    let c = &post.counts;
    body.push_str(&format!(
        "<p>{} {} · {} {} · {} {} · {} {}</p></section>",
        l.likes,
        labels::maybe(c.likes, rl),
        l.comments,
        labels::maybe(c.comments, rl),
        l.shares,
        labels::maybe(c.shares, rl),
        l.views,
        labels::maybe(c.views, rl)
    ));
    let xs: Vec<String> = p
        .snapshots
        .iter()
        .map(|s| super::pages::date_time(lang, s.taken_at, &web.tz))
        .collect();
    let series = |name: &str, class: &'static str, f: fn(&Gains) -> Option<i64>| Line {
        name: name.into(),
        class,
        values: p
            .snapshots
            .iter()
            .map(|s| f(&s.counts).map(|v| v as f64))
            .collect(),
    };
    let mut lines = vec![
        series(l.likes, "s1", |g| g.likes),
        series(l.comments, "s2", |g| g.comments),
        series(l.shares, "s3", |g| g.shares),
    ];
    let views_line = series(l.views, "s4", |g| g.views);
    lines.retain(|x| x.values.iter().any(Option::is_some));
    body.push_str(&format!(
        "<section class=\"card\" id=\"history\"><h2>{}</h2>{}",
        lang.t("Riwayat hitungan", "Count history"),
        chart::lines(
            lang.t("Riwayat hitungan", "Count history"),
            &xs,
            &lines,
            false
        )
    ));
    if views_line.values.iter().any(Option::is_some) {
        body.push_str(&chart::lines(l.views, &xs, &[views_line], false));
    }
    body.push_str(&format!(
        "{}{}</section>",
        snapshots_table(lang, p, &web.tz).html(lang, "riwayat"),
        views::downloads(lang, download_base)
    ));
    body
}

pub async fn post(
    State(web): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = super::lang_of(&q, &headers);
    let who = match require(&web, &headers, &uri).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<i64>().map(PostId) else {
        return not_found(lang, lang.t("Posting ini tidak ada.", "No such post."));
    };
    let page = match post_page(&web, id).await {
        Ok(Some(p)) => p,
        Ok(None) => return not_found(lang, lang.t("Posting ini tidak ada.", "No such post.")),
        Err(e) => return failed(lang, e),
    };
    if q.contains_key("format") {
        return download_or(lang, &q, snapshots_table(lang, &page, &web.tz));
    }
    let link = page.business.as_ref().map(|(k, _)| business_href(k));
    let body = post_body(&web, lang, &page, link, &format!("/dasbor/pos/{}", id.0));
    let csrf = who.csrf(&web.vault);
    let title = format!("{} · {}", words(lang).post, page.post.platform.name());
    let f = frame(lang, &title, Section::Leaderboard, &who, &csrf, None);
    super::with_lang(html(StatusCode::OK, views::page(&f, &body)), &q)
}

// ------------------------------------------------------------------- lists

/// The participant lists, by their path.
pub const LISTS: [(&str, &str, &str); 3] = [
    ("sepi", "Sepi", "Gone quiet"),
    ("belum-posting", "Belum posting", "Not posted yet"),
    ("luar-registri", "Di luar registri", "Outside the registry"),
];

pub fn list_table(lang: Lang, name: &str, r: &Report) -> Option<Table> {
    let l = words(lang);
    let business_cells = |b: &crate::report::compute::BusinessRef| {
        vec![
            Cell::Link {
                text: b.name.clone(),
                href: business_href(&b.key),
            },
            Cell::text(&b.key),
            Cell::opt_text(b.district.as_deref()),
            Cell::opt_text(b.category.as_deref()),
            Cell::text(
                b.platforms
                    .iter()
                    .map(|p| p.name())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        ]
    };
    let head = |extra: &[&str]| {
        let mut v: Vec<String> = [l.business, l.key, l.district, l.category, l.platforms]
            .map(String::from)
            .to_vec();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let file = format!("{name}-{}-{}", r.from, r.to);
    Some(match name {
        "sepi" => Table {
            name: file,
            columns: head(&[l.posts_before]),
            rows: r
                .gone_quiet
                .iter()
                .map(|q| {
                    let mut row = business_cells(&q.business);
                    row.push(Cell::Int(Some(q.posts_before)));
                    row
                })
                .collect(),
        },
        "belum-posting" => Table {
            name: file,
            columns: head(&[]),
            rows: r.not_posted_yet.iter().map(business_cells).collect(),
        },
        "luar-registri" => Table {
            name: file,
            columns: vec![
                l.platform.into(),
                l.account.into(),
                l.profile.into(),
                l.posts_published.into(),
                l.engagement.into(),
                l.followers.into(),
            ],
            rows: r
                .outside_registry
                .iter()
                .map(|o| {
                    vec![
                        Cell::text(o.platform.name()),
                        Cell::text(&o.account),
                        Cell::opt_text(o.profile_url.as_deref()),
                        Cell::Int(Some(o.posts_published)),
                        Cell::Int(o.engagement),
                        Cell::Int(o.followers),
                    ]
                })
                .collect(),
        },
        _ => return None,
    })
}

pub async fn list(
    State(web): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = super::lang_of(&q, &headers);
    let who = match require(&web, &headers, &uri).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let Some((_, id, en)) = LISTS.iter().find(|(n, ..)| *n == name) else {
        return not_found(lang, lang.t("Daftar ini tidak ada.", "No such list."));
    };
    let span = match Span::of(&q, web.today(), "7d") {
        Ok(s) => s,
        Err(e) => return bad_query(lang, &e),
    };
    let computed = match web.figures.report(key(&span, None)).await {
        Ok(r) => r,
        Err(e) => return failed(lang, e),
    };
    let Some(table) = list_table(lang, &name, &computed.value) else {
        return not_found(lang, "");
    };
    if q.contains_key("format") {
        return download_or(lang, &q, table);
    }
    let mut tabs = String::from("<nav class=\"tabs\">");
    for (n, i, e) in LISTS {
        let current = if n == name {
            " aria-current=\"page\""
        } else {
            ""
        };
        tabs.push_str(&format!(
            "<a href=\"/dasbor/daftar/{n}\"{current}>{}</a>",
            lang.t(i, e)
        ));
    }
    tabs.push_str("</nav>");
    let action = format!("/dasbor/daftar/{name}");
    let base = format!(
        "{action}{}",
        views::query(&[
            ("period", &span.name),
            ("from", &span.from.to_string()),
            ("to", &span.to.to_string())
        ])
    );
    let body = format!(
        "{tabs}{}<p class=\"muted\">{}</p>{}{}",
        period_form(lang, &action, &span, ""),
        esc(&span.label(lang)),
        table.html(lang, "daftar"),
        views::downloads(lang, &base)
    );
    let csrf = who.csrf(&web.vault);
    let title = lang.t(id, en).to_string();
    let as_of = web.as_of(lang, computed.at, Some(&computed.value));
    let f = frame(lang, &title, Section::Lists, &who, &csrf, Some(as_of));
    super::with_lang(html(StatusCode::OK, views::page(&f, &body)), &q)
}

// ----------------------------------------------------------------- reports

/// The report files the daemon wrote: `YYYY-MM-DD`, `YYYY-Www` or `YYYY-MM`, each format.
pub fn report_files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| is_report_name(n))
                .collect()
        })
        .unwrap_or_default();
    names.sort_by(|a, b| b.cmp(a));
    names
}

fn is_report_name(n: &str) -> bool {
    let Some((stem, ext)) = n.rsplit_once('.') else {
        return false;
    };
    ["html", "csv", "md", "json", "txt"].contains(&ext)
        && n.starts_with(|c: char| c.is_ascii_digit())
        && stem.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

pub async fn reports(
    State(web): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = super::lang_of(&q, &headers);
    let who = match require(&web, &headers, &uri).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let dir = web.reports_dir.clone();
    let names = tokio::task::spawn_blocking(move || report_files(&dir))
        .await
        .unwrap_or_default();
    let mut body = String::from("<section class=\"card\"><ul id=\"reports\">");
    if names.is_empty() {
        body.push_str(&format!(
            "<li class=\"muted\">{}</li>",
            lang.t("Belum ada laporan.", "No report yet.")
        ));
    }
    for n in &names {
        body.push_str(&format!(
            "<li><a href=\"/dasbor/laporan/{}\">{}</a></li>",
            esc(n),
            esc(n)
        ));
    }
    body.push_str("</ul></section>");
    let csrf = who.csrf(&web.vault);
    let title = lang
        .t("Laporan yang sudah ditulis", "Reports written")
        .to_string();
    let f = frame(lang, &title, Section::Reports, &who, &csrf, None);
    super::with_lang(html(StatusCode::OK, views::page(&f, &body)), &q)
}

pub async fn report_file(
    State(web): State<Shared>,
    headers: HeaderMap,
    uri: Uri,
    Path(name): Path<String>,
) -> Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    if let Err(r) = require(&web, &headers, &uri).await {
        return r;
    }
    // Only a name the listing holds: nothing else under (or above) the folder.
    if !is_report_name(&name) {
        return not_found(Lang::Id, "");
    }
    let path = web.reports_dir.join(&name);
    let read = tokio::task::spawn_blocking(move || std::fs::read(path)).await;
    let Ok(Ok(bytes)) = read else {
        return not_found(Lang::Id, "");
    };
    let kind = match name.rsplit_once('.').map(|(_, e)| e) {
        Some("html") => "text/html; charset=utf-8",
        Some("csv") => "text/csv; charset=utf-8",
        Some("json") => "application/json",
        _ => "text/plain; charset=utf-8",
    };
    let mut r = (StatusCode::OK, bytes).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The HTML report styles itself inline; it runs no script.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; img-src data:"),
    );
    if !kind.starts_with("text/html")
        && let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

// --------------------------------------------------------- the business's own

/// A business's own page, through its personal link: its page and nothing else.
pub async fn own(
    State(web): State<Shared>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = super::lang_of(&q, &headers);
    let (_, key, _, _) = match super::connect::business_of(&web, &token).await {
        Ok(b) => b,
        Err(e) => return super::connect::refused_link(lang, e),
    };
    let span = match Span::of(&q, web.today(), "7d") {
        Ok(s) => s,
        Err(e) => return bad_query(lang, &e),
    };
    let page = match business_page(&web, key, span.clone()).await {
        Ok(Some(p)) => p,
        Ok(None) => return not_found(lang, ""),
        Err(e) => return failed(lang, e),
    };
    let t = token.clone();
    let post_link = move |id: PostId| format!("/usaha/{t}/pos/{}", id.0);
    if q.contains_key("format") {
        return download_or(lang, &q, posts_table(lang, &page, &web.tz, &post_link));
    }
    let action = format!("/usaha/{token}");
    let base = format!(
        "{action}{}",
        views::query(&[
            ("period", &span.name),
            ("from", &span.from.to_string()),
            ("to", &span.to.to_string())
        ])
    );
    let body = format!(
        "{}{}<p class=\"small\"><a href=\"/hubungkan/{}\">{}</a></p>",
        period_form(lang, &action, &span, ""),
        business_body(&web, lang, &page, &post_link, &base),
        esc(&token),
        lang.t(
            "Hubungkan atau putuskan akun Anda",
            "Connect or disconnect your accounts"
        ),
    );
    let f = Frame {
        lang,
        title: &page.business.name,
        section: Section::Own,
        user: None,
        as_of: Some(web.as_of(lang, page.computed_at, None)),
    };
    super::with_lang(html(StatusCode::OK, views::page(&f, &body)), &q)
}

/// One of a business's posts, through its personal link (another's post is not found).
pub async fn own_post(
    State(web): State<Shared>,
    headers: HeaderMap,
    Path((token, id)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = super::lang_of(&q, &headers);
    let (business, _, _, _) = match super::connect::business_of(&web, &token).await {
        Ok(b) => b,
        Err(e) => return super::connect::refused_link(lang, e),
    };
    let page = match id.parse::<i64>().map(PostId) {
        Ok(id) => post_page(&web, id).await,
        Err(_) => Ok(None),
    };
    let page = match page {
        Ok(Some(p)) if p.post.business_id == Some(business) => p,
        Ok(_) => return not_found(lang, lang.t("Posting ini tidak ada.", "No such post.")),
        Err(e) => return failed(lang, e),
    };
    if q.contains_key("format") {
        return download_or(lang, &q, snapshots_table(lang, &page, &web.tz));
    }
    let back = format!("/usaha/{token}");
    let body = post_body(
        &web,
        lang,
        &page,
        Some(back.clone()),
        &format!("{back}/pos/{}", page.post.id.0),
    );
    let title = format!("{} · {}", words(lang).post, page.post.platform.name());
    let f = Frame {
        lang,
        title: &title,
        section: Section::Own,
        user: None,
        as_of: None,
    };
    super::with_lang(html(StatusCode::OK, views::page(&f, &body)), &q)
}

/// `/` and `/dasbor/`: the overview, or sign-in first.
pub async fn home() -> Response {
    see_other("/dasbor")
}
