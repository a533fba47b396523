//! Scenarios: the hub misbehaving towards one service provider, on purpose, so that the SP's
//! error handling can be tried before qualification (`docs/admin.md`, "Scenarios"). A scenario
//! is set per SP through the control API, for every login or for the next N (counted across
//! replicas with the store's atomic counter), and changes exactly one thing the SP receives.
//!
//! This module holds the types and the few functions the provider calls where a scenario can
//! change something: the redirect back to the SP ([`shape_callback`]), the token answer
//! ([`refuse_token`], [`id_token`], [`deliver_token`]), the userinfo answer ([`refuse_userinfo`],
//! [`userinfo_claims`], [`sign`]) and the JWKS ([`jwks`]). Each asks [`consult`] once per request.
//!
//! `jwks_rotated` is a rotation as one SP sees it: the hub signs that SP's tokens with a new key
//! it publishes in its JWKS next to its usual keys, which stay for every other SP. A correct SP
//! finds an unknown `kid`, fetches the JWKS again and goes on; an SP that never refreshes fails.
//! Removing the usual keys would break every other SP of a shared demo hub at once.
//! `id_token_unknown_kid` signs with a throwaway key published nowhere: a correct SP refreshes the
//! JWKS once, still finds no key, and refuses the token.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fc_plumbing::jose::{self, EcKey, RsaKey, Signer};
use fc_plumbing::{Jwa, Secret};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::SpRedirect;
use super::claims::{self, id_token_alg, id_token_claims};
use super::token::TokenAnswer;
use super::tokens::AccessToken;
use crate::domain::ApiVersion;
use crate::error::{Error, OAuthError, Result};
use crate::platform::Platform;
use crate::registry::ServiceProvider;

/// What the hub does wrong, by name (the control API's `scenario`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scenario {
    IdTokenWrongIss,
    IdTokenWrongAud,
    IdTokenBadSignature,
    IdTokenUnknownKid,
    IdTokenAlgNone,
    IdTokenWrongNonce,
    IdTokenExpired,
    IdTokenMissingClaim,
    UserinfoOtherSub,
    UserinfoBadSignature,
    #[serde(rename = "token_500")]
    Token500,
    TokenSlow,
    TokenInvalidJson,
    #[serde(rename = "userinfo_500")]
    Userinfo500,
    CallbackWrongState,
    CallbackErrorAccessDenied,
    JwksRotated,
}

/// Where a scenario changes what the SP receives (and where a login is counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    /// The browser's way back to the SP's `redirect_uri`.
    Callback,
    /// The token endpoint: its answer and the ID token in it.
    Token,
    Userinfo,
}

