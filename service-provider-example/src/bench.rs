//! "Tester mon service" (`GET /tester`): the demo as a test bench for a developer's own service
//! provider, in one page.
//!
//! FranceConnect's integration platform cannot make itself misbehave, nor take a new service
//! without paperwork. This demo can: its hub has a control API to register a service at once and
//! to send that one service exactly the defect it should resist (wrong `iss`, bad signature,
//! replayed nonce, slow token endpoint…), its identity provider and data provider have admin APIs
//! for the people and the records, and the hub has a deterministic mode for CI. This page says
//! how, with this demo's own URLs; the details are in `docs/admin.md` (the control API and the
//! scenarios), `docs/identity-provider.md` and `docs/data-provider.md` (their admin APIs), and the
//! README ("Testing your service provider").

use actix_session::Session;
use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::error::SpError;
use crate::hub::Platform;
use crate::startup::AppState;

/// The scenarios of the hub's control API (`docs/admin.md`, "Scenarios"), with what a correct
/// service provider does.
const SCENARIOS: [(&str, &str); 17] = [
    (
        "id_token_wrong_iss",
        "refuser l'ID token (iss comparé octet par octet)",
    ),
    (
        "id_token_wrong_aud",
        "refuser l'ID token destiné à un autre client",
    ),
    (
        "id_token_bad_signature",
        "refuser l'ID token à la signature cassée",
    ),
    (
        "id_token_unknown_kid",
        "recharger le JWKS une fois, puis refuser",
    ),
    (
        "id_token_alg_none",
        "refuser l'ID token non signé (algorithme imposé)",
    ),
    (
        "id_token_wrong_nonce",
        "refuser l'ID token d'une autre demande",
    ),
    ("id_token_expired", "refuser l'ID token expiré"),
    ("id_token_missing_claim", "refuser l'ID token sans nonce"),
    (
        "userinfo_other_sub",
        "refuser userinfo qui parle de quelqu'un d'autre",
    ),
    (
        "userinfo_bad_signature",
        "refuser userinfo à la signature cassée",
    ),
    ("token_500", "afficher une erreur, proposer de recommencer"),
    (
        "token_slow",
        "abandonner après son propre délai, sans bloquer la page",
    ),
    ("token_invalid_json", "refuser la réponse illisible"),
    (
        "userinfo_500",
        "afficher une erreur, ne pas connecter à moitié",
    ),
    (
        "callback_wrong_state",
        "refuser le retour sans échanger le code",
    ),
    (
        "callback_error_access_denied",
        "vérifier state, expliquer l'annulation",
    ),
    (
        "jwks_rotated",
        "recharger le JWKS sur le kid inconnu et connecter la personne",
    ),
];

#[derive(Serialize)]
struct Scenario {
    name: &'static str,
    expected: &'static str,
}

/// `GET /tester`
pub async fn bench_get(
    app: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, SpError> {
    let url = |platform| app.hubs.get(platform).url().to_owned();
    let scenarios: Vec<Scenario> = SCENARIOS
        .iter()
        .map(|(name, expected)| Scenario { name, expected })
        .collect();
    let mut context = app.pages.context(&session)?;
    context.insert("hub_url", &url(Platform::FranceConnect));
    context.insert("hub_plus_url", &url(Platform::FranceConnectPlus));
    context.insert("dp_url", app.config.dp_url.trim_end_matches('/'));
    context.insert("sp_url", app.config.public_url.trim_end_matches('/'));
    context.insert("scenarios", &scenarios);
    app.pages.render("bench.html", &context)
}
