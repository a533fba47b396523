//! The discovery document (`docs/hub.md`, "Discovery"): what the hub offers, as clients read it.

use serde_json::{Value, json};

use super::scopes::IDENTITY_SCOPES;
use crate::platform::Platform;

pub fn document(platform: &Platform) -> Value {
    let issuer = &platform.settings.issuer;
    let registry = platform.registry();
    let mut scopes: Vec<&str> = IDENTITY_SCOPES.to_vec();
    for dp in &registry.data_providers {
        for scope in &dp.scopes {
            if !scopes.contains(&scope.as_str()) {
                scopes.push(scope);
            }
        }
    }
    let acr: Vec<&str> = platform
        .settings
        .acr_supported
        .iter()
        .map(|a| a.as_str())
        .collect();
    let mut doc = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/jwks"),
        "end_session_endpoint": format!("{issuer}/session/end"),
        "revocation_endpoint": format!("{issuer}/token/revocation"),
        "scopes_supported": scopes,
        "claims_supported": ["sub", "given_name", "given_name_array", "family_name", "birthdate", "gender",
            "birthplace", "birthcountry", "email", "preferred_username", "idp_birthdate", "amr", "acr"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["pairwise"],
        "acr_values_supported": acr,
        "id_token_signing_alg_values_supported": ["ES256", "RS256", "HS256"],
        "userinfo_signing_alg_values_supported": ["ES256", "RS256", "HS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic", "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256"],
        "claims_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
    });
    if platform.settings.relaxed {
        doc["code_challenge_methods_supported"] = json!(["S256"]);
    }
    doc
}