impl Scenario {
    pub const ALL: [Scenario; 17] = [
        Scenario::IdTokenWrongIss,
        Scenario::IdTokenWrongAud,
        Scenario::IdTokenBadSignature,
        Scenario::IdTokenUnknownKid,
        Scenario::IdTokenAlgNone,
        Scenario::IdTokenWrongNonce,
        Scenario::IdTokenExpired,
        Scenario::IdTokenMissingClaim,
        Scenario::UserinfoOtherSub,
        Scenario::UserinfoBadSignature,
        Scenario::Token500,
        Scenario::TokenSlow,
        Scenario::TokenInvalidJson,
        Scenario::Userinfo500,
        Scenario::CallbackWrongState,
        Scenario::CallbackErrorAccessDenied,
        Scenario::JwksRotated,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::IdTokenWrongIss => "id_token_wrong_iss",
            Scenario::IdTokenWrongAud => "id_token_wrong_aud",
            Scenario::IdTokenBadSignature => "id_token_bad_signature",
            Scenario::IdTokenUnknownKid => "id_token_unknown_kid",
            Scenario::IdTokenAlgNone => "id_token_alg_none",
            Scenario::IdTokenWrongNonce => "id_token_wrong_nonce",
            Scenario::IdTokenExpired => "id_token_expired",
            Scenario::IdTokenMissingClaim => "id_token_missing_claim",
            Scenario::UserinfoOtherSub => "userinfo_other_sub",
            Scenario::UserinfoBadSignature => "userinfo_bad_signature",
            Scenario::Token500 => "token_500",
            Scenario::TokenSlow => "token_slow",
            Scenario::TokenInvalidJson => "token_invalid_json",
            Scenario::Userinfo500 => "userinfo_500",
            Scenario::CallbackWrongState => "callback_wrong_state",
            Scenario::CallbackErrorAccessDenied => "callback_error_access_denied",
            Scenario::JwksRotated => "jwks_rotated",
        }
    }

    /// What the SP receives, in French, for the admin page.
    pub fn label(self) -> &'static str {
        match self {
            Scenario::IdTokenWrongIss => "ID token : émetteur (iss) inattendu",
            Scenario::IdTokenWrongAud => "ID token : destinataire (aud) d'un autre service",
            Scenario::IdTokenBadSignature => "ID token : signature invalide",
            Scenario::IdTokenUnknownKid => "ID token : clé (kid) publiée nulle part",
            Scenario::IdTokenAlgNone => "ID token : non signé (alg none)",
            Scenario::IdTokenWrongNonce => "ID token : nonce d'une autre demande",
            Scenario::IdTokenExpired => "ID token : expiré",
            Scenario::IdTokenMissingClaim => "ID token : sans nonce",
            Scenario::UserinfoOtherSub => "Userinfo : sub d'une autre personne",
            Scenario::UserinfoBadSignature => "Userinfo : signature invalide",
            Scenario::Token500 => "Token : erreur 500",
            Scenario::TokenSlow => "Token : réponse très lente",
            Scenario::TokenInvalidJson => "Token : JSON illisible",
            Scenario::Userinfo500 => "Userinfo : erreur 500",
            Scenario::CallbackWrongState => "Retour : state d'une autre demande",
            Scenario::CallbackErrorAccessDenied => "Retour : error=access_denied",
            Scenario::JwksRotated => "Clés renouvelées (nouveau kid dans le JWKS)",
        }
    }

    pub fn point(self) -> Point {
        match self {
            Scenario::CallbackWrongState | Scenario::CallbackErrorAccessDenied => Point::Callback,
            Scenario::UserinfoOtherSub | Scenario::UserinfoBadSignature | Scenario::Userinfo500 => {
                Point::Userinfo
            }
            _ => Point::Token,
        }
    }

    /// Signs with a key other than the hub's: meaningless for HS256 (keyed by the SP's secret).
    pub fn needs_public_key(self) -> bool {
        matches!(self, Scenario::IdTokenUnknownKid | Scenario::JwksRotated)
    }

    /// Whether it changes something at `point` for this SP's `version` login.
    fn acts_at(self, point: Point, sp: &ServiceProvider, version: ApiVersion) -> bool {
        let asymmetric = |alg: Jwa| alg != Jwa::HS256;
        match (self, point) {
            (Scenario::JwksRotated, Point::Userinfo) => {
                version == ApiVersion::V2 && asymmetric(sp.userinfo_signed_response_alg)
            }
            (Scenario::UserinfoBadSignature, Point::Userinfo) => version == ApiVersion::V2,
            (s, p) if s.needs_public_key() && p == Point::Token => {
                asymmetric(id_token_alg(sp, version))
            }
            (s, p) => s.point() == p,
        }
    }
}

/// A scenario as set for one SP: what the store and replicas share.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioSetting {
    pub scenario: Scenario,
    /// The next `count` logins only; every login when absent.
    pub count: Option<u32>,
    /// `token_slow`: how long the token answer is held, in seconds.
    pub delay_secs: Option<u64>,
    /// This setting's own id: its counter's key, so setting it again starts a new count.
    pub id: String,
    /// When it was set (Unix time).
    pub since: i64,
    /// `jwks_rotated`: the new keys, shared by replicas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotated: Option<RotatedKeys>,
}

/// Private keys of a `jwks_rotated` scenario (hex scalar and PKCS#1 PEM): `Debug` hides them.
#[derive(Clone, Serialize, Deserialize)]
pub struct RotatedKeys {
    pub es256: Secret,
    pub rs256: Option<Secret>,
    pub kid_prefix: String,
}

impl std::fmt::Debug for RotatedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RotatedKeys({})", self.kid_prefix)
    }
}

