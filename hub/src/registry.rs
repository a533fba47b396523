//! Registrations of service providers, identity providers and data providers (`docs/hub.md`,
//! "Registrations"), read from human-edited TOML files (`fixtures/hub/*.toml`), plus an optional
//! extra file layered on top, which is how integrators register their own SP, plus the changes
//! made through the control API ([`overrides`], `docs/admin.md`). Every entry, from a file or from
//! the API, passes the same [`validation`].

pub mod overrides;
pub mod validation;

use std::path::{Path, PathBuf};

use fc_plumbing::jwe::{ContentEnc, EncryptionJwk, KeyAlg};
use fc_plumbing::{Jwa, Secret};
use serde::{Deserialize, Deserializer, Serialize};

use crate::domain::{Acr, ApiVersion, PromptValue};
use crate::instance::Instance;
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
    /// … or published at this URL. Used for `private_key_jwt` and, on FranceConnect+, to
    /// encrypt to the SP's `use=enc` keys.
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// FranceConnect+: the ID token is a JWE with this `alg` (an empty string: not encrypted).
    #[serde(default, deserialize_with = "empty_as_none")]
    pub id_token_encrypted_response_alg: Option<KeyAlg>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub id_token_encrypted_response_enc: Option<ContentEnc>,
    /// FranceConnect+: the userinfo answer is a JWE with this `alg`.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub userinfo_encrypted_response_alg: Option<KeyAlg>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub userinfo_encrypted_response_enc: Option<ContentEnc>,
}

/// How a token is encrypted to its recipient: the pair a registration names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encryption {
    pub alg: KeyAlg,
    pub enc: ContentEnc,
}

/// FranceConnect reads an empty string in a registration as "not set".
fn empty_as_none<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let text: Option<String> = Option::deserialize(deserializer)?;
    match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) => value.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// The encryption a pair of registration fields asks for; one without the other is an error.
