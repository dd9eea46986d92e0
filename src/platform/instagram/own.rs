//! A business's own Instagram professional account, read with the token of the Page it
//! is linked to (platform-apis-consent.md §9.1–9.2, Path A): its followers and media
//! count (fields), its media newest first, and each tagged media's insights: `views`
//! and `shares` where its media product type offers them. A metric Graph refuses is
//! dropped, the call tried once more, and the refusal remembered for that type.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::consent::Keeper;
use crate::hashtag::Hashtag;
use crate::platform::http::{ApiError, Http, Request};
use crate::platform::pager::{Page, Pager};
use crate::platform::{
    AccountRef, AccountStats, DiscoveryPage, Harvest, Platform, PlatformClient, TrackedAccount,
    TrackedPost, count, graph,
};

const MEDIA_FIELDS: &str =
    "id,caption,like_count,comments_count,timestamp,permalink,media_type,media_product_type";
const USER_FIELDS: &str = "id,username,followers_count,follows_count,media_count";
/// An account's media listing: 50 a page.
const MEDIA_PAGES: Pager = Pager::new(40);

pub struct InstagramOwn {
    http: Http,
    base: String,
    tags: Vec<Hashtag>,
    keeper: Arc<Keeper>,
    /// (media product type, metric) pairs Graph refused: not asked again.
    refused: Mutex<HashSet<(String, String)>>,
}

/// The metrics jempol stores, in the order asked: `views` → views, `shares` → shares.
const METRICS: [&str; 2] = ["views", "shares"];

/// Metric names a code-100 refusal names ("does not support the views, shares metric",
/// "The metric shares is not supported").
fn refused_metrics(message: &str) -> Vec<String> {
    METRICS
        .iter()
        .filter(|m| {
            message.contains(&format!(" {m} metric"))
                || message.contains(&format!(" {m},"))
                || message.contains(&format!("metric {m} "))
        })
        .map(|m| m.to_string())
        .collect()
}

impl InstagramOwn {
    pub fn new(http: Http, base: &str, tags: Vec<Hashtag>, keeper: Arc<Keeper>) -> InstagramOwn {
        InstagramOwn {
            http,
            base: base.to_string(),
            tags,
            keeper,
            refused: Mutex::new(HashSet::new()),
        }
    }

    async fn get(
        &self,
        token: &str,
        path: &str,
        params: &[(&str, &str)],
        name: &'static str,
    ) -> Result<Value, ApiError> {
        let url = graph::url(&self.base, path, params, token)?;
        self.http
            .send(&Request::get(url, name), graph::verdict)
            .await
    }

    /// `views` and `shares` of one media, as far as Graph gives them (an empty answer,
    /// a refused metric or media from before the business account: unknown).
    async fn insights(
        &self,
        token: &str,
        media: &Value,
    ) -> Result<(Option<u64>, Option<u64>), ApiError> {
        let id = media["id"].as_str().unwrap_or_default();
        let product = media["media_product_type"]
            .as_str()
            .unwrap_or("FEED")
            .to_string();
        let mut metrics: Vec<String> = {
            let refused = self.refused.lock().unwrap_or_else(|e| e.into_inner());
            METRICS
                .iter()
                .filter(|m| !refused.contains(&(product.clone(), m.to_string())))
                .map(|m| m.to_string())
                .collect()
        };
        for retried in [false, true] {
            if metrics.is_empty() {
                return Ok((None, None));
            }
            let joined = metrics.join(",");
            match self
                .get(
                    token,
                    &format!("{id}/insights"),
                    &[("metric", &joined)],
                    "media_insights",
                )
                .await
            {
                Ok(body) => {
                    let value = |name: &str| {
                        body["data"]
                            .as_array()?
                            .iter()
                            .find(|d| d["name"] == name)
                            .and_then(|d| {
                                let v = &d["values"][0]["value"];
                                count(if v.is_null() {
                                    &d["total_value"]["value"]
                                } else {
                                    v
                                })
                            })
                    };
                    return Ok((value("views"), value("shares")));
                }
                Err(ApiError::Invalid(why)) if !retried => {
                    let named = refused_metrics(&why);
                    if named.is_empty() {
                        // Media from before the business account (2108006) and the like.
                        tracing::debug!(media = id, reason = %why, "no insights for this media");
                        return Ok((None, None));
                    }
                    let mut refused = self.refused.lock().unwrap_or_else(|e| e.into_inner());
                    for m in &named {
                        refused.insert((product.clone(), m.clone()));
                    }
                    metrics.retain(|m| !named.contains(m));
                }
                Err(ApiError::Invalid(_)) => return Ok((None, None)),
                Err(e) => return Err(e),
            }
        }
        Ok((None, None))
    }

