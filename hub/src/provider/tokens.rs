//! Authorization codes and access tokens (SPEC §4.6), in memory.
//!
//! A code lives 30 s and is redeemed once, atomically: of two parallel redemptions exactly one
//! wins. A consumed code stays as a tombstone until it expires, so a replay both fails
//! (`invalid_grant`) and revokes the access token first issued from it (RFC 6749 §4.1.2).
//! Access tokens are opaque (32 random bytes) and live 60 s. Expired entries are swept as new
//! ones arrive, so memory stays bounded by the traffic of the last minute.

use std::collections::HashMap;
use std::sync::Mutex;

use super::identity::Identity;
use fc_plumbing::Clock;

pub const CODE_TTL: i64 = 30;
pub const ACCESS_TOKEN_TTL: i64 = 60;

/// What a user granted an SP at the end of a journey; codes and access tokens carry it.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub nonce: String,
    pub acr: String,
    /// `Some` when the SP asked for `amr` and may have it.
    pub amr: Option<Vec<String>>,
    pub auth_time: i64,
    pub identity: Identity,
    /// The SP's pairwise sub.
    pub sub: String,
    pub idp_uid: String,
    /// "v1" or "v2": which API issued it.
    pub api_version: String,
    /// PKCE S256 challenge sent at authorize (relaxed mode only).
    pub code_challenge: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AccessToken {
    pub grant: Grant,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedeemError {
    Unknown,
    Expired,
    AlreadyUsed,
    WrongClient,
    RedirectUriMismatch,
    /// PKCE: wrong or missing `code_verifier`, or a verifier without a challenge (downgrade).
    PkceMismatch,
}

impl RedeemError {
    pub fn description(self) -> &'static str {
        match self {
            RedeemError::Unknown => "grant request is invalid (authorization code not found)",
            RedeemError::Expired => "grant request is invalid (authorization code expired)",
            RedeemError::AlreadyUsed => {
                "grant request is invalid (authorization code already consumed)"
            }
            RedeemError::WrongClient => {
                "grant request is invalid (authorization code client mismatch)"
            }
            RedeemError::RedirectUriMismatch => {
                "grant request is invalid (authorization code redirect_uri mismatch)"
            }
            RedeemError::PkceMismatch => "grant request is invalid (PKCE verification failed)",
        }
    }
}

struct Code {
    grant: Grant,
    expires: i64,
    /// The access token issued from this code, once redeemed.
    redeemed_into: Option<String>,
}

#[derive(Default)]
struct Tables {
    codes: HashMap<String, Code>,
    tokens: HashMap<String, AccessToken>,
    writes: u64,
}

pub struct TokenStore {
    tables: Mutex<Tables>,
    clock: Clock,
}

