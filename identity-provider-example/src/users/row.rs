//! One person as given — a line of a users CSV file or a body of the admin API — and the one
//! validation both go through, so a person the API accepts is one a CSV file could hold and the
//! other way round.
//!
//! What is checked is what the IdP itself needs: a login (non-empty, no control characters) and a
//! password (non-empty: a passwordless account would let anyone in), and a length cap on every
//! value, since every value ends up in memory, in ID tokens and on pages. Identity values are not
//! checked (an empty family name, a birth country that is not a COG code…): FranceConnect's own
//! files hold such people on purpose, to see the hub refuse them.
//!
//! The admin API names the fields like the claims they become (`login`, `password`, `sub`,
//! `given_name`, … `address.locality`), see [`API_FIELDS`]; CSV files name the columns of
//! FranceConnect's `database.csv` ([`super::COLUMNS`]).

use serde_json::{Map, Value, json};

use super::{COLUMNS, Place, User};

/// A person's values, indexed like [`COLUMNS`] (empty when absent).
pub type Cells<'a> = [&'a str; COLUMNS.len()];

/// Longest login, in characters.
pub const MAX_LOGIN_CHARS: usize = 256;
/// Longest value of any other column, in characters.
pub const MAX_VALUE_CHARS: usize = 1024;

/// The admin API's name of each column, in [`COLUMNS`] order; address parts are members of an
/// `address` object.
pub const API_FIELDS: [&str; COLUMNS.len()] = [
    "sub",
    "login",
    "password",
    "family_name",
    "preferred_username",
    "given_name",
    "gender",
    "email",
    "phone_number",
    "birthdate",
    "birthplace",
    "birthcountry",
    "address.country",
    "address.locality",
    "address.postal_code",
    "address.street_address",
];

/// What is wrong with one value: its column (a [`COLUMNS`] name) and why, never the value itself
/// (it could be a password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellProblem {
    pub column: &'static str,
    pub problem: String,
}

/// What is wrong with an admin API body: the field (an [`API_FIELDS`] name) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub problem: String,
}

/// The one validation of a person, from a CSV row or the admin API.
pub fn validate(cells: &Cells<'_>, place: Place) -> Result<User, CellProblem> {
    let problem = |column: &'static str, problem: &str| CellProblem {
        column,
        problem: problem.to_owned(),
    };
    let [
        id,
        identifiant,
        password,
        nom_de_naissance,
        nom_d_usage,
        prenoms,
        genre,
        email,
        telephone,
        date_de_naissance,
        code_postal_lieu_de_naissance,
        code_pays_de_naissance,
        adresse_pays,
        adresse_ville,
        adresse_code_postal,
        adresse_voie,
    ] = *cells;
    if identifiant.is_empty() {
        return Err(problem("identifiant", "empty login"));
    }
    if identifiant.chars().count() > MAX_LOGIN_CHARS {
        return Err(problem("identifiant", "login longer than 256 characters"));
    }
    if identifiant.chars().any(char::is_control) {
        return Err(problem("identifiant", "control character in the login"));
    }
    if password.is_empty() {
        return Err(problem(
            "motDePasse",
            "empty password (anyone could log in as this person)",
        ));
    }
    if let Some(index) = cells
        .iter()
        .position(|cell| cell.chars().count() > MAX_VALUE_CHARS)
    {
        let column = COLUMNS.get(index).copied().unwrap_or("?");
        return Err(problem(column, "value longer than 1024 characters"));
    }
    let owned = |s: &str| s.to_owned();
    Ok(User {
        id: owned(id),
        identifiant: owned(identifiant),
        password: password.into(),
        nom_de_naissance: owned(nom_de_naissance),
        nom_d_usage: owned(nom_d_usage),
        prenoms: owned(prenoms),
        genre: owned(genre),
        email: owned(email),
        telephone: owned(telephone),
        date_de_naissance: owned(date_de_naissance),
        code_postal_lieu_de_naissance: owned(code_postal_lieu_de_naissance),
        code_pays_de_naissance: owned(code_pays_de_naissance),
        adresse_pays: owned(adresse_pays),
        adresse_ville: owned(adresse_ville),
        adresse_code_postal: owned(adresse_code_postal),
        adresse_voie: owned(adresse_voie),
        place,
    })
}

