//! The simulated world: seeded businesses of Padang, their accounts and posts, and an
//! engagement model that is a pure function of simulated time. The API handlers and
//! `/__sim/truth` both read counts from [`World::reported`], so they always agree.

use std::collections::HashMap;

use jiff::Timestamp;

use crate::platform::{Counts, Platform};

/// What to generate.
#[derive(Debug, Clone)]
pub struct WorldConfig {
    pub seed: u64,
    pub businesses: usize,
    /// When the world begins: posts exist from a week before until `horizon_days` after.
    pub start: Timestamp,
    pub horizon_days: u32,
    /// Mean posts per account over the whole span.
    pub posts_per_account: f64,
    /// The campaign tag, without `#`.
    pub hashtag: String,
}

impl WorldConfig {
    pub fn new(seed: u64, businesses: usize, start: Timestamp) -> WorldConfig {
        WorldConfig {
            seed,
            businesses,
            start,
            horizon_days: 35,
            posts_per_account: 5.0,
            hashtag: "UMKMKotaPadangMajuBersama".into(),
        }
    }
}

pub const CATEGORIES: [&str; 6] = [
    "kuliner",
    "fashion",
    "kerajinan",
    "jasa",
    "pertanian",
    "perdagangan",
];

/// The kecamatan of Padang.
pub const DISTRICTS: [&str; 11] = [
    "Bungus Teluk Kabung",
    "Koto Tangah",
    "Kuranji",
    "Lubuk Begalung",
    "Lubuk Kilangan",
    "Nanggalo",
    "Padang Barat",
    "Padang Selatan",
    "Padang Timur",
    "Padang Utara",
    "Pauh",
];

const PRODUCTS: [&[&str]; 6] = [
    &[
        "Rendang",
        "Dendeng Batokok",
        "Keripik Balado",
        "Sate Padang",
        "Kopi Kawa",
        "Galamai",
        "Bika",
        "Lamang Tapai",
        "Ampiang Dadiah",
        "Soto Padang",
    ],
    &[
        "Batik Tanah Liek",
        "Butik Muslimah",
        "Konveksi",
        "Sulaman Bayang",
        "Kebaya",
        "Tenun",
    ],
    &[
        "Songket",
        "Anyaman Pandan",
        "Ukiran Kayu",
        "Sulaman Kerancang",
        "Tembikar",
        "Rajutan",
    ],
    &[
        "Jahit",
        "Laundry",
        "Salon",
        "Servis HP",
        "Bengkel",
        "Fotokopi",
    ],
    &[
        "Kebun Cabai",
        "Madu Hutan",
        "Ikan Bilih",
        "Sayur Organik",
        "Gambir",
    ],
    &[
        "Toko Kelontong",
        "Grosir Sembako",
        "Kedai Harian",
        "Agen Pulsa",
        "Toko Oleh-Oleh",
    ],
];

const OWNERS: [&str; 16] = [
    "Uni Lis",
    "Mak Etek",
    "Uda Rizal",
    "Bundo Ani",
    "Amak Yusna",
    "Uni Ros",
    "Pak Datuak",
    "Ajo Fikri",
    "Uni Santi",
    "Mak Itam",
    "Uda Ferdi",
    "Ibu Nurhayati",
    "Uni Wati",
    "Pak Syamsul",
    "Uni Épi",
    "Nenek Ijah",
];

const LINES: [&str; 8] = [
    "Pesanan hari ini siap dikirim",
    "Produk baru sudah tersedia, sanak",
    "Terima kasih pelanggan setia",
    "Promo akhir pekan",
    "Proses pembuatan di rumah produksi kami",
    "Dukung produk lokal Padang",
    "Stok terbatas, pesan sekarang",
    "Buka setiap hari dari pagi",
];

/// How a post uses the campaign tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagUse {
    /// Carries the tag, in one of the real-world spellings.
    Exact(u8),
    /// Carries a look-alike that must not match (`#…Lagi`, `#…_2024`, `#…2`).
    LookAlike(u8),
    /// No campaign tag (other tags, or the bare word).
    Without(u8),
}

