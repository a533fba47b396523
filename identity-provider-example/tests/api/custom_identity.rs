//! The "custom identity" form of the login page: a one-off person typed by the tester.

use reqwest::StatusCode;

use crate::helpers::*;

fn custom_fields<'a>(acr: &'a str, email: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("given_name", "Zoé Marie"),
        ("family_name", "ESSAI"),
        ("preferred_username", ""),
        ("gender", "female"),
        ("birthdate", "1999-00-00"),
        ("birthplace", "75056"),
        ("birthcountry", "99100"),
        ("email", email),
        ("acr", acr),
    ]
}

async fn post_custom(idp: &TestIdp, page: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut form = vec![("pending", hidden(page, "pending"))];
    form.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
    idp.browser
        .post(idp.url("/login/custom"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_custom_identity_goes_through_the_code_flow() {
    let idp = spawn().await;
    let page = idp.login_page().await;
    assert!(page.contains(r#"id="custom-identity-form" method="post" action="/login/custom""#));

    let response = post_custom(&idp, &page, &custom_fields("eidas2", "")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let query = redirect_query(&response, REDIRECT_URI);
    assert_eq!(query_value(&query, "state").as_deref(), Some(STATE));
    let code = query_value(&query, "code").unwrap();

    let body = json(
        idp.token(&code, REDIRECT_URI, ClientAuth::Basic, CLIENT_SECRET)
            .await,
    )
    .await;
    let access_token = body["access_token"].as_str().unwrap();
    let claims = fc_plumbing::jose::decode_unverified(body["id_token"].as_str().unwrap())
        .unwrap()
        .payload;
    assert_eq!(claims["acr"], "eidas2");

    let userinfo = json(idp.userinfo(access_token).await).await;
    assert_eq!(userinfo["given_name"], "Zoé Marie");
    assert_eq!(userinfo["family_name"], "ESSAI");
    assert_eq!(userinfo["birthdate"], "1999-00-00");
    assert_eq!(userinfo["sub"], claims["sub"]);
    assert!(userinfo.get("email").is_none(), "empty fields are not sent");
    assert!(userinfo.get("preferred_username").is_none());

    let home = idp.get("/").await.text().await.unwrap();
    assert!(home.contains("Zoé Marie ESSAI"), "{home}");

    // The same identity typed again has the same sub.
    let page = idp.login_page().await;
    let response = post_custom(&idp, &page, &custom_fields("eidas1", "")).await;
    let code = query_value(&redirect_query(&response, REDIRECT_URI), "code").unwrap();
    let body = json(
        idp.token(&code, REDIRECT_URI, ClientAuth::Post, CLIENT_SECRET)
            .await,
    )
    .await;
    let again = fc_plumbing::jose::decode_unverified(body["id_token"].as_str().unwrap())
        .unwrap()
        .payload;
    assert_eq!(again["sub"], claims["sub"]);
}

#[tokio::test]
async fn the_custom_form_obeys_the_interaction_rules() {
    let idp = spawn().await;
    let page = idp.login_page().await;

    let response = post_custom(&idp, &page, &custom_fields("eidas9", "")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let again = response.text().await.unwrap();
    assert!(again.contains("niveau eIDAS"));

    let long = "x".repeat(1025);
    let response = post_custom(&idp, &again, &custom_fields("eidas1", &long)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let again_2 = response.text().await.unwrap();
    assert!(again_2.contains("trop long"));

    // Refused attempts leave the form usable; a login spends it, in every copy of the page.
    let other_browser = new_browser();
    let response = other_browser
        .post(idp.url("/login/custom"))
        .form(&[
            ("pending", hidden(&again_2, "pending")),
            ("acr", "eidas1".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_error_page(response, StatusCode::BAD_REQUEST, "interaction_expired").await;
    let response = post_custom(&idp, &again_2, &custom_fields("eidas1", "")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let stale = post_custom(&idp, &page, &custom_fields("eidas1", "")).await;
    assert_error_page(stale, StatusCode::BAD_REQUEST, "interaction_expired").await;
}