/// The API name of a column.
pub fn api_field(column: &str) -> &'static str {
    COLUMNS
        .iter()
        .position(|c| *c == column)
        .and_then(|i| API_FIELDS.get(i).copied())
        .unwrap_or("?")
}

/// A person of the admin API: a JSON object of strings (`address` an object of strings), every
/// field optional but `login` and `password`, unknown fields refused (a typo must not silently
/// drop a claim). Values are trimmed, as CSV cells are.
pub fn from_json(body: &Value) -> Result<User, FieldProblem> {
    let problem = |field: &str, problem: &str| FieldProblem {
        field: field.to_owned(),
        problem: problem.to_owned(),
    };
    let object = body
        .as_object()
        .ok_or_else(|| problem("", "the body must be a JSON object"))?;
    let mut values: [String; COLUMNS.len()] = Default::default();
    read_fields(object, "", &mut values)?;
    for required in ["login", "password"] {
        let index = API_FIELDS.iter().position(|f| *f == required).unwrap_or(0);
        let given = object.contains_key(required);
        if !given || values.get(index).is_none_or(String::is_empty) {
            return Err(problem(required, "required, and must not be empty"));
        }
    }
    let cells: Cells<'_> = std::array::from_fn(|i| values.get(i).map_or("", String::as_str));
    validate(&cells, Place::admin_api()).map_err(|p| FieldProblem {
        field: api_field(p.column).to_owned(),
        problem: p.problem,
    })
}

fn read_fields(
    object: &Map<String, Value>,
    prefix: &str,
    values: &mut [String; COLUMNS.len()],
) -> Result<(), FieldProblem> {
    for (name, value) in object {
        let field = format!("{prefix}{name}");
        let bad = |problem: &str| FieldProblem {
            field: capped_name(&field),
            problem: problem.to_owned(),
        };
        if prefix.is_empty() && name == "address" {
            match value {
                Value::Object(address) => read_fields(address, "address.", values)?,
                Value::Null => {}
                _ => return Err(bad("must be an object")),
            }
            continue;
        }
        let index = API_FIELDS
            .iter()
            .position(|f| *f == field)
            .ok_or_else(|| bad("unknown field"))?;
        let text = match value {
            Value::String(text) => text.trim().to_owned(),
            Value::Null => String::new(),
            _ => return Err(bad("must be a string")),
        };
        if let Some(slot) = values.get_mut(index) {
            *slot = text;
        }
    }
    Ok(())
}

/// A client's field name as shown back in an error, cut so a 1 MB key is not echoed whole.
fn capped_name(name: &str) -> String {
    match name.char_indices().nth(64) {
        Some((end, _)) => format!("{}…", &name[..end]),
        None => name.to_owned(),
    }
}

