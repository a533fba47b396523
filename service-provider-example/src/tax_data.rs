//! The data provider's answer in words for a person: "Revenu fiscal de référence : 42 000 €".
//!
//! The answer follows DGFiP's "API Impôt particulier" (`rfr`, `nbPart`, `sitFam`, `pac`, `aft`)
//! plus the Assurance maladie's daily allowances (`cnam.paiements_ij`); each field is there only
//! when its scope was granted, and `null` means the administration has no value. Each
//! administration gets its own heading: the Assurance maladie's payments are not tax data.

use serde::Serialize;
use serde_json::Value;

use crate::formats;

/// One heading of the data page.
#[derive(Debug, Serialize, PartialEq)]
pub struct Section {
    pub title: &'static str,
    pub rows: Vec<Row>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Row {
    pub label: &'static str,
    pub value: String,
}

const UNKNOWN: &str = "Non renseigné";

/// The sections of `answer` that have at least one field.
pub fn sections(answer: &Value) -> Vec<Section> {
    let mut tax = Vec::new();
    let mut add = |label, field: &str, show: fn(&Value) -> Option<String>| {
        if let Some(value) = answer.get(field) {
            let value = show(value).unwrap_or_else(|| UNKNOWN.to_owned());
            tax.push(Row { label, value });
        }
    };
    add("Revenu fiscal de référence", "rfr", amount);
    add("Nombre de parts", "nbPart", |v| {
        v.as_f64().map(formats::number)
    });
    add("Situation de famille", "sitFam", |v| {
        v.as_str().map(family_situation)
    });
    add("Personnes à charge", "pac", dependants);
    add("Adresse fiscale", "aft", |v| v.as_str().map(str::to_owned));
    let mut out = Vec::new();
    if !tax.is_empty() {
        out.push(Section {
            title: "Impôts (Direction générale des Finances publiques)",
            rows: tax,
        });
    }
    if let Some(paid) = answer.get("cnam").and_then(|c| c.get("paiements_ij")) {
        out.push(Section {
            title: "Assurance maladie",
            rows: vec![Row {
                label: "Indemnités journalières versées",
                value: amount(paid).unwrap_or_else(|| UNKNOWN.to_owned()),
            }],
        });
    }
    out
}

/// Whole euros as the shared helper writes them, cents when there are.
fn amount(value: &Value) -> Option<String> {
    match value.as_i64() {
        Some(whole) => Some(fc_plumbing::french::euros(whole)),
        None => value.as_f64().map(formats::euros),
    }
}

/// DGFiP's one-letter family situation, in words.
fn family_situation(code: &str) -> String {
    match code {
        "M" => "Marié(e)".into(),
        "C" => "Célibataire".into(),
        "D" => "Divorcé(e) ou séparé(e)".into(),
        "V" => "Veuf ou veuve".into(),
        "O" => "Pacsé(e)".into(),
        other => format!("Code « {} »", other.chars().take(10).collect::<String>()),
    }
}

/// `{nbPac, enfants, invalides, rattaches}` as "3 (2 enfants, 1 personne invalide)": the page
/// writes it after "Personnes à charge :", so no second colon.
fn dependants(pac: &Value) -> Option<String> {
    let count = |field: &str| pac.get(field).and_then(Value::as_i64).unwrap_or(0);
    let total = pac.get("nbPac")?.as_i64()?;
    if total == 0 {
        return Some("Aucune".into());
    }
    let plural = |n: i64, one: &str, many: &str| match n {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    };
    let detail: Vec<String> = [
        ("enfants", "enfant", "enfants"),
        ("invalides", "personne invalide", "personnes invalides"),
        ("rattaches", "personne rattachée", "personnes rattachées"),
    ]
    .into_iter()
    .filter(|(field, _, _)| count(field) > 0)
    .map(|(field, one, many)| plural(count(field), one, many))
    .collect();
    Some(if detail.is_empty() {
        total.to_string()
    } else {
        format!("{total} ({})", detail.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_answer_is_written_in_words_with_one_heading_per_administration() {
        let answer = json!({
            "rfr": 42000, "nbPart": 2, "sitFam": "M",
            "pac": {"nbPac": 3, "enfants": 2, "invalides": 1, "rattaches": 0},
            "aft": "12 RUE DE LA REPUBLIQUE 95200 SARCELLES",
            "cnam": {"paiements_ij": 1250.4}
        });
        let shown = sections(&answer);
        assert_eq!(shown.len(), 2);
        assert_eq!(shown[1].title, "Assurance maladie");
        assert_eq!(shown[1].rows[0].value, "1\u{202f}250,40\u{a0}€");
        let rows: Vec<(&str, &str)> = shown[0]
            .rows
            .iter()
            .map(|r| (r.label, r.value.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                ("Revenu fiscal de référence", "42\u{202f}000\u{a0}€"),
                ("Nombre de parts", "2"),
                ("Situation de famille", "Marié(e)"),
                ("Personnes à charge", "3 (2 enfants, 1 personne invalide)"),
                ("Adresse fiscale", "12 RUE DE LA REPUBLIQUE 95200 SARCELLES"),
            ]
        );
    }

    #[test]
    fn missing_fields_are_absent_and_null_ones_unknown() {
        let shown = sections(&json!({"rfr": null, "pac": {"nbPac": 0}}));
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].rows[0].value, UNKNOWN);
        assert_eq!(shown[0].rows[1].value, "Aucune");
        assert!(sections(&json!({})).is_empty());
        assert_eq!(family_situation("<x>"), "Code « <x> »");
    }
}
