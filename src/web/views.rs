//! The dashboard's page frame and its small pieces: the navigation, the sign-in form,
//! the period and filter form, the pager. Every value is escaped; no scripts.

use super::pages::Lang;
use crate::report::html::esc;

/// Where a page sits in the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Overview,
    Leaderboard,
    Lists,
    Reports,
    /// A business's own page through its link: no navigation.
    Own,
}

/// The signed-in frame of a page.
pub struct Frame<'a> {
    pub lang: Lang,
    pub title: &'a str,
    pub section: Section,
    /// The coordinator and the sign-out form's CSRF value.
    pub user: Option<(&'a str, &'a str)>,
    /// "Figures as of …".
    pub as_of: Option<String>,
}

/// A whole dashboard page around `body`.
pub fn page(f: &Frame, body: &str) -> String {
    let l = f.lang;
    let mut nav = String::new();
    if f.section != Section::Own {
        nav.push_str("<nav class=\"top\">");
        for (s, href, id, en) in [
            (Section::Overview, "/dasbor", "Ringkasan", "Overview"),
            (
                Section::Leaderboard,
                "/dasbor/peringkat",
                "Peringkat",
                "Leaderboard",
            ),
            (Section::Lists, "/dasbor/daftar/sepi", "Daftar", "Lists"),
            (Section::Reports, "/dasbor/laporan", "Laporan", "Reports"),
        ] {
            let current = if s == f.section {
                " aria-current=\"page\""
            } else {
                ""
            };
            nav.push_str(&format!("<a href=\"{href}\"{current}>{}</a>", l.t(id, en)));
        }
        if let Some((user, csrf)) = f.user {
            nav.push_str(&format!(
                "<form method=\"post\" action=\"/keluar\" class=\"signout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><span class=\"muted\">{}</span> <button type=\"submit\" class=\"link\" id=\"keluar\">{}</button></form>",
                esc(csrf),
                esc(user),
                l.t("Keluar", "Sign out")
            ));
        }
        nav.push_str("</nav>");
    }
    let as_of = f
        .as_of
        .as_ref()
        .map(|a| format!("<p class=\"muted small\" id=\"as-of\">{}</p>", esc(a)))
        .unwrap_or_default();
    let other = match l {
        Lang::Id => "<a href=\"?lang=en\" class=\"small\">English</a>",
        Lang::En => "<a href=\"?lang=id\" class=\"small\">Bahasa Indonesia</a>",
    };
    format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · jempol</title><link rel=\"stylesheet\" href=\"/jempol.css\"></head>\
         <body class=\"dash\"><main>{nav}<h1>{}</h1>{as_of}{body}\
         <footer>jempol · {other}</footer></main></body></html>",
        match l {
            Lang::Id => "id",
            Lang::En => "en",
        },
        esc(f.title),
        esc(f.title),
    )
}

/// The sign-in page.
pub fn sign_in(lang: Lang, next: &str, csrf: &str, error: Option<&str>) -> String {
    let error = error
        .map(|e| format!("<p class=\"flash bad\" id=\"message\">{}</p>", esc(e)))
        .unwrap_or_default();
    let body = format!(
        "<div class=\"card narrow\">{error}<form method=\"post\" action=\"/masuk\" class=\"stack\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\"><input type=\"hidden\" name=\"lanjut\" value=\"{}\">\
         <label for=\"nama\">{}</label><input id=\"nama\" name=\"nama\" autocomplete=\"username\" required>\
         <label for=\"sandi\">{}</label><input id=\"sandi\" name=\"sandi\" type=\"password\" autocomplete=\"current-password\" required>\
         <button type=\"submit\" id=\"masuk\">{}</button></form>\
         <p class=\"muted small\">{}</p></div>",
        esc(csrf),
        esc(next),
        lang.t("Nama pengguna", "User name"),
        lang.t("Kata sandi", "Password"),
        lang.t("Masuk", "Sign in"),
        lang.t(
            "Akun koordinator dibuat oleh pengelola dengan `jempol users add`. Usaha membuka halamannya lewat tautan pribadi.",
            "Coordinator accounts are made by the operator with `jempol users add`. Businesses open their page through their personal link.",
        ),
    );
    page(
        &Frame {
            lang,
            title: lang.t("Masuk ke dasbor jempol", "Sign in to the jempol dashboard"),
            section: Section::Own,
            user: None,
            as_of: None,
        },
        &body,
    )
}

/// A `<select>` of options (value, text) with `current` selected.
pub fn select(name: &str, label: &str, options: &[(String, String)], current: &str) -> String {
    let mut s = format!(
        "<label>{}<select name=\"{}\" id=\"f-{}\">",
        esc(label),
        esc(name),
        esc(name)
    );
    for (v, t) in options {
        let sel = if v == current { " selected" } else { "" };
        s.push_str(&format!(
            "<option value=\"{}\"{sel}>{}</option>",
            esc(v),
            esc(t)
        ));
    }
    s.push_str("</select></label>");
    s
}

/// A query string from pairs, empty values left out.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if !v.is_empty() {
            q.append_pair(k, v);
        }
    }
    let q = q.finish();
    if q.is_empty() { q } else { format!("?{q}") }
}

/// The download links of a table shown at `base` (a path with its query).
pub fn downloads(lang: Lang, base: &str) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    format!(
        "<p class=\"downloads small\">{} <a href=\"{b}{sep}format=csv\" id=\"unduh-csv\">CSV (Excel)</a> · \
         <a href=\"{b}{sep}format=csv-rfc\" id=\"unduh-csv-rfc\">CSV (RFC 4180)</a> · \
         <a href=\"{b}{sep}format=xlsx\" id=\"unduh-xlsx\">XLSX</a></p>",
        lang.t("Unduh:", "Download:"),
        b = esc(base),
    )
}