/// What the control API takes to set a scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioRequest {
    pub scenario: Scenario,
    pub count: Option<u32>,
    pub delay_secs: Option<u64>,
}

/// The longest `token_slow` delay (a held connection is a resource).
pub const MAX_DELAY_SECS: u64 = 600;
/// The most logins one setting may count.
pub const MAX_COUNT: u32 = 10_000;

/// Keys other than the hub's usual ones, to sign with.
#[derive(Clone)]
pub struct OtherKeys {
    pub ec: EcKey,
    pub rsa: Option<RsaKey>,
}

impl OtherKeys {
    fn public_jwks(&self) -> Vec<Value> {
        let mut keys = vec![self.ec.public_jwk()];
        keys.extend(self.rsa.as_ref().map(RsaKey::public_jwk));
        keys
    }

    fn signer(&self, alg: Jwa) -> Option<Signer<'_>> {
        match alg {
            Jwa::ES256 => Some(Signer::Ec(&self.ec)),
            Jwa::RS256 => self.rsa.as_ref().map(Signer::Rsa),
            Jwa::HS256 => None,
        }
    }
}

/// A setting in force in this process: its keys parsed once, and whether its count is known
/// to be spent (then no more counting).
pub struct LiveScenario {
    pub setting: ScenarioSetting,
    keys: Option<Arc<OtherKeys>>,
    spent: AtomicBool,
}

impl LiveScenario {
    pub fn new(setting: ScenarioSetting) -> Result<Self, String> {
        let keys = match &setting.rotated {
            None => None,
            Some(r) => {
                let ec = EcKey::from_hex(r.es256.expose())
                    .map(|k| k.with_kid(format!("{}-es256", r.kid_prefix)))
                    .map_err(|e| e.to_string())?;
                let rsa = r
                    .rs256
                    .as_ref()
                    .map(|pem| {
                        RsaKey::from_pem(pem.expose())
                            .map(|k| k.with_kid(format!("{}-rs256", r.kid_prefix)))
                    })
                    .transpose()
                    .map_err(|e| e.to_string())?;
                Some(Arc::new(OtherKeys { ec, rsa }))
            }
        };
        Ok(Self {
            setting,
            keys,
            spent: AtomicBool::new(false),
        })
    }
}

/// A scenario acting on the request at hand.
#[derive(Clone)]
pub struct Active {
    pub scenario: Scenario,
    delay: Duration,
    keys: Option<Arc<OtherKeys>>,
}

/// How long a login counter is kept: well past any test run.
const COUNTER_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

pub fn counter_key(setting: &ScenarioSetting) -> String {
    format!("admin:scenario-uses:{}", setting.id)
}

/// The scenario acting on `sp` at `point`, if any. A login is counted where its scenario acts
/// first (`jwks_rotated` also signs userinfo, uncounted, while its count lasts).
pub async fn consult(
    platform: &Platform,
    sp: &ServiceProvider,
    point: Point,
    version: ApiVersion,
) -> Result<Option<Active>> {
    let Some(live) = platform.admin.scenario(&sp.client_id) else {
        return Ok(None);
    };
    let setting = &live.setting;
    let scenario = setting.scenario;
    if !scenario.acts_at(point, sp, version) {
        return Ok(None);
    }
    if let Some(count) = setting.count {
        if live.spent.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let key = counter_key(setting);
        let used = if scenario.point() == point {
            platform.store.incr(&key, 1, COUNTER_TTL).await?
        } else {
            used(platform, setting).await?
        };
        if used > i64::from(count) {
            live.spent.store(true, Ordering::Relaxed);
            return Ok(None);
        }
    }
    let keys = match scenario {
        Scenario::IdTokenUnknownKid => Some(platform.admin.throwaway_keys().await?),
        _ => live.keys.clone(),
    };
    let delay = Duration::from_secs(
        setting
            .delay_secs
            .unwrap_or(platform.admin.settings.scenario_delay_secs),
    );
    Ok(Some(Active {
        scenario,
        delay,
        keys,
    }))
}

/// How many logins a counted setting has changed so far.
pub async fn used(platform: &Platform, setting: &ScenarioSetting) -> Result<i64> {
    let bytes = platform.store.get(&counter_key(setting)).await?;
    Ok(bytes
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0))
}