pub struct SimBusiness {
    pub key: String,
    pub name: String,
    pub category: &'static str,
    pub district: &'static str,
    pub accounts: Vec<u32>,
}

pub struct SimAccount {
    pub platform: Platform,
    /// Username (IG, TikTok), page username (FB) or `@handle` (YouTube).
    pub handle: String,
    /// IG user id, FB page id, TikTok (internal), YouTube `UC…` channel id.
    pub user_id: String,
    pub display_name: String,
    pub business: Option<u32>,
    followers_base: u32,
    growth_per_day: f32,
    pub hidden_followers: bool,
    /// An Instagram personal account: Business Discovery cannot read it.
    pub personal: bool,
    /// Post indices, newest first.
    pub posts: Vec<u32>,
    older_media: u32,
}

pub struct SimPost {
    pub platform: Platform,
    pub id: String,
    pub account: u32,
    pub posted_at: i64,
    pub deleted_at: Option<i64>,
    pub tag: TagUse,
    line: u8,
    pub media_type: u8,
    peak_likes: u32,
    comment_ratio: f32,
    share_ratio: f32,
    view_ratio: f32,
    tau_hours: f32,
    pub hide_likes: bool,
    pub comments_off: bool,
    dips: bool,
}

/// The generated world, immutable once built.
pub struct World {
    pub config: WorldConfig,
    pub businesses: Vec<SimBusiness>,
    pub accounts: Vec<SimAccount>,
    pub posts: Vec<SimPost>,
    post_index: HashMap<(Platform, String), u32>,
    account_by_handle: HashMap<(Platform, String), u32>,
    account_by_user_id: HashMap<(Platform, String), u32>,
    /// Per platform, indices of posts ordered by `posted_at` (oldest first).
    by_time: HashMap<Platform, Vec<u32>>,
}

/// Counts a platform can report for a post, before its own hiding rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawCounts {
    pub likes: u64,
    pub comments: u64,
    pub shares: u64,
    pub views: u64,
}

/// An account's public figures as its platform reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct AccountFigures {
    pub followers: Option<u64>,
    pub following: Option<u64>,
    pub media_count: Option<u64>,
    pub total_likes: Option<u64>,
    pub total_views: Option<u64>,
}

