//! The one validation of a registration, whether it comes from a TOML file at start or from the
//! control API at run time (`docs/admin.md`): each fault names the field it is about, so a
//! person fixing a file or an API call knows where to look.

use std::fmt;

use super::{DataProvider, IdentityProvider, Overrides, Registry, ServiceProvider, SpAuthMethod};

/// What is wrong with one field of a registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field, as named in the TOML files and the API (`redirect_uris[1]`).
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field {}: {}", self.field, self.message)
    }
}

/// The three kinds of partners the hub registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    ServiceProvider,
    IdentityProvider,
    DataProvider,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::ServiceProvider => "service provider",
            Kind::IdentityProvider => "identity provider",
            Kind::DataProvider => "data provider",
        }
    }

    /// The field that names an entry, and the last segment of its API path.
    pub fn id_field(self) -> &'static str {
        match self {
            Kind::ServiceProvider | Kind::DataProvider => "client_id",
            Kind::IdentityProvider => "uid",
        }
    }
}

/// One kind of registration: how it is named, checked and found in a [`Registry`].
pub trait Registration:
    Clone + serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static
{
    const KIND: Kind;
    fn id(&self) -> &str;
    fn validate(&self) -> Result<(), FieldError>;
    fn list(registry: &Registry) -> &Vec<Self>;
    fn list_mut(registry: &mut Registry) -> &mut Vec<Self>;
    /// The entries of this kind added or replaced through the API.
    fn changed_mut(overrides: &mut Overrides) -> &mut Vec<Self>;
}

impl Registration for ServiceProvider {
    const KIND: Kind = Kind::ServiceProvider;

    fn id(&self) -> &str {
        &self.client_id
    }

    fn validate(&self) -> Result<(), FieldError> {
        identifier("client_id", &self.client_id)?;
        // HS256 is keyed by the secret: at least 256 bits (RFC 7518 §3.2).
        min_chars("client_secret", self.client_secret.expose(), 32)?;
        text("name", &self.name)?;
        text("entity_id", &self.entity_id)?;
        tokens("scopes", &self.scopes, true)?;
        if !self.scopes.iter().any(|s| s == "openid") {
            return Err(FieldError::new(
                "scopes",
                "must contain \"openid\" (every FranceConnect login asks for it)",
            ));
        }
        tokens("claims", &self.claims, false)?;
        urls("redirect_uris", &self.redirect_uris, true)?;
        urls(
            "post_logout_redirect_uris",
            &self.post_logout_redirect_uris,
            false,
        )?;
        tokens("idp_filter_list", &self.idp_filter_list, false)?;
        tokens("allowed_idp_hints", &self.allowed_idp_hints, false)?;
        if self.api_versions.is_empty() {
            return Err(FieldError::new(
                "api_versions",
                "must name at least one of \"v1\", \"v2\"",
            ));
        }
        if self.token_endpoint_auth_method == SpAuthMethod::PrivateKeyJwt
            && self.jwks.is_none()
            && self.jwks_uri.is_none()
        {
            return Err(FieldError::new(
                "jwks",
                "is required with private_key_jwt (or jwks_uri)",
            ));
        }
        if let Some(jwks) = &self.jwks
            && !jwks.get("keys").is_some_and(serde_json::Value::is_array)
        {
            return Err(FieldError::new(
                "jwks",
                "must be a JWKS document with a \"keys\" array",
            ));
        }
        if let Some(uri) = &self.jwks_uri {
            url("jwks_uri", uri)?;
        }
        Ok(())
    }

    fn list(registry: &Registry) -> &Vec<Self> {
        &registry.service_providers
    }

    fn list_mut(registry: &mut Registry) -> &mut Vec<Self> {
        &mut registry.service_providers
    }

    fn changed_mut(overrides: &mut Overrides) -> &mut Vec<Self> {
        &mut overrides.service_provider
    }
}

impl Registration for IdentityProvider {
    const KIND: Kind = Kind::IdentityProvider;

    fn id(&self) -> &str {
        &self.uid
    }

