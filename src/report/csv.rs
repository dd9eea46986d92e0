//! The CSV format: one row per business for spreadsheets: the leaderboard, then the
//! registered businesses that have not posted yet. Unknown counts are empty cells.
//!
//! Two dialects, by the report's language: in English RFC 4180 (comma, decimal point,
//! no BOM); in Bahasa Indonesia what Excel in the Indonesian locale opens as columns
//! with a double-click: UTF-8 with a BOM, `;` between cells, a decimal comma.

use super::compute::Report;
use super::labels::Lang;

/// Renders the report as CSV (headers in the report's language).
pub fn render(r: &Report, lang: Lang, top: usize) -> Result<String, csv::Error> {
    let l = lang.labels();
    let excel = lang == Lang::Id;
    let mut w = csv::WriterBuilder::new()
        .delimiter(if excel { b';' } else { b',' })
        .from_writer(Vec::new());
    // The leaderboard's columns, with the key after the rank and three flags at the end
    // (the last: the figures are provisional, README "Definitions").
    let mut header: Vec<&str> = l.leaderboard_columns().to_vec();
    header.insert(1, l.key);
    header.extend([
        l.new_participant,
        l.has_posted,
        l.provisional_column,
        l.gone_quiet_short,
    ]);
    w.write_record(&header)?;
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let yes_no = |b: bool| if b { l.yes } else { l.no };
    let platforms = |ps: &[crate::platform::Platform]| {
        ps.iter().map(|p| p.name()).collect::<Vec<_>>().join(" ")
    };
    // Text cells a spreadsheet could take for a formula are prefixed (report::neutral).
    let text = |s: &str| super::neutral::csv_text(s);
    let quiet: std::collections::HashSet<&str> = r
        .gone_quiet
        .iter()
        .map(|q| q.business.key.as_str())
        .collect();
    for b in r.businesses.iter().take(top) {
        w.write_record([
            b.rank.to_string(),
            text(&b.key),
            text(&b.name),
            text(b.district.as_deref().unwrap_or_default()),
            text(b.category.as_deref().unwrap_or_default()),
            platforms(&b.platforms),
            b.posts_published.to_string(),
            opt(b.gains.likes),
            opt(b.gains.comments),
            opt(b.gains.shares),
            opt(b.gains.views),
            opt(b.engagement),
            b.engagement_rate
                .map(|f| {
                    let text = format!("{f:.6}");
                    if excel { text.replace('.', ",") } else { text }
                })
                .unwrap_or_default(),
            opt(b.followers),
            opt(b.followers_growth),
            yes_no(b.new_participant).to_string(),
            yes_no(true).to_string(),
            yes_no(r.provisional).to_string(),
            yes_no(quiet.contains(b.key.as_str())).to_string(),
        ])?;
    }
    // A business outside the leaderboard: no rank, its registry cells.
    let business_cells = |b: &super::compute::BusinessRef| {
        vec![
            String::new(),
            text(&b.key),
            text(&b.name),
            text(b.district.as_deref().unwrap_or_default()),
            text(b.category.as_deref().unwrap_or_default()),
            platforms(&b.platforms),
        ]
    };
    // Businesses that went quiet and gained nothing: in no leaderboard row above.
    let listed: std::collections::HashSet<&str> = r
        .businesses
        .iter()
        .take(top)
        .map(|b| b.key.as_str())
        .collect();
    for q in r
        .gone_quiet
        .iter()
        .filter(|q| !listed.contains(q.business.key.as_str()))
    {
        let mut row = business_cells(&q.business);
        row.push("0".to_string());
        row.extend(std::iter::repeat_n(String::new(), 8));
        row.push(yes_no(false).to_string());
        row.push(yes_no(true).to_string());
        row.push(String::new());
        row.push(yes_no(true).to_string());
        w.write_record(&row)?;
    }
    for b in &r.not_posted_yet {
        let mut row = business_cells(b);
        row.extend(std::iter::repeat_n(String::new(), 9));
        row.push(yes_no(false).to_string());
        row.push(yes_no(false).to_string());
        row.push(String::new());
        row.push(yes_no(false).to_string());
        w.write_record(&row)?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(if excel {
        format!("\u{FEFF}{text}")
    } else {
        text.into_owned()
    })
}