impl TokenStore {
    pub fn new(clock: Clock) -> Self {
        Self {
            tables: Mutex::new(Tables::default()),
            clock,
        }
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tables> {
        // Every write is a single insert or remove: a poisoned lock holds consistent tables.
        self.tables.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn sweep(tables: &mut Tables, now: i64) {
        tables.writes += 1;
        if tables.writes.is_multiple_of(256) {
            tables.codes.retain(|_, c| c.expires > now);
            tables.tokens.retain(|_, t| t.exp > now);
        }
    }

    pub fn issue_code(&self, grant: Grant) -> String {
        let code = fc_plumbing::random::token(32);
        let now = self.clock.now();
        let mut t = self.lock();
        Self::sweep(&mut t, now);
        t.codes.insert(
            code.clone(),
            Code {
                grant,
                expires: now + CODE_TTL,
                redeemed_into: None,
            },
        );
        code
    }

    /// Redeems `code` for `client_id` and returns the new access token with its grant.
    pub fn redeem_code(
        &self,
        code: &str,
        client_id: &str,
        redirect_uri: &str,
        code_verifier: Option<&str>,
    ) -> Result<(String, AccessToken), RedeemError> {
        let now = self.clock.now();
        let mut t = self.lock();
        let entry = t.codes.get_mut(code).ok_or(RedeemError::Unknown)?;
        if entry.grant.client_id != client_id {
            return Err(RedeemError::WrongClient);
        }
        if let Some(issued) = entry.redeemed_into.clone() {
            t.tokens.remove(&issued);
            return Err(RedeemError::AlreadyUsed);
        }
        if entry.expires <= now {
            return Err(RedeemError::Expired);
        }
        if entry.grant.redirect_uri != redirect_uri {
            return Err(RedeemError::RedirectUriMismatch);
        }
        if !pkce_matches(entry.grant.code_challenge.as_deref(), code_verifier) {
            // A failed proof spends the code: it cannot be tried again.
            t.codes.remove(code);
            return Err(RedeemError::PkceMismatch);
        }
        let access_token = fc_plumbing::random::token(32);
        entry.redeemed_into = Some(access_token.clone());
        let record = AccessToken {
            grant: entry.grant.clone(),
            iat: now,
            exp: now + ACCESS_TOKEN_TTL,
        };
        t.tokens.insert(access_token.clone(), record.clone());
        Self::sweep(&mut t, now);
        Ok((access_token, record))
    }

    /// The live access token, if any.
    pub fn access_token(&self, token: &str) -> Option<AccessToken> {
        let now = self.clock.now();
        self.lock()
            .tokens
            .get(token)
            .filter(|t| t.exp > now)
            .cloned()
    }

    pub fn counts(&self) -> (usize, usize) {
        let t = self.lock();
        (t.codes.len(), t.tokens.len())
    }
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
mod tests {
    use super::*;

    fn grant() -> Grant {
        Grant {
            client_id: "sp".into(),
            redirect_uri: "http://sp/cb".into(),
            scopes: vec!["openid".into()],
            nonce: "n".into(),
            acr: "eidas1".into(),
            amr: None,
            auth_time: 0,
            identity: Identity::default(),
            sub: "s".into(),
            idp_uid: "idp".into(),
            api_version: "v2".into(),
            code_challenge: None,
        }
    }

    #[test]
    fn a_code_is_redeemed_once_and_a_replay_revokes_its_token() {
        let store = TokenStore::new(Clock::system());
        let code = store.issue_code(grant());
        let (token, _) = store
            .redeem_code(&code, "sp", "http://sp/cb", None)
            .unwrap();
        assert!(store.access_token(&token).is_some());
        assert_eq!(
            store
                .redeem_code(&code, "sp", "http://sp/cb", None)
                .unwrap_err(),
            RedeemError::AlreadyUsed
        );
        assert!(store.access_token(&token).is_none());
    }

    #[test]
    fn codes_expire_after_30_seconds_and_tokens_after_60() {
        let (clock, now) = Clock::manual();
        let store = TokenStore::new(clock);
        let late = store.issue_code(grant());
        let code = store.issue_code(grant());
        now.advance_secs(29);
        let (token, _) = store
            .redeem_code(&code, "sp", "http://sp/cb", None)
            .unwrap();
        now.advance_secs(1);
        assert_eq!(
            store
                .redeem_code(&late, "sp", "http://sp/cb", None)
                .unwrap_err(),
            RedeemError::Expired
        );
        now.advance_secs(58);
        assert!(store.access_token(&token).is_some());
        now.advance_secs(1);
        assert!(store.access_token(&token).is_none());
    }

    #[test]
    fn client_and_redirect_uri_must_match() {
        let store = TokenStore::new(Clock::system());
        let code = store.issue_code(grant());
        assert_eq!(
            store
                .redeem_code(&code, "other", "http://sp/cb", None)
                .unwrap_err(),
            RedeemError::WrongClient
        );
        assert_eq!(
            store
                .redeem_code(&code, "sp", "http://sp/cb/", None)
                .unwrap_err(),
            RedeemError::RedirectUriMismatch
        );
        assert_eq!(
            store
                .redeem_code("nope", "sp", "http://sp/cb", None)
                .unwrap_err(),
            RedeemError::Unknown
        );
    }

    #[test]
    fn parallel_redemptions_of_one_code_give_exactly_one_token() {
        let store = std::sync::Arc::new(TokenStore::new(Clock::system()));
        let code = store.issue_code(grant());
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (store, code) = (store.clone(), code.clone());
                std::thread::spawn(move || {
                    store.redeem_code(&code, "sp", "http://sp/cb", None).is_ok()
                })
            })
            .collect();
        let wins = handles
            .into_iter()
            .filter(|_| true)
            .map(|h| h.join().unwrap())
            .filter(|ok| *ok)
            .count();
        assert_eq!(wins, 1);
    }

    #[test]
    fn pkce_s256_is_checked_when_a_challenge_was_sent() {
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

        let store = TokenStore::new(Clock::system());
        let code = store.issue_code(Grant {
            code_challenge: Some(challenge.into()),
            ..grant()
        });
        assert_eq!(
            store
                .redeem_code(&code, "sp", "http://sp/cb", None)
                .unwrap_err(),
            RedeemError::PkceMismatch
        );
        assert_eq!(
            store
                .redeem_code(&code, "sp", "http://sp/cb", Some(verifier))
                .unwrap_err(),
            RedeemError::Unknown,
            "spent"
        );
        let code = store.issue_code(Grant {
            code_challenge: Some(challenge.into()),
            ..grant()
        });
        assert!(
            store
                .redeem_code(&code, "sp", "http://sp/cb", Some(verifier))
                .is_ok()
        );
    }
}
