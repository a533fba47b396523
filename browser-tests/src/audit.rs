//! The audit of each page the suite visits, as a tester with a desktop browser and a phone would
//! see it: axe-core (the npm package pinned in `browser-tests/package.json`, injected through
//! WebDriver) at desktop width and at phone width, reflow at phone width (WCAG 2.1 success
//! criterion 1.4.10: no horizontal scrolling at 320 CSS px of content, checked here at a 390 px
//! phone), the page's icon, and a whole-page screenshot at each width under the screenshots
//! folder, on every run.
//!
//! Findings are collected rather than thrown, so one run lists every page's problems;
//! [`Audit::verdict`] turns them into the failure.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, bail};
use base64::Engine;
use fantoccini::Client;
use fantoccini::wd::WebDriverCompatibleCommand;
use serde::Deserialize;
use url::Url;

/// Desktop and phone widths, in CSS pixels.
pub const DESKTOP: u32 = 1280;
pub const PHONE: u32 = 390;
/// Window height while auditing (a phone in portrait is about twice as tall as wide).
pub const HEIGHT: u32 = 900;
/// Whole-page screenshots stop there (a longer page is cut).
const MAX_SCREENSHOT_HEIGHT: u64 = 12_000;

/// Where `npm ci` puts axe-core, from `browser-tests/package.json`.
pub fn default_axe_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules/axe-core/axe.min.js")
}

/// Installs the pinned axe-core with `npm ci` when it is missing; fails (never skips) when it
/// cannot be had.
pub fn ensure_axe(path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    if path != default_axe_path() {
        bail!("{} is missing", path.display());
    }
    println!("axe-core is missing: npm ci in {}", dir.display());
    let status = std::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(dir)
        .status()
        .context(
            "cannot run npm to install axe-core: install Node.js and npm \
             (apt-get install nodejs npm), then run npm ci in browser-tests/",
        )?;
    if !status.success() || !path.exists() {
        bail!("npm ci in {} did not install axe-core", dir.display());
    }
    Ok(())
}

/// One rule broken on one page, as axe-core reports it.
#[derive(Debug, Deserialize)]
struct Violation {
    id: String,
    impact: Option<String>,
    help: String,
    targets: Vec<String>,
}

/// The page's width against the viewport's, and the element that sticks out furthest.
#[derive(Debug, Deserialize)]
struct Reflow {
    scroll_width: f64,
    inner_width: f64,
    widest: Option<String>,
}

pub struct Audit {
    axe: String,
    dir: PathBuf,
    findings: Mutex<Vec<String>>,
    visited: Mutex<u32>,
}

impl Audit {
    /// Reads axe-core and empties the screenshots folder of older runs.
    pub fn new(axe_path: &Path, dir: PathBuf) -> anyhow::Result<Self> {
        let axe = std::fs::read_to_string(axe_path)
            .with_context(|| format!("cannot read {}", axe_path.display()))?;
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot empty {}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir)?;
        Ok(Self {
            axe,
            dir,
            findings: Mutex::new(Vec::new()),
            visited: Mutex::new(0),
        })
    }

    /// See [`self_check`].
    pub async fn self_check(&self, c: &Client) -> anyhow::Result<()> {
        self_check(c, &self.axe).await
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn record(&self, finding: String) {
        if let Ok(mut findings) = self.findings.lock() {
            findings.push(finding);
        }
    }

    fn next_number(&self) -> u32 {
        self.visited.lock().map_or(0, |mut n| {
            *n += 1;
            *n
        })
    }

    /// Audits the page the browser shows, with every `<details>` opened (their content must
    /// reflow and be accessible too), at both widths; leaves the window at desktop width.
    pub async fn page(&self, c: &Client, name: &str) -> anyhow::Result<()> {
        let number = self.next_number();
        c.execute(
            "document.querySelectorAll('details').forEach(d => d.open = true);",
            vec![],
        )
        .await?;
        let injected = c
            .execute(&format!("{}\n;return typeof axe;", self.axe), vec![])
            .await
            .context("injecting axe-core")?;
        if injected.as_str() != Some("object") {
            bail!("axe-core did not load in {name} ({injected})");
        }
        if let Some(problem) = favicon_problem(c).await? {
            self.record(format!("{name}: {problem}"));
        }
        let mut summary = Vec::new();
        for width in [DESKTOP, PHONE] {
            set_viewport(c, width, HEIGHT).await?;
            if let Some(problem) = skip_link_problem(c).await? {
                self.record(format!("{name} at {width} px: {problem}"));
            }
            let violations = run_axe(c).await.with_context(|| format!("axe on {name}"))?;
            for v in &violations {
                self.record(format!(
                    "{name} at {width} px: axe {} ({}): {} — {}",
                    v.id,
                    v.impact.as_deref().unwrap_or("?"),
                    v.help,
                    v.targets.join(", ")
                ));
            }
            let mut line = format!("{width} px: {} axe violation(s)", violations.len());
            if width == PHONE {
                let reflow = reflow(c).await?;
                if reflow.scroll_width > reflow.inner_width {
                    self.record(format!(
                        "{name} at {width} px: the page is {} px wide in a {} px viewport \
                         (WCAG 1.4.10); widest element: {}",
                        reflow.scroll_width,
                        reflow.inner_width,
                        reflow.widest.as_deref().unwrap_or("?")
                    ));
                    line.push_str(", horizontal scrolling");
                } else {
                    line.push_str(", reflows");
                }
            }
            let file = self.dir.join(format!("{number:02}-{name}-{width}.png"));
            whole_page_screenshot(c, width, &file).await?;
            summary.push(line);
        }
        set_viewport(c, DESKTOP, HEIGHT).await?;
        println!("  page {number:02} {name}: {}", summary.join("; "));
        Ok(())
    }

    /// Every finding of the run, or success.
    pub fn verdict(&self) -> anyhow::Result<()> {
        let findings = self.findings.lock().map(|f| f.clone()).unwrap_or_default();
        if findings.is_empty() {
            return Ok(());
        }
        for f in &findings {
            println!("  - {f}");
        }
        bail!(
            "{} accessibility or reflow finding(s) (listed above)",
            findings.len()
        )
    }
}

