//! The answer of the data provider: a record in the shape of DGFiP's
//! "API Impôt particulier", reduced to what the token's scopes allow.
//!
//! One scope releases one group of fields; a scope the token lacks releases nothing, and the
//! field is then absent (not `null`: `null` means "the administration has no value").
//!
//! | scope | fields |
//! |---|---|
//! | `dgfip_rfr` | `rfr` (revenu fiscal de référence, number) |
//! | `dgfip_nbpart` | `nbPart` (nombre de parts, number) |
//! | `dgfip_sitfam` | `sitFam` (situation de famille: M, C, D, …) |
//! | `dgfip_pac` | `pac {nbPac, enfants, invalides, rattaches}` (personnes à charge) |
//! | `dgfip_aft` | `aft` (one line) + `aftDetail {complementAdresse, voie, codePostal, commune}` |
//! | `cnam_paiements_ij` | `cnam {paiements_ij}` (indemnités journalières paid, euros) |

use serde_json::{Map, Value, json};

use crate::records::Record;

/// The scopes this data provider serves (its registration at the hub).
pub const DP_SCOPES: [&str; 6] = [
    "dgfip_rfr",
    "dgfip_nbpart",
    "dgfip_sitfam",
    "dgfip_pac",
    "dgfip_aft",
    "cnam_paiements_ij",
];

/// The data-provider scopes among `token_scopes`, in [`DP_SCOPES`] order.
pub fn granted_scopes<S: AsRef<str>>(token_scopes: &[S]) -> Vec<&'static str> {
    DP_SCOPES
        .into_iter()
        .filter(|dp| token_scopes.iter().any(|s| s.as_ref() == *dp))
        .collect()
}

/// The JSON answer for `record`, with only the fields of `scopes`.
pub fn tax_situation(record: &Record, scopes: &[&str]) -> Value {
    let mut out = Map::new();
    for scope in scopes {
        match *scope {
            "dgfip_rfr" => {
                out.insert("rfr".into(), json!(record.rfr));
            }
            "dgfip_nbpart" => {
                out.insert("nbPart".into(), json!(record.nb_part));
            }
            "dgfip_sitfam" => {
                out.insert("sitFam".into(), json!(record.sit_fam));
            }
            "dgfip_pac" => {
                let pac = &record.dependants;
                out.insert(
                    "pac".into(),
                    json!({
                        "nbPac": pac.total,
                        "enfants": pac.children,
                        "invalides": pac.disabled,
                        "rattaches": pac.attached,
                    }),
                );
            }
            "dgfip_aft" => {
                let address = &record.address;
                out.insert("aft".into(), json!(one_line_address(record)));
                out.insert(
                    "aftDetail".into(),
                    json!({
                        "complementAdresse": address.complement,
                        "voie": address.street,
                        "codePostal": address.postal_code,
                        "commune": address.city,
                    }),
                );
            }
            "cnam_paiements_ij" => {
                out.insert(
                    "cnam".into(),
                    json!({ "paiements_ij": record.cnam_paiements_ij }),
                );
            }
            _ => {}
        }
    }
    Value::Object(out)
}

/// `complement voie codePostal commune`, skipping empty parts; `None` when all are empty.
fn one_line_address(record: &Record) -> Option<String> {
    let a = &record.address;
    let parts: Vec<&str> = [&a.complement, &a.street, &a.postal_code, &a.city]
        .into_iter()
        .filter_map(|p| p.as_deref())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{PivotIdentity, Reconciliation, Records};

    fn record(given: &str, family: &str, birthdate: &str, gender: &str, country: &str) -> Record {
        let records = Records::load(&fc_plumbing::fixture_path("dp/dgfip.csv")).unwrap();
        let identity = PivotIdentity {
            given_name: Some(given.into()),
            family_name: Some(family.into()),
            birthdate: Some(birthdate.into()),
            gender: Some(gender.into()),
            birthplace: None,
            birthcountry: Some(country.into()),
        };
        match records.reconcile(&identity) {
            Reconciliation::Found(r) => r.clone(),
            other => panic!("{other:?}"),
        }
    }

    fn melaine() -> Record {
        record("Mélaine Évelyne", "TROIS", "1981-07-27", "female", "99100")
    }

    #[test]
    fn only_data_provider_scopes_are_granted() {
        let scopes = ["openid", "given_name", "dgfip_aft", "dgfip_rfr", "unknown"];
        assert_eq!(granted_scopes(&scopes), vec!["dgfip_rfr", "dgfip_aft"]);
        assert!(granted_scopes(&["openid", "profile"]).is_empty());
        assert!(granted_scopes::<&str>(&[]).is_empty());
    }

    #[test]
    fn every_scope_gives_the_dgfip_shape() {
        let answer = tax_situation(&melaine(), &DP_SCOPES);
        assert_eq!(
            answer,
            json!({
                "rfr": 42000,
                "nbPart": 2.5,
                "sitFam": "M",
                "pac": {"nbPac": 2, "enfants": 2, "invalides": 0, "rattaches": 0},
                "aft": "Bâtiment A 12 RUE DE LA REPUBLIQUE 95200 SARCELLES",
                "aftDetail": {
                    "complementAdresse": "Bâtiment A",
                    "voie": "12 RUE DE LA REPUBLIQUE",
                    "codePostal": "95200",
                    "commune": "SARCELLES"
                },
                "cnam": {"paiements_ij": 1250.4}
            })
        );
    }

    #[test]
    fn a_scope_releases_only_its_own_fields() {
        let answer = tax_situation(&melaine(), &["dgfip_rfr"]);
        assert_eq!(answer, json!({"rfr": 42000}));
        let answer = tax_situation(&melaine(), &["dgfip_nbpart", "cnam_paiements_ij"]);
        assert_eq!(
            answer,
            json!({"nbPart": 2.5, "cnam": {"paiements_ij": 1250.4}})
        );
        assert_eq!(tax_situation(&melaine(), &[]), json!({}));
    }

    #[test]
    fn empty_cells_are_null() {
        let dubois = record(
            "Angela Claire Louise",
            "DUBOIS",
            "1962-08-24",
            "female",
            "99100",
        );
        let answer = tax_situation(&dubois, &["dgfip_aft", "cnam_paiements_ij"]);
        assert_eq!(answer["aftDetail"]["complementAdresse"], Value::Null);
        assert_eq!(answer["aft"], json!("20 AV DE SEGUR 75007 PARIS"));
        assert_eq!(answer["cnam"], json!({"paiements_ij": null}));
    }
}
