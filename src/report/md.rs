//! The Markdown format: headings and pipe tables, for chat apps and wikis.

use super::compute::Report;
use super::labels::Lang;
use super::text::{heading, sections};

fn cell(s: &str) -> String {
    super::neutral::markdown(s)
}

/// Renders the report as Markdown.
pub fn render(r: &Report, lang: Lang, top: usize) -> String {
    let (title, lines) = heading(r, lang);
    let mut out = format!("# {}\n\n", cell(&title));
    for line in lines {
        out.push_str(&format!("- {}\n", cell(&line)));
    }
    for s in sections(r, lang, top) {
        out.push_str(&format!("\n## {}\n\n", cell(&s.title)));
        if !s.headers.is_empty() && !s.rows.is_empty() {
            let row = |cells: &[String]| {
                format!(
                    "| {} |\n",
                    cells
                        .iter()
                        .map(|c| cell(c))
                        .collect::<Vec<_>>()
                        .join(" | ")
                )
            };
            out.push_str(&row(&s.headers));
            let rule: Vec<String> = (0..s.headers.len())
                .map(|i| {
                    if s.numeric.get(i).copied().unwrap_or(false) {
                        "---:"
                    } else {
                        "---"
                    }
                    .to_string()
                })
                .collect();
            out.push_str(&format!("|{}|\n", rule.join("|")));
            for r in &s.rows {
                out.push_str(&row(r));
            }
            if !s.notes.is_empty() {
                out.push('\n');
            }
        } else if !s.headers.is_empty() {
            out.push_str(&format!("_{}_\n", lang.labels().none));
        }
        for note in &s.notes {
            out.push_str(&format!("{}\n", cell(note)));
        }
    }
    out
}
