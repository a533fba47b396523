//! Step 2 — back from FranceConnect on `redirect_uri`.
//!
//! FranceConnect sends the browser to `redirect_uri?code=…&state=…&iss=…`, or
//! `redirect_uri?error=…&error_description=…&state=…&iss=…`. What it expects from the SP
//! (partner documentation, token and userinfo endpoints:
//! <https://docs.partenaires.franceconnect.gouv.fr/fs/fs-technique/fs-technique-endpoints/>):
//! 1. `state` must be the one sent with this browser's `/authorize`; otherwise stop, without
//!    calling the hub (the callback may be forged). An `error` is shown only after this check,
//!    validated and escaped (it comes from the network); `access_denied` (the user cancelled or
//!    refused to share their data) is an answer, not a failure;
//! 2. exchange the `code` at the `token_endpoint` (`client_secret_post`, with the same
//!    `redirect_uri`, plus the PKCE `code_verifier` when one was sent) for an access token and an
//!    ID token;
//! 3. verify the ID token: its algorithm must be the one of our registration (ES256 for the demo
//!    SP in v2, HS256 keyed by our client secret in v1), its signature a key of the hub's JWKS (or
//!    that secret), `iss` the hub, `aud` our `client_id`, `exp` in the future, `nonce` the one we
//!    sent;
//! 4. call the `userinfo_endpoint` with the access token ([`crate::userinfo`]);
//! 5. only then consider the user logged in, under a new session id.
//!
//! The hub puts its v2 issuer in the callback's `iss` (RFC 9207) for both APIs; a v1 login also
//! accepts the v1 issuer there.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, ResponseError, http::header, web};
use openidconnect::core::{
    CoreIdToken, CoreIdTokenClaims, CoreIdTokenVerifier, CoreJsonWebKeySet, CoreTokenResponse,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, Nonce, OAuth2TokenResponse, PkceCodeVerifier,
    ProviderMetadataWithLogout, RequestTokenError, SignatureVerificationError,
};

use crate::error::{SpError, clean_description};
use crate::hub::{JwtRefusal, transport_error};
use crate::journal::Http;
use crate::pending::{PendingLogin, state_matches};
use crate::session::{self, DataGrant, Purpose, User};
use crate::startup::AppState;
use crate::userinfo;

/// The longest callback parameter accepted: a code or a state is tens of characters.
const MAX_PARAM_CHARS: usize = 1024;
/// The longest ID token kept (it goes in the session, and back to the hub at logout).
const MAX_ID_TOKEN_CHARS: usize = 16 * 1024;

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
    if let Some(iss) = &callback.iss
        && *iss != app.config.issuer()
        && *iss != app.hub.issuer_of(version).as_str()
    {
        return Err(SpError::WrongCallbackIssuer(
            iss.chars().take(200).collect(),
        ));
    }
    if let Some(error) = &callback.error {
        return refused(app, session, error, callback.error_description.as_deref());
    }
    let code = callback.code.as_deref().ok_or(SpError::MissingCode)?;

    // 2. The code, exchanged for tokens.
    let metadata = app.hub.metadata_for(http, version).await?;
    let tokens = exchange_code(app, http, &metadata, pending, code).await?;

    // 3. The ID token.
    let (id_token, claims) = verify_id_token(app, http, pending, &tokens).await?;

    // 4. Userinfo: about the same person.
    let access_token = tokens.access_token().secret();
    let sub = claims.subject().as_str();
    let userinfo = userinfo::fetch(app, http, version, access_token, sub).await?;

    // 5. Logged in.
    let user = user_of(app, pending, &tokens, id_token, &claims, userinfo)?;
    let next = log_in(session, pending.purpose, user)?;
    tracing::info!(purpose = ?pending.purpose, "user logged in through FranceConnect");
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, next))
        .finish())
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

async fn exchange_code(
    app: &AppState,
    http: &Http,
    metadata: &ProviderMetadataWithLogout,
    pending: &PendingLogin,
    code: &str,
) -> Result<CoreTokenResponse, SpError> {
    let client = app.hub.client(metadata);
    let mut request = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(|_| SpError::Token("FranceConnect ne publie pas de token_endpoint".into()))?;
    if let Some(verifier) = &pending.pkce_verifier {
        request = request.set_pkce_verifier(PkceCodeVerifier::new(verifier.clone()));
    }
    let send = |r| http.send(r);
    request.request_async(&send).await.map_err(|e| match e {
        RequestTokenError::ServerResponse(e) => {
            SpError::Token(format!("FranceConnect a refusé l'échange du code ({e})"))
        }
        RequestTokenError::Request(e) => SpError::HubUnreachable(transport_error(&e)),
        RequestTokenError::Parse(..) => SpError::Token("réponse illisible (JSON attendu)".into()),
        RequestTokenError::Other(_) => SpError::Token("réponse inattendue de FranceConnect".into()),
    })
}

