//! The login in progress, between the redirect to FranceConnect (step 1) and the callback
//! (step 2), carried by the browser in an encrypted cookie.
//!
//! The callback must prove that it answers the request *this* browser started (`state`, against
//! CSRF) and that the ID token was minted for it (`nonce`, against replay); with PKCE it must also
//! send the `code_verifier`. So the SP remembers them from step 1 to step 2. Here they travel in a
//! cookie encrypted and authenticated with a key only this server holds (AES-256-GCM, actix's
//! private cookie jar): the browser can neither read nor forge it, and `/login` stores nothing on
//! the server. A flood of requests without cookies therefore costs no memory and cannot push out
//! anybody's login in progress — which a server-side session created by the first request would
//! allow, since the browser only comes back at the callback.
//!
//! The cookie lives `login_timeout_secs`, a limit also checked against the time written inside it
//! (a client may keep a cookie past its `Max-Age`). It is single use: the callback removes it,
//! and its `state` is remembered as spent for the rest of its life, so even a copy of the cookie
//! cannot complete a second login.

use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, CookieJar, Key, SameSite};
use fc_plumbing::{Clock, Limits, TtlMap};
use serde::{Deserialize, Serialize};

use crate::error::SpError;
use crate::hub::{ApiVersion, Platform};
use crate::session::Purpose;

/// The cookie's name (each program of the demo has its own: cookies ignore ports).
pub const COOKIE: &str = "sp_login";

/// A login sent to FranceConnect and not yet back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    pub state: String,
    pub nonce: String,
    pub purpose: Purpose,
    /// Which hub the login went to: the callback's `iss` must be that hub's issuer (both hubs
    /// share the redirect URI), and the code is redeemed there.
    #[serde(default)]
    pub hub: Platform,
    /// Which API the login started on: the callback must finish it on the same one.
    pub api_version: ApiVersion,
    /// The eIDAS level asked (`acr_values`): the ID token's `acr` must be at least that.
    #[serde(default)]
    pub acr: String,
    /// The PKCE `code_verifier`, only when the tester asked for PKCE (relaxed hubs only).
    pub pkce_verifier: Option<String>,
    /// The authorize URL built for this login (shown before leaving, and in the journal).
    pub authorize_url: String,
    /// When the browser left for FranceConnect (milliseconds since the epoch).
    pub left_at_ms: i64,
}

/// Whether the `state` received is exactly the one we sent, compared in constant time. An empty
/// or missing state never matches.
pub fn state_matches(expected: &str, received: Option<&str>) -> bool {
    match received {
        Some(received) if !expected.is_empty() => {
            fc_plumbing::random::secure_eq(expected, received)
        }
        _ => false,
    }
}

/// Writes and reads the pending-login cookie.
pub struct PendingLogins {
    key: Key,
    lifetime: Duration,
    secure: bool,
    clock: Clock,
    /// States already used by a callback, until their cookie would have expired anyway.
    spent: TtlMap<String, ()>,
}

impl PendingLogins {
    pub fn new(lifetime: Duration, secure: bool, clock: Clock) -> Self {
        let limits = Limits::new(50_000, 8 << 20, lifetime);
        Self {
            key: Key::generate(),
            lifetime,
            secure,
            spent: TtlMap::new(limits, |state: &String, _| state.len(), clock.clone()),
            clock,
        }
    }

