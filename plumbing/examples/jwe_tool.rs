//! A command-line face of `fc_plumbing::jwe`, for checking it against another JOSE library
//! (`interop/jose/run`). Keys live in a folder, so successive calls share them.
//!
//! ```text
//! jwe_tool keys DIR ALG                      prints {"enc": our encryption JWKS, "sig": our signing JWKS}
//! jwe_tool sign-encrypt DIR ALG JWKS_FILE    claims (JSON, stdin) -> ES256 JWS -> JWE to the JWKS's key
//! jwe_tool decrypt DIR ALG                   JWE (stdin) -> {"plaintext", "header", "kid"}
//! ```
//!
//! ALG is ECDH-ES, RSA-OAEP or RSA-OAEP-256; the content encryption is A256GCM. Errors go to
//! stderr with exit status 1 (2 for a usage error).

use std::io::Read;
use std::path::Path;

use fc_plumbing::jose::{Jwa, KeySet, sign_jwt};
use fc_plumbing::jwe::{self, ContentEnc, DecryptionKeys, Encrypter, EncryptionJwk, KeyAlg};

const USAGE: &str =
    "usage: jwe_tool keys DIR ALG | sign-encrypt DIR ALG JWKS_FILE | decrypt DIR ALG";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args[..] {
        ["keys", dir, alg] => keys(Path::new(dir), alg),
        ["sign-encrypt", dir, alg, jwks] => sign_encrypt(Path::new(dir), alg, Path::new(jwks)),
        ["decrypt", dir, alg] => decrypt(Path::new(dir), alg),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    match result {
        Ok(out) => println!("{out}"),
        Err(e) => {
            eprintln!("jwe_tool: {e}");
            std::process::exit(1);
        }
    }
}

type Outcome = Result<String, Box<dyn std::error::Error>>;

/// Our encryption keys, with the RSA key published for `alg` when `alg` is an RSA one.
fn encryption_keys(dir: &Path, alg: KeyAlg) -> Result<DecryptionKeys, jwe::JweError> {
    let keys = DecryptionKeys::load_or_generate(dir, "tool")?;
    match alg {
        KeyAlg::EcdhEs => Ok(keys),
        rsa => keys.with_rsa_alg(rsa),
    }
}

fn keys(dir: &Path, alg: &str) -> Outcome {
    let alg: KeyAlg = alg.parse()?;
    let enc = encryption_keys(dir, alg)?.jwks();
    let sig = KeySet::load_or_generate(dir, "tool")?.jwks();
    Ok(serde_json::json!({"enc": enc, "sig": sig}).to_string())
}

fn sign_encrypt(dir: &Path, alg: &str, jwks_file: &Path) -> Outcome {
    let alg: KeyAlg = alg.parse()?;
    let claims: serde_json::Value = serde_json::from_str(&stdin()?)?;
    let signing = KeySet::load_or_generate(dir, "tool")?;
    let jws = sign_jwt(&signing.signer(Jwa::ES256, ""), &claims)?;
    let jwks: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(jwks_file)?)?;
    let recipient = EncryptionJwk::from_jwks(&jwks, alg)?;
    // The extra members FranceConnect puts in an encrypted ID token's header.
    let jwe = Encrypter::new(alg, ContentEnc::A256Gcm)
        .header("iss", "https://interop.fc-demo.invalid")
        .header("aud", "interop-client")
        .encrypt(&jws, &recipient)?;
    Ok(jwe)
}

fn decrypt(dir: &Path, alg: &str) -> Outcome {
    let alg: KeyAlg = alg.parse()?;
    let keys = encryption_keys(dir, alg)?;
    let out = jwe::decrypt(stdin()?.trim(), &keys, alg, ContentEnc::A256Gcm)?;
    Ok(
        serde_json::json!({"plaintext": out.plaintext, "header": out.header, "kid": out.kid})
            .to_string(),
    )
}

fn stdin() -> Result<String, std::io::Error> {
    let mut text = String::new();
    std::io::stdin()
        .take(jwe::MAX_JWE_LEN as u64 + 1)
        .read_to_string(&mut text)?;
    Ok(text)
}