/// A person as the admin API shows it: the fields [`from_json`] reads, with every value (empty
/// ones too), and where the person comes from.
pub fn to_json(user: &User) -> Value {
    let values = [
        ("sub", user.id.as_str()),
        ("login", &user.identifiant),
        ("password", user.password()),
        ("family_name", &user.nom_de_naissance),
        ("preferred_username", &user.nom_d_usage),
        ("given_name", &user.prenoms),
        ("gender", &user.genre),
        ("email", &user.email),
        ("phone_number", &user.telephone),
        ("birthdate", &user.date_de_naissance),
        ("birthplace", &user.code_postal_lieu_de_naissance),
        ("birthcountry", &user.code_pays_de_naissance),
    ];
    let mut out: Map<String, Value> = values
        .into_iter()
        .map(|(k, v)| (k.to_owned(), json!(v)))
        .collect();
    out.insert(
        "address".into(),
        json!({
            "country": user.adresse_pays,
            "locality": user.adresse_ville,
            "postal_code": user.adresse_code_postal,
            "street_address": user.adresse_voie,
        }),
    );
    out.insert("effective_sub".into(), json!(user.sub()));
    out.insert("source".into(), json!(user.place.to_string()));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> Value {
        json!({
            "login": "api_person", "password": "pw", "given_name": "Ana", "family_name": "API",
            "gender": "female", "birthdate": "1990-01-02", "birthplace": "75056",
            "birthcountry": "99100", "email": "ana@example.test", "preferred_username": "",
            "phone_number": "0102030405",
            "address": {"street_address": "1 rue X", "postal_code": "75001", "locality": "Paris", "country": "France"}
        })
    }

    #[test]
    fn a_json_person_becomes_the_user_a_csv_row_would_be() {
        let user = from_json(&body()).unwrap();
        assert_eq!(user.identifiant, "api_person");
        assert!(user.password_matches("pw"));
        let claims = user.all_claims();
        assert_eq!(claims["given_name"], "Ana");
        assert_eq!(claims["address"]["locality"], "Paris");
        assert!(!claims.contains_key("preferred_username"));
        let shown = to_json(&user);
        assert_eq!(
            from_json(&shown_without_extras(shown)).unwrap().sub(),
            user.sub()
        );
    }

    fn shown_without_extras(mut shown: Value) -> Value {
        let object = shown.as_object_mut().unwrap();
        object.remove("effective_sub");
        object.remove("source");
        shown
    }

    #[test]
    fn every_problem_names_its_field() {
        let cases: [(Value, &str); 9] = [
            (json!([]), ""),
            (json!({"password": "pw"}), "login"),
            (json!({"login": "x"}), "password"),
            (json!({"login": "x", "password": ""}), "password"),
            (
                json!({"login": "x", "password": "p", "gender": 3}),
                "gender",
            ),
            (json!({"login": "x", "password": "p", "nom": "A"}), "nom"),
            (
                json!({"login": "x", "password": "p", "address": "here"}),
                "address",
            ),
            (
                json!({"login": "x", "password": "p", "address": {"city": "A"}}),
                "address.city",
            ),
            (
                json!({"login": "x", "password": "p", "email": "e".repeat(1025)}),
                "email",
            ),
        ];
        for (body, field) in cases {
            let problem = from_json(&body).unwrap_err();
            assert_eq!(problem.field, field, "{body}: {problem:?}");
        }
        let long_login = json!({"login": "l".repeat(257), "password": "p"});
        assert_eq!(from_json(&long_login).unwrap_err().field, "login");
        let control = json!({"login": "a\u{7}b", "password": "p"});
        assert_eq!(from_json(&control).unwrap_err().field, "login");
    }

    #[test]
    fn api_fields_follow_the_columns() {
        assert_eq!(api_field("identifiant"), "login");
        assert_eq!(api_field("adresseVille"), "address.locality");
        assert_eq!(api_field("id"), "sub");
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;

    /// Any JSON value, objects keyed by field names (known or not) most of the time.
    fn any_json() -> impl Strategy<Value = Value> {
        let key = prop_oneof![
            proptest::sample::select(API_FIELDS.to_vec()).prop_map(str::to_owned),
            Just("address".to_owned()),
            "[a-z_.]{0,12}",
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            "\\PC{0,40}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 40, 8, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(key.clone(), inner, 0..10)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_json_body_gives_a_person_or_names_a_field(body in any_json()) {
            match from_json(&body) {
                Ok(user) => {
                    prop_assert!(!user.identifiant.is_empty());
                    prop_assert!(!user.password().is_empty());
                    prop_assert!(user.place.is_admin_api());
                }
                Err(problem) => {
                    prop_assert!(!problem.problem.is_empty());
                    prop_assert!(problem.field.chars().count() <= 65);
                }
            }
        }
    }
}
