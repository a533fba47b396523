//! Values both sides of the hub share — towards service and data providers (`provider`) and
//! towards identity providers (`federation`): the eIDAS level, the API version, `prompt`, the
//! identity an IdP vouched for. Types, not strings, so a typo cannot become a new level.

pub mod identity;

use serde::{Deserialize, Serialize};

pub use identity::Identity;

/// An eIDAS level of assurance, as FranceConnect names it in `acr_values` and the `acr` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Acr {
    Eidas1,
    Eidas2,
    Eidas3,
}

impl Acr {
    pub const ALL: [Acr; 3] = [Acr::Eidas1, Acr::Eidas2, Acr::Eidas3];

    pub fn as_str(self) -> &'static str {
        match self {
            Acr::Eidas1 => "eidas1",
            Acr::Eidas2 => "eidas2",
            Acr::Eidas3 => "eidas3",
        }
    }

    pub fn parse(value: &str) -> Option<Acr> {
        Acr::ALL.into_iter().find(|a| a.as_str() == value)
    }

    /// FranceConnect's reading of `acr_values`: keep the known values and take the lowest; none
    /// known → `default`. A value longer than 64 characters counts as empty.
    pub fn lowest_known(acr_values: &str, default: Acr) -> Acr {
        if acr_values.len() > 64 {
            return default;
        }
        acr_values
            .split(' ')
            .filter_map(Acr::parse)
            .min()
            .unwrap_or(default)
    }
}

impl std::fmt::Display for Acr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Acr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Acr::parse(s).ok_or_else(|| format!("unknown acr {s:?} (eidas1, eidas2 or eidas3)"))
    }
}

/// Which FranceConnect API a journey came through: the 2019 v1 (`/api/v1`) or v2 (`/api/v2`).
/// FranceConnect ran them as two platforms: a token answers only on its own version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiVersion {
    V1,
    V2,
}

impl ApiVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1",
            ApiVersion::V2 => "v2",
        }
    }

    /// The path prefix of this version's endpoints.
    pub fn prefix(self) -> &'static str {
        match self {
            ApiVersion::V1 => "/api/v1",
            ApiVersion::V2 => "/api/v2",
        }
    }
}

/// One value of `prompt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PromptValue {
    Login,
    Consent,
}

/// The `prompt` parameter: FranceConnect accepts `login`, `consent`, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Prompt {
    pub login: bool,
    pub consent: bool,
}

impl Prompt {
    /// Parses a space-separated `prompt`; any other value (`none`, `select_account`, an empty
    /// one) is refused.
    pub fn parse(value: &str) -> Result<Prompt, String> {
        let mut prompt = Prompt::default();
        for v in value.split(' ') {
            match v {
                "login" => prompt.login = true,
                "consent" => prompt.consent = true,
                other => return Err(format!("prompt value {other:?} is not accepted")),
            }
        }
        Ok(prompt)
    }

    pub fn values(self) -> impl Iterator<Item = PromptValue> {
        [
            self.login.then_some(PromptValue::Login),
            self.consent.then_some(PromptValue::Consent),
        ]
        .into_iter()
        .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acr_takes_the_lowest_known_value() {
        assert_eq!(
            Acr::lowest_known("niveau_inconnu", Acr::Eidas1),
            Acr::Eidas1
        );
        assert_eq!(Acr::lowest_known("eidas3 eidas2", Acr::Eidas1), Acr::Eidas2);
        assert_eq!(Acr::lowest_known(&"x".repeat(65), Acr::Eidas3), Acr::Eidas3);
        assert!(Acr::Eidas1 < Acr::Eidas3);
    }

    #[test]
    fn prompt_accepts_login_and_consent_only() {
        assert_eq!(
            Prompt::parse("login consent"),
            Ok(Prompt {
                login: true,
                consent: true
            })
        );
        for bad in ["", "none", "login  consent", "select_account"] {
            assert!(Prompt::parse(bad).is_err(), "{bad:?}");
        }
    }
}
