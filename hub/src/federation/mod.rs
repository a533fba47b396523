//! The federation side of the hub: the hub as an OpenID Connect client of identity providers
//! (`docs/hub.md`, "Identity providers"). Free of HTTP-framework types.
//!
//! Each redirect gets a fresh 64-hex `state` and `nonce`, `prompt=login` and the platform's
//! fixed scope (never the SP's). On the way back ([`callback`]) the hub checks `state` and the
//! RFC 9207 `iss` before any back-channel call, exchanges the code, verifies the ID token with
//! the algorithm pinned for that IdP (HS256 with the client secret as FranceConnect's example IdP,
//! RS256/ES256 with the IdP's key set, cached in the store and refetched at most once every few
//! seconds when a key is unknown), checks `iss`, `aud`, `exp`, `iat` and `nonce`, fetches
//! userinfo (JSON or JWT), requires the same `sub`, validates the identity and the acr. Answers
//! are size-capped: a peer cannot make the hub read megabytes.

pub mod callback;
mod client;
pub mod discovery;

use serde::{Deserialize, Serialize};

pub use callback::{CallbackOutcome, CallbackQuery, callback};
pub use client::{FederationError, IdpLogin, complete_login};

use crate::domain::{Acr, ApiVersion};
use crate::registry::IdentityProvider;

/// The scope the hub asks IdPs for (FranceConnect's `OidcClient_SCOPE`).
pub const IDP_SCOPE: &str = "openid profile email birth";
/// v1 journeys may release the address and phone of the v1-only scopes: ask for them too.
pub const IDP_SCOPE_V1: &str = "openid profile email birth address phone";

/// One trip to an IdP, remembered in the hub session between redirect and callback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdpLeg {
    pub idp_uid: String,
    pub state: String,
    pub nonce: String,
    pub acr: Acr,
    pub scope: String,
}

impl IdpLeg {
    /// A new leg asking for max(requested acr, the IdP's lowest allowed acr).
    pub fn new(idp: &IdentityProvider, requested: Acr, api_version: ApiVersion) -> Self {
        let acr = idp.min_acr().map_or(requested, |min| requested.max(min));
        Self {
            idp_uid: idp.uid.clone(),
            state: fc_plumbing::random::hex64(),
            nonce: fc_plumbing::random::hex64(),
            acr,
            scope: match api_version {
                ApiVersion::V1 => IDP_SCOPE_V1,
                ApiVersion::V2 => IDP_SCOPE,
            }
            .to_owned(),
        }
    }

    pub fn authorize_url(&self, idp: &IdentityProvider) -> String {
        fc_plumbing::web::url_with_query(
            &idp.authorization_endpoint,
            &[
                ("client_id", &idp.client_id),
                ("redirect_uri", &idp.redirect_uri),
                ("response_type", "code"),
                ("scope", &self.scope),
                ("acr_values", self.acr.as_str()),
                ("prompt", "login"),
                ("state", &self.state),
                ("nonce", &self.nonce),
            ],
        )
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::registry::Registry;

    pub(crate) fn idp() -> IdentityProvider {
        let r = Registry::load(&fc_plumbing::fixture_path("hub"), None).unwrap();
        r.identity_providers
            .into_iter()
            .find(|i| i.slug == "identity-provider-example")
            .unwrap()
    }

    #[test]
    fn the_idp_is_asked_for_the_higher_of_both_acr() {
        let mut idp = idp();
        assert_eq!(
            IdpLeg::new(&idp, Acr::Eidas1, ApiVersion::V2).acr,
            Acr::Eidas1
        );
        idp.allowed_acr = vec![Acr::Eidas2, Acr::Eidas3];
        assert_eq!(
            IdpLeg::new(&idp, Acr::Eidas1, ApiVersion::V2).acr,
            Acr::Eidas2
        );
        assert_eq!(
            IdpLeg::new(&idp, Acr::Eidas3, ApiVersion::V2).acr,
            Acr::Eidas3
        );
    }

    #[test]
    fn the_authorize_url_carries_fresh_hex_state_and_nonce_and_prompt_login() {
        let idp = idp();
        let leg = IdpLeg::new(&idp, Acr::Eidas1, ApiVersion::V2);
        let url = url::Url::parse(&leg.authorize_url(&idp)).unwrap();
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["prompt"], "login");
        assert_eq!(q["scope"], IDP_SCOPE);
        assert_eq!(q["state"].len(), 64);
        assert_ne!(q["state"], q["nonce"]);
    }
}
