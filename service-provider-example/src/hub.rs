//! The hubs as the SP knows them — FranceConnect and FranceConnect+ — each with its discovery
//! document, its public keys, and the functions through which every token it sends is opened
//! and checked (OpenID Connect Discovery 1.0).
//!
//! FranceConnect v2 publishes `{issuer}/.well-known/openid-configuration` (see
//! <https://docs.partenaires.franceconnect.gouv.fr/fs/fs-technique/fs-technique-endpoints/>);
//! `openidconnect` fetches it with the JWKS and checks that its `issuer` is byte for byte the one
//! we expect. It is fetched on first use and kept, so the SP starts even when a hub is not up yet
//! (docker-compose start order, the launcher).
//!
//! The SP is registered at both hubs, separately (`docs/franceconnect-plus.md`): each [`Hub`]
//! holds its own registration — client id and secret, issuer, the algorithms it signs with, and
//! on FranceConnect+ the algorithms it *encrypts* with. Both send the browser back to the same
//! redirect URI; the callback's `iss` says which one answered ([`Hubs::get`]).
//!
//! A hub's keys live in a [`JwksCache`] (`docs/keys.md`): when a JWT names a key we do not know,
//! or fails verification with the keys we have, the JWKS is fetched again — once, at most every
//! [`MIN_REFETCH_INTERVAL`] (a flood of forged tokens must not become a flood of requests to the
//! hub) — and the keys we had are kept when that fetch fails. The cache starts with the keys
//! discovery fetched, so a key rotated just after discovery is still picked up at once.
//!
//! On FranceConnect+ the ID token and userinfo come encrypted to this SP's own keys
//! ([`crate::keys`]): [`Hub::open`] decrypts them with the algorithm of our registration (any
//! other is refused before a key is touched, and so is a clear token: a downgrade), then the
//! JWT inside is checked exactly like a clear one ([`Hub::verify_jwt`]). Decrypting proves
//! nothing about the sender — anyone can encrypt to a public key — the signature does.
//!
//! The legacy v1 API has no discovery document: integrators typed its endpoints by hand
//! (`/api/v1/authorize`, `/api/v1/token`, `/api/v1/userinfo`, `/api/v1/logout`), its issuer is
//! the hub's URL without path, and its ID tokens are HS256-signed with the client secret, so there
//! are no keys to fetch. [`Hub::metadata_for`] writes that document from the hub's URL, so the
//! rest of the flow reads the same for both versions.

use std::sync::Arc;
use std::time::Duration;

use fc_plumbing::jose::{self, JoseError, Jwa, JwkSet};
use fc_plumbing::jwe::{self, ContentEnc, DecryptionKeys, JweError};
use fc_plumbing::{BackChannel, BackChannelError, Clock, JwksCache, JwksError, Secret};
use openidconnect::core::{
    CoreClient, CoreJwsSigningAlgorithm, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AuthType, AuthUrl, ClientId, DiscoveryError, EmptyAdditionalProviderMetadata, EndSessionUrl,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, JsonWebKeySetUrl,
    LogoutProviderMetadata, ProviderMetadataWithLogout, RedirectUrl, ResponseTypes, TokenUrl,
    UserInfoUrl,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::{Config, HubSettings};
use crate::error::SpError;
use crate::journal::Http;

/// The shortest time between two fetches of a hub's keys after a failed verification.
pub const MIN_REFETCH_INTERVAL: Duration = fc_plumbing::jwks_cache::DEFAULT_MIN_REFETCH_INTERVAL;

/// The OIDC client of a hub, with the endpoints discovery gives (authorize set; token and
/// userinfo "maybe set" until checked). Used to write the authorize URL.
pub type HubClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Which FranceConnect a login goes through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Platform {
    /// FranceConnect: eIDAS low (`eidas1`), signed tokens.
    #[default]
    #[serde(rename = "franceconnect")]
    FranceConnect,
    /// FranceConnect+: eIDAS substantial and high (`eidas2`, `eidas3`), ES256, tokens encrypted
    /// to the SP's keys.
    #[serde(rename = "franceconnect-plus")]
    FranceConnectPlus,
}

impl Platform {
    pub const ALL: [Platform; 2] = [Platform::FranceConnect, Platform::FranceConnectPlus];

    /// The value in URLs and forms (`hub=…`).
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::FranceConnect => "franceconnect",
            Platform::FranceConnectPlus => "franceconnect-plus",
        }
    }

    /// The name people read.
    pub fn name(self) -> &'static str {
        match self {
            Platform::FranceConnect => "FranceConnect",
            Platform::FranceConnectPlus => "FranceConnect+",
        }
    }

    /// `hub=…` of a URL or form; `None` when absent, an error when unknown.
    pub fn parse(value: Option<&str>) -> Result<Option<Platform>, SpError> {
        match value {
            None | Some("") => Ok(None),
            Some(v) => Platform::ALL
                .into_iter()
                .find(|p| p.as_str() == v)
                .map(Some)
                .ok_or_else(|| {
                    SpError::BadRequest(
                        "hub inconnu : « franceconnect » ou « franceconnect-plus » attendu".into(),
                    )
                }),
        }
    }

    /// The levels a token of this platform may carry (FranceConnect+ refuses eidas1).
    pub fn acr_allowed(self) -> &'static [&'static str] {
        match self {
            Platform::FranceConnect => &crate::login::ACR_LEVELS,
            Platform::FranceConnectPlus => &["eidas2", "eidas3"],
        }
    }
}

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

