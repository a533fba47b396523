//! Scopes and the claims they release (`docs/hub.md`, "Scopes and claims"), with the French
//! labels of the consent page.

use serde_json::{Map, Value, json};

use crate::domain::Identity;
use crate::instance::Instance;

/// What checktoken tells data providers about the person, on both instances: the identité
/// pivot and `given_name_array`.
const PIVOT_CLAIMS: &[&str] = &[
    "given_name",
    "given_name_array",
    "family_name",
    "birthdate",
    "gender",
    "birthplace",
    "birthcountry",
];

/// Scopes only the v1 API serves.
pub const V1_ONLY_SCOPES: &[&str] = &["address", "phone"];

/// The claims released by a set of scopes on `instance`, in a stable order, without duplicates.
pub fn claims_of_scopes(instance: Instance, scopes: &[String]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for scope in scopes {
        for claim in instance.claims_of_scope(scope) {
            if !out.contains(claim) {
                out.push(claim);
            }
        }
    }
    out
}

/// The value of one identity claim (`None` when the person has none).
pub fn claim_value(identity: &Identity, claim: &str) -> Option<Value> {
    match claim {
        "given_name" => Some(json!(identity.given_name)),
        "given_name_array" => Some(json!(identity.given_name_array())),
        "family_name" => Some(json!(identity.family_name)),
        "birthdate" | "idp_birthdate" => Some(json!(identity.birthdate)),
        "gender" => Some(json!(identity.gender)),
        "birthplace" => Some(json!(identity.birthplace)),
        "birthcountry" => Some(json!(identity.birthcountry)),
        "email" => Some(json!(identity.email)),
        "preferred_username" => identity.preferred_username.as_ref().map(|v| json!(v)),
        "phone_number" => identity.phone_number.as_ref().map(|v| json!(v)),
        "address" => identity.address.clone(),
        // FranceConnect+'s civil-status twins: the demo has no register to ask, so they hold
        // what the IdP vouched for.
        twin if twin.starts_with("rnipp_") => claim_value(identity, &twin["rnipp_".len()..]),
        _ => None,
    }
}

/// Identity claims for `scopes` on `instance`, `sub` excluded (the caller adds it).
pub fn identity_claims(
    instance: Instance,
    identity: &Identity,
    scopes: &[String],
) -> Map<String, Value> {
    let mut out = Map::new();
    for claim in claims_of_scopes(instance, scopes) {
        if let Some(v) = claim_value(identity, claim) {
            out.insert(claim.to_owned(), v);
        }
    }
    out
}

/// The six pivot claims plus `given_name_array`, as checktoken sends them to data providers.
pub fn pivot_claims(identity: &Identity) -> Map<String, Value> {
    PIVOT_CLAIMS
        .iter()
        .filter_map(|claim| Some(((*claim).to_owned(), claim_value(identity, claim)?)))
        .collect()
}

/// French label of a claim on the consent page; `None` for technical claims never listed.
pub fn claim_label(claim: &str) -> Option<&'static str> {
    Some(match claim {
        "family_name" => "Nom de naissance",
        "preferred_username" => "Nom d'usage",
        "given_name" => "Prénom(s)",
        "gender" => "Sexe",
        "birthdate" => "Date de naissance",
        "birthplace" => "Lieu de naissance",
        "birthcountry" => "Pays de naissance",
        "address" => "Adresse postale",
        "email" => "Adresse électronique",
        "phone_number" => "Téléphone",
        _ => return None,
    })
}

/// The provider a data scope's data comes from, when its name says it (FranceConnect names data
/// scopes after their provider: `dgfip_…`, `cnam_…`).
pub fn data_scope_provider(scope: &str) -> Option<&'static str> {
    if scope.starts_with("dgfip_") {
        Some("Direction générale des Finances publiques")
    } else if scope.starts_with("cnam_") {
        Some("Caisse nationale de l'Assurance Maladie")
    } else {
        None
    }
}

/// French label of a data-provider scope on the consent page.
pub fn data_scope_label(scope: &str) -> &str {
    match scope {
        "dgfip_rfr" => "Revenu fiscal de référence",
        "dgfip_nbpart" => "Nombre de parts",
        "dgfip_sitfam" => "Situation de famille",
        "dgfip_pac" => "Personnes à charge",
        "dgfip_aft" => "Adresse fiscale de taxation",
        "dgfip_nbpac" => "Nombre de personnes à charge",
        "cnam_paiements_ij" => {
            "Paiements d'indemnités journalières versées par l'Assurance Maladie"
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_owned).collect()
    }

    const FC: Instance = Instance::FranceConnect;

    #[test]
    fn scope_to_claims_mapping() {
        assert_eq!(claims_of_scopes(FC, &scopes("openid")), vec!["sub"]);
        assert_eq!(
            claims_of_scopes(FC, &scopes("openid profile")),
            vec![
                "sub",
                "given_name",
                "given_name_array",
                "family_name",
                "birthdate",
                "gender",
                "preferred_username"
            ]
        );
        assert_eq!(
            claims_of_scopes(FC, &scopes("birth")),
            vec!["birthplace", "birthcountry"]
        );
        assert_eq!(claims_of_scopes(FC, &scopes("identite_pivot")).len(), 7);
        assert!(claims_of_scopes(FC, &scopes("dgfip_rfr unknown")).is_empty());
    }

    #[test]
    fn identity_claims_skip_what_the_person_lacks() {
        let id = Identity {
            given_name: "Léo".into(),
            family_name: "PETIT".into(),
            ..Identity::default()
        };
        let claims = identity_claims(FC, &id, &scopes("openid given_name preferred_username"));
        assert_eq!(claims.get("given_name_array"), Some(&json!(["Léo"])));
        assert!(!claims.contains_key("preferred_username"));
        assert!(!claims.contains_key("sub"));
    }

    #[test]
    fn franceconnect_plus_twins_carry_the_vouched_identity_and_no_given_name_array() {
        let id = Identity {
            given_name: "Mélaine Évelyne".into(),
            gender: "female".into(),
            ..Identity::default()
        };
        let plus = Instance::FranceConnectPlus;
        let claims = identity_claims(plus, &id, &scopes("openid given_name rnipp_given_name"));
        assert_eq!(claims["given_name"], json!("Mélaine Évelyne"));
        assert_eq!(claims["rnipp_given_name"], json!("Mélaine Évelyne"));
        assert_eq!(
            claims["rnipp_given_name_array"],
            json!(["Mélaine", "Évelyne"])
        );
        assert!(!claims.contains_key("given_name_array"));
        assert_eq!(
            pivot_claims(&id)["given_name_array"],
            json!(["Mélaine", "Évelyne"])
        );
    }
}
