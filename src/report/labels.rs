//! Every word a report shows, in English and in Bahasa Indonesia (the coordinators'
//! language). The JSON format keeps its English keys in both.

pub use crate::config::Lang;

impl Lang {
    pub fn labels(self) -> &'static Labels {
        match self {
            Lang::En => &EN,
            Lang::Id => &ID,
        }
    }
}

/// The labels of one language.
#[derive(Debug)]
pub struct Labels {
    pub title: &'static str,
    pub period: &'static str,
    pub timezone: &'static str,
    pub data_until: &'static str,
    pub platform_filter: &'static str,
    pub totals: &'static str,
    /// The totals of a district, category or business.
    pub totals_scoped: &'static str,
    pub accounts: &'static str,
    pub followers_trend: &'static str,
    pub business_posts: &'static str,
    pub day: &'static str,
    pub trend_scoped: &'static str,
    pub full_report: &'static str,
    pub previous: &'static str,
    pub previous_day: &'static str,
    pub change: &'static str,
    pub change_percent: &'static str,
    pub gone_quiet: &'static str,
    pub gone_quiet_short: &'static str,
    pub posts_before: &'static str,
    pub figure: &'static str,
    pub posts_published: &'static str,
    pub likes: &'static str,
    pub comments: &'static str,
    pub shares: &'static str,
    pub views: &'static str,
    pub engagement: &'static str,
    pub engagement_rate: &'static str,
    pub followers: &'static str,
    pub followers_growth: &'static str,
    pub businesses_active: &'static str,
    pub registered: &'static str,
    pub by_platform: &'static str,
    pub platform: &'static str,
    pub leaderboard: &'static str,
    pub rank: &'static str,
    pub key: &'static str,
    pub business: &'static str,
    pub district: &'static str,
    pub category: &'static str,
    pub platforms: &'static str,
    pub new_participant: &'static str,
    pub has_posted: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub top_posts: &'static str,
    pub account: &'static str,
    pub post: &'static str,
    pub profile: &'static str,
    pub posted_at: &'static str,
    pub deleted: &'static str,
    pub not_registered: &'static str,
    pub new_participants: &'static str,
    pub not_posted_yet: &'static str,
    pub outside_registry: &'static str,
    pub outside_hint: &'static str,
    pub trend: &'static str,
    pub none: &'static str,
    pub more: &'static str,
    pub left_out: &'static str,
    pub more_on_wide: &'static str,
    pub unknown_legend: &'static str,
    /// A day before the platform was tracked.
    pub unknown: &'static str,
    /// The period's figures may still move; `{}` is the last settled day.
    pub provisional: &'static str,
    /// CSV column: the row's figures may still move.
    pub provisional_column: &'static str,
    /// An earlier day whose figures moved since they were reported.
    pub revised: &'static str,
    pub reported: &'static str,
    pub now: &'static str,
    /// Posts no account is known for yet: `{posts}`, `{engagement}`.
    pub unattributed: &'static str,
    pub definitions: &'static str,
    pub footer: &'static str,
}

impl Labels {
    /// The leaderboard's columns, in order (table, Markdown, HTML; CSV adds the key).
    pub fn leaderboard_columns(&self) -> [&'static str; 14] {
        [
            self.rank,
            self.business,
            self.district,
            self.category,
            self.platforms,
            self.posts_published,
            self.likes,
            self.comments,
            self.shares,
            self.views,
            self.engagement,
            self.engagement_rate,
            self.followers,
            self.followers_growth,
        ]
    }
}