/// Why a token of the hub was refused, in French.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct JwtRefusal(pub String);

impl JwtRefusal {
    pub fn new(why: impl Into<String>) -> Self {
        Self(why.into())
    }
}

/// Which token a hub sent, for the choice of the pinned algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    IdToken,
    Userinfo,
}

/// Both hubs.
pub struct Hubs {
    franceconnect: Hub,
    plus: Hub,
}

impl Hubs {
    pub fn new(
        config: &Config,
        back_channel: &BackChannel,
        own_keys: &DecryptionKeys,
        clock: &Clock,
    ) -> Result<Self, String> {
        let hub = |platform| {
            let settings = config.hub_settings(platform);
            Hub::new(settings, config, back_channel, own_keys, clock)
        };
        Ok(Self {
            franceconnect: hub(Platform::FranceConnect)?,
            plus: hub(Platform::FranceConnectPlus)?,
        })
    }

    pub fn get(&self, platform: Platform) -> &Hub {
        match platform {
            Platform::FranceConnect => &self.franceconnect,
            Platform::FranceConnectPlus => &self.plus,
        }
    }

    pub fn all(&self) -> [&Hub; 2] {
        [&self.franceconnect, &self.plus]
    }

    /// The hub whose public URL `url` is under (the journal names each call after its hub).
    pub fn owning(&self, url: &str) -> Option<&Hub> {
        self.all().into_iter().find(|hub| {
            url.strip_prefix(hub.url())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?']))
        })
    }

    /// The hub whose v2 issuer is `issuer` (a checktoken answer, to check it for the journal).
    pub fn by_issuer(&self, issuer: &str) -> Option<&Hub> {
        self.all()
            .into_iter()
            .find(|hub| hub.issuer_of(ApiVersion::V2).as_str() == issuer)
    }
}

/// A hub's discovery document and the cache of its keys, made together at the first login.
struct Discovered {
    metadata: Arc<ProviderMetadataWithLogout>,
    keys: JwksCache,
}

/// One hub: our registration there, its discovery document and keys, cached.
pub struct Hub {
    settings: HubSettings,
    issuer: IssuerUrl,
    /// The hub's public URL without trailing slash: the base of the v1 endpoints and the v1
    /// issuer.
    url: String,
    client_id: ClientId,
    redirect_uri: RedirectUrl,
    /// This SP's decryption keys, for a hub that encrypts what it sends us.
    own_keys: Option<DecryptionKeys>,
    discovered: tokio::sync::RwLock<Option<Arc<Discovered>>>,
    back_channel: BackChannel,
    clock: Clock,
}

impl Hub {
    fn new(
        settings: HubSettings,
        config: &Config,
        back_channel: &BackChannel,
        own_keys: &DecryptionKeys,
        clock: &Clock,
    ) -> Result<Self, String> {
        let what = settings.platform.name();
        let issuer = IssuerUrl::new(settings.issuer()).map_err(|e| format!("{what} URL: {e}"))?;
        let redirect_uri =
            RedirectUrl::new(config.redirect_uri()).map_err(|e| format!("public_url: {e}"))?;
        let encrypted =
            settings.id_token_encryption.is_some() || settings.userinfo_encryption.is_some();
        Ok(Self {
            issuer,
            url: settings.url.trim_end_matches('/').to_owned(),
            client_id: ClientId::new(settings.client_id.clone()),
            redirect_uri,
            own_keys: encrypted.then(|| own_keys.clone()),
            discovered: tokio::sync::RwLock::new(None),
            back_channel: back_channel.clone(),
            clock: clock.clone(),
            settings,
        })
    }

