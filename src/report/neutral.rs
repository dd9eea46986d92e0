//! Untrusted text (captions, names, handles, links: written by anyone who uses the
//! hashtag) made harmless for each output, once per format: a terminal never receives a
//! control sequence, Markdown never renders a tag, link or image it was given, and a
//! spreadsheet never runs a cell as a formula. HTML escapes in `html.rs`.

/// Bidirectional overrides and isolates: they reorder what a reader sees.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// For a terminal or a plain-text file: C0 and C1 control characters (ESC and so every
/// escape sequence with it, BEL, backspace, …) become `�`, line breaks and tabs a space,
/// bidi controls are dropped.
pub fn terminal(s: &str) -> String {
    s.chars()
        .filter(|c| !is_bidi_control(*c))
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// For Markdown: the terminal's cleaning, raw HTML tags removed, and the characters that
/// make emphasis, links, images, tables and code escaped, so the text shows as written.
pub fn markdown(s: &str) -> String {
    let clean = terminal(s);
    let mut out = String::with_capacity(clean.len());
    let mut chars = clean.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '<' if chars
                .peek()
                .is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?')) =>
            {
                // A tag: dropped whole, up to its '>'.
                for t in chars.by_ref() {
                    if t == '>' {
                        break;
                    }
                }
            }
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '!' | '|' | '~' | '#' => {
                out.push('\\');
                out.push(c);
            }
            // `https://…` would become a link: a colon escaped keeps it text.
            ':' if out.ends_with("http") || out.ends_with("https") => out.push_str("\\:"),
            c => out.push(c),
        }
    }
    out
}

/// For a CSV cell of text: one that a spreadsheet would take for a formula (`=`, `+`,
/// `-`, `@`, tab, carriage return first) gets a leading `'`, so it shows as text.
pub fn csv_text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_terminal_gets_no_escape_sequence_and_no_bidi_override() {
        let hostile = "Kopi\x1b[2J\x1b]8;;http://x\x07link\x1b]8;;\x07 \u{202E}gnp.exe\u{9b}31m";
        let clean = terminal(hostile);
        assert!(!clean.chars().any(|c| c.is_control()), "{clean:?}");
        assert!(!clean.contains('\u{202E}'));
        assert!(clean.starts_with("Kopi\u{FFFD}[2J"));
        assert_eq!(terminal("Rendang 🍛\nenak"), "Rendang 🍛 enak");
    }

    #[test]
    fn markdown_shows_hostile_text_as_text() {
        let md = markdown(
            "<script>alert(1)</script><img src=x onerror=y>**Promo** [klik](https://phish.example) ![](http://pixel.example/t.gif) a|b",
        );
        assert!(!md.contains('<') || md.contains("\\<"), "{md}");
        assert!(!md.contains("<script") && !md.contains("<img"), "{md}");
        assert!(md.contains("\\*\\*Promo\\*\\*"), "{md}");
        assert!(md.contains("\\[klik\\](https\\://phish.example)"), "{md}");
        assert!(
            md.contains("\\!\\[\\](http\\://pixel.example/t.gif)"),
            "{md}"
        );
        assert!(md.contains("a\\|b"), "{md}");
        assert_eq!(markdown("Dendeng Uni Lis 2 > 1"), "Dendeng Uni Lis 2 \\> 1");
    }

    #[test]
    fn a_spreadsheet_never_runs_a_cell_as_a_formula() {
        for f in [
            "=HYPERLINK(\"http://x\")",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert!(csv_text(f).starts_with('\''), "{f}");
        }
        assert_eq!(csv_text("Dendeng Uni Lis"), "Dendeng Uni Lis");
    }
}
