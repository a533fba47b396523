//! `fc-microbench`: the per-request costs that matter, in a release build — signing an ID token
//! per algorithm, verifying one (with a parsed `JwkSet`, through a `JwksCache`, and through the
//! older `openidconnect` key set), JWE encryption and decryption, the JOSE share of one journey, the pairwise sub, loading
//! 10 000 IdP users, and rendering the mire over HTTP against the in-process demo.

use std::process::ExitCode;

use anyhow::Context;
use fc_plumbing::jose::{Jwa, JwkSet, KeySet, parse_jwks, sign_jwt, verify_jwt};
use fc_plumbing::{BackChannel, Clock, JwksCache};
use hub::domain::Identity;
use hub::provider::sub::pairwise_sub;
use identity_provider_example::users::UserDirectory;
use loadgen::microbench::{Timing, bench, bench_async, header};
use serde_json::json;

const SECRET: &str = "a970fc88b3111fcfdce515c2ee03488d8a349e5379a3ba2aa48c225dcea243a5";

fn jose() -> anyhow::Result<Vec<Timing>> {
    let keys = KeySet::generate("bench")?;
    let jwks_doc = keys.jwks();
    let jwks = JwkSet::from_json(&jwks_doc)?;
    // An ID token as the hub issues it: same claims, realistic sizes.
    let claims = json!({
        "iss": "http://localhost:8000/api/v2",
        "sub": "4d327dd1e427daf4d50296ab71d6f3fc82ccc40742943521d42cb2bae4df41afv1",
        "aud": "6925fb8143c76eded44d32b40c0cb1006065f7f003de52712b78985704f39950",
        "exp": 1_900_000_060,
        "iat": 1_900_000_000,
        "auth_time": 1_900_000_000,
        "nonce": "n-0S6_WzA2Mj-bench-nonce-value",
        "acr": "eidas1",
        "amr": ["pwd"],
        "idp": "FC",
        "idp_acr": "eidas1",
        "at_hash": "77QmUPtjPfzWtF2AnpK9RQ",
    });
    let mut timings = Vec::new();
    for (alg, iterations) in [(Jwa::ES256, 4000), (Jwa::RS256, 600), (Jwa::HS256, 20_000)] {
        let signer = keys.signer(alg, SECRET);
        timings.push(bench(
            &format!("sign ID token {alg}"),
            iterations / 10,
            iterations,
            || sign_jwt(&signer, &claims),
        ));
        let token = sign_jwt(&signer, &claims)?;
        jwks.verify(&token, alg, Some(SECRET))
            .context("the benchmark token verifies")?;
        timings.push(bench(
            &format!("verify ID token {alg}"),
            iterations / 10,
            iterations,
            || jwks.verify(&token, alg, Some(SECRET)),
        ));
    }
    // What callers still holding openidconnect's key set pay (a conversion per call).
    let core = parse_jwks(&jwks_doc)?;
    let token = sign_jwt(&keys.signer(Jwa::ES256, SECRET), &claims)?;
    verify_jwt(&token, Jwa::ES256, &core, None).context("the compat path verifies")?;
    timings.push(bench(
        "verify ES256, openidconnect key set (compat)",
        400,
        4000,
        || verify_jwt(&token, Jwa::ES256, &core, None),
    ));
    timings.push(bench("parse a JWKS (EC + RSA keys)", 1000, 10_000, || {
        JwkSet::from_json(&jwks_doc)
    }));
    Ok(timings)
}

/// FranceConnect+'s encrypted answers and the checktoken answer to a DP with keys: the hub
/// encrypts (ECDH-ES with a fresh ephemeral key, or RSA-OAEP), the SP or DP decrypts.
fn jwe() -> anyhow::Result<Vec<Timing>> {
    use fc_plumbing::jwe::{ContentEnc, DecryptionKeys, EncryptionJwk, KeyAlg, decrypt, encrypt};
    let recipient = DecryptionKeys::generate()?;
    let signed = sign_jwt(
        &KeySet::generate("bench")?.signer(Jwa::ES256, SECRET),
        &json!({"sub": "a", "given_name": "Mélaine", "family_name": "TROIS"}),
    )?;
    let mut timings = Vec::new();
    for (alg, iterations) in [(KeyAlg::EcdhEs, 4000), (KeyAlg::RsaOaep256, 400)] {
        let key = EncryptionJwk::from_jwks(&recipient.jwks(), alg)?;
        let jwe = encrypt(&signed, &key, alg, ContentEnc::A256Gcm)?;
        decrypt(&jwe, &recipient, alg, ContentEnc::A256Gcm).context("the benchmark JWE opens")?;
        timings.push(bench(
            &format!("encrypt a signed JWT, {alg}"),
            iterations / 10,
            iterations,
            || encrypt(&signed, &key, alg, ContentEnc::A256Gcm),
        ));
        timings.push(bench(
            &format!("decrypt it, {alg}"),
            iterations / 10,
            iterations,
            || decrypt(&jwe, &recipient, alg, ContentEnc::A256Gcm),
        ));
    }
    Ok(timings)
}

