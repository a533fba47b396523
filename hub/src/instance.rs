//! Which FranceConnect this hub is (`docs/franceconnect-plus.md`): FranceConnect runs one engine
//! as two instances — **FranceConnect** (eIDAS low, `eidas1`) and **FranceConnect+** (eIDAS
//! substantial and high, `eidas2` / `eidas3`), which services handling sensitive procedures must
//! use. They differ in the levels they accept and keep for SSO, the signing algorithms they
//! offer, whether they encrypt tokens to service providers, their scopes and claims, their
//! names, cookies and store namespaces. Every such question is answered here, by the instance,
//! so the rest of the hub never compares instance names.

use fc_plumbing::Jwa;
use fc_plumbing::jwe::{ContentEnc, KeyAlg};

use crate::domain::{Acr, ApiVersion};

/// One of FranceConnect's two instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, clap::ValueEnum)]
pub enum Instance {
    /// FranceConnect (`core-fcp-low`): eIDAS low.
    #[default]
    #[value(name = "franceconnect")]
    FranceConnect,
    /// FranceConnect+ (`core-fcp-high`): eIDAS substantial and high, ES256 only, encryption.
    #[value(name = "franceconnect-plus")]
    FranceConnectPlus,
}

/// The encryption algorithms an instance offers (RFC 7516), as its discovery document lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncryptionOffer {
    pub algs: &'static [KeyAlg],
    pub encs: &'static [ContentEnc],
}

const FC_PLUS_ENCRYPTION: EncryptionOffer = EncryptionOffer {
    algs: &KeyAlg::ALL,
    encs: &[ContentEnc::A256Gcm],
};

/// Identity scopes of FranceConnect.
const FC_SCOPES: &[&str] = &[
    "openid",
    "given_name",
    "family_name",
    "birthdate",
    "gender",
    "birthplace",
    "birthcountry",
    "email",
    "preferred_username",
    "profile",
    "birth",
    "identite_pivot",
    "idp_birthdate",
];

/// Identity scopes of FranceConnect+: no `idp_birthdate`, and the `rnipp_*` scopes, whose claims
/// are the civil-status register's twins of the pivot claims.
const FC_PLUS_SCOPES: &[&str] = &[
    "openid",
    "given_name",
    "family_name",
    "birthdate",
    "gender",
    "birthplace",
    "birthcountry",
    "email",
    "preferred_username",
    "profile",
    "birth",
    "identite_pivot",
    "rnipp_gender",
    "rnipp_family_name",
    "rnipp_given_name",
    "rnipp_birthdate",
    "rnipp_birthplace",
    "rnipp_birthcountry",
    "rnipp_profile",
    "rnipp_birth",
    "rnipp_identite_pivot",
];

const FC_CLAIMS: &[&str] = &[
    "sub",
    "given_name",
    "given_name_array",
    "family_name",
    "birthdate",
    "gender",
    "birthplace",
    "birthcountry",
    "email",
    "preferred_username",
    "idp_birthdate",
    "amr",
    "acr",
];

const FC_PLUS_CLAIMS: &[&str] = &[
    "sub",
    "given_name",
    "family_name",
    "birthdate",
    "gender",
    "birthplace",
    "birthcountry",
    "email",
    "preferred_username",
    "rnipp_given_name",
    "rnipp_given_name_array",
    "rnipp_family_name",
    "rnipp_birthdate",
    "rnipp_gender",
    "rnipp_birthplace",
    "rnipp_birthcountry",
    "amr",
    "acr",
];

