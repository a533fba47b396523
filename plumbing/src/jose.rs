//! JOSE: signing keys, compact JWS signing and verification, JWKs and JWK sets.
//!
//! Every JWT the demo issues (ID tokens, userinfo JWTs, checktoken answers) goes through
//! [`sign_jwt`], and every one it checks through [`JwkSet::verify`] (or the [`JwksCache`] built on
//! it), so the FranceConnect algorithms — ES256, RS256 and HS256 keyed by the client secret — share
//! one code path. The cryptography is `ring`'s (constant-time, assembly-accelerated P-256 and RSA);
//! `p256` and `rsa` only generate keys and read the on-disk formats (EC scalar in hex, RSA PKCS#1
//! PEM). Public JWKs are parsed once into ring-ready bytes ([`Jwk`]).
//!
//! Rules (see `docs/keys.md`): the verifier pins the algorithm, never the token header (RFC 8725
//! §3.1), so `alg: none` and anything unknown are refused; a key id is the RFC 7638 thumbprint of
//! the key, so new keys always get new kids; malformed input of any kind is a [`JoseError`].
//!
//! [`JwksCache`]: crate::jwks_cache::JwksCache

use std::borrow::Cow;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{CoreJsonWebKeySet, CoreJwsSigningAlgorithm};
use ring::signature::{self as ring_sig, EcdsaKeyPair, RsaKeyPair, RsaPublicKeyComponents};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Longest compact JWS accepted: FranceConnect tokens are a few kilobytes.
pub const MAX_JWT_BYTES: usize = 64 * 1024;
/// Longest encoded JWS header accepted (a real one is under 200 bytes).
const MAX_HEADER_B64: usize = 2048;
/// Most keys a JWK set may hold: more is a misconfigured or hostile peer.
pub const MAX_JWKS_KEYS: usize = 100;

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

    /// The same algorithm as `openidconnect` names it (for provider metadata checks).
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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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

fn key_error(what: &str) -> impl Fn(&dyn std::fmt::Display) -> JoseError + '_ {
    move |e| JoseError::Key(format!("{what}: {e}"))
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Strict base64url without padding (RFC 7515 §2).
fn unb64(text: &str, what: &'static str) -> Result<Vec<u8>, JoseError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| JoseError::Malformed(what))
}

// ------------------------------------------------------------------------------------------------
// Public keys and JWKs
// ------------------------------------------------------------------------------------------------

/// A public key in the form ring verifies with.
#[derive(Clone, PartialEq, Eq)]
enum PublicKey {
    /// Uncompressed SEC1 point: `0x04 || x || y`, checked to be on P-256.
    Ec(Box<[u8; 65]>),
    /// Big-endian modulus and exponent, without leading zeros.
    Rsa { n: Vec<u8>, e: Vec<u8> },
}

impl PublicKey {
    fn ec(point: &[u8]) -> Result<Self, JoseError> {
        p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
            .map_err(|_| JoseError::Key("EC point not on P-256".into()))?;
        let point: [u8; 65] = point
            .try_into()
            .map_err(|_| JoseError::Key("EC point is not uncompressed".into()))?;
        Ok(PublicKey::Ec(Box::new(point)))
    }

    fn rsa(n: &[u8], e: &[u8]) -> Result<Self, JoseError> {
        let strip = |b: &[u8]| b[b.iter().take_while(|&&x| x == 0).count()..].to_vec();
        let (n, e) = (strip(n), strip(e));
        // What RSA_PKCS1_2048_8192_SHA256 accepts: 2048 to 8192 bits, an odd exponent ≥ 3 that
        // fits 32 bits (checked again by ring at verification).
        if !(256..=1024).contains(&n.len()) {
            return Err(JoseError::Key(format!(
                "RSA modulus of {} bits (2048 to 8192)",
                n.len() * 8
            )));
        }
        if e.is_empty() || e.len() > 4 || e.last().is_some_and(|b| b % 2 == 0) || e == [1] {
            return Err(JoseError::Key("unusable RSA exponent".into()));
        }
        Ok(PublicKey::Rsa { n, e })
    }

    fn alg(&self) -> Jwa {
        match self {
            PublicKey::Ec(_) => Jwa::ES256,
            PublicKey::Rsa { .. } => Jwa::RS256,
        }
    }

    /// The members RFC 7638 §3.2 requires, in the lexicographic order its canonical JSON needs.
    /// Every value is base64url or a fixed name, so no JSON escaping is ever needed.
    fn canonical_json(&self) -> String {
        match self {
            PublicKey::Ec(point) => format!(
                r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
                b64(&point[1..33]),
                b64(&point[33..])
            ),
            PublicKey::Rsa { n, e } => {
                format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, b64(e), b64(n))
            }
        }
    }

    /// RFC 7638 JWK thumbprint: base64url(SHA-256(canonical JSON)).
    fn thumbprint(&self) -> String {
        b64(ring::digest::digest(&ring::digest::SHA256, self.canonical_json().as_bytes()).as_ref())
    }

    fn members(&self) -> serde_json::Map<String, Value> {
        let mut map = serde_json::Map::new();
        match self {
            PublicKey::Ec(point) => {
                map.insert("kty".into(), json!("EC"));
                map.insert("crv".into(), json!("P-256"));
                map.insert("x".into(), json!(b64(&point[1..33])));
                map.insert("y".into(), json!(b64(&point[33..])));
            }
            PublicKey::Rsa { n, e } => {
                map.insert("kty".into(), json!("RSA"));
                map.insert("n".into(), json!(b64(n)));
                map.insert("e".into(), json!(b64(e)));
            }
        }
        map
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            PublicKey::Ec(point) => {
                ring_sig::UnparsedPublicKey::new(&ring_sig::ECDSA_P256_SHA256_FIXED, &point[..])
                    .verify(message, signature)
                    .is_ok()
            }
            PublicKey::Rsa { n, e } => RsaPublicKeyComponents { n, e }
                .verify(&ring_sig::RSA_PKCS1_2048_8192_SHA256, message, signature)
                .is_ok(),
        }
    }
}

/// One public JWK (RFC 7517), parsed once: its key id, intended use and algorithm, and the key in
/// ring-ready form. Only P-256 EC and RSA signature keys are understood.
#[derive(Clone, PartialEq, Eq)]
pub struct Jwk {
    kid: Option<String>,
    use_: Option<String>,
    alg: Option<String>,
    key: PublicKey,
}

