//! The tour of every page a tester meets, each audited by [`crate::audit::Audit::page`]: the SP's
//! pages, the hub's mire and both consent pages (identity, then data), the IdP's form and test
//! accounts, the logged-out pages, the hub's admin console, the refused consent (an information
//! page, status 200), an error page of each program with an HTML error page (the hub's for an
//! unknown `client_id` with its hint, the IdP's form after a wrong password, the mire when the
//! IdP was left), and the French 404 page of each of the four programs (HTML, status 404). On the
//! way: the FranceConnect button is not underlined, the consent's controls are thumb-sized.
//!
//! The hub's and IdP's addresses are read from the browser when the journey reaches them, so the
//! tour works against the in-process demo and against `docker compose` alike.

use anyhow::{bail, ensure};
use fantoccini::{Client, Locator};
use fc_plumbing::Secret;
use url::Url;

use crate::audit::{Audit, DESKTOP, HEIGHT, PHONE, set_viewport};
use crate::{WAIT, click, log_in_at_idp};

/// The programs a browser can reach.
pub struct Site {
    pub sp: String,
    pub dp: String,
    /// The hub's admin token; without it the admin console is not audited (and the run says so).
    pub admin_token: Option<Secret>,
}

/// The addresses of the hub and the IdP, as the journey met them.
struct Met {
    hub: String,
    idp: String,
}

async fn wait_for(c: &Client, css: &str) -> anyhow::Result<()> {
    let found = c.wait().at_most(WAIT).for_element(Locator::Css(css)).await;
    if found.is_err() {
        bail!("no {css} on {}", c.current_url().await?);
    }
    Ok(())
}

/// `scheme://host:port` of the page the browser shows.
async fn origin(c: &Client) -> anyhow::Result<String> {
    let url: Url = c.current_url().await?;
    Ok(url.origin().ascii_serialization())
}

pub async fn run(c: &Client, site: &Site, audit: &Audit) -> anyhow::Result<()> {
    audit.self_check(c).await?;
    let met = journey(c, site, audit).await?;
    other_pages(c, &met, audit).await?;
    admin_console(c, &met, site.admin_token.as_ref(), audit).await?;
    error_pages(c, site, &met, audit).await?;
    for (program, base) in [
        ("sp", site.sp.as_str()),
        ("hub", met.hub.as_str()),
        ("idp", met.idp.as_str()),
        ("dp", site.dp.as_str()),
    ] {
        not_found_page(c, program, base, audit).await?;
    }
    audit.verdict()
}

/// SP → mire → IdP → identity consent → SP → data consent → SP → journal → logout.
async fn journey(c: &Client, site: &Site, audit: &Audit) -> anyhow::Result<Met> {
    let sp = &site.sp;
    c.goto(&format!("{sp}/")).await?;
    wait_for(c, "#fc-login").await?;
    let underline = c
        .execute(
            "return getComputedStyle(document.getElementById('fc-login')).textDecorationLine;",
            vec![],
        )
        .await?;
    ensure!(
        underline.as_str() == Some("none"),
        "the FranceConnect button's text is underlined ({underline}), unlike the official button"
    );
    audit.page(c, "sp-accueil").await?;
    c.goto(&format!("{sp}/options")).await?;
    wait_for(c, "#options-form").await?;
    audit.page(c, "sp-options").await?;
    click(c, "#options-submit-top").await?;
    wait_for(c, "main h1").await?;
    audit.page(c, "sp-options-requete").await?;

    c.goto(&format!("{sp}/")).await?;
    click(c, "#fc-login").await?;
    wait_for(c, "[data-testid=\"idp-identity-provider-example\"]").await?;
    let hub = origin(c).await?;
    audit.page(c, "hub-mire").await?;
    click(c, "[data-testid=\"idp-identity-provider-example\"]").await?;
    wait_for(c, "#login-form").await?;
    let idp = origin(c).await?;
    audit.page(c, "idp-connexion").await?;
    log_in_at_idp(c, "3_melaine", "123").await?;
    wait_for(c, "#consent-form").await?;
    audit.page(c, "hub-consentement-identite").await?;
    click(c, "#consent-accept").await?;
    wait_for(c, "#userinfo-json").await?;
    audit.page(c, "sp-identite").await?;

    click(c, "#fc-data").await?;
    wait_for(c, "#consent-form").await?;
    consent_controls_on_a_phone(c).await?;
    audit.page(c, "hub-consentement-donnees").await?;
    click(c, "input[name=\"consent\"]").await?;
    click(c, "#consent-accept").await?;
    wait_for(c, "#data-json").await?;
    audit.page(c, "sp-donnees").await?;
    c.goto(&format!("{sp}/journal")).await?;
    wait_for(c, "#exchanges").await?;
    audit.page(c, "sp-journal").await?;

    refused(c, sp, audit).await?;

    click(c, "#logout").await?;
    wait_for(c, "#fc-login").await?;
    audit.page(c, "sp-deconnexion").await?;
    Ok(Met { hub, idp })
}