impl Instance {
    /// The product name, as pages and titles show it.
    pub fn product_name(self) -> &'static str {
        match self {
            Instance::FranceConnect => "FranceConnect",
            Instance::FranceConnectPlus => "FranceConnect+",
        }
    }

    /// The name of the `--instance` flag's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Instance::FranceConnect => "franceconnect",
            Instance::FranceConnectPlus => "franceconnect-plus",
        }
    }

    /// Where `cargo run` puts it: FranceConnect on 8000, FranceConnect+ on 8003.
    pub fn default_port(self) -> u16 {
        match self {
            Instance::FranceConnect => 8000,
            Instance::FranceConnectPlus => 8003,
        }
    }

    /// Its public URL on localhost.
    pub fn default_public_url(self) -> String {
        format!("http://localhost:{}", self.default_port())
    }

    /// The folder of its registrations under `fixtures/`: each instance has its own partners.
    pub fn fixtures(self) -> &'static str {
        match self {
            Instance::FranceConnect => "hub",
            Instance::FranceConnectPlus => "hub-plus",
        }
    }

    /// The levels it accepts by default. FranceConnect itself accepts `eidas1` only; the demo's
    /// FranceConnect accepts the three levels so a service can try them (`--acr-values` narrows).
    pub fn default_acr_values(self) -> &'static [Acr] {
        match self {
            Instance::FranceConnect => &Acr::ALL,
            Instance::FranceConnectPlus => &[Acr::Eidas2, Acr::Eidas3],
        }
    }

    /// The level kept when `acr_values` names none the platform knows: FranceConnect its lowest,
    /// FranceConnect+ `eidas3`.
    pub fn default_acr(self, supported: &[Acr]) -> Acr {
        let pick = match self {
            Instance::FranceConnect => supported.iter().copied().min(),
            Instance::FranceConnectPlus => supported.iter().copied().max(),
        };
        pick.unwrap_or(match self {
            Instance::FranceConnect => Acr::Eidas1,
            Instance::FranceConnectPlus => Acr::Eidas3,
        })
    }

    /// Whether an earlier login may serve a request at `acr` without the IdP (SSO):
    /// FranceConnect+ allows it at `eidas2` only, so `eidas3` always means a fresh
    /// authentication; the demo's FranceConnect at every level it accepts.
    pub fn sso_allows(self, acr: Acr) -> bool {
        match self {
            Instance::FranceConnect => true,
            Instance::FranceConnectPlus => acr == Acr::Eidas2,
        }
    }

    /// The acr given to the SP. Normally the IdP's when the platform knows it, else the one
    /// asked. In SSO, a level SSO may not vouch for steps down to the nearest lower one it may
    /// (FranceConnect+: `eidas3` → `eidas2`); `None` when there is none (FranceConnect's
    /// Y520001).
    pub fn acr_for_sp(self, idp_acr: Acr, asked: Acr, supported: &[Acr], sso: bool) -> Option<Acr> {
        let acr = if supported.contains(&idp_acr) {
            idp_acr
        } else {
            asked
        };
        if !sso || self.sso_allows(acr) {
            return Some(acr);
        }
        Acr::ALL
            .into_iter()
            .rev()
            .find(|level| *level < acr && self.sso_allows(*level) && supported.contains(level))
    }

    /// The JWS algorithms it signs ID tokens, userinfo and checktoken answers with.
    pub fn signing_algs(self) -> &'static [Jwa] {
        match self {
            Instance::FranceConnect => &[Jwa::ES256, Jwa::RS256, Jwa::HS256],
            Instance::FranceConnectPlus => &[Jwa::ES256],
        }
    }

    /// Whether it encrypts ID tokens and userinfo to service providers' keys, and with what.
    /// FranceConnect has the feature off; checktoken answers to data providers are encrypted
    /// on both (FranceConnect v2).
    pub fn sp_encryption(self) -> Option<EncryptionOffer> {
        match self {
            Instance::FranceConnect => None,
            Instance::FranceConnectPlus => Some(FC_PLUS_ENCRYPTION),
        }
    }

    /// The encryption algorithms data providers may register for checktoken.
    pub fn dp_encryption(self) -> EncryptionOffer {
        FC_PLUS_ENCRYPTION
    }

    /// The API versions it serves: FranceConnect+ was born after v1.
    pub fn api_versions(self) -> &'static [ApiVersion] {
        match self {
            Instance::FranceConnect => &[ApiVersion::V1, ApiVersion::V2],
            Instance::FranceConnectPlus => &[ApiVersion::V2],
        }
    }

    /// Its identity scopes; unknown scopes are ignored at authorize.
    pub fn identity_scopes(self) -> &'static [&'static str] {
        match self {
            Instance::FranceConnect => FC_SCOPES,
            Instance::FranceConnectPlus => FC_PLUS_SCOPES,
        }
    }

    /// Its `claims_supported`.
    pub fn claims(self) -> &'static [&'static str] {
        match self {
            Instance::FranceConnect => FC_CLAIMS,
            Instance::FranceConnectPlus => FC_PLUS_CLAIMS,
        }
    }

    /// The claims one scope releases (`docs/hub.md`, "Scopes and claims";
    /// `docs/franceconnect-plus.md` for FranceConnect+, which has no `given_name_array`).
    pub fn claims_of_scope(self, scope: &str) -> &'static [&'static str] {
        match self {
            Instance::FranceConnect => fc_claims_of_scope(scope),
            Instance::FranceConnectPlus => fc_plus_claims_of_scope(scope),
        }
    }

    /// The name of its session cookie: two hubs on one host keep their sessions apart.
    pub fn session_cookie(self) -> &'static str {
        match self {
            Instance::FranceConnect => "fc_hub_session",
            Instance::FranceConnectPlus => "fcplus_hub_session",
        }
    }

    /// The prefix of its keys in a shared store (both instances may share one Redis).
    pub fn store_namespace(self) -> &'static str {
        match self {
            Instance::FranceConnect => "fc:franceconnect",
            Instance::FranceConnectPlus => "fc:franceconnect-plus",
        }
    }

    /// How long a browser session lives without activity (FranceConnect 30 min,
    /// FranceConnect+ 10 min).
    pub fn session_idle_secs(self) -> i64 {
        match self {
            Instance::FranceConnect => 30 * 60,
            Instance::FranceConnectPlus => 10 * 60,
        }
    }
}

