//! Failures on demand: the login name picks a way for this IdP to misbehave,
//! so that every error path of the hub can be seen in a browser and tested.
//!
//! The scenario is chosen by the exact login (see [`SCENARIOS`], also listed on the login and test
//! accounts pages); the people themselves are ordinary CSV rows (`fixtures/idp/users/
//! scenarios.csv`, password `123`) with a valid identity, so that only the scenario is wrong.
//! The login always succeeds at the IdP; the failure happens where the hub meets it: at `/token`
//! (HTTP failures, ID-token defects, acr) or at `/userinfo` (HTTP failures, claim defects). The
//! request must still be valid (client authentication, code, access token): a scenario never
//! hides a real protocol error. "Slow" scenarios wait `slow_secs` (config `FC_IDP_SLOW_SECS`,
//! default 15 s, above the hub's 10 s timeout) without blocking anything else, then answer
//! normally.

use serde::Serialize;

/// How an endpoint fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakdown {
    /// `500` with an OAuth `server_error` body.
    Status500,
    /// `503` with `Retry-After` and a `temporarily_unavailable` body.
    Status503,
    /// `200`, `Content-Type: application/json`, an HTML body: not JSON at all.
    Garbage,
    /// The normal answer, after `slow_secs`.
    Slow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Token(Breakdown),
    Userinfo(Breakdown),
    /// ID token whose signature does not verify (first signature character changed).
    BadSignature,
    /// ID token with another `nonce` than the one of the authorization request.
    WrongNonce,
    /// ID token whose `aud` is another client.
    WrongAudience,
    /// ID token issued and expired an hour ago.
    Expired,
    /// Unsigned ID token (`alg: none`, empty signature).
    AlgNone,
    /// Userinfo without `sub`.
    UserinfoWithoutSub,
    /// Userinfo whose `sub` differs from the ID token's.
    UserinfoOtherSub,
    /// Userinfo without `email`.
    WithoutEmail,
    /// Userinfo whose `birthcountry` is not a COG code.
    BadBirthCountry,
    /// ID token whose `acr` is one level below the one chosen in the form.
    LowerAcr,
}

/// One documented scenario.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ScenarioDoc {
    pub login: &'static str,
    /// What the IdP does, in French (shown on the pages).
    pub effect: &'static str,
    /// The error code the hub shows.
    pub hub_error: &'static str,
}

/// Every scenario: login, behaviour, and its documentation.
pub const SCENARIOS: [(Scenario, ScenarioDoc); 18] = [
    doc(
        Scenario::Token(Breakdown::Status500),
        "erreur_token_500",
        "/token répond 500 (server_error)",
        "Y020026",
    ),
    doc(
        Scenario::Token(Breakdown::Status503),
        "erreur_token_503",
        "/token répond 503 (temporarily_unavailable, Retry-After: 120)",
        "Y020026",
    ),
    doc(
        Scenario::Token(Breakdown::Garbage),
        "erreur_token_illisible",
        "/token répond 200 avec du HTML annoncé comme JSON",
        "Y020026",
    ),
    doc(
        Scenario::Token(Breakdown::Slow),
        "erreur_token_lent",
        "/token répond normalement, mais après FC_IDP_SLOW_SECS secondes (15 par défaut)",
        "Y020026 (délai dépassé)",
    ),
    doc(
        Scenario::Userinfo(Breakdown::Status500),
        "erreur_userinfo_500",
        "/userinfo répond 500 (server_error)",
        "Y020027",
    ),
    doc(
        Scenario::Userinfo(Breakdown::Status503),
        "erreur_userinfo_503",
        "/userinfo répond 503 (temporarily_unavailable, Retry-After: 120)",
        "Y020027",
    ),
    doc(
        Scenario::Userinfo(Breakdown::Garbage),
        "erreur_userinfo_illisible",
        "/userinfo répond 200 avec du HTML annoncé comme JSON",
        "Y020027",
    ),
    doc(
        Scenario::Userinfo(Breakdown::Slow),
        "erreur_userinfo_lent",
        "/userinfo répond normalement, mais après FC_IDP_SLOW_SECS secondes (15 par défaut)",
        "Y020027 (délai dépassé)",
    ),
    doc(
        Scenario::BadSignature,
        "erreur_signature",
        "jeton d'identité dont la signature est fausse",
        "Y020030",
    ),
    doc(
        Scenario::WrongNonce,
        "erreur_nonce",
        "jeton d'identité avec un autre nonce que celui de la demande",
        "Y020030",
    ),
    doc(
        Scenario::WrongAudience,
        "erreur_audience",
        "jeton d'identité destiné à un autre client (aud)",
        "Y020030",
    ),
    doc(
        Scenario::Expired,
        "erreur_expire",
        "jeton d'identité émis il y a une heure et expiré",
        "Y020030",
    ),
    doc(
        Scenario::AlgNone,
        "erreur_alg_none",
        "jeton d'identité non signé (alg: none)",
        "Y020030",
    ),
    doc(
        Scenario::UserinfoWithoutSub,
        "erreur_userinfo_sans_sub",
        "/userinfo sans sub",
        "Y020029",
    ),
    doc(
        Scenario::UserinfoOtherSub,
        "erreur_userinfo_autre_sub",
        "/userinfo avec un autre sub que le jeton d'identité",
        "Y020029",
    ),
    doc(
        Scenario::WithoutEmail,
        "erreur_sans_email",
        "/userinfo sans email",
        "Y600006",
    ),
    doc(
        Scenario::BadBirthCountry,
        "erreur_pays_naissance",
        "/userinfo avec birthcountry « FRANCE », qui n'est pas un code COG",
        "Y600006",
    ),
    doc(
        Scenario::LowerAcr,
        "erreur_acr",
        "jeton d'identité avec le niveau eIDAS juste en dessous de celui choisi (eidas1 devient « eidas0 », inconnu)",
        "Y100001",
    ),
];

