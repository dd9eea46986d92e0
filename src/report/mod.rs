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