/// On a phone, the data consent's checkbox is a 24 px target at least (WCAG 2.5.8) and "Refuser"
/// stands apart from the main button, so that a thumb does not hit one for the other.
async fn consent_controls_on_a_phone(c: &Client) -> anyhow::Result<()> {
    set_viewport(c, PHONE, HEIGHT).await?;
    let sizes = c
        .execute(
            r#"const r = id => document.getElementById(id).getBoundingClientRect();
               const box = r('consent'), accept = r('consent-accept'), refuse = r('consent-refuse');
               const gap = Math.max(refuse.top - accept.bottom, accept.top - refuse.bottom,
                                    refuse.left - accept.right, accept.left - refuse.right);
               return [Math.min(box.width, box.height), gap];"#,
            vec![],
        )
        .await;
    set_viewport(c, DESKTOP, HEIGHT).await?;
    let (checkbox, gap): (f64, f64) = serde_json::from_value(sizes?)?;
    ensure!(
        checkbox >= 24.0,
        "the consent checkbox is {checkbox} px on a phone (24 px at least)"
    );
    ensure!(
        gap >= 8.0,
        "\"Refuser\" is {gap} px from the main button on a phone (8 px at least)"
    );
    Ok(())
}

/// A person who refuses the data consent is told so on an information page (status 200), not
/// an error page.
async fn refused(c: &Client, sp: &str, audit: &Audit) -> anyhow::Result<()> {
    c.goto(&format!("{sp}/")).await?;
    click(c, "#fc-data").await?;
    wait_for(c, "#consent-refuse").await?;
    click(c, "#consent-refuse").await?;
    wait_for(c, "#refused-message").await?;
    let status = c
        .execute(
            "return performance.getEntriesByType('navigation')[0].responseStatus;",
            vec![],
        )
        .await?;
    ensure!(
        status.as_u64() == Some(200),
        "the refused consent page answered HTTP {status}, not 200"
    );
    ensure!(
        c.find(Locator::Css("[role=alert], .alert.error"))
            .await
            .is_err(),
        "the refused consent page shows an error"
    );
    audit.page(c, "sp-connexion-refusee").await
}

/// Pages outside the journey: the IdP's home and test accounts, the hub's and IdP's logged-out
/// pages (shown when no service asked to be sent back), the hub's admin login.
async fn other_pages(c: &Client, met: &Met, audit: &Audit) -> anyhow::Result<()> {
    c.goto(&format!("{}/", met.idp)).await?;
    wait_for(c, "main h1").await?;
    audit.page(c, "idp-accueil").await?;
    c.goto(&format!("{}/users", met.idp)).await?;
    wait_for(c, "main table").await?;
    audit.page(c, "idp-comptes-de-test").await?;
    c.goto(&format!("{}/session/end", met.idp)).await?;
    wait_for(c, "main h1").await?;
    audit.page(c, "idp-deconnexion").await?;
    c.goto(&format!("{}/api/v2/client/logout-callback", met.hub))
        .await?;
    wait_for(c, "#logged-out").await?;
    audit.page(c, "hub-deconnexion").await?;
    c.goto(&format!("{}/admin", met.hub)).await?;
    wait_for(c, "main h1").await?;
    audit.page(c, "hub-admin-connexion").await?;
    Ok(())
}

