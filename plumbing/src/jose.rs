//! JOSE: signing keys, compact JWS signing and verification, JWKS.
//!
//! `openidconnect` can verify ES256 but has no EC *signing* key, so [`EcKey`] implements its
//! [`PrivateSigningKey`] over `p256`; RS256 uses the crate's own `CoreRsaPrivateSigningKey` and
//! HS256 its `CoreHmacKey` (keyed by the client secret, as FranceConnect does). Every JWT the demo
//! issues goes through [`sign_jwt`], so ID tokens, userinfo JWTs and checktoken answers share one
//! code path. The algorithm used to verify is always pinned by the verifier, never read from the
//! token header (RFC 8725 §3.1).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{
    CoreHmacKey, CoreJsonCurveType, CoreJsonWebKey, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
    CoreRsaPrivateSigningKey,
};
use openidconnect::{JsonWebKey, JsonWebKeyId, PrivateSigningKey, SigningError};
use p256::ecdsa::signature::Signer as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The JWS algorithms FranceConnect uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Jwa {
    ES256,
    RS256,
    HS256,
}

impl Jwa {
    pub fn as_str(self) -> &'static str {
        match self {
            Jwa::ES256 => "ES256",
            Jwa::RS256 => "RS256",
            Jwa::HS256 => "HS256",
        }
    }

    pub fn core(self) -> CoreJwsSigningAlgorithm {
        match self {
            Jwa::ES256 => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            Jwa::RS256 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            Jwa::HS256 => CoreJwsSigningAlgorithm::HmacSha256,
        }
    }
}

impl std::str::FromStr for Jwa {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ES256" => Ok(Jwa::ES256),
            "RS256" => Ok(Jwa::RS256),
            "HS256" => Ok(Jwa::HS256),
            other => Err(format!(
                "unsupported algorithm {other:?} (ES256, RS256 or HS256)"
            )),
        }
    }
}

impl std::fmt::Display for Jwa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JoseError {
    #[error("key error: {0}")]
    Key(String),
    #[error("signing failed: {0}")]
    Signing(String),
    #[error("malformed JWT: {0}")]
    Malformed(&'static str),
    #[error("unexpected JWT algorithm {found:?}, expected {expected}")]
    Algorithm { found: String, expected: Jwa },
    #[error("no key matches the JWT (kid {0:?})")]
    UnknownKey(Option<String>),
    #[error("signature verification failed")]
    BadSignature,
}

/// A P-256 signing key usable by `openidconnect`.
#[derive(Clone)]
pub struct EcKey {
    key: p256::ecdsa::SigningKey,
    kid: String,
}

impl EcKey {
    pub fn generate(kid: impl Into<String>) -> Self {
        use p256::elliptic_curve::Generate;
        Self {
            key: p256::ecdsa::SigningKey::generate(),
            kid: kid.into(),
        }
    }

    /// Loads a key from its 32-byte scalar, hex encoded (the format [`EcKey::to_hex`] writes).
    pub fn from_hex(hex_scalar: &str, kid: impl Into<String>) -> Result<Self, JoseError> {
        let bytes = hex::decode(hex_scalar.trim()).map_err(|e| JoseError::Key(e.to_string()))?;
        let key = p256::ecdsa::SigningKey::from_slice(&bytes)
            .map_err(|e| JoseError::Key(e.to_string()))?;
        Ok(Self {
            key,
            kid: kid.into(),
        })
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.key.to_bytes())
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    fn public_xy(&self) -> (Vec<u8>, Vec<u8>) {
        let point = self.key.verifying_key().to_sec1_point(false);
        let bytes = point.as_bytes();
        // Uncompressed SEC1: 0x04 || x (32) || y (32).
        let (x, y) = bytes
            .get(1..)
            .unwrap_or_default()
            .split_at(32.min(bytes.len().saturating_sub(1)));
        (x.to_vec(), y.to_vec())
    }

    /// The public JWK, with `use` and `alg` as FranceConnect publishes them.
    pub fn public_jwk(&self) -> Value {
        let (x, y) = self.public_xy();
        json!({"kty": "EC", "crv": "P-256", "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
               "kid": self.kid, "use": "sig", "alg": "ES256"})
    }
}

impl PrivateSigningKey for EcKey {
    type VerificationKey = CoreJsonWebKey;