    fn validate(&self) -> Result<(), FieldError> {
        identifier("uid", &self.uid)?;
        identifier("slug", &self.slug)?;
        text("title", &self.title)?;
        if self.allowed_acr.is_empty() {
            return Err(FieldError::new(
                "allowed_acr",
                "must name at least one eIDAS level",
            ));
        }
        tokens("amr", &self.amr, false)?;
        if self.active {
            // Endpoints left out come from the IdP's discovery document: it needs an address.
            if self.issuer.is_empty() && self.discovery_url.is_none() {
                return Err(FieldError::new(
                    "issuer",
                    "is required for an active identity provider (or discovery_url)",
                ));
            }
            for (field, value) in [
                ("client_id", &self.client_id),
                ("redirect_uri", &self.redirect_uri),
            ] {
                if value.is_empty() {
                    return Err(FieldError::new(
                        field,
                        "is required for an active identity provider",
                    ));
                }
            }
        }
        let urls = [
            ("issuer", &self.issuer),
            ("authorization_endpoint", &self.authorization_endpoint),
            ("token_endpoint", &self.token_endpoint),
            ("userinfo_endpoint", &self.userinfo_endpoint),
            ("end_session_endpoint", &self.end_session_endpoint),
            ("jwks_uri", &self.jwks_uri),
            ("redirect_uri", &self.redirect_uri),
            ("post_logout_redirect_uri", &self.post_logout_redirect_uri),
        ];
        for (field, value) in urls {
            if !value.is_empty() {
                url(field, value)?;
            }
        }
        if let Some(discovery) = &self.discovery_url {
            url("discovery_url", discovery)?;
        }
        Ok(())
    }

    fn list(registry: &Registry) -> &Vec<Self> {
        &registry.identity_providers
    }

    fn list_mut(registry: &mut Registry) -> &mut Vec<Self> {
        &mut registry.identity_providers
    }

    fn changed_mut(overrides: &mut Overrides) -> &mut Vec<Self> {
        &mut overrides.identity_provider
    }
}

impl Registration for DataProvider {
    const KIND: Kind = Kind::DataProvider;

    fn id(&self) -> &str {
        &self.client_id
    }

    fn validate(&self) -> Result<(), FieldError> {
        identifier("uid", &self.uid)?;
        text("title", &self.title)?;
        identifier("client_id", &self.client_id)?;
        min_chars("client_secret", self.client_secret.expose(), 32)?;
        tokens("scopes", &self.scopes, true)
    }

    fn list(registry: &Registry) -> &Vec<Self> {
        &registry.data_providers
    }

    fn list_mut(registry: &mut Registry) -> &mut Vec<Self> {
        &mut registry.data_providers
    }

    fn changed_mut(overrides: &mut Overrides) -> &mut Vec<Self> {
        &mut overrides.data_provider
    }
}

const MAX_CHARS: usize = 256;

