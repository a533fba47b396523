//! Discovery document and JWKS (SPEC §4.1), cacheable for ten minutes as FranceConnect does.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::provider::scopes::IDENTITY_SCOPES;
use crate::startup::HubState;

pub async fn discovery_get(state: web::Data<HubState>) -> HttpResponse {
    let issuer = &state.issuer;
    let mut scopes: Vec<&str> = IDENTITY_SCOPES.to_vec();
    for dp in &state.config.registry.data_providers {
        scopes.extend(dp.scopes.iter().map(String::as_str));
    }
    scopes.dedup();
    let mut doc = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/jwks"),
        "end_session_endpoint": format!("{issuer}/session/end"),
        "scopes_supported": scopes,
        "claims_supported": ["sub", "given_name", "given_name_array", "family_name", "birthdate", "gender",
            "birthplace", "birthcountry", "email", "preferred_username", "idp_birthdate", "amr", "acr"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["pairwise"],
        "acr_values_supported": state.config.acr_values,
        "id_token_signing_alg_values_supported": ["ES256", "RS256", "HS256"],
        "userinfo_signing_alg_values_supported": ["ES256", "RS256", "HS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
    });
    if state.config.relaxed {
        doc["code_challenge_methods_supported"] = json!(["S256"]);
    }
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=600"))
        .json(doc)
}

pub async fn jwks_get(state: web::Data<HubState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=600"))
        .content_type("application/jwk-set+json")
        .body(state.keys.jwks().to_string())
}