    fn sign(&self, alg: &CoreJwsSigningAlgorithm, message: &[u8]) -> Result<Vec<u8>, SigningError> {
        match alg {
            // JWS wants the fixed-size r || s form, not DER (RFC 7518 §3.4).
            CoreJwsSigningAlgorithm::EcdsaP256Sha256 => {
                let signature: p256::ecdsa::Signature = self.key.sign(message);
                Ok(signature.to_bytes().to_vec())
            }
            other => Err(SigningError::UnsupportedAlg(format!("{other:?}"))),
        }
    }

    fn as_verification_key(&self) -> CoreJsonWebKey {
        let (x, y) = self.public_xy();
        CoreJsonWebKey::new_ec(
            x,
            y,
            CoreJsonCurveType::P256,
            Some(JsonWebKeyId::new(self.kid.clone())),
        )
    }
}

/// An RSA signing key, kept with its PKCS#1 PEM so it can be written to disk.
#[derive(Clone)]
pub struct RsaKey {
    key: std::sync::Arc<CoreRsaPrivateSigningKey>,
    pem: String,
    kid: String,
}

impl RsaKey {
    pub fn generate(kid: impl Into<String>) -> Result<Self, JoseError> {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        let private = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)
            .map_err(|e| JoseError::Key(e.to_string()))?;
        let pem = private
            .to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
            .map_err(|e| JoseError::Key(e.to_string()))?
            .to_string();
        Self::from_pem(&pem, kid)
    }

    /// Loads a PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`).
    pub fn from_pem(pem: &str, kid: impl Into<String>) -> Result<Self, JoseError> {
        let kid = kid.into();
        let key = CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new(kid.clone())))
            .map_err(JoseError::Key)?;
        Ok(Self {
            key: std::sync::Arc::new(key),
            pem: pem.to_owned(),
            kid,
        })
    }

    pub fn pem(&self) -> &str {
        &self.pem
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn public_jwk(&self) -> Value {
        let mut jwk =
            serde_json::to_value(self.key.as_verification_key()).unwrap_or_else(|_| json!({}));
        if let Some(map) = jwk.as_object_mut() {
            map.insert("use".into(), json!("sig"));
            map.insert("alg".into(), json!("RS256"));
        }
        jwk
    }
}

/// The asymmetric keys of a program: one ES256 and one RS256 key, both published in its JWKS.
#[derive(Clone)]
pub struct KeySet {
    pub ec: EcKey,
    rsa: std::sync::Arc<LazyRsa>,
}

/// An RSA key generated on a background thread: RSA-2048 generation takes from 0.1 to over 1 s,
/// and a program should be ready before that. The first use waits for it.
struct LazyRsa {
    kid: String,
    key: std::sync::OnceLock<Result<RsaKey, String>>,
    pending: std::sync::Mutex<Option<std::thread::JoinHandle<Result<RsaKey, JoseError>>>>,
}

impl LazyRsa {
    fn ready(key: RsaKey) -> Self {
        Self {
            kid: key.kid().to_owned(),
            key: std::sync::OnceLock::from(Ok(key)),
            pending: std::sync::Mutex::new(None),
        }
    }

    /// Starts generating; `then` runs on the new key in the background (e.g. to save it).
    fn spawn(
        kid: String,
        then: impl FnOnce(&RsaKey) -> Result<(), JoseError> + Send + 'static,
    ) -> Self {
        let thread_kid = kid.clone();
        let handle = std::thread::spawn(move || {
            let key = RsaKey::generate(thread_kid)?;
            then(&key)?;
            Ok(key)
        });
        Self {
            kid,
            key: std::sync::OnceLock::new(),
            pending: std::sync::Mutex::new(Some(handle)),
        }
    }

    fn get(&self) -> Result<&RsaKey, JoseError> {
        self.key
            .get_or_init(|| {
                let handle = self
                    .pending
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take();
                match handle.map(std::thread::JoinHandle::join) {
                    Some(Ok(Ok(key))) => Ok(key),
                    Some(Ok(Err(e))) => Err(e.to_string()),
                    Some(Err(_)) => Err("RSA key generation panicked".into()),
                    None => Err("RSA key generation was lost".into()),
                }
            })
            .as_ref()
            .map_err(|e| JoseError::Key(e.clone()))
    }
}