/// Verification through a seeded `JwksCache` (locks and `Arc`s included, no fetch).
async fn jwks_cache() -> anyhow::Result<Timing> {
    let keys = KeySet::generate("bench")?;
    let back_channel = BackChannel::new(std::time::Duration::from_secs(1), Vec::new())?;
    let cache = JwksCache::new(
        "http://127.0.0.1:9/jwks",
        back_channel,
        Clock::system(),
        fc_plumbing::jwks_cache::DEFAULT_MIN_REFETCH_INTERVAL,
    );
    cache.seed(keys.jwk_set());
    let token = sign_jwt(&keys.signer(Jwa::ES256, SECRET), &json!({"sub": "a"}))?;
    cache.verify(&token, Jwa::ES256, None).await?;
    Ok(
        bench_async("verify ES256 through a JwksCache", 400, 4000, || {
            cache.verify(&token, Jwa::ES256, None)
        })
        .await,
    )
}

/// The JOSE work of one journey, from the medians above: the IdP and the hub sign 4 JWTs (IdP ID
/// token, hub ID token, userinfo, checktoken answer) and the hub, SP and DP verify 4.
fn journey_jose(timings: &[Timing]) -> Option<String> {
    let median = |name: &str| timings.iter().find(|t| t.name == name).map(|t| t.median_us);
    let (sign, verify) = (
        median("sign ID token ES256")?,
        median("verify ID token ES256")?,
    );
    Some(format!(
        "JOSE per journey (ES256, 4 signatures + 4 verifications): {:.0} µs",
        4.0 * (sign + verify)
    ))
}

fn sub() -> Timing {
    let identity = Identity {
        given_name: "Mélaine Évelyne".into(),
        family_name: "TROIS".into(),
        birthdate: "1981-07-27".into(),
        gender: "female".into(),
        birthplace: "95277".into(),
        birthcountry: "99100".into(),
        email: "wossewodda-3728@yopmail.com".into(),
        ..Identity::default()
    };
    bench("pairwise sub (SHA-256 ×2)", 10_000, 100_000, || {
        pairwise_sub(
            "6925fb8143c76eded44d32b40c0cb1006065f7f003de52712b78985704f39950",
            &identity,
            "dev-sub-secret",
        )
    })
}

fn users() -> anyhow::Result<Vec<Timing>> {
    let (csv, _, _) = loadgen::people::generated_rows(10_000);
    let files = vec![("loadgen.csv".to_owned(), csv.clone())];
    let parsed = UserDirectory::from_files(&files)?;
    anyhow::ensure!(parsed.len() == 10_000, "{} users parsed", parsed.len());
    let dir = std::env::temp_dir().join(format!("fc-microbench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("loadgen.csv"), &csv)?;
    let timings = vec![
        bench("parse 10 000 IdP users (in memory)", 3, 30, || {
            UserDirectory::from_files(&files)
        }),
        bench("load 10 000 IdP users (read + parse)", 3, 30, || {
            UserDirectory::load(&dir)
        }),
    ];
    std::fs::remove_dir_all(&dir)?;
    Ok(timings)
}

/// The mire over HTTP, one request at a time, against the in-process demo on free ports; the
/// discovery document, a static JSON answer of the same server, is the HTTP baseline.
async fn mire() -> anyhow::Result<Vec<Timing>> {
    let options = fc_demo::Options {
        ports: fc_demo::Ports {
            hub: 0,
            hub_plus: 0,
            sp: 0,
            idp: 0,
            dp: 0,
        },
        ..fc_demo::Options::default()
    };
    let demo = fc_demo::launch(&options).await?;
    let (sp, hub) = (demo.sp_url.clone(), demo.hub_url.clone());
    let handles = demo.spawn();
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    let mire = client.get(format!("{sp}/login")).send().await?;
    let mire_url = mire.url().clone();
    anyhow::ensure!(
        mire_url.path().starts_with("/api/v2/interaction/"),
        "the SP login did not reach the mire: {mire_url}"
    );
    let get = |url: String| {
        let client = client.clone();
        async move {
            let response = client.get(url).send().await?;
            let status = response.status();
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, body.len()))
        }
    };
    let discovery = format!("{hub}/api/v2/.well-known/openid-configuration");
    let timings = vec![
        bench_async("HTTP baseline: hub discovery document", 200, 2000, || {
            get(discovery.clone())
        })
        .await,
        bench_async("render the mire (GET interaction, HTTP)", 200, 2000, || {
            get(mire_url.to_string())
        })
        .await,
    ];
    for h in handles {
        h.stop(false).await;
    }
    Ok(timings)
}

async fn all() -> anyhow::Result<()> {
    println!("{}", header());
    let mut timings = jose()?;
    timings.extend(jwe()?);
    timings.push(jwks_cache().await?);
    timings.push(sub());
    timings.extend(users()?);
    for t in &timings {
        println!("{t}");
    }
    if let Some(line) = journey_jose(&timings) {
        println!("{line}");
    }
    for t in mire().await? {
        println!("{t}");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    if cfg!(debug_assertions) {
        eprintln!("fc-microbench: debug build, figures are meaningless: use --release");
    }
    match all().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fc-microbench: {e:#}");
            ExitCode::FAILURE
        }
    }
}