/// Gives the page a `width` × `height` CSS px viewport (`innerWidth` × `innerHeight`) through
/// Chrome's device metrics emulation: exact whatever the window's frame, and applied before the
/// command returns, where resizing the window lets the page see the new size some time later.
pub async fn set_viewport(c: &Client, width: u32, height: u32) -> anyhow::Result<()> {
    metrics(c, width, u64::from(height)).await?;
    let got = viewport(c).await?;
    if got != (width, height) {
        bail!("cannot get a {width}×{height} px viewport (got {got:?})");
    }
    Ok(())
}

async fn metrics(c: &Client, width: u32, height: u64) -> anyhow::Result<()> {
    c.issue_cmd(Cdp {
        cmd: "Emulation.setDeviceMetricsOverride",
        params: serde_json::json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false }),
    })
    .await?;
    Ok(())
}

async fn viewport(c: &Client) -> anyhow::Result<(u32, u32)> {
    let value = c
        .execute("return [window.innerWidth, window.innerHeight];", vec![])
        .await?;
    let size: (u32, u32) = serde_json::from_value(value).context("window.innerWidth")?;
    Ok(size)
}

async fn run_axe(c: &Client) -> anyhow::Result<Vec<Violation>> {
    let script = r#"
        const done = arguments[arguments.length - 1];
        axe.run(document, { resultTypes: ['violations'] }).then(
            r => done({ violations: r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(' ')),
            })) }),
            e => done({ error: String(e) }));
    "#;
    let answer = c.execute_async(script, vec![]).await?;
    if let Some(error) = answer.get("error") {
        bail!("axe.run failed: {error}");
    }
    Ok(serde_json::from_value(
        answer.get("violations").cloned().unwrap_or_default(),
    )?)
}

/// The document's width and, when it is wider than the viewport, the deepest element sticking
/// out furthest — outside any scrolling box, whose content scrolls on its own and is allowed.
async fn reflow(c: &Client) -> anyhow::Result<Reflow> {
    let script = r#"
        const vw = Math.min(window.innerWidth, document.documentElement.clientWidth);
        const sw = document.documentElement.scrollWidth;
        if (sw <= vw) return { scroll_width: sw, inner_width: vw, widest: null };
        const scrolls = e => {
            for (let p = e.parentElement; p && p !== document.body; p = p.parentElement)
                if (getComputedStyle(p).overflowX !== 'visible') return true;
            return false;
        };
        let widest = null, right = 0;
        for (const e of document.body.querySelectorAll('*')) {
            const r = e.getBoundingClientRect().right + window.scrollX;
            if (r <= vw || scrolls(e)) continue;
            if (r > right + 0.5 || (widest && widest.contains(e) && r >= right - 0.5)) {
                widest = e; right = r;
            }
        }
        const describe = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
            [...e.classList].map(c => '.' + c).join('') +
            ' "' + (e.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 60) + '"' +
            ' (right edge at ' + Math.round(right) + ' px)';
        return { scroll_width: sw, inner_width: vw, widest: widest ? describe(widest) : null };
    "#;
    Ok(serde_json::from_value(c.execute(script, vec![]).await?)?)
}