    /// One connected account: its figures, then its media back to `horizon` (or until
    /// every wanted id was listed), each tagged one with its insights.
    async fn read_one(
        &self,
        token: &str,
        account: &TrackedAccount,
        ig_id: &str,
        horizon: jiff::Timestamp,
        wanted: &HashSet<&str>,
        harvest: &mut Harvest,
    ) -> Result<(), ApiError> {
        let owner = AccountRef {
            handle: Some(account.handle.clone()),
            platform_user_id: Some(ig_id.to_string()),
            display_name: None,
        };
        let user = self
            .get(token, ig_id, &[("fields", USER_FIELDS)], "ig_user")
            .await?;
        harvest.stats.push(AccountStats {
            platform: Platform::Instagram,
            account: owner.clone(),
            followers: count(&user["followers_count"]),
            following: count(&user["follows_count"]),
            media_count: count(&user["media_count"]),
            total_likes: None,
            total_views: None,
        });
        let mut tally = graph::Tally::new(wanted, horizon);
        let mut paging = MEDIA_PAGES.start::<Vec<(String, String)>, ApiError>(None);
        while let Some(next) = paging.next_cursor() {
            let read = async {
                let first = [("fields", MEDIA_FIELDS), ("limit", "50")];
                let params: Vec<(&str, &str)> = match &next {
                    Some(pairs) => pairs
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect(),
                    None => first.to_vec(),
                };
                let body = self
                    .get(token, &format!("{ig_id}/media"), &params, "ig_media")
                    .await?;
                let mut ids = Vec::new();
                for m in body["data"].as_array().into_iter().flatten() {
                    let Some(id) = m["id"].as_str() else { continue };
                    ids.push(id.to_string());
                    if tally.note(Some(id), graph::time(&m["timestamp"])) {
                        continue;
                    }
                    match super::media_item(&self.tags, m, Some(&owner)) {
                        Ok(Some(mut post)) => {
                            // The owner's direct read shows likes its listing hides (§9.1).
                            if post.counts.likes.is_none() {
                                let direct = self
                                    .get(token, id, &[("fields", "like_count")], "ig_media_object")
                                    .await?;
                                post.counts.likes = count(&direct["like_count"]);
                            }
                            let (views, shares) = self.insights(token, m).await?;
                            post.counts.views = views;
                            post.counts.shares = shares;
                            harvest.posts.push(post);
                        }
                        Ok(None) => {}
                        Err(why) => harvest
                            .skipped
                            .push(format!("instagram media of {}: {why}", account.handle)),
                    }
                }
                Ok::<_, ApiError>(Page {
                    ids,
                    next: graph::next_query(&body).map(|q| graph::query_pairs(&q)),
                    enough: tally.enough(),
                })
            }
            .await;
            paging.read(read);
        }
        let end = paging.end();
        if end.is_complete() {
            harvest.listings.push(tally.listing(&account.handle));
            return Ok(());
        }
        match end.into_error() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    async fn read(
        &self,
        accounts: &[TrackedAccount],
        horizon: jiff::Timestamp,
        wanted: &HashSet<&str>,
    ) -> Result<Harvest, ApiError> {
        let mut harvest = Harvest::default();
        let holders = self.keeper.holders(accounts).await?;
        for (account, c, token) in holders {
            match self
                .read_one(
                    &token,
                    &account,
                    &c.external_id,
                    horizon,
                    wanted,
                    &mut harvest,
                )
                .await
            {
                Ok(()) => {}
                // A business's token refused: marked, and the others go on.
                Err(ApiError::Auth(why) | ApiError::TokenRefused(why)) => {
                    tracing::warn!(business = %c.business_key, reason = %self.redact(&why), "a business's Instagram token was refused");
                    self.keeper.refused(&c).await;
                }
                // That account's own limit (counted per account, §9.3): next cycle.
                Err(ApiError::Quota(why)) => {
                    tracing::info!(business = %c.business_key, reason = %self.redact(&why), "an Instagram account's own limit is spent; it is read again next cycle");
                }
                Err(e) => {
                    harvest.failure = Some(e);
                    break;
                }
            }
        }
        Ok(harvest)
    }
}

impl PlatformClient for InstagramOwn {
    fn platform(&self) -> Platform {
        Platform::Instagram
    }

    /// No search on this route: posts come from the connected accounts' own media.
    async fn discover(
        &self,
        _since: jiff::Timestamp,
        _cursor: Option<String>,
    ) -> Result<DiscoveryPage, ApiError> {
        Ok(DiscoveryPage::default())
    }

    async fn read_accounts(
        &self,
        accounts: &[TrackedAccount],
        horizon: jiff::Timestamp,
    ) -> Result<Harvest, ApiError> {
        self.read(accounts, horizon, &HashSet::new()).await
    }

    /// Known media from their account's listing, back to the oldest asked for, with
    /// fresh insights.
    async fn refresh(&self, posts: &[TrackedPost]) -> Result<Harvest, ApiError> {
        let (accounts, oldest) = super::accounts_of(posts);
        let wanted: HashSet<&str> = posts.iter().map(|p| p.id.as_str()).collect();
        let oldest = oldest.unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        self.read(&accounts, oldest, &wanted).await
    }

    fn refresh_batch(&self) -> usize {
        2_000
    }

    fn account_batch(&self) -> usize {
        50
    }

    fn requests(&self) -> u64 {
        self.http.requests()
    }

    fn redact(&self, text: &str) -> String {
        self.keeper.redact(&self.http.redact(text))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_metrics_graph_refuses_are_read_from_its_message() {
        assert_eq!(
            super::refused_metrics(
                "(#100) The Media Insights API does not support the views, shares metric for this media product type."
            ),
            ["views", "shares"]
        );
        assert_eq!(
            super::refused_metrics("(#100) The metric shares is not supported for this media type"),
            ["shares"]
        );
        assert!(
            super::refused_metrics("(#100) Media posted before business account conversion")
                .is_empty()
        );
    }
}