pub static EN: Labels = Labels {
    title: "Engagement report",
    period: "Period",
    timezone: "Time zone",
    data_until: "Data until",
    platform_filter: "Platform",
    totals: "Campaign totals",
    totals_scoped: "Totals",
    accounts: "Accounts",
    followers_trend: "Followers at the end of each day",
    business_posts: "Its tagged posts that gained in the period",
    day: "Day",
    trend_scoped: "Engagement, last 14 days",
    full_report: "Full report",
    previous: "Period before",
    previous_day: "Day before",
    change: "Change",
    change_percent: "Change %",
    gone_quiet: "Gone quiet: posted in the 14 days before, not in this period",
    gone_quiet_short: "Gone quiet",
    posts_before: "Posts in the 14 days before",
    figure: "Figure",
    posts_published: "Posts published",
    likes: "Likes",
    comments: "Comments",
    shares: "Shares",
    views: "Views",
    engagement: "Engagement",
    engagement_rate: "Engagement rate",
    followers: "Followers",
    followers_growth: "Follower growth",
    businesses_active: "Businesses active",
    registered: "Registered businesses",
    by_platform: "By platform",
    platform: "Platform",
    leaderboard: "Leaderboard",
    rank: "#",
    key: "Key",
    business: "Business",
    district: "District",
    category: "Category",
    platforms: "Platforms",
    new_participant: "New participant",
    has_posted: "Has posted",
    yes: "yes",
    no: "no",
    top_posts: "Top posts",
    account: "Account",
    post: "Post",
    profile: "Profile",
    posted_at: "Posted at",
    deleted: "deleted",
    not_registered: "not registered",
    new_participants: "New participants (first tagged post)",
    not_posted_yet: "Registered businesses that have not posted yet",
    outside_registry: "Accounts outside the registry that used the hashtag",
    outside_hint: "Invite them to register.",
    trend: "Campaign engagement, last 14 days",
    none: "none",
    more: "more",
    left_out: "Left out to fit the screen (the HTML and CSV reports have them)",
    more_on_wide: "More columns on a wider screen (turn the phone) and in the CSV.",
    unknown_legend: "? = unknown: the platform hides this count, or the day is before jempol tracked it.",
    unknown: "unknown (before tracking began)",
    provisional: "Provisional: posts found late can still add to these figures (settled up to {}).",
    provisional_column: "Provisional",
    revised: "Moved since reported",
    reported: "reported",
    now: "now",
    unattributed: "Posts with the hashtag whose account is not known yet (Instagram hashtag media): {posts} published, engagement {engagement}; not in any business's figures.",
    definitions: "Gained = counts at the end of the day minus counts at its start (days in the campaign time zone); what a post had gathered before jempol first saw it counts on its publication day, or as before tracking. Engagement = likes + comments + shares; rate = engagement / followers.",
    footer: "Made by jempol from the campaign database.",
};

pub static ID: Labels = Labels {
    title: "Laporan keterlibatan",
    period: "Periode",
    timezone: "Zona waktu",
    data_until: "Data sampai",
    platform_filter: "Platform",
    totals: "Total kampanye",
    totals_scoped: "Total",
    accounts: "Akun",
    followers_trend: "Pengikut di akhir tiap hari",
    business_posts: "Unggahan bertagarnya yang bertambah di periode ini",
    day: "Hari",
    trend_scoped: "Keterlibatan, 14 hari terakhir",
    full_report: "Laporan lengkap",
    previous: "Periode sebelumnya",
    previous_day: "Hari sebelumnya",
    change: "Perubahan",
    change_percent: "Perubahan %",
    gone_quiet: "Mulai diam: mengunggah dalam 14 hari sebelumnya, tidak di periode ini",
    gone_quiet_short: "Mulai diam",
    posts_before: "Unggahan 14 hari sebelumnya",
    figure: "Angka",
    posts_published: "Unggahan baru",
    likes: "Suka",
    comments: "Komentar",
    shares: "Bagikan",
    views: "Tayangan",
    engagement: "Keterlibatan",
    engagement_rate: "Tingkat keterlibatan",
    followers: "Pengikut",
    followers_growth: "Pertumbuhan pengikut",
    businesses_active: "Usaha aktif",
    registered: "Usaha terdaftar",
    by_platform: "Per platform",
    platform: "Platform",
    leaderboard: "Peringkat usaha",
    rank: "#",
    key: "Kode",
    business: "Usaha",
    district: "Kecamatan",
    category: "Kategori",
    platforms: "Platform",
    new_participant: "Peserta baru",
    has_posted: "Sudah mengunggah",
    yes: "ya",
    no: "tidak",
    top_posts: "Unggahan teratas",
    account: "Akun",
    post: "Unggahan",
    profile: "Profil",
    posted_at: "Diunggah",
    deleted: "dihapus",
    not_registered: "tidak terdaftar",
    new_participants: "Peserta baru (unggahan bertagar pertama)",
    not_posted_yet: "Usaha terdaftar yang belum mengunggah",
    outside_registry: "Akun di luar daftar yang memakai tagar",
    outside_hint: "Ajak mereka mendaftar.",
    trend: "Keterlibatan kampanye, 14 hari terakhir",
    none: "tidak ada",
    more: "lainnya",
    left_out: "Tidak ditampilkan agar muat di layar (ada di laporan HTML dan CSV)",
    more_on_wide: "Kolom lain tampil di layar lebar (putar ponsel) dan di CSV.",
    unknown_legend: "? = tidak diketahui: platform menyembunyikan angka ini, atau hari itu sebelum jempol memantaunya.",
    unknown: "tidak diketahui (sebelum pemantauan dimulai)",
    provisional: "Sementara: unggahan yang ditemukan belakangan masih bisa menambah angka ini (tetap sampai {}).",
    provisional_column: "Sementara",
    revised: "Berubah sejak dilaporkan",
    reported: "dilaporkan",
    now: "sekarang",
    unattributed: "Unggahan dengan tagar yang akunnya belum diketahui (media tagar Instagram): {posts} terbit, keterlibatan {engagement}; tidak masuk angka usaha mana pun.",
    definitions: "Bertambah = angka di akhir hari dikurangi angka di awal hari (hari menurut zona waktu kampanye); yang sudah dikumpulkan unggahan sebelum jempol pertama melihatnya dihitung pada hari terbitnya, atau sebagai sebelum pemantauan. Keterlibatan = suka + komentar + bagikan; tingkat = keterlibatan / pengikut.",
    footer: "Dibuat oleh jempol dari basis data kampanye.",
};