    pub fn platform(&self) -> Platform {
        self.settings.platform
    }

    pub fn settings(&self) -> &HubSettings {
        &self.settings
    }

    /// The hub's public URL, without trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The issuer of `version`'s tokens: `{url}/api/v2`, or the URL itself for v1.
    pub fn issuer_of(&self, version: ApiVersion) -> IssuerUrl {
        match version {
            ApiVersion::V1 => IssuerUrl::new(self.url.clone()).unwrap_or(self.issuer.clone()),
            ApiVersion::V2 => self.issuer.clone(),
        }
    }

    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    pub fn client_secret(&self) -> &Secret {
        &self.settings.client_secret
    }

    /// The signing algorithms this SP accepts from the hub for `version`: `(ID token,
    /// userinfo)`. Pinned, never read from discovery nor from the token's header: the hub signs
    /// with the algorithm of our registration. Accepting every algorithm discovery lists would
    /// let anybody who knows our client secret (HS256 is keyed by it) forge an ID token for an SP
    /// registered ES256 — "algorithm confusion" (RFC 8725 §2.1, §3.1). v1 has one algorithm by
    /// contract: HS256 keyed by the client secret, and a plain JSON userinfo (no JWT).
    pub fn expected_algs(&self, version: ApiVersion) -> (Jwa, Jwa) {
        match version {
            ApiVersion::V1 => (Jwa::HS256, Jwa::HS256),
            ApiVersion::V2 => (self.settings.id_token_alg, self.settings.userinfo_alg),
        }
    }

    /// The hub's endpoints for `version`: discovered for v2, written by hand for v1.
    pub async fn metadata_for(
        &self,
        http: &Http,
        version: ApiVersion,
    ) -> Result<Arc<ProviderMetadataWithLogout>, SpError> {
        match version {
            ApiVersion::V2 => Ok(self.discovered(http).await?.metadata.clone()),
            ApiVersion::V1 => self.v1_metadata().map(Arc::new),
        }
    }

    /// The discovery document and the keys, fetched on first use.
    async fn discovered(&self, http: &Http) -> Result<Arc<Discovered>, SpError> {
        if let Some(discovered) = self.discovered.read().await.as_ref() {
            return Ok(discovered.clone());
        }
        let client = |request| http.send(request);
        let metadata = ProviderMetadataWithLogout::discover_async(self.issuer.clone(), &client)
            .await
            .map_err(|e| SpError::HubUnreachable(discovery_error(self.platform(), &e)))?;
        let keys = JwksCache::new(
            metadata.jwks_uri().as_str(),
            self.back_channel.clone(),
            self.clock.clone(),
            MIN_REFETCH_INTERVAL,
        );
        // The keys discovery fetched seed the cache (no second fetch); the first unknown kid
        // still fetches them again at once.
        match serde_json::to_value(metadata.jwks()).map(|v| JwkSet::from_json(&v)) {
            Ok(Ok(set)) => keys.seed(set),
            _ => tracing::warn!(issuer = self.issuer.as_str(), "hub JWKS unreadable"),
        }
        let discovered = Arc::new(Discovered {
            metadata: Arc::new(metadata),
            keys,
        });
        *self.discovered.write().await = Some(discovered.clone());
        tracing::info!(issuer = self.issuer.as_str(), "hub discovered");
        Ok(discovered)
    }

