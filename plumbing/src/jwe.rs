//! JWE (RFC 7516) in compact serialization: encrypting a signed JWT to a recipient's public key,
//! and decrypting one with a program's own keys — the "nested JWT" of RFC 7519 §5.2.
//!
//! FranceConnect+ encrypts the ID token and the userinfo answer to the key the service provider
//! publishes (`id_token_encrypted_response_alg/enc`, `userinfo_encrypted_response_alg/enc`), and
//! the checktoken answer to the data provider's key; in each case the plaintext is the JWS the
//! hub signed. `docs/jwe.md` tells the whole story; partner documentation:
//! <https://docs.partenaires.franceconnect.gouv.fr/>.
//!
//! Algorithms: `ECDH-ES` (direct key agreement on P-256, Concat KDF of RFC 7518 §4.6),
//! `RSA-OAEP` (SHA-1) and `RSA-OAEP-256` (SHA-256) key encryption, `A256GCM` content encryption:
//! what FranceConnect offers, nothing more.
//!
//! Why written here over RustCrypto rather than taken from a JOSE crate: `josekit` links OpenSSL;
//! `jwt-simple` has neither `RSA-OAEP-256` nor direct `ECDH-ES` and builds BoringSSL; `biscuit`
//! has no RSA or ECDH key management; `picky` has them all but only as a long-running 7.0
//! release candidate that pins `rsa =0.10.0-rc` (a second RSA stack beside the `rsa` 0.9 that
//! `openidconnect` links). The pieces used here — `rsa`'s OAEP, `p256`'s ECDH, `aes-gcm` — are
//! the audited RustCrypto primitives; this module only does the JOSE framing and the KDF.
//!
//! Rules it keeps, so callers cannot get them wrong:
//! - the caller pins `alg` and `enc`; a token whose header says otherwise is refused before any
//!   key is touched (RFC 8725 §3.1);
//! - `crit` and `zip` are refused (nothing here understands them);
//! - RSA key-decryption failures are not told apart from a bad tag (RFC 7516 §11.5): both are
//!   [`JweError::Decryption`];
//! - recipient RSA keys are at least 2048 bits (RFC 7518 §4.2), `epk` points are checked to lie
//!   on P-256, every length is checked before use, and inputs over [`MAX_JWE_LEN`] are refused.

use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::elliptic_curve::sec1::ToSec1Point;
use rand::RngCore;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, Oaep, RsaPrivateKey, RsaPublicKey};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The largest compact JWE accepted (FranceConnect's tokens are a few kilobytes).
pub const MAX_JWE_LEN: usize = 128 * 1024;

/// The smallest RSA modulus accepted, in bits (RFC 7518 §4.2, §4.3).
const MIN_RSA_BITS: usize = 2048;

/// A256GCM: 256-bit key, 96-bit IV, 128-bit tag (RFC 7518 §5.3).
const CEK_LEN: usize = 32;
const IV_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Header members this module sets or refuses: callers cannot add them.
const RESERVED_MEMBERS: [&str; 9] = [
    "alg", "enc", "cty", "kid", "epk", "apu", "apv", "zip", "crit",
];

/// The key management algorithms FranceConnect uses (`alg` of a JWE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KeyAlg {
    #[serde(rename = "ECDH-ES")]
    EcdhEs,
    #[serde(rename = "RSA-OAEP")]
    RsaOaep,
    #[serde(rename = "RSA-OAEP-256")]
    RsaOaep256,
}

impl KeyAlg {
    pub const ALL: [KeyAlg; 3] = [KeyAlg::EcdhEs, KeyAlg::RsaOaep, KeyAlg::RsaOaep256];

    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlg::EcdhEs => "ECDH-ES",
            KeyAlg::RsaOaep => "RSA-OAEP",
            KeyAlg::RsaOaep256 => "RSA-OAEP-256",
        }
    }

    /// The JWK `kty` a key for this algorithm has.
    pub fn key_type(self) -> &'static str {
        match self {
            KeyAlg::EcdhEs => "EC",
            KeyAlg::RsaOaep | KeyAlg::RsaOaep256 => "RSA",
        }
    }

    fn is_rsa(self) -> bool {
        self.key_type() == "RSA"
    }

    fn oaep(self) -> Oaep {
        match self {
            KeyAlg::RsaOaep256 => Oaep::new::<Sha256>(),
            _ => Oaep::new::<sha1::Sha1>(),
        }
    }
}

impl std::str::FromStr for KeyAlg {
    type Err = JweError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeyAlg::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| JweError::Unsupported {
                what: "key management algorithm (ECDH-ES, RSA-OAEP or RSA-OAEP-256)",
                found: s.to_owned(),
            })
    }
}

impl std::fmt::Display for KeyAlg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The content encryption algorithms FranceConnect uses (`enc` of a JWE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ContentEnc {
    #[serde(rename = "A256GCM")]
    A256Gcm,
}

impl ContentEnc {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentEnc::A256Gcm => "A256GCM",
        }
    }
}

impl std::str::FromStr for ContentEnc {
    type Err = JweError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "A256GCM" => Ok(ContentEnc::A256Gcm),
            other => Err(JweError::Unsupported {
                what: "content encryption algorithm (A256GCM)",
                found: other.to_owned(),
            }),
        }
    }
}

impl std::fmt::Display for ContentEnc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can go wrong; none of them carries key material or plaintext.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JweError {
    #[error("malformed JWE: {0}")]
    Malformed(&'static str),
    #[error("JWE too large: {0} bytes (at most {MAX_JWE_LEN})")]
    TooLarge(usize),
    #[error("unsupported {what}: {found:?}")]
    Unsupported { what: &'static str, found: String },
    /// The header's `alg` is not the one the caller pinned (FranceConnect's DP: Y430004).
    #[error("unexpected JWE alg {found:?}, expected {expected}")]
    WrongAlg { found: String, expected: KeyAlg },
    /// The header's `enc` is not the one the caller pinned (FranceConnect's DP: Y430005).
    #[error("unexpected JWE enc {found:?}, expected {expected}")]
    WrongEnc { found: String, expected: ContentEnc },
    #[error("JWE header refused: {0}")]
    Header(String),
    #[error("invalid ephemeral public key (epk): {0}")]
    InvalidEpk(&'static str),
    #[error("no decryption key for {alg} with kid {kid:?}")]
    UnknownKey { kid: Option<String>, alg: KeyAlg },
    #[error("no key for {0} in the JWKS (kty {kty}, use \"enc\" or none, alg {0} or none)", kty = .0.key_type())]
    NoRecipientKey(KeyAlg),
    #[error("the recipient key is a {found} key, {alg} needs an {needed} key", needed = .alg.key_type())]
    KeyMismatch { alg: KeyAlg, found: &'static str },
    #[error("key error: {0}")]
    Key(String),
    /// Wrong key, or a token altered on the way: the two are not told apart (RFC 7516 §11.5).
    #[error("the JWE does not decrypt: wrong key or altered token")]
    Decryption,
    #[error("the decrypted content is not UTF-8 text")]
    NotText,
    #[error("encryption failed: {0}")]
    Encryption(String),
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Strict base64url: no padding, no stray bits, no other alphabet.
fn unb64(s: &str, what: &'static str) -> Result<Vec<u8>, JweError> {
    URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| JweError::Malformed(what))
}

/// RFC 7638 thumbprint: SHA-256 over the required members in lexical order, no whitespace.
/// Base64url values need no JSON escaping, so the canonical form can be written directly.
fn thumbprint_of(canonical: &str) -> String {
    b64(&Sha256::digest(canonical.as_bytes()))
}

fn ec_thumbprint(x: &str, y: &str) -> String {
    thumbprint_of(&format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#
    ))
}

fn rsa_thumbprint(n: &str, e: &str) -> String {
    thumbprint_of(&format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#))
}

/// `x` and `y` of a P-256 public key, base64url.
fn ec_coordinates(key: &p256::PublicKey) -> (String, String) {
    let point = key.to_sec1_point(false);
    let coordinate = |c: Option<&p256::FieldBytes>| c.map(|b| b64(b)).unwrap_or_default();
    (coordinate(point.x()), coordinate(point.y()))
}

fn ec_public_jwk(key: &p256::PublicKey) -> Value {
    let (x, y) = ec_coordinates(key);
    json!({"kty": "EC", "crv": "P-256", "x": x, "y": y})
}

fn rsa_components(key: &RsaPublicKey) -> (String, String) {
    (b64(&key.n().to_bytes_be()), b64(&key.e().to_bytes_be()))
}

/// Parses the `kty: EC` members of a JWK into a P-256 point, refusing anything off the curve.
fn parse_ec_point(jwk: &Value) -> Result<p256::PublicKey, &'static str> {
    if jwk.get("kty").and_then(Value::as_str) != Some("EC") {
        return Err("kty is not EC");
    }
    if jwk.get("crv").and_then(Value::as_str) != Some("P-256") {
        return Err("crv is not P-256");
    }
    let coordinate = |name: &str| -> Result<Vec<u8>, &'static str> {
        let text = jwk
            .get(name)
            .and_then(Value::as_str)
            .ok_or("x or y missing")?;
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| "x or y is not base64url")?;
        if bytes.len() != 32 {
            return Err("x and y must be 32 bytes");
        }
        Ok(bytes)
    };
    let mut sec1 = Vec::with_capacity(65);
    sec1.push(0x04);
    sec1.extend(coordinate("x")?);
    sec1.extend(coordinate("y")?);
    p256::PublicKey::from_sec1_bytes(&sec1).map_err(|_| "the point is not on P-256")
}

fn parse_rsa_public(jwk: &Value) -> Result<RsaPublicKey, JweError> {
    let part = |name: &'static str| -> Result<BigUint, JweError> {
        let text = jwk
            .get(name)
            .and_then(Value::as_str)
            .ok_or(JweError::Malformed("an RSA JWK has n and e"))?;
        Ok(BigUint::from_bytes_be(&unb64(
            text,
            "RSA n or e is not base64url",
        )?))
    };
    let key = RsaPublicKey::new(part("n")?, part("e")?)
        .map_err(|e| JweError::Key(format!("invalid RSA public key: {e}")))?;
    check_rsa_size(key.size())?;
    Ok(key)
}

fn check_rsa_size(modulus_bytes: usize) -> Result<(), JweError> {
    if modulus_bytes * 8 < MIN_RSA_BITS {
        return Err(JweError::Key(format!(
            "RSA key of {} bits, at least {MIN_RSA_BITS} required",
            modulus_bytes * 8
        )));
    }
    Ok(())
}

