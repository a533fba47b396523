//! The example SP's "S'identifier avec FranceConnect+" journey in Chromium: FranceConnect+'s
//! mire, the example IdP at eidas2, consent, then the SP's identity page and its journal, which
//! shows each token's two layers — the JWE FranceConnect+ encrypted to the SP's published key,
//! and the signed JWT inside (`docs/franceconnect-plus.md`, `docs/service-provider.md`).

use anyhow::{Context, ensure};
use fantoccini::{Client, Locator};

use super::{WAIT, click, text_of, type_into};

pub async fn journey(c: &Client, sp: &str) -> anyhow::Result<()> {
    c.goto(&format!("{sp}/")).await?;
    click(c, "#fcplus-acr-eidas2").await?;
    click(c, "#fcplus-login").await?;
    let mire = text_of(c, "body").await?;
    ensure!(
        mire.contains("FranceConnect+"),
        "the mire is FranceConnect+'s"
    );
    click(c, "[data-testid=\"idp-identity-provider-example\"]").await?;
    type_into(c, "#login-form input[name=\"login\"]", "3_melaine").await?;
    type_into(c, "#login-form input[name=\"password\"]", "123").await?;
    c.find(Locator::Css("#login-form select[name=\"acr\"]"))
        .await?
        .select_by_value("eidas2")
        .await?;
    click(
        c,
        "#login-form button[type=\"submit\"]:not([name=\"cancel\"])",
    )
    .await?;
    click(c, "#consent-accept").await?;

    let userinfo = text_of(c, "#userinfo-json").await?;
    ensure!(userinfo.contains("TROIS"), "identity page shows {userinfo}");
    let id_token = text_of(c, "#id-token-payload").await?;
    ensure!(id_token.contains("eidas2"), "ID token shows {id_token}");

    c.goto(&format!("{sp}/journal")).await?;
    let journal = text_of(c, "#exchanges").await?;
    for shown in [
        "chiffré (JWE)",
        "Déchiffré avec la clé",
        "ECDH-ES",
        "A256GCM",
        "Signature ES256 valide",
    ] {
        ensure!(journal.contains(shown), "the journal shows {shown:?}");
    }

    c.goto(&format!("{sp}/me")).await?;
    click(c, "#logout").await?;
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("#fcplus-login"))
        .await
        .context("logged-out SP shows the FranceConnect+ button")?;
    let url = c.current_url().await?;
    ensure!(
        url.as_str().starts_with(sp) && url.path() == "/logout-callback",
        "logout chain ended at {url}"
    );
    let said = text_of(c, "#logged-out-of").await?;
    ensure!(
        said.contains("FranceConnect+"),
        "logged-out page says {said:?}"
    );
    Ok(())
}
