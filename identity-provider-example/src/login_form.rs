//! The pending authorization request, carried by the login form itself (the step where the IdP
//! shows its login form to the person FranceConnect sent, OpenID Connect Core §3.1.2.3).
//!
//! Why the form carries it instead of the server: `/authorize` is the first request a browser
//! makes here, without any cookie, so whatever the server stored for it could be created at will
//! by anyone. When pending authorizations lived in a server-side map, a single client sending
//! cookie-less `/authorize` requests filled it, and a person who had a form in front of them got
//! "Ce formulaire de connexion a expiré". Now:
//!
//! - the checked request (client, redirect_uri, state, nonce, scope, requested acr), an expiry and
//!   a random form id travel in one hidden field, signed with HMAC-SHA-256 under a key only this
//!   process knows: a client cannot forge or alter it, nor use it after it expires;
//! - the field is bound to the browser: `/authorize` gives the browser a random [`BROWSER_COOKIE`]
//!   and the signed field holds its SHA-256; `POST /login` needs both to match, so a form cannot
//!   be posted from another browser (login CSRF: an attacker cannot read the victim's cookie);
//! - nothing is stored until a password matched: then the form's id is remembered until the
//!   form expires ([`crate::store::UsedForms`]), so a form logs someone in once.
//!
//! So a flood of `/authorize` costs CPU and bandwidth, never memory, a shown form or a session.
//! A restart changes the key: forms shown before it are refused, as they were when in memory.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fc_plumbing::Secret;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The cookie that binds forms to the browser that was shown them.
pub const BROWSER_COOKIE: &str = "idp_browser";
/// The hidden field of the form.
pub const FORM_FIELD: &str = "pending";
/// How long a shown form stays usable.
pub const FORM_TTL_SECS: i64 = 10 * 60;
/// A longer field is refused before any work (the request parameters it holds are capped).
const MAX_FIELD_LEN: usize = 24 * 1024;

/// An authorization request whose person has not logged in yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingAuthorization {
    /// Random: the key under which a used form is remembered.
    pub id: String,
    #[serde(flatten)]
    pub request: Request,
    /// Unix seconds after which the form is refused.
    pub exp: i64,
    /// Hex SHA-256 of the browser cookie.
    browser: String,
}

/// Why a posted form is refused (all shown as "form expired": the person starts again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FormRefused {
    #[error("no form field, or not one this IdP made")]
    Malformed,
    #[error("the form's signature does not match")]
    BadSignature,
    #[error("the form expired")]
    Expired,
    #[error("the form was shown to another browser")]
    OtherBrowser,
}

/// The checked authorization request a form carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: String,
    pub nonce: String,
    pub scope: String,
    /// The acr pre-selected in the form (from `acr_values`).
    pub acr: String,
}

/// Seals and opens the form field.
pub struct FormSigner {
    key: Secret,
}

impl Default for FormSigner {
    fn default() -> Self {
        Self::generate()
    }
}

impl std::fmt::Debug for FormSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FormSigner")
            .field("key", &self.key)
            .finish()
    }
}

impl FormSigner {
    /// A signer with a fresh random key.
    pub fn generate() -> Self {
        Self {
            key: Secret::new(fc_plumbing::random::token(32)),
        }
    }