/// A recipient's public encryption key, taken from the JWKS it publishes.
#[derive(Clone)]
pub struct EncryptionJwk {
    kid: Option<String>,
    key: PublicKey,
}

#[derive(Clone)]
enum PublicKey {
    Ec(p256::PublicKey),
    Rsa(RsaPublicKey),
}

impl std::fmt::Debug for EncryptionJwk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptionJwk")
            .field("kty", &self.kty())
            .field("kid", &self.kid)
            .finish()
    }
}

impl EncryptionJwk {
    /// One public JWK (`kty` EC on P-256, or RSA of at least 2048 bits). `use` and `alg` are
    /// not looked at here: [`EncryptionJwk::from_jwks`] chooses on them.
    pub fn from_jwk(jwk: &Value) -> Result<Self, JweError> {
        let kid = match jwk.get("kid") {
            None => None,
            Some(Value::String(kid)) => Some(kid.clone()),
            Some(_) => return Err(JweError::Malformed("a JWK kid is a string")),
        };
        let key = match jwk.get("kty").and_then(Value::as_str) {
            Some("EC") => PublicKey::Ec(
                parse_ec_point(jwk).map_err(|e| JweError::Key(format!("EC JWK: {e}")))?,
            ),
            Some("RSA") => PublicKey::Rsa(parse_rsa_public(jwk)?),
            Some(other) => {
                return Err(JweError::Unsupported {
                    what: "JWK kty (EC or RSA)",
                    found: other.to_owned(),
                });
            }
            None => return Err(JweError::Malformed("a JWK has a kty")),
        };
        Ok(Self { kid, key })
    }

    /// The key of `jwks` (`{"keys": [...]}`) to encrypt to with `alg`: the first whose `use` is
    /// `enc` or absent, whose `alg` is `alg` or absent and whose `kty` fits (EC P-256 for
    /// ECDH-ES, RSA for RSA-OAEP*) — as FranceConnect chooses.
    pub fn from_jwks(jwks: &Value, alg: KeyAlg) -> Result<Self, JweError> {
        let keys = jwks
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(JweError::Malformed(
                "a JWKS is an object with a \"keys\" array",
            ))?;
        let mut first_error = None;
        for jwk in keys {
            let member = |name: &str| jwk.get(name).and_then(Value::as_str);
            let fits = matches!(member("use"), None | Some("enc"))
                && member("alg").is_none_or(|a| a == alg.as_str())
                && member("kty") == Some(alg.key_type())
                && (alg.is_rsa() || member("crv") == Some("P-256"));
            if !fits {
                continue;
            }
            match Self::from_jwk(jwk) {
                Ok(key) => return Ok(key),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or(JweError::NoRecipientKey(alg)))
    }

    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    pub fn kty(&self) -> &'static str {
        match self.key {
            PublicKey::Ec(_) => "EC",
            PublicKey::Rsa(_) => "RSA",
        }
    }

    /// The RFC 7638 thumbprint of the key.
    pub fn thumbprint(&self) -> String {
        match &self.key {
            PublicKey::Ec(k) => {
                let (x, y) = ec_coordinates(k);
                ec_thumbprint(&x, &y)
            }
            PublicKey::Rsa(k) => {
                let (n, e) = rsa_components(k);
                rsa_thumbprint(&n, &e)
            }
        }
    }
}

/// Encrypts a signed JWT (`cty: "JWT"`) to `recipient`; the protected header is
/// `{alg, enc, cty, kid}` (+ `epk` for ECDH-ES). For extra header members use [`Encrypter`].
pub fn encrypt(
    plaintext_jws: &str,
    recipient: &EncryptionJwk,
    alg: KeyAlg,
    enc: ContentEnc,
) -> Result<String, JweError> {
    Encrypter::new(alg, enc).encrypt(plaintext_jws, recipient)
}

/// An encryption with extra protected header members, e.g. the `iss` and `aud` FranceConnect
/// adds to encrypted ID tokens:
/// `Encrypter::new(alg, enc).header("iss", issuer).header("aud", client_id).encrypt(&jws, &key)`.
#[derive(Debug, Clone)]
pub struct Encrypter {
    alg: KeyAlg,
    enc: ContentEnc,
    extra: Map<String, Value>,
    minimal: bool,
}

impl Encrypter {
    pub fn new(alg: KeyAlg, enc: ContentEnc) -> Self {
        Self {
            alg,
            enc,
            extra: Map::new(),
            minimal: false,
        }
    }

    /// A protected header of exactly `{alg, enc}` (+ `epk` for ECDH-ES), without `cty` and
    /// `kid`: what FranceConnect's checktoken answer carries. The recipient then tries its keys
    /// for the algorithm in turn.
    pub fn minimal_header(mut self) -> Self {
        self.minimal = true;
        self
    }

    /// Adds a protected header member; the members this module sets (`alg`, `enc`, `cty`,
    /// `kid`, `epk`, ...) are refused by [`Encrypter::encrypt`].
    pub fn header(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(name.to_owned(), value.into());
        self
    }

    pub fn encrypt(
        &self,
        plaintext_jws: &str,
        recipient: &EncryptionJwk,
    ) -> Result<String, JweError> {
        if !looks_like_jws(plaintext_jws) {
            return Err(JweError::Encryption(
                "the plaintext of a nested JWT is a compact JWS (three base64url parts)".into(),
            ));
        }
        if let Some(name) = self
            .extra
            .keys()
            .find(|k| RESERVED_MEMBERS.contains(&k.as_str()))
        {
            return Err(JweError::Header(format!(
                "{name:?} is set by the JWE module, not by the caller"
            )));
        }
        let mut header = Map::new();
        header.insert("alg".into(), json!(self.alg.as_str()));
        header.insert("enc".into(), json!(self.enc.as_str()));
        if !self.minimal {
            header.insert("cty".into(), json!("JWT"));
            if let Some(kid) = recipient.kid() {
                header.insert("kid".into(), json!(kid));
            }
        }
        header.extend(self.extra.clone());
        seal(
            header,
            plaintext_jws.as_bytes(),
            recipient,
            (self.alg, self.enc),
            Randomness::fresh(),
        )
    }
}

fn looks_like_jws(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 3
        && parts.iter().take(2).all(|p| !p.is_empty())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// The random inputs of one encryption: drawn fresh for real use, fixed by the RFC vector tests.
struct Randomness {
    cek: Zeroizing<[u8; CEK_LEN]>,
    iv: [u8; IV_LEN],
    ephemeral: Ephemeral,
}

impl Randomness {
    fn fresh() -> Self {
        let mut cek = Zeroizing::new([0u8; CEK_LEN]);
        let mut iv = [0u8; IV_LEN];
        rand::rngs::OsRng.fill_bytes(cek.as_mut());
        rand::rngs::OsRng.fill_bytes(&mut iv);
        Self {
            cek,
            iv,
            ephemeral: Ephemeral::Fresh,
        }
    }
}

/// The sender's ephemeral ECDH-ES key. A fresh one comes from `ring`, whose P-256 is several
/// times faster than the pure-Rust `p256` (the hub encrypts every checktoken answer to a DP
/// that registered keys, and on FranceConnect+ every ID token and userinfo answer: BENCHMARKS.md,
/// "Second pass"). `ring` cannot take a given private key, so the RFC vector tests fix theirs
/// through `p256`.
enum Ephemeral {
    Fresh,
    #[cfg(test)]
    Fixed(p256::SecretKey),
}

impl Ephemeral {
    /// The key agreement with `recipient`: `derive` runs on the shared secret Z; also returns
    /// the ephemeral public key as the `epk` JWK.
    fn agree<R>(
        self,
        recipient: &p256::PublicKey,
        derive: impl FnOnce(&[u8]) -> R,
    ) -> Result<(R, Value), JweError> {
        match self {
            Self::Fresh => {
                use ring::agreement;
                let failed = |_| JweError::Encryption("ECDH-ES key agreement failed".into());
                let rng = ring::rand::SystemRandom::new();
                let private = agreement::EphemeralPrivateKey::generate(&agreement::ECDH_P256, &rng)
                    .map_err(failed)?;
                let public = private.compute_public_key().map_err(failed)?;
                // Uncompressed SEC1: 0x04 || x || y, 32 bytes each.
                let (x, y) = public.as_ref()[1..].split_at(32);
                let epk = json!({"kty": "EC", "crv": "P-256", "x": b64(x), "y": b64(y)});
                let peer = recipient.to_sec1_point(false);
                let peer =
                    agreement::UnparsedPublicKey::new(&agreement::ECDH_P256, peer.as_bytes());
                let derived = agreement::agree_ephemeral(private, &peer, derive).map_err(failed)?;
                Ok((derived, epk))
            }
            #[cfg(test)]
            Self::Fixed(secret) => {
                let shared = secret.diffie_hellman(recipient);
                let epk = ec_public_jwk(&secret.public_key());
                Ok((derive(shared.raw_secret_bytes()), epk))
            }
        }
    }
}

/// Key management then A256GCM over `plaintext`, with the encoded protected header as AAD.
fn seal(
    mut header: Map<String, Value>,
    plaintext: &[u8],
    recipient: &EncryptionJwk,
    (alg, enc): (KeyAlg, ContentEnc),
    randomness: Randomness,
) -> Result<String, JweError> {
    let (cek, encrypted_key) = match (&recipient.key, alg) {
        (PublicKey::Ec(public), KeyAlg::EcdhEs) => {
            let (derived, epk) = randomness
                .ephemeral
                .agree(public, |z| concat_kdf(z, enc.as_str(), b"", b"", CEK_LEN))?;
            header.insert("epk".into(), epk);
            let mut cek = Zeroizing::new([0u8; CEK_LEN]);
            cek.copy_from_slice(&derived);
            (cek, Vec::new())
        }
        (PublicKey::Rsa(public), KeyAlg::RsaOaep | KeyAlg::RsaOaep256) => {
            let wrapped = public
                .encrypt(&mut rand::rngs::OsRng, alg.oaep(), randomness.cek.as_ref())
                .map_err(|e| JweError::Encryption(e.to_string()))?;
            (randomness.cek, wrapped)
        }
        _ => {
            return Err(JweError::KeyMismatch {
                alg,
                found: recipient.kty(),
            });
        }
    };
    let header_json =
        serde_json::to_vec(&header).map_err(|e| JweError::Encryption(e.to_string()))?;
    let protected = b64(&header_json);
    let cipher = Aes256Gcm::new_from_slice(cek.as_ref())
        .map_err(|_| JweError::Encryption("invalid content key length".into()))?;
    let mut buffer = plaintext.to_vec();
    let tag = cipher
        .encrypt_in_place_detached(
            Nonce::from_slice(&randomness.iv),
            protected.as_bytes(),
            &mut buffer,
        )
        .map_err(|_| JweError::Encryption("AES-GCM failed".into()))?;
    Ok(format!(
        "{protected}.{}.{}.{}.{}",
        b64(&encrypted_key),
        b64(&randomness.iv),
        b64(&buffer),
        b64(&tag)
    ))
}

/// Concat KDF (NIST SP 800-56A §5.8.1) as JWA uses it (RFC 7518 §4.6.2): SHA-256 rounds over
/// `counter || Z || OtherInfo`, OtherInfo = AlgorithmID || PartyUInfo || PartyVInfo ||
/// SuppPubInfo, each variable part prefixed by its 32-bit big-endian length.
fn concat_kdf(
    z: &[u8],
    algorithm_id: &str,
    apu: &[u8],
    apv: &[u8],
    key_len: usize,
) -> Zeroizing<Vec<u8>> {
    // Inputs are bounded by MAX_JWE_LEN, far below u32::MAX.
    let len32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes();
    let mut other_info = Vec::new();
    for part in [algorithm_id.as_bytes(), apu, apv] {
        other_info.extend(len32(part.len()));
        other_info.extend(part);
    }
    other_info.extend(len32(key_len * 8));
    let mut out = Zeroizing::new(Vec::with_capacity(key_len + 32));
    let mut counter: u32 = 1;
    while out.len() < key_len {
        let mut round = Sha256::new();
        round.update(counter.to_be_bytes());
        round.update(z);
        round.update(&other_info);
        out.extend(round.finalize());
        counter += 1;
    }
    out.truncate(key_len);
    out
}

/// A decrypted JWE: the plaintext (the inner JWS, still to verify) and the protected header.
#[derive(Clone, PartialEq)]
pub struct Decrypted {
    pub plaintext: String,
    /// The protected header as received (for display: the SP's journal shows it).
    pub header: Value,
    /// The kid of our key that decrypted it.
    pub kid: String,
}

impl std::fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The plaintext is a whole token carrying personal data: never in a log line.
        f.debug_struct("Decrypted")
            .field("header", &self.header)
            .field("kid", &self.kid)
            .field("plaintext_len", &self.plaintext.len())
            .finish()
    }
}