    /// FranceConnect v1 as integrators configured it by hand: four endpoints under `/api/v1`,
    /// issuer = the hub's URL, HS256 only (keyed by our client secret, so no JWKS).
    fn v1_metadata(&self) -> Result<ProviderMetadataWithLogout, SpError> {
        let base = &self.url;
        let bad =
            |e: url::ParseError| SpError::HubUnreachable(format!("URL du hub invalide : {e}"));
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

    /// An OIDC client of the hub built from `metadata`, to write the authorize URL: our
    /// registration, and `client_secret_post` (what FranceConnect documents).
    pub fn client(&self, metadata: &ProviderMetadataWithLogout) -> HubClient {
        CoreClient::from_provider_metadata(
            metadata.clone(),
            self.client_id.clone(),
            Some(openidconnect::ClientSecret::new(
                self.settings.client_secret.expose().to_owned(),
            )),
        )
        .set_redirect_uri(self.redirect_uri.clone())
        .set_auth_type(AuthType::RequestBody)
    }

    /// The keys last fetched from the hub (for the journal's display of JWTs nobody verified).
    pub fn cached_keys(&self) -> Arc<JwkSet> {
        match self.discovered.try_read() {
            Ok(guard) => guard.as_ref().map(|d| d.keys.keys()).unwrap_or_default(),
            Err(_) => Arc::default(),
        }
    }

    /// The signed JWT inside `token`, as our registration says it comes: decrypted with our
    /// keys when it asks for encryption of `kind` (the JWE's `alg` must be the registered one,
    /// `enc` A256GCM), as is otherwise. Either way, the other form is refused. What was opened,
    /// with which key, goes to the journal.
    pub fn open(&self, http: &Http, token: &str, kind: TokenKind) -> Result<String, JwtRefusal> {
        let registered = match kind {
            TokenKind::IdToken => self.settings.id_token_encryption,
            TokenKind::Userinfo => self.settings.userinfo_encryption,
        };
        let encrypted = token.split('.').count() == 5;
        let (alg, keys) = match (registered, &self.own_keys, encrypted) {
            (Some(alg), Some(keys), true) => (alg, keys),
            (None, _, false) => return Ok(token.to_owned()),
            (Some(alg), _, false) => {
                return Err(JwtRefusal(format!(
                    "jeton en clair refusé : l'inscription de ce service auprès de {} demande \
                     des jetons chiffrés ({alg}, A256GCM) ; un jeton non chiffré est une \
                     tentative de contournement",
                    self.platform().name()
                )));
            }
            _ => {
                return Err(JwtRefusal(
                    "jeton chiffré (JWE) inattendu : l'inscription de ce service ne demande pas \
                     de chiffrement"
                        .into(),
                ));
            }
        };
        let header = jwe::peek_header(token).ok();
        match jwe::decrypt(token, keys, alg, ContentEnc::A256Gcm) {
            Ok(opened) => {
                http.opened(token, header, Ok((&opened.kid, &opened.plaintext)));
                Ok(opened.plaintext)
            }
            Err(e) => {
                let why = decryption_refusal(&e);
                http.opened(token, header, Err(&why));
                Err(JwtRefusal(why))
            }
        }
    }

    /// Checks a JWT of the hub: first its algorithm, which must be `expected` (our
    /// registration's, never the one the token or discovery names), then its signature with the
    /// hub's keys (fetched again once when no key we held verifies it; HS256: our client secret),
    /// then `check` on its claims. The verdict goes to the journal.
    pub async fn verify_jwt<T>(
        &self,
        http: &Http,
        jwt: &str,
        expected: Jwa,
        check: impl FnOnce(&Value) -> Result<T, JwtRefusal>,
    ) -> Result<T, JwtRefusal> {
        let result = match expect_alg(jwt, expected) {
            Ok(()) => match self.signature(http, jwt, expected).await {
                Ok(claims) => check(&claims),
                Err(refusal) => Err(refusal),
            },
            Err(refusal) => Err(refusal),
        };
        http.verdict(jwt, result.as_ref().err().map(ToString::to_string));
        result
    }

    /// The claims of `jwt` once its signature verified.
    async fn signature(&self, http: &Http, jwt: &str, expected: Jwa) -> Result<Value, JwtRefusal> {
        let verified = if expected == Jwa::HS256 {
            // Keyed by our client secret: no key of the hub is involved, nothing to fetch.
            let secret = Some(self.settings.client_secret.expose());
            JwkSet::default()
                .verify(jwt, expected, secret)
                .map_err(|e| key_refusal(JwksError::Token(e)))?
        } else {
            let discovered = self
                .discovered(http)
                .await
                .map_err(|e| JwtRefusal(e.to_string()))?;
            discovered
                .keys
                .verify(jwt, expected, None)
                .await
                .map_err(key_refusal)?
        };
        Ok(verified.claims)
    }
}

/// The first check of any JWT of the hub: its `alg` must be the algorithm of our registration.
///
/// Why pin it: an attacker who knows our client secret (it is shared with the hub, and HS256 is
/// keyed by it) could sign an HS256 ID token; if we accepted "any algorithm discovery lists" we
/// would verify it with that secret and log in whoever the attacker named. The header's `alg` is
/// written by whoever made the token, so it chooses nothing: the registration does.
fn expect_alg(jwt: &str, expected: Jwa) -> Result<(), JwtRefusal> {
    let header = jose::header_unverified(jwt)
        .map_err(|_| JwtRefusal::new("jeton illisible (ce n'est pas un JWS compact)"))?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
    if alg == expected.as_str() {
        return Ok(());
    }
    Err(JwtRefusal(format!(
        "algorithme « {} » refusé : ce service n'accepte que {expected}, l'algorithme de son \
         inscription auprès de FranceConnect",
        alg.chars().take(20).collect::<String>()
    )))
}

/// Why the hub's keys did not verify a JWT, in French.
fn key_refusal(error: JwksError) -> JwtRefusal {
    JwtRefusal::new(match error {
        JwksError::UnknownKey { .. } => {
            "aucune clé publique de FranceConnect ne correspond à son « kid »".to_owned()
        }
        JwksError::BadSignature { .. } => "signature invalide".to_owned(),
        JwksError::FetchFailed { cause, .. } => format!(
            "signature non vérifiée : les clés publiques de FranceConnect n'ont pas pu être \
             rechargées ({cause})"
        ),
        JwksError::Token(JoseError::Algorithm { .. }) => "algorithme refusé".to_owned(),
        JwksError::Token(JoseError::UnknownKey(_)) => {
            "aucune clé publique de FranceConnect ne correspond à son « kid »".to_owned()
        }
        JwksError::Token(JoseError::BadSignature) => "signature invalide".to_owned(),
        JwksError::Token(_) => "jeton illisible".to_owned(),
    })
}

/// Why a JWE of the hub did not open, in French. A wrong key and an altered token are the same
/// error on purpose (RFC 7516 §11.5: no oracle for an attacker).
fn decryption_refusal(error: &JweError) -> String {
    match error {
        JweError::WrongAlg { found, expected } => format!(
            "chiffrement « {} » refusé : ce service n'accepte que {expected}, l'algorithme de son \
             inscription",
            found.chars().take(20).collect::<String>()
        ),
        JweError::WrongEnc { found, expected } => format!(
            "chiffrement du contenu « {} » refusé : seul {expected} est accepté",
            found.chars().take(20).collect::<String>()
        ),
        JweError::UnknownKey { .. } => {
            "aucune clé de ce service ne correspond au « kid » du jeton chiffré : il n'a pas \
             été chiffré pour les clés publiées à /.well-known/jwks.json"
                .to_owned()
        }
        JweError::Decryption => "le jeton chiffré ne se déchiffre pas avec la clé de ce service \
                                 (mauvaise clé, ou jeton altéré en chemin)"
            .to_owned(),
        JweError::TooLarge(_) => "jeton chiffré trop volumineux".to_owned(),
        JweError::Key(_) => "clé de déchiffrement de ce service indisponible".to_owned(),
        _ => "jeton chiffré (JWE) mal formé".to_owned(),
    }
}

/// A failed discovery, in French.
fn discovery_error(platform: Platform, error: &DiscoveryError<BackChannelError>) -> String {
    let what = format!("découverte de {}", platform.name());
    match error {
        DiscoveryError::Request(e) => transport_error(e),
        DiscoveryError::Response(status, _, _) => {
            format!("{what} : le hub a répondu HTTP {}", status.as_u16())
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
    use fc_plumbing::jwe::KeyAlg;

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

    #[test]
    fn platforms_are_named_in_urls_and_unknown_ones_refused() {
        assert_eq!(
            Platform::parse(Some("franceconnect-plus")).unwrap(),
            Some(Platform::FranceConnectPlus)
        );
        assert_eq!(Platform::parse(None).unwrap(), None);
        assert!(Platform::parse(Some("fc++")).is_err());
        let json = serde_json::to_string(&Platform::FranceConnectPlus).unwrap();
        assert_eq!(json, "\"franceconnect-plus\"");
        assert!(
            !Platform::FranceConnectPlus
                .acr_allowed()
                .contains(&"eidas1")
        );
    }

    #[test]
    fn decryption_failures_are_explained_without_telling_key_from_tampering() {
        let wrong = decryption_refusal(&JweError::WrongAlg {
            found: "RSA-OAEP".into(),
            expected: KeyAlg::EcdhEs,
        });
        assert!(wrong.contains("« RSA-OAEP » refusé"), "{wrong}");
        assert!(wrong.contains("ECDH-ES"), "{wrong}");
        let undecryptable = decryption_refusal(&JweError::Decryption);
        assert!(
            undecryptable.contains("ne se déchiffre pas"),
            "{undecryptable}"
        );
    }
}