impl std::fmt::Display for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.product_name())
    }
}

fn fc_claims_of_scope(scope: &str) -> &'static [&'static str] {
    match scope {
        "given_name" => &["given_name", "given_name_array"],
        "profile" => &[
            "given_name",
            "given_name_array",
            "family_name",
            "birthdate",
            "gender",
            "preferred_username",
        ],
        "identite_pivot" => &[
            "given_name",
            "given_name_array",
            "family_name",
            "birthdate",
            "gender",
            "birthplace",
            "birthcountry",
        ],
        "idp_birthdate" => &["idp_birthdate"],
        // v1 only: the address and phone of FranceConnect's 2019 API.
        "address" => &["address"],
        "phone" => &["phone_number"],
        other => common_claims_of_scope(other),
    }
}

fn fc_plus_claims_of_scope(scope: &str) -> &'static [&'static str] {
    match scope {
        "given_name" => &["given_name"],
        "profile" => &[
            "given_name",
            "family_name",
            "birthdate",
            "gender",
            "preferred_username",
        ],
        "identite_pivot" => &[
            "given_name",
            "family_name",
            "birthdate",
            "gender",
            "birthplace",
            "birthcountry",
        ],
        // Each rnipp_* scope releases the claim and its civil-status twin.
        "rnipp_given_name" => &["given_name", "rnipp_given_name", "rnipp_given_name_array"],
        "rnipp_family_name" => &["family_name", "rnipp_family_name"],
        "rnipp_birthdate" => &["birthdate", "rnipp_birthdate"],
        "rnipp_gender" => &["gender", "rnipp_gender"],
        "rnipp_birthplace" => &["birthplace", "rnipp_birthplace"],
        "rnipp_birthcountry" => &["birthcountry", "rnipp_birthcountry"],
        "rnipp_profile" => &[
            "given_name",
            "rnipp_given_name",
            "rnipp_given_name_array",
            "family_name",
            "rnipp_family_name",
            "birthdate",
            "rnipp_birthdate",
            "gender",
            "rnipp_gender",
            "preferred_username",
        ],
        "rnipp_birth" => &[
            "birthplace",
            "rnipp_birthplace",
            "birthcountry",
            "rnipp_birthcountry",
        ],
        "rnipp_identite_pivot" => &[
            "given_name",
            "rnipp_given_name",
            "rnipp_given_name_array",
            "family_name",
            "rnipp_family_name",
            "birthdate",
            "rnipp_birthdate",
            "gender",
            "rnipp_gender",
            "birthplace",
            "rnipp_birthplace",
            "birthcountry",
            "rnipp_birthcountry",
        ],
        other => common_claims_of_scope(other),
    }
}

