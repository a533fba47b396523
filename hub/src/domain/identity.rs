//! The identity the hub received from an IdP, and its validation (`docs/hub.md`, "Identity providers").
//!
//! FranceConnect refuses an IdP identity that would break the pivot (error Y600006): names of
//! 1–256 characters, a birthdate that is real or presumed (`YYYY-MM-00`, `YYYY-00-00`), a known
//! gender, COG codes for the birth country and, for people born in France, the birthplace, and an
//! email. Anything else the IdP sends is dropped, except the v1-only address and phone.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    pub given_name: String,
    pub family_name: String,
    pub birthdate: String,
    pub gender: String,
    /// Empty when born abroad.
    pub birthplace: String,
    pub birthcountry: String,
    pub email: String,
    pub preferred_username: Option<String>,
    pub phone_number: Option<String>,
    pub address: Option<Value>,
}

impl Identity {
    /// `given_name` split into its given names, as FranceConnect's `given_name_array`.
    pub fn given_name_array(&self) -> Vec<String> {
        self.given_name
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    }
}

/// Validates the IdP's userinfo claims; the error says which claim is wrong (for the log).
pub fn identity_from_claims(claims: &Value) -> Result<Identity, String> {
    let text = |name: &str| -> Option<String> {
        claims
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let name = |field: &str| -> Result<String, String> {
        let v = text(field).ok_or_else(|| format!("{field} is missing"))?;
        if v.chars().count() > 256 {
            return Err(format!("{field} is longer than 256 characters"));
        }
        Ok(v)
    };
    let given_name = name("given_name")?;
    let family_name = name("family_name")?;
    let birthdate = text("birthdate").ok_or("birthdate is missing")?;
    if !is_valid_birthdate(&birthdate) {
        return Err("birthdate is not YYYY-MM-DD".into());
    }
    let gender = text("gender").ok_or("gender is missing")?;
    if !matches!(gender.as_str(), "female" | "male" | "unspecified") {
        return Err("gender is not female, male or unspecified".into());
    }
    let birthcountry = text("birthcountry").ok_or("birthcountry is missing")?;
    if !is_cog(&birthcountry) {
        return Err("birthcountry is not a COG code".into());
    }
    let birthplace = text("birthplace").unwrap_or_default();
    if birthcountry == "99100" && !is_cog(&birthplace) {
        return Err("birthplace is required (COG code) for people born in France".into());
    }
    let email = text("email").ok_or("email is missing")?;
    if !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return Err("email is invalid".into());
    }
    Ok(Identity {
        given_name,
        family_name,
        birthdate,
        gender,
        birthplace: if birthcountry == "99100" {
            birthplace
        } else {
            String::new()
        },
        birthcountry,
        email,
        preferred_username: text("preferred_username"),
        phone_number: text("phone_number"),
        address: claims.get("address").filter(|a| a.is_object()).cloned(),
    })
}

/// A COG code: `^(2[AB]|[0-9]{2})[0-9]{3}$`.
fn is_cog(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 5
        && ((b[0].is_ascii_digit() && b[1].is_ascii_digit())
            || (b[0] == b'2' && matches!(b[1], b'A' | b'B')))
        && b[2..].iter().all(u8::is_ascii_digit)
}

fn is_valid_birthdate(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<u32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return false;
    };
    if y < 1800 {
        return false;
    }
    match (m, d) {
        (0, 0) => true,
        (0, _) => false,
        (1..=12, 0) => true,
        (1..=12, d) => {
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let max = match m {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            d <= max
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn melaine() -> Value {
        json!({"sub": "3", "given_name": "Mélaine Évelyne", "family_name": "TROIS", "birthdate": "1981-07-27",
               "gender": "female", "birthplace": "95277", "birthcountry": "99100",
               "email": "wossewodda-3728@yopmail.com", "preferred_username": "TROIS"})
    }

    #[test]
    fn a_good_identity_is_kept() {
        let id = identity_from_claims(&melaine()).unwrap();
        assert_eq!(id.given_name_array(), vec!["Mélaine", "Évelyne"]);
        assert_eq!(id.preferred_username.as_deref(), Some("TROIS"));
    }

    #[test]
    fn each_rule_rejects() {
        let cases: Vec<(&str, Value)> = vec![
            ("given_name", json!(null)),
            ("family_name", json!("x".repeat(257))),
            ("birthdate", json!("1981-02-30")),
            ("birthdate", json!("27/07/1981")),
            ("gender", json!("f")),
            ("birthcountry", json!("France")),
            ("birthplace", json!("")),
            ("email", json!(null)),
        ];
        for (field, value) in cases {
            let mut claims = melaine();
            claims[field] = value.clone();
            assert!(identity_from_claims(&claims).is_err(), "{field} = {value}");
        }
    }

    #[test]
    fn presumed_dates_and_births_abroad_are_fine() {
        let mut claims = melaine();
        claims["birthdate"] = json!("1980-00-00");
        claims["birthcountry"] = json!("99350");
        claims["birthplace"] = json!("");
        let id = identity_from_claims(&claims).unwrap();
        assert_eq!(id.birthplace, "");
        claims["birthdate"] = json!("1980-04-00");
        claims["birthplace"] = json!("2A004");
        assert!(identity_from_claims(&claims).is_ok());
    }
}