/// An id that also appears in API paths: letters, digits and `-._~` (RFC 3986's unreserved).
fn identifier(field: &str, value: &str) -> Result<(), FieldError> {
    if value.is_empty() || value.chars().count() > MAX_CHARS {
        return Err(FieldError::new(
            field,
            format!("must hold 1 to {MAX_CHARS} characters"),
        ));
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
    {
        return Err(FieldError::new(
            field,
            "may only hold letters, digits and - . _ ~",
        ));
    }
    Ok(())
}

fn text(field: &str, value: &str) -> Result<(), FieldError> {
    if value.trim().is_empty() || value.chars().count() > MAX_CHARS {
        return Err(FieldError::new(
            field,
            format!("must hold 1 to {MAX_CHARS} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(FieldError::new(field, "must not hold control characters"));
    }
    Ok(())
}

fn min_chars(field: &str, value: &str, min: usize) -> Result<(), FieldError> {
    if value.chars().count() < min || value.chars().count() > MAX_CHARS {
        return Err(FieldError::new(
            field,
            format!("must hold {min} to {MAX_CHARS} characters"),
        ));
    }
    Ok(())
}

/// A list of OAuth-style tokens (scopes, claims, ids): no spaces, nothing empty.
fn tokens(field: &str, values: &[String], required: bool) -> Result<(), FieldError> {
    if required && values.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    for (i, value) in values.iter().enumerate() {
        if value.is_empty()
            || value.chars().count() > MAX_CHARS
            || value.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(FieldError::new(
                format!("{field}[{i}]"),
                "must be a non-empty value without spaces",
            ));
        }
    }
    Ok(())
}

fn urls(field: &str, values: &[String], required: bool) -> Result<(), FieldError> {
    if required && values.is_empty() {
        return Err(FieldError::new(field, "must hold at least one URL"));
    }
    for (i, value) in values.iter().enumerate() {
        url(&format!("{field}[{i}]"), value)?;
    }
    Ok(())
}

/// An absolute http(s) URL without fragment (RFC 6749 §3.1.2: redirection endpoints have none).
fn url(field: &str, value: &str) -> Result<(), FieldError> {
    let parsed = url::Url::parse(value)
        .map_err(|e| FieldError::new(field, format!("is not an absolute URL ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") || !parsed.has_host() {
        return Err(FieldError::new(field, "must be an http or https URL"));
    }
    if parsed.fragment().is_some() {
        return Err(FieldError::new(field, "must not have a fragment (#…)"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp() -> ServiceProvider {
        let registry = Registry::load(&fc_plumbing::fixture_path("hub"), None).unwrap();
        registry.service_providers[0].clone()
    }

    type Breakage = Box<dyn Fn(&mut ServiceProvider)>;

    #[test]
    fn each_fault_names_its_field() {
        let cases: Vec<(&str, Breakage)> = vec![
            ("client_id", Box::new(|s| s.client_id = "a b".into())),
            ("client_id", Box::new(|s| s.client_id = String::new())),
            (
                "client_secret",
                Box::new(|s| s.client_secret = "short".into()),
            ),
            ("name", Box::new(|s| s.name = "  ".into())),
            ("entity_id", Box::new(|s| s.entity_id = String::new())),
            ("scopes", Box::new(|s| s.scopes = vec![])),
            ("scopes", Box::new(|s| s.scopes = vec!["email".into()])),
            ("scopes[1]", Box::new(|s| s.scopes[1] = "a b".into())),
            ("redirect_uris", Box::new(|s| s.redirect_uris = vec![])),
            (
                "redirect_uris[0]",
                Box::new(|s| s.redirect_uris = vec!["/relative".into()]),
            ),
            (
                "redirect_uris[0]",
                Box::new(|s| s.redirect_uris = vec!["javascript:alert(1)".into()]),
            ),
            (
                "redirect_uris[0]",
                Box::new(|s| s.redirect_uris = vec!["https://sp/cb#x".into()]),
            ),
            (
                "post_logout_redirect_uris[0]",
                Box::new(|s| s.post_logout_redirect_uris = vec!["nope".into()]),
            ),
            ("api_versions", Box::new(|s| s.api_versions = vec![])),
        ];
        for (field, break_it) in cases {
            let mut entry = sp();
            assert_eq!(entry.validate(), Ok(()));
            break_it(&mut entry);
            let err = entry.validate().unwrap_err();
            assert_eq!(err.field, field, "{err}");
        }
    }

    #[test]
    fn an_active_idp_needs_an_address_and_a_file_says_which_entry_is_wrong() {
        let mut registry = Registry::load(&fc_plumbing::fixture_path("hub"), None).unwrap();
        let mut idp = registry.identity_providers[0].clone();
        idp.token_endpoint = String::new();
        assert_eq!(idp.validate(), Ok(()), "left out: discovered");
        idp.issuer = String::new();
        assert_eq!(idp.validate().unwrap_err().field, "issuer");
        idp.discovery_url = Some("http://idp/.well-known/openid-configuration".into());
        assert_eq!(idp.validate(), Ok(()));
        idp.token_endpoint = "ftp://x/token".into();
        assert_eq!(idp.validate().unwrap_err().field, "token_endpoint");
        registry.upsert(idp);
        let err = registry.validate().unwrap_err().to_string();
        assert!(
            err.contains("identity provider") && err.contains("token_endpoint"),
            "{err}"
        );
    }
}