/// Checks a request against `sp` and makes the setting (new keys for `jwks_rotated`).
pub async fn prepare(
    platform: &Platform,
    sp: &ServiceProvider,
    request: ScenarioRequest,
) -> Result<ScenarioSetting> {
    let scenario = request.scenario;
    if request.count.is_some_and(|c| c == 0 || c > MAX_COUNT) {
        return Err(Error::admin_field(
            "count",
            format!("must be between 1 and {MAX_COUNT} (omit it for every login)"),
        ));
    }
    if let Some(delay) = request.delay_secs {
        if scenario != Scenario::TokenSlow {
            return Err(Error::admin_field(
                "delay_secs",
                "only applies to token_slow",
            ));
        }
        if delay == 0 || delay > MAX_DELAY_SECS {
            return Err(Error::admin_field(
                "delay_secs",
                format!("must be between 1 and {MAX_DELAY_SECS}"),
            ));
        }
    }
    if scenario.needs_public_key() && sp.id_token_signed_response_alg == Jwa::HS256 {
        return Err(Error::admin_field(
            "scenario",
            format!(
                "{} needs ID tokens signed with the hub's keys (ES256 or RS256); this service provider registered HS256",
                scenario.name()
            ),
        ));
    }
    let rotated = if scenario == Scenario::JwksRotated {
        let needs_rsa = [
            sp.id_token_signed_response_alg,
            sp.userinfo_signed_response_alg,
        ]
        .contains(&Jwa::RS256);
        Some(new_keys(needs_rsa).await?)
    } else {
        None
    };
    Ok(ScenarioSetting {
        scenario,
        count: request.count,
        delay_secs: request.delay_secs,
        id: fc_plumbing::random::token(12),
        since: platform.clock.now(),
        rotated,
    })
}

async fn new_keys(with_rsa: bool) -> Result<RotatedKeys> {
    let kid_prefix = format!("rotation-{}", &fc_plumbing::random::hex64()[..12]);
    let es256 = Secret::new(EcKey::generate("new").to_hex());
    let rs256 = if with_rsa {
        // RSA generation takes up to a second: off the async workers.
        let key = tokio::task::spawn_blocking(RsaKey::generate)
            .await
            .map_err(|e| Error::internal(format!("key generation: {e}")))?
            .map_err(|e| Error::internal(e.to_string()))?;
        Some(Secret::new(key.pem()))
    } else {
        None
    };
    Ok(RotatedKeys {
        es256,
        rs256,
        kid_prefix,
    })
}

/// Keys whose `kid` no JWKS publishes: a fresh EC key each time, and one RSA key per process.
pub fn throwaway_keys(rsa: RsaKey) -> OtherKeys {
    let kid = format!("inconnu-{}", &fc_plumbing::random::hex64()[..12]);
    OtherKeys {
        ec: EcKey::generate(kid),
        rsa: Some(rsa),
    }
}

/// The JWKS: the hub's keys, plus the new keys of every `jwks_rotated` setting.
pub fn jwks(platform: &Platform) -> Value {
    let mut doc = platform.public_jwks();
    let rotated: Vec<Value> = platform
        .admin
        .scenarios()
        .iter()
        .filter_map(|s| s.keys.as_ref())
        .flat_map(|k| k.public_jwks())
        .collect();
    if let Some(keys) = doc.get_mut("keys").and_then(Value::as_array_mut) {
        keys.extend(rotated);
    }
    doc
}

/// The redirect back to the SP, as the scenario wants it.
pub async fn shape_callback(
    platform: &Platform,
    sp: &ServiceProvider,
    version: ApiVersion,
    redirect: SpRedirect,
) -> Result<SpRedirect> {
    let active = consult(platform, sp, Point::Callback, version).await?;
    Ok(match active.map(|a| a.scenario) {
        Some(Scenario::CallbackWrongState) => redirect.with_state(&fc_plumbing::random::hex64()),
        Some(Scenario::CallbackErrorAccessDenied) => {
            redirect.error("access_denied", "User refused to share data")
        }
        _ => redirect,
    })
}

