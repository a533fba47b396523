//! `fc-microbench`: the per-request costs that matter, in a release build — signing an ID token
//! per algorithm, verifying one, the pairwise sub, loading 10 000 IdP users,
//! and rendering the mire over HTTP against the in-process demo.

use std::process::ExitCode;

use anyhow::Context;
use fc_plumbing::jose::{Jwa, KeySet, parse_jwks, sign_jwt, verify_jwt};
use hub::domain::Identity;
use hub::provider::sub::pairwise_sub;
use identity_provider_example::users::UserDirectory;
use loadgen::microbench::{Timing, bench, bench_async, header};
use serde_json::json;

const SECRET: &str = "a970fc88b3111fcfdce515c2ee03488d8a349e5379a3ba2aa48c225dcea243a5";

fn jose() -> anyhow::Result<Vec<Timing>> {
    let keys = KeySet::generate("bench")?;
    let jwks = parse_jwks(&keys.jwks())?;
    // An ID token as the hub issues it : same claims, realistic sizes.
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
    for (alg, iterations) in [(Jwa::ES256, 2000), (Jwa::RS256, 300), (Jwa::HS256, 20_000)] {
        let signer = keys.signer(alg, SECRET);
        timings.push(bench(
            &format!("sign ID token {alg}"),
            iterations / 10,
            iterations,
            || sign_jwt(&signer, &claims),
        ));
        let token = sign_jwt(&signer, &claims)?;
        verify_jwt(&token, alg, &jwks, Some(SECRET)).context("the benchmark token verifies")?;
        timings.push(bench(
            &format!("verify ID token {alg}"),
            iterations / 10,
            iterations,
            || verify_jwt(&token, alg, &jwks, Some(SECRET)),
        ));
    }
    Ok(timings)
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
    timings.push(sub());
    timings.extend(users()?);
    for t in &timings {
        println!("{t}");
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
