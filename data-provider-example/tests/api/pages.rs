//! What a browser meets at the data provider: a favicon, and a French page for an unknown path
//! (the API's own paths keep their JSON errors).

use crate::helpers::*;

async fn get_as_browser(app: &TestApp, path: &str) -> reqwest::Response {
    app.client
        .get(format!("{}{path}", app.url))
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_browser_gets_a_french_404_page_and_api_paths_keep_json() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |_| {}).await;
    let page = get_as_browser(&app, "/nowhere").await;
    assert_eq!(page.status(), 404);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let body = page.text().await.unwrap();
    assert!(body.contains(r#"<html lang="fr">"#));
    assert!(body.contains("Cette page n'existe pas"), "{body}");
    assert!(body.contains(r#"id="error-code" class="error-code">not_found<"#));

    for path in [
        "/situations/ir/assiettes/annrev/2024/extra",
        "/api/other",
        "/exchanges/",
        "/admin/api/records",
    ] {
        let response = get_as_browser(&app, path).await;
        assert_eq!(response.status(), 404, "{path}");
        let (_, _, body) = parts(response).await;
        assert_eq!(body["error"], "not_found", "{path}");
    }
}

#[tokio::test]
async fn the_favicon_and_stylesheet_are_served() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |_| {}).await;
    for (path, kind) in [
        ("/favicon.ico", "image/x-icon"),
        ("/favicon.svg", "image/svg+xml"),
        ("/static/demo.css", "text/css; charset=utf-8"),
    ] {
        let response = get_as_browser(&app, path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["content-type"], kind, "{path}");
        assert!(!response.bytes().await.unwrap().is_empty());
    }
}