/// The parts of a compact JWE, decoded, with the header checked against the pinned algorithms.
struct Parsed<'a> {
    protected: &'a str,
    header: Map<String, Value>,
    encrypted_key: Vec<u8>,
    iv: [u8; IV_LEN],
    ciphertext: Vec<u8>,
    tag: [u8; TAG_LEN],
}

/// Decodes a JWE's protected header without decrypting (for display, or to explain a refusal).
pub fn peek_header(jwe: &str) -> Result<Value, JweError> {
    if jwe.len() > MAX_JWE_LEN {
        return Err(JweError::TooLarge(jwe.len()));
    }
    let protected = jwe.split('.').next().unwrap_or_default();
    Ok(Value::Object(decode_header(protected)?))
}

fn decode_header(protected: &str) -> Result<Map<String, Value>, JweError> {
    let bytes = unb64(protected, "the protected header is not base64url")?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(JweError::Malformed(
            "the protected header is not a JSON object",
        )),
    }
}

fn parse(jwe: &str, alg: KeyAlg, enc: ContentEnc) -> Result<Parsed<'_>, JweError> {
    if jwe.len() > MAX_JWE_LEN {
        return Err(JweError::TooLarge(jwe.len()));
    }
    let parts: Vec<&str> = jwe.split('.').collect();
    let [protected, encrypted_key, iv, ciphertext, tag] = parts[..] else {
        return Err(JweError::Malformed("a compact JWE has five parts"));
    };
    let header = decode_header(protected)?;
    let member = |name: &str| header.get(name).and_then(Value::as_str);
    match member("alg") {
        Some(found) if found == alg.as_str() => {}
        found => {
            return Err(JweError::WrongAlg {
                found: found.unwrap_or_default().to_owned(),
                expected: alg,
            });
        }
    }
    match member("enc") {
        Some(found) if found == enc.as_str() => {}
        found => {
            return Err(JweError::WrongEnc {
                found: found.unwrap_or_default().to_owned(),
                expected: enc,
            });
        }
    }
    for refused in ["crit", "zip"] {
        if header.contains_key(refused) {
            return Err(JweError::Header(format!("{refused:?} is not supported")));
        }
    }
    if header.get("kid").is_some_and(|k| !k.is_string()) {
        return Err(JweError::Malformed("kid is not a string"));
    }
    let iv: [u8; IV_LEN] = unb64(iv, "the IV is not base64url")?
        .try_into()
        .map_err(|_| JweError::Malformed("the IV must be 96 bits"))?;
    let tag: [u8; TAG_LEN] = unb64(tag, "the tag is not base64url")?
        .try_into()
        .map_err(|_| JweError::Malformed("the tag must be 128 bits"))?;
    Ok(Parsed {
        protected,
        header,
        encrypted_key: unb64(encrypted_key, "the encrypted key is not base64url")?,
        iv,
        ciphertext: unb64(ciphertext, "the ciphertext is not base64url")?,
        tag,
    })
}

/// Decrypts a compact JWE whose `alg` and `enc` must be `expected_alg` and `expected_enc`,
/// with the key of `keys` its `kid` names (or each key fit for the algorithm when it names
/// none). The plaintext is returned as is: verifying the inner JWS is the caller's next step.
pub fn decrypt(
    jwe: &str,
    keys: &DecryptionKeys,
    expected_alg: KeyAlg,
    expected_enc: ContentEnc,
) -> Result<Decrypted, JweError> {
    let parsed = parse(jwe, expected_alg, expected_enc)?;
    let kid = parsed.header.get("kid").and_then(Value::as_str);
    let candidates = keys.candidates(expected_alg, kid)?;
    // ECDH-ES inputs are public and checked once, before any key is used.
    let ecdh = if expected_alg == KeyAlg::EcdhEs {
        Some(EcdhInputs::from_header(&parsed)?)
    } else {
        None
    };
    for candidate in candidates {
        let cek = match (&candidate, &ecdh) {
            (PrivateKey::Ec(key), Some(inputs)) => inputs.derive(key, expected_enc),
            (PrivateKey::Rsa(key), None) => key.unwrap_cek(&parsed.encrypted_key, expected_alg),
            _ => continue,
        };
        if let Some(plaintext) = open(&parsed, &cek) {
            let plaintext = String::from_utf8(plaintext).map_err(|_| JweError::NotText)?;
            return Ok(Decrypted {
                plaintext,
                header: Value::Object(parsed.header),
                kid: candidate.kid().to_owned(),
            });
        }
    }
    Err(JweError::Decryption)
}

/// AES-256-GCM decryption; `None` when the tag does not match.
fn open(parsed: &Parsed<'_>, cek: &[u8; CEK_LEN]) -> Option<Vec<u8>> {
    let cipher = Aes256Gcm::new_from_slice(cek).ok()?;
    let mut buffer = parsed.ciphertext.clone();
    cipher
        .decrypt_in_place_detached(
            Nonce::from_slice(&parsed.iv),
            parsed.protected.as_bytes(),
            &mut buffer,
            Tag::from_slice(&parsed.tag),
        )
        .ok()?;
    Some(buffer)
}

/// The ECDH-ES members of a header: the sender's ephemeral key and the optional party infos.
struct EcdhInputs {
    epk: p256::PublicKey,
    apu: Vec<u8>,
    apv: Vec<u8>,
}

impl EcdhInputs {
    fn from_header(parsed: &Parsed<'_>) -> Result<Self, JweError> {
        if !parsed.encrypted_key.is_empty() {
            return Err(JweError::Malformed(
                "ECDH-ES (direct) has an empty encrypted key",
            ));
        }
        let epk = parsed
            .header
            .get("epk")
            .ok_or(JweError::InvalidEpk("missing"))?;
        let epk = parse_ec_point(epk).map_err(JweError::InvalidEpk)?;
        let party = |name: &str, what: &'static str| match parsed.header.get(name) {
            None => Ok(Vec::new()),
            Some(Value::String(s)) => unb64(s, what),
            Some(_) => Err(JweError::Malformed(what)),
        };
        Ok(Self {
            epk,
            apu: party("apu", "apu is not base64url")?,
            apv: party("apv", "apv is not base64url")?,
        })
    }

    fn derive(&self, key: &EcPrivateKey, enc: ContentEnc) -> Zeroizing<[u8; CEK_LEN]> {
        let shared = key.secret.diffie_hellman(&self.epk);
        let derived = concat_kdf(
            shared.raw_secret_bytes(),
            enc.as_str(),
            &self.apu,
            &self.apv,
            CEK_LEN,
        );
        let mut cek = Zeroizing::new([0u8; CEK_LEN]);
        cek.copy_from_slice(&derived);
        cek
    }
}

/// A P-256 decryption key with its thumbprint kid.
struct EcPrivateKey {
    secret: p256::SecretKey,
    kid: String,
}

impl EcPrivateKey {
    fn new(secret: p256::SecretKey) -> Self {
        let (x, y) = ec_coordinates(&secret.public_key());
        Self {
            kid: ec_thumbprint(&x, &y),
            secret,
        }
    }

    /// A hex scalar (the format this module writes) or a SEC1 / PKCS#8 PEM.
    fn from_text(text: &str) -> Result<Self, JweError> {
        let text = text.trim();
        let secret = if text.starts_with("-----BEGIN") {
            use p256::pkcs8::DecodePrivateKey;
            p256::SecretKey::from_sec1_pem(text)
                .or_else(|_| p256::SecretKey::from_pkcs8_pem(text))
                .map_err(|_| JweError::Key("not a P-256 private key PEM".into()))?
        } else {
            let bytes = Zeroizing::new(
                hex::decode(text).map_err(|_| JweError::Key("EC key: invalid hex".into()))?,
            );
            p256::SecretKey::from_slice(&bytes)
                .map_err(|_| JweError::Key("EC key: not a P-256 scalar".into()))?
        };
        Ok(Self::new(secret))
    }

    fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.secret.to_bytes()))
    }

    fn public_jwk(&self) -> Value {
        let mut jwk = ec_public_jwk(&self.secret.public_key());
        if let Some(map) = jwk.as_object_mut() {
            map.insert("kid".into(), json!(self.kid));
            map.insert("use".into(), json!("enc"));
            map.insert("alg".into(), json!(KeyAlg::EcdhEs.as_str()));
        }
        jwk
    }
}

/// An RSA decryption key with its thumbprint kid.
struct RsaPrivate {
    key: RsaPrivateKey,
    kid: String,
}

impl RsaPrivate {
    fn new(key: RsaPrivateKey) -> Result<Self, JweError> {
        key.validate()
            .map_err(|e| JweError::Key(format!("invalid RSA key: {e}")))?;
        check_rsa_size(key.size())?;
        let (n, e) = rsa_components(&key.to_public_key());
        Ok(Self {
            kid: rsa_thumbprint(&n, &e),
            key,
        })
    }

    fn generate() -> Result<Self, JweError> {
        let key = RsaPrivateKey::new(&mut rand::rngs::OsRng, MIN_RSA_BITS)
            .map_err(|e| JweError::Key(e.to_string()))?;
        Self::new(key)
    }

    /// A PKCS#1 (`BEGIN RSA PRIVATE KEY`) or PKCS#8 (`BEGIN PRIVATE KEY`) PEM.
    fn from_pem(pem: &str) -> Result<Self, JweError> {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        use rsa::pkcs8::DecodePrivateKey;
        let pem = pem.trim();
        let key = RsaPrivateKey::from_pkcs1_pem(pem)
            .or_else(|_| RsaPrivateKey::from_pkcs8_pem(pem))
            .map_err(|_| JweError::Key("not an RSA private key PEM (PKCS#1 or PKCS#8)".into()))?;
        Self::new(key)
    }

    fn to_pem(&self) -> Result<Zeroizing<String>, JweError> {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        self.key
            .to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
            .map_err(|e| JweError::Key(e.to_string()))
    }

    fn public_jwk(&self, alg: KeyAlg) -> Value {
        let (n, e) = rsa_components(&self.key.to_public_key());
        json!({"kty": "RSA", "n": n, "e": e, "kid": self.kid, "use": "enc", "alg": alg.as_str()})
    }

    /// RSA-OAEP decryption of the CEK. Any failure (padding, length, wrong key) yields a random
    /// CEK instead, so that it surfaces as a tag mismatch like every other decryption failure
    /// (RFC 7516 §11.5: the cases must not be told apart).
    fn unwrap_cek(&self, encrypted_key: &[u8], alg: KeyAlg) -> Zeroizing<[u8; CEK_LEN]> {
        let mut cek = Zeroizing::new([0u8; CEK_LEN]);
        rand::rngs::OsRng.fill_bytes(cek.as_mut());
        if let Ok(decrypted) =
            self.key
                .decrypt_blinded(&mut rand::rngs::OsRng, alg.oaep(), encrypted_key)
        {
            let decrypted = Zeroizing::new(decrypted);
            if decrypted.len() == CEK_LEN {
                cek.copy_from_slice(&decrypted);
            }
        }
        cek
    }
}

enum PrivateKey<'a> {
    Ec(&'a EcPrivateKey),
    Rsa(&'a RsaPrivate),
}

impl PrivateKey<'_> {
    fn kid(&self) -> &str {
        match self {
            PrivateKey::Ec(k) => &k.kid,
            PrivateKey::Rsa(k) => &k.kid,
        }
    }
}

/// A value computed on a background thread (RSA-2048 generation takes from 0.1 to over 1 s and
/// a program should be ready before that); the first use waits for it.
struct Background<T> {
    value: OnceLock<Result<T, JweError>>,
    pending: Mutex<Option<std::thread::JoinHandle<Result<T, JweError>>>>,
}

