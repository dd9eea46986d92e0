//! The HTML format: one self-contained file (inline CSS and SVG, no scripts, no external
//! requests) that reads well on a phone, for coordinators to open or forward.

use std::fmt::Write;

use super::compute::Report;
use super::labels::{Lang, compact, delta, maybe, number};
use super::text::{heading, sections};
use crate::platform::Platform;

/// HTML-escapes text for element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn color(p: Platform) -> &'static str {
    match p {
        Platform::Instagram => "#c13584",
        Platform::Facebook => "#1877f2",
        Platform::Tiktok => "#111111",
        Platform::Youtube => "#e62117",
    }
}

const STYLE: &str = "
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;padding:12px;color:#1d2329;background:#f4f6f8;line-height:1.4}
main{max-width:1400px;margin:0 auto}
h1{font-size:1.3rem;margin:.2rem 0 .4rem}
h2{font-size:1.05rem;margin:1.4rem 0 .5rem}
.meta{color:#56606b;font-size:.85rem;margin:0;padding:0;list-style:none}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));gap:8px}
.card{background:#fff;border-radius:10px;padding:10px 12px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.card .v{font-size:1.35rem;font-weight:600}
.card .l{font-size:.78rem;color:#56606b}
.up{color:#137333}.down{color:#b3261e}.same{color:#56606b}
.d{font-size:.8rem}
.box{background:#fff;border-radius:10px;padding:10px;box-shadow:0 1px 2px rgba(0,0,0,.08);overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.85rem}
th,td{padding:6px 8px;border-bottom:1px solid #e3e7eb;text-align:left}
th{font-weight:600;color:#3b444d;background:#fafbfc;white-space:normal;vertical-align:bottom}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.n{white-space:nowrap}
svg{display:block;width:100%;height:auto;max-width:520px;margin:0 auto}
@media (max-width:640px){.opt{display:none}th,td{white-space:normal;padding:6px 5px}.wide{display:none}}
@media (min-width:641px){.narrow{display:none}}
.legend{display:flex;flex-wrap:wrap;gap:10px;font-size:.8rem;margin-top:6px}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:middle}
.note{font-size:.8rem;color:#56606b;margin:.4rem 0}
a{color:#0b57d0;text-decoration:none;word-break:break-all}
footer{font-size:.75rem;color:#56606b;margin:1.5rem 0 .5rem}
";

/// The 14-day trend as stacked bars per platform.
fn trend_svg(r: &Report, lang: Lang) -> String {
    let mut days: Vec<&str> = r.trend.iter().map(|t| t.date.as_str()).collect();
    days.dedup();
    let platforms: Vec<Platform> = {
        let mut p: Vec<Platform> = r.trend.iter().map(|t| t.platform).collect();
        p.sort();
        p.dedup();
        p
    };
    let total = |d: &str| -> i64 {
        r.trend
            .iter()
            .filter(|t| t.date == d)
            .map(|t| t.engagement.unwrap_or(0).max(0))
            .sum()
    };
    let max = days.iter().map(|d| total(d)).max().unwrap_or(0).max(1);
    let (w, h, left, bottom, top) = (480.0, 240.0, 58.0, 30.0, 10.0);
    let plot_h = h - bottom - top;
    let slot = (w - left - 8.0) / days.len().max(1) as f64;
    let mut s = format!(
        r#"<svg viewBox="0 0 {w} {h}" role="img" aria-label="{}">"#,
        esc(lang.labels().trend)
    );
    for i in 0..=4 {
        let v = max as f64 * f64::from(i) / 4.0;
        let y = top + plot_h - plot_h * f64::from(i) / 4.0;
        let _ = write!(
            s,
            r##"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#e3e7eb"/><text x="{}" y="{:.1}" font-size="12" text-anchor="end" fill="#56606b">{}</text>"##,
            w - 4.0,
            left - 4.0,
            y + 3.0,
            compact(v.round() as i64, lang)
        );
    }
    for (i, d) in days.iter().enumerate() {
        let x = left + slot * i as f64 + slot * 0.15;
        let mut y = top + plot_h;
        let known: Vec<(Platform, i64)> = platforms
            .iter()
            .filter_map(|p| {
                let t = r.trend.iter().find(|t| t.date == *d && t.platform == *p)?;
                Some((*p, t.engagement?))
            })
            .collect();
        if known.is_empty() {
            // A day before tracking: unknown is drawn as a question mark, never a zero bar.
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle" fill="#56606b">?<title>{d}: {}</title></text>"##,
                x + slot * 0.35,
                top + plot_h - 4.0,
                esc(lang.labels().unknown)
            );
        }
        for (p, v) in known {
            let v = v.max(0);
            let bh = plot_h * v as f64 / max as f64;
            y -= bh;
            let _ = write!(
                s,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{bh:.1}" fill="{}"><title>{d} {}: {}</title></rect>"#,
                slot * 0.7,
                color(p),
                p.name(),
                number(v, lang)
            );
        }
        let label = d.get(8..10).unwrap_or(d);
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{}" font-size="12" text-anchor="middle" fill="#56606b">{}</text>"##,
            x + slot * 0.35,
            h - bottom + 14.0,
            esc(label)
        );
    }
    s.push_str("</svg><div class=\"legend\">");
    for p in &platforms {
        let _ = write!(
            s,
            r#"<span><i style="background:{}"></i>{}</span>"#,
            color(*p),
            p.name()
        );
    }
    s.push_str("</div>");
    s
}

/// Horizontal bars of the leaderboard's engagement.
fn leaderboard_svg(r: &Report, lang: Lang, top: usize) -> String {
    let rows: Vec<_> = r.businesses.iter().take(top.min(10)).collect();
    if rows.is_empty() {
        return String::new();
    }
    let max = rows
        .iter()
        .map(|b| b.engagement.unwrap_or(0))
        .max()
        .unwrap_or(0)
        .max(1);
    // Narrow enough that its text reads at phone width (a 346 px box shows 14 px text
    // at 12 px), and capped by the stylesheet so that it stays readable on a desktop.
    let (w, row_h) = (400.0, 28.0);
    let h = row_h * rows.len() as f64 + 4.0;
    let (label_w, bar_w) = (196.0, 146.0);
    let mut s = format!(
        r#"<svg viewBox="0 0 {w} {h}" role="img" aria-label="{}">"#,
        esc(lang.labels().leaderboard)
    );
    for (i, b) in rows.iter().enumerate() {
        let y = row_h * i as f64 + 2.0;
        let v = b.engagement.unwrap_or(0).max(0);
        let bw = bar_w * v as f64 / max as f64;
        let name: String = if b.name.chars().count() > 18 {
            b.name.chars().take(17).chain(['…']).collect()
        } else {
            b.name.clone()
        };
        let _ = write!(
            s,
            r##"<text x="{}" y="{:.1}" font-size="14" text-anchor="end" fill="#1d2329">{}. {}</text><rect x="{}" y="{:.1}" width="{bw:.1}" height="{:.1}" rx="3" fill="#2e7d32"/><text x="{:.1}" y="{:.1}" font-size="13" fill="#3b444d">{}</text>"##,
            label_w - 6.0,
            y + 18.0,
            b.rank,
            esc(&name),
            label_w,
            y + 4.0,
            row_h - 8.0,
            label_w + bw + 6.0,
            y + 18.0,
            maybe(b.engagement, lang)
        );
    }
    s.push_str("</svg>");
    s
}

/// The class of column `i`: `n` for numbers; `opt` for one a phone leaves out (the
/// section's droppable columns), so that the ranking figure is in view at 390 px.
fn column_class(s: &super::text::Section, i: usize) -> &'static str {
    match (
        s.numeric.get(i).copied().unwrap_or(false),
        s.droppable.contains(&i),
    ) {
        (true, true) => " class=\"n opt\"",
        (true, false) => " class=\"n\"",
        (false, true) => " class=\"opt\"",
        (false, false) => "",
    }
}

fn table(s: &super::text::Section, links: Option<usize>) -> String {
    let mut out = String::from("<div class=\"box\"><table><thead><tr>");
    for (i, h) in s.headers.iter().enumerate() {
        let class = column_class(s, i);
        let _ = write!(out, "<th{class}>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in &s.rows {
        out.push_str("<tr>");
        for (i, c) in row.iter().enumerate() {
            let class = column_class(s, i);
            if links == Some(i) && c.starts_with("http") {
                let url = c.split(' ').next().unwrap_or(c);
                let rest = &c[url.len()..];
                let _ = write!(
                    out,
                    "<td{class}><a href=\"{}\" rel=\"noopener\">{}</a>{}</td>",
                    esc(url),
                    esc(url.trim_start_matches("https://")),
                    esc(rest)
                );
            } else {
                let _ = write!(out, "<td{class}>{}</td>", esc(c));
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
    out
}

/// Renders the report as one HTML page.
pub fn render(r: &Report, lang: Lang, top: usize) -> String {
    let l = lang.labels();
    let (title, lines) = heading(r, lang);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><main>",
        lang.code(),
        esc(&format!("{title} · {}", r.date))
    );
    let _ = write!(out, "<h1>{}</h1><ul class=\"meta\">", esc(&title));
    for line in lines {
        let _ = write!(out, "<li>{}</li>", esc(&line));
    }
    out.push_str("</ul>");

    // Headline figures with the change from the period before.
    let scoped = r.scope != super::compute::Scope::Campaign;
    let totals = if scoped { l.totals_scoped } else { l.totals };
    let _ = write!(out, "<h2>{}</h2><div class=\"cards\">", esc(totals));
    let cards: [(&str, Option<i64>, Option<i64>); 6] = [
        (l.engagement, r.totals.engagement, r.previous.engagement),
        (l.views, r.totals.gains.views, r.previous.gains.views),
        (
            l.posts_published,
            Some(r.totals.posts_published),
            Some(r.previous.posts_published),
        ),
        (
            l.businesses_active,
            Some(r.totals.businesses_active as i64),
            Some(r.previous.businesses_active as i64),
        ),
        (l.followers, r.totals.followers, r.previous.followers),
        (
            l.followers_growth,
            r.totals.followers_growth,
            r.previous.followers_growth,
        ),
    ];
    let previous = if r.is_one_day() {
        l.previous_day
    } else {
        l.previous
    };
    for (label, now, before) in cards {
        let change = now.zip(before).map(|(a, b)| a - b);
        let class = match change {
            Some(c) if c > 0 => "up",
            Some(c) if c < 0 => "down",
            _ => "same",
        };
        let _ = write!(
            out,
            "<div class=\"card\"><div class=\"l\">{}</div><div class=\"v\">{}</div>\
             <div class=\"d {class}\">{} {}</div></div>",
            esc(label),
            maybe(now, lang),
            delta(change, lang),
            esc(&format!("vs {}", previous.to_lowercase()))
        );
    }
    out.push_str("</div>");

    let _ = write!(
        out,
        "<h2>{}</h2><div class=\"box\">{}</div>",
        esc(if scoped { l.trend_scoped } else { l.trend }),
        trend_svg(r, lang)
    );

    let secs = sections(r, lang, top);
    for s in &secs {
        if s.id == "totals" {
            continue; // the cards above show the totals
        }
        let _ = write!(out, "<h2>{}</h2>", esc(&s.title));
        if s.id == "leaderboard" {
            let bars = leaderboard_svg(r, lang, top);
            if !bars.is_empty() {
                let _ = write!(out, "<div class=\"box\">{bars}</div>");
            }
        }
        if !s.headers.is_empty() && !s.rows.is_empty() {
            // Posts' and profiles' addresses are links.
            let links = s.headers.iter().position(|h| h == l.post || h == l.profile);
            out.push_str(&table(s, links));
            if !s.droppable.is_empty() {
                let _ = write!(out, "<p class=\"note narrow\">{}</p>", esc(l.more_on_wide));
            }
        } else if !s.headers.is_empty() {
            let _ = write!(out, "<p class=\"note\">{}</p>", esc(l.none));
        }
        // The legend of unknowns closes the page once.
        for note in s.notes.iter().filter(|n| n.as_str() != l.unknown_legend) {
            let _ = write!(out, "<p class=\"note\">{}</p>", esc(note));
        }
    }
    let _ = writeln!(
        out,
        "<p class=\"note\">{}</p><p class=\"note\">{}</p><footer>{} {}: {}</footer></main></body></html>",
        esc(l.definitions),
        esc(l.unknown_legend),
        esc(l.footer),
        esc(l.registered),
        number(r.registered_businesses as i64, lang)
    );
    out
}