/// A whole number with thousands separators (`,` in English, `.` in Indonesian).
pub fn number(n: i64, lang: Lang) -> String {
    let sep = match lang {
        Lang::En => ',',
        Lang::Id => '.',
    };
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// A short number for chart axes: `1.4M`, `350k` (`1,4 jt`, `350 rb` in Indonesian).
pub fn compact(n: i64, lang: Lang) -> String {
    let (m, k) = match lang {
        Lang::En => ("M", "k"),
        Lang::Id => (" jt", " rb"),
    };
    let a = n.unsigned_abs() as f64;
    let s = if a >= 1e6 {
        format!("{:.1}{m}", a / 1e6)
    } else if a >= 1e3 {
        format!("{:.0}{k}", a / 1e3)
    } else {
        format!("{a:.0}")
    };
    let s = decimal_mark(s, lang);
    if n < 0 { format!("-{s}") } else { s }
}

/// A count that may be unknown.
pub fn maybe(n: Option<i64>, lang: Lang) -> String {
    n.map_or_else(|| "?".to_string(), |n| number(n, lang))
}

/// A signed change, `+1,234` / `-5`; unknown as `?`.
pub fn delta(n: Option<i64>, lang: Lang) -> String {
    match n {
        Some(n) if n > 0 => format!("+{}", number(n, lang)),
        other => maybe(other, lang),
    }
}

/// A number written with `.` as its decimal mark, with `,` in Indonesian.
fn decimal_mark(s: String, lang: Lang) -> String {
    match lang {
        Lang::En => s,
        Lang::Id => s.replace('.', ","),
    }
}

/// The change from `before` to `now` in percent, `+12.5 %` / `-3.0 %`; unknown (`?`)
/// when either is unknown or `before` is 0.
pub fn change_percent(now: Option<i64>, before: Option<i64>, lang: Lang) -> String {
    match now.zip(before.filter(|b| *b != 0)) {
        None => "?".to_string(),
        Some((a, b)) => decimal_mark(format!("{:+.1} %", (a - b) as f64 * 100.0 / b as f64), lang),
    }
}

/// A fraction as a percentage with two decimals (`,` as the decimal mark in Indonesian).
pub fn percent(f: Option<f64>, lang: Lang) -> String {
    match f {
        None => "?".to_string(),
        Some(f) => decimal_mark(format!("{:.2} %", f * 100.0), lang),
    }
}

const WEEKDAYS: [[&str; 7]; 2] = [
    [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ],
    [
        "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu",
    ],
];
const MONTHS: [[&str; 12]; 2] = [
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    [
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ],
];

/// A day as people write it: "Sunday, 22 November 2026", "Minggu, 22 November 2026".
/// Text that is not a `YYYY-MM-DD` day is shown as it is.
pub fn long_date(day: &str, lang: Lang) -> String {
    let Ok(d) = day.parse::<jiff::civil::Date>() else {
        return day.to_string();
    };
    let l = usize::from(lang == Lang::Id);
    let weekday = WEEKDAYS[l][usize::from(d.weekday().to_monday_zero_offset() as u8)];
    let month = MONTHS[l][usize::from(d.month() as u8 - 1)];
    format!("{weekday}, {} {month} {}", d.day(), d.year())
}

/// A day in a narrow column: "22 Nov" ("16 Agu", "3 Des" in Bahasa Indonesia: each
/// month's first three letters in both languages).
pub fn short_date(day: &str, lang: Lang) -> String {
    let Ok(d) = day.parse::<jiff::civil::Date>() else {
        return day.to_string();
    };
    let month = MONTHS[usize::from(lang == Lang::Id)][usize::from(d.month() as u8 - 1)];
    format!("{} {}", d.day(), month.get(..3).unwrap_or(month))
}

/// An instant in the campaign's zone as people write it: "Monday, 23 November 2026 at
/// 06:00 WIB", "Senin, 23 November 2026 pukul 06.00 WIB" (Indonesia's zones by their
/// names, others as UTC+hh:mm). Text that is not an RFC 3339 time is shown as it is.
pub fn long_time(iso: &str, lang: Lang) -> String {
    let Ok(t) = iso.parse::<jiff::Timestamp>() else {
        return iso.to_string();
    };
    // The offset as written in the text is the campaign's.
    let offset = iso
        .get(iso.len().saturating_sub(6)..)
        .filter(|o| o.starts_with(['+', '-']))
        .unwrap_or("+00:00");
    let seconds = offset[1..3].parse::<i32>().unwrap_or(0) * 3600
        + offset[4..].parse::<i32>().unwrap_or(0) * 60;
    let seconds = if offset.starts_with('-') {
        -seconds
    } else {
        seconds
    };
    let zone = jiff::tz::Offset::from_seconds(seconds).unwrap_or(jiff::tz::Offset::UTC);
    let local = t.to_zoned(jiff::tz::TimeZone::fixed(zone));
    let name = match seconds {
        25_200 => "WIB".to_string(),
        28_800 => "WITA".to_string(),
        32_400 => "WIT".to_string(),
        _ => format!("UTC{offset}"),
    };
    let day = long_date(&local.date().to_string(), lang);
    match lang {
        Lang::En => format!("{day} at {:02}:{:02} {name}", local.hour(), local.minute()),
        Lang::Id => format!(
            "{day} pukul {:02}.{:02} {name}",
            local.hour(),
            local.minute()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_times_read_as_people_write_them() {
        assert_eq!(
            long_date("2026-11-22", Lang::Id),
            "Minggu, 22 November 2026"
        );
        assert_eq!(long_date("2026-08-17", Lang::En), "Monday, 17 August 2026");
        assert_eq!(
            long_time("2026-11-23T06:00:00+07:00", Lang::Id),
            "Senin, 23 November 2026 pukul 06.00 WIB"
        );
        assert_eq!(
            long_time("2026-11-23T06:05:00+09:00", Lang::En),
            "Monday, 23 November 2026 at 06:05 WIT"
        );
        assert_eq!(long_date("kemarin", Lang::Id), "kemarin");
    }

    #[test]
    fn numbers_use_the_language_separators() {
        assert_eq!(number(1_234_567, Lang::En), "1,234,567");
        assert_eq!(number(1_234_567, Lang::Id), "1.234.567");
        assert_eq!(number(-1000, Lang::En), "-1,000");
        assert_eq!(number(999, Lang::Id), "999");
        assert_eq!(delta(Some(5), Lang::En), "+5");
        assert_eq!(delta(None, Lang::En), "?");
        assert_eq!(percent(Some(0.01234), Lang::Id), "1,23 %");
        assert_eq!(compact(1_403_837, Lang::En), "1.4M");
        assert_eq!(compact(1_403_837, Lang::Id), "1,4 jt");
        assert_eq!(compact(350_959, Lang::En), "351k");
        assert_eq!(compact(0, Lang::En), "0");
    }
}
