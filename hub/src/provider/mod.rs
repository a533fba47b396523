//! The provider side of the hub: what it promises to service providers and data providers —
//! authorize rules, the mire, consent, codes, tokens, ID tokens, userinfo, checktoken, logout,
//! pairwise subs, scopes. Every function returns a typed outcome; none knows HTTP.

pub mod authorize;
pub mod claims;
pub mod client_assertion;
pub mod consent;
pub mod discovery;
pub mod encryption;
pub mod interaction;
pub mod introspect;
pub mod logout;
pub mod scenario;
pub mod scopes;
pub mod sub;
pub mod token;
pub mod tokens;
pub mod userinfo;

use crate::platform::Platform;
use crate::provider::authorize::AuthorizeRequest;

/// A redirect to the SP's verified `redirect_uri`, always with its `state` and, in v2, the hub's
/// `iss` (RFC 9207). FranceConnect v1 never sent `iss`, and clients written for v1 refuse it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpRedirect {
    redirect_uri: String,
    params: Vec<(String, String)>,
    state: String,
    iss: Option<String>,
}

impl SpRedirect {
    pub fn to(redirect_uri: &str, state: &str, iss: Option<&str>) -> Self {
        Self {
            redirect_uri: redirect_uri.to_owned(),
            params: Vec::new(),
            state: state.to_owned(),
            iss: iss.map(str::to_owned),
        }
    }

    /// The way back for a validated request.
    pub fn for_request(platform: &Platform, request: &AuthorizeRequest) -> Self {
        Self::to(
            &request.redirect_uri,
            &request.state,
            platform.callback_iss(request.api_version),
        )
    }

    /// This redirect carrying an OAuth error.
    pub fn error(&self, error: &str, description: &str) -> Self {
        let mut out = self.clone();
        out.params = vec![
            ("error".into(), error.into()),
            ("error_description".into(), description.into()),
        ];
        out
    }

    /// This redirect with another `state` (a scenario: the SP must refuse it).
    pub fn with_state(&self, state: &str) -> Self {
        let mut out = self.clone();
        state.clone_into(&mut out.state);
        out
    }

    /// This redirect carrying an authorization code.
    pub fn code(&self, code: &str) -> Self {
        let mut out = self.clone();
        out.params = vec![("code".into(), code.into())];
        out
    }

    /// The URL: `redirect_uri?{params}&state=…[&iss=…]`.
    pub fn location(&self) -> String {
        let mut all: Vec<(&str, &str)> = self
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        all.push(("state", &self.state));
        if let Some(iss) = &self.iss {
            all.push(("iss", iss));
        }
        fc_plumbing::web::url_with_query(&self.redirect_uri, &all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_redirects_carry_iss_and_v1_redirects_do_not() {
        let v2 = SpRedirect::to("http://sp/cb", "s", Some("http://hub/api/v2")).code("c");
        assert_eq!(
            v2.location(),
            "http://sp/cb?code=c&state=s&iss=http%3A%2F%2Fhub%2Fapi%2Fv2"
        );
        let v1 = SpRedirect::to("http://sp/cb", "s", None).error("access_denied", "no");
        assert_eq!(
            v1.location(),
            "http://sp/cb?error=access_denied&error_description=no&state=s"
        );
    }
}