impl Jwk {
    /// Parses a public JWK; private members (`d`, `p`, …) are ignored, never kept.
    pub fn from_json(value: &Value) -> Result<Self, JoseError> {
        let obj = value
            .as_object()
            .ok_or_else(|| JoseError::Key("a JWK is a JSON object".into()))?;
        let text = |name: &str| -> Result<Option<String>, JoseError> {
            match obj.get(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(JoseError::Key(format!(
                    "JWK member {name:?} is not a string"
                ))),
            }
        };
        let bytes = |name: &str| -> Result<Vec<u8>, JoseError> {
            let s = text(name)?.ok_or_else(|| JoseError::Key(format!("JWK without {name:?}")))?;
            URL_SAFE_NO_PAD
                .decode(s)
                .map_err(|_| JoseError::Key(format!("JWK member {name:?} is not base64url")))
        };
        let key = match text("kty")?.as_deref() {
            Some("EC") => {
                if text("crv")?.as_deref() != Some("P-256") {
                    return Err(JoseError::Key("EC curve other than P-256".into()));
                }
                let (x, y) = (bytes("x")?, bytes("y")?);
                if x.len() != 32 || y.len() != 32 {
                    return Err(JoseError::Key("P-256 coordinates are 32 bytes".into()));
                }
                let mut point = Vec::with_capacity(65);
                point.push(4);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                PublicKey::ec(&point)?
            }
            Some("RSA") => PublicKey::rsa(&bytes("n")?, &bytes("e")?)?,
            Some(other) => return Err(JoseError::Key(format!("unsupported key type {other:?}"))),
            None => return Err(JoseError::Key("JWK without \"kty\"".into())),
        };
        Ok(Self {
            kid: text("kid")?,
            use_: text("use")?,
            alg: text("alg")?,
            key,
        })
    }

    /// The public JWK as published: key members, then `kid`, `use` and `alg` when set.
    pub fn to_json(&self) -> Value {
        let mut map = self.key.members();
        for (name, value) in [("kid", &self.kid), ("use", &self.use_), ("alg", &self.alg)] {
            if let Some(value) = value {
                map.insert(name.into(), json!(value));
            }
        }
        Value::Object(map)
    }

    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The algorithm this key verifies (ES256 for P-256, RS256 for RSA).
    pub fn alg(&self) -> Jwa {
        self.key.alg()
    }

    /// RFC 7638 JWK thumbprint (SHA-256, base64url): the key id this project gives its keys.
    pub fn thumbprint(&self) -> String {
        self.key.thumbprint()
    }

    /// Whether this key may check a signature made with `alg`: right key type, `use` absent or
    /// `sig` (encryption keys share FranceConnect's JWKS), `alg` absent or the same.
    pub fn can_verify(&self, alg: Jwa) -> bool {
        self.key.alg() == alg
            && self.use_.as_deref().is_none_or(|u| u == "sig")
            && self.alg.as_deref().is_none_or(|a| a == alg.as_str())
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.key.verify(message, signature)
    }
}

impl std::fmt::Debug for Jwk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwk")
            .field("kid", &self.kid)
            .field("alg", &self.key.alg())
            .field("thumbprint", &self.thumbprint())
            .finish()
    }
}

/// A JWK set (RFC 7517 §5) of signature verification keys. Keys this code cannot use (other key
/// types or curves, broken members) are left out and counted, as RFC 7517 §5 asks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JwkSet {
    keys: Vec<Jwk>,
    skipped: usize,
}

impl JwkSet {
    pub fn new(keys: Vec<Jwk>) -> Self {
        Self { keys, skipped: 0 }
    }

    /// Parses a JWKS document (`{"keys": [...]}`).
    pub fn from_json(doc: &Value) -> Result<Self, JoseError> {
        let keys = doc
            .get("keys")
            .and_then(Value::as_array)
            .ok_or_else(|| JoseError::Key("a JWKS is an object with a \"keys\" array".into()))?;
        if keys.len() > MAX_JWKS_KEYS {
            return Err(JoseError::Key(format!(
                "JWKS of {} keys (at most {MAX_JWKS_KEYS})",
                keys.len()
            )));
        }
        let parsed: Vec<Jwk> = keys.iter().filter_map(|k| Jwk::from_json(k).ok()).collect();
        Ok(Self {
            skipped: keys.len() - parsed.len(),
            keys: parsed,
        })
    }

    /// Parses a JWKS document from its bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, JoseError> {
        let doc: Value = serde_json::from_slice(bytes)
            .map_err(|e| JoseError::Key(format!("JWKS is not JSON: {e}")))?;
        Self::from_json(&doc)
    }

    pub fn keys(&self) -> &[Jwk] {
        &self.keys
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// How many keys of the parsed document were left out as unusable.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    pub fn to_json(&self) -> Value {
        json!({"keys": self.keys.iter().map(Jwk::to_json).collect::<Vec<_>>()})
    }

    /// Verifies a compact JWS whose algorithm must be `expected`, with a key of this set (matched
    /// by `kid` when the header has one) or, for HS256, with `hmac_secret` (the client secret).
    pub fn verify(
        &self,
        jwt: &str,
        expected: Jwa,
        hmac_secret: Option<&str>,
    ) -> Result<Verified, JoseError> {
        let parts = Parts::split(jwt)?;
        let header = parts.header()?;
        let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");
        if alg != expected.as_str() {
            return Err(JoseError::Algorithm {
                found: alg.chars().take(32).collect(),
                expected,
            });
        }
        // RFC 7515 §4.1.11: no extension is understood here, so any `crit` is refused.
        if header.get("crit").is_some() {
            return Err(JoseError::Malformed("unsupported critical header"));
        }
        let kid = match header.get("kid") {
            None => None,
            Some(Value::String(kid)) => Some(kid.as_str()),
            Some(_) => return Err(JoseError::Malformed("kid is not a string")),
        };
        let signature = unb64(parts.signature, "invalid signature encoding")?;
        let ok = match expected {
            Jwa::HS256 => verify_hmac(hmac_secret, parts.signing_input, &signature)?,
            Jwa::ES256 | Jwa::RS256 => {
                let mut candidates = self
                    .keys
                    .iter()
                    .filter(|k| k.can_verify(expected) && (kid.is_none() || k.kid() == kid))
                    .peekable();
                if candidates.peek().is_none() {
                    return Err(JoseError::UnknownKey(kid.map(str::to_owned)));
                }
                if !signature_length_fits(expected, signature.len()) {
                    return Err(JoseError::BadSignature);
                }
                candidates.any(|k| k.verify(parts.signing_input.as_bytes(), &signature))
            }
        };
        if !ok {
            return Err(JoseError::BadSignature);
        }
        let claims = parts.payload()?;
        Ok(Verified {
            kid: kid.map(str::to_owned),
            header,
            claims,
        })
    }
}

impl Serialize for JwkSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for JwkSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let doc = Value::deserialize(deserializer)?;
        JwkSet::from_json(&doc).map_err(serde::de::Error::custom)
    }
}