    /// When it is, for `left_at_ms`.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_millis()
    }

    /// The cookie carrying `pending` to the callback.
    pub fn cookie(&self, pending: &PendingLogin) -> Result<Cookie<'static>, SpError> {
        let value = serde_json::to_string(pending).map_err(|e| SpError::Session(e.to_string()))?;
        let max_age = i64::try_from(self.lifetime.as_secs()).unwrap_or(i64::MAX);
        let cookie = Cookie::build(COOKIE, value)
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .max_age(actix_web::cookie::time::Duration::seconds(max_age))
            .finish();
        let mut jar = CookieJar::new();
        jar.private_mut(&self.key).add(cookie);
        jar.get(COOKIE)
            .cloned()
            .ok_or_else(|| SpError::Session("cookie de connexion non chiffré".into()))
    }

    /// The cookie that removes the pending login from the browser.
    pub fn removal(&self) -> Cookie<'static> {
        let mut cookie = Cookie::build(COOKIE, "").path("/").finish();
        cookie.make_removal();
        cookie
    }

    /// The pending login this browser carries, decrypted, without any other check.
    pub fn peek(&self, request: &HttpRequest) -> Option<PendingLogin> {
        let sealed = request.cookie(COOKIE)?;
        let opened = CookieJar::new().private(&self.key).decrypt(sealed)?;
        serde_json::from_str(opened.value()).ok()
    }

    /// The pending login of this browser, if it is still valid: present and not expired.
    pub fn current(&self, request: &HttpRequest) -> Result<PendingLogin, SpError> {
        let pending = self.peek(request).ok_or(SpError::NoLoginInProgress)?;
        let age_ms = self.clock.now_millis().saturating_sub(pending.left_at_ms);
        if age_ms < 0 || age_ms > i64::try_from(self.lifetime.as_millis()).unwrap_or(i64::MAX) {
            return Err(SpError::LoginExpired);
        }
        Ok(pending)
    }

    /// A state is single use: the first callback that brings it claims it (atomically: two
    /// concurrent callbacks with copies of the cookie cannot both pass), any later one is refused.
    pub fn spend(&self, pending: &PendingLogin) -> Result<(), SpError> {
        match self
            .spent
            .insert_new(pending.state.clone(), (), self.lifetime)
        {
            Ok(true) => Ok(()),
            Ok(false) => Err(SpError::NoLoginInProgress),
            Err(e) => Err(SpError::Session(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(left_at_ms: i64) -> PendingLogin {
        PendingLogin {
            state: "s".repeat(43),
            nonce: "n".repeat(43),
            purpose: Purpose::Identity,
            hub: Platform::FranceConnectPlus,
            api_version: ApiVersion::V2,
            acr: "eidas2".into(),
            pkce_verifier: None,
            authorize_url: "http://hub/api/v2/authorize?state=sss".into(),
            left_at_ms,
        }
    }

    fn request_with(cookie: &Cookie<'_>) -> HttpRequest {
        actix_web::test::TestRequest::default()
            .cookie(Cookie::new(
                cookie.name().to_owned(),
                cookie.value().to_owned(),
            ))
            .to_http_request()
    }

    #[test]
    fn only_the_exact_state_matches() {
        assert!(state_matches("abc123", Some("abc123")));
        assert!(!state_matches("abc123", Some("abc124")));
        assert!(!state_matches("abc123", Some("abc1234")));
        assert!(!state_matches("abc123", Some("")));
        assert!(!state_matches("abc123", None));
        assert!(!state_matches("", Some("")));
    }

    #[test]
    fn the_cookie_is_unreadable_unforgeable_and_single_use() {
        let (clock, _) = Clock::manual();
        let logins = PendingLogins::new(Duration::from_secs(600), true, clock.clone());
        let cookie = logins.cookie(&pending(clock.now_millis())).unwrap();
        assert!(
            !cookie.value().contains("sss"),
            "encrypted: {}",
            cookie.value()
        );
        assert!(cookie.http_only().unwrap_or(false) && cookie.secure().unwrap_or(false));
        assert!(cookie.value().len() < 1024);

        let request = request_with(&cookie);
        let found = logins.current(&request).unwrap();
        assert_eq!(found.nonce, "n".repeat(43));
        assert!(logins.spend(&found).is_ok());
        assert!(matches!(
            logins.spend(&logins.current(&request).unwrap()),
            Err(SpError::NoLoginInProgress)
        ));

        let mut forged = cookie.clone();
        forged.set_value(format!("A{}", &cookie.value()[1..]));
        assert!(logins.peek(&request_with(&forged)).is_none());
        let other_server = PendingLogins::new(Duration::from_secs(600), true, clock);
        assert!(other_server.peek(&request).is_none());
    }

    #[test]
    fn a_pending_login_expires_by_the_time_written_inside() {
        let (clock, hand) = Clock::manual();
        let logins = PendingLogins::new(Duration::from_secs(600), false, clock.clone());
        let request = request_with(&logins.cookie(&pending(clock.now_millis())).unwrap());
        hand.advance_secs(600);
        assert!(logins.current(&request).is_ok());
        hand.advance_secs(1);
        assert!(matches!(
            logins.current(&request),
            Err(SpError::LoginExpired)
        ));
    }
}
