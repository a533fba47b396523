//! Identity providers registered by their issuer (or discovery URL) alone: the hub reads their
//! OpenID Connect discovery document for the endpoints and key set, caches it in the store for
//! an hour (every replica shares it), keeps the cached copy when a refresh fails, and requires
//! the document's `issuer` to be the registered one byte for byte (OpenID Connect Discovery §4.3).

use std::time::Duration;

use serde_json::Value;

use crate::platform::Platform;
use crate::registry::IdentityProvider;

const TTL: Duration = Duration::from_secs(3600);

/// `idp` with every endpoint it did not give filled in from its discovery document.
pub async fn resolved(
    platform: &Platform,
    idp: &IdentityProvider,
) -> Result<IdentityProvider, String> {
    if !idp.needs_discovery() {
        return Ok(idp.clone());
    }
    let key = format!("idp-discovery:{}", idp.uid);
    let doc: Value = match platform
        .store
        .get_json(&key)
        .await
        .map_err(|e| e.to_string())?
    {
        Some(doc) => doc,
        None => {
            let url = idp.discovery_document_url();
            let request = platform.back_channel.get(&url);
            let (_, body) = crate::jwks::call(
                &platform.back_channel,
                &idp.slug,
                "discovery",
                &url,
                request,
            )
            .await
            .map_err(|e| format!("discovery: {e}"))?;
            let doc: Value = serde_json::from_slice(&body)
                .map_err(|_| "discovery: answer is not JSON".to_owned())?;
            platform
                .store
                .put_json(&key, &doc, TTL)
                .await
                .map_err(|e| e.to_string())?;
            doc
        }
    };
    fill(idp, &doc)
}

fn fill(idp: &IdentityProvider, doc: &Value) -> Result<IdentityProvider, String> {
    let text = |name: &str| doc.get(name).and_then(Value::as_str).unwrap_or_default();
    let mut out = idp.clone();
    if out.issuer.is_empty() {
        out.issuer = text("issuer").to_owned();
    } else if text("issuer") != out.issuer {
        return Err(format!(
            "discovery: issuer {:?} is not the registered {:?}",
            fc_plumbing::request_log::capped(text("issuer")),
            out.issuer
        ));
    }
    for (field, name) in [
        (&mut out.authorization_endpoint, "authorization_endpoint"),
        (&mut out.token_endpoint, "token_endpoint"),
        (&mut out.userinfo_endpoint, "userinfo_endpoint"),
        (&mut out.jwks_uri, "jwks_uri"),
        (&mut out.end_session_endpoint, "end_session_endpoint"),
    ] {
        if field.is_empty() {
            *field = text(name).to_owned();
        }
    }
    if out.needs_discovery() {
        return Err("discovery: the document lacks an endpoint the hub needs".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_endpoints_win_and_the_issuer_must_match() {
        let mut idp = crate::federation::tests::idp();
        idp.authorization_endpoint = String::new();
        idp.jwks_uri = String::new();
        let doc = serde_json::json!({"issuer": idp.issuer, "authorization_endpoint": "http://d/authorize",
            "token_endpoint": "http://d/token", "userinfo_endpoint": "http://d/userinfo",
            "jwks_uri": "http://d/jwks"});
        let out = fill(&idp, &doc).unwrap();
        assert_eq!(out.authorization_endpoint, "http://d/authorize");
        assert_eq!(
            out.token_endpoint, idp.token_endpoint,
            "explicit endpoints win"
        );
        let mut other = doc.clone();
        other["issuer"] = serde_json::json!(format!("{}/", idp.issuer));
        assert!(fill(&idp, &other).is_err(), "issuers compare byte for byte");
        other["issuer"] = doc["issuer"].clone();
        other.as_object_mut().unwrap().remove("jwks_uri");
        assert!(fill(&idp, &other).is_err());
    }
}