/// ES256 signatures are `r || s`, 64 bytes (RFC 7518 §3.4); RSA ones as long as the modulus.
fn signature_length_fits(alg: Jwa, len: usize) -> bool {
    match alg {
        Jwa::ES256 => len == 64,
        Jwa::RS256 => (256..=1024).contains(&len),
        Jwa::HS256 => len == 32,
    }
}

/// HS256 keyed by the client secret's UTF-8 bytes, as FranceConnect does; an empty or missing
/// secret is no key at all (anyone could sign with it). The comparison is constant-time (ring).
fn verify_hmac(secret: Option<&str>, input: &str, signature: &[u8]) -> Result<bool, JoseError> {
    let secret = secret
        .filter(|s| !s.is_empty())
        .ok_or(JoseError::UnknownKey(None))?;
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    Ok(ring::hmac::verify(&key, input.as_bytes(), signature).is_ok())
}

/// What a successful verification yields: the header and the claims, both JSON objects.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The `kid` of the header, when it had one.
    pub kid: Option<String>,
    pub header: Value,
    pub claims: Value,
}

/// A compact JWS cut in its three parts, with the size limits applied.
struct Parts<'a> {
    signing_input: &'a str,
    header: &'a str,
    payload: &'a str,
    signature: &'a str,
}

impl<'a> Parts<'a> {
    fn split(jwt: &'a str) -> Result<Self, JoseError> {
        if jwt.len() > MAX_JWT_BYTES {
            return Err(JoseError::Malformed("token too large"));
        }
        let (signing_input, signature) = jwt
            .rsplit_once('.')
            .ok_or(JoseError::Malformed("a JWS has three parts"))?;
        let (header, payload) = signing_input
            .split_once('.')
            .ok_or(JoseError::Malformed("a JWS has three parts"))?;
        if payload.contains('.') {
            return Err(JoseError::Malformed("a JWS has three parts"));
        }
        if header.len() > MAX_HEADER_B64 {
            return Err(JoseError::Malformed("header too large"));
        }
        Ok(Self {
            signing_input,
            header,
            payload,
            signature,
        })
    }

    fn header(&self) -> Result<Value, JoseError> {
        json_object(self.header, "invalid header")
    }

    fn payload(&self) -> Result<Value, JoseError> {
        json_object(self.payload, "invalid payload")
    }
}

fn json_object(part: &str, what: &'static str) -> Result<Value, JoseError> {
    let bytes = unb64(part, what)?;
    match serde_json::from_slice(&bytes) {
        Ok(value @ Value::Object(_)) => Ok(value),
        _ => Err(JoseError::Malformed(what)),
    }
}

// ------------------------------------------------------------------------------------------------
// Private keys
// ------------------------------------------------------------------------------------------------

/// A private signing key and its public JWK, whose `kid` names the key in JWS headers: the
/// RFC 7638 thumbprint unless a test chose another with [`PrivateKey::with_kid`].
pub struct PrivateKey<K> {
    inner: Arc<K>,
    public: Jwk,
}

/// Clones share the private half (no `K: Clone` bound, which a derive would add).
impl<K> Clone for PrivateKey<K> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            public: self.public.clone(),
        }
    }
}

/// A P-256 signing key.
pub type EcKey = PrivateKey<EcPrivate>;
/// An RSA signing key, kept with its PKCS#1 PEM so it can be written to disk.
pub type RsaKey = PrivateKey<RsaPrivate>;

impl<K> PrivateKey<K> {
    fn new(inner: K, key: PublicKey) -> Self {
        let public = Jwk {
            kid: Some(key.thumbprint()),
            use_: Some("sig".into()),
            alg: Some(key.alg().as_str().into()),
            key,
        };
        Self {
            inner: Arc::new(inner),
            public,
        }
    }

    /// The same key published under another kid: for tests (an impostor claiming a real kid).
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.public.kid = Some(kid.into());
        self
    }

    pub fn kid(&self) -> &str {
        self.public.kid().unwrap_or_default()
    }

    /// The public JWK, with `use` and `alg` as FranceConnect publishes them.
    pub fn jwk(&self) -> Jwk {
        self.public.clone()
    }

    pub fn public_jwk(&self) -> Value {
        self.public.to_json()
    }
}

/// The private half of an [`EcKey`]: the p256 scalar (kept to write it to disk; it zeroes itself
/// on drop) and the same key in ring's form for signing.
pub struct EcPrivate {
    scalar: p256::ecdsa::SigningKey,
    /// ring accepts every valid P-256 key; were it ever to refuse one, signing says so.
    pair: Result<EcdsaKeyPair, JoseError>,
}

impl PrivateKey<EcPrivate> {
    /// A new random key; its kid is its RFC 7638 thumbprint.
    pub fn random() -> Self {
        use p256::elliptic_curve::Generate;
        Self::from_scalar(p256::ecdsa::SigningKey::generate())
    }

    /// A new random key under a kid of the caller's choice (tests: a named or impostor key).
    /// Programs use [`EcKey::random`] or a [`KeySet`], whose kids are thumbprints.
    pub fn generate(kid: impl Into<String>) -> Self {
        Self::random().with_kid(kid)
    }

    /// Loads a key from its 32-byte scalar, hex encoded (the format [`EcKey::to_hex`] writes).
    pub fn from_hex(hex_scalar: &str) -> Result<Self, JoseError> {
        let bytes = hex::decode(hex_scalar.trim()).map_err(|e| key_error("EC key hex")(&e))?;
        let scalar = p256::ecdsa::SigningKey::from_slice(&bytes)
            .map_err(|e| key_error("EC key scalar")(&e))?;
        let key = Self::from_scalar(scalar);
        key.inner.pair.as_ref().map_err(Clone::clone)?;
        Ok(key)
    }

    fn from_scalar(scalar: p256::ecdsa::SigningKey) -> Self {
        let encoded = scalar.verifying_key().to_sec1_point(false);
        // Uncompressed SEC1 (0x04 || x || y) is always 65 bytes for P-256.
        let mut point = [0u8; 65];
        for (to, from) in point.iter_mut().zip(encoded.as_bytes()) {
            *to = *from;
        }
        let pair = EcdsaKeyPair::from_private_key_and_public_key(
            &ring_sig::ECDSA_P256_SHA256_FIXED_SIGNING,
            &scalar.to_bytes(),
            &point,
            &ring::rand::SystemRandom::new(),
        )
        .map_err(|e| key_error("EC key")(&e));
        Self::new(EcPrivate { scalar, pair }, PublicKey::Ec(Box::new(point)))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.inner.scalar.to_bytes())
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, JoseError> {
        // Fixed-size r || s, as JWS wants (RFC 7518 §3.4), not DER.
        let pair = self.inner.pair.as_ref().map_err(Clone::clone)?;
        pair.sign(&ring::rand::SystemRandom::new(), message)
            .map(|s| s.as_ref().to_vec())
            .map_err(|e| JoseError::Signing(e.to_string()))
    }
}