impl KeySet {
    /// Fresh keys; `prefix` names them (`{prefix}:ES256`, `{prefix}:RS256`). The RSA key is
    /// generated in the background.
    pub fn generate(prefix: &str) -> Result<Self, JoseError> {
        Ok(Self {
            ec: EcKey::generate(format!("{prefix}:ES256")),
            rsa: std::sync::Arc::new(LazyRsa::spawn(format!("{prefix}:RS256"), |_| Ok(()))),
        })
    }

    /// Keys kept in `dir` (`{prefix}-es256.hex`, `{prefix}-rs256.pem`): loaded when present, else
    /// generated and written there, so tokens signed before a restart still verify after it.
    pub fn load_or_generate(dir: &std::path::Path, prefix: &str) -> Result<Self, JoseError> {
        let io = |e: std::io::Error| JoseError::Key(format!("{}: {e}", dir.display()));
        std::fs::create_dir_all(dir).map_err(io)?;
        let ec_path = dir.join(format!("{prefix}-es256.hex"));
        let rsa_path = dir.join(format!("{prefix}-rs256.pem"));
        let ec = match std::fs::read_to_string(&ec_path) {
            Ok(text) => EcKey::from_hex(&text, format!("{prefix}:ES256"))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = EcKey::generate(format!("{prefix}:ES256"));
                write_private(&ec_path, &key.to_hex()).map_err(io)?;
                key
            }
            Err(e) => return Err(io(e)),
        };
        let rsa = match std::fs::read_to_string(&rsa_path) {
            Ok(pem) => LazyRsa::ready(RsaKey::from_pem(&pem, format!("{prefix}:RS256"))?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let shown = rsa_path.display().to_string();
                LazyRsa::spawn(format!("{prefix}:RS256"), move |key| {
                    write_private(&rsa_path, key.pem())
                        .map_err(|e| JoseError::Key(format!("{shown}: {e}")))
                })
            }
            Err(e) => return Err(io(e)),
        };
        Ok(Self {
            ec,
            rsa: std::sync::Arc::new(rsa),
        })
    }

    /// The RSA key, waiting for its generation if needed.
    pub fn rsa(&self) -> Result<&RsaKey, JoseError> {
        self.rsa.get()
    }

    /// The JWKS document (`{"keys": [...]}`); waits for the RSA key.
    pub fn jwks(&self) -> Value {
        match self.rsa() {
            Ok(rsa) => json!({"keys": [self.ec.public_jwk(), rsa.public_jwk()]}),
            Err(e) => {
                tracing::error!("RSA key unavailable, JWKS without it: {e}");
                json!({"keys": [self.ec.public_jwk()]})
            }
        }
    }

    /// The signer for `alg`; HS256 needs the client secret.
    pub fn signer<'a>(&'a self, alg: Jwa, client_secret: &'a str) -> Signer<'a> {
        match alg {
            Jwa::ES256 => Signer::Ec(&self.ec),
            Jwa::RS256 => Signer::KeySetRsa(self),
            Jwa::HS256 => Signer::Hmac(client_secret),
        }
    }
}

/// Writes a private key readable by its owner only.
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

