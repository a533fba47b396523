//! The token endpoint (`docs/hub.md`, "Token"): a service provider trades its code for tokens,
//! and may revoke an access token.
//!
//! The SP authenticates with `client_secret_post` or `client_secret_basic` (constant-time
//! compare; never both at once), or — as FranceConnect v2 offers — with `private_key_jwt`
//! ([`super::client_assertion`]). The code is redeemed once ([`super::tokens`]); the answer holds
//! exactly FranceConnect's members: v2 `access_token, token_type, expires_in, id_token, scope`,
//! v1 the same without `scope`, as FranceConnect v1 answered.

use base64::Engine;
use serde::Serialize;

use super::scenario::{self, Point};
use super::tokens::{self, RedeemError};
use crate::domain::ApiVersion;
use crate::error::{Challenge, Error, OAuthError, Result};
use crate::platform::Platform;
use crate::registry::{ServiceProvider, SpAuthMethod};

/// A token (or revocation) request as it arrived: the form and the `Authorization` header.
pub struct ClientRequest<'a> {
    pub form: &'a [(String, String)],
    pub authorization: Option<&'a str>,
}

impl ClientRequest<'_> {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    fn refuse_repeats(&self) -> Result<()> {
        for (i, (k, _)) in self.form.iter().enumerate() {
            if self.form[..i].iter().any(|(n, _)| n == k) {
                return Err(Error::invalid_request(format!(
                    "parameter {} is repeated",
                    fc_plumbing::request_log::capped(k)
                )));
            }
        }
        Ok(())
    }
}

/// The token answer, member for member.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenAnswer {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub id_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Sent as unreadable JSON (a scenario, [`super::scenario`]).
    #[serde(skip)]
    pub malformed: bool,
}

fn invalid_client(basic: bool) -> Error {
    Error::OAuth {
        error: OAuthError::InvalidClient,
        description: "client authentication failed".into(),
        challenge: basic.then_some(Challenge::Basic),
    }
}

/// `client_id`/`client_secret` from the Basic header or the body, never both.
fn credentials(request: &ClientRequest<'_>) -> Result<(String, String, bool)> {
    let basic = request
        .authorization
        .and_then(|v| v.strip_prefix("Basic "))
        .map(str::trim);
    match (basic, request.get("client_secret")) {
        (Some(_), Some(_)) => Err(Error::invalid_request(
            "client authentication by both Basic and body",
        )),
        (Some(b64), None) => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|_| invalid_client(true))?;
            let text = String::from_utf8(decoded).map_err(|_| invalid_client(true))?;
            let (id, secret) = text.split_once(':').ok_or_else(|| invalid_client(true))?;
            // RFC 6749 §2.3.1: both halves are form-urlencoded before being joined.
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            Ok((decode(id), decode(secret), true))
        }
        (None, Some(secret)) => Ok((
            request.get("client_id").unwrap_or_default().to_owned(),
            secret.to_owned(),
            false,
        )),
        (None, None) => Err(invalid_client(false)),
    }
}

/// The registered, active SP that authenticated this request.
pub async fn authenticate(
    platform: &Platform,
    request: &ClientRequest<'_>,
) -> Result<ServiceProvider> {
    if request.get("client_assertion_type").is_some() || request.get("client_assertion").is_some() {
        return super::client_assertion::authenticate(platform, request).await;
    }
    let (client_id, secret, basic) = credentials(request)?;
    let sp = platform
        .registry()
        .service_provider(&client_id)
        .filter(|sp| sp.active && sp.client_secret.matches(&secret))
        .cloned()
        .ok_or_else(|| invalid_client(basic))?;
    if sp.token_endpoint_auth_method == SpAuthMethod::PrivateKeyJwt {
        return Err(Error::oauth(
            OAuthError::InvalidClient,
            "this client is registered for private_key_jwt",
        ));
    }
    Ok(sp)
}

/// `POST /token`: a code for an access token and an ID token.
pub async fn exchange(
    platform: &Platform,
    request: ClientRequest<'_>,
    version: ApiVersion,
) -> Result<TokenAnswer> {
    request.refuse_repeats()?;
    let sp = authenticate(platform, &request).await?;
    if !sp.allows_version(version) {
        return Err(invalid_client(false));
    }
    match request.get("grant_type") {
        Some("authorization_code") => {}
        None => {
            return Err(Error::invalid_request(
                "missing required parameter 'grant_type'",
            ));
        }
        Some(_) => {
            return Err(Error::oauth(
                OAuthError::UnsupportedGrantType,
                "unsupported grant_type requested",
            ));
        }
    }
    let code = request
        .get("code")
        .ok_or_else(|| Error::invalid_request("missing required parameter 'code'"))?;
    let redirect_uri = request
        .get("redirect_uri")
        .ok_or_else(|| Error::invalid_request("missing required parameter 'redirect_uri'"))?;
    let (access_token, record) = tokens::redeem_code(
        platform,
        code,
        &sp.client_id,
        redirect_uri,
        request.get("code_verifier"),
    )
    .await
    .map_err(|e| match e {
        RedeemError::Store(e) => Error::from(e),
        other => Error::oauth(OAuthError::InvalidGrant, other.to_string()),
    })?;
    if record.grant.request.api_version != version {
        return Err(Error::oauth(
            OAuthError::InvalidGrant,
            "grant request is invalid (authorization code issued through another API version)",
        ));
    }
    // A scenario counts logins, so it is consulted once the code proved to be one.
    let active = scenario::consult(platform, &sp, Point::Token, version).await?;
    scenario::refuse_token(active.as_ref())?;
    let id_token = scenario::id_token(platform, &sp, &record, active.as_ref())?;
    let id_token = super::encryption::for_sp(
        platform,
        &sp,
        super::encryption::SpAnswer::IdToken,
        id_token,
    )
    .await?;
    let answer = TokenAnswer {
        access_token,
        token_type: "Bearer",
        expires_in: record.exp - record.iat,
        id_token,
        scope: (version == ApiVersion::V2).then(|| record.grant.request.scopes.join(" ")),
        malformed: false,
    };
    Ok(scenario::deliver_token(active.as_ref(), answer).await)
}

/// `POST /token/revocation` (RFC 7009, as FranceConnect v2 has it): the SP revokes one of its
/// access tokens; afterwards checktoken says inactive and userinfo refuses it. Unknown tokens are
/// not an error (RFC 7009 §2.2), another SP's token is left alone.
pub async fn revoke(platform: &Platform, request: ClientRequest<'_>) -> Result<()> {
    request.refuse_repeats()?;
    let sp = authenticate(platform, &request).await?;
    let token = request
        .get("token")
        .ok_or_else(|| Error::invalid_request("missing required parameter 'token'"))?;
    if token.len() < 43 {
        return Err(Error::invalid_request(
            "token is shorter than 43 characters",
        ));
    }
    match request.get("token_type_hint") {
        None | Some("access_token") => {}
        Some(_) => {
            return Err(Error::oauth(
                OAuthError::UnsupportedTokenType,
                "only access tokens can be revoked",
            ));
        }
    }
    if let Some(record) = tokens::access_token(platform, token).await?
        && record.grant.request.client_id == sp.client_id
    {
        tokens::revoke(platform, token).await?;
        tracing::info!(sp = %sp.name, "SP_REVOKED_TOKEN");
    }
    Ok(())
}