/// `token_500`: the token endpoint fails, the code being spent (as when a server fails midway).
pub fn refuse_token(active: Option<&Active>) -> Result<()> {
    match active.map(|a| a.scenario) {
        Some(Scenario::Token500) => Err(Error::oauth(
            OAuthError::ServerError,
            "the hub failed (scenario token_500)",
        )),
        _ => Ok(()),
    }
}

/// The ID token, with the scenario's defect.
pub fn id_token(
    platform: &Platform,
    sp: &ServiceProvider,
    token: &AccessToken,
    active: Option<&Active>,
) -> Result<String> {
    let Some(active) = active else {
        return claims::signed_id_token(platform, sp, token);
    };
    let mut claims = id_token_claims(platform, sp, token);
    match active.scenario {
        Scenario::IdTokenWrongIss => {
            claims["iss"] = json!("https://emetteur-inattendu.invalid/api/v2");
        }
        Scenario::IdTokenWrongAud => claims["aud"] = json!("un-autre-fournisseur-de-service"),
        Scenario::IdTokenWrongNonce => {
            claims["nonce"] = json!(format!("nonce-{}", fc_plumbing::random::hex64()));
        }
        Scenario::IdTokenExpired => {
            // Well past any clock-skew leeway an SP allows.
            let now = platform.clock.now();
            claims["iat"] = json!(now - 900);
            claims["exp"] = json!(now - 600);
        }
        Scenario::IdTokenMissingClaim => {
            if let Some(map) = claims.as_object_mut() {
                map.remove("nonce");
            }
        }
        _ => {}
    }
    let alg = id_token_alg(sp, token.grant.request.api_version);
    sign(platform, alg, &sp.client_secret, &claims, Some(active))
}

/// The token answer as the scenario delivers it: late, or unreadable.
pub async fn deliver_token(active: Option<&Active>, mut answer: TokenAnswer) -> TokenAnswer {
    match active.map(|a| (a.scenario, a.delay)) {
        Some((Scenario::TokenSlow, delay)) => tokio::time::sleep(delay).await,
        Some((Scenario::TokenInvalidJson, _)) => answer.malformed = true,
        _ => {}
    }
    answer
}

/// What a malformed token answer looks like: the JSON cut in the middle, as by a broken proxy.
pub fn malformed_json(answer: &TokenAnswer) -> String {
    let json = serde_json::to_string(answer).unwrap_or_default();
    let cut = json.len() / 2;
    json.get(..cut).unwrap_or("{").to_owned()
}

/// `userinfo_500`.
pub fn refuse_userinfo(active: Option<&Active>) -> Result<()> {
    match active.map(|a| a.scenario) {
        Some(Scenario::Userinfo500) => Err(Error::oauth(
            OAuthError::ServerError,
            "the hub failed (scenario userinfo_500)",
        )),
        _ => Ok(()),
    }
}

/// `userinfo_other_sub`: the claims of the person, with somebody else's `sub`.
pub fn userinfo_claims(active: Option<&Active>, claims: &mut Map<String, Value>) {
    if active.is_some_and(|a| a.scenario == Scenario::UserinfoOtherSub) {
        use sha2::{Digest, Sha256};
        let real = claims.get("sub").and_then(Value::as_str).unwrap_or("");
        let other = hex::encode(Sha256::digest(format!("autre personne {real}")));
        claims.insert("sub".into(), json!(format!("{other}v1")));
    }
}

/// Signs `claims` as the SP registered, or as the scenario wants it signed.
pub fn sign(
    platform: &Platform,
    alg: Jwa,
    sp_secret: &Secret,
    claims: &Value,
    active: Option<&Active>,
) -> Result<String> {
    let internal = |e: jose::JoseError| Error::internal(e.to_string());
    match active.map(|a| (a.scenario, a.keys.as_deref())) {
        Some((Scenario::IdTokenAlgNone, _)) => Ok(unsigned(claims)),
        Some((Scenario::IdTokenBadSignature | Scenario::UserinfoBadSignature, _)) => {
            claims::sign(platform, alg, sp_secret.expose(), claims).map(|jwt| corrupt(&jwt))
        }
        Some((_, Some(keys))) => match keys.signer(alg) {
            Some(signer) => jose::sign_jwt(&signer, claims).map_err(internal),
            None => claims::sign(platform, alg, sp_secret.expose(), claims),
        },
        _ => claims::sign(platform, alg, sp_secret.expose(), claims),
    }
}

