//! The one hashtag matcher every platform uses (platform-apis.md §5).
//!
//! Text matches when it holds `#` + the tag, compared case-insensitively, and the next
//! character is not a tag character (a letter or digit in any script, or `_`). Tag lists
//! (TikTok `hashtag_names`, YouTube `tags`) match on the whole element.

/// A campaign hashtag, kept without `#` and in its canonical (case-folded) form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hashtag {
    display: String,
    folded: Vec<char>,
}

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Unicode-aware case folding of one character into `out`.
fn fold_into(c: char, out: &mut Vec<char>) {
    out.extend(c.to_lowercase());
}

fn fold(s: &str) -> Vec<char> {
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        fold_into(c, &mut out);
    }
    out
}

impl Hashtag {
    /// Parses a tag as an operator writes it (`#Tag` or `Tag`). `None` when the rest is
    /// empty or holds anything but tag characters.
    pub fn parse(raw: &str) -> Option<Hashtag> {
        let tag = raw.trim();
        let tag = tag.strip_prefix('#').unwrap_or(tag);
        if tag.is_empty() || !tag.chars().all(is_tag_char) {
            return None;
        }
        Some(Hashtag {
            display: tag.to_string(),
            folded: fold(tag),
        })
    }

    /// The tag as configured, without `#`.
    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// Lower-case form, as TikTok's `hashtag_name` filter and the database want it.
    pub fn lowercase(&self) -> String {
        self.folded.iter().collect()
    }

    /// Does free text (a caption, message, title or description) carry this tag?
    pub fn in_text(&self, text: &str) -> bool {
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] == '#' && self.matches_at(&chars[i + 1..]) {
                return true;
            }
            i += 1;
        }
        false
    }

    /// Compares folded characters from the start of `rest` and requires the tag to end
    /// there: `#TagLagi` or `#Tag_2024` is another tag.
    fn matches_at(&self, rest: &[char]) -> bool {
        let mut folded = Vec::with_capacity(self.folded.len());
        let mut consumed = 0;
        while folded.len() < self.folded.len() {
            let Some(&c) = rest.get(consumed) else {
                return false;
            };
            fold_into(c, &mut folded);
            consumed += 1;
            if !self.folded.starts_with(&folded) {
                return false;
            }
        }
        rest.get(consumed).is_none_or(|&c| !is_tag_char(c))
    }

    /// Does one element of a tag list (no `#` expected, tolerated) equal this tag?
    pub fn is_element(&self, element: &str) -> bool {
        let e = element.trim();
        let e = e.strip_prefix('#').unwrap_or(e);
        fold(e) == self.folded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag() -> Hashtag {
        Hashtag::parse("#UMKMKotaPadangMajuBersama").unwrap()
    }

    #[test]
    fn matches_the_reference_examples() {
        for text in [
            "#UMKMKotaPadangMajuBersama",
            "#umkmkotapadangmajubersama",
            "#UMKMKOTAPADANGMAJUBERSAMA",
            "#tenun#umkmkotapadangmajubersama!",
            "Dendeng mantap.#UMKMKotaPadangMajuBersama",
            "#UMKMKotaPadangMajuBersama, enak",
            "Promo\n#UMKMKotaPadangMajuBersama\n#kuliner",
        ] {
            assert!(tag().in_text(text), "{text:?} should match");
        }
    }

    #[test]
    fn rejects_look_alikes_and_bare_words() {
        for text in [
            "#UMKMKotaPadangMajuBersamaLagi",
            "#UMKMKotaPadangMajuBersama_2024",
            "#UMKMKotaPadangMajuBersama2",
            "UMKMKotaPadangMajuBersama tanpa pagar",
            "#UMKMKotaPadangMaju",
            "",
            "#",
        ] {
            assert!(!tag().in_text(text), "{text:?} should not match");
        }
    }

    #[test]
    fn a_letter_in_another_script_extends_the_tag() {
        assert!(!tag().in_text("#UMKMKotaPadangMajuBersamaé"));
        assert!(tag().in_text("#UMKMKotaPadangMajuBersama🔥"));
    }

    #[test]
    fn tag_list_elements_match_whole() {
        assert!(tag().is_element("umkmkotapadangmajubersama"));
        assert!(tag().is_element("#UMKMKotaPadangMajuBersama"));
        assert!(!tag().is_element("umkmkotapadangmajubersamalagi"));
    }

    #[test]
    fn parse_refuses_empty_or_spaced_tags() {
        assert!(Hashtag::parse("#").is_none());
        assert!(Hashtag::parse("two words").is_none());
        assert_eq!(tag().lowercase(), "umkmkotapadangmajubersama");
    }
}
