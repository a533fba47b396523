//! Step 3 — "Mon identité": what FranceConnect certified about the user.
//!
//! FranceConnect delivers the identité pivot (given names, birth name, birth date, gender, birth
//! place and country, as INSEE/COG codes) plus the optional usage name and e-mail, and tells how
//! the user authenticated: `acr` (eIDAS level) and, when asked with `claims`, `amr`. The `sub` is
//! pairwise: another service provider receives another one for the same person. The data
//! returned per scope is described in the partner documentation
//! (<https://docs.partenaires.franceconnect.gouv.fr/>).
//!
//! "Recharger userinfo" calls the `userinfo_endpoint` again with the access token: it works for
//! 60 seconds after the login, then FranceConnect answers 401 and the page says so.

use actix_session::Session;
use actix_web::{HttpResponse, http::header, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::SpError;
use crate::journal::{Http, pretty};
use crate::startup::AppState;
use crate::{formats, session, userinfo};
use fc_plumbing::french;

/// The outcome of "Recharger userinfo", carried to `/me` in the query (a fixed word, never text).
#[derive(Debug, Default, Deserialize)]
pub struct MeQuery {
    pub userinfo: Option<String>,
}

/// One labelled line of the identity.
#[derive(Debug, Serialize)]
pub struct Field {
    pub label: &'static str,
    pub value: String,
}

/// `GET /me`
pub async fn me_get(
    app: web::Data<AppState>,
    session: Session,
    query: web::Query<MeQuery>,
) -> Result<HttpResponse, SpError> {
    let Some(user) = session::user(&session)? else {
        return Ok(HttpResponse::Found()
            .insert_header((header::LOCATION, "/"))
            .finish());
    };
    let id_token_expires_at = user
        .id_token_payload
        .get("exp")
        .and_then(Value::as_i64)
        .and_then(formats::date_time);
    let access_token_expires_at = user.access_token_expires_at.and_then(formats::date_time);

    // Only known words pick a message: the query is never echoed.
    let reload = match query.userinfo.as_deref() {
        Some("ok") => Some((
            "success",
            "Userinfo rechargé : FranceConnect a renvoyé les informations ci-dessous.",
        )),
        Some("expired") => Some((
            "error",
            "FranceConnect a refusé le jeton d'accès : il a expiré (il ne vit que 60 secondes). \
             Reconnectez-vous pour obtenir un nouveau jeton.",
        )),
        Some("error") => Some((
            "error",
            "Le rechargement de userinfo a échoué : voir le détail dans le journal des échanges.",
        )),
        _ => None,
    };
    let mut context = app.pages.context(&session)?;
    context.insert("reload", &reload);
    context.insert("api_version", user.api_version.as_str());
    context.insert("hub_name", user.hub.name());
    context.insert(
        "id_token_jwe_header",
        &user.id_token_jwe_header.as_ref().map(pretty),
    );
    context.insert("identity", &identity_fields(&user.userinfo));
    context.insert("userinfo_json", &pretty(&user.userinfo));
    context.insert("id_token_header", &pretty(&user.id_token_header));
    context.insert("id_token_payload", &pretty(&user.id_token_payload));
    context.insert("id_token_expires_at", &id_token_expires_at);
    context.insert("access_token_expires_at", &access_token_expires_at);
    app.pages.render("me.html", &context)
}

/// `POST /me/userinfo`: "Recharger userinfo", with the access token of the login.
pub async fn me_userinfo_post(
    app: web::Data<AppState>,
    session: Session,
    http: Http,
) -> Result<HttpResponse, SpError> {
    let Some(mut user) = session::user(&session)? else {
        return Ok(see_other("/"));
    };
    let Some(access_token) = user.access_token.clone() else {
        return Ok(see_other("/me?userinfo=expired"));
    };
    let hub = app.hubs.get(user.hub);
    let version = user.api_version;
    let result = userinfo::fetch(hub, &http, version, &access_token, &user.sub, &app.clock).await;
    let outcome = match result {
        Ok(userinfo) => {
            user.userinfo = userinfo;
            session::set_user(&session, &user)?;
            "ok"
        }
        Err(SpError::AccessTokenRejected) => "expired",
        Err(e) => {
            tracing::warn!(code = e.code(), "userinfo reload failed: {e}");
            "error"
        }
    };
    Ok(see_other(&format!("/me?userinfo={outcome}")))
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
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
        text("birthdate").map(|d| french::date(&d)),
    );
    add("Sexe", text("gender").map(|g| french::gender(&g)));
    add(
        "Lieu de naissance",
        text("birthplace").map(|p| match p.as_str() {
            "" => "— (né(e) à l'étranger)".into(),
            code => french::commune(code),
        }),
    );
    add(
        "Pays de naissance",
        text("birthcountry").map(|c| french::country(&c)),
    );
    add("Adresse électronique", text("email"));
    add("Téléphone", text("phone_number"));
    add(
        "Adresse postale",
        userinfo
            .get("address")
            .and_then(|a| a.get("formatted"))
            .and_then(Value::as_str)
            .map(str::to_owned),
    );
    fields
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
                ("Lieu de naissance", "Sarcelles (95277)"),
                ("Pays de naissance", "France (99100)"),
            ]
        );
        let abroad = identity_fields(&serde_json::json!({"birthplace": ""}));
        assert_eq!(abroad[0].value, "— (né(e) à l'étranger)");
    }
}
