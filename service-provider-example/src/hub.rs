//! The FranceConnect hub as the SP knows it: its discovery document and its public keys
//! (SPEC §4.1, §7; OpenID Connect Discovery 1.0).
//!
//! FranceConnect v2 publishes `{issuer}/.well-known/openid-configuration` (see
//! <https://docs.partenaires.franceconnect.gouv.fr/fs/fs-technique/fs-technique-endpoints/>);
//! `openidconnect` fetches it with the JWKS and checks that its `issuer` is byte for byte the one
//! we expect. The result is cached after the first success and fetched lazily, so the SP starts
//! even when the hub is not up yet (docker-compose start order, the launcher). When a token names
//! a key we do not know (the hub rotated its keys), the JWKS is fetched again, once.
//!
//! The legacy v1 API has no discovery document: integrators typed its endpoints by hand
//! (`/api/v1/authorize`, `/api/v1/token`, `/api/v1/userinfo`, `/api/v1/logout`), its issuer is
//! the hub's URL without path, and its ID tokens are HS256-signed with the client secret, so there
//! are no keys to fetch. [`Hub::metadata_for`] writes that document from `hub_url`, so the rest of
//! the flow reads the same for both versions.

use std::error::Error as StdError;
use std::sync::Arc;

use fc_plumbing::BackChannel;
use openidconnect::core::{
    CoreClient, CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreResponseType,
    CoreSubjectIdentifierType,
};
use openidconnect::{
    AuthType, AuthUrl, ClientId, ClientSecret, EmptyAdditionalProviderMetadata, EndSessionUrl,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, JsonWebKeySet, JsonWebKeySetUrl,
    LogoutProviderMetadata, ProviderMetadataWithLogout, RedirectUrl, ResponseTypes, TokenUrl,
    UserInfoUrl,
};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

use crate::error::SpError;

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

/// Discovery document and JWKS of the hub, cached.
pub struct Hub {
    issuer: IssuerUrl,
    /// `hub_url` as configured: the base of the v1 endpoints and the v1 issuer.
    hub_url: String,
    client_id: ClientId,
    client_secret: ClientSecret,
    redirect_uri: RedirectUrl,
    back_channel: BackChannel,
    metadata: RwLock<Option<Arc<ProviderMetadataWithLogout>>>,
}

impl Hub {
    pub fn new(
        issuer: IssuerUrl,
        hub_url: String,
        client_id: ClientId,
        client_secret: ClientSecret,
        redirect_uri: RedirectUrl,
        back_channel: BackChannel,
    ) -> Self {
        Self {
            issuer,
            hub_url,
            client_id,
            client_secret,
            redirect_uri,
            back_channel,
            metadata: RwLock::new(None),
        }
    }

    /// The v2 issuer, `{hub_url}/api/v2`.
    pub fn issuer(&self) -> &IssuerUrl {
        &self.issuer
    }

    /// The issuer of `version`'s tokens: `{hub_url}/api/v2`, or `hub_url` itself for v1.
    pub fn issuer_of(&self, version: ApiVersion) -> &str {
        match version {
            ApiVersion::V1 => &self.hub_url,
            ApiVersion::V2 => self.issuer.as_str(),
        }
    }

    /// The hub's endpoints and keys for `version`: discovered for v2, written by hand for v1.
    pub async fn metadata_for(
        &self,
        version: ApiVersion,
    ) -> Result<Arc<ProviderMetadataWithLogout>, SpError> {
        match version {
            ApiVersion::V2 => self.metadata().await,
            ApiVersion::V1 => self.v1_metadata().map(Arc::new),
        }
    }

    /// FranceConnect v1 as integrators configured it by hand: four endpoints under `/api/v1`,
    /// issuer = the hub's URL, HS256 only (keyed by our client secret, so no JWKS).
    fn v1_metadata(&self) -> Result<ProviderMetadataWithLogout, SpError> {
        let base = self.hub_url.trim_end_matches('/');
        let bad = |e: url::ParseError| SpError::HubUnreachable(format!("hub_url: {e}"));
        let issuer = IssuerUrl::new(self.hub_url.clone()).map_err(bad)?;
        let endpoint = |path: &str| format!("{base}/api/v1/{path}");
        Ok(ProviderMetadataWithLogout::new(
            issuer,
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

    /// The discovery document (with the JWKS), fetched on first use.
    pub async fn metadata(&self) -> Result<Arc<ProviderMetadataWithLogout>, SpError> {
        if let Some(metadata) = self.metadata.read().await.as_ref() {
            return Ok(metadata.clone());
        }
        let http = |request| self.back_channel.send_oidc(request);
        let discovered = ProviderMetadataWithLogout::discover_async(self.issuer.clone(), &http)
            .await
            .map_err(|e| {
                SpError::HubUnreachable(format!("discovery failed: {}", error_chain(&e)))
            })?;
        let discovered = Arc::new(discovered);
        *self.metadata.write().await = Some(discovered.clone());
        tracing::info!(issuer = self.issuer.as_str(), "hub discovered");
        Ok(discovered)
    }

    /// Fetches the JWKS again (the hub may have rotated its keys) and keeps it.
    pub async fn refresh_jwks(&self) -> Result<Arc<ProviderMetadataWithLogout>, SpError> {
        let current = self.metadata().await?;
        let http = |request| self.back_channel.send_oidc(request);
        let jwks: CoreJsonWebKeySet = JsonWebKeySet::fetch_async(current.jwks_uri(), &http)
            .await
            .map_err(|e| {
                SpError::HubUnreachable(format!("JWKS fetch failed: {}", error_chain(&e)))
            })?;
        let refreshed = Arc::new((*current).clone().set_jwks(jwks));
        *self.metadata.write().await = Some(refreshed.clone());
        tracing::info!(issuer = self.issuer.as_str(), "hub JWKS refreshed");
        Ok(refreshed)
    }

    /// An OIDC client of the hub built from `metadata`: our registration, and `client_secret_post`
    /// because that is what FranceConnect documents (it also accepts HTTP Basic).
    pub fn client(&self, metadata: &ProviderMetadataWithLogout) -> HubClient {
        CoreClient::from_provider_metadata(
            metadata.clone(),
            self.client_id.clone(),
            Some(self.client_secret.clone()),
        )
        .set_redirect_uri(self.redirect_uri.clone())
        .set_auth_type(AuthType::RequestBody)
    }
}

/// An error and its causes on one line (`openidconnect` errors often hide the cause).
pub fn error_chain(error: &dyn StdError) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}
