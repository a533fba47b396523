//! Registrations of service providers, identity providers and data providers (`docs/hub.md`,
//! "Registrations"), read from human-edited TOML files (`fixtures/hub/*.toml`), plus an optional
//! extra file layered on top, which is how integrators register their own SP, plus the changes
//! made through the control API ([`overrides`], `docs/admin.md`). Every entry, from a file or from
//! the API, passes the same [`validation`].

pub mod overrides;
pub mod validation;

use std::path::{Path, PathBuf};

use fc_plumbing::{Jwa, Secret};
use serde::{Deserialize, Serialize};

use crate::domain::{Acr, ApiVersion, PromptValue};
pub use overrides::Overrides;
pub use validation::{FieldError, Kind, Registration};

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{0}")]
    Invalid(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpType {
    Public,
    Private,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceProvider {
    pub client_id: String,
    pub client_secret: Secret,
    pub name: String,
    pub entity_id: String,
    #[serde(rename = "type")]
    pub sp_type: SpType,
    #[serde(default)]
    pub identity_consent: bool,
    pub scopes: Vec<String>,
    #[serde(default)]
    pub claims: Vec<String>,
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    #[serde(default = "default_alg")]
    pub id_token_signed_response_alg: Jwa,
    #[serde(default = "default_alg")]
    pub userinfo_signed_response_alg: Jwa,
    #[serde(default = "yes")]
    pub idp_filter_exclude: bool,
    #[serde(default)]
    pub idp_filter_list: Vec<String>,
    #[serde(default)]
    pub allowed_prompts: Vec<PromptValue>,
    #[serde(default)]
    pub allowed_idp_hints: Vec<String>,
    #[serde(default = "default_versions")]
    pub api_versions: Vec<ApiVersion>,
    #[serde(default = "yes")]
    pub active: bool,
    /// How the SP authenticates at the token endpoint: with its secret (`client_secret_post`,
    /// the default, or `client_secret_basic`) or with a signed assertion (`private_key_jwt`).
    #[serde(default)]
    pub token_endpoint_auth_method: SpAuthMethod,
    /// The SP's public keys, inline (a JWKS document) …
    #[serde(default)]
    pub jwks: Option<serde_json::Value>,
    /// … or published at this URL.
    #[serde(default)]
    pub jwks_uri: Option<String>,
}

/// How a service provider authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpAuthMethod {
    /// `client_secret_post` or `client_secret_basic`: both are accepted.
    #[default]
    ClientSecretPost,
    ClientSecretBasic,
    /// RFC 7523: a JWT signed by a key of the SP's `jwks` or `jwks_uri`.
    PrivateKeyJwt,
}

fn default_alg() -> Jwa {
    Jwa::ES256
}
fn yes() -> bool {
    true
}
fn default_versions() -> Vec<ApiVersion> {
    vec![ApiVersion::V2]
}

impl ServiceProvider {
    pub fn allows_version(&self, version: ApiVersion) -> bool {
        self.api_versions.contains(&version)
    }

    /// Whether the SP may receive the `amr` claim.
    pub fn may_have_amr(&self) -> bool {
        self.claims.iter().any(|c| c == "amr")
    }

    /// Whether the SP registered every value of `prompt`.
    pub fn allows_prompt(&self, prompt: crate::domain::Prompt) -> bool {
        prompt.values().all(|v| self.allowed_prompts.contains(&v))
    }

    /// Whether the SP's IdP filter lets it use `idp_uid`.
    pub fn allows_idp(&self, idp_uid: &str) -> bool {
        let listed = self.idp_filter_list.iter().any(|u| u == idp_uid);
        if self.idp_filter_exclude {
            !listed
        } else {
            listed
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenAuthMethod {
    ClientSecretPost,
    ClientSecretBasic,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityProvider {
    pub uid: String,
    pub slug: String,
    pub title: String,
    #[serde(default)]
    pub active: bool,
    #[serde(default = "yes")]
    pub display: bool,
    #[serde(default)]
    pub order: i64,
    pub allowed_acr: Vec<Acr>,
    #[serde(default)]
    pub amr: Vec<String>,
    #[serde(default)]
    pub issuer: String,
    #[serde(default)]
    pub authorization_endpoint: String,
    #[serde(default)]
    pub token_endpoint: String,
    #[serde(default)]
    pub userinfo_endpoint: String,
    #[serde(default)]
    pub end_session_endpoint: String,
    #[serde(default)]
    pub jwks_uri: String,
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Secret,
    #[serde(default = "default_auth")]
    pub token_endpoint_auth_method: TokenAuthMethod,
    #[serde(default = "default_idp_alg")]
    pub id_token_signed_response_alg: Jwa,
    #[serde(default)]
    pub redirect_uri: String,
    #[serde(default)]
    pub post_logout_redirect_uri: String,
    /// Where the IdP's discovery document is, when its endpoints are not all given (default:
    /// `{issuer}/.well-known/openid-configuration`). Explicit endpoints win over discovered ones.
    #[serde(default)]
    pub discovery_url: Option<String>,
}

impl IdentityProvider {
    /// Whether some endpoint must come from the IdP's discovery document.
    pub fn needs_discovery(&self) -> bool {
        [
            &self.authorization_endpoint,
            &self.token_endpoint,
            &self.userinfo_endpoint,
            &self.jwks_uri,
        ]
        .iter()
        .any(|e| e.is_empty())
    }

    /// Where its discovery document is.
    pub fn discovery_document_url(&self) -> String {
        self.discovery_url.clone().unwrap_or_else(|| {
            format!(
                "{}/.well-known/openid-configuration",
                self.issuer.trim_end_matches('/')
            )
        })
    }

    /// The highest level this IdP may vouch for.
    pub fn max_acr(&self) -> Option<Acr> {
        self.allowed_acr.iter().copied().max()
    }

    /// The lowest level this IdP may vouch for.
    pub fn min_acr(&self) -> Option<Acr> {
        self.allowed_acr.iter().copied().min()
    }
}

fn default_auth() -> TokenAuthMethod {
    TokenAuthMethod::ClientSecretPost
}
fn default_idp_alg() -> Jwa {
    Jwa::HS256
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataProvider {
    pub uid: String,
    pub title: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub scopes: Vec<String>,
    #[serde(default = "default_alg")]
    pub checktoken_signed_response_alg: Jwa,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    #[serde(default)]
    service_provider: Vec<ServiceProvider>,
    #[serde(default)]
    identity_provider: Vec<IdentityProvider>,
    #[serde(default)]
    data_provider: Vec<DataProvider>,
}

/// Everything the hub knows about its partners.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    pub service_providers: Vec<ServiceProvider>,
    pub identity_providers: Vec<IdentityProvider>,
    pub data_providers: Vec<DataProvider>,
}

impl Registry {
    /// Loads `service-providers.toml`, `identity-providers.toml` and `data-providers.toml` from
    /// `dir` (any of them may be absent), then `extra` on top.
    pub fn load(dir: &Path, extra: Option<&Path>) -> Result<Self, RegistryError> {
        let mut registry = Registry::default();
        for name in [
            "service-providers.toml",
            "identity-providers.toml",
            "data-providers.toml",
        ] {
            let path = dir.join(name);
            if path.exists() {
                registry.add_file(&path)?;
            }
        }
        if let Some(extra) = extra {
            registry.add_file(extra)?;
        }
        registry.validate()?;
        Ok(registry)
    }

    fn add_file(&mut self, path: &Path) -> Result<(), RegistryError> {
        let text = std::fs::read_to_string(path).map_err(|source| RegistryError::Read {
            path: path.to_owned(),
            source,
        })?;
        self.add_toml(&text)
            .map_err(|message| RegistryError::Parse {
                path: path.to_owned(),
                message,
            })
    }

    /// Adds the entries of one TOML document; an entry whose id is already known replaces it.
    pub fn add_toml(&mut self, text: &str) -> Result<(), String> {
        let file: RegistryFile = toml::from_str(text).map_err(|e| e.to_string())?;
        for sp in file.service_provider {
            self.service_providers
                .retain(|s| s.client_id != sp.client_id);
            self.service_providers.push(sp);
        }
        for idp in file.identity_provider {
            self.identity_providers.retain(|i| i.uid != idp.uid);
            self.identity_providers.push(idp);
        }
        for dp in file.data_provider {
            self.data_providers.retain(|d| d.client_id != dp.client_id);
            self.data_providers.push(dp);
        }
        self.identity_providers.sort_by_key(|i| i.order);
        Ok(())
    }

    /// Every entry passes its [`Registration::validate`]; the first fault is reported with the
    /// entry it belongs to.
    pub fn validate(&self) -> Result<(), RegistryError> {
        fn each<T: Registration>(entries: &[T]) -> Result<(), RegistryError> {
            for entry in entries {
                entry.validate().map_err(|e| {
                    RegistryError::Invalid(format!("{} {:?}: {e}", T::KIND.label(), entry.id()))
                })?;
            }
            Ok(())
        }
        each(&self.service_providers)?;
        each(&self.identity_providers)?;
        each(&self.data_providers)
    }

    /// The entries of one kind.
    pub fn entries<T: Registration>(&self) -> &[T] {
        T::list(self)
    }

    /// The entry of kind `T` named `id`.
    pub fn entry<T: Registration>(&self, id: &str) -> Option<&T> {
        T::list(self).iter().find(|e| e.id() == id)
    }

    /// Adds `entry`, or replaces the one with its id (in place, so the order stays).
    pub fn upsert<T: Registration>(&mut self, entry: T) {
        let list = T::list_mut(self);
        match list.iter_mut().find(|e| e.id() == entry.id()) {
            Some(slot) => *slot = entry,
            None => list.push(entry),
        }
        self.identity_providers.sort_by_key(|i| i.order);
    }

    /// Removes the entry of kind `T` named `id`; whether there was one.
    pub fn remove<T: Registration>(&mut self, id: &str) -> bool {
        let list = T::list_mut(self);
        let before = list.len();
        list.retain(|e| e.id() != id);
        list.len() != before
    }

    /// Replaces the URL prefix `from` by `to` in every URL of the registry. The launcher uses it
    /// when the programs do not run on their default ports.
    pub fn replace_url_prefix(&mut self, from: &str, to: &str) {
        let fix = |u: &mut String| {
            if let Some(rest) = u.strip_prefix(from)
                && (rest.is_empty() || rest.starts_with('/'))
            {
                *u = format!("{to}{rest}");
            }
        };
        for sp in &mut self.service_providers {
            sp.redirect_uris.iter_mut().for_each(fix);
            sp.post_logout_redirect_uris.iter_mut().for_each(fix);
        }
        for idp in &mut self.identity_providers {
            for u in [
                &mut idp.issuer,
                &mut idp.authorization_endpoint,
                &mut idp.token_endpoint,
                &mut idp.userinfo_endpoint,
                &mut idp.end_session_endpoint,
                &mut idp.jwks_uri,
                &mut idp.redirect_uri,
                &mut idp.post_logout_redirect_uri,
            ] {
                fix(u);
            }
            if let Some(u) = &mut idp.discovery_url {
                fix(u);
            }
        }
    }

    pub fn service_provider(&self, client_id: &str) -> Option<&ServiceProvider> {
        self.service_providers
            .iter()
            .find(|s| s.client_id == client_id)
    }

    pub fn identity_provider(&self, uid: &str) -> Option<&IdentityProvider> {
        self.identity_providers.iter().find(|i| i.uid == uid)
    }

    pub fn data_provider(&self, client_id: &str) -> Option<&DataProvider> {
        self.data_providers
            .iter()
            .find(|d| d.client_id == client_id)
    }

    /// Every scope some data provider serves: they release no claim, they authorise DP calls.
    pub fn is_data_scope(&self, scope: &str) -> bool {
        self.data_providers
            .iter()
            .any(|d| d.scopes.iter().any(|s| s == scope))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixture_registrations_load() {
        let r = Registry::load(&fc_plumbing::fixture_path("hub"), None).unwrap();
        let sp = r
            .service_provider("6925fb8143c76eded44d32b40c0cb1006065f7f003de52712b78985704f39950")
            .unwrap();
        assert_eq!(sp.id_token_signed_response_alg, Jwa::ES256);
        assert!(
            r.identity_providers
                .iter()
                .any(|i| i.slug == "identity-provider-example" && i.active)
        );
        assert!(r.identity_providers.iter().filter(|i| !i.active).count() >= 5);
        assert!(r.is_data_scope("dgfip_rfr"));
        assert!(!r.is_data_scope("email"));
    }

    #[test]
    fn url_prefixes_are_replaced_on_path_boundaries_only() {
        let mut r = Registry::load(&fc_plumbing::fixture_path("hub"), None).unwrap();
        r.replace_url_prefix("http://localhost:3000", "http://127.0.0.1:4567");
        let sp = &r.service_providers[0];
        assert_eq!(
            sp.redirect_uris,
            vec!["http://127.0.0.1:4567/oidc-callback".to_owned()]
        );
        r.replace_url_prefix("http://localhost:300", "http://x");
        assert_eq!(
            r.service_providers[1].redirect_uris,
            vec!["http://localhost:3001/oidc-callback".to_owned()]
        );
    }

    #[test]
    fn unknown_fields_are_rejected_with_the_file_name() {
        let mut r = Registry::default();
        let err = r
            .add_toml("[[service_provider]]\nclient_idd = \"x\"\n")
            .unwrap_err();
        assert!(err.contains("client_idd"), "{err}");
    }
}
