//! The discovery document (`docs/hub.md`, "Discovery"): what the hub offers, as clients read it.

use serde_json::{Value, json};

use crate::platform::Platform;

/// The discovery document of this instance: FranceConnect+ signs ES256 only and announces
/// encryption; FranceConnect leaves every `*_encryption_*` member out, as the real one does.
pub fn document(platform: &Platform) -> Value {
    let instance = platform.settings.instance;
    let issuer = &platform.settings.issuer;
    let registry = platform.registry();
    let mut scopes: Vec<&str> = instance.identity_scopes().to_vec();
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
    let signing: Vec<&str> = instance.signing_algs().iter().map(|a| a.as_str()).collect();
    let mut doc = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/jwks"),
        "end_session_endpoint": format!("{issuer}/session/end"),
        "revocation_endpoint": format!("{issuer}/token/revocation"),
        "scopes_supported": scopes,
        "claims_supported": instance.claims(),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["pairwise"],
        "acr_values_supported": acr,
        "id_token_signing_alg_values_supported": signing,
        "userinfo_signing_alg_values_supported": signing,
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic", "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256"],
        "claims_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
    });
    if let Some(offer) = instance.sp_encryption() {
        let algs: Vec<&str> = offer.algs.iter().map(|a| a.as_str()).collect();
        let encs: Vec<&str> = offer.encs.iter().map(|e| e.as_str()).collect();
        for what in ["id_token", "userinfo"] {
            doc[format!("{what}_encryption_alg_values_supported")] = json!(algs);
            doc[format!("{what}_encryption_enc_values_supported")] = json!(encs);
        }
    }
    if platform.settings.relaxed {
        doc["code_challenge_methods_supported"] = json!(["S256"]);
    }
    doc
}