fn encryption_pair(
    who: &str,
    field: &str,
    alg: Option<KeyAlg>,
    enc: Option<ContentEnc>,
) -> Result<Option<Encryption>, RegistryError> {
    match (alg, enc) {
        (None, None) => Ok(None),
        (Some(alg), Some(enc)) => Ok(Some(Encryption { alg, enc })),
        _ => Err(RegistryError::Invalid(format!(
            "{who}: {field}_alg and {field}_enc go together (e.g. \"ECDH-ES\" and \"A256GCM\")"
        ))),
    }
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

    /// How its ID tokens are encrypted, if they are.
    pub fn id_token_encryption(&self) -> Option<Encryption> {
        let (alg, enc) = (
            self.id_token_encrypted_response_alg,
            self.id_token_encrypted_response_enc,
        );
        Some(Encryption {
            alg: alg?,
            enc: enc?,
        })
    }

    /// How its userinfo answers are encrypted, if they are.
    pub fn userinfo_encryption(&self) -> Option<Encryption> {
        let (alg, enc) = (
            self.userinfo_encrypted_response_alg,
            self.userinfo_encrypted_response_enc,
        );
        Some(Encryption {
            alg: alg?,
            enc: enc?,
        })
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
    /// The checktoken answer is a JWE with this `alg` (FranceConnect v2; empty: not encrypted).
    #[serde(default, deserialize_with = "empty_as_none")]
    pub checktoken_encrypted_response_alg: Option<KeyAlg>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub checktoken_encrypted_response_enc: Option<ContentEnc>,
    /// Where the DP publishes its encryption keys (`use=enc`).
    #[serde(default)]
    pub jwks_uri: Option<String>,
}

impl DataProvider {
    /// How its checktoken answers are encrypted, if they are.
    pub fn checktoken_encryption(&self) -> Option<Encryption> {
        let (alg, enc) = (
            self.checktoken_encrypted_response_alg,
            self.checktoken_encrypted_response_enc,
        );
        Some(Encryption {
            alg: alg?,
            enc: enc?,
        })
    }
}

fn check_offer(
    who: &str,
    offer: crate::instance::EncryptionOffer,
    asked: Encryption,
    instance: Instance,
) -> Result<(), RegistryError> {
    if offer.algs.contains(&asked.alg) && offer.encs.contains(&asked.enc) {
        return Ok(());
    }
    Err(RegistryError::Invalid(format!(
        "{who}: encryption {}/{} is not offered by {instance} (alg ECDH-ES, RSA-OAEP or \
         RSA-OAEP-256; enc A256GCM)",
        asked.alg, asked.enc
    )))
}

/// Encryption needs the recipient's public keys: inline ones must hold a key for the algorithm
/// now; a `jwks_uri` is fetched at login (and a failure then is a clear error, not a panic).
fn check_keys(
    who: &str,
    jwks: Option<&serde_json::Value>,
    jwks_uri: Option<&str>,
    alg: KeyAlg,
) -> Result<(), RegistryError> {
    match (jwks, jwks_uri) {
        (Some(doc), _) => EncryptionJwk::from_jwks(doc, alg).map(|_| ()).map_err(|e| {
            RegistryError::Invalid(format!("{who}: its jwks has no key to encrypt to: {e}"))
        }),
        (None, Some(uri)) if uri.starts_with("http://") || uri.starts_with("https://") => Ok(()),
        (None, Some(uri)) => Err(RegistryError::Invalid(format!(
            "{who}: jwks_uri {uri:?} is not an http(s) URL"
        ))),
        (None, None) => Err(RegistryError::Invalid(format!(
            "{who} asks for {alg} encryption but registers no keys to encrypt to: add jwks_uri \
             (the URL of its public keys, use \"enc\")"
        ))),
    }
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

    /// Checks the registrations against what `instance` offers: its signing algorithms (ES256
    /// only on FranceConnect+), encryption (FranceConnect+ only for service providers, both for
    /// data providers), with keys to encrypt to. Each refusal names the partner and the field.
    pub fn check_for(&self, instance: Instance) -> Result<(), RegistryError> {
        let offered = instance.signing_algs();
        let names = |algs: &[Jwa]| {
            algs.iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        for sp in self.service_providers.iter().filter(|s| s.active) {
            let who = format!("service provider {:?}", sp.name);
            for (field, alg) in [
                (
                    "id_token_signed_response_alg",
                    sp.id_token_signed_response_alg,
                ),
                (
                    "userinfo_signed_response_alg",
                    sp.userinfo_signed_response_alg,
                ),
            ] {
                if !offered.contains(&alg) {
                    return Err(RegistryError::Invalid(format!(
                        "{who}: {field} = {alg} is not offered by {instance} ({})",
                        names(offered)
                    )));
                }
            }
            let pairs = [
                encryption_pair(
                    &who,
                    "id_token_encrypted_response",
                    sp.id_token_encrypted_response_alg,
                    sp.id_token_encrypted_response_enc,
                )?,
                encryption_pair(
                    &who,
                    "userinfo_encrypted_response",
                    sp.userinfo_encrypted_response_alg,
                    sp.userinfo_encrypted_response_enc,
                )?,
            ];
            let asked: Vec<Encryption> = pairs.into_iter().flatten().collect();
            if asked.is_empty() {
                continue;
            }
            let Some(offer) = instance.sp_encryption() else {
                return Err(RegistryError::Invalid(format!(
                    "{who} asks for encrypted tokens, which {instance} does not offer: \
                     register it on FranceConnect+ (--instance franceconnect-plus) or drop the \
                     *_encrypted_response_* fields"
                )));
            };
            for e in &asked {
                check_offer(&who, offer, *e, instance)?;
                check_keys(&who, sp.jwks.as_ref(), sp.jwks_uri.as_deref(), e.alg)?;
            }
        }
        for dp in &self.data_providers {
            let who = format!("data provider {:?}", dp.title);
            let alg = dp.checktoken_signed_response_alg;
            if alg == Jwa::HS256 || !offered.contains(&alg) {
                let asymmetric: Vec<Jwa> = offered
                    .iter()
                    .copied()
                    .filter(|a| *a != Jwa::HS256)
                    .collect();
                return Err(RegistryError::Invalid(format!(
                    "{who}: checktoken_signed_response_alg = {alg} is not offered by {instance} \
                     for checktoken ({})",
                    names(&asymmetric)
                )));
            }
            if let Some(e) = encryption_pair(
                &who,
                "checktoken_encrypted_response",
                dp.checktoken_encrypted_response_alg,
                dp.checktoken_encrypted_response_enc,
            )? {
                check_offer(&who, instance.dp_encryption(), e, instance)?;
                check_keys(&who, None, dp.jwks_uri.as_deref(), e.alg)?;
            }
        }
        Ok(())
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
            sp.jwks_uri.iter_mut().for_each(fix);
        }
        for dp in &mut self.data_providers {
            dp.jwks_uri.iter_mut().for_each(fix);
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

    fn plus() -> Registry {
        Registry::load(&fc_plumbing::fixture_path("hub-plus"), None).unwrap()
    }

    fn refusal(registry: &Registry, instance: Instance) -> String {
        registry.check_for(instance).unwrap_err().to_string()
    }

    #[test]
    fn each_instance_accepts_its_own_fixture_registrations() {
        let fc = Registry::load(&fc_plumbing::fixture_path("hub"), None).unwrap();
        fc.check_for(Instance::FranceConnect).unwrap();
        let dp = &fc.data_providers[0];
        assert_eq!(
            dp.checktoken_encryption(),
            Some(Encryption {
                alg: KeyAlg::EcdhEs,
                enc: ContentEnc::A256Gcm
            })
        );
        let plus = plus();
        plus.check_for(Instance::FranceConnectPlus).unwrap();
        assert!(plus.service_providers[0].id_token_encryption().is_some());
        // FranceConnect's HS256 and RS256 SPs are refused by FranceConnect+ …
        let err = refusal(&fc, Instance::FranceConnectPlus);
        assert!(
            err.contains("is not offered by FranceConnect+ (ES256)"),
            "{err}"
        );
        // … and FranceConnect does not encrypt to SPs.
        let err = refusal(&plus, Instance::FranceConnect);
        assert!(err.contains("asks for encrypted tokens"), "{err}");
    }

    #[test]
    fn encryption_needs_both_fields_keys_and_an_offered_algorithm() {
        let sp = |extra: &str| {
            let mut r = plus();
            let toml = format!(
                "[[service_provider]]\nclient_id = \"x\"\nclient_secret = \"s\"\nname = \"X\"\n\
                 entity_id = \"e\"\ntype = \"public\"\nscopes = [\"openid\"]\n\
                 redirect_uris = [\"http://x/cb\"]\n{extra}"
            );
            r.add_toml(&toml).map(|()| r)
        };
        let r = sp("id_token_encrypted_response_alg = \"ECDH-ES\"").unwrap();
        let err = refusal(&r, Instance::FranceConnectPlus);
        assert!(err.contains("go together"), "{err}");
        let r = sp("userinfo_encrypted_response_alg = \"RSA-OAEP\"\nuserinfo_encrypted_response_enc = \"A256GCM\"").unwrap();
        let err = refusal(&r, Instance::FranceConnectPlus);
        assert!(err.contains("registers no keys to encrypt to"), "{err}");
        let r = sp("id_token_encrypted_response_alg = \"ECDH-ES\"\nid_token_encrypted_response_enc = \"A256GCM\"\njwks = { keys = [] }").unwrap();
        let err = refusal(&r, Instance::FranceConnectPlus);
        assert!(err.contains("no key to encrypt to"), "{err}");
        let err = sp("id_token_encrypted_response_alg = \"A128KW\"").unwrap_err();
        assert!(err.contains("ECDH-ES, RSA-OAEP or RSA-OAEP-256"), "{err}");
        // Empty strings mean "not encrypted", as in FranceConnect's registrations.
        let r =
            sp("id_token_encrypted_response_alg = \"\"\nid_token_encrypted_response_enc = \"\"")
                .unwrap();
        r.check_for(Instance::FranceConnectPlus).unwrap();
        let r = sp("id_token_signed_response_alg = \"HS256\"").unwrap();
        let err = refusal(&r, Instance::FranceConnectPlus);
        assert!(
            err.contains("\"X\": id_token_signed_response_alg = HS256"),
            "{err}"
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
