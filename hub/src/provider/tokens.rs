//! Authorization codes and access tokens (`docs/hub.md`, "Token"), kept in the hub's store.
//!
//! A code lives 30 s and is redeemed once, atomically across every replica sharing the store: the
//! redemption first writes its new access token, then claims the code with "set if absent"; of
//! two parallel redemptions exactly one claim wins. The claim stays until the code would have
//! expired, so a replay both fails (`invalid_grant`) and revokes the access token issued from it
//! (RFC 6749 §4.1.2). Access tokens are opaque (32 random bytes) and live 60 s. Codes and tokens
//! are stored under their SHA-256, so a dump of the store holds no live credential.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::authorize::AuthorizeRequest;
use crate::domain::{Acr, Identity};
use crate::platform::Platform;
use crate::store::{StoreError, hashed};

/// What a person granted an SP at the end of a journey; codes and access tokens carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    /// The authorize request, as validated.
    pub request: AuthorizeRequest,
    /// The acr given to the SP.
    pub acr: Acr,
    /// `Some` when the SP asked for `amr` and may have it.
    pub amr: Option<Vec<String>>,
    pub auth_time: i64,
    pub identity: Identity,
    /// The SP's pairwise sub.
    pub sub: String,
    pub idp_uid: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessToken {
    pub grant: Grant,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CodeRecord {
    grant: Grant,
    expires: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedeemError {
    #[error("grant request is invalid (authorization code not found)")]
    Unknown,
    #[error("grant request is invalid (authorization code expired)")]
    Expired,
    #[error("grant request is invalid (authorization code already consumed)")]
    AlreadyUsed,
    #[error("grant request is invalid (authorization code client mismatch)")]
    WrongClient,
    #[error("grant request is invalid (authorization code redirect_uri mismatch)")]
    RedirectUriMismatch,
    /// PKCE: wrong or missing `code_verifier`, or a verifier without a challenge (downgrade).
    #[error("grant request is invalid (PKCE verification failed)")]
    PkceMismatch,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Lifetimes of codes and access tokens (FranceConnect's: 30 s and 60 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    pub code_secs: i64,
    pub access_token_secs: i64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            code_secs: 30,
            access_token_secs: 60,
        }
    }
}

fn secs(n: i64) -> Duration {
    Duration::from_secs(n.max(1).unsigned_abs())
}

/// A single-use code for `grant`.
pub async fn issue_code(platform: &Platform, grant: Grant) -> Result<String, StoreError> {
    let code = fc_plumbing::random::token(32);
    let ttl = platform.settings.lifetimes.code_secs;
    let record = CodeRecord {
        grant,
        expires: platform.clock.now() + ttl,
    };
    platform
        .store
        .put_json(&hashed("code", &code), &record, secs(record_ttl(platform)))
        .await?;
    Ok(code)
}

/// Redeems `code` for `client_id`: the new access token and what it stands for.
pub async fn redeem_code(
    platform: &Platform,
    code: &str,
    client_id: &str,
    redirect_uri: &str,
    code_verifier: Option<&str>,
) -> Result<(String, AccessToken), RedeemError> {
    let store = &platform.store;
    let code_key = hashed("code", code);
    let claim_key = hashed("redeemed", code);
    let record: CodeRecord = store
        .get_json(&code_key)
        .await?
        .ok_or(RedeemError::Unknown)?;
    let grant = record.grant;
    if grant.request.client_id != client_id {
        return Err(RedeemError::WrongClient);
    }
    if let Some(issued) = store.get(&claim_key).await? {
        revoke_key(platform, &issued).await?;
        return Err(RedeemError::AlreadyUsed);
    }
    let now = platform.clock.now();
    if record.expires <= now {
        return Err(RedeemError::Expired);
    }
    if grant.request.redirect_uri != redirect_uri {
        return Err(RedeemError::RedirectUriMismatch);
    }
    if !pkce_matches(grant.request.code_challenge.as_deref(), code_verifier) {
        // A failed proof spends the code: it cannot be tried again.
        store.delete(&code_key).await?;
        return Err(RedeemError::PkceMismatch);
    }

    let access_token = fc_plumbing::random::token(32);
    let token_key = hashed("token", &access_token);
    let ttl = platform.settings.lifetimes.access_token_secs;
    let record = AccessToken {
        grant,
        iat: now,
        exp: now + ttl,
    };
    // The token exists before the claim, so whoever sees the claim can revoke it.
    store.put_json(&token_key, &record, secs(ttl)).await?;
    let claimed = store
        .put_new(
            &claim_key,
            token_key.clone().into_bytes(),
            secs(record_ttl(platform)),
        )
        .await?;
    if !claimed {
        // Another redemption won the race: this one is a replay, and replays revoke.
        store.delete(&token_key).await?;
        if let Some(issued) = store.get(&claim_key).await? {
            revoke_key(platform, &issued).await?;
        }
        return Err(RedeemError::AlreadyUsed);
    }
    Ok((access_token, record))
}

/// How long a code and its claim are kept: past the code's own life, for as long as the token
/// it gave lives, so a late replay still says "expired" and still revokes that token.
fn record_ttl(platform: &Platform) -> i64 {
    let l = platform.settings.lifetimes;
    l.code_secs + l.access_token_secs
}

async fn revoke_key(platform: &Platform, token_key: &[u8]) -> Result<(), StoreError> {
    let key = String::from_utf8_lossy(token_key);
    platform.store.delete(&key).await
}

/// The live access token, if any.
pub async fn access_token(
    platform: &Platform,
    token: &str,
) -> Result<Option<AccessToken>, StoreError> {
    let record: Option<AccessToken> = platform.store.get_json(&hashed("token", token)).await?;
    let now = platform.clock.now();
    Ok(record.filter(|t| t.exp > now))
}

/// Revokes an access token (RFC 7009): afterwards it answers inactive everywhere.
pub async fn revoke(platform: &Platform, token: &str) -> Result<(), StoreError> {
    platform.store.delete(&hashed("token", token)).await
}

/// RFC 7636 S256: BASE64URL(SHA256(verifier)) == challenge; no challenge, no verifier.
fn pkce_matches(challenge: Option<&str>, verifier: Option<&str>) -> bool {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    match (challenge, verifier) {
        (None, None) => true,
        (Some(challenge), Some(verifier)) if (43..=128).contains(&verifier.len()) => {
            let digest = Sha256::digest(verifier.as_bytes());
            let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
            fc_plumbing::random::secure_eq(&computed, challenge)
        }
        _ => false,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::ApiVersion;
    use std::sync::Arc;

    pub fn grant() -> Grant {
        Grant {
            request: AuthorizeRequest {
                api_version: ApiVersion::V2,
                client_id: "sp".into(),
                redirect_uri: "http://sp/cb".into(),
                state: "s".into(),
                nonce: "n".into(),
                scopes: vec!["openid".into()],
                acr: Acr::Eidas1,
                prompt: None,
                amr_requested: false,
                idp_hint: None,
                code_challenge: None,
            },
            acr: Acr::Eidas1,
            amr: None,
            auth_time: 0,
            identity: Identity::default(),
            sub: "s".into(),
            idp_uid: "idp".into(),
        }
    }

    async fn redeem(p: &Platform, code: &str) -> Result<(String, AccessToken), RedeemError> {
        redeem_code(p, code, "sp", "http://sp/cb", None).await
    }

    #[tokio::test]
    async fn a_code_is_redeemed_once_and_a_replay_revokes_its_token() {
        let (p, _) = crate::platform::tests::platform();
        let code = issue_code(&p, grant()).await.unwrap();
        let (token, _) = redeem(&p, &code).await.unwrap();
        assert!(access_token(&p, &token).await.unwrap().is_some());
        assert_eq!(
            redeem(&p, &code).await.unwrap_err(),
            RedeemError::AlreadyUsed
        );
        assert!(access_token(&p, &token).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn codes_expire_after_30_seconds_and_tokens_after_60() {
        let (p, hand) = crate::platform::tests::platform();
        let late = issue_code(&p, grant()).await.unwrap();
        let code = issue_code(&p, grant()).await.unwrap();
        hand.advance_secs(29);
        let (token, _) = redeem(&p, &code).await.unwrap();
        hand.advance_secs(1);
        assert_eq!(redeem(&p, &late).await.unwrap_err(), RedeemError::Expired);
        hand.advance_secs(58);
        assert!(access_token(&p, &token).await.unwrap().is_some());
        hand.advance_secs(1);
        assert!(access_token(&p, &token).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn client_and_redirect_uri_must_match() {
        let (p, _) = crate::platform::tests::platform();
        let code = issue_code(&p, grant()).await.unwrap();
        let wrong_client = redeem_code(&p, &code, "other", "http://sp/cb", None).await;
        assert_eq!(wrong_client.unwrap_err(), RedeemError::WrongClient);
        let wrong_uri = redeem_code(&p, &code, "sp", "http://sp/cb/", None).await;
        assert_eq!(wrong_uri.unwrap_err(), RedeemError::RedirectUriMismatch);
        assert_eq!(redeem(&p, "nope").await.unwrap_err(), RedeemError::Unknown);
        assert!(
            redeem(&p, &code).await.is_ok(),
            "mistakes do not spend the code"
        );
    }

    #[tokio::test]
    async fn parallel_redemptions_of_one_code_give_exactly_one_token() {
        let (p, _) = crate::platform::tests::platform();
        let p = Arc::new(p);
        let code = issue_code(&p, grant()).await.unwrap();
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (p, code) = (p.clone(), code.clone());
                tokio::spawn(async move { redeem(&p, &code).await.is_ok() })
            })
            .collect();
        let mut wins = 0;
        for t in tasks {
            wins += usize::from(t.await.unwrap());
        }
        assert_eq!(wins, 1);
    }

    #[tokio::test]
    async fn pkce_s256_is_checked_when_a_challenge_was_sent() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(Some(challenge), Some(verifier)));
        assert!(!pkce_matches(
            Some(challenge),
            Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx")
        ));
        assert!(!pkce_matches(Some(challenge), None));
        assert!(
            !pkce_matches(None, Some(verifier)),
            "a verifier without a challenge is a downgrade"
        );
        assert!(pkce_matches(None, None));

        let (p, _) = crate::platform::tests::platform();
        let mut g = grant();
        g.request.code_challenge = Some(challenge.into());
        let code = issue_code(&p, g.clone()).await.unwrap();
        assert_eq!(
            redeem(&p, &code).await.unwrap_err(),
            RedeemError::PkceMismatch
        );
        let spent = redeem_code(&p, &code, "sp", "http://sp/cb", Some(verifier)).await;
        assert_eq!(spent.unwrap_err(), RedeemError::Unknown, "spent");
        let code = issue_code(&p, g).await.unwrap();
        assert!(
            redeem_code(&p, &code, "sp", "http://sp/cb", Some(verifier))
                .await
                .is_ok()
        );
    }
}
