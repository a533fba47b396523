//! The FranceConnect hub as the SP knows it: its discovery document, its public keys, and the one
//! function through which every JWT it sends is checked (OpenID Connect Discovery 1.0).
//!
//! FranceConnect v2 publishes `{issuer}/.well-known/openid-configuration` (see
//! <https://docs.partenaires.franceconnect.gouv.fr/fs/fs-technique/fs-technique-endpoints/>);
//! `openidconnect` fetches it with the JWKS and checks that its `issuer` is byte for byte the one
//! we expect. It is fetched on first use and kept, so the SP starts even when the hub is not up yet
//! (docker-compose start order, the launcher).
//!
//! The hub's keys ([`KeyCache`]) follow the rules of key rotation: when a JWT names a key we do
//! not know, or fails verification with the keys we have, the JWKS is fetched again — once, at
//! most every [`MIN_REFETCH_INTERVAL`] (a flood of forged tokens must not become a flood of
//! requests to the hub) — and the keys we had are kept when that fetch fails.
//!
//! The legacy v1 API has no discovery document: integrators typed its endpoints by hand
//! (`/api/v1/authorize`, `/api/v1/token`, `/api/v1/userinfo`, `/api/v1/logout`), its issuer is
//! the hub's URL without path, and its ID tokens are HS256-signed with the client secret, so there
//! are no keys to fetch. [`Hub::metadata_for`] writes that document from `hub_url`, so the rest of
//! the flow reads the same for both versions.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use fc_plumbing::jose::{self, Jwa};
use fc_plumbing::{BackChannelError, Clock, Secret};
use openidconnect::core::{
    CoreClient, CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreResponseType,
    CoreSubjectIdentifierType,
};
use openidconnect::{
    AuthType, AuthUrl, ClientId, ClientSecret, DiscoveryError, EmptyAdditionalProviderMetadata,
    EndSessionUrl, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, JsonWebKeySet,
    JsonWebKeySetUrl, LogoutProviderMetadata, ProviderMetadataWithLogout, RedirectUrl,
    ResponseTypes, TokenUrl, UserInfoUrl,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::Config;
use crate::error::SpError;
use crate::journal::Http;

/// The shortest time between two fetches of the hub's keys after a failed verification.
pub const MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(5);

/// The OIDC client of the hub, with the endpoints discovery gives (authorize set; token and
/// userinfo "maybe set" until checked).
pub type HubClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Which FranceConnect API a login goes through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiVersion {
    /// `/api/v1`: HS256 ID token, plain JSON userinfo, no discovery (the 2019 integrations).
    V1,
    /// `/api/v2`: discovery, JWKS, signed userinfo (today's FranceConnect).
    #[default]
    V2,
}

impl ApiVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1",
            ApiVersion::V2 => "v2",
        }
    }
}

/// Why a JWT of the hub was refused, in French.
#[derive(Debug, Clone, thiserror::Error)]
pub enum JwtRefusal {
    /// No key we hold verifies it (unknown `kid`, bad signature): the hub may have rotated its
    /// keys, so this one is worth fetching the keys again.
    #[error("{0}")]
    Keys(String),
    /// Anything else: algorithm, issuer, audience, expiry, nonce, subject.
    #[error("{0}")]
    Refused(String),
}

/// Discovery document and keys of the hub, cached; our registration.
pub struct Hub {
    issuer: IssuerUrl,
    /// `hub_url` as configured: the base of the v1 endpoints and the v1 issuer.
    hub_url: String,
    client_id: ClientId,
    client_secret: Secret,
    redirect_uri: RedirectUrl,
    metadata: tokio::sync::RwLock<Option<Arc<ProviderMetadataWithLogout>>>,
    keys: KeyCache,
    clock: Clock,
}

