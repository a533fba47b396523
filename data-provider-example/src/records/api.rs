//! A record as the admin API reads and shows it: the identity under its OpenID Connect names
//! (as the hub sends it: `given_name`, `family_name`, `birthdate`, `gender`, `birthcountry`) and
//! the data under the names of the data provider's own answer (`rfr`, `nbPart`, `sitFam`,
//! `pac {nbPac, enfants, invalides, rattaches}`, `aftDetail {complementAdresse, voie, codePostal,
//! commune}`, `cnam {paiements_ij}`): what is put is what the person is then served.
//!
//! A body becomes the [`COLUMNS`] cells and goes through [`record_from_cells`], like a CSV row.
//! Every field but the identity is optional (absent or `null`: no value, answered as `null`);
//! unknown fields are refused, so a typo cannot silently drop a value.

use serde_json::{Map, Value, json};

use super::{
    ADMIN_API, COLUMNS, Cells, Record, gender_from_title, parse_birthdate, record_from_cells,
    title_from_gender,
};
use crate::dgfip::{DP_SCOPES, tax_situation};

/// The API's name for each of the [`COLUMNS`] (the birth date's three columns are one field).
pub const API_FIELDS: [&str; COLUMNS.len()] = [
    "spi",
    "family_name",
    "given_name",
    "gender",
    "birthdate",
    "birthdate",
    "birthdate",
    "birthcountry",
    "rfr",
    "nbPart",
    "sitFam",
    "pac.nbPac",
    "pac.enfants",
    "pac.invalides",
    "pac.rattaches",
    "aftDetail.complementAdresse",
    "aftDetail.voie",
    "aftDetail.codePostal",
    "aftDetail.commune",
    "cnam.paiements_ij",
];

/// What is wrong with a body: the field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub problem: String,
}

fn problem(field: &str, problem: impl Into<String>) -> FieldProblem {
    let field = match field.char_indices().nth(64) {
        Some((end, _)) => format!("{}…", &field[..end]),
        None => field.to_owned(),
    };
    FieldProblem {
        field,
        problem: problem.into(),
    }
}

/// The index in [`COLUMNS`] of an API field (the first one for `birthdate`).
fn column_of(field: &str) -> Option<usize> {
    API_FIELDS.iter().position(|f| *f == field)
}

/// The record of `spi` described by `body`.
pub fn from_json(spi: &str, body: &Value) -> Result<Record, FieldProblem> {
    let object = body
        .as_object()
        .ok_or_else(|| problem("", "the body must be a JSON object"))?;
    let mut cells: [String; COLUMNS.len()] = Default::default();
    cells[0] = spi.to_owned();
    read_object(object, "", &mut cells)?;
    for required in [
        "given_name",
        "family_name",
        "birthdate",
        "gender",
        "birthcountry",
    ] {
        if !object.contains_key(required) {
            return Err(problem(
                required,
                "required: the identity the person is found by",
            ));
        }
    }
    identity_cells(object, &mut cells)?;
    let refs: Cells<'_> = std::array::from_fn(|i| cells.get(i).map_or("", String::as_str));
    record_from_cells(&refs, ADMIN_API.to_owned()).map_err(|p| {
        let field = COLUMNS
            .iter()
            .position(|c| *c == p.column)
            .and_then(|i| API_FIELDS.get(i))
            .copied()
            .unwrap_or("?");
        problem(field, p.problem)
    })
}

/// Reads the data fields (and checks the names of all of them) into `cells`.
fn read_object(
    object: &Map<String, Value>,
    prefix: &str,
    cells: &mut [String; COLUMNS.len()],
) -> Result<(), FieldProblem> {
    for (name, value) in object {
        let field = format!("{prefix}{name}");
        match (prefix, name.as_str(), value) {
            ("", "pac" | "aftDetail" | "cnam", Value::Object(inner)) => {
                read_object(inner, &format!("{name}."), cells)?;
            }
            ("", "pac" | "aftDetail" | "cnam", Value::Null) => {}
            ("", "pac" | "aftDetail" | "cnam", _) => {
                return Err(problem(&field, "must be an object"));
            }
            // Shown by GET: accepted back unchanged (the SPI must be the path's).
            ("", "source", _) => {}
            ("", "spi", Value::String(spi)) if Some(spi) == cells.first() => {}
            ("", "spi", _) => return Err(problem("spi", "differs from the SPI of the path")),
            // The identity is read by `identity_cells`.
            ("", "given_name" | "family_name" | "birthdate" | "gender" | "birthcountry", _) => {}
            _ => {
                let index = column_of(&field).ok_or_else(|| problem(&field, "unknown field"))?;
                let text = match value {
                    Value::Null => String::new(),
                    Value::String(s) => s.trim().to_owned(),
                    Value::Number(n) => n.to_string(),
                    _ => return Err(problem(&field, "must be a string, a number or null")),
                };
                if let Some(cell) = cells.get_mut(index) {
                    *cell = text;
                }
            }
        }
    }
    Ok(())
}

