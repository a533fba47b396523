//! Step 3 — "Mon identité": what FranceConnect certified about the user (SPEC §7).
//!
//! FranceConnect delivers the identité pivot (given names, birth name, birth date, gender, birth
//! place and country, as INSEE/COG codes) plus the optional usage name and e-mail, and tells how
//! the user authenticated: `acr` (eIDAS level) and, when asked with `claims`, `amr`. The `sub` is
//! pairwise: another service provider receives another one for the same person.

use actix_session::Session;
use actix_web::{HttpResponse, http::header, web};
use serde::Serialize;
use serde_json::Value;

use crate::error::SpError;
use crate::journal::pretty;
use crate::session;
use crate::startup::AppState;

/// One labelled line of the identity.
#[derive(Debug, Serialize)]
pub struct Field {
    pub label: &'static str,
    pub value: String,
}

/// `GET /me`
pub async fn me_get(app: web::Data<AppState>, session: Session) -> Result<HttpResponse, SpError> {
    let Some(user) = session::user(&session)? else {
        return Ok(HttpResponse::Found()
            .insert_header((header::LOCATION, "/"))
            .finish());
    };
    let id_token_expires_at = user
        .id_token_payload
        .get("exp")
        .and_then(Value::as_i64)
        .and_then(|exp| chrono::DateTime::from_timestamp(exp, 0))
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));

    let mut context = app.pages.context(&session)?;
    context.insert("identity", &identity_fields(&user.userinfo));
    context.insert("userinfo_json", &pretty(&user.userinfo));
    context.insert("id_token_header", &pretty(&user.id_token_header));
    context.insert("id_token_payload", &pretty(&user.id_token_payload));
    context.insert("id_token_expires_at", &id_token_expires_at);
    app.pages.render("me.html", &context)
}

/// The userinfo claims with their French labels, in the order FranceConnect lists them.
pub fn identity_fields(userinfo: &Value) -> Vec<Field> {
    let text = |name: &str| {
        userinfo
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let mut fields = Vec::new();
    let mut add = |label: &'static str, value: Option<String>| {
        if let Some(value) = value {
            fields.push(Field { label, value });
        }
    };
    add("Prénom(s)", text("given_name"));
    add("Nom de naissance", text("family_name"));
    add(
        "Nom d'usage",
        text("preferred_username").filter(|v| !v.is_empty()),
    );
    add(
        "Date de naissance",
        text("birthdate").map(|d| birthdate_label(&d)),
    );
    add("Sexe", text("gender").map(|g| gender_label(&g)));
    add(
        "Lieu de naissance",
        text("birthplace").map(|p| {
            if p.is_empty() {
                "— (né·e à l'étranger)".into()
            } else {
                format!("{p} (code COG)")
            }
        }),
    );
    add(
        "Pays de naissance",
        text("birthcountry").map(|c| {
            if c == "99100" {
                "France (99100)".into()
            } else {
                format!("{c} (code COG)")
            }
        }),
    );
    add("Adresse électronique", text("email"));
    fields
}

fn gender_label(gender: &str) -> String {
    match gender {
        "female" => "Féminin".into(),
        "male" => "Masculin".into(),
        "unspecified" => "Non précisé".into(),
        other => other.into(),
    }
}

/// `YYYY-MM-DD` as a French date; presumed dates (`00` month or day) are said so.
fn birthdate_label(date: &str) -> String {
    const MONTHS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let month = |m: &str| {
        m.parse::<usize>()
            .ok()
            .and_then(|m| MONTHS.get(m.checked_sub(1)?))
            .copied()
    };
    match date.split('-').collect::<Vec<_>>().as_slice() {
        [y, "00", "00"] => format!("{y} (jour et mois inconnus)"),
        [y, m, "00"] => match month(m) {
            Some(m) => format!("{m} {y} (jour inconnu)"),
            None => date.into(),
        },
        [y, m, d] => match (month(m), d.parse::<u32>()) {
            (Some(m), Ok(d)) => format!("{d} {m} {y}"),
            _ => date.into(),
        },
        _ => date.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_get_french_labels() {
        let fields = identity_fields(&serde_json::json!({
            "given_name": "Mélaine Évelyne", "family_name": "TROIS", "birthdate": "1981-07-27",
            "gender": "female", "birthplace": "95277", "birthcountry": "99100", "preferred_username": ""
        }));
        let shown: Vec<(&str, &str)> = fields.iter().map(|f| (f.label, f.value.as_str())).collect();
        assert_eq!(
            shown,
            vec![
                ("Prénom(s)", "Mélaine Évelyne"),
                ("Nom de naissance", "TROIS"),
                ("Date de naissance", "27 juillet 1981"),
                ("Sexe", "Féminin"),
                ("Lieu de naissance", "95277 (code COG)"),
                ("Pays de naissance", "France (99100)"),
            ]
        );
        assert_eq!(
            birthdate_label("1980-00-00"),
            "1980 (jour et mois inconnus)"
        );
        assert_eq!(birthdate_label("1980-02-00"), "février 1980 (jour inconnu)");
        assert_eq!(birthdate_label("1980-13-01"), "1980-13-01");
    }
}