fn common_claims_of_scope(scope: &str) -> &'static [&'static str] {
    match scope {
        "openid" => &["sub"],
        "family_name" => &["family_name"],
        "birthdate" => &["birthdate"],
        "gender" => &["gender"],
        "birthplace" => &["birthplace"],
        "birthcountry" => &["birthcountry"],
        "email" => &["email"],
        "preferred_username" => &["preferred_username"],
        "birth" => &["birthplace", "birthcountry"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FC: Instance = Instance::FranceConnect;
    const PLUS: Instance = Instance::FranceConnectPlus;

    #[test]
    fn franceconnect_plus_keeps_eidas3_when_no_level_is_known() {
        assert_eq!(PLUS.default_acr(PLUS.default_acr_values()), Acr::Eidas3);
        assert_eq!(FC.default_acr(FC.default_acr_values()), Acr::Eidas1);
        assert_eq!(FC.default_acr(&[Acr::Eidas2, Acr::Eidas3]), Acr::Eidas2);
    }

    #[test]
    fn sso_on_franceconnect_plus_steps_eidas3_down_to_eidas2() {
        let supported = PLUS.default_acr_values();
        assert!(PLUS.sso_allows(Acr::Eidas2) && !PLUS.sso_allows(Acr::Eidas3));
        // A fresh login keeps the IdP's level …
        assert_eq!(
            PLUS.acr_for_sp(Acr::Eidas3, Acr::Eidas2, supported, false),
            Some(Acr::Eidas3)
        );
        // … an SSO login gives the nearest level SSO may vouch for.
        assert_eq!(
            PLUS.acr_for_sp(Acr::Eidas3, Acr::Eidas2, supported, true),
            Some(Acr::Eidas2)
        );
        assert_eq!(
            PLUS.acr_for_sp(Acr::Eidas2, Acr::Eidas2, supported, true),
            Some(Acr::Eidas2)
        );
        // No SSO level below: FranceConnect's Y520001.
        assert_eq!(
            PLUS.acr_for_sp(Acr::Eidas3, Acr::Eidas3, &[Acr::Eidas3], true),
            None
        );
        // An IdP level the platform does not know gives the level asked.
        assert_eq!(
            PLUS.acr_for_sp(Acr::Eidas1, Acr::Eidas2, supported, false),
            Some(Acr::Eidas2)
        );
        assert_eq!(
            FC.acr_for_sp(Acr::Eidas3, Acr::Eidas1, &Acr::ALL, true),
            Some(Acr::Eidas3)
        );
    }

    #[test]
    fn franceconnect_plus_signs_es256_only_and_offers_encryption() {
        assert_eq!(PLUS.signing_algs(), &[Jwa::ES256]);
        assert!(FC.sp_encryption().is_none());
        let offer = PLUS.sp_encryption().unwrap();
        assert_eq!(
            offer.algs,
            &[KeyAlg::EcdhEs, KeyAlg::RsaOaep, KeyAlg::RsaOaep256]
        );
        assert_eq!(offer.encs, &[ContentEnc::A256Gcm]);
    }

    #[test]
    fn each_instance_has_its_own_scopes_names_and_namespace() {
        assert_eq!(
            FC.claims_of_scope("given_name"),
            &["given_name", "given_name_array"]
        );
        assert_eq!(PLUS.claims_of_scope("given_name"), &["given_name"]);
        assert!(PLUS.claims_of_scope("idp_birthdate").is_empty());
        assert!(
            PLUS.claims_of_scope("rnipp_identite_pivot")
                .contains(&"rnipp_given_name_array")
        );
        assert!(FC.claims_of_scope("rnipp_gender").is_empty());
        // Every scope listed releases something, and every claim released is listed.
        for instance in [FC, PLUS] {
            for scope in instance.identity_scopes() {
                let claims = instance.claims_of_scope(scope);
                assert!(!claims.is_empty(), "{instance} {scope}");
                for claim in claims {
                    assert!(instance.claims().contains(claim), "{instance} {claim}");
                }
            }
        }
        assert_ne!(FC.session_cookie(), PLUS.session_cookie());
        assert_ne!(FC.store_namespace(), PLUS.store_namespace());
        assert_eq!(PLUS.to_string(), "FranceConnect+");
    }
}