impl<T: Send + 'static> Background<T> {
    fn ready(value: T) -> Self {
        Self {
            value: OnceLock::from(Ok(value)),
            pending: Mutex::new(None),
        }
    }

    fn spawn(
        work: impl FnOnce() -> Result<T, JweError> + Send + 'static,
    ) -> Result<Self, JweError> {
        let handle = std::thread::Builder::new()
            .name("jwe-rsa-keygen".into())
            .spawn(work)
            .map_err(|e| JweError::Key(format!("cannot start key generation: {e}")))?;
        Ok(Self {
            value: OnceLock::new(),
            pending: Mutex::new(Some(handle)),
        })
    }

    fn get(&self) -> Result<&T, JweError> {
        self.value
            .get_or_init(|| {
                let handle = self
                    .pending
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take();
                match handle.map(std::thread::JoinHandle::join) {
                    Some(Ok(result)) => result,
                    Some(Err(_)) => Err(JweError::Key("RSA key generation panicked".into())),
                    None => Err(JweError::Key("RSA key generation was lost".into())),
                }
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// The decryption keys of a program (an SP or a DP): one P-256 key for ECDH-ES and one
/// RSA-2048 key for RSA-OAEP or RSA-OAEP-256, each with its RFC 7638 thumbprint as kid.
/// [`DecryptionKeys::jwks`] is what the program publishes for the hub to encrypt to.
#[derive(Clone)]
pub struct DecryptionKeys {
    ec: Arc<EcPrivateKey>,
    rsa: Arc<Background<RsaPrivate>>,
    rsa_alg: KeyAlg,
}

impl std::fmt::Debug for DecryptionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecryptionKeys")
            .field("ec_kid", &self.ec.kid)
            .field("rsa_alg", &self.rsa_alg)
            .finish_non_exhaustive()
    }
}

impl DecryptionKeys {
    /// Fresh keys; the RSA key is generated in the background. Its published `alg` is
    /// RSA-OAEP-256 (see [`DecryptionKeys::with_rsa_alg`]).
    pub fn generate() -> Result<Self, JweError> {
        use p256::elliptic_curve::Generate;
        Ok(Self {
            ec: Arc::new(EcPrivateKey::new(p256::SecretKey::generate())),
            rsa: Arc::new(Background::spawn(RsaPrivate::generate)?),
            rsa_alg: KeyAlg::RsaOaep256,
        })
    }

    /// Fixed keys, for tests and a deterministic demo: the P-256 key as a hex scalar or a SEC1 /
    /// PKCS#8 PEM, the RSA key (at least 2048 bits) as a PKCS#1 or PKCS#8 PEM.
    pub fn from_material(ec: &str, rsa_pem: &str) -> Result<Self, JweError> {
        Ok(Self {
            ec: Arc::new(EcPrivateKey::from_text(ec)?),
            rsa: Arc::new(Background::ready(RsaPrivate::from_pem(rsa_pem)?)),
            rsa_alg: KeyAlg::RsaOaep256,
        })
    }

    /// Keys kept in `dir` (`{prefix}-enc-p256.hex`, `{prefix}-enc-rsa.pem`, mode 0600): loaded
    /// when present, else generated and written there, so tokens encrypted to the published
    /// keys before a restart still decrypt after it.
    pub fn load_or_generate(dir: &Path, prefix: &str) -> Result<Self, JweError> {
        let io = |path: &Path, e: std::io::Error| JweError::Key(format!("{}: {e}", path.display()));
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let ec_path = dir.join(format!("{prefix}-enc-p256.hex"));
        let rsa_path = dir.join(format!("{prefix}-enc-rsa.pem"));
        let ec = match std::fs::read_to_string(&ec_path) {
            Ok(text) => EcPrivateKey::from_text(&text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                use p256::elliptic_curve::Generate;
                let key = EcPrivateKey::new(p256::SecretKey::generate());
                write_private(&ec_path, &key.to_hex()).map_err(|e| io(&ec_path, e))?;
                key
            }
            Err(e) => return Err(io(&ec_path, e)),
        };
        let rsa = match std::fs::read_to_string(&rsa_path) {
            Ok(pem) => Background::ready(RsaPrivate::from_pem(&pem)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Background::spawn(move || {
                let key = RsaPrivate::generate()?;
                write_private(&rsa_path, &key.to_pem()?).map_err(|e| io(&rsa_path, e))?;
                Ok(key)
            })?,
            Err(e) => return Err(io(&rsa_path, e)),
        };
        Ok(Self {
            ec: Arc::new(ec),
            rsa: Arc::new(rsa),
            rsa_alg: KeyAlg::RsaOaep256,
        })
    }

    /// Which RSA algorithm the RSA key is published (and accepted) for; a JWK names one `alg`
    /// (RFC 7517 §4.4), and FranceConnect picks the key whose `alg` is the registered one.
    pub fn with_rsa_alg(mut self, alg: KeyAlg) -> Result<Self, JweError> {
        if !alg.is_rsa() {
            return Err(JweError::KeyMismatch { alg, found: "RSA" });
        }
        self.rsa_alg = alg;
        Ok(self)
    }

    pub fn rsa_alg(&self) -> KeyAlg {
        self.rsa_alg
    }

    pub fn ec_kid(&self) -> &str {
        &self.ec.kid
    }

    /// The RSA key's kid, waiting for its generation if needed.
    pub fn rsa_kid(&self) -> Result<&str, JweError> {
        Ok(&self.rsa.get()?.kid)
    }

    /// The public JWKS to publish (`use: "enc"`, `alg` set); waits for the RSA key.
    pub fn jwks(&self) -> Value {
        match self.rsa.get() {
            Ok(rsa) => json!({"keys": [self.ec.public_jwk(), rsa.public_jwk(self.rsa_alg)]}),
            Err(e) => {
                tracing::error!("RSA encryption key unavailable, JWKS without it: {e}");
                json!({"keys": [self.ec.public_jwk()]})
            }
        }
    }

    /// The keys usable for `alg`, narrowed to `kid` when the token names one.
    fn candidates(&self, alg: KeyAlg, kid: Option<&str>) -> Result<Vec<PrivateKey<'_>>, JweError> {
        let usable = if alg == KeyAlg::EcdhEs {
            vec![PrivateKey::Ec(&self.ec)]
        } else if alg == self.rsa_alg {
            vec![PrivateKey::Rsa(self.rsa.get()?)]
        } else {
            Vec::new()
        };
        let chosen: Vec<PrivateKey<'_>> = usable
            .into_iter()
            .filter(|k| kid.is_none_or(|kid| k.kid() == kid))
            .collect();
        if chosen.is_empty() {
            return Err(JweError::UnknownKey {
                kid: kid.map(str::to_owned),
                alg,
            });
        }
        Ok(chosen)
    }
}

/// Writes a private key readable by its owner only.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::{EcKey, Jwa, Signer, parse_jwks, sign_jwt, verify_jwt};

    // RFC 7516 Appendix A.1: RSA-OAEP + A256GCM.
    const A1_PLAINTEXT: &str = "The true sign of intelligence is not knowledge but imagination.";
    const A1_COMPACT: &str = concat!(
        "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.",
        "OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGe",
        "ipsEdY3mx_etLbbWSrFr05kLzcSr4qKAq7YN7e9jwQRb23nfa6c9d-StnImGyFDb",
        "Sv04uVuxIp5Zms1gNxKKK2Da14B8S4rzVRltdYwam_lDp5XnZAYpQdb76FdIKLaV",
        "mqgfwX7XWRxv2322i-vDxRfqNzo_tETKzpVLzfiwQyeyPGLBIO56YJ7eObdv0je8",
        "1860ppamavo35UgoRdbYaBcoh9QcfylQr66oc6vFWXRcZ_ZT2LawVCWTIy3brGPi",
        "6UklfCpIMfIjf7iGdXKHzg.",
        "48V1_ALb6US04U3b.",
        "5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6ji",
        "SdiwkIr3ajwQzaBtQD_A.",
        "XFBoMYUZodetZdvTiFvSkQ",
    );
    const A1_N: &str = concat!(
        "oahUIoWw0K0usKNuOR6H4wkf4oBUXHTxRvgb48E-BVvxkeDNjbC4he8rUW",
        "cJoZmds2h7M70imEVhRU5djINXtqllXI4DFqcI1DgjT9LewND8MW2Krf3S",
        "psk_ZkoFnilakGygTwpZ3uesH-PFABNIUYpOiN15dsQRkgr0vEhxN92i2a",
        "sbOenSZeyaxziK72UwxrrKoExv6kc5twXTq4h-QChLOln0_mtUZwfsRaMS",
        "tPs6mS6XrgxnxbWhojf663tuEQueGC-FCMfra36C9knDFGzKsNa7LZK2dj",
        "YgyD3JR_MB_4NUJW_TqOQtwHYbxevoJArm-L5StowjzGy-_bq6Gw",
    );
    const A1_D: &str = concat!(
        "kLdtIj6GbDks_ApCSTYQtelcNttlKiOyPzMrXHeI-yk1F7-kpDxY4-WY5N",
        "WV5KntaEeXS1j82E375xxhWMHXyvjYecPT9fpwR_M9gV8n9Hrh2anTpTD9",
        "3Dt62ypW3yDsJzBnTnrYu1iwWRgBKrEYY46qAZIrA2xAwnm2X7uGR1hghk",
        "qDp0Vqj3kbSCz1XyfCs6_LehBwtxHIyh8Ripy40p24moOAbgxVw3rxT_vl",
        "t3UVe4WO3JkJOzlpUf-KTVI2Ptgm-dARxTEtE-id-4OJr0h-K-VFs3VSnd",
        "VTIznSxfyrj8ILL6MG_Uv8YAu7VILSB3lOW085-4qE3DzgrTjgyQ",
    );
    const A1_P: &str = concat!(
        "1r52Xk46c-LsfB5P442p7atdPUrxQSy4mti_tZI3Mgf2EuFVbUoDBvaRQ-",
        "SWxkbkmoEzL7JXroSBjSrK3YIQgYdMgyAEPTPjXv_hI2_1eTSPVZfzL0lf",
        "fNn03IXqWF5MDFuoUYE0hzb2vhrlN_rKrbfDIwUbTrjjgieRbwC6Cl0",
    );
    const A1_Q: &str = concat!(
        "wLb35x7hmQWZsWJmB_vle87ihgZ19S8lBEROLIsZG4ayZVe9Hi9gDVCOBm",
        "UDdaDYVTSNx_8Fyw1YYa9XGrGnDew00J28cRUoeBB_jKI1oma0Orv1T9aX",
        "IWxKwd4gvxFImOWr3QRL9KEBRzk2RatUBnmDZJTIAfwTs0g68UZHvtc",
    );
    const A1_CEK: [u8; 32] = [
        177, 161, 244, 128, 84, 143, 225, 115, 63, 180, 3, 255, 107, 154, 212, 246, 138, 7, 110,
        91, 112, 46, 34, 105, 47, 130, 203, 46, 122, 234, 64, 252,
    ];
    const A1_IV: [u8; 12] = [227, 197, 117, 252, 2, 219, 233, 68, 180, 225, 77, 219];

    // RFC 7518 Appendix C: ECDH-ES key agreement (Alice ephemeral, Bob static).
    const C_ALICE_D: &str = "0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo";
    const C_ALICE_X: &str = "gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0";
    const C_ALICE_Y: &str = "SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps";
    const C_BOB_D: &str = "VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw";
    const C_BOB_X: &str = "weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ";
    const C_BOB_Y: &str = "e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck";
    const C_Z: [u8; 32] = [
        158, 86, 217, 29, 129, 113, 53, 211, 114, 131, 66, 131, 191, 132, 38, 156, 251, 49, 110,
        163, 218, 128, 106, 72, 246, 218, 167, 121, 140, 254, 144, 196,
    ];

    fn big(s: &str) -> BigUint {
        BigUint::from_bytes_be(&URL_SAFE_NO_PAD.decode(s).unwrap())
    }

    fn rsa_pem(n: &str, d: &str, p: &str, q: &str) -> String {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        let key = RsaPrivateKey::from_components(big(n), big("AQAB"), big(d), vec![big(p), big(q)])
            .unwrap();
        key.to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
            .unwrap()
            .to_string()
    }

    fn a1_rsa_pem() -> String {
        rsa_pem(A1_N, A1_D, A1_P, A1_Q)
    }

    /// The RSA key of RFC 7516 Appendix A.2: a second fixed key, for "not our key" cases.
    fn a2_rsa_pem() -> String {
        rsa_pem(
            concat!(
                "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDX",
                "boIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy",
                "_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv",
                "4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aE",
                "Aw3vRw",
            ),
            concat!(
                "VFCWOqXr8nvZNyaaJLXdnNPXZKRaWCjkU5Q2egQQpTBMwhprMzWzpR8Sxq1OPThh_J6MUD8Z35wky9b8eEO0",
                "pwNS8xlh1lOFRRBoNqDIKVOku0aZb-rynq8cxjDTLZQ6Fz7jSjR1Klop-YKaUHc9GsEofQqYruPhzSA-QgajZ",
                "GPbE_0ZaVDJHfyd7UUBUKunFMScbflYAAOYJqVIVwaYR5zWEEceUjNnTNo_CVSj-VvXLO5VZfCUAVLgW4dpf1",
                "SrtZjSt34YLsRarSb127reG_DUwg9Ch-KyvjT1SkHgUWRVGcyly7uvVGRSDwsXypdrNinPA4jlhoNdizK2zF2",
                "CWQ",
            ),
            concat!(
                "9gY2w6I6S6L0juEKsbeDAwpd9WMfgqFoeA9vEyEUuk4kLwBKcoe1x4HG68ik918hdDSE9vDQSccA3xXHOAFO",
                "PJ8R9EeIAbTi1VwBYnbTp87X-xcPWlEPkrdoUKW60tgs1aNd_Nnc9LEVVPMS390zbFxt8TN_biaBgelNgbC95",
                "sM",
            ),
            concat!(
                "uKlCKvKv_ZJMVcdIs5vVSU_6cPtYI1ljWytExV_skstvRSNi9r66jdd9-yBhVfuG4shsp2j7rGnIio901RBeH",
                "o6TPKWVVykPu1iYhQXw1jIABfw-MVsN-3bQ76WLdt2SDxsHs7q7zPyUyHXmps7ycZ5c72wGkUwNOjYelmkiNS",
                "0",
            ),
        )
    }

    fn bob_hex() -> String {
        hex::encode(URL_SAFE_NO_PAD.decode(C_BOB_D).unwrap())
    }

    /// Fixed keys (RFC material, so no RSA generation): Bob's P-256 key and the A.1 RSA key.
    fn keys(rsa_alg: KeyAlg) -> DecryptionKeys {
        DecryptionKeys::from_material(&bob_hex(), &a1_rsa_pem())
            .unwrap()
            .with_rsa_alg(rsa_alg)
            .unwrap()
    }

    fn keys_for(alg: KeyAlg) -> DecryptionKeys {
        keys(if alg.is_rsa() {
            alg
        } else {
            KeyAlg::RsaOaep256
        })
    }

    fn signed_jwt() -> (String, Value) {
        let signer = EcKey::generate("hub:ES256");
        let claims = json!({"iss": "https://hub.example", "sub": "abc", "given_name": "Angela"});
        let jws = sign_jwt(&Signer::Ec(&signer), &claims).unwrap();
        (jws, json!({"keys": [signer.public_jwk()]}))
    }

    fn part(jwe: &str, i: usize) -> &str {
        jwe.split('.').nth(i).unwrap()
    }

    fn replace_part(jwe: &str, i: usize, new: &str) -> String {
        let mut parts: Vec<&str> = jwe.split('.').collect();
        parts[i] = new;
        parts.join(".")
    }

    fn with_header(jwe: &str, edit: impl FnOnce(&mut Map<String, Value>)) -> String {
        let mut header = decode_header(part(jwe, 0)).unwrap();
        edit(&mut header);
        replace_part(jwe, 0, &b64(&serde_json::to_vec(&header).unwrap()))
    }

    fn flip_bit(jwe: &str, i: usize) -> String {
        let mut bytes = URL_SAFE_NO_PAD.decode(part(jwe, i)).unwrap();
        bytes[0] ^= 1;
        replace_part(jwe, i, &b64(&bytes))
    }

    fn encrypt_to(keys: &DecryptionKeys, alg: KeyAlg, jws: &str) -> String {
        let recipient = EncryptionJwk::from_jwks(&keys.jwks(), alg).unwrap();
        encrypt(jws, &recipient, alg, ContentEnc::A256Gcm).unwrap()
    }

    #[test]
    fn rfc7516_a1_decrypts_with_the_published_key() {
        let keys = keys(KeyAlg::RsaOaep);
        let out = decrypt(A1_COMPACT, &keys, KeyAlg::RsaOaep, ContentEnc::A256Gcm).unwrap();
        assert_eq!(out.plaintext, A1_PLAINTEXT);
        assert_eq!(out.header, json!({"alg": "RSA-OAEP", "enc": "A256GCM"}));
        assert_eq!(out.kid, keys.rsa_kid().unwrap());
    }

    #[test]
    fn rfc7516_a1_encryption_reproduces_the_ciphertext_and_tag() {
        let recipient =
            EncryptionJwk::from_jwk(&json!({"kty": "RSA", "n": A1_N, "e": "AQAB"})).unwrap();
        let mut header = Map::new();
        header.insert("alg".into(), json!("RSA-OAEP"));
        header.insert("enc".into(), json!("A256GCM"));
        let randomness = Randomness {
            cek: Zeroizing::new(A1_CEK),
            iv: A1_IV,
            ephemeral: Ephemeral::Fresh,
        };
        let jwe = seal(
            header,
            A1_PLAINTEXT.as_bytes(),
            &recipient,
            (KeyAlg::RsaOaep, ContentEnc::A256Gcm),
            randomness,
        )
        .unwrap();
        // OAEP is randomised, so the encrypted key differs; everything else is the RFC's.
        for i in [0, 2, 3, 4] {
            assert_eq!(part(&jwe, i), part(A1_COMPACT, i), "part {i}");
        }
        assert_ne!(part(&jwe, 1), part(A1_COMPACT, 1));
        let out = decrypt(
            &jwe,
            &keys(KeyAlg::RsaOaep),
            KeyAlg::RsaOaep,
            ContentEnc::A256Gcm,
        );
        assert_eq!(out.unwrap().plaintext, A1_PLAINTEXT);
    }

    #[test]
    fn rfc7518_appendix_c_key_agreement_and_concat_kdf() {
        let secret = |d: &str| p256::SecretKey::from_slice(&URL_SAFE_NO_PAD.decode(d).unwrap());
        let point = |x: &str, y: &str| {
            parse_ec_point(&json!({"kty": "EC", "crv": "P-256", "x": x, "y": y})).unwrap()
        };
        let alice = secret(C_ALICE_D).unwrap();
        let bob = secret(C_BOB_D).unwrap();
        assert_eq!(alice.public_key(), point(C_ALICE_X, C_ALICE_Y));
        assert_eq!(bob.public_key(), point(C_BOB_X, C_BOB_Y));
        let sender_z = alice.diffie_hellman(&point(C_BOB_X, C_BOB_Y));
        let recipient_z = bob.diffie_hellman(&point(C_ALICE_X, C_ALICE_Y));
        assert_eq!(sender_z.raw_secret_bytes().as_slice(), &C_Z);
        assert_eq!(recipient_z.raw_secret_bytes().as_slice(), &C_Z);
        // The RFC's example derives an A128GCM key with apu "Alice" and apv "Bob".
        let derived = concat_kdf(&C_Z, "A128GCM", b"Alice", b"Bob", 16);
        assert_eq!(b64(&derived), "VqqN6vgjbSBcIijNcacQGg");
    }

    #[test]
    fn ecdh_es_with_the_rfc_ephemeral_key_decrypts_with_the_rfc_recipient_key() {
        let bob = EncryptionJwk::from_jwk(
            &json!({"kty": "EC", "crv": "P-256", "x": C_BOB_X, "y": C_BOB_Y, "kid": "bob"}),
        )
        .unwrap();
        let mut header = Map::new();
        header.insert("alg".into(), json!("ECDH-ES"));
        header.insert("enc".into(), json!("A256GCM"));
        let alice = p256::SecretKey::from_slice(&URL_SAFE_NO_PAD.decode(C_ALICE_D).unwrap());
        let randomness = Randomness {
            cek: Zeroizing::new([0; CEK_LEN]),
            iv: A1_IV,
            ephemeral: Ephemeral::Fixed(alice.unwrap()),
        };
        let (jws, _) = signed_jwt();
        let jwe = seal(
            header,
            jws.as_bytes(),
            &bob,
            (KeyAlg::EcdhEs, ContentEnc::A256Gcm),
            randomness,
        )
        .unwrap();
        let header = peek_header(&jwe).unwrap();
        assert_eq!(
            header["epk"],
            json!({"kty": "EC", "crv": "P-256", "x": C_ALICE_X, "y": C_ALICE_Y})
        );
        assert_eq!(
            part(&jwe, 1),
            "",
            "direct key agreement has no encrypted key"
        );
        let out = decrypt(
            &jwe,
            &keys(KeyAlg::RsaOaep256),
            KeyAlg::EcdhEs,
            ContentEnc::A256Gcm,
        );
        assert_eq!(out.unwrap().plaintext, jws);
    }

    /// RSA-OAEP-256 and ECDH-ES have no RFC example JWE: these two were made once by jwcrypto
    /// 1.6.1 (an independent JOSE library; `interop/jose` runs the live cross-check), encrypting
    /// to the RFC 7516 A.1 RSA key and to RFC 7518 C's Bob. A wrong OAEP hash or a wrong Concat
    /// KDF input would fail here even though our own round trips agree with themselves.
    #[test]
    fn jwes_made_by_another_library_decrypt() {
        const PLAINTEXT: &str = "aGVhZGVy.cGF5bG9hZA.c2lnbmF0dXJl";
        const RSA_OAEP_256: &str = concat!(
            "eyJhbGciOiAiUlNBLU9BRVAtMjU2IiwgImVuYyI6ICJBMjU2R0NNIiwgImN0eSI6ICJKV1QifQ.",
            "Pm4y8_HI8ftkNkhrx5vz-zdm1SBJrDmFKLJdfkzY8AFHh4KJOt7KxKsyIEC8Ci06sBjiwcapdNAb9GdTQaYb",
            "HAqAWXv_4Prbel2zjDxmtZ3n1i6QA_kbETMZ-jAgpAYRfjyFRHVF-NYagqCs35IK3dmQ09v-S_R2Tt4OXJ0V",
            "r6GoTX2Q9Bb0jXoO6ol7hzyz3scwMgAZGkXO0wOIt9cf7kVix19lE8Eef93hvO0VpwySbq_DYEOzXJSipvw3",
            "7Zn52G4h9vFCRFNKoMAaupSO3n9NV_bpZ-FFJ_yHoT8yFr1Qgpu7KhC7CYds1b2S3W6O1HPDU1CBqdB7yrBJ",
            "cFVqGQ.dQBCCpb1z47db7-l.MIRqmqXNS8Rq_-abYq1wIcCV3qSdeD-_OwIiKnNK944.P6jslIAZMUyByVorsn8-yQ",
        );
        const ECDH_ES: &str = concat!(
            "eyJhbGciOiJFQ0RILUVTIiwiY3R5IjoiSldUIiwiZW5jIjoiQTI1NkdDTSIsImVwayI6eyJjcnYiOiJQLTI1",
            "NiIsImt0eSI6IkVDIiwieCI6IlZSNFlnY2xjUlpqUEpzbFFNNDFDOGlGYUduSEM3M1puZDZ2X29uN2czNWsi",
            "LCJ5IjoiUnkxNWxIOXFfNkdfU3B0TDlfclNIaWNJb3pheGs4Tl8ybHVKYTRjZXBRTSJ9fQ..PEV66hIBfRnM",
            "7QeV.P2IyC1KOuViboQzFbO9K4eSjcBENizfzRh_K7uYhH8M.yBsA9g0juoWSon7CFmWSxg",
        );
        let keys = keys(KeyAlg::RsaOaep256);
        for (jwe, alg) in [
            (RSA_OAEP_256, KeyAlg::RsaOaep256),
            (ECDH_ES, KeyAlg::EcdhEs),
        ] {
            let out = decrypt(jwe, &keys, alg, ContentEnc::A256Gcm).unwrap();
            assert_eq!(out.plaintext, PLAINTEXT, "{alg}");
            assert_eq!(out.header["cty"], "JWT");
        }
    }

    #[test]
    fn rfc7638_thumbprint_example() {
        let n = concat!(
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJ",
            "ECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FD",
            "W2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vM",
            "QFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        );
        let jwk = json!({"kty": "RSA", "n": n, "e": "AQAB", "alg": "RS256", "kid": "2011-04-29"});
        let key = EncryptionJwk::from_jwk(&jwk).unwrap();
        assert_eq!(
            key.thumbprint(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
        assert_eq!(key.kid(), Some("2011-04-29"));
    }

    #[test]
    fn every_algorithm_round_trips_a_signed_jwt_with_the_fc_header() {
        let (jws, signing_jwks) = signed_jwt();
        for alg in KeyAlg::ALL {
            let keys = keys_for(alg);
            let recipient = EncryptionJwk::from_jwks(&keys.jwks(), alg).unwrap();
            let jwe = Encrypter::new(alg, ContentEnc::A256Gcm)
                .header("iss", "https://hub.example")
                .header("aud", "client-id")
                .encrypt(&jws, &recipient)
                .unwrap();
            let out = decrypt(&jwe, &keys, alg, ContentEnc::A256Gcm).unwrap();
            assert_eq!(out.plaintext, jws, "{alg}");
            let expected_kid = if alg.is_rsa() {
                keys.rsa_kid().unwrap().to_owned()
            } else {
                keys.ec_kid().to_owned()
            };
            assert_eq!(out.kid, expected_kid);
            let header = out.header.as_object().unwrap();
            let mut members: Vec<&str> = header.keys().map(String::as_str).collect();
            members.sort_unstable();
            let mut expected = vec!["alg", "aud", "cty", "enc", "iss", "kid"];
            if alg == KeyAlg::EcdhEs {
                expected.push("epk");
                expected.sort_unstable();
            }
            assert_eq!(members, expected, "{alg}");
            assert_eq!(header["alg"], alg.as_str());
            assert_eq!(header["enc"], "A256GCM");
            assert_eq!(header["cty"], "JWT");
            assert_eq!(header["kid"], expected_kid.as_str());
            assert_eq!(header["iss"], "https://hub.example");
            // The inner JWS still verifies with the signer's keys.
            let jwks = parse_jwks(&signing_jwks).unwrap();
            let claims = verify_jwt(&out.plaintext, Jwa::ES256, &jwks, None).unwrap();
            assert_eq!(claims["given_name"], "Angela");
            // Two encryptions of the same token differ (fresh CEK, IV, ephemeral key).
            assert_ne!(
                jwe,
                encrypt(&jws, &recipient, alg, ContentEnc::A256Gcm).unwrap()
            );
        }
    }

    #[test]
    fn a_minimal_header_is_alg_and_enc_only_and_still_decrypts() {
        let (jws, _) = signed_jwt();
        for alg in KeyAlg::ALL {
            let keys = keys_for(alg);
            let recipient = EncryptionJwk::from_jwks(&keys.jwks(), alg).unwrap();
            let jwe = Encrypter::new(alg, ContentEnc::A256Gcm)
                .minimal_header()
                .encrypt(&jws, &recipient)
                .unwrap();
            let header = peek_header(&jwe).unwrap();
            let mut members: Vec<&String> = header.as_object().unwrap().keys().collect();
            members.sort_unstable();
            let expected = if alg == KeyAlg::EcdhEs {
                vec!["alg", "enc", "epk"]
            } else {
                vec!["alg", "enc"]
            };
            assert_eq!(members, expected);
            let out = decrypt(&jwe, &keys, alg, ContentEnc::A256Gcm).unwrap();
            assert_eq!(out.plaintext, jws);
        }
    }

    #[test]
    fn the_pinned_algorithms_win_over_the_header() {
        let (jws, _) = signed_jwt();
        for alg in KeyAlg::ALL {
            let jwe = encrypt_to(&keys_for(alg), alg, &jws);
            for other in KeyAlg::ALL.into_iter().filter(|a| *a != alg) {
                let err = decrypt(&jwe, &keys_for(other), other, ContentEnc::A256Gcm);
                assert_eq!(
                    err,
                    Err(JweError::WrongAlg {
                        found: alg.as_str().into(),
                        expected: other
                    })
                );
            }
            let relabelled = with_header(&jwe, |h| {
                h.insert("enc".into(), json!("A128GCM"));
            });
            assert_eq!(
                decrypt(&relabelled, &keys_for(alg), alg, ContentEnc::A256Gcm),
                Err(JweError::WrongEnc {
                    found: "A128GCM".into(),
                    expected: ContentEnc::A256Gcm
                })
            );
            let no_alg = with_header(&jwe, |h| {
                h.remove("alg");
            });
            assert!(matches!(
                decrypt(&no_alg, &keys_for(alg), alg, ContentEnc::A256Gcm),
                Err(JweError::WrongAlg { found, .. }) if found.is_empty()
            ));
        }
    }

    #[test]
    fn any_altered_part_is_refused() {
        let (jws, _) = signed_jwt();
        for alg in KeyAlg::ALL {
            let keys = keys_for(alg);
            let jwe = encrypt_to(&keys, alg, &jws);
            let altered_header = with_header(&jwe, |h| {
                h.insert("aud".into(), json!("someone-else"));
            });
            let mut altered = vec![altered_header, flip_bit(&jwe, 2), flip_bit(&jwe, 3)];
            altered.push(flip_bit(&jwe, 4));
            if alg.is_rsa() {
                altered.push(flip_bit(&jwe, 1));
            }
            for (i, token) in altered.iter().enumerate() {
                assert_eq!(
                    decrypt(token, &keys, alg, ContentEnc::A256Gcm),
                    Err(JweError::Decryption),
                    "{alg}, alteration {i}"
                );
            }
        }
    }

    #[test]
    fn keys_are_chosen_by_kid_or_tried_when_there_is_none() {
        let (jws, _) = signed_jwt();
        for alg in KeyAlg::ALL {
            let keys = keys_for(alg);
            let mut jwk = EncryptionJwk::from_jwks(&keys.jwks(), alg).unwrap();
            jwk.kid = None;
            let jwe = encrypt(&jws, &jwk, alg, ContentEnc::A256Gcm).unwrap();
            assert!(peek_header(&jwe).unwrap().get("kid").is_none());
            assert_eq!(
                decrypt(&jwe, &keys, alg, ContentEnc::A256Gcm)
                    .unwrap()
                    .plaintext,
                jws
            );
            // Another program's keys: no kid to match, so the failure is the decryption's
            // (for RSA, through the random CEK that stands in for a failed unwrap).
            let stranger = DecryptionKeys::from_material(&hex::encode([7u8; 32]), &a2_rsa_pem())
                .unwrap()
                .with_rsa_alg(keys.rsa_alg())
                .unwrap();
            assert_eq!(
                decrypt(&jwe, &stranger, alg, ContentEnc::A256Gcm),
                Err(JweError::Decryption),
                "{alg}"
            );
            let unknown = with_header(&encrypt_to(&keys, alg, &jws), |h| {
                h.insert("kid".into(), json!("not-ours"));
            });
            assert_eq!(
                decrypt(&unknown, &keys, alg, ContentEnc::A256Gcm),
                Err(JweError::UnknownKey {
                    kid: Some("not-ours".into()),
                    alg
                })
            );
        }
        // The EC key's kid on an RSA token names no RSA key.
        let keys = keys(KeyAlg::RsaOaep256);
        let ec_kid = keys.ec_kid().to_owned();
        let jwe = with_header(&encrypt_to(&keys, KeyAlg::RsaOaep256, &jws), |h| {
            h.insert("kid".into(), json!(ec_kid));
        });
        assert!(matches!(
            decrypt(&jwe, &keys, KeyAlg::RsaOaep256, ContentEnc::A256Gcm),
            Err(JweError::UnknownKey { .. })
        ));
        // An RSA key published for RSA-OAEP-256 is not used for RSA-OAEP.
        let jwe = encrypt_to(&self::keys(KeyAlg::RsaOaep), KeyAlg::RsaOaep, &jws);
        assert!(matches!(
            decrypt(&jwe, &keys, KeyAlg::RsaOaep, ContentEnc::A256Gcm),
            Err(JweError::UnknownKey { .. })
        ));
    }

    #[test]
    fn invalid_ephemeral_keys_are_refused() {
        let (jws, _) = signed_jwt();
        let keys = keys(KeyAlg::RsaOaep256);
        let jwe = encrypt_to(&keys, KeyAlg::EcdhEs, &jws);
        let epk = peek_header(&jwe).unwrap()["epk"].clone();
        let x = epk["x"].as_str().unwrap().to_owned();
        let cases = [
            json!(null),
            json!({"kty": "EC", "crv": "P-256", "x": x, "y": x}),
            json!({"kty": "EC", "crv": "P-384", "x": x, "y": epk["y"]}),
            json!({"kty": "RSA", "n": x, "e": "AQAB"}),
            json!({"kty": "EC", "crv": "P-256", "x": &x[..42], "y": epk["y"]}),
            json!({"kty": "EC", "crv": "P-256", "x": "!!", "y": epk["y"]}),
            json!({"kty": "EC", "crv": "P-256", "x": b64(&[0; 32]), "y": b64(&[0; 32])}),
        ];
        for (i, bad) in cases.into_iter().enumerate() {
            let token = with_header(&jwe, |h| {
                if bad.is_null() {
                    h.remove("epk");
                } else {
                    h.insert("epk".into(), bad);
                }
            });
            assert!(
                matches!(
                    decrypt(&token, &keys, KeyAlg::EcdhEs, ContentEnc::A256Gcm),
                    Err(JweError::InvalidEpk(_))
                ),
                "case {i}"
            );
        }
        let with_key = replace_part(&jwe, 1, "AAAA");
        assert!(matches!(
            decrypt(&with_key, &keys, KeyAlg::EcdhEs, ContentEnc::A256Gcm),
            Err(JweError::Malformed(_))
        ));
    }

    #[test]
    fn malformed_inputs_are_typed_errors() {
        let (jws, _) = signed_jwt();
        let keys = keys(KeyAlg::RsaOaep256);
        let jwe = encrypt_to(&keys, KeyAlg::RsaOaep256, &jws);
        let run = |token: &str| decrypt(token, &keys, KeyAlg::RsaOaep256, ContentEnc::A256Gcm);
        let malformed = |token: &str| matches!(run(token), Err(JweError::Malformed(_)));
        assert!(malformed(""));
        assert!(malformed(&jws));
        assert!(malformed(&format!("{jwe}.")));
        assert!(malformed(jwe.rsplit_once('.').unwrap().0));
        for i in 0..5 {
            assert!(malformed(&replace_part(&jwe, i, "a*b")), "part {i}");
            assert!(malformed(&replace_part(&jwe, i, "AAAAA")), "part {i}");
        }
        assert!(malformed(&replace_part(&jwe, 0, &b64(b"[1,2]"))));
        assert!(malformed(&replace_part(&jwe, 0, &b64(b"not json"))));
        assert!(malformed(&replace_part(&jwe, 2, &b64(&[0; 16]))));
        assert!(malformed(&replace_part(&jwe, 4, &b64(&[0; 15]))));
        assert!(malformed(&with_header(&jwe, |h| {
            h.insert("kid".into(), json!(3));
        })));
        for member in ["crit", "zip"] {
            let token = with_header(&jwe, |h| {
                h.insert(member.into(), json!(["exp"]));
            });
            assert!(matches!(run(&token), Err(JweError::Header(_))));
        }
        // A short or empty encrypted key is a decryption failure like any other.
        assert_eq!(run(&replace_part(&jwe, 1, "")), Err(JweError::Decryption));
        assert_eq!(
            run(&replace_part(&jwe, 1, "AAAA")),
            Err(JweError::Decryption)
        );
        let huge = format!("{jwe}{}", "A".repeat(MAX_JWE_LEN));
        assert_eq!(run(&huge), Err(JweError::TooLarge(huge.len())));
        assert_eq!(peek_header(&huge), Err(JweError::TooLarge(huge.len())));
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let (jws, _) = signed_jwt();
        for alg in [KeyAlg::EcdhEs, KeyAlg::RsaOaep256] {
            let keys = keys_for(alg);
            let jwe = encrypt_to(&keys, alg, &jws);
            for end in 0..jwe.len() {
                assert!(decrypt(&jwe[..end], &keys, alg, ContentEnc::A256Gcm).is_err());
            }
        }
    }

    #[test]
    fn content_that_is_not_text_is_refused() {
        let keys = keys(KeyAlg::RsaOaep256);
        let recipient = EncryptionJwk::from_jwks(&keys.jwks(), KeyAlg::EcdhEs).unwrap();
        let mut header = Map::new();
        header.insert("alg".into(), json!("ECDH-ES"));
        header.insert("enc".into(), json!("A256GCM"));
        let jwe = seal(
            header,
            &[0xff, 0xfe],
            &recipient,
            (KeyAlg::EcdhEs, ContentEnc::A256Gcm),
            Randomness::fresh(),
        )
        .unwrap();
        assert_eq!(
            decrypt(&jwe, &keys, KeyAlg::EcdhEs, ContentEnc::A256Gcm),
            Err(JweError::NotText)
        );
    }

    #[test]
    fn encryption_refuses_misuse() {
        let (jws, _) = signed_jwt();
        let keys = keys(KeyAlg::RsaOaep256);
        let ec = EncryptionJwk::from_jwks(&keys.jwks(), KeyAlg::EcdhEs).unwrap();
        let rsa = EncryptionJwk::from_jwks(&keys.jwks(), KeyAlg::RsaOaep256).unwrap();
        assert_eq!(
            encrypt(&jws, &ec, KeyAlg::RsaOaep, ContentEnc::A256Gcm),
            Err(JweError::KeyMismatch {
                alg: KeyAlg::RsaOaep,
                found: "EC"
            })
        );
        assert!(matches!(
            encrypt(&jws, &rsa, KeyAlg::EcdhEs, ContentEnc::A256Gcm),
            Err(JweError::KeyMismatch { .. })
        ));
        for member in ["alg", "enc", "kid", "epk", "cty", "zip"] {
            let result = Encrypter::new(KeyAlg::EcdhEs, ContentEnc::A256Gcm)
                .header(member, "x")
                .encrypt(&jws, &ec);
            assert!(matches!(result, Err(JweError::Header(_))), "{member}");
        }
        for not_jws in [r#"{"sub":"a"}"#, "a.b", "a.b.c.d", "a b.c.d", ".."] {
            assert!(matches!(
                encrypt(not_jws, &ec, KeyAlg::EcdhEs, ContentEnc::A256Gcm),
                Err(JweError::Encryption(_))
            ));
        }
    }

    #[test]
    fn the_recipient_key_is_chosen_from_the_jwks_as_franceconnect_does() {
        let keys = keys(KeyAlg::RsaOaep256);
        let published = keys.jwks();
        let ec = published["keys"][0].clone();
        let rsa = published["keys"][1].clone();
        let with = |jwk: &Value, member: &str, value: Value| {
            let mut jwk = jwk.clone();
            jwk[member] = value;
            jwk
        };
        let jwks = |keys: Vec<Value>| json!({ "keys": keys });
        // `use: sig` and keys published for another algorithm are skipped.
        let doc = jwks(vec![
            with(&ec, "use", json!("sig")),
            with(&rsa, "alg", json!("RSA-OAEP")),
            with(&ec, "kid", json!("second")),
            with(&rsa, "kid", json!("rsa-second")),
        ]);
        let chosen = EncryptionJwk::from_jwks(&doc, KeyAlg::EcdhEs).unwrap();
        assert_eq!(chosen.kid(), Some("second"));
        let chosen = EncryptionJwk::from_jwks(&doc, KeyAlg::RsaOaep).unwrap();
        assert_eq!(chosen.kid(), Some(keys.rsa_kid().unwrap()));
        let chosen = EncryptionJwk::from_jwks(&doc, KeyAlg::RsaOaep256).unwrap();
        assert_eq!(chosen.kid(), Some("rsa-second"));
        // Keys without `use` or `alg` are fit for any algorithm of their type.
        let mut bare = ec.clone();
        bare.as_object_mut()
            .unwrap()
            .retain(|k, _| k != "use" && k != "alg");
        let chosen = EncryptionJwk::from_jwks(&jwks(vec![bare]), KeyAlg::EcdhEs).unwrap();
        assert_eq!(chosen.kid(), Some(keys.ec_kid()));
        // Nothing fits, or what fits is broken: both said plainly.
        let doc = jwks(vec![
            with(&ec, "crv", json!("P-384")),
            with(&rsa, "use", json!("sig")),
        ]);
        for alg in KeyAlg::ALL {
            assert_eq!(
                EncryptionJwk::from_jwks(&doc, alg).unwrap_err(),
                JweError::NoRecipientKey(alg)
            );
        }
        let small = with(&rsa, "n", json!(b64(&[0xff; 128])));
        assert!(matches!(
            EncryptionJwk::from_jwks(&jwks(vec![small]), KeyAlg::RsaOaep256),
            Err(JweError::Key(m)) if m.contains("1024 bits")
        ));
        let off_curve = with(&ec, "y", ec["x"].clone());
        assert!(matches!(
            EncryptionJwk::from_jwks(&jwks(vec![off_curve]), KeyAlg::EcdhEs),
            Err(JweError::Key(_))
        ));
        assert!(EncryptionJwk::from_jwks(&json!({"keys": {}}), KeyAlg::EcdhEs).is_err());
        assert!(EncryptionJwk::from_jwks(&json!([ec]), KeyAlg::EcdhEs).is_err());
        assert!(EncryptionJwk::from_jwk(&json!({"kty": "oct", "k": "AAAA"})).is_err());
    }

    #[test]
    fn published_keys_are_named_by_their_thumbprints() {
        let keys = keys(KeyAlg::RsaOaep);
        let jwks = keys.jwks();
        assert_eq!(jwks["keys"][0]["use"], "enc");
        assert_eq!(jwks["keys"][0]["alg"], "ECDH-ES");
        assert_eq!(jwks["keys"][1]["use"], "enc");
        assert_eq!(jwks["keys"][1]["alg"], "RSA-OAEP");
        assert!(jwks["keys"][0].get("d").is_none() && jwks["keys"][1].get("d").is_none());
        let ec = EncryptionJwk::from_jwks(&jwks, KeyAlg::EcdhEs).unwrap();
        let rsa = EncryptionJwk::from_jwks(&jwks, KeyAlg::RsaOaep).unwrap();
        assert_eq!(ec.thumbprint(), keys.ec_kid());
        assert_eq!(rsa.thumbprint(), keys.rsa_kid().unwrap());
        assert_eq!(ec.kid(), Some(keys.ec_kid()));
        assert!(keys.clone().with_rsa_alg(KeyAlg::EcdhEs).is_err());
        // Secrets stay out of Debug output.
        let shown = format!("{keys:?}");
        assert!(!shown.contains(&bob_hex()) && shown.contains(keys.ec_kid()));
    }

    #[test]
    fn keys_kept_in_a_folder_are_the_same_after_a_restart() {
        let dir = std::env::temp_dir().join(format!("fc-enc-keys-{}", crate::random::token(8)));
        let first = DecryptionKeys::load_or_generate(&dir, "sp").unwrap();
        let (jws, _) = signed_jwt();
        let jwe = encrypt_to(&first, KeyAlg::RsaOaep256, &jws);
        let again = DecryptionKeys::load_or_generate(&dir, "sp").unwrap();
        assert_eq!(first.jwks(), again.jwks());
        let out = decrypt(&jwe, &again, KeyAlg::RsaOaep256, ContentEnc::A256Gcm).unwrap();
        assert_eq!(out.plaintext, jws);
        #[cfg(unix)]
        for name in ["sp-enc-p256.hex", "sp-enc-rsa.pem"] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(name))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
        let pem = std::fs::read_to_string(dir.join("sp-enc-rsa.pem")).unwrap();
        let hex = std::fs::read_to_string(dir.join("sp-enc-p256.hex")).unwrap();
        let fixed = DecryptionKeys::from_material(&hex, &pem).unwrap();
        assert_eq!(fixed.jwks(), first.jwks());
        std::fs::remove_dir_all(&dir).unwrap();

        let fresh = DecryptionKeys::generate().unwrap();
        assert_ne!(fresh.ec_kid(), first.ec_kid());
        assert_eq!(fresh.jwks()["keys"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn fixed_material_is_checked() {
        let pem = a1_rsa_pem();
        assert!(DecryptionKeys::from_material("zz", &pem).is_err());
        assert!(DecryptionKeys::from_material(&hex::encode([0u8; 32]), &pem).is_err());
        assert!(DecryptionKeys::from_material(&bob_hex(), "not a pem").is_err());
        // PEM forms of the EC key are accepted too.
        use p256::pkcs8::EncodePrivateKey;
        let secret = p256::SecretKey::from_slice(&hex::decode(bob_hex()).unwrap()).unwrap();
        let pkcs8 = secret.to_pkcs8_pem(p256::pkcs8::LineEnding::LF).unwrap();
        let from_pem = DecryptionKeys::from_material(&pkcs8, &pem).unwrap();
        assert_eq!(from_pem.ec_kid(), keys(KeyAlg::RsaOaep256).ec_kid());
    }

    #[test]
    fn algorithm_names_are_the_jose_ones() {
        for (alg, name) in KeyAlg::ALL
            .into_iter()
            .zip(["ECDH-ES", "RSA-OAEP", "RSA-OAEP-256"])
        {
            assert_eq!(alg.to_string(), name);
            assert_eq!(name.parse::<KeyAlg>().unwrap(), alg);
            assert_eq!(serde_json::to_value(alg).unwrap(), json!(name));
            assert_eq!(serde_json::from_value::<KeyAlg>(json!(name)).unwrap(), alg);
        }
        assert_eq!(ContentEnc::A256Gcm.to_string(), "A256GCM");
        assert_eq!(
            "A256GCM".parse::<ContentEnc>().unwrap(),
            ContentEnc::A256Gcm
        );
        assert_eq!(
            serde_json::to_value(ContentEnc::A256Gcm).unwrap(),
            json!("A256GCM")
        );
        assert!("RSA1_5".parse::<KeyAlg>().is_err());
        assert!("A128GCM".parse::<ContentEnc>().is_err());
        assert!(serde_json::from_value::<KeyAlg>(json!("dir")).is_err());
    }

    #[test]
    fn decrypted_tokens_stay_out_of_debug_output() {
        let (jws, _) = signed_jwt();
        let keys = keys(KeyAlg::RsaOaep256);
        let jwe = encrypt_to(&keys, KeyAlg::EcdhEs, &jws);
        let out = decrypt(&jwe, &keys, KeyAlg::EcdhEs, ContentEnc::A256Gcm).unwrap();
        let shown = format!("{out:?}");
        assert!(!shown.contains(&jws) && shown.contains("plaintext_len"));
    }
}