fn slug(name: &str) -> String {
    name.chars()
        .filter_map(|c| match c {
            'é' | 'É' => Some('e'),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

fn id_chars(rng: &mut fastrand::Rng, n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (0..n)
        .map(|_| ALPHABET[rng.usize(..ALPHABET.len())] as char)
        .collect()
}

impl World {
    /// Builds the world for `config`; the same config always gives the same world.
    pub fn generate(config: WorldConfig) -> World {
        let mut rng = fastrand::Rng::with_seed(config.seed);
        let start = config.start.as_second();
        let span_start = start - 7 * 86_400;
        let span = (7 + i64::from(config.horizon_days)) * 86_400;
        let mut world = World {
            businesses: Vec::with_capacity(config.businesses),
            accounts: Vec::new(),
            posts: Vec::new(),
            post_index: HashMap::new(),
            account_by_handle: HashMap::new(),
            account_by_user_id: HashMap::new(),
            by_time: HashMap::new(),
            config,
        };
        let unregistered = (world.config.businesses / 10).max(3);
        for b in 0..world.config.businesses + unregistered {
            let registered = b < world.config.businesses;
            let cat = rng.usize(..CATEGORIES.len());
            let product = PRODUCTS[cat][rng.usize(..PRODUCTS[cat].len())];
            let owner = OWNERS[rng.usize(..OWNERS.len())];
            let name = format!("{product} {owner}");
            let base_handle = format!("{}.{}", slug(product), slug(owner));
            // A sixth of registered businesses have not posted with the tag yet.
            let silent = registered && rng.f32() < 0.15;
            let platforms: Vec<Platform> = if registered {
                let mut p: Vec<Platform> = [
                    (Platform::Instagram, 0.85),
                    (Platform::Facebook, 0.5),
                    (Platform::Tiktok, 0.45),
                    (Platform::Youtube, 0.2),
                ]
                .into_iter()
                .filter(|(_, share)| rng.f32() < *share)
                .map(|(p, _)| p)
                .collect();
                if p.is_empty() {
                    p.push(Platform::Instagram);
                }
                p
            } else {
                vec![Platform::ALL[rng.usize(..4)]]
            };
            let business_idx = registered.then_some(world.businesses.len() as u32);
            let mut account_ids = Vec::new();
            for platform in platforms {
                let a = world.accounts.len() as u32;
                // Within each platform's handle length limits (IG 30, TikTok 24, YouTube 30).
                let plain: String = base_handle.replace('.', "");
                let cut = |s: &str, n: usize| s.chars().take(n).collect::<String>();
                let (handle, user_id) = match platform {
                    Platform::Instagram => (
                        format!("{}{b}", cut(&base_handle, 23)),
                        format!("178414{:011}", 100_000 + a as u64),
                    ),
                    Platform::Facebook => {
                        (format!("{plain}{b}"), format!("102{:012}", a as u64 + 7))
                    }
                    Platform::Tiktok => (format!("{}_{b}", cut(&plain, 16)), format!("tt{a}")),
                    Platform::Youtube => (
                        format!("@{}{b}", cut(&plain, 22)),
                        format!("UC{}", id_chars(&mut rng, 22)),
                    ),
                };
                let followers_base = 40 + (rng.f32().powi(3) * 20_000.0) as u32;
                world.accounts.push(SimAccount {
                    platform,
                    handle,
                    user_id,
                    display_name: name.clone(),
                    business: business_idx,
                    followers_base,
                    growth_per_day: rng.f32() * 0.01,
                    hidden_followers: platform == Platform::Youtube && rng.f32() < 0.08,
                    personal: platform == Platform::Instagram && rng.f32() < 0.03,
                    posts: Vec::new(),
                    older_media: rng.u32(0..60),
                });
                account_ids.push(a);
                let n_posts = if silent {
                    0
                } else {
                    poisson(&mut rng, world.config.posts_per_account)
                };
                for _ in 0..n_posts {
                    let posted_at = span_start + rng.i64(0..span);
                    world.add_post(&mut rng, a, posted_at);
                }
            }
            if registered {
                world.businesses.push(SimBusiness {
                    key: format!("PDG-{:05}", b + 1),
                    name,
                    category: CATEGORIES[cat],
                    district: DISTRICTS[rng.usize(..DISTRICTS.len())],
                    accounts: account_ids,
                });
            }
        }
        world.index();
        world
    }

    fn add_post(&mut self, rng: &mut fastrand::Rng, account: u32, posted_at: i64) {
        let p = self.posts.len() as u32;
        let platform = self.accounts[account as usize].platform;
        let page_id = &self.accounts[account as usize].user_id;
        let id = match platform {
            Platform::Instagram => format!("179{:014}", 10_000_000 + u64::from(p)),
            Platform::Facebook => format!("{page_id}_{}", 305_000_000_000_000u64 + u64::from(p)),
            Platform::Tiktok => (7_311_000_000_000_000_000u64 + u64::from(p) * 7).to_string(),
            Platform::Youtube => id_chars(rng, 11),
        };
        let roll = rng.f32();
        let tag = if roll < 0.72 {
            TagUse::Exact(rng.u8(0..7))
        } else if roll < 0.84 {
            TagUse::LookAlike(rng.u8(0..3))
        } else {
            TagUse::Without(rng.u8(0..2))
        };
        let popularity = self.accounts[account as usize].followers_base as f32 / 2000.0 + 0.2;
        let likes_hideable = matches!(platform, Platform::Instagram | Platform::Youtube);
        self.posts.push(SimPost {
            platform,
            id,
            account,
            posted_at,
            deleted_at: (rng.f32() < 0.03).then(|| posted_at + rng.i64(2 * 3600..72 * 3600)),
            tag,
            line: rng.u8(0..LINES.len() as u8),
            media_type: rng.u8(0..3),
            peak_likes: (5.0 + rng.f32().powi(2) * 800.0 * popularity) as u32,
            comment_ratio: 0.02 + rng.f32() * 0.12,
            share_ratio: rng.f32() * 0.1,
            view_ratio: 5.0 + rng.f32() * 25.0,
            tau_hours: 6.0 + rng.f32() * 66.0,
            hide_likes: likes_hideable && rng.f32() < 0.08,
            comments_off: platform == Platform::Youtube && rng.f32() < 0.05,
            dips: rng.f32() < 0.05,
        });
        self.accounts[account as usize].posts.push(p);
    }

    fn index(&mut self) {
        for (i, post) in self.posts.iter().enumerate() {
            self.post_index
                .insert((post.platform, post.id.clone()), i as u32);
            self.by_time
                .entry(post.platform)
                .or_default()
                .push(i as u32);
        }
        for list in self.by_time.values_mut() {
            list.sort_by_key(|&i| (self.posts[i as usize].posted_at, i));
        }
        for (i, account) in self.accounts.iter_mut().enumerate() {
            account
                .posts
                .sort_by_key(|&p| std::cmp::Reverse(self.posts[p as usize].posted_at));
            self.account_by_handle
                .insert((account.platform, account.handle.to_lowercase()), i as u32);
            self.account_by_user_id
                .insert((account.platform, account.user_id.clone()), i as u32);
        }
    }

    pub fn post(&self, platform: Platform, id: &str) -> Option<(u32, &SimPost)> {
        let &i = self.post_index.get(&(platform, id.to_string()))?;
        Some((i, &self.posts[i as usize]))
    }

    pub fn account_by_handle(
        &self,
        platform: Platform,
        handle: &str,
    ) -> Option<(u32, &SimAccount)> {
        let &i = self
            .account_by_handle
            .get(&(platform, handle.to_lowercase()))?;
        Some((i, &self.accounts[i as usize]))
    }

    pub fn account_by_user_id(&self, platform: Platform, id: &str) -> Option<(u32, &SimAccount)> {
        let &i = self.account_by_user_id.get(&(platform, id.to_string()))?;
        Some((i, &self.accounts[i as usize]))
    }

    /// Posts of `platform` in publication order (oldest first), visible or not.
    pub fn posts_by_time(&self, platform: Platform) -> &[u32] {
        self.by_time.get(&platform).map_or(&[], Vec::as_slice)
    }

    /// Is the post published and not deleted at `t`?
    pub fn visible(&self, post: &SimPost, t: i64) -> bool {
        post.posted_at <= t && post.deleted_at.is_none_or(|d| d > t)
    }

    /// Does the post carry the campaign tag (as jempol must decide it)?
    pub fn tagged(&self, post: &SimPost) -> bool {
        matches!(post.tag, TagUse::Exact(_))
    }

    /// The caption, message, or YouTube description, with the tag spelled as this post
    /// spells it.
    pub fn caption(&self, post: &SimPost) -> String {
        let tag = &self.config.hashtag;
        let owner = &self.accounts[post.account as usize].display_name;
        let text = format!("{} — {owner}", LINES[post.line as usize]);
        match post.tag {
            TagUse::Exact(0) => format!("{text} #{tag}"),
            TagUse::Exact(1) => format!("{text} #{} #fyp", tag.to_lowercase()),
            TagUse::Exact(2) => format!("#{} {text}", tag.to_uppercase()),
            TagUse::Exact(3) => format!("{text} #kuliner#{}", tag.to_lowercase()),
            TagUse::Exact(4) => format!("{text}, mantap.#{tag} sanak"),
            TagUse::Exact(5) => format!("{text} #{tag}! Ayo dukung"),
            TagUse::Exact(_) => format!("{text} (#{tag})\n#padang"),
            TagUse::LookAlike(0) => format!("{text} #{tag}Lagi"),
            TagUse::LookAlike(1) => format!("{text} #{tag}_2024"),
            TagUse::LookAlike(_) => format!("{text} #{tag}2"),
            TagUse::Without(0) => format!("{text} #kuliner #padang"),
            TagUse::Without(_) => format!("{text} {tag} tanpa pagar"),
        }
    }

    /// The tags in a caption, lower-case and without `#` (TikTok's `hashtag_names`).
    pub fn hashtag_names(&self, post: &SimPost) -> Vec<String> {
        let caption = self.caption(post);
        caption
            .split('#')
            .skip(1)
            .map(|s| {
                s.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect::<String>()
                    .to_lowercase()
            })
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// A YouTube title for a post.
    pub fn title(&self, post: &SimPost) -> String {
        let owner = &self.accounts[post.account as usize].display_name;
        format!("{owner}: {}", LINES[post.line as usize])
    }

    /// Engagement at `t`, ignoring visibility: grows towards a peak with decay after
    /// posting; a few posts lose some likes for a while (unlikes), so counts go down.
    pub fn raw_counts(&self, post: &SimPost, t: i64) -> RawCounts {
        let age_h = ((t - post.posted_at).max(0)) as f64 / 3600.0;
        let f = 1.0 - (-age_h / f64::from(post.tau_hours)).exp();
        let peak = f64::from(post.peak_likes);
        let mut likes = (peak * f).floor() as u64;
        if post.dips && (age_h as u64 / 7) % 4 == 2 {
            likes = likes.saturating_sub(1 + u64::from(post.peak_likes) / 40);
        }
        RawCounts {
            likes,
            comments: (peak * f * f64::from(post.comment_ratio)).floor() as u64,
            shares: (peak * f * f64::from(post.share_ratio)).floor() as u64,
            views: (peak * f * f64::from(post.view_ratio)).floor() as u64 + u64::from(age_h > 0.0),
        }
    }

    /// Counts as the post's platform reports them (what jempol must store): `None`
    /// where the platform does not report a figure (platform-apis.md §1.2, §2.1, §4.2).
    pub fn reported(&self, post: &SimPost, t: i64) -> Counts {
        let raw = self.raw_counts(post, t);
        let likes = (!post.hide_likes).then_some(raw.likes);
        match post.platform {
            Platform::Instagram => Counts {
                likes,
                comments: Some(raw.comments),
                shares: None,
                views: None,
            },
            Platform::Facebook => Counts {
                likes: Some(raw.likes),
                comments: Some(raw.comments),
                shares: Some(raw.shares),
                views: None,
            },
            Platform::Tiktok => Counts {
                likes: Some(raw.likes),
                comments: Some(raw.comments),
                shares: Some(raw.shares),
                views: Some(raw.views),
            },
            Platform::Youtube => Counts {
                likes,
                comments: (!post.comments_off).then_some(raw.comments),
                shares: None,
                views: Some(raw.views),
            },
        }
    }

    /// Followers at `t` before platform rounding: grow a little every day.
    pub fn followers(&self, account: &SimAccount, t: i64) -> u64 {
        let days = (t - self.config.start.as_second()) as f64 / 86_400.0;
        let f =
            f64::from(account.followers_base) * (1.0 + f64::from(account.growth_per_day) * days);
        f.max(0.0).floor() as u64
    }

    /// Visible posts of an account at `t`, newest first.
    pub fn visible_posts<'a>(
        &'a self,
        account: &'a SimAccount,
        t: i64,
    ) -> impl Iterator<Item = (u32, &'a SimPost)> + 'a {
        account
            .posts
            .iter()
            .map(move |&i| (i, &self.posts[i as usize]))
            .filter(move |(_, p)| self.visible(p, t))
    }

    /// An account's figures as its platform reports them at `t`.
    pub fn figures(&self, account: &SimAccount, t: i64) -> AccountFigures {
        let followers = self.followers(account, t);
        let media = u64::from(account.older_media) + self.visible_posts(account, t).count() as u64;
        match account.platform {
            Platform::Instagram => AccountFigures {
                followers: Some(followers),
                media_count: Some(media),
                ..Default::default()
            },
            Platform::Facebook => AccountFigures {
                followers: Some(followers),
                ..Default::default()
            },
            Platform::Tiktok => AccountFigures {
                followers: Some(followers),
                following: Some(u64::from(account.older_media) / 2 + 3),
                media_count: Some(media),
                total_likes: Some(
                    u64::from(account.older_media) * 40
                        + self
                            .visible_posts(account, t)
                            .map(|(_, p)| self.raw_counts(p, t).likes)
                            .sum::<u64>(),
                ),
                total_views: None,
            },
            Platform::Youtube => AccountFigures {
                followers: (!account.hidden_followers).then(|| three_significant(followers)),
                following: None,
                media_count: Some(media),
                total_likes: None,
                total_views: Some(
                    u64::from(account.older_media) * 300
                        + self
                            .visible_posts(account, t)
                            .map(|(_, p)| self.raw_counts(p, t).views)
                            .sum::<u64>(),
                ),
            },
        }
    }
}

/// YouTube rounds `subscriberCount` to three significant figures (platform-apis.md §4.3).
pub fn three_significant(n: u64) -> u64 {
    let mut scale = 1;
    while n / scale >= 1000 {
        scale *= 10;
    }
    n / scale * scale
}

fn poisson(rng: &mut fastrand::Rng, mean: f64) -> u32 {
    // Knuth's method; means here are small.
    let limit = (-mean).exp();
    let mut k = 0;
    let mut p = 1.0;
    loop {
        p *= rng.f64();
        if p <= limit || k > 200 {
            return k;
        }
        k += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hashtag::Hashtag;

    fn world() -> World {
        World::generate(WorldConfig::new(
            7,
            120,
            "2026-11-20T00:00:00Z".parse().unwrap(),
        ))
    }

    #[test]
    fn the_same_seed_gives_the_same_world() {
        let (a, b) = (world(), world());
        assert_eq!(a.posts.len(), b.posts.len());
        for (x, y) in a.posts.iter().zip(&b.posts) {
            assert_eq!((&x.id, x.posted_at, x.tag), (&y.id, y.posted_at, y.tag));
        }
        let other = World::generate(WorldConfig::new(8, 120, a.config.start));
        assert_ne!(
            a.posts.iter().map(|p| &p.id).collect::<Vec<_>>(),
            other.posts.iter().map(|p| &p.id).collect::<Vec<_>>()
        );
    }

    #[test]
    fn tag_spellings_agree_with_jempols_matcher() {
        let w = world();
        let tag = Hashtag::parse(&w.config.hashtag).unwrap();
        let mut seen = [0; 3];
        for post in &w.posts {
            let caption = w.caption(post);
            assert_eq!(tag.in_text(&caption), w.tagged(post), "{caption:?}");
            seen[match post.tag {
                TagUse::Exact(_) => 0,
                TagUse::LookAlike(_) => 1,
                TagUse::Without(_) => 2,
            }] += 1;
        }
        assert!(
            seen.iter().all(|n| *n > 0),
            "every kind of post occurs: {seen:?}"
        );
    }

    #[test]
    fn engagement_grows_and_some_counts_go_down() {
        let w = world();
        let mut went_down = false;
        for post in &w.posts {
            let mut last = 0;
            for h in 0..200 {
                let likes = w.raw_counts(post, post.posted_at + h * 3600).likes;
                went_down |= likes < last;
                last = likes;
            }
            assert!(
                w.raw_counts(post, post.posted_at + 400 * 3600).likes
                    >= w.raw_counts(post, post.posted_at + 3600).likes
            );
        }
        assert!(went_down);
    }

    #[test]
    fn youtube_rounds_subscribers_to_three_significant_figures() {
        assert_eq!(three_significant(530), 530);
        assert_eq!(three_significant(12_345), 12_300);
        assert_eq!(three_significant(1_234_567), 1_230_000);
    }

    #[test]
    fn the_world_has_registered_and_unregistered_accounts_on_every_platform() {
        let w = world();
        for platform in Platform::ALL {
            assert!(
                w.accounts
                    .iter()
                    .any(|a| a.platform == platform && a.business.is_some()),
                "{platform}"
            );
        }
        assert!(w.accounts.iter().any(|a| a.business.is_none()));
        assert!(
            w.businesses.iter().any(|b| b
                .accounts
                .iter()
                .all(|&a| w.accounts[a as usize].posts.is_empty())),
            "some have not posted"
        );
    }
}
