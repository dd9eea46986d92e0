//! TikTok Login Kit for Web, OAuth 2.0 v2 (platform-apis-consent.md §6): the authorize
//! URL with `state` and PKCE, the code exchange, refresh (which rotates the refresh
//! token), and revoke. The token endpoint answers flat JSON, no envelope (§6.6).

use serde_json::Value;

use crate::platform::endpoint;
use crate::platform::http::{ApiError, Http, Raw, Request, TOKEN_MAX_BODY, Verdict};

/// What jempol asks for: `user.info.profile` for the username that ties the account to
/// the registry, `user.info.stats` for followers, `video.list` for the videos (§6.0).
pub const SCOPES: [&str; 4] = [
    "user.info.basic",
    "user.info.profile",
    "user.info.stats",
    "video.list",
];

/// The scopes jempol asks for that `granted` (comma-separated, as TikTok writes them)
/// leaves out: a partial connection names them (§6.2).
pub fn missing_scopes(granted: &str) -> Vec<&'static str> {
    SCOPES
        .iter()
        .copied()
        .filter(|s| !granted.split(',').any(|g| g.trim() == *s))
        .collect()
}

/// A grant from the token endpoint (the seven fields of §6.3).
#[derive(Clone)]
pub struct Grant {
    pub access_token: String,
    pub expires_in: i64,
    pub refresh_token: String,
    pub refresh_expires_in: i64,
    pub open_id: String,
    /// Granted scopes, comma-separated.
    pub scope: String,
}

impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grant")
            .field("open_id", &self.open_id)
            .field("scope", &self.scope)
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// The OAuth client of one TikTok app.
pub struct TiktokOauth {
    http: Http,
    /// Browser-facing host (`https://www.tiktok.com`).
    auth_base: String,
    /// Server-to-server host (`https://open.tiktokapis.com`).
    api_base: String,
    client_key: String,
    client_secret: String,
}

/// The token endpoint's verdict: a string `error` is a failure whatever the status;
/// `invalid_grant` is the consent's end, not the platform's (§6.6).
fn token_verdict(raw: &Raw) -> Verdict {
    let body = match raw.json() {
        Ok(v) => v,
        Err(retry) => return retry,
    };
    let Some(error) = body["error"].as_str().filter(|e| !e.is_empty()) else {
        return Verdict::Ok(body);
    };
    let message = format!(
        "TikTok OAuth {error}: {} (log_id {})",
        body["error_description"].as_str().unwrap_or(""),
        body["log_id"].as_str().unwrap_or("-")
    );
    match error {
        "invalid_grant" | "access_denied" => Verdict::Fail(ApiError::TokenRefused(message)),
        "invalid_client" => Verdict::Fail(ApiError::Auth(message)),
        "server_error" | "temporarily_unavailable" | "internal_error" => Verdict::Retry {
            reason: message,
            after: raw.retry_after(),
        },
        _ => Verdict::Fail(ApiError::Invalid(message)),
    }
}

/// Revoke answers an empty body or `{}` (§6.5).
fn revoke_verdict(raw: &Raw) -> Verdict {
    if raw.status.is_success() && raw.body.iter().all(u8::is_ascii_whitespace) {
        return Verdict::Ok(Value::Null);
    }
    token_verdict(raw)
}

impl TiktokOauth {
    pub fn new(
        http: Http,
        auth_base: &str,
        api_base: &str,
        client_key: String,
        client_secret: String,
    ) -> TiktokOauth {
        TiktokOauth {
            http,
            auth_base: auth_base.trim_end_matches('/').to_string(),
            api_base: api_base.trim_end_matches('/').to_string(),
            client_key,
            client_secret,
        }
    }