/// The page's first keyboard stop must be a link to its main content (`#contenu`), out of sight
/// until it is focused (WCAG 2.4.1 Bypass Blocks); `None` when it is.
async fn skip_link_problem(c: &Client) -> anyhow::Result<Option<String>> {
    let script = r##"
        const link = document.querySelector('a[href="#contenu"]');
        if (!link) return 'no skip link to #contenu';
        if (!document.getElementById('contenu')) return 'the skip link leads to no #contenu';
        const stops = [...document.querySelectorAll(
            'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]')]
            .filter(e => e.tabIndex >= 0 && !e.disabled);
        if (stops[0] !== link) return 'the skip link is not the first keyboard stop';
        const r = link.getBoundingClientRect();
        const seen = r.width > 1 && r.height > 1 && r.right > 0 && r.bottom > 0
            && r.left < window.innerWidth && r.top < window.innerHeight;
        if (document.activeElement !== link && seen) return 'the skip link shows before it is focused';
        return null;
    "##;
    let answer = c.execute(script, vec![]).await?;
    Ok(answer.as_str().map(str::to_owned))
}

/// The page names its program's icon and the icon is there (a browser tab without one shows a
/// blank page icon, and every page load logs a 404); `None` when it is.
async fn favicon_problem(c: &Client) -> anyhow::Result<Option<String>> {
    let script = r#"
        const done = arguments[arguments.length - 1];
        const link = document.querySelector('link[rel~="icon"]');
        if (!link) { done('no <link rel="icon">'); return; }
        fetch(link.href).then(
            r => done(r.ok && (r.headers.get('content-type') || '').startsWith('image/') ? null
                : 'the icon ' + link.href + ' answered ' + r.status + ' ' + r.headers.get('content-type')),
            e => done('the icon ' + link.href + ' cannot be fetched: ' + e));
    "#;
    let answer = c.execute_async(script, vec![]).await?;
    Ok(answer.as_str().map(str::to_owned))
}

/// Proves the checks can fail: a page with an image without text, no language, no icon and a
/// block wider than a phone must give axe violations, a reflow failure and an icon finding.
pub async fn self_check(c: &Client, axe: &str) -> anyhow::Result<()> {
    let bad = "data:text/html;charset=utf-8,<!doctype html><title>x</title><main>\
        <img src='x.png'><div style='width:600px'>wide</div></main>";
    c.goto(bad).await?;
    c.execute(&format!("{axe}\n;return true;"), vec![]).await?;
    set_viewport(c, PHONE, HEIGHT).await?;
    let rules: Vec<String> = run_axe(c).await?.into_iter().map(|v| v.id).collect();
    let reflow = reflow(c).await?;
    let icon = favicon_problem(c).await?;
    set_viewport(c, DESKTOP, HEIGHT).await?;
    if icon.is_none() {
        bail!("the icon check missed a page without an icon");
    }
    if !(rules.iter().any(|r| r == "image-alt") && rules.iter().any(|r| r == "html-has-lang")) {
        bail!("axe-core missed known violations on a broken page (found {rules:?})");
    }
    if reflow.scroll_width <= reflow.inner_width
        || !reflow.widest.as_deref().unwrap_or("").starts_with("div")
    {
        bail!("the reflow check missed a 600 px block on a phone ({reflow:?})");
    }
    Ok(())
}

/// A Chrome DevTools Protocol command, sent through chromedriver's `goog/cdp/execute` endpoint
/// (WebDriver's own screenshot stops at the viewport, and a window cannot be made taller than
/// the headless screen).
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: serde_json::Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &Url, session: Option<&str>) -> Result<Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// The whole page at the viewport's width, however long it is (up to a limit): the viewport is
/// made as tall as the page for the shot, then given back its auditing height.
async fn whole_page_screenshot(c: &Client, width: u32, file: &Path) -> anyhow::Result<()> {
    let height = c
        .execute("return document.documentElement.scrollHeight;", vec![])
        .await?
        .as_u64()
        .unwrap_or(u64::from(HEIGHT))
        .min(MAX_SCREENSHOT_HEIGHT);
    metrics(c, width, height).await?;
    let shot = c
        .issue_cmd(Cdp {
            cmd: "Page.captureScreenshot",
            params: serde_json::json!({ "format": "png" }),
        })
        .await;
    metrics(c, width, u64::from(HEIGHT)).await?;
    let answer = shot?;
    let data = answer
        .get("data")
        .and_then(|d| d.as_str())
        .context("Page.captureScreenshot gave no data")?;
    let png = base64::engine::general_purpose::STANDARD.decode(data)?;
    std::fs::write(file, png).with_context(|| format!("cannot write {}", file.display()))
}