/// What signs one JWT.
pub enum Signer<'a> {
    Ec(&'a EcKey),
    Rsa(&'a RsaKey),
    /// The RSA key of a [`KeySet`], which may still be being generated.
    KeySetRsa(&'a KeySet),
    /// HS256 keyed by a client secret (its UTF-8 bytes, as FranceConnect and node-jose do).
    Hmac(&'a str),
}

impl Signer<'_> {
    pub fn alg(&self) -> Jwa {
        match self {
            Signer::Ec(_) => Jwa::ES256,
            Signer::Rsa(_) | Signer::KeySetRsa(_) => Jwa::RS256,
            Signer::Hmac(_) => Jwa::HS256,
        }
    }
}

/// Signs `claims` as a compact JWS with header `{alg, kid, typ: "JWT"}` (no `kid` for HS256).
pub fn sign_jwt(signer: &Signer<'_>, claims: &impl Serialize) -> Result<String, JoseError> {
    let alg = signer.alg();
    let header = match signer {
        Signer::Ec(k) => json!({"alg": alg.as_str(), "kid": k.kid(), "typ": "JWT"}),
        Signer::Rsa(k) => json!({"alg": alg.as_str(), "kid": k.kid(), "typ": "JWT"}),
        Signer::KeySetRsa(k) => json!({"alg": alg.as_str(), "kid": k.rsa.kid, "typ": "JWT"}),
        Signer::Hmac(_) => json!({"alg": alg.as_str(), "typ": "JWT"}),
    };
    let header = serde_json::to_vec(&header).map_err(|e| JoseError::Signing(e.to_string()))?;
    let payload = serde_json::to_vec(claims).map_err(|e| JoseError::Signing(e.to_string()))?;
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let signature = match signer {
        Signer::Ec(k) => k.sign(&alg.core(), signing_input.as_bytes()),
        Signer::Rsa(k) => k.key.sign(&alg.core(), signing_input.as_bytes()),
        Signer::KeySetRsa(k) => k.rsa()?.key.sign(&alg.core(), signing_input.as_bytes()),
        Signer::Hmac(secret) => {
            CoreHmacKey::new(secret.as_bytes()).sign(&alg.core(), signing_input.as_bytes())
        }
    }
    .map_err(|e| JoseError::Signing(e.to_string()))?;
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

/// A JWT split and decoded, without any check: for display and for picking a key.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedJwt {
    pub header: Value,
    pub payload: Value,
}

/// Decodes a compact JWS without verifying it.
pub fn decode_unverified(jwt: &str) -> Result<DecodedJwt, JoseError> {
    let mut parts = jwt.split('.');
    let (Some(h), Some(p), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JoseError::Malformed("a JWS has three parts"));
    };
    let decode = |s: &str| -> Result<Value, JoseError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(s.trim_end_matches('='))
            .map_err(|_| JoseError::Malformed("invalid base64url"))?;
        serde_json::from_slice(&bytes).map_err(|_| JoseError::Malformed("invalid JSON"))
    };
    Ok(DecodedJwt {
        header: decode(h)?,
        payload: decode(p)?,
    })
}

/// Verifies a compact JWS whose algorithm must be `expected`, with a key of `jwks` (matched by
/// `kid` when the header has one) or, for HS256, with `hmac_secret`. Returns the payload.
pub fn verify_jwt(
    jwt: &str,
    expected: Jwa,
    jwks: &CoreJsonWebKeySet,
    hmac_secret: Option<&str>,
) -> Result<Value, JoseError> {
    let decoded = decode_unverified(jwt)?;
    let found = decoded
        .header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or("");
    if found != expected.as_str() {
        return Err(JoseError::Algorithm {
            found: found.to_owned(),
            expected,
        });
    }
    let (signing_input, signature) = jwt
        .rsplit_once('.')
        .ok_or(JoseError::Malformed("no signature"))?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| JoseError::Malformed("invalid signature encoding"))?;
    // openidconnect's HMAC check asserts on the length: a short signature must be an error, not a panic.
    let expected_len = match expected {
        Jwa::HS256 => Some(32),
        Jwa::ES256 => Some(64),
        Jwa::RS256 => None,
    };
    if expected_len.is_some_and(|n| signature.len() != n) {
        return Err(JoseError::BadSignature);
    }
    let kid = decoded.header.get("kid").and_then(Value::as_str);
    let ok = if expected == Jwa::HS256 {
        let secret = hmac_secret.ok_or(JoseError::UnknownKey(None))?;
        CoreHmacKey::new(secret.as_bytes())
            .as_verification_key()
            .verify_signature(&expected.core(), signing_input.as_bytes(), &signature)
            .is_ok()
    } else {
        let candidates: Vec<&CoreJsonWebKey> = jwks
            .keys()
            .iter()
            .filter(|k| kid.is_none() || k.key_id().map(|id| id.as_str()) == kid)
            .collect();
        if candidates.is_empty() {
            return Err(JoseError::UnknownKey(kid.map(str::to_owned)));
        }
        candidates.iter().any(|k| {
            k.verify_signature(&expected.core(), signing_input.as_bytes(), &signature)
                .is_ok()
        })
    };
    if ok {
        Ok(decoded.payload)
    } else {
        Err(JoseError::BadSignature)
    }
}

