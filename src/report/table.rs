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
    render_within(r, lang, top, None)
}

/// Renders the report for a terminal `max` columns wide: tables leave out the columns
/// their sections let go (and say which), then cut their longest text; longer lines of
/// text wrap.
pub fn render_within(r: &Report, lang: Lang, top: usize, max: Option<usize>) -> String {
    use super::neutral::terminal;
    let (title, lines) = heading(r, lang);
    let mut out = format!("{}\n", terminal(&title));
    for line in lines {
        for part in wrap(&terminal(&line), max) {
            out.push_str(&format!("{part}\n"));
        }
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
            if let Some(max) = max {
                let gone = fit(&mut s, max);
                if !gone.is_empty() {
                    s.notes
                        .push(format!("{}: {}", lang.labels().left_out, gone.join(", ")));
                }
            }
            let widths = column_widths(&s);
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
            for part in wrap(note, max) {
                out.push_str(&format!("{part}\n"));
            }
        }
    }
    out
}

fn column_widths(s: &super::text::Section) -> Vec<usize> {
    let mut widths: Vec<usize> = s.headers.iter().map(|h| width(h)).collect();
    for row in &s.rows {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(width(c));
        }
    }
    widths
}

fn table_width(widths: &[usize]) -> usize {
    widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1)
}

/// Makes `s` fit `max` columns: leaves out its droppable columns in order, then cuts the
/// widest text column (with "…"). Returns the headers left out.
fn fit(s: &mut super::text::Section, max: usize) -> Vec<String> {
    let mut gone = Vec::new();
    let mut order = s.droppable.clone();
    while table_width(&column_widths(s)) > max {
        let Some(col) = order.first().copied() else {
            break;
        };
        order.remove(0);
        gone.push(s.headers.remove(col));
        for row in &mut s.rows {
            if col < row.len() {
                row.remove(col);
            }
        }
        if col < s.numeric.len() {
            s.numeric.remove(col);
        }
        // Later indexes moved one to the left.
        for c in &mut order {
            if *c > col {
                *c -= 1;
            }
        }
    }
    let widths = column_widths(s);
    let over = table_width(&widths).saturating_sub(max);
    let widest_text = (0..widths.len())
        .filter(|i| !s.numeric.get(*i).copied().unwrap_or(false))
        .max_by_key(|i| widths[*i]);
    if let (true, Some(col)) = (over > 0, widest_text) {
        let keep = widths[col]
            .saturating_sub(over)
            .max(width(&s.headers[col]))
            .max(8);
        for row in &mut s.rows {
            if let Some(c) = row.get_mut(col)
                && width(c) > keep
            {
                *c = c.chars().take(keep - 1).chain(['…']).collect();
            }
        }
    }
    gone
}

/// `text` in lines of at most `max` characters, broken at spaces (a longer word stays
/// whole).
fn wrap(text: &str, max: Option<usize>) -> Vec<String> {
    let Some(max) = max.filter(|m| width(text) > *m) else {
        return vec![text.to_string()];
    };
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && width(&line) + 1 + width(word) > max {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}