/// The private half of an [`RsaKey`]: ring's key pair and the PEM it came from.
pub struct RsaPrivate {
    pair: RsaKeyPair,
    pem: String,
}

impl PrivateKey<RsaPrivate> {
    /// A new 2048-bit key (ring cannot generate RSA keys: the `rsa` crate does); its kid is its
    /// RFC 7638 thumbprint. Takes from 0.1 to over 1 s.
    pub fn generate() -> Result<Self, JoseError> {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        let private = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)
            .map_err(|e| key_error("RSA key generation")(&e))?;
        let pem = private
            .to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
            .map_err(|e| key_error("RSA key PEM")(&e))?;
        Self::from_pem(&pem)
    }

    /// Loads a PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`).
    pub fn from_pem(pem: &str) -> Result<Self, JoseError> {
        let pair = ring_rsa_pair(pem)?;
        let public = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
        let key = PublicKey::rsa(&public.n, &public.e)?;
        let pem = pem.to_owned();
        Ok(Self::new(RsaPrivate { pair, pem }, key))
    }

    pub fn pem(&self) -> &str {
        &self.inner.pem
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, JoseError> {
        let pair = &self.inner.pair;
        let mut signature = vec![0; pair.public().modulus_len()];
        pair.sign(
            &ring_sig::RSA_PKCS1_SHA256,
            &ring::rand::SystemRandom::new(),
            message,
            &mut signature,
        )
        .map_err(|e| JoseError::Signing(e.to_string()))?;
        Ok(signature)
    }
}

/// A PKCS#1 PEM in ring's form: ring reads PKCS#1 DER, not PEM, so the `rsa` crate decodes the
/// PEM (what earlier versions and other tools wrote) and re-encodes the key as DER.
fn ring_rsa_pair(pem: &str) -> Result<RsaKeyPair, JoseError> {
    use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
    let der = rsa::RsaPrivateKey::from_pkcs1_pem(pem)
        .map_err(|e| key_error("RSA key PEM")(&e))?
        .to_pkcs1_der()
        .map_err(|e| key_error("RSA key DER")(&e))?;
    RsaKeyPair::from_der(der.as_bytes()).map_err(|e| key_error("RSA key")(&e))
}

// ------------------------------------------------------------------------------------------------
// Key sets
// ------------------------------------------------------------------------------------------------

/// The asymmetric keys of a program: one ES256 and one RS256 key, both published in its JWKS.
#[derive(Clone)]
pub struct KeySet {
    pub ec: EcKey,
    rsa: Arc<LazyRsa>,
}

/// An RSA key generated on a background thread: RSA-2048 generation takes from 0.1 to over 1 s,
/// and a program should be ready before that. The first use waits for it.
struct LazyRsa {
    key: std::sync::OnceLock<Result<RsaKey, String>>,
    pending: std::sync::Mutex<Option<std::thread::JoinHandle<Result<RsaKey, JoseError>>>>,
}

impl LazyRsa {
    fn ready(key: RsaKey) -> Self {
        Self {
            key: std::sync::OnceLock::from(Ok(key)),
            pending: std::sync::Mutex::new(None),
        }
    }