impl Hub {
    pub fn new(config: &Config, clock: Clock) -> Result<Self, String> {
        let issuer = IssuerUrl::new(config.issuer()).map_err(|e| format!("hub_url: {e}"))?;
        let redirect_uri =
            RedirectUrl::new(config.redirect_uri()).map_err(|e| format!("public_url: {e}"))?;
        Ok(Self {
            issuer,
            hub_url: config.hub_url.trim_end_matches('/').to_owned(),
            client_id: ClientId::new(config.client_id.clone()),
            client_secret: config.client_secret.clone(),
            redirect_uri,
            metadata: tokio::sync::RwLock::new(None),
            keys: KeyCache::default(),
            clock,
        })
    }

    /// The issuer of `version`'s tokens: `{hub_url}/api/v2`, or `hub_url` itself for v1.
    pub fn issuer_of(&self, version: ApiVersion) -> IssuerUrl {
        match version {
            ApiVersion::V1 => IssuerUrl::new(self.hub_url.clone()).unwrap_or(self.issuer.clone()),
            ApiVersion::V2 => self.issuer.clone(),
        }
    }

    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    pub fn client_secret(&self) -> ClientSecret {
        ClientSecret::new(self.client_secret.expose().to_owned())
    }

    /// The hub's endpoints for `version`: discovered for v2, written by hand for v1.
    pub async fn metadata_for(
        &self,
        http: &Http,
        version: ApiVersion,
    ) -> Result<Arc<ProviderMetadataWithLogout>, SpError> {
        match version {
            ApiVersion::V2 => self.metadata(http).await,
            ApiVersion::V1 => self.v1_metadata().map(Arc::new),
        }
    }

    /// The discovery document (with the keys, kept apart), fetched on first use.
    pub async fn metadata(&self, http: &Http) -> Result<Arc<ProviderMetadataWithLogout>, SpError> {
        if let Some(metadata) = self.metadata.read().await.as_ref() {
            return Ok(metadata.clone());
        }
        let client = |request| http.send(request);
        let discovered = ProviderMetadataWithLogout::discover_async(self.issuer.clone(), &client)
            .await
            .map_err(|e| SpError::HubUnreachable(discovery_error("découverte", &e)))?;
        self.keys.replace(discovered.jwks().clone());
        let discovered = Arc::new(discovered);
        *self.metadata.write().await = Some(discovered.clone());
        tracing::info!(issuer = self.issuer.as_str(), "hub discovered");
        Ok(discovered)
    }

    /// FranceConnect v1 as integrators configured it by hand: four endpoints under `/api/v1`,
    /// issuer = the hub's URL, HS256 only (keyed by our client secret, so no JWKS).
    fn v1_metadata(&self) -> Result<ProviderMetadataWithLogout, SpError> {
        let base = &self.hub_url;
        let bad = |e: url::ParseError| SpError::HubUnreachable(format!("hub_url invalide : {e}"));
        let endpoint = |path: &str| format!("{base}/api/v1/{path}");
        Ok(ProviderMetadataWithLogout::new(
            self.issuer_of(ApiVersion::V1),
            AuthUrl::new(endpoint("authorize")).map_err(bad)?,
            // Never fetched: HS256 needs no public key. The field is mandatory in the type.
            JsonWebKeySetUrl::new(format!("{base}/api/v2/jwks")).map_err(bad)?,
            vec![ResponseTypes::new(vec![CoreResponseType::Code])],
            vec![CoreSubjectIdentifierType::Pairwise],
            vec![CoreJwsSigningAlgorithm::HmacSha256],
            LogoutProviderMetadata {
                end_session_endpoint: Some(EndSessionUrl::new(endpoint("logout")).map_err(bad)?),
                additional_metadata: EmptyAdditionalProviderMetadata {},
            },
        )
        .set_token_endpoint(Some(TokenUrl::new(endpoint("token")).map_err(bad)?))
        .set_userinfo_endpoint(Some(UserInfoUrl::new(endpoint("userinfo")).map_err(bad)?)))
    }

