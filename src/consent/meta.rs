//! Facebook Login for Business (platform-apis-consent.md §8): the dialog URL with a
//! configuration id and `state`, the code exchange, the long-lived user token, the
//! user's Pages with their Page tokens and linked Instagram accounts, and revocation
//! with the app token. Page tokens taken with a long-lived user token do not expire
//! (§8.4), so jempol keeps those and never the user token.

use crate::platform::http::{ApiError, Http, Request, TOKEN_MAX_BODY};
use crate::platform::{endpoint, graph_verdict};

/// One Page the user chose on Meta's screen, with its token and linked Instagram account.
#[derive(Clone)]
pub struct PageGrant {
    pub page_id: String,
    pub name: String,
    pub username: Option<String>,
    pub access_token: String,
    pub tasks: Vec<String>,
    /// The linked Instagram professional account: (id, username).
    pub instagram: Option<(String, String)>,
}

impl std::fmt::Debug for PageGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageGrant")
            .field("page_id", &self.page_id)
            .field("instagram", &self.instagram)
            .finish_non_exhaustive()
    }
}

/// What a finished Facebook login gives: the app-scoped user id and the chosen Pages.
#[derive(Debug)]
pub struct MetaGrant {
    pub user_id: String,
    pub pages: Vec<PageGrant>,
}

pub struct MetaOauth {
    http: Http,
    /// `https://www.facebook.com/v25.0`
    dialog: String,
    /// `https://graph.facebook.com/v25.0`
    graph: String,
    app_id: String,
    app_secret: String,
    config_id: String,
}

impl MetaOauth {
    pub fn new(http: Http, app: &crate::config::MetaApp, app_secret: String) -> MetaOauth {
        MetaOauth {
            http,
            dialog: app.dialog_url.clone(),
            graph: app.graph_url.clone(),
            app_id: app.app_id.clone(),
            app_secret,
            config_id: app.config_id.clone(),
        }
    }

    /// Where the browser goes: the login dialog with the configuration (no `scope`:
    /// the configuration fixes the permissions, §8.1).
    pub fn dialog_url(&self, redirect_uri: &str, state: &str) -> String {
        let mut url = url::Url::parse(&format!("{}/dialog/oauth", self.dialog))
            .unwrap_or_else(|_| unreachable!("the config checked the URL"));
        url.query_pairs_mut()
            .append_pair("client_id", &self.app_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", state)
            .append_pair("config_id", &self.config_id)
            .append_pair("response_type", "code");
        url.to_string()
    }

    async fn get(
        &self,
        path: &str,
        params: &[(&str, &str)],
        name: &'static str,
    ) -> Result<serde_json::Value, ApiError> {
        let mut url = endpoint(&self.graph, path)?;
        url.query_pairs_mut().extend_pairs(params);
        let mut req = Request::get(url, name);
        req.max_body = TOKEN_MAX_BODY;
        self.http.send(&req, graph_verdict).await
    }

    fn token_of(&self, body: &serde_json::Value) -> Result<String, ApiError> {
        let token = body["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if token.is_empty() {
            return Err(ApiError::Invalid(
                "Graph: a token answer without access_token".into(),
            ));
        }
        self.http.add_secret(&token);
        Ok(token)
    }

    /// The code for a user token (§8.2), made long-lived (§8.3), then who the user is
    /// and the Pages they chose with their tokens (§8.4).
    pub async fn connect(&self, code: &str, redirect_uri: &str) -> Result<MetaGrant, ApiError> {
        self.http.add_secret(code);
        let short = self
            .get(
                "/oauth/access_token",
                &[
                    ("client_id", &self.app_id),
                    ("redirect_uri", redirect_uri),
                    ("client_secret", &self.app_secret),
                    ("code", code),
                ],
                "oauth/access_token",
            )
            .await?;
        let short = self.token_of(&short)?;
        let long = self
            .get(
                "/oauth/access_token",
                &[
                    ("grant_type", "fb_exchange_token"),
                    ("client_id", &self.app_id),
                    ("client_secret", &self.app_secret),
                    ("fb_exchange_token", &short),
                ],
                "oauth/access_token",
            )
            .await?;
        let user = self.token_of(&long)?;
        let me = self
            .get(
                "/me",
                &[("fields", "id,name"), ("access_token", &user)],
                "me",
            )
            .await?;
        let user_id = me["id"].as_str().unwrap_or_default().to_string();
        let accounts = self
            .get(
                "/me/accounts",
                &[
                    ("fields", "id,name,username,access_token,tasks,instagram_business_account{id,username}"),
                    ("limit", "25"),
                    ("access_token", &user),
                ],
                "me/accounts",
            )
            .await?;
        let mut pages = Vec::new();
        for p in accounts["data"].as_array().into_iter().flatten() {
            let (Some(id), Some(token)) = (p["id"].as_str(), p["access_token"].as_str()) else {
                continue;
            };
            self.http.add_secret(token);
            let ig = &p["instagram_business_account"];
            pages.push(PageGrant {
                page_id: id.to_string(),
                name: p["name"].as_str().unwrap_or_default().to_string(),
                username: p["username"].as_str().map(str::to_lowercase),
                access_token: token.to_string(),
                tasks: p["tasks"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|t| t.as_str().map(String::from))
                    .collect(),
                instagram: ig["id"].as_str().map(|i| {
                    (
                        i.to_string(),
                        ig["username"].as_str().unwrap_or_default().to_lowercase(),
                    )
                }),
            });
        }
        Ok(MetaGrant { user_id, pages })
    }

    /// Ends the user's whole login with the app token (`DELETE /{user}/permissions`,
    /// §8.6): their Page tokens stop working.
    pub async fn revoke(&self, user_id: &str) -> Result<(), ApiError> {
        let app_token = format!("{}|{}", self.app_id, self.app_secret);
        let mut url = endpoint(&self.graph, &format!("/{user_id}/permissions"))?;
        url.query_pairs_mut()
            .append_pair("access_token", &app_token);
        let mut req = Request::get(url, "permissions");
        req.method = reqwest::Method::DELETE;
        req.max_body = TOKEN_MAX_BODY;
        self.http.send(&req, graph_verdict).await.map(|_| ())
    }

    /// The app secret, which keys `signed_request` (§8.7).
    pub fn app_secret(&self) -> &str {
        &self.app_secret
    }

    /// A token read back from the store: redacted from then on.
    pub fn remember(&self, token: &str) {
        self.http.add_secret(token);
    }

    pub fn redact(&self, text: &str) -> String {
        self.http.redact(text)
    }
}