    /// Starts generating; `then` runs on the new key in the background (e.g. to save it).
    fn spawn(
        name: &str,
        then: impl FnOnce(&RsaKey) -> Result<(), JoseError> + Send + 'static,
    ) -> Result<Self, JoseError> {
        let handle = std::thread::Builder::new()
            .name(format!("{name}-rsa-keygen"))
            .spawn(move || {
                let key = RsaKey::generate()?;
                then(&key)?;
                Ok(key)
            })
            .map_err(|e| key_error("RSA key generation thread")(&e))?;
        Ok(Self {
            key: std::sync::OnceLock::new(),
            pending: std::sync::Mutex::new(Some(handle)),
        })
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
    /// Fresh keys, kept in memory only; `name` (the program) labels the log line and the RSA
    /// generation thread. Kids are thumbprints, so a restart publishes new kids and verifiers
    /// refetch (`docs/keys.md`). The RSA key is generated in the background.
    pub fn generate(name: &str) -> Result<Self, JoseError> {
        let ec = EcKey::random();
        tracing::info!(
            keys = name,
            es256_kid = ec.kid(),
            "new signing keys (memory only)"
        );
        Ok(Self {
            ec,
            rsa: Arc::new(LazyRsa::spawn(name, |_| Ok(()))?),
        })
    }

    /// Keys kept in `dir` (`{prefix}-es256.hex`, `{prefix}-rs256.pem`): loaded when present, else
    /// generated and written there, so tokens signed before a restart still verify after it.
    /// `prefix` only names the files; kids are the keys' thumbprints.
    pub fn load_or_generate(dir: &std::path::Path, prefix: &str) -> Result<Self, JoseError> {
        let io = |e: std::io::Error| JoseError::Key(format!("{}: {e}", dir.display()));
        std::fs::create_dir_all(dir).map_err(io)?;
        let ec_path = dir.join(format!("{prefix}-es256.hex"));
        let rsa_path = dir.join(format!("{prefix}-rs256.pem"));
        let ec = match std::fs::read_to_string(&ec_path) {
            Ok(text) => EcKey::from_hex(&text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = EcKey::random();
                write_private(&ec_path, &key.to_hex()).map_err(io)?;
                key
            }
            Err(e) => return Err(io(e)),
        };
        let rsa = match std::fs::read_to_string(&rsa_path) {
            Ok(pem) => LazyRsa::ready(RsaKey::from_pem(&pem)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let shown = rsa_path.display().to_string();
                LazyRsa::spawn(prefix, move |key| {
                    write_private(&rsa_path, key.pem())
                        .map_err(|e| JoseError::Key(format!("{shown}: {e}")))
                })?
            }
            Err(e) => return Err(io(e)),
        };
        Ok(Self {
            ec,
            rsa: Arc::new(rsa),
        })
    }

    /// TEST AND DETERMINISTIC MODE ONLY: keys from fixed material (an EC scalar in hex, an RSA
    /// PKCS#1 PEM), e.g. shipped in fixtures so recorded tokens stay valid. Key material anyone
    /// can read protects nothing: never use this for a deployment.
    pub fn from_test_material(ec_scalar_hex: &str, rsa_pkcs1_pem: &str) -> Result<Self, JoseError> {
        Ok(Self {
            ec: EcKey::from_hex(ec_scalar_hex)?,
            rsa: Arc::new(LazyRsa::ready(RsaKey::from_pem(rsa_pkcs1_pem)?)),
        })
    }

    /// The RSA key, waiting for its generation if needed.
    pub fn rsa(&self) -> Result<&RsaKey, JoseError> {
        self.rsa.get()
    }

    /// The public keys, to verify this program's own tokens; waits for the RSA key.
    pub fn jwk_set(&self) -> JwkSet {
        let mut keys = vec![self.ec.jwk()];
        match self.rsa() {
            Ok(rsa) => keys.push(rsa.jwk()),
            Err(e) => tracing::error!("RSA key unavailable, JWKS without it: {e}"),
        }
        JwkSet::new(keys)
    }

    /// The JWKS document (`{"keys": [...]}`); waits for the RSA key.
    pub fn jwks(&self) -> Value {
        self.jwk_set().to_json()
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

// ------------------------------------------------------------------------------------------------
// Signing
// ------------------------------------------------------------------------------------------------

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
    let rsa = match signer {
        Signer::Rsa(k) => Some(*k),
        Signer::KeySetRsa(k) => Some(k.rsa()?),
        Signer::Ec(_) | Signer::Hmac(_) => None,
    };
    let header = match (signer, rsa) {
        (Signer::Ec(k), _) => json!({"alg": alg.as_str(), "kid": k.kid(), "typ": "JWT"}),
        (_, Some(k)) => json!({"alg": alg.as_str(), "kid": k.kid(), "typ": "JWT"}),
        _ => json!({"alg": alg.as_str(), "typ": "JWT"}),
    };
    let header = serde_json::to_vec(&header).map_err(|e| JoseError::Signing(e.to_string()))?;
    let payload = serde_json::to_vec(claims).map_err(|e| JoseError::Signing(e.to_string()))?;
    let signing_input = format!("{}.{}", b64(&header), b64(&payload));
    let message = signing_input.as_bytes();
    let signature = match (signer, rsa) {
        (Signer::Ec(k), _) => k.sign(message)?,
        (_, Some(k)) => k.sign(message)?,
        (Signer::Hmac(secret), _) => {
            if secret.is_empty() {
                return Err(JoseError::Signing("HS256 needs a client secret".into()));
            }
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
            ring::hmac::sign(&key, message).as_ref().to_vec()
        }
        _ => return Err(JoseError::Signing("no key for RS256".into())),
    };
    Ok(format!("{signing_input}.{}", b64(&signature)))
}

// ------------------------------------------------------------------------------------------------
// Decoding and verification (free functions kept for existing callers)
// ------------------------------------------------------------------------------------------------

/// A JWT split and decoded, without any check: for display and for picking a key.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedJwt {
    pub header: Value,
    pub payload: Value,
}

/// The header of a compact JWS, without verifying anything and without decoding the payload:
/// enough to read `alg` or `kid` before choosing what to check.
pub fn header_unverified(jwt: &str) -> Result<Value, JoseError> {
    Parts::split(jwt)?.header()
}

/// Decodes a compact JWS without verifying it.
pub fn decode_unverified(jwt: &str) -> Result<DecodedJwt, JoseError> {
    let parts = Parts::split(jwt)?;
    let decode = |s: &str| -> Result<Value, JoseError> {
        let bytes = unb64(s, "invalid base64url")?;
        serde_json::from_slice(&bytes).map_err(|_| JoseError::Malformed("invalid JSON"))
    };
    Ok(DecodedJwt {
        header: decode(parts.header)?,
        payload: decode(parts.payload)?,
    })
}

/// Anything [`verify_jwt`] can take its keys from: a [`JwkSet`] (parsed once, the fast path) or,
/// for callers not yet moved to it, `openidconnect`'s `CoreJsonWebKeySet` (converted per call).
pub trait VerificationKeys {
    fn jwk_set(&self) -> Cow<'_, JwkSet>;
}

impl VerificationKeys for JwkSet {
    fn jwk_set(&self) -> Cow<'_, JwkSet> {
        Cow::Borrowed(self)
    }
}

impl VerificationKeys for CoreJsonWebKeySet {
    fn jwk_set(&self) -> Cow<'_, JwkSet> {
        // A set openidconnect parsed always serialises; a failure leaves no key (UnknownKey).
        let set = serde_json::to_value(self)
            .ok()
            .and_then(|doc| JwkSet::from_json(&doc).ok())
            .unwrap_or_default();
        Cow::Owned(set)
    }
}

impl<T: VerificationKeys + ?Sized> VerificationKeys for &T {
    fn jwk_set(&self) -> Cow<'_, JwkSet> {
        (**self).jwk_set()
    }
}

impl<T: VerificationKeys + ?Sized> VerificationKeys for Arc<T> {
    fn jwk_set(&self) -> Cow<'_, JwkSet> {
        (**self).jwk_set()
    }
}

/// Verifies a compact JWS whose algorithm must be `expected`, with a key of `jwks` (matched by
/// `kid` when the header has one) or, for HS256, with `hmac_secret`. Returns the claims.
/// See [`JwkSet::verify`], which also returns the header.
pub fn verify_jwt<K: VerificationKeys + ?Sized>(
    jwt: &str,
    expected: Jwa,
    jwks: &K,
    hmac_secret: Option<&str>,
) -> Result<Value, JoseError> {
    jwks.jwk_set()
        .verify(jwt, expected, hmac_secret)
        .map(|v| v.claims)
}