/// Parses a JWKS document.
pub fn parse_jwks(doc: &Value) -> Result<CoreJsonWebKeySet, JoseError> {
    serde_json::from_value(doc.clone()).map_err(|e| JoseError::Key(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> KeySet {
        KeySet::generate("test").unwrap()
    }

    #[test]
    fn every_algorithm_round_trips_and_pins_its_alg() {
        let keys = keys();
        let jwks = parse_jwks(&keys.jwks()).unwrap();
        let claims = json!({"sub": "abc", "n": 1});
        for alg in [Jwa::ES256, Jwa::RS256, Jwa::HS256] {
            let jwt = sign_jwt(
                &keys.signer(alg, "a-client-secret-of-32-characters"),
                &claims,
            )
            .unwrap();
            let payload =
                verify_jwt(&jwt, alg, &jwks, Some("a-client-secret-of-32-characters")).unwrap();
            assert_eq!(payload, claims);
            for other in [Jwa::ES256, Jwa::RS256, Jwa::HS256]
                .into_iter()
                .filter(|a| *a != alg)
            {
                assert!(matches!(
                    verify_jwt(&jwt, other, &jwks, Some("a-client-secret-of-32-characters")),
                    Err(JoseError::Algorithm { .. })
                ));
            }
        }
    }

    #[test]
    fn tampered_or_foreign_tokens_are_rejected() {
        let keys = keys();
        let jwks = parse_jwks(&keys.jwks()).unwrap();
        let jwt = sign_jwt(&keys.signer(Jwa::ES256, ""), &json!({"sub": "a"})).unwrap();
        let (head, _sig) = jwt.rsplit_once('.').unwrap();
        let forged_payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"b"}"#);
        let parts: Vec<&str> = head.split('.').collect();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            forged_payload,
            jwt.rsplit_once('.').unwrap().1
        );
        assert!(matches!(
            verify_jwt(&forged, Jwa::ES256, &jwks, None),
            Err(JoseError::BadSignature)
        ));

        let other = KeySet::generate("test").unwrap();
        let foreign = sign_jwt(&other.signer(Jwa::ES256, ""), &json!({"sub": "a"})).unwrap();
        assert!(verify_jwt(&foreign, Jwa::ES256, &jwks, None).is_err());
        assert!(decode_unverified("a.b").is_err());
        // Signatures of the wrong length are errors, never panics.
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#);
        let short = format!("{header}.{}.AAAA", URL_SAFE_NO_PAD.encode(b"{}"));
        assert!(matches!(
            verify_jwt(&short, Jwa::HS256, &jwks, Some("s")),
            Err(JoseError::BadSignature)
        ));
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"ES256"}"#);
        let short = format!("{header}.{}.AAAA", URL_SAFE_NO_PAD.encode(b"{}"));
        assert!(verify_jwt(&short, Jwa::ES256, &jwks, None).is_err());
    }

    #[test]
    fn keys_kept_in_a_folder_are_the_same_after_a_restart() {
        let dir = std::env::temp_dir().join(format!("fc-keys-{}", crate::random::token(8)));
        let first = KeySet::load_or_generate(&dir, "hub").unwrap();
        let jwt = sign_jwt(&first.signer(Jwa::RS256, ""), &json!({"sub": "a"})).unwrap();
        let again = KeySet::load_or_generate(&dir, "hub").unwrap();
        assert_eq!(first.jwks(), again.jwks());
        assert!(verify_jwt(&jwt, Jwa::RS256, &parse_jwks(&again.jwks()).unwrap(), None).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn ec_keys_survive_a_round_trip_to_hex() {
        let key = EcKey::generate("k");
        let again = EcKey::from_hex(&key.to_hex(), "k").unwrap();
        assert_eq!(key.public_jwk(), again.public_jwk());
    }
}
