//! The terminal format: aligned columns, one block per section.

use super::compute::Report;
use super::labels::Lang;
use super::text::{heading, sections};

fn width(s: &str) -> usize {
    s.chars().count()
}

fn pad(s: &str, w: usize, right: bool) -> String {
    let fill = " ".repeat(w.saturating_sub(width(s)));
    if right {
        format!("{fill}{s}")
    } else {
        format!("{s}{fill}")
    }
}

/// Renders the report for a terminal.
pub fn render(r: &Report, lang: Lang, top: usize) -> String {
    use super::neutral::terminal;
    let (title, lines) = heading(r, lang);
    let mut out = format!("{}\n", terminal(&title));
    for line in lines {
        out.push_str(&format!("{}\n", terminal(&line)));
    }
    for mut s in sections(r, lang, top) {
        // Untrusted text never reaches the terminal raw (report::neutral).
        s.title = terminal(&s.title);
        for row in &mut s.rows {
            for c in row.iter_mut() {
                *c = terminal(c);
            }
        }
        for n in &mut s.notes {
            *n = terminal(n);
        }
        out.push_str(&format!("\n{}\n", s.title));
        if !s.headers.is_empty() && !s.rows.is_empty() {
            let mut widths: Vec<usize> = s.headers.iter().map(|h| width(h)).collect();
            for row in &s.rows {
                for (i, c) in row.iter().enumerate() {
                    widths[i] = widths[i].max(width(c));
                }
            }
            let line = |cells: &[String]| {
                cells
                    .iter()
                    .enumerate()
                    .map(|(i, c)| pad(c, widths[i], s.numeric.get(i).copied().unwrap_or(false)))
                    .collect::<Vec<_>>()
                    .join("  ")
                    .trim_end()
                    .to_string()
            };
            out.push_str(&format!("{}\n", line(&s.headers)));
            out.push_str(&format!(
                "{}\n",
                widths
                    .iter()
                    .map(|w| "-".repeat(*w))
                    .collect::<Vec<_>>()
                    .join("  ")
            ));
            for row in &s.rows {
                out.push_str(&format!("{}\n", line(row)));
            }
        } else if !s.headers.is_empty() {
            out.push_str(&format!("({})\n", lang.labels().none));
        }
        for note in &s.notes {
            out.push_str(&format!("{note}\n"));
        }
    }
    out
}