    /// An OIDC client of the hub built from `metadata`: our registration, and `client_secret_post`
    /// because that is what FranceConnect documents (it also accepts HTTP Basic).
    pub fn client(&self, metadata: &ProviderMetadataWithLogout) -> HubClient {
        CoreClient::from_provider_metadata(
            metadata.clone(),
            self.client_id.clone(),
            Some(self.client_secret()),
        )
        .set_redirect_uri(self.redirect_uri.clone())
        .set_auth_type(AuthType::RequestBody)
    }

    /// The keys last fetched from the hub (for the journal's display of JWTs nobody verified).
    pub fn cached_keys(&self) -> Arc<CoreJsonWebKeySet> {
        self.keys.current().1
    }

    /// Checks a JWT of the hub: first its algorithm, which must be `expected` (our
    /// registration's, never the one the token or discovery names), then `check` with the hub's
    /// keys — again with freshly fetched keys when no key we held verified it. The verdict goes
    /// to the journal.
    pub async fn verify_jwt<T>(
        &self,
        http: &Http,
        jwt: &str,
        expected: Jwa,
        check: impl Fn(&CoreJsonWebKeySet) -> Result<T, JwtRefusal>,
    ) -> Result<T, JwtRefusal> {
        let result = match expect_alg(jwt, expected) {
            Ok(()) => self.check_with_keys(http, expected, &check).await,
            Err(refusal) => Err(refusal),
        };
        http.verdict(jwt, result.as_ref().err().map(ToString::to_string));
        result
    }

    async fn check_with_keys<T>(
        &self,
        http: &Http,
        expected: Jwa,
        check: &impl Fn(&CoreJsonWebKeySet) -> Result<T, JwtRefusal>,
    ) -> Result<T, JwtRefusal> {
        let (seen, keys) = self.keys.current();
        match check(&keys) {
            // HS256 is keyed by our client secret: no key of the hub is involved.
            Err(JwtRefusal::Keys(why)) if expected != Jwa::HS256 => {
                match self.refetch_keys(http, seen).await {
                    Some(newer) => check(&newer),
                    None => Err(JwtRefusal::Keys(why)),
                }
            }
            other => other,
        }
    }

    /// The swap point for `fc_plumbing::jwks_cache::JwksCache`: everything the SP asks of the
    /// hub's keys beyond [`KeyCache::current`].
    async fn refetch_keys(&self, http: &Http, seen: u64) -> Option<Arc<CoreJsonWebKeySet>> {
        let metadata = self.metadata(http).await.ok()?;
        self.keys
            .refetch(http, metadata.jwks_uri(), seen, &self.clock)
            .await
    }
}

/// The first check of any JWT of the hub: its `alg` must be the algorithm of our registration.
///
/// Why pin it: an attacker who knows our client secret (it is shared with the hub, and HS256 is
/// keyed by it) could sign an HS256 ID token; if we accepted "any algorithm discovery lists" we
/// would verify it with that secret and log in whoever the attacker named. The header's `alg` is
/// written by whoever made the token, so it chooses nothing: the registration does.
fn expect_alg(jwt: &str, expected: Jwa) -> Result<(), JwtRefusal> {
    let header = jose::decode_unverified(jwt)
        .map_err(|_| JwtRefusal::Refused("jeton illisible (ce n'est pas un JWS compact)".into()))?
        .header;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    if alg == expected.as_str() {
        return Ok(());
    }
    Err(JwtRefusal::Refused(format!(
        "algorithme « {} » refusé : ce service n'accepte que {expected}, l'algorithme de son \
         inscription auprès de FranceConnect",
        alg.chars().take(20).collect::<String>()
    )))
}

/// The hub's public keys, with the generation they belong to (bumped by each successful fetch),
/// and when they were last fetched *again* (discovery's first fetch does not count: keys rotated
/// just after it must still be picked up at once).
struct KeyCache {
    keys: RwLock<(u64, Arc<CoreJsonWebKeySet>)>,
    last_refetch_ms: AtomicI64,
    refetching: tokio::sync::Mutex<()>,
}