/// An unsecured JWT (RFC 7519 §6): `alg` `none`, empty signature.
fn unsigned(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.")
}

/// The same JWT with one bit of its signature flipped.
fn corrupt(jwt: &str) -> String {
    let Some((input, signature)) = jwt.rsplit_once('.') else {
        return jwt.to_owned();
    };
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap_or_default();
    if let Some(first) = bytes.first_mut() {
        *first ^= 0x01;
    }
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_has_its_documented_name_and_a_french_label() {
        for scenario in Scenario::ALL {
            let json = serde_json::to_value(scenario).unwrap();
            assert_eq!(json, scenario.name());
            let back: Scenario = serde_json::from_value(json).unwrap();
            assert_eq!(back, scenario);
            assert!(!scenario.label().is_empty());
        }
        assert_eq!(Scenario::Token500.name(), "token_500");
        assert_eq!(Scenario::Userinfo500.point(), Point::Userinfo);
        assert_eq!(Scenario::CallbackWrongState.point(), Point::Callback);
        assert_eq!(Scenario::JwksRotated.point(), Point::Token);
    }

    #[test]
    fn a_corrupted_jwt_keeps_its_header_and_payload_but_not_its_signature() {
        let key = EcKey::generate("k");
        let jwt = jose::sign_jwt(&Signer::Ec(&key), &json!({"sub": "x"})).unwrap();
        let bad = corrupt(&jwt);
        assert_ne!(bad, jwt);
        assert_eq!(
            bad.rsplit_once('.').unwrap().0,
            jwt.rsplit_once('.').unwrap().0
        );
        let jwks = fc_plumbing::jose::parse_jwks(&json!({"keys": [key.public_jwk()]})).unwrap();
        assert!(jose::verify_jwt(&jwt, Jwa::ES256, &jwks, None).is_ok());
        assert!(jose::verify_jwt(&bad, Jwa::ES256, &jwks, None).is_err());
        let none = unsigned(&json!({"sub": "x"}));
        assert!(none.ends_with('.'));
        assert_eq!(
            jose::decode_unverified(&none).unwrap().header["alg"],
            "none"
        );
    }

    #[tokio::test]
    async fn a_count_is_shared_by_parallel_logins_and_spent_exactly() {
        let (platform, _) = crate::platform::tests::platform();
        let platform = Arc::new(platform);
        let sp = platform.registry().service_providers[0].clone();
        let request = ScenarioRequest {
            scenario: Scenario::Token500,
            count: Some(5),
            delay_secs: None,
        };
        let setting = prepare(&platform, &sp, request).await.unwrap();
        let client_id = sp.client_id.clone();
        crate::admin::update(&platform, |doc, _| {
            doc.scenarios.insert(client_id.clone(), setting.clone());
            Ok(())
        })
        .await
        .unwrap();
        let logins: Vec<_> = (0..20)
            .map(|_| {
                let (platform, sp) = (platform.clone(), sp.clone());
                tokio::spawn(async move {
                    consult(&platform, &sp, Point::Token, ApiVersion::V2)
                        .await
                        .unwrap()
                        .is_some()
                })
            })
            .collect();
        let mut changed = 0;
        for login in logins {
            changed += usize::from(login.await.unwrap());
        }
        assert_eq!(changed, 5);
        // Elsewhere than where it acts, a scenario changes nothing and counts nothing.
        let other = consult(&platform, &sp, Point::Userinfo, ApiVersion::V2).await;
        assert!(other.unwrap().is_none());
    }

    #[test]
    fn a_truncated_token_answer_is_not_json() {
        let answer = TokenAnswer {
            access_token: "a".repeat(43),
            token_type: "Bearer",
            expires_in: 60,
            id_token: "x.y.z".into(),
            scope: Some("openid".into()),
            malformed: false,
        };
        assert!(serde_json::from_str::<Value>(&malformed_json(&answer)).is_err());
    }
}
