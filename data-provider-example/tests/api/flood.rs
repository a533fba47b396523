//! Floods of junk calls (made-up tokens, made-up correlation ids) cannot push the exchanges of
//! real calls out of the journal, and the journal stays within its budget.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn junk_correlation_ids_never_evict_a_real_calls_exchanges() {
    const FLOOD: usize = 200;
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |c| {
        c.journal_ids = 16;
        c.journal_megabytes = 1;
    })
    .await;
    hub.reply_active(melaine(), "dgfip_rfr");
    assert_eq!(
        app.get_data(Some(BEARER), Some("real-call")).await.status(),
        200
    );
    let real = app.state.journal.get("real-call");
    assert_eq!(real.len(), 2, "checktoken and JWKS");

    // The hub says the junk tokens are inactive: their calls go to the unverified tier only.
    let inactive = hub.payload(json!({"active": false}));
    hub.reply_signed(&fc_plumbing::Signer::Ec(&hub.keys.ec), &inactive);
    for i in 0..FLOOD {
        let junk = format!("Bearer junk-token-{i}");
        let response = app.get_data(Some(&junk), Some(&format!("junk-{i}"))).await;
        assert_eq!(response.status(), 401);
        let (verified, unverified) = app.state.journal.usage();
        assert!(verified.bytes <= verified.max_bytes, "{verified:?}");
        assert!(unverified.bytes <= unverified.max_bytes, "{unverified:?}");
        assert!(unverified.ids <= unverified.max_ids, "{unverified:?}");
    }
    assert_eq!(app.state.journal.get("real-call"), real);
    let (verified, unverified) = app.state.journal.usage();
    assert_eq!(verified.ids, 1);
    assert_eq!(unverified.ids, 2, "an eighth of 16 ids");
    let shown = app
        .client
        .get(format!("{}/exchanges/real-call", app.url))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(shown.as_array().unwrap().len(), 2);
}