/// The hub's admin console, behind its token: the table of service providers and their error
/// scenarios.
async fn admin_console(
    c: &Client,
    met: &Met,
    token: Option<&Secret>,
    audit: &Audit,
) -> anyhow::Result<()> {
    let Some(token) = token else {
        println!("  (the hub's admin console is not audited: no --hub-admin-token)");
        return Ok(());
    };
    c.goto(&format!("{}/admin", met.hub)).await?;
    wait_for(c, "#admin-login").await?;
    c.find(Locator::Css("#token"))
        .await?
        .send_keys(token.expose())
        .await?;
    click(c, "#admin-login button[type=submit]").await?;
    wait_for(c, "#service-providers").await?;
    audit.page(c, "hub-admin").await
}

/// An error page of each program that has some: a callback or authorization request that lacks
/// every parameter. The DP is an API: its only HTML page is the 404.
async fn error_pages(c: &Client, site: &Site, met: &Met, audit: &Audit) -> anyhow::Result<()> {
    for (name, url) in [
        ("sp-erreur", format!("{}/oidc-callback", site.sp)),
        ("hub-erreur", format!("{}/api/v2/authorize", met.hub)),
        ("idp-erreur", format!("{}/authorize", met.idp)),
    ] {
        c.goto(&url).await?;
        wait_for(c, "#error-code").await?;
        audit.page(c, name).await?;
    }
    unknown_client(c, met, audit).await?;
    // The IdP's form again, with its message for a wrong password.
    c.goto(&format!("{}/", site.sp)).await?;
    click(c, "#fc-login").await?;
    click(c, "[data-testid=\"idp-identity-provider-example\"]").await?;
    wait_for(c, "#login-form").await?;
    log_in_at_idp(c, "3_melaine", "pas-le-mot-de-passe").await?;
    wait_for(c, ".alert.error").await?;
    audit.page(c, "idp-connexion-erreur").await?;
    // Back at FranceConnect, whose mire says the identity provider was left.
    click(c, "#login-form button[name=\"cancel\"]").await?;
    wait_for(c, "#back-to-sp").await?;
    audit.page(c, "hub-mire-retour-idp").await
}

/// An integrator's first mistake, an unknown `client_id`: the hub's page says what to check, in
/// its folded technical details.
async fn unknown_client(c: &Client, met: &Met, audit: &Audit) -> anyhow::Result<()> {
    c.goto(&format!(
        "{}/api/v2/authorize?response_type=code&client_id=inconnu&redirect_uri=\
         http%3A%2F%2Flocalhost%2Fcallback&scope=openid&state=0123456789abcdef&\
         nonce=0123456789abcdef&acr_values=eidas1",
        met.hub
    ))
    .await?;
    wait_for(c, "#error-code").await?;
    let code = c.find(Locator::Css("#error-code")).await?.text().await?;
    ensure!(code.contains("Y04EA6EF"), "unknown client_id gave {code:?}");
    let details = c.find(Locator::Css("details")).await?;
    ensure!(
        details.attr("open").await?.is_none(),
        "the technical details are not folded"
    );
    let summary = details.find(Locator::Css("summary")).await?.text().await?;
    ensure!(
        summary.contains("Détails techniques (démonstrateur)"),
        "details summary: {summary:?}"
    );
    let hint = details.prop("textContent").await?.unwrap_or_default();
    ensure!(
        hint.contains("client_id envoyé"),
        "no hint about the client_id in {hint:?}"
    );
    audit.page(c, "hub-erreur-client-inconnu").await
}

/// `{base}/page-inexistante`: the program's French 404 page, as HTML with status 404.
async fn not_found_page(
    c: &Client,
    program: &str,
    base: &str,
    audit: &Audit,
) -> anyhow::Result<()> {
    c.goto(&format!("{base}/page-inexistante")).await?;
    wait_for(c, "main h1").await?;
    let answer = c
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
               fetch(location.href, { headers: { Accept: 'text/html' } }).then(
                 r => done({ status: r.status, type: r.headers.get('content-type') || '' }),
                 e => done({ status: 0, type: String(e) }));"#,
            vec![],
        )
        .await?;
    let status = answer.get("status").and_then(|s| s.as_u64());
    let content_type = answer.get("type").and_then(|t| t.as_str()).unwrap_or("");
    ensure!(
        status == Some(404) && content_type.starts_with("text/html"),
        "{program}'s unknown page answered {answer}, not an HTML 404"
    );
    let lang = c
        .execute("return document.documentElement.lang;", vec![])
        .await?;
    ensure!(
        lang.as_str() == Some("fr"),
        "{program}'s 404 page is not in French"
    );
    audit.page(c, &format!("{program}-404")).await
}