/// Writes the identity of `object` as the cells a tax record has (first given name as given,
/// title from the gender, birth date in three parts).
fn identity_cells(
    object: &Map<String, Value>,
    cells: &mut [String; COLUMNS.len()],
) -> Result<(), FieldProblem> {
    let text = |field: &str| -> Result<String, FieldProblem> {
        match object.get(field) {
            Some(Value::String(s)) => Ok(s.trim().to_owned()),
            _ => Err(problem(field, "must be a string")),
        }
    };
    let (year, month, day) =
        parse_birthdate(&text("birthdate")?).map_err(|e| problem("birthdate", e))?;
    let gender = text("gender")?;
    let title = title_from_gender(&gender).ok_or_else(|| {
        problem(
            "gender",
            format!("{gender:?} is not female, male or unspecified"),
        )
    })?;
    let values = [
        (1, text("family_name")?),
        (2, text("given_name")?),
        (3, title.to_owned()),
        (4, format!("{year:04}")),
        (5, format!("{month:02}")),
        (6, format!("{day:02}")),
        (7, text("birthcountry")?),
    ];
    for (index, value) in values {
        if let Some(cell) = cells.get_mut(index) {
            *cell = value;
        }
    }
    Ok(())
}

/// A record as the admin API shows it (the shape [`from_json`] reads), with where it comes from.
pub fn to_json(record: &Record) -> Value {
    let mut out = json!({
        "spi": record.spi,
        "given_name": record.first_given_name,
        "family_name": record.birth_name,
        "birthdate": format!(
            "{:04}-{:02}-{:02}",
            record.birth_year, record.birth_month, record.birth_day
        ),
        "gender": gender_from_title(&record.title),
        "birthcountry": record.birth_country,
    });
    if let (Some(out), Value::Object(data)) =
        (out.as_object_mut(), tax_situation(record, &DP_SCOPES))
    {
        out.extend(data.into_iter().filter(|(k, _)| k != "aft"));
        out.insert("source".into(), json!(record.source));
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn body() -> Value {
        json!({
            "given_name": "Zoé Marie", "family_name": "ADMIN", "birthdate": "1990-02-03",
            "gender": "female", "birthcountry": "99100",
            "rfr": 31000, "nbPart": 1.5, "sitFam": "C",
            "pac": {"nbPac": 1, "enfants": 1, "invalides": 0, "rattaches": null},
            "aftDetail": {"complementAdresse": null, "voie": "1 RUE DE L'API", "codePostal": "75001", "commune": "PARIS"},
            "cnam": {"paiements_ij": 12.5}
        })
    }

    #[test]
    fn what_is_put_is_what_is_shown() {
        let record = from_json("1234567890123", &body()).unwrap();
        assert_eq!(record.title, "MME");
        assert_eq!(
            (record.birth_year, record.birth_month, record.birth_day),
            (1990, 2, 3)
        );
        let shown = to_json(&record);
        let mut expected = body();
        expected["spi"] = json!("1234567890123");
        expected["source"] = json!(ADMIN_API);
        assert_eq!(shown, expected);
        assert_eq!(from_json("1234567890123", &shown).unwrap(), record);
    }

    #[test]
    fn every_problem_names_its_field() {
        let with = |change: &dyn Fn(&mut Value)| {
            let mut b = body();
            change(&mut b);
            b
        };
        let cases = [
            (json!("x"), ""),
            (
                with(&|b| {
                    b.as_object_mut().unwrap().remove("gender");
                }),
                "gender",
            ),
            (with(&|b| b["gender"] = json!("other")), "gender"),
            (with(&|b| b["birthdate"] = json!("03/02/1990")), "birthdate"),
            (with(&|b| b["birthdate"] = json!(19900203)), "birthdate"),
            (
                with(&|b| b["birthcountry"] = json!("FRANCE")),
                "birthcountry",
            ),
            (with(&|b| b["family_name"] = json!("")), "family_name"),
            (with(&|b| b["rfr"] = json!("beaucoup")), "rfr"),
            (with(&|b| b["rfr"] = json!([1])), "rfr"),
            (with(&|b| b["pac"]["enfants"] = json!(-1)), "pac.enfants"),
            (with(&|b| b["pac"]["enfants"] = json!(1.5)), "pac.enfants"),
            (with(&|b| b["pac"] = json!(2)), "pac"),
            (
                with(&|b| b["aftDetail"]["ville"] = json!("X")),
                "aftDetail.ville",
            ),
            (
                with(&|b| b["aftDetail"]["voie"] = json!("V".repeat(1025))),
                "aftDetail.voie",
            ),
            (with(&|b| b["revenu"] = json!(1)), "revenu"),
            (with(&|b| b["spi"] = json!("999")), "spi"),
        ];
        for (body, field) in cases {
            let problem = from_json("1234567890123", &body).unwrap_err();
            assert_eq!(problem.field, field, "{body}: {problem:?}");
        }
        assert_eq!(from_json("12a", &body()).unwrap_err().field, "spi");
    }

    proptest! {
        #[test]
        fn any_body_gives_a_record_or_names_a_field(
            fields in prop::collection::btree_map(
                prop_oneof![
                    proptest::sample::select(API_FIELDS.to_vec()).prop_map(str::to_owned),
                    "[a-zA-Z_.]{0,12}",
                ],
                prop_oneof![
                    Just(Value::Null),
                    any::<i64>().prop_map(|n| json!(n)),
                    any::<f64>().prop_map(|n| json!(n)),
                    "\\PC{0,20}".prop_map(Value::String),
                    Just(json!({"nbPac": 1, "voie": "x"})),
                ],
                0..12,
            ),
            spi in "[0-9]{0,22}",
        ) {
            let body = Value::Object(fields.into_iter().collect());
            match from_json(&spi, &body) {
                Ok(record) => prop_assert_eq!(record.spi, spi),
                Err(problem) => prop_assert!(!problem.problem.is_empty()),
            }
        }
    }
}