    /// Where the business's browser goes to consent: always the consent page
    /// (`disable_auto_auth=1`), PKCE with TikTok's hex challenge (§6.1).
    pub fn authorize_url(&self, redirect_uri: &str, state: &str, challenge: &str) -> String {
        let mut url = url::Url::parse(&format!("{}/v2/auth/authorize/", self.auth_base))
            .unwrap_or_else(|_| unreachable!("the config checked the URL"));
        url.query_pairs_mut()
            .append_pair("client_key", &self.client_key)
            .append_pair("response_type", "code")
            .append_pair("scope", &SCOPES.join(","))
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", state)
            .append_pair("code_challenge", challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("disable_auto_auth", "1");
        url.to_string()
    }

    fn token_request(&self, form: Vec<(&str, &str)>) -> Result<Request, ApiError> {
        let mut req = Request {
            method: reqwest::Method::POST,
            ..Request::get(endpoint(&self.api_base, "/v2/oauth/token/")?, "oauth/token")
        };
        req.max_body = TOKEN_MAX_BODY;
        let mut fields = vec![
            ("client_key".to_string(), self.client_key.clone()),
            ("client_secret".to_string(), self.client_secret.clone()),
        ];
        fields.extend(
            form.into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        req.form = Some(fields);
        Ok(req)
    }

    async fn grant(&self, req: Request) -> Result<Grant, ApiError> {
        let body = self.http.send(&req, token_verdict).await?;
        let text = |k: &str| body[k].as_str().unwrap_or_default().to_string();
        let grant = Grant {
            access_token: text("access_token"),
            expires_in: body["expires_in"].as_i64().unwrap_or(0),
            refresh_token: text("refresh_token"),
            refresh_expires_in: body["refresh_expires_in"].as_i64().unwrap_or(0),
            open_id: text("open_id"),
            scope: text("scope"),
        };
        if grant.access_token.is_empty() || grant.open_id.is_empty() {
            return Err(ApiError::Invalid(
                "TikTok OAuth: a grant without access_token or open_id".into(),
            ));
        }
        self.http.add_secret(&grant.access_token);
        self.http.add_secret(&grant.refresh_token);
        Ok(grant)
    }

    /// The code from the redirect for tokens (§6.3); `redirect_uri` as in the authorize
    /// request, the verifier whose challenge was sent.
    pub async fn exchange(
        &self,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> Result<Grant, ApiError> {
        self.http.add_secret(code);
        let req = self.token_request(vec![
            ("code", code),
            ("grant_type", "authorization_code"),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ])?;
        self.grant(req).await
    }

    /// New tokens for a refresh token; the old refresh token is dead once this answers
    /// (§6.4): the caller keeps the new pair before it uses the access token.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Grant, ApiError> {
        self.http.add_secret(refresh_token);
        let req = self.token_request(vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])?;
        self.grant(req).await
    }

    /// Revokes the grant of an access token (§6.5): the app leaves the user's connected apps.
    pub async fn revoke(&self, access_token: &str) -> Result<(), ApiError> {
        self.http.add_secret(access_token);
        let mut req = Request {
            method: reqwest::Method::POST,
            ..Request::get(
                endpoint(&self.api_base, "/v2/oauth/revoke/")?,
                "oauth/revoke",
            )
        };
        req.max_body = TOKEN_MAX_BODY;
        req.form = Some(vec![
            ("client_key".into(), self.client_key.clone()),
            ("client_secret".into(), self.client_secret.clone()),
            ("token".into(), access_token.to_string()),
        ]);
        self.http.send(&req, revoke_verdict).await.map(|_| ())
    }

    /// Who a fresh grant belongs to: `(username, display_name)` from the Display API's
    /// `user/info` (§7.1); the username only when `user.info.profile` was granted.
    pub async fn whoami(
        &self,
        grant: &Grant,
    ) -> Result<(Option<String>, Option<String>), ApiError> {
        let profile = grant
            .scope
            .split(',')
            .any(|s| s.trim() == "user.info.profile");
        let fields = if profile {
            "open_id,username,display_name"
        } else {
            "open_id,display_name"
        };
        let mut url = endpoint(&self.api_base, "/v2/user/info/")?;
        url.query_pairs_mut().append_pair("fields", fields);
        let mut req = Request::get(url, "user/info");
        req.bearer = Some(grant.access_token.clone());
        let body = self
            .http
            .send(&req, crate::platform::tiktok::display::verdict)
            .await?;
        let user = &body["data"]["user"];
        let text = |k: &str| {
            user[k]
                .as_str()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        Ok((
            text("username").map(|u| u.to_lowercase()),
            text("display_name"),
        ))
    }

    /// The app's client secret (it also keys the webhook signature, §6.7).
    pub fn client_secret(&self) -> &str {
        &self.client_secret
    }

    /// A token read back from the store: redacted from then on like one issued here.
    pub fn remember(&self, token: &str) {
        self.http.add_secret(token);
    }

    /// `text` without the secrets this client knows.
    pub fn redact(&self, text: &str) -> String {
        self.http.redact(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authorize_url_carries_every_parameter_tiktok_checks() {
        let (_tx, rx) = tokio::sync::watch::channel(false);
        let http = Http::new(
            crate::platform::Platform::Tiktok,
            &Default::default(),
            vec![],
            std::sync::Arc::new(crate::platform::http::Unmetered),
            rx,
        )
        .unwrap();
        let oauth = TiktokOauth::new(
            http,
            "https://www.tiktok.com/",
            "https://open.tiktokapis.com",
            "key1".into(),
            "sec".into(),
        );
        let url =
            url::Url::parse(&oauth.authorize_url("https://j.example/oauth/tiktok", "st4te", "abc"))
                .unwrap();
        assert_eq!(url.path(), "/v2/auth/authorize/");
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["client_key"], "key1");
        assert_eq!(q["response_type"], "code");
        assert_eq!(
            q["scope"],
            "user.info.basic,user.info.profile,user.info.stats,video.list"
        );
        assert_eq!(q["redirect_uri"], "https://j.example/oauth/tiktok");
        assert_eq!(q["state"], "st4te");
        assert_eq!(q["code_challenge"], "abc");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["disable_auto_auth"], "1");
        assert!(
            !url.as_str().contains("sec"),
            "no secret in the browser's URL"
        );
    }
}