    /// The MAC of `payload`; `None` never happens (HMAC takes keys of any length).
    fn mac(&self, payload: &[u8]) -> Option<Hmac<Sha256>> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.key.expose().as_bytes()).ok()?;
        mac.update(payload);
        Some(mac)
    }

    /// A new pending authorization for `request`, shown to the browser whose cookie is
    /// `browser_cookie`, valid [`FORM_TTL_SECS`] from `now`.
    pub fn pending(
        &self,
        request: Request,
        browser_cookie: &str,
        now: i64,
    ) -> PendingAuthorization {
        PendingAuthorization {
            id: fc_plumbing::random::token(32),
            request,
            exp: now.saturating_add(FORM_TTL_SECS),
            browser: browser_hash(browser_cookie),
        }
    }

    /// The form field: `base64url(JSON).base64url(HMAC)`.
    pub fn seal(&self, pending: &PendingAuthorization) -> String {
        let json = serde_json::to_vec(pending).unwrap_or_default();
        let payload = URL_SAFE_NO_PAD.encode(json);
        let tag = self
            .mac(payload.as_bytes())
            .map(|mac| URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
            .unwrap_or_default();
        format!("{payload}.{tag}")
    }

    /// The pending authorization of a posted form, once signature, expiry and browser match.
    pub fn open(
        &self,
        field: &str,
        browser_cookie: Option<&str>,
        now: i64,
    ) -> Result<PendingAuthorization, FormRefused> {
        if field.len() > MAX_FIELD_LEN {
            return Err(FormRefused::Malformed);
        }
        let (payload, tag) = field.split_once('.').ok_or(FormRefused::Malformed)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| FormRefused::Malformed)?;
        // Constant-time comparison of the tags.
        self.mac(payload.as_bytes())
            .ok_or(FormRefused::BadSignature)?
            .verify_slice(&tag)
            .map_err(|_| FormRefused::BadSignature)?;
        let json = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| FormRefused::Malformed)?;
        let pending: PendingAuthorization =
            serde_json::from_slice(&json).map_err(|_| FormRefused::Malformed)?;
        if pending.exp <= now {
            return Err(FormRefused::Expired);
        }
        let same_browser = browser_cookie.is_some_and(|cookie| {
            fc_plumbing::random::secure_eq(&browser_hash(cookie), &pending.browser)
        });
        if !same_browser {
            return Err(FormRefused::OtherBrowser);
        }
        Ok(pending)
    }
}

/// Hex SHA-256 of a browser cookie.
fn browser_hash(cookie: &str) -> String {
    hex::encode(Sha256::digest(cookie.as_bytes()))
}

/// A cookie value this IdP could have made (43 base64url characters); anything else is replaced.
pub fn is_browser_cookie(value: &str) -> bool {
    value.len() == 43
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Request {
        Request {
            client_id: "client".into(),
            redirect_uri: "http://localhost/cb".into(),
            state: "s".repeat(64),
            nonce: "n".repeat(64),
            scope: "openid profile".into(),
            acr: "eidas2".into(),
        }
    }

    const COOKIE: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

    #[test]
    fn a_sealed_form_opens_in_its_browser_until_it_expires() {
        let signer = FormSigner::generate();
        let pending = signer.pending(request(), COOKIE, 1000);
        let field = signer.seal(&pending);
        assert_eq!(signer.open(&field, Some(COOKIE), 1000), Ok(pending.clone()));
        assert_eq!(
            signer.open(&field, Some(COOKIE), 1000 + FORM_TTL_SECS),
            Err(FormRefused::Expired)
        );
        let other = COOKIE.replace('a', "b");
        assert_eq!(
            signer.open(&field, Some(&other), 1000),
            Err(FormRefused::OtherBrowser)
        );
        assert_eq!(
            signer.open(&field, None, 1000),
            Err(FormRefused::OtherBrowser)
        );
    }

    #[test]
    fn an_altered_or_foreign_form_is_refused() {
        let signer = FormSigner::generate();
        let pending = signer.pending(request(), COOKIE, 1000);
        let field = signer.seal(&pending);
        let (payload, tag) = field.split_once('.').unwrap();
        let mut changed = pending.clone();
        changed.request.redirect_uri = "https://evil.example/cb".into();
        let forged_payload = signer.seal(&changed);
        let forged = format!("{}.{tag}", forged_payload.split_once('.').unwrap().0);
        assert_eq!(
            signer.open(&forged, Some(COOKIE), 1000),
            Err(FormRefused::BadSignature)
        );
        let other_key = FormSigner::generate().seal(&pending);
        assert_eq!(
            signer.open(&other_key, Some(COOKIE), 1000),
            Err(FormRefused::BadSignature)
        );
        for junk in [
            "",
            "abc",
            ".",
            "a.b",
            &format!("{payload}.!!"),
            &"x".repeat(30_000),
        ] {
            assert!(signer.open(junk, Some(COOKIE), 1000).is_err(), "{junk:.20}");
        }
    }

    #[test]
    fn browser_cookies_have_one_shape() {
        assert!(is_browser_cookie(COOKIE));
        assert!(is_browser_cookie(&fc_plumbing::random::token(32)));
        assert!(!is_browser_cookie("short"));
        assert!(!is_browser_cookie(&COOKIE.replace('a', "+")));
    }
}
