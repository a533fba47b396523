//! Key sets of the hub's peers — an IdP's signing keys, a service provider's keys for
//! `private_key_jwt` (and, on FranceConnect+, for encryption) — fetched over the back channel,
//! size-capped, cached in the store (so every replica shares one copy) and fetched again at most
//! once per interval when a key is unknown, keeping the cached copy when the peer fails.

use std::time::Duration;

use serde_json::Value;

use crate::platform::Platform;

/// The most the hub reads of one peer answer (token, userinfo, key set).
pub const MAX_ANSWER_BYTES: usize = 256 * 1024;
/// How long a key set is trusted before it is fetched again.
const TTL: Duration = Duration::from_secs(600);
/// At most one refetch of a peer's key set per this interval, whatever the traffic.
const REFETCH_INTERVAL: Duration = Duration::from_secs(5);

/// One back-channel call to `peer`: a success status and at most [`MAX_ANSWER_BYTES`] of body,
/// logged once (where, how it ended, how long; never a token). Returns the content type and body.
pub async fn call(
    back_channel: &fc_plumbing::BackChannel,
    peer: &str,
    what: &str,
    url: &str,
    request: reqwest::RequestBuilder,
) -> Result<(String, Vec<u8>), String> {
    let started = std::time::Instant::now();
    let response = back_channel.send(request).await;
    let ms = started.elapsed().as_millis();
    let mut response = match response {
        Ok(r) => r,
        Err(e) => {
            let cause = e.cause();
            tracing::warn!(peer, call = what, url, error = %cause, ms, "back-channel call failed");
            return Err(cause);
        }
    };
    let status = response.status();
    tracing::info!(
        peer,
        call = what,
        url,
        status = status.as_u16(),
        ms,
        "back-channel call"
    );
    if !status.is_success() {
        return Err(format!("status {status}"));
    }
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| fc_plumbing::error_chain(&e))?
    {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(format!("answer larger than {MAX_ANSWER_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((content_type, body))
}

/// The key set at `url`, owned by `peer` (cached under `cache_id`): from the store while fresh,
/// fetched otherwise; `refresh` asks for a new copy, granted to one caller per interval across
/// all replicas. A failed fetch keeps the cached copy.
pub async fn key_set(
    platform: &Platform,
    peer: &str,
    cache_id: &str,
    url: &str,
    refresh: bool,
) -> Result<Value, String> {
    let store = &platform.store;
    let key = format!("jwks:{cache_id}");
    let cached: Option<Value> = store.get_json(&key).await.map_err(|e| e.to_string())?;
    let refetch_allowed = !refresh
        || store
            .put_new(
                &format!("jwks-refetch:{cache_id}"),
                b"1".to_vec(),
                REFETCH_INTERVAL,
            )
            .await
            .map_err(|e| e.to_string())?;
    match cached {
        Some(doc) if !refresh || !refetch_allowed => Ok(doc),
        cached => match fetch(platform, peer, url).await {
            Ok(doc) => {
                store
                    .put_json(&key, &doc, TTL)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(doc)
            }
            Err(e) => cached.ok_or(e),
        },
    }
}

async fn fetch(platform: &Platform, peer: &str, url: &str) -> Result<Value, String> {
    let request = platform.back_channel.get(url);
    let (_, body) = call(&platform.back_channel, peer, "jwks", url, request)
        .await
        .map_err(|e| format!("JWKS: {e}"))?;
    let doc: Value =
        serde_json::from_slice(&body).map_err(|_| "JWKS: answer is not JSON".to_owned())?;
    if !doc.get("keys").is_some_and(Value::is_array) {
        return Err("JWKS: no \"keys\" array".into());
    }
    Ok(doc)
}