/// Parses a JWKS document into `openidconnect`'s type, for callers that still hold one; new code
/// uses [`JwkSet::from_json`].
pub fn parse_jwks(doc: &Value) -> Result<CoreJsonWebKeySet, JoseError> {
    serde_json::from_value(doc.clone()).map_err(|e| JoseError::Key(e.to_string()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const SECRET: &str = "a-client-secret-of-32-characters";

    /// The P-256 key of RFC 7517 Appendix A.1/A.2 (`d` in hex).
    const RFC7517_EC_D: &str = "f3bd0c07a81fb932781ed52752f60cc89a6be5e51934fe01938ddb55d8f77801";
    /// Its thumbprint, computed independently with Python jwcrypto (`JWK(...).thumbprint()`).
    const RFC7517_EC_THUMBPRINT: &str = "cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s";

    fn keys() -> KeySet {
        KeySet::generate("test").unwrap()
    }

    fn jwt_of(header: &Value, payload: &Value, signature: &[u8]) -> String {
        format!(
            "{}.{}.{}",
            b64(header.to_string().as_bytes()),
            b64(payload.to_string().as_bytes()),
            b64(signature)
        )
    }

    #[test]
    fn every_algorithm_round_trips_and_pins_its_alg() {
        let keys = keys();
        let jwks = keys.jwk_set();
        let claims = json!({"sub": "abc", "n": 1});
        for alg in [Jwa::ES256, Jwa::RS256, Jwa::HS256] {
            let jwt = sign_jwt(&keys.signer(alg, SECRET), &claims).unwrap();
            let verified = jwks.verify(&jwt, alg, Some(SECRET)).unwrap();
            assert_eq!(verified.claims, claims);
            assert_eq!(verified.header["alg"], alg.as_str());
            let expected_kid = match alg {
                Jwa::ES256 => Some(keys.ec.kid().to_owned()),
                Jwa::RS256 => Some(keys.rsa().unwrap().kid().to_owned()),
                Jwa::HS256 => None,
            };
            assert_eq!(verified.kid, expected_kid);
            for other in [Jwa::ES256, Jwa::RS256, Jwa::HS256]
                .into_iter()
                .filter(|a| *a != alg)
            {
                assert!(matches!(
                    jwks.verify(&jwt, other, Some(SECRET)),
                    Err(JoseError::Algorithm { .. })
                ));
            }
        }
    }

    #[test]
    fn tampered_or_foreign_tokens_are_rejected() {
        let keys = keys();
        let jwks = keys.jwk_set();
        let jwt = sign_jwt(&keys.signer(Jwa::ES256, ""), &json!({"sub": "a"})).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        let forged = format!("{}.{}.{}", parts[0], b64(br#"{"sub":"b"}"#), parts[2]);
        assert_eq!(
            jwks.verify(&forged, Jwa::ES256, None),
            Err(JoseError::BadSignature)
        );

        // Another key under the same kid: a bad signature. Under its own kid: an unknown key.
        let other = EcKey::random();
        let impostor = EcKey::generate(keys.ec.kid());
        assert_eq!(impostor.kid(), keys.ec.kid());
        let token = sign_jwt(&Signer::Ec(&impostor), &json!({"sub": "a"})).unwrap();
        assert_eq!(
            jwks.verify(&token, Jwa::ES256, None),
            Err(JoseError::BadSignature)
        );
        let token = sign_jwt(&Signer::Ec(&other), &json!({"sub": "a"})).unwrap();
        assert_eq!(
            jwks.verify(&token, Jwa::ES256, None),
            Err(JoseError::UnknownKey(Some(other.kid().to_owned())))
        );

        // HS256 with the wrong secret, or with no secret at all.
        let hs = sign_jwt(&Signer::Hmac(SECRET), &json!({"sub": "a"})).unwrap();
        assert_eq!(
            jwks.verify(&hs, Jwa::HS256, Some("another-secret")),
            Err(JoseError::BadSignature)
        );
        for missing in [None, Some("")] {
            assert_eq!(
                jwks.verify(&hs, Jwa::HS256, missing),
                Err(JoseError::UnknownKey(None))
            );
        }
        assert!(sign_jwt(&Signer::Hmac(""), &json!({})).is_err());
    }

    #[test]
    fn none_unknown_and_header_chosen_algorithms_are_refused() {
        let jwks = keys().jwk_set();
        let payload = json!({"sub": "a"});
        for alg in ["none", "None", "HS512", "ES384", "PS256", "RSA-OAEP", ""] {
            let token = format!(
                "{}.{}.",
                b64(json!({"alg": alg}).to_string().as_bytes()),
                b64(payload.to_string().as_bytes())
            );
            for expected in [Jwa::ES256, Jwa::RS256, Jwa::HS256] {
                assert!(
                    matches!(
                        jwks.verify(&token, expected, Some(SECRET)),
                        Err(JoseError::Algorithm { .. })
                    ),
                    "{alg} accepted for {expected}"
                );
            }
        }
        // No alg at all, or not a string.
        for header in [json!({}), json!({"alg": 256}), json!({"alg": ["HS256"]})] {
            let token = jwt_of(&header, &payload, &[0; 32]);
            assert!(matches!(
                jwks.verify(&token, Jwa::HS256, Some(SECRET)),
                Err(JoseError::Algorithm { .. })
            ));
        }
    }

    #[test]
    fn malformed_input_is_a_typed_error_never_a_panic() {
        let keys = keys();
        let jwks = keys.jwk_set();
        let claims = json!({"sub": "a"});
        let valid: Vec<(Jwa, String)> = [Jwa::ES256, Jwa::RS256, Jwa::HS256]
            .into_iter()
            .map(|alg| (alg, sign_jwt(&keys.signer(alg, SECRET), &claims).unwrap()))
            .collect();
        for (alg, jwt) in &valid {
            // Every truncation, and every single-character corruption of the first part.
            for end in 0..jwt.len() {
                assert!(jwks.verify(&jwt[..end], *alg, Some(SECRET)).is_err());
                assert!(
                    decode_unverified(&jwt[..end]).is_err() || jwt[..end].matches('.').count() == 2
                );
            }
            for (i, bad) in [(0, '!'), (3, '='), (5, '.'), (7, ' ')] {
                let mut corrupted = jwt.clone();
                corrupted.replace_range(i..=i, &bad.to_string());
                assert!(jwks.verify(&corrupted, *alg, Some(SECRET)).is_err());
            }
            // A fourth part, padding, bad base64 in the signature.
            assert!(
                jwks.verify(&format!("{jwt}.x"), *alg, Some(SECRET))
                    .is_err()
            );
            assert!(jwks.verify(&format!("{jwt}="), *alg, Some(SECRET)).is_err());
            assert!(jwks.verify(&format!("{jwt}*"), *alg, Some(SECRET)).is_err());
        }
        let header = |alg: &str| json!({"alg": alg, "typ": "JWT"});
        // Signatures of every wrong length are bad signatures.
        for (alg, lengths) in [
            (Jwa::ES256, vec![0, 1, 63, 65, 72, 128]),
            (Jwa::RS256, vec![0, 1, 64, 255, 257, 2048]),
            (Jwa::HS256, vec![0, 1, 31, 33, 64]),
        ] {
            for len in lengths {
                let token = jwt_of(&header(alg.as_str()), &claims, &vec![7; len]);
                assert_eq!(
                    jwks.verify(&token, alg, Some(SECRET)),
                    Err(JoseError::BadSignature),
                    "{alg} signature of {len} bytes"
                );
            }
        }
        // Huge header, huge token, headers and payloads that are not objects, `crit`, odd kid.
        let huge = json!({"alg": "ES256", "x": "a".repeat(4000)});
        assert_eq!(
            jwks.verify(&jwt_of(&huge, &claims, &[0; 64]), Jwa::ES256, None),
            Err(JoseError::Malformed("header too large"))
        );
        let big_claims = json!({"sub": "a".repeat(MAX_JWT_BYTES)});
        assert_eq!(
            jwks.verify(
                &jwt_of(&header("HS256"), &big_claims, &[0; 32]),
                Jwa::HS256,
                Some(SECRET)
            ),
            Err(JoseError::Malformed("token too large"))
        );
        for bad_header in ["[1]", "\"ES256\"", "null", "{", "{\"alg\":\"ES256\"}x"] {
            let token = format!("{}.{}.AAAA", b64(bad_header.as_bytes()), b64(b"{}"));
            assert_eq!(
                jwks.verify(&token, Jwa::ES256, None),
                Err(JoseError::Malformed("invalid header"))
            );
        }
        let crit = json!({"alg": "HS256", "crit": ["exp"], "exp": 1});
        let signed = |h: &Value, p: &[u8]| {
            let input = format!("{}.{}", b64(h.to_string().as_bytes()), b64(p));
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET.as_bytes());
            format!(
                "{input}.{}",
                b64(ring::hmac::sign(&key, input.as_bytes()).as_ref())
            )
        };
        assert!(matches!(
            jwks.verify(&signed(&crit, b"{}"), Jwa::HS256, Some(SECRET)),
            Err(JoseError::Malformed(_))
        ));
        for payload in [&b"[1]"[..], b"not json", b"\"a\"", b""] {
            assert_eq!(
                jwks.verify(&signed(&header("HS256"), payload), Jwa::HS256, Some(SECRET)),
                Err(JoseError::Malformed("invalid payload"))
            );
        }
        let odd_kid = jwt_of(&json!({"alg": "ES256", "kid": 12}), &claims, &[0; 64]);
        assert!(matches!(
            jwks.verify(&odd_kid, Jwa::ES256, None),
            Err(JoseError::Malformed(_))
        ));
        assert!(decode_unverified("a.b").is_err());
        assert!(decode_unverified("").is_err());
        // The header alone: read even when the payload is not JSON, refused when not a JWS.
        let garbage_payload = jwt_of(&json!({"alg": "ES256"}), &json!({}), &[0; 64])
            .split('.')
            .enumerate()
            .map(|(i, part)| if i == 1 { "bm90IGpzb24" } else { part })
            .collect::<Vec<_>>()
            .join(".");
        assert_eq!(header_unverified(&garbage_payload).unwrap()["alg"], "ES256");
        assert!(header_unverified("a.b").is_err());
        assert!(header_unverified("bm90IGpzb24.e30.c2ln").is_err());
    }

    #[test]
    fn the_rfc_7638_rsa_example_has_the_published_thumbprint() {
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let jwk = Jwk::from_json(
            &json!({"kty": "RSA", "n": n, "e": "AQAB", "alg": "RS256", "kid": "2011-04-29"}),
        )
        .unwrap();
        assert_eq!(
            jwk.thumbprint(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn ec_kids_are_rfc_7638_thumbprints() {
        let key = EcKey::from_hex(RFC7517_EC_D).unwrap();
        assert_eq!(key.kid(), RFC7517_EC_THUMBPRINT);
        let published = key.public_jwk();
        assert_eq!(
            published["x"],
            "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4"
        );
        assert_eq!(
            published["y"],
            "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"
        );
        assert_eq!(published["kid"], RFC7517_EC_THUMBPRINT);
        assert_eq!(
            (published["use"].as_str(), published["alg"].as_str()),
            (Some("sig"), Some("ES256"))
        );
        // Members other than the required ones change nothing.
        let jwk = Jwk::from_json(
            &json!({"kty": "EC", "crv": "P-256", "kid": "x", "use": "sig",
            "x": published["x"], "y": published["y"]}),
        )
        .unwrap();
        assert_eq!(jwk.thumbprint(), RFC7517_EC_THUMBPRINT);
    }

    #[test]
    fn tokens_signed_elsewhere_verify() {
        // RFC 7515 Appendix A.3: an ES256 JWS and its key (no kid).
        let jwks = JwkSet::from_json(&json!({"keys": [{"kty": "EC", "crv": "P-256",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}))
        .unwrap();
        let token = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
        let verified = jwks.verify(token, Jwa::ES256, None).unwrap();
        assert_eq!(verified.claims["iss"], "joe");
        assert_eq!(verified.kid, None);

        // An RS256 token and key made with Python jwcrypto; its kid is jwcrypto's thumbprint.
        let n = "yO5amyYDP5l11TRk7IiFN-KJVPbE1hnAbpygHlpvBht7RIEaieIL0hoNpLNo5Iqokz5kVgeQJvbVzu7Yrkap8Bhw1xVRP-6ZM-DReCVKvE3IiuetUCNSd3P6s-wPCej_JUfOYi-AvuDeo-u3wTaUcZtk2HAX4D_fuPgGNLVQ4hWEWL2gcwLfDTDU8B9S7ttwPWf4gm-kIT85gHbZiu6Vrw2VpjgF8YeCKZVGvVzZF5lDU0jS85Znhc2IMl4rJep_aZwTfFRY1nQcawzJKdAJp0AAzOqaM7dfBduWTeN9tPoUtXVJNWe9FA4BDyj8OO2YaF111-cqbP66g7oVK7zmuQ";
        let kid = "a2qZkj1sQX8PWMPYXUh1uo1_kjP1SX7PplyUfO-XHAk";
        let jwk = Jwk::from_json(&json!({"kty": "RSA", "n": n, "e": "AQAB", "kid": kid})).unwrap();
        assert_eq!(jwk.thumbprint(), kid);
        let token = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImEycVprajFzUVg4UFdNUFlYVWgxdW8xX2tqUDFTWDdQcGx5VWZPLVhIQWsifQ.eyJzdWIiOiJqd2NyeXB0byJ9.pnbspKARdwITS_-7cSdRMgFyJkcAVG6QMggSbjqwN5iJXKAxpx-XPaod1-e1XsHgefuOQt2au6fVvN80KEuJWJ2HvX5zvWsOs2UrwrqxV-zNxS2msXmBWP7FeQDjMAbn6G5bGHAPy7guocfz0F8lMb61RivIVVQfnq0rnXEurDq0DRFj_jEE-ADiqUL8KUyEtgKFe197SGH_0rPBpr2qCiD4wx1Hm3Hhm0zNylnonF45NqBDkRsqqMHhgfqHSfo335hj_zH-f7NzYGQ4VaFjTihQ_qri8BE7ArSBZVCkOoRcWOwhxyUwtq8QlwfZpyM5OiUQbSkum2_n7wVFX_RpZw";
        let verified = JwkSet::new(vec![jwk])
            .verify(token, Jwa::RS256, None)
            .unwrap();
        assert_eq!(verified.claims, json!({"sub": "jwcrypto"}));
    }

    #[test]
    fn jwk_sets_keep_only_usable_signature_keys() {
        let keys = keys();
        let ec = keys.ec.public_jwk();
        let mut enc = keys.rsa().unwrap().public_jwk();
        enc["use"] = json!("enc");
        enc["alg"] = json!("RSA-OAEP");
        let doc = json!({"keys": [
            ec,
            enc,
            {"kty": "oct", "k": "c2VjcmV0"},
            {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"},
            {"kty": "EC", "crv": "P-256", "x": b64(&[1; 32]), "y": b64(&[2; 32])},
            {"kty": "RSA", "n": b64(&[0xff; 64]), "e": "AQAB"},
            {"kty": "RSA", "n": b64(&[0xff; 256]), "e": "AQAA"},
            {"n": "AQAB"},
            "not a key",
        ]});
        let set = JwkSet::from_json(&doc).unwrap();
        assert_eq!((set.len(), set.skipped()), (2, 7));
        // The encryption key is kept but never used to verify a signature.
        let rs = sign_jwt(&keys.signer(Jwa::RS256, ""), &json!({})).unwrap();
        assert!(matches!(
            set.verify(&rs, Jwa::RS256, None),
            Err(JoseError::UnknownKey(_))
        ));
        let es = sign_jwt(&keys.signer(Jwa::ES256, ""), &json!({})).unwrap();
        assert!(set.verify(&es, Jwa::ES256, None).is_ok());
        // Round trip through JSON and serde.
        let again: JwkSet = serde_json::from_value(serde_json::to_value(&set).unwrap()).unwrap();
        assert_eq!(again.keys(), set.keys());

        for bad in [json!([]), json!({}), json!({"keys": {}}), json!(null)] {
            assert!(JwkSet::from_json(&bad).is_err(), "{bad}");
        }
        let too_many = json!({"keys": vec![keys.ec.public_jwk(); MAX_JWKS_KEYS + 1]});
        assert!(JwkSet::from_json(&too_many).is_err());
        assert!(JwkSet::from_slice(b"<html>").is_err());
    }

    #[test]
    fn old_callers_with_openidconnect_key_sets_still_verify() {
        let keys = keys();
        let core = parse_jwks(&keys.jwks()).unwrap();
        for alg in [Jwa::ES256, Jwa::RS256] {
            let jwt = sign_jwt(&keys.signer(alg, ""), &json!({"sub": "a"})).unwrap();
            assert_eq!(
                verify_jwt(&jwt, alg, &core, None).unwrap(),
                json!({"sub": "a"})
            );
            assert_eq!(
                verify_jwt(&jwt, alg, &Arc::new(core.clone()), None).unwrap()["sub"],
                "a"
            );
        }
    }

    #[test]
    fn new_keys_get_new_kids() {
        let (a, b) = (keys(), keys());
        assert_ne!(a.ec.kid(), b.ec.kid());
        assert_ne!(a.rsa().unwrap().kid(), b.rsa().unwrap().kid());
        assert_eq!(a.rsa().unwrap().kid(), a.rsa().unwrap().jwk().thumbprint());
        assert_eq!(a.ec.kid(), a.ec.jwk().thumbprint());
    }

    #[test]
    fn keys_kept_in_a_folder_are_the_same_after_a_restart() {
        let dir = std::env::temp_dir().join(format!("fc-keys-{}", crate::random::token(8)));
        let first = KeySet::load_or_generate(&dir, "hub").unwrap();
        let jwt = sign_jwt(&first.signer(Jwa::RS256, ""), &json!({"sub": "a"})).unwrap();
        let again = KeySet::load_or_generate(&dir, "hub").unwrap();
        assert_eq!(first.jwks(), again.jwks());
        assert_eq!(first.ec.kid(), again.ec.kid());
        assert!(again.jwk_set().verify(&jwt, Jwa::RS256, None).is_ok());
        // Deleting the folder's files means new keys, hence new kids.
        std::fs::remove_dir_all(&dir).unwrap();
        let fresh = KeySet::load_or_generate(&dir, "hub").unwrap();
        assert_ne!(fresh.ec.kid(), first.ec.kid());
        assert!(matches!(
            fresh.jwk_set().verify(&jwt, Jwa::RS256, None),
            Err(JoseError::UnknownKey(_))
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn keys_written_by_earlier_versions_load_in_either_prime_order() {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        use rsa::traits::{PrivateKeyParts, PublicKeyParts};
        // What earlier versions wrote: the `rsa` crate's PKCS#1 PEM, LF line endings.
        let private = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
        let pem = private.to_pkcs1_pem(rsa::pkcs1::LineEnding::LF).unwrap();
        let [p, q] = private.primes() else {
            panic!("two primes")
        };
        let swapped = rsa::RsaPrivateKey::from_components(
            private.n().clone(),
            private.e().clone(),
            private.d().clone(),
            vec![q.clone(), p.clone()],
        )
        .unwrap()
        .to_pkcs1_pem(rsa::pkcs1::LineEnding::CRLF)
        .unwrap();
        let (a, b) = (
            RsaKey::from_pem(&pem).unwrap(),
            RsaKey::from_pem(&swapped).unwrap(),
        );
        assert_eq!(a.public_jwk(), b.public_jwk());
        let jwt = sign_jwt(&Signer::Rsa(&b), &json!({"sub": "a"})).unwrap();
        assert!(
            JwkSet::new(vec![a.jwk()])
                .verify(&jwt, Jwa::RS256, None)
                .is_ok()
        );
        assert!(
            RsaKey::from_pem(
                "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"
            )
            .is_err()
        );
    }

    #[test]
    fn fixed_key_material_gives_the_same_keys_every_time() {
        let rsa = RsaKey::generate().unwrap();
        let first = KeySet::from_test_material(RFC7517_EC_D, rsa.pem()).unwrap();
        let second = KeySet::from_test_material(RFC7517_EC_D, rsa.pem()).unwrap();
        assert_eq!(first.ec.kid(), RFC7517_EC_THUMBPRINT);
        assert_eq!(first.jwks(), second.jwks());
        let jwt = sign_jwt(&first.signer(Jwa::RS256, ""), &json!({"sub": "a"})).unwrap();
        assert!(second.jwk_set().verify(&jwt, Jwa::RS256, None).is_ok());
        assert!(KeySet::from_test_material("zz", rsa.pem()).is_err());
        assert!(KeySet::from_test_material(RFC7517_EC_D, "no pem").is_err());
    }

    #[test]
    fn ec_keys_survive_a_round_trip_to_hex() {
        let key = EcKey::random();
        let again = EcKey::from_hex(&key.to_hex()).unwrap();
        assert_eq!(key.public_jwk(), again.public_jwk());
        assert!(EcKey::from_hex("00").is_err());
        assert!(EcKey::from_hex(&"00".repeat(32)).is_err());
    }
}
