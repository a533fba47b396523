//! The whole journey with the keyboard alone, as a person who cannot use a mouse goes through it
//! (WCAG 2.1.1 Keyboard, 2.4.1 Bypass Blocks, 2.4.7 Focus Visible): Tab to each control, Enter to
//! follow or submit, Space to tick — SP → mire → IdP form → identity consent → SP → data consent
//! → SP → logout. Each page the journey starts on offers a skip link first, and each control is
//! visibly focused when reached. The options page's submit button is a few Tab stops away.

use anyhow::{Context, bail, ensure};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};

use crate::{WAIT, text_of};

/// Beyond this many Tab presses the control is taken as unreachable.
const MAX_TABS: usize = 80;
/// Tab presses from the options page's skip link to its submit button, at most: the header's
/// links and the page's first controls, not every option.
const MAX_TABS_TO_OPTIONS_SUBMIT: usize = 10;

async fn keys(c: &Client, text: &str) -> anyhow::Result<()> {
    let mut actions = KeyActions::new("keyboard".into());
    for ch in text.chars() {
        actions = actions
            .then(KeyAction::Down { value: ch })
            .then(KeyAction::Up { value: ch });
    }
    c.perform_actions(actions).await?;
    Ok(())
}

async fn press(c: &Client, key: Key) -> anyhow::Result<()> {
    keys(c, &key).await
}

/// What has the focus, for messages: `a#fc-login "Se connecter avec FranceConnect"`.
async fn focused(c: &Client) -> anyhow::Result<String> {
    let v = c
        .execute(
            r#"const e = document.activeElement;
               if (!e || e === document.body) return '(nothing)';
               return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' "' +
                   (e.innerText || e.value || '').trim().replace(/\s+/g, ' ').slice(0, 40) + '"';"#,
            vec![],
        )
        .await?;
    Ok(v.as_str().unwrap_or_default().to_owned())
}

async fn focus_matches(c: &Client, css: &str) -> anyhow::Result<bool> {
    let v = c
        .execute(
            "const e = document.activeElement; return !!e && e.matches(arguments[0]);",
            vec![css.into()],
        )
        .await?;
    Ok(v.as_bool() == Some(true))
}

/// Whether the focused element shows it: an outline or a focus shadow.
async fn focus_visible(c: &Client) -> anyhow::Result<bool> {
    let v = c
        .execute(
            r#"const s = getComputedStyle(document.activeElement);
               return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
                   || s.boxShadow !== 'none';"#,
            vec![],
        )
        .await?;
    Ok(v.as_bool() == Some(true))
}

/// Presses Tab until `css` has the focus (it may have it already, by `autofocus`); how many
/// presses it took.
async fn tab_to(c: &Client, css: &str) -> anyhow::Result<usize> {
    let mut path = Vec::new();
    for presses in 0..MAX_TABS {
        if focus_matches(c, css).await? {
            ensure!(
                focus_visible(c).await?,
                "{css} has the focus but shows no outline"
            );
            return Ok(presses);
        }
        press(c, Key::Tab).await?;
        path.push(focused(c).await?);
    }
    bail!(
        "{css} not reached after {MAX_TABS} Tab presses on {}; focus went: {}",
        c.current_url().await?,
        path.join(" → ")
    )
}

/// The first Tab on a freshly loaded page lands on the skip link to the main content, which then
/// shows on screen.
async fn skip_link_first(c: &Client) -> anyhow::Result<()> {
    press(c, Key::Tab).await?;
    ensure!(
        focus_matches(c, "a[href=\"#contenu\"]").await?,
        "first Tab on {} goes to {}, not to the skip link",
        c.current_url().await?,
        focused(c).await?
    );
    let on_screen = c
        .execute(
            r#"const r = document.activeElement.getBoundingClientRect();
               return r.width > 1 && r.height > 1 && r.left >= 0 && r.top >= 0
                   && r.right <= window.innerWidth && r.bottom <= window.innerHeight;"#,
            vec![],
        )
        .await?;
    ensure!(
        on_screen.as_bool() == Some(true) && focus_visible(c).await?,
        "the focused skip link on {} is not visible",
        c.current_url().await?
    );
    Ok(())
}

async fn wait_for(c: &Client, css: &str) -> anyhow::Result<()> {
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .with_context(|| format!("waiting for {css}"))?;
    Ok(())
}

/// A tester who only wants the default options sends them without tabbing through all of them.
async fn options_submit_is_near(c: &Client, sp: &str) -> anyhow::Result<()> {
    c.goto(&format!("{sp}/options")).await?;
    wait_for(c, "#options-form").await?;
    skip_link_first(c).await?;
    let presses = tab_to(c, "#options-submit-top").await?;
    ensure!(
        presses <= MAX_TABS_TO_OPTIONS_SUBMIT,
        "{presses} Tab presses from the skip link to the options' submit button \
         (at most {MAX_TABS_TO_OPTIONS_SUBMIT})"
    );
    Ok(())
}

pub async fn keyboard_journey(c: &Client, sp: &str) -> anyhow::Result<()> {
    options_submit_is_near(c, sp).await?;
    c.goto(&format!("{sp}/")).await?;
    wait_for(c, "#fc-login").await?;
    skip_link_first(c).await?;
    tab_to(c, "#fc-login").await?;
    press(c, Key::Enter).await?;

    let idp_button = "[data-testid=\"idp-identity-provider-example\"]";
    wait_for(c, idp_button).await?;
    skip_link_first(c).await?;
    tab_to(c, idp_button).await?;
    press(c, Key::Enter).await?;

    wait_for(c, "#login-form").await?;
    tab_to(c, "#login").await?;
    keys(c, "3_melaine").await?;
    tab_to(c, "#password").await?;
    keys(c, "123").await?;
    press(c, Key::Enter).await?;

    wait_for(c, "#consent-form").await?;
    skip_link_first(c).await?;
    tab_to(c, "#consent-accept").await?;
    press(c, Key::Enter).await?;

    wait_for(c, "#userinfo-json").await?;
    let userinfo = text_of(c, "#userinfo-json").await?;
    ensure!(userinfo.contains("TROIS"), "identity page shows {userinfo}");
    skip_link_first(c).await?;
    tab_to(c, "#fc-data").await?;
    press(c, Key::Enter).await?;

    wait_for(c, "#consent-form").await?;
    tab_to(c, "#consent").await?;
    press(c, Key::Space).await?;
    tab_to(c, "#consent-accept").await?;
    press(c, Key::Enter).await?;

    wait_for(c, "#data-json").await?;
    let data = text_of(c, "#data-json").await?;
    ensure!(data.contains("42000"), "data page shows {data}");
    tab_to(c, "#logout").await?;
    press(c, Key::Enter).await?;
    wait_for(c, "#fc-login").await?;
    let url = c.current_url().await?;
    ensure!(
        url.path() == "/logout-callback",
        "the keyboard logout ended at {url}"
    );
    Ok(())
}
