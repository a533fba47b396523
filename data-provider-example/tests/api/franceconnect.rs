//! FranceConnect's own `data-provider-example/database.csv`, read unchanged: its people get their
//! row's data through the identity-pivot match.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_person_of_franceconnects_files_gets_their_row() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |c| {
        c.records = vec![fc_plumbing::fixture_path("dp/franceconnect/database.csv")];
    })
    .await;
    // `testfc1` of FranceConnect's identity-provider database.csv, as the hub sends it.
    let testfc1 = json!({
        "given_name": "Stéphane Louis Perceval", "family_name": "DUPONT",
        "birthdate": "1962-08-24", "gender": "male", "birthplace": "75112", "birthcountry": "99100",
    });
    hub.reply_active(testfc1, ALL_DP_SCOPES);
    let (status, _, body) = parts(app.get_data(Some(BEARER), None).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({
            "rfr": 21480,
            "nbPart": 2.5,
            "sitFam": "M",
            "pac": {"nbPac": 1, "enfants": 1, "invalides": null, "rattaches": null},
            "aft": "Appartement 4 10 RUE DES ESSAIS 75012 PARIS",
            "aftDetail": {
                "complementAdresse": "Appartement 4",
                "voie": "10 RUE DES ESSAIS",
                "codePostal": "75012",
                "commune": "PARIS"
            },
            "cnam": {"paiements_ij": 3275}
        })
    );

    // 3_melaine has a row there too, whose `Null` income is answered as null.
    hub.reply_active(melaine(), "dgfip_rfr dgfip_pac");
    let (status, _, body) = parts(app.get_data(Some(BEARER), None).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rfr"], serde_json::Value::Null);
    assert_eq!(body["pac"]["rattaches"], 3);
}

#[tokio::test]
async fn both_layouts_load_side_by_side() {
    let hub = StubHub::start().await;
    let app = TestApp::spawn(&hub, |c| {
        c.records = vec![
            fc_plumbing::fixture_path("dp/dgfip.csv"),
            fc_plumbing::fixture_path("dp/franceconnect/database.csv"),
        ];
    })
    .await;
    let records = app.state.records.current();
    assert!(
        records.get("3999999000101").is_some(),
        "FranceConnect's layout"
    );
    assert!(records.get("1234567890123").is_some(), "this demo's layout");
}