/// Verifies the ID token (see the module header, point 3) and returns it with its claims.
async fn verify_id_token(
    app: &AppState,
    http: &Http,
    pending: &PendingLogin,
    tokens: &CoreTokenResponse,
) -> Result<(String, CoreIdTokenClaims), SpError> {
    let id_token: &CoreIdToken = tokens
        .extra_fields()
        .id_token()
        .ok_or_else(|| SpError::IdToken("la réponse ne contient pas d'id_token".into()))?;
    let raw = id_token.to_string();
    if raw.len() > MAX_ID_TOKEN_CHARS {
        return Err(SpError::IdToken("jeton trop long".into()));
    }
    let (expected, _) = app.config.expected_algs(pending.api_version);
    let issuer = app.hub.issuer_of(pending.api_version);
    let nonce = Nonce::new(pending.nonce.clone());
    let check = |keys: &CoreJsonWebKeySet| {
        let clock = app.clock.clone();
        let verifier = CoreIdTokenVerifier::new_confidential_client(
            app.hub.client_id().clone(),
            app.hub.client_secret(),
            issuer.clone(),
            keys.clone(),
        )
        // The registration's algorithm, and no other (see `hub::expect_alg`).
        .set_allowed_algs([expected.core()])
        .set_time_fn(move || chrono::DateTime::from_timestamp(clock.now(), 0).unwrap_or_default());
        id_token
            .claims(&verifier, &nonce)
            .cloned()
            .map_err(|e| refusal(&e))
    };
    let claims = app
        .hub
        .verify_jwt(http, &raw, expected, check)
        .await
        .map_err(|e| SpError::IdToken(e.to_string()))?;
    Ok((raw, claims))
}

/// Why `openidconnect` refused the ID token, in French.
fn refusal(error: &ClaimsVerificationError) -> JwtRefusal {
    use ClaimsVerificationError as E;
    let no = |why: &str| JwtRefusal::Refused(why.to_owned());
    match error {
        E::SignatureVerification(SignatureVerificationError::NoMatchingKey) => JwtRefusal::Keys(
            "aucune clé publique de FranceConnect ne correspond à son « kid »".into(),
        ),
        E::SignatureVerification(SignatureVerificationError::CryptoError(_)) => {
            JwtRefusal::Keys("signature invalide".into())
        }
        E::SignatureVerification(_) => no("signature invalide ou algorithme refusé"),
        E::Expired(_) => no("il a expiré (exp dépassé)"),
        E::InvalidAudience(_) => no("il n'est pas destiné à ce service (aud)"),
        E::InvalidIssuer(_) => no("il n'a pas été émis par le FranceConnect configuré (iss)"),
        E::InvalidNonce(_) => no("son nonce n'est pas celui envoyé à l'autorisation"),
        E::InvalidSubject(_) => no("son sub est invalide"),
        _ => no("il est mal formé"),
    }
}

/// The person, with what the pages show of the login.
fn user_of(
    app: &AppState,
    pending: &PendingLogin,
    tokens: &CoreTokenResponse,
    id_token: String,
    claims: &CoreIdTokenClaims,
    userinfo: serde_json::Value,
) -> Result<User, SpError> {
    let decoded = fc_plumbing::jose::decode_unverified(&id_token)
        .map_err(|_| SpError::IdToken("jeton illisible".into()))?;
    let expires_in = tokens.expires_in().map(|d| d.as_secs());
    Ok(User {
        api_version: pending.api_version,
        sub: claims.subject().as_str().to_owned(),
        acr: claims.auth_context_ref().map(|acr| acr.as_str().to_owned()),
        amr: claims
            .auth_method_refs()
            .map(|amr| amr.iter().map(|a| a.as_str().to_owned()).collect())
            .unwrap_or_default(),
        id_token,
        id_token_header: decoded.header,
        id_token_payload: decoded.payload,
        userinfo,
        scope: tokens
            .scopes()
            .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")),
        access_token: Some(tokens.access_token().secret().clone()),
        access_token_expires_at: expires_in
            .and_then(|s| i64::try_from(s).ok())
            .map(|s| app.clock.now().saturating_add(s)),
    })
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
