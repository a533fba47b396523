//! Step 2 — back from FranceConnect on `redirect_uri`.
//!
//! FranceConnect (or FranceConnect+: both share this URI, `iss` tells them apart) sends the
//! browser to `redirect_uri?code=…&state=…&iss=…`, or
//! `redirect_uri?error=…&error_description=…&state=…&iss=…`. What it expects from the SP
//! (partner documentation, token and userinfo endpoints:
//! <https://docs.partenaires.franceconnect.gouv.fr/fs/fs-technique/fs-technique-endpoints/>):
//! 1. `state` must be the one sent with this browser's `/authorize`; otherwise stop, without
//!    calling the hub (the callback may be forged). An `error` is shown only after this check,
//!    validated and escaped (it comes from the network); `access_denied` (the user cancelled or
//!    refused to share their data) is an answer, not a failure;
//!    Then `iss` (RFC 9207) must be the issuer of the hub this login went to;
//! 2. exchange the `code` at that hub's `token_endpoint` (`client_secret_post`, with the same
//!    `redirect_uri`, plus the PKCE `code_verifier` when one was sent) for an access token and an
//!    ID token ([`crate::tokens`]);
//! 3. verify the ID token — on FranceConnect+ decrypted first with our key, the `alg` of the JWE
//!    pinned like the signature's: its algorithm must be the one of our registration (ES256 for
//!    the demo SP in v2, HS256 keyed by our client secret in v1), its signature a key of the
//!    hub's JWKS (or that secret), `iss` the hub, `aud` our `client_id`, `exp` in the future,
//!    `nonce` the one we sent, `acr` at least the level asked;
//! 4. call the `userinfo_endpoint` with the access token ([`crate::userinfo`]);
//! 5. only then consider the user logged in, under a new session id.
//!
//! The hub puts its v2 issuer in the callback's `iss` (RFC 9207); a v1 login also accepts the v1
//! issuer there, or none.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, ResponseError, http::header, web};
use serde_json::Value;

use crate::error::{SpError, clean_description};
use crate::hub::{ApiVersion, Hub};
use crate::journal::Http;
use crate::pending::{PendingLogin, state_matches};
use crate::session::{self, DataGrant, Purpose, User};
use crate::startup::AppState;
use crate::tokens::{self, IdToken, Tokens};
use crate::userinfo;

/// The longest callback parameter accepted: a code or a state is tens of characters.
const MAX_PARAM_CHARS: usize = 1024;

/// The callback's parameters. Anybody can write this URL: each is single and bounded.
#[derive(Debug, Default)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

impl Callback {
    fn parse(pairs: &[(String, String)]) -> Result<Self, SpError> {
        let single = |name: &str| -> Result<Option<String>, SpError> {
            let mut values = pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
            match (values.next(), values.next()) {
                (Some(_), Some(_)) => Err(SpError::BadRequest(format!("paramètre {name} répété"))),
                (Some(v), None) if v.len() > MAX_PARAM_CHARS && name != "error_description" => {
                    Err(SpError::BadRequest(format!("paramètre {name} trop long")))
                }
                (value, _) => Ok(value.cloned()),
            }
        };
        Ok(Self {
            code: single("code")?.filter(|c| !c.is_empty()),
            state: single("state")?,
            iss: single("iss")?,
            error: single("error")?,
            error_description: single("error_description")?,
        })
    }
}

/// `GET /oidc-callback`
pub async fn oidc_callback_get(
    app: web::Data<AppState>,
    session: Session,
    http: Http,
    request: HttpRequest,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, SpError> {
    let callback = Callback::parse(&query)?;

    // 1. The state: this callback must answer the login this browser started. A forged callback
    // stops here, and leaves the browser's own login in progress untouched.
    let pending = app.pending.current(&request)?;
    if !state_matches(&pending.state, callback.state.as_deref()) {
        return Err(SpError::StateMismatch);
    }
    app.pending.spend(&pending)?;

    let mut answer = finish_login(&app, &session, &http, &pending, &callback)
        .await
        .unwrap_or_else(|e| e.error_response());
    // The login in progress is over, whatever its outcome: the browser forgets it.
    answer
        .add_cookie(&app.pending.removal())
        .map_err(|e| SpError::Session(e.to_string()))?;
    Ok(answer)
}

async fn finish_login(
    app: &AppState,
    session: &Session,
    http: &Http,
    pending: &PendingLogin,
    callback: &Callback,
) -> Result<HttpResponse, SpError> {
    let version = pending.api_version;
    let hub = app.hubs.get(pending.hub);
    check_issuer(hub, version, callback.iss.as_deref())?;
    if let Some(error) = &callback.error {
        return refused(app, session, error, callback.error_description.as_deref());
    }
    let code = callback.code.as_deref().ok_or(SpError::MissingCode)?;

    // 2. The code, exchanged for tokens, at the hub the login went to.
    let metadata = hub.metadata_for(http, version).await?;
    let redirect_uri = app.config.redirect_uri();
    let tokens = tokens::exchange_code(hub, http, &metadata, pending, code, &redirect_uri).await?;

    // 3. The ID token (decrypted first on FranceConnect+).
    let id_token = tokens::verify_id_token(hub, http, pending, &tokens, app.clock.now()).await?;

    // 4. Userinfo: about the same person.
    let sub = id_token
        .claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or("");
    let userinfo =
        userinfo::fetch(hub, http, version, &tokens.access_token, sub, &app.clock).await?;

    // 5. Logged in.
    let user = user_of(app, pending, &tokens, id_token, userinfo);
    let next = log_in(session, pending.purpose, user)?;
    tracing::info!(purpose = ?pending.purpose, hub = hub.platform().name(), "user logged in");
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, next))
        .finish())
}