impl Default for KeyCache {
    fn default() -> Self {
        Self {
            keys: RwLock::new((0, Arc::new(JsonWebKeySet::new(Vec::new())))),
            last_refetch_ms: AtomicI64::new(i64::MIN),
            refetching: tokio::sync::Mutex::new(()),
        }
    }
}

impl KeyCache {
    fn current(&self) -> (u64, Arc<CoreJsonWebKeySet>) {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        (keys.0, keys.1.clone())
    }

    fn replace(&self, keys: CoreJsonWebKeySet) {
        let mut current = self.keys.write().unwrap_or_else(|p| p.into_inner());
        *current = (current.0 + 1, Arc::new(keys));
    }

    /// Fetches the keys again after a verification failed with generation `seen`. Not when
    /// another request already did (its keys are returned), nor within
    /// [`MIN_REFETCH_INTERVAL`] of the last fetch; when the fetch fails the keys stay.
    async fn refetch(
        &self,
        http: &Http,
        uri: &JsonWebKeySetUrl,
        seen: u64,
        clock: &Clock,
    ) -> Option<Arc<CoreJsonWebKeySet>> {
        let _one_at_a_time = self.refetching.lock().await;
        let (generation, keys) = self.current();
        if generation != seen {
            return Some(keys);
        }
        let interval = i64::try_from(MIN_REFETCH_INTERVAL.as_millis()).unwrap_or(i64::MAX);
        let now = clock.now_millis();
        if now.saturating_sub(self.last_refetch_ms.load(Ordering::SeqCst)) < interval {
            tracing::info!("hub JWKS not fetched again: last fetch too recent");
            return None;
        }
        self.last_refetch_ms.store(now, Ordering::SeqCst);
        let client = |request| http.send(request);
        match JsonWebKeySet::fetch_async(uri, &client).await {
            Ok(fetched) => {
                self.replace(fetched);
                tracing::info!("hub JWKS fetched again");
                Some(self.current().1)
            }
            Err(e) => {
                tracing::warn!(
                    "hub JWKS fetch failed, keys kept: {}",
                    discovery_error("JWKS", &e)
                );
                None
            }
        }
    }
}

/// A failed discovery or JWKS fetch, in French.
fn discovery_error(what: &str, error: &DiscoveryError<BackChannelError>) -> String {
    match error {
        DiscoveryError::Request(e) => transport_error(e),
        DiscoveryError::Response(status, _, _) => {
            format!("{what} : FranceConnect a répondu HTTP {}", status.as_u16())
        }
        DiscoveryError::Parse(_) => format!("{what} : réponse illisible (JSON attendu)"),
        DiscoveryError::Validation(_) => {
            format!("{what} : document refusé (émetteur ou champ obligatoire incorrect)")
        }
        _ => format!("{what} : échec"),
    }
}

/// A back-channel call that got no answer, in French.
pub fn transport_error(error: &BackChannelError) -> String {
    match error {
        BackChannelError::Transport { url, error } => {
            let why = if error.is_timeout() {
                "délai de réponse dépassé"
            } else if error.is_connect() {
                "connexion impossible"
            } else {
                "échange interrompu"
            };
            format!("{url} : {why}")
        }
        _ => "requête impossible à construire".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_registered_algorithm_passes_the_first_check() {
        let keys = fc_plumbing::KeySet::generate("t").unwrap();
        let claims = serde_json::json!({"sub": "s"});
        let hs256 = jose::sign_jwt(&keys.signer(Jwa::HS256, "secret"), &claims).unwrap();
        let es256 = jose::sign_jwt(&keys.signer(Jwa::ES256, ""), &claims).unwrap();
        assert!(expect_alg(&es256, Jwa::ES256).is_ok());
        let refused = expect_alg(&hs256, Jwa::ES256).unwrap_err().to_string();
        assert!(refused.contains("« HS256 » refusé"), "{refused}");
        assert!(refused.contains("n'accepte que ES256"), "{refused}");
        assert!(expect_alg("garbage", Jwa::ES256).is_err());
    }
}
