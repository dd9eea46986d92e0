//! The web face's pages: server-rendered HTML, one stylesheet, no scripts, every value
//! escaped; Bahasa Indonesia first, English with `?lang=en`.

use crate::report::html::esc;
use crate::store::{ConnectionStatus, ConsentConnection};

/// The page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Id,
    En,
}

impl Lang {
    pub fn from_query(q: Option<&str>) -> Lang {
        match q {
            Some(l) if l.eq_ignore_ascii_case("en") => Lang::En,
            _ => Lang::Id,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }

    /// The same language as the reports name it.
    pub fn report(self) -> crate::report::Lang {
        match self {
            Lang::Id => crate::report::Lang::Id,
            Lang::En => crate::report::Lang::En,
        }
    }

    /// `id` or `en` words.
    pub fn t(self, id: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Id => id,
            Lang::En => en,
        }
    }
}

pub const STYLE: &str = "
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;padding:16px;color:#1d2329;background:#f4f6f8;line-height:1.45}
main{max-width:640px;margin:0 auto}
h1{font-size:1.35rem;margin:.2rem 0 .6rem}
h2{font-size:1.1rem;margin:0 0 .4rem}
.card{background:#fff;border-radius:10px;padding:14px 16px;margin:12px 0;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.card>:first-child{margin-top:0}
.state{margin:.2rem 0 .7rem}
.ok{color:#12703a}.warn{color:#9a5b00}.bad{color:#b3261e}.muted{color:#5b6570}
button,.button{display:inline-block;font:inherit;font-size:1rem;padding:.65rem 1.1rem;border-radius:8px;border:1px solid #0b57d0;background:#0b57d0;color:#fff;text-decoration:none;cursor:pointer;margin:.2rem .4rem .2rem 0}
button.secondary{background:#fff;color:#b3261e;border-color:#b3261e}
.flash{padding:10px 14px;border-radius:8px;margin:10px 0}
.flash.ok{background:#e6f4ea}.flash.bad{background:#fce8e6}.flash.warn{background:#fef7e0}
ul{padding-left:1.2rem;margin:.3rem 0}
nav{font-size:.9rem;margin-bottom:.4rem}
footer{font-size:.85rem;color:#5b6570;margin-top:1.5rem}
form{display:inline}
body.dash main{max-width:1180px}
nav.top{display:flex;flex-wrap:wrap;gap:.2rem .9rem;align-items:center;padding:.4rem 0 .6rem;border-bottom:1px solid #d5dbe1;margin-bottom:.6rem}
nav.top a,nav.tabs a{text-decoration:none;color:#0b57d0;padding:.25rem 0}
nav.top a[aria-current],nav.tabs a[aria-current]{font-weight:700;color:#1d2329;border-bottom:2px solid #0b57d0}
nav.tabs{display:flex;gap:1rem;margin:.3rem 0 .6rem}
.signout{margin-left:auto}
button.link{background:none;border:none;color:#0b57d0;padding:0;margin:0;text-decoration:underline}
.small{font-size:.85rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:12px}
.cards .card{margin:0}
.big{font-size:1.9rem;font-weight:700;margin:.1rem 0}
.badge{font-size:.7rem;font-weight:600;background:#fef7e0;color:#9a5b00;border-radius:6px;padding:.1rem .4rem;vertical-align:middle}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:.4rem 0}
table{border-collapse:collapse;width:100%;font-size:.9rem;background:#fff}
th,td{padding:.4rem .5rem;border-bottom:1px solid #e3e7eb;text-align:left;white-space:nowrap}
th{background:#eef1f4;font-weight:600;position:sticky;top:0}
td.num{text-align:right;font-variant-numeric:tabular-nums}
th:first-child,td:first-child{position:sticky;left:0;background:inherit;z-index:1}
tbody tr{background:#fff}
tbody tr:nth-child(even){background:#f8f9fb}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem .8rem;align-items:flex-end;margin:.4rem 0}
form.filters label{display:flex;flex-direction:column;font-size:.8rem;color:#5b6570}
form.filters select,form.filters input{font:inherit;font-size:.95rem;padding:.35rem;border:1px solid #c3cad1;border-radius:6px;min-width:8rem}
form.filters button{margin:0}
form.stack{display:flex;flex-direction:column;gap:.35rem}
form.stack input{font:inherit;padding:.55rem;border:1px solid #c3cad1;border-radius:6px}
.narrow{max-width:420px}
.pager{font-size:.9rem}
.caption{white-space:pre-wrap;overflow-wrap:anywhere}
svg.chart{width:100%;height:auto;display:block}
svg .grid{stroke:#e3e7eb;stroke-width:1}
svg .axis{font-size:11px;fill:#5b6570}
svg .bar{fill:#0b57d0}
svg .bar.provisional{fill:#9fbdf0}
svg .unknown{font-size:12px;fill:#9a5b00}
svg .line{fill:none;stroke-width:2.2}
svg .s1{stroke:#0b57d0;fill:#0b57d0}svg .s2{stroke:#12703a;fill:#12703a}svg .s3{stroke:#b3261e;fill:#b3261e}svg .s4{stroke:#9a5b00;fill:#9a5b00}
svg path.line{fill:none}
.legend .key{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;margin:0 .25rem 0 .6rem;vertical-align:middle}
.legend .s1{background:#0b57d0}.legend .s2{background:#12703a}.legend .s3{background:#b3261e}.legend .s4{background:#9a5b00}
@media (max-width:600px){body{padding:10px}th,td{padding:.35rem .4rem}.big{font-size:1.6rem}}
";

/// A whole page around `body`.
pub fn page(lang: Lang, title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · jempol</title><link rel=\"stylesheet\" href=\"/jempol.css\"></head>\
         <body><main>{body}<footer>jempol · <a href=\"/privasi?lang={}\">{}</a></footer></main></body></html>",
        lang.code(),
        esc(title),
        lang.code(),
        lang.t("Pernyataan privasi", "Privacy statement"),
    )
}

/// A page that only says something went wrong, and what to do.
pub fn message(lang: Lang, title: &str, text: &str) -> String {
    page(
        lang,
        title,
        &format!("<h1>{}</h1><p id=\"message\">{}</p>", esc(title), esc(text)),
    )
}

/// What happened last, shown at the top of the connect page.
pub fn flash(lang: Lang, key: &str) -> Option<(&'static str, &'static str)> {
    Some(match key {
        "terhubung" => ("ok", lang.t("TikTok terhubung. Terima kasih!", "TikTok is connected. Thank you!")),
        "sebagian" => ("warn", lang.t(
            "TikTok terhubung, tetapi tidak semua izin diberikan: angka yang tidak diizinkan tidak akan terbaca.",
            "TikTok is connected, but not every permission was granted: figures not allowed will not be read.",
        )),
        "batal" => ("bad", lang.t(
            "Anda membatalkan di halaman TikTok, jadi akun belum terhubung. Anda bisa mencoba lagi kapan saja.",
            "You cancelled on TikTok's page, so the account is not connected. You can try again at any time.",
        )),
        "putus" => ("ok", lang.t(
            "Akun diputuskan: jempol tidak lagi membaca akun ini dan kuncinya sudah dihapus.",
            "Disconnected: jempol no longer reads this account and its keys are deleted.",
        )),
        "kedaluwarsa" => ("bad", lang.t(
            "Proses masuk tadi sudah kedaluwarsa atau sudah dipakai. Silakan tekan tombol hubungkan sekali lagi.",
            "That sign-in expired or was already used. Please press the connect button once more.",
        )),
        "meta-terhubung" => ("ok", lang.t(
            "Facebook dan Instagram terhubung. Terima kasih!",
            "Facebook and Instagram are connected. Thank you!",
        )),
        "meta-batal" => ("bad", lang.t(
            "Anda membatalkan di halaman Facebook, jadi akun belum terhubung. Anda bisa mencoba lagi kapan saja.",
            "You cancelled on Facebook's page, so the accounts are not connected. You can try again at any time.",
        )),
        "meta-kosong" => ("warn", lang.t(
            "Tidak ada Halaman Facebook yang dipilih. Tekan hubungkan lagi dan pilih Halaman usaha Anda.",
            "No Facebook Page was chosen. Press connect again and choose your business's Page.",
        )),
        "gagal" => ("bad", lang.t(
            "TikTok tidak menjawab. Silakan coba lagi sebentar lagi.",
            "TikTok did not answer. Please try again in a moment.",
        )),
        _ => return None,
    })
}

/// A date in the campaign's time zone, as people write it.
pub fn date(lang: Lang, t: i64, tz: &jiff::tz::TimeZone) -> String {
    let d = jiff::Timestamp::from_second(t)
        .unwrap_or_default()
        .to_zoned(tz.clone())
        .date();
    crate::report::labels::long_date(&d.to_string(), lang.report())
}

/// An instant as a day and time in the campaign zone: "23 Nov 2026 06.00" (Bahasa
/// Indonesia writes the time with a dot).
pub fn date_time(lang: Lang, t: i64, tz: &jiff::tz::TimeZone) -> String {
    let z = jiff::Timestamp::from_second(t)
        .unwrap_or_default()
        .to_zoned(tz.clone());
    let day = crate::report::labels::short_date(&z.date().to_string(), lang.report());
    match lang {
        Lang::Id => format!("{day} {} {}", z.year(), z.strftime("%H.%M")),
        Lang::En => format!("{day} {} {}", z.year(), z.strftime("%H:%M")),
    }
}

/// What the connect page says of one platform.
pub struct PlatformCard<'a> {
    pub name: &'static str,
    pub slug: &'static str,
    pub connection: Option<&'a ConsentConnection>,
    /// A second account the same login connects (Instagram, with a Facebook Page).
    pub also: Option<&'a ConsentConnection>,
    /// Whether this campaign lets businesses connect this platform.
    pub available: bool,
}

/// The business's connect page.
pub struct ConnectPage<'a> {
    pub lang: Lang,
    pub business_name: &'a str,
    pub token: &'a str,
    pub csrf: &'a str,
    pub link_expires: String,
    pub flash: Option<(&'static str, &'static str)>,
    pub cards: Vec<PlatformCard<'a>>,
    pub tz: &'a jiff::tz::TimeZone,
}

fn missing_scopes(c: &ConsentConnection) -> Vec<&'static str> {
    if c.platform != crate::platform::Platform::Tiktok {
        return Vec::new(); // Meta grants a configuration's permissions all or none (§8.0)
    }
    crate::consent::tiktok::missing_scopes(&c.scopes)
}

fn card_html(p: &ConnectPage, card: &PlatformCard) -> String {
    let lang = p.lang;
    let action = format!("/hubungkan/{}/{}", esc(p.token), card.slug);
    let csrf = format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(p.csrf)
    );
    let connect_button = |label: &str| {
        format!(
            "<form method=\"post\" action=\"{action}\">{csrf}<button id=\"connect-{}\" type=\"submit\">{}</button></form>",
            card.slug,
            esc(label)
        )
    };
    let disconnect_button = format!(
        "<form method=\"post\" action=\"{action}/putuskan\">{csrf}<button id=\"disconnect-{}\" class=\"secondary\" type=\"submit\">{}</button></form>",
        card.slug,
        lang.t("Putuskan", "Disconnect")
    );
    let (state, buttons) = if !card.available {
        (
            format!(
                "<p class=\"state muted\">{}</p>",
                lang.t(
                    "Belum tersedia dalam kampanye ini.",
                    "Not offered in this campaign yet."
                )
            ),
            String::new(),
        )
    } else {
        match card.connection {
            None => (
                format!(
                    "<p class=\"state muted\">{}</p>",
                    lang.t("Belum terhubung.", "Not connected.")
                ),
                connect_button(&format!("{} {}", lang.t("Hubungkan", "Connect"), card.name)),
            ),
            Some(c) => {
                let who = c
                    .handle
                    .as_deref()
                    .map(|h| format!("@{}", esc(h)))
                    .unwrap_or_else(|| {
                        lang.t(
                            "(nama akun tidak diizinkan)",
                            "(account name not permitted)",
                        )
                        .into()
                    });
                match c.status {
                    ConnectionStatus::Connected | ConnectionStatus::Partial => {
                        let mut s = format!(
                            "<p class=\"state ok\">{} <b>{who}</b>.</p>",
                            lang.t("Terhubung sebagai", "Connected as")
                        );
                        if let Some(end) = c.refresh_expires_at {
                            s.push_str(&format!(
                                "<p class=\"muted\">{} {}.</p>",
                                lang.t("Persetujuan berlaku sampai", "Consent lasts until"),
                                esc(&date(lang, end, p.tz))
                            ));
                        }
                        if let Some(ig) = card.also.filter(|a| a.status.usable()) {
                            s.push_str(&format!(
                                "<p class=\"ok\" id=\"also-{}\">Instagram: <b>@{}</b></p>",
                                card.slug,
                                esc(ig.handle.as_deref().unwrap_or(""))
                            ));
                        }
                        let missing = missing_scopes(c);
                        if !missing.is_empty() {
                            s.push_str(&format!(
                                "<p class=\"warn\">{} {}</p>",
                                lang.t("Izin yang tidak diberikan:", "Permissions not granted:"),
                                esc(&missing.join(", "))
                            ));
                        }
                        (
                            s,
                            format!(
                                "{}{disconnect_button}",
                                if missing.is_empty() {
                                    String::new()
                                } else {
                                    connect_button(lang.t("Hubungkan ulang", "Connect again"))
                                }
                            ),
                        )
                    }
                    ConnectionStatus::NeedsReconsent => (
                        format!(
                            "<p class=\"state bad\">{} <b>{who}</b> {}</p>",
                            lang.t("Akun", "The account"),
                            lang.t(
                                "perlu dihubungkan ulang: persetujuan sebelumnya sudah berakhir.",
                                "needs connecting again: the earlier consent has ended."
                            )
                        ),
                        connect_button(&format!(
                            "{} {}",
                            lang.t("Hubungkan ulang", "Connect again"),
                            card.name
                        )),
                    ),
                    ConnectionStatus::Revoked => (
                        format!(
                            "<p class=\"state muted\">{} {who}.</p>",
                            lang.t("Persetujuan dicabut untuk", "Consent withdrawn for")
                        ),
                        connect_button(&format!(
                            "{} {}",
                            lang.t("Hubungkan", "Connect"),
                            card.name
                        )),
                    ),
                }
            }
        }
    };
    format!(
        "<section class=\"card\" id=\"card-{}\"><h2>{}</h2>{state}{buttons}</section>",
        card.slug, card.name
    )
}

pub fn connect(p: &ConnectPage) -> String {
    let lang = p.lang;
    let other = match lang {
        Lang::Id => format!(
            "<a href=\"/hubungkan/{}?lang=en\">English</a>",
            esc(p.token)
        ),
        Lang::En => format!(
            "<a href=\"/hubungkan/{}\">Bahasa Indonesia</a>",
            esc(p.token)
        ),
    };
    let flash = p
        .flash
        .map(|(class, text)| format!("<p class=\"flash {class}\" id=\"flash\">{}</p>", esc(text)))
        .unwrap_or_default();
    let cards: String = p.cards.iter().map(|c| card_html(p, c)).collect();
    page(
        lang,
        &format!("{} {}", lang.t("Hubungkan akun", "Connect the accounts of"), p.business_name),
        &format!(
            "<nav>{other}</nav><h1>{} <span id=\"business\">{}</span></h1>{flash}\
             <section class=\"card\"><p>{}</p><ul><li>{}</li><li>{}</li><li>{}</li></ul></section>\
             {cards}<p class=\"muted\">{} {}.</p>",
            lang.t("Hubungkan akun", "Connect the accounts of"),
            esc(p.business_name),
            lang.t(
                "Gerakan ini menghitung dukungan untuk usaha Anda. Dengan menghubungkan akun, Anda mengizinkan jempol:",
                "This campaign counts the support your business receives. By connecting an account you allow jempol to:"
            ),
            lang.t(
                "membaca angka saja: suka, komentar, bagikan, tayangan, dan pengikut dari akun Anda sendiri;",
                "read figures only: likes, comments, shares, views and followers of your own account;"
            ),
            lang.t(
                "tidak bisa memposting, mengubah, menghapus, atau membaca pesan;",
                "it cannot post, change or delete anything, nor read messages;"
            ),
            lang.t(
                "Anda bisa memutuskan kapan saja di halaman ini atau di pengaturan aplikasi.",
                "you can disconnect at any time on this page or in the platform's settings."
            ),
            lang.t("Tautan pribadi ini berlaku sampai", "This personal link works until"),
            esc(&p.link_expires),
        ),
    )
}

/// The privacy statement the connect page links to (what app reviewers read).
pub fn privacy(lang: Lang) -> String {
    let items: [(&str, &str); 5] = [
        (
            "Apa yang dibaca: jumlah suka, komentar, bagikan, tayangan dan pengikut dari akun yang Anda hubungkan, beserta keterangan dan tautan posting yang memakai tagar kampanye.",
            "What is read: the like, comment, share, view and follower counts of the accounts you connect, with the captions and links of posts that carry the campaign's hashtag.",
        ),
        (
            "Apa yang tidak dibaca: pesan, data pribadi pengikut, atau posting lain. jempol tidak pernah memposting atas nama Anda.",
            "What is not read: messages, followers' personal data, or any other posts. jempol never posts on your behalf.",
        ),
        (
            "Kunci akses disimpan terenkripsi dan tidak pernah ditampilkan di laporan.",
            "Access keys are stored encrypted and never shown in any report.",
        ),
        (
            "Angka dipakai untuk laporan kampanye kepada koordinator dan dinas.",
            "The figures are used for the campaign's reports to its coordinators and the city office.",
        ),
        (
            "Memutuskan akun (di halaman Anda atau di pengaturan platform) menghapus kuncinya; posting yang sudah terhitung tetap dalam laporan kampanye.",
            "Disconnecting (on your page or in the platform's settings) deletes its keys; posts already counted stay in the campaign's reports.",
        ),
    ];
    let list: String = items
        .iter()
        .map(|(id, en)| format!("<li>{}</li>", esc(lang.t(id, en))))
        .collect();
    page(
        lang,
        lang.t("Pernyataan privasi", "Privacy statement"),
        &format!(
            "<h1>{}</h1><section class=\"card\"><ul>{list}</ul></section>",
            lang.t("Pernyataan privasi", "Privacy statement")
        ),
    )
}