/// RFC 9207: the callback names the hub that answered. Both hubs send the browser back to the
/// same redirect URI, so `iss` is what tells them apart: it must be the issuer of the hub this
/// login went to (a mix-up attack would have us redeem a code at the wrong one). The hub always
/// sends it in v2; a v1 login also accepts the v1 issuer, or none.
fn check_issuer(hub: &Hub, version: ApiVersion, iss: Option<&str>) -> Result<(), SpError> {
    let v2 = hub.issuer_of(ApiVersion::V2);
    let accepted = match (iss, version) {
        (None, ApiVersion::V1) => true,
        (None, ApiVersion::V2) => false,
        (Some(iss), _) => iss == v2.as_str() || iss == hub.issuer_of(version).as_str(),
    };
    if accepted {
        return Ok(());
    }
    Err(SpError::WrongCallbackIssuer(match iss {
        Some(iss) => iss.chars().take(200).collect(),
        None => "(aucun iss)".into(),
    }))
}

/// The hub sent the browser back with an `error`. `access_denied` means the person cancelled or
/// refused to share their data: an answer to respect, shown as information. Any other error is
/// an error page.
fn refused(
    app: &AppState,
    session: &Session,
    error: &str,
    description: Option<&str>,
) -> Result<HttpResponse, SpError> {
    if error != "access_denied" {
        return Err(SpError::hub(error, description));
    }
    let mut context = app.pages.context(session)?;
    context.insert("description", &description.map(clean_description));
    app.pages.render("refused.html", &context)
}

/// The person, with what the pages show of the login.
fn user_of(
    app: &AppState,
    pending: &PendingLogin,
    tokens: &Tokens,
    id_token: IdToken,
    userinfo: Value,
) -> User {
    let claims = &id_token.claims;
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
    let header = fc_plumbing::jose::decode_unverified(&id_token.jws)
        .map(|d| d.header)
        .unwrap_or_default();
    User {
        hub: pending.hub,
        api_version: pending.api_version,
        sub: text("sub").unwrap_or_default(),
        acr: text("acr"),
        amr: claims
            .get("amr")
            .and_then(Value::as_array)
            .map(|amr| {
                amr.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        id_token_header: header,
        id_token_payload: claims.clone(),
        id_token_jwe_header: id_token.jwe_header,
        id_token: id_token.jws,
        userinfo,
        scope: tokens.scope.clone(),
        access_token: Some(tokens.access_token.clone()),
        access_token_expires_at: tokens
            .expires_in
            .and_then(|s| i64::try_from(s).ok())
            .map(|s| app.clock.now().saturating_add(s)),
    }
}

/// A new session id (against session fixation), the user, and the session marked established.
/// The data pass also logs the user in when they were not already. Returns where to go next.
fn log_in(session: &Session, purpose: Purpose, user: User) -> Result<&'static str, SpError> {
    session.renew();
    let next = match purpose {
        Purpose::Identity => {
            session::set_user(session, &user)?;
            "/me"
        }
        Purpose::Data => {
            let grant = DataGrant {
                access_token: user.access_token.clone().unwrap_or_default(),
                scope: user.scope.clone(),
                expires_at: user.access_token_expires_at,
            };
            if session::user(session)?.is_none() {
                session::set_user(session, &user)?;
            }
            session::set_data_grant(session, &grant)?;
            "/data"
        }
    };
    session::establish(session)?;
    Ok(next)
}
