//! Per-business engagement summaries: [`compute`] the numbers once, render them as a
//! terminal table, Markdown, CSV, JSON or a self-contained HTML page, in English or
//! Bahasa Indonesia.

pub mod compute;
mod csv;
pub mod html;
pub mod labels;
mod md;
pub mod neutral;
pub mod table;
mod text;

pub use crate::config::{Format, Lang};
pub use compute::{Report, Request, compute};

/// Leaderboard rows the human formats show by default (CSV and JSON: all).
pub const DEFAULT_TOP: usize = 20;

/// Renders a report. `top` limits the leaderboard (`None`: the format's default).
pub fn render(report: &Report, format: Format, lang: Lang, top: Option<usize>) -> String {
    let human = top.unwrap_or(DEFAULT_TOP);
    let all = top.unwrap_or(usize::MAX);
    match format {
        Format::Table => table::render(report, lang, human),
        Format::Md => md::render(report, lang, human),
        Format::Html => html::render(report, lang, human),
        Format::Csv => csv::render(report, lang, all).unwrap_or_default(),
        Format::Json => {
            let mut r = report.clone();
            r.businesses.truncate(all);
            let mut s = serde_json::to_string_pretty(&r).unwrap_or_default();
            s.push('\n');
            s
        }
    }
}

/// The Monday-to-Sunday week named by `text`: `last` (the last whole week), `this`, or
/// any day in it (YYYY-MM-DD, `today`, `yesterday`), in the campaign's days.
pub fn parse_week(
    text: &str,
    tz: &jiff::tz::TimeZone,
    now: jiff::Timestamp,
) -> Result<(jiff::civil::Date, jiff::civil::Date), String> {
    let today = now.to_zoned(tz.clone()).date();
    let day = match text.trim().to_ascii_lowercase().as_str() {
        "last" | "lalu" => today
            .checked_sub(jiff::Span::new().days(7))
            .map_err(|e| e.to_string())?,
        "this" | "ini" => today,
        _ => parse_day(text, tz, now).map_err(|_| {
            format!("{text:?} is not a week: write `last`, `this` or a day in it (YYYY-MM-DD)")
        })?,
    };
    let monday = day
        .checked_sub(jiff::Span::new().days(i64::from(day.weekday().to_monday_zero_offset())))
        .map_err(|e| e.to_string())?;
    let sunday = monday
        .checked_add(jiff::Span::new().days(6))
        .map_err(|e| e.to_string())?;
    Ok((monday, sunday))
}

/// The calendar month named by `text`: `last`, `this`, or YYYY-MM.
pub fn parse_month(
    text: &str,
    tz: &jiff::tz::TimeZone,
    now: jiff::Timestamp,
) -> Result<(jiff::civil::Date, jiff::civil::Date), String> {
    let today = now.to_zoned(tz.clone()).date();
    let first = match text.trim().to_ascii_lowercase().as_str() {
        "last" | "lalu" => today
            .first_of_month()
            .checked_sub(jiff::Span::new().months(1))
            .map_err(|e| e.to_string())?,
        "this" | "ini" => today.first_of_month(),
        other => format!("{other}-01")
            .parse::<jiff::civil::Date>()
            .map_err(|_| format!("{text:?} is not a month: write `last`, `this` or YYYY-MM"))?,
    };
    Ok((first, first.last_of_month()))
}

/// Reads `YYYY-MM-DD`, `today` or `yesterday` (in the campaign time zone, at `now`).
pub fn parse_day(
    text: &str,
    tz: &jiff::tz::TimeZone,
    now: jiff::Timestamp,
) -> Result<jiff::civil::Date, String> {
    let today = now.to_zoned(tz.clone()).date();
    match text.trim().to_ascii_lowercase().as_str() {
        "today" | "hari-ini" => Ok(today),
        "yesterday" | "kemarin" => today.yesterday().map_err(|e| e.to_string()),
        other => other.parse().map_err(|_| {
            format!("{text:?} is not a day: write YYYY-MM-DD, `today` or `yesterday`")
        }),
    }
}

#[cfg(test)]
mod period_tests {
    use super::*;

    fn at(day: &str) -> jiff::Timestamp {
        // Noon WIB on `day`.
        format!("{day}T05:00:00Z").parse().unwrap()
    }

    fn dates(p: (jiff::civil::Date, jiff::civil::Date)) -> (String, String) {
        (p.0.to_string(), p.1.to_string())
    }

    #[test]
    fn a_week_runs_monday_to_sunday_in_the_campaign_zone() {
        let tz = jiff::tz::TimeZone::get("Asia/Jakarta").unwrap();
        // Wednesday 2 December 2026.
        let now = at("2026-12-02");
        let week = |t: &str| dates(parse_week(t, &tz, now).unwrap());
        assert_eq!(
            week("2026-11-18"),
            ("2026-11-16".into(), "2026-11-22".into())
        );
        assert_eq!(week("this"), ("2026-11-30".into(), "2026-12-06".into()));
        assert_eq!(week("last"), ("2026-11-23".into(), "2026-11-29".into()));
        // A Sunday belongs to the week that began the Monday before.
        assert_eq!(
            week("2026-11-22"),
            ("2026-11-16".into(), "2026-11-22".into())
        );
        assert!(parse_week("soon", &tz, now).is_err());
    }

    #[test]
    fn a_month_is_its_calendar_days() {
        let tz = jiff::tz::TimeZone::get("Asia/Jakarta").unwrap();
        let now = at("2026-12-02");
        let month = |t: &str| dates(parse_month(t, &tz, now).unwrap());
        assert_eq!(month("last"), ("2026-11-01".into(), "2026-11-30".into()));
        assert_eq!(month("this"), ("2026-12-01".into(), "2026-12-31".into()));
        assert_eq!(month("2028-02"), ("2028-02-01".into(), "2028-02-29".into()));
        assert!(parse_month("2026-13", &tz, now).is_err());
    }
}