const fn doc(
    scenario: Scenario,
    login: &'static str,
    effect: &'static str,
    hub_error: &'static str,
) -> (Scenario, ScenarioDoc) {
    (
        scenario,
        ScenarioDoc {
            login,
            effect,
            hub_error,
        },
    )
}

/// The value of `birthcountry` sent by [`Scenario::BadBirthCountry`].
pub const BAD_BIRTH_COUNTRY: &str = "FRANCE";

impl Scenario {
    /// The scenario of this exact login, if any.
    pub fn from_login(login: &str) -> Option<Self> {
        SCENARIOS
            .iter()
            .find(|(_, doc)| doc.login == login)
            .map(|(scenario, _)| *scenario)
    }

    /// Documentation of every scenario, in [`SCENARIOS`] order.
    pub fn docs() -> impl Iterator<Item = &'static ScenarioDoc> {
        SCENARIOS.iter().map(|(_, doc)| doc)
    }
}

/// The level below `acr` (`eidas1` → `eidas0`, a level no hub knows).
pub fn lower_acr(acr: &str) -> String {
    match acr {
        "eidas3" => "eidas2".into(),
        "eidas2" => "eidas1".into(),
        _ => "eidas0".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_login_is_unique_and_found() {
        for (scenario, doc) in &SCENARIOS {
            assert_eq!(
                Scenario::from_login(doc.login),
                Some(*scenario),
                "{}",
                doc.login
            );
            assert!(doc.login.starts_with("erreur_"));
            assert!(doc.hub_error.starts_with('Y'));
        }
        let mut logins: Vec<&str> = Scenario::docs().map(|d| d.login).collect();
        logins.sort_unstable();
        logins.dedup();
        assert_eq!(logins.len(), SCENARIOS.len());
        assert_eq!(Scenario::from_login("3_melaine"), None);
        assert_eq!(Scenario::from_login("ERREUR_TOKEN_500"), None);
    }

    #[test]
    fn the_lower_acr_is_below_the_chosen_one() {
        assert_eq!(lower_acr("eidas3"), "eidas2");
        assert_eq!(lower_acr("eidas2"), "eidas1");
        assert_eq!(lower_acr("eidas1"), "eidas0");
    }

    #[test]
    fn every_scenario_login_is_a_fixture_row() {
        let users =
            crate::users::UserDirectory::load(&fc_plumbing::fixture_path("idp/users")).unwrap();
        for doc in Scenario::docs() {
            assert!(
                users.authenticate(doc.login, "123").is_some(),
                "{} missing from the fixtures",
                doc.login
            );
        }
    }
}
