//! The FranceConnect hub as the SP knows it: its discovery document and its public keys
//! (SPEC §7; OpenID Connect Discovery 1.0).
//!
//! FranceConnect publishes `{issuer}/.well-known/openid-configuration`; `openidconnect` fetches it
//! with the JWKS and checks that its `issuer` is byte for byte the one we expect. The result is
//! cached after the first success and fetched lazily, so the SP starts even when the hub is not up
//! yet (docker-compose start order, the launcher). When a token names a key we do not know (the
//! hub rotated its keys), the JWKS is fetched again, once.

use std::error::Error as StdError;
use std::sync::Arc;

use fc_plumbing::BackChannel;
use openidconnect::core::{CoreClient, CoreJsonWebKeySet};
use openidconnect::{
    AuthType, ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl,
    JsonWebKeySet, ProviderMetadataWithLogout, RedirectUrl,
};
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

/// Discovery document and JWKS of the hub, cached.
pub struct Hub {
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: ClientSecret,
    redirect_uri: RedirectUrl,
    back_channel: BackChannel,
    metadata: RwLock<Option<Arc<ProviderMetadataWithLogout>>>,
}

impl Hub {
    pub fn new(
        issuer: IssuerUrl,
        client_id: ClientId,
        client_secret: ClientSecret,
        redirect_uri: RedirectUrl,
        back_channel: BackChannel,
    ) -> Self {
        Self {
            issuer,
            client_id,
            client_secret,
            redirect_uri,
            back_channel,
            metadata: RwLock::new(None),
        }
    }

    pub fn issuer(&self) -> &IssuerUrl {
        &self.issuer
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
