//! One entry of the journal: an exchange (a browser redirect or a server-to-server call), masked
//! and cut before it is stored.
//!
//! What can be derived from the exchange is derived when the journal is shown, not when it is
//! recorded: the JWTs are kept as received and decoded for display ([`JwtView`]), the parameters
//! are read from the masked URL or body and the `curl` command is written from the masked request
//! ([`Shown`]). Every journey is recorded, few journals are read.

use fc_plumbing::jose::{self, Jwa, JwkSet};
use serde::{Serialize, Serializer};
use serde_json::Value;

/// Bodies longer than this are cut (a journal is for reading, not for archiving).
pub const MAX_BODY_CHARS: usize = 16 * 1024;
/// URLs longer than this are cut: a callback URL is written by whoever sends the browser.
pub const MAX_URL_CHARS: usize = 4 * 1024;
/// Parameters and headers kept per exchange, and the length of each value.
pub const MAX_PAIRS: usize = 40;
pub const MAX_VALUE_CHARS: usize = 2 * 1024;
const MASK: &str = "********";

/// One exchange, as stored in a journal.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Exchange {
    /// What this step is, in French ("Échange du code contre les jetons (token)").
    pub step: String,
    /// Who talks to whom ("SP → FranceConnect").
    pub actors: String,
    /// When it happened (RFC 3339, UTC; the page writes it in Paris time).
    pub at: String,
    pub method: String,
    pub url: String,
    pub status: Option<u16>,
    pub duration_ms: Option<u64>,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<String>,
    pub response_headers: Vec<(String, String)>,
    pub response_body: Option<String>,
    pub jwts: Vec<JwtView>,
    pub notes: Vec<String>,
    /// A server-to-server call (as opposed to a browser redirect): it gets a `curl` command.
    pub back_channel: bool,
}

/// An exchange as the journal page and its JSON download show it: the stored exchange and what
/// is derived from it.
#[derive(Debug, Serialize)]
pub struct Shown {
    #[serde(flatten)]
    pub exchange: Exchange,
    /// Form parameters (a POST) or query parameters (otherwise), decoded.
    pub params: Vec<(String, String)>,
    /// The call as a `curl` command, for a server-to-server call.
    pub curl: Option<String>,
}

impl From<Exchange> for Shown {
    fn from(exchange: Exchange) -> Self {
        let mut params = match exchange.method.as_str() {
            "POST" => form_pairs(exchange.request_body.as_deref().unwrap_or("")),
            _ => query_pairs(&exchange.url),
        };
        for (name, value) in &mut params {
            // The URL and body are masked already; this catches a name written percent-encoded.
            if name == "client_secret" {
                *value = MASK.into();
            }
            cap_pair(name, value);
        }
        let curl = exchange.back_channel.then(|| curl_command(&exchange));
        Self {
            exchange,
            params,
            curl,
        }
    }
}

/// A JWT of an exchange — or the JWE layer around one (FranceConnect+) — with the verdict of the
/// check that decided. Serialised as shown: `label`, `header`, `payload` (both pretty-printed
/// JSON), `signature` (the verdict in words) and `encrypted`.
#[derive(Debug, Clone)]
pub struct JwtView {
    pub label: String,
    pub content: JwtContent,
    pub verdict: Verdict,
    /// A JWE: the header is its protected header, the verdict says which key opened it.
    pub encrypted: bool,
}

/// What a [`JwtView`] shows.
#[derive(Debug, Clone)]
pub enum JwtContent {
    /// A compact JWS as received, decoded when shown.
    Compact(String),
    /// Parts decoded by someone else (the JWE header, the data provider's decoding); `None`
    /// when unreadable.
    Decoded {
        header: Option<Value>,
        payload: Option<Value>,
    },
}

/// The verdict of a signature check (or of a decryption).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Verified and valid: the words name the algorithm and key of the token's header.
    Valid,
    /// Anything else, in words.
    Said(String),
}

impl From<String> for Verdict {
    fn from(words: String) -> Self {
        Self::Said(words)
    }
}

impl From<&str> for Verdict {
    fn from(words: &str) -> Self {
        Self::Said(words.to_owned())
    }
}

/// A [`JwtView`] as the page and the download show it.
#[derive(Serialize)]
struct JwtShown {
    label: String,
    header: String,
    payload: String,
    signature: String,
    encrypted: bool,
}

const ENCRYPTED_PAYLOAD: &str = "Contenu chiffré : le JWT signé ci-dessous, une fois déchiffré.";

impl JwtView {
    fn shown(&self) -> JwtShown {
        let (header, payload, signature) = match &self.content {
            JwtContent::Compact(jwt) => match jose::decode_unverified(jwt) {
                Ok(decoded) => (
                    pretty(&decoded.header),
                    pretty(&decoded.payload),
                    self.words(&decoded.header),
                ),
                Err(e) => (String::new(), String::new(), format!("JWT illisible : {e}")),
            },
            JwtContent::Decoded { header, payload } => {
                let header_text = match header {
                    Some(header) => pretty(header),
                    None if self.encrypted => "(illisible)".to_owned(),
                    None => String::new(),
                };
                let payload_text = match payload {
                    _ if self.encrypted => ENCRYPTED_PAYLOAD.to_owned(),
                    Some(payload) => pretty(payload),
                    None => String::new(),
                };
                let words = self.words(header.as_ref().unwrap_or(&Value::Null));
                (header_text, payload_text, words)
            }
        };
        JwtShown {
            label: self.label.clone(),
            header,
            payload,
            signature,
            encrypted: self.encrypted,
        }
    }

    fn words(&self, header: &Value) -> String {
        match &self.verdict {
            Verdict::Valid => valid_signature(header),
            Verdict::Said(words) => words.clone(),
        }
    }

    /// Bytes this view holds, for the journal store's budget.
    fn weight(&self) -> usize {
        let content = match &self.content {
            JwtContent::Compact(jwt) => jwt.len(),
            JwtContent::Decoded { header, payload } => [header, payload]
                .iter()
                .filter_map(|v| v.as_ref())
                .map(json_weight)
                .sum(),
        };
        let verdict = match &self.verdict {
            Verdict::Valid => 0,
            Verdict::Said(words) => words.len(),
        };
        self.label.len() + content + verdict + 64
    }
}

impl Serialize for JwtView {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.shown().serialize(serializer)
    }
}

/// Roughly the bytes a JSON value holds in memory.
fn json_weight(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len() + 32,
        Value::Array(list) => list.iter().map(json_weight).sum::<usize>() + 32,
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| k.len() + 48 + json_weight(v))
            .sum::<usize>(),
        _ => 32,
    }
}

impl Exchange {
    /// A browser redirect to `url`.
    pub fn browser(step: &str, actors: &str, url: &str, at: String) -> Self {
        Self {
            step: step.into(),
            actors: actors.into(),
            at,
            method: "GET".into(),
            url: url.into(),
            ..Self::default()
        }
    }

    /// Hides the client secret wherever it may appear (form and query parameters, form bodies,
    /// HTTP Basic credentials) and cuts whatever may be long. Called before anything is stored.
    pub fn masked(mut self) -> Self {
        for headers in [&mut self.request_headers, &mut self.response_headers] {
            headers.truncate(MAX_PAIRS);
            for (name, value) in headers.iter_mut() {
                if name.eq_ignore_ascii_case("authorization")
                    && value.to_ascii_lowercase().starts_with("basic ")
                {
                    *value = format!("Basic {MASK}");
                }
                cap_pair(name, value);
            }
        }
        self.url = cut(&mask_form(&self.url), MAX_URL_CHARS);
        self.request_body = self
            .request_body
            .map(|b| cut(&mask_form(&b), MAX_BODY_CHARS));
        self.response_body = self.response_body.map(|b| cut(&b, MAX_BODY_CHARS));
        self
    }

    /// Bytes this exchange holds, for the journal store's budget.
    pub fn weight(&self) -> usize {
        let pairs = |list: &[(String, String)]| -> usize {
            list.iter().map(|(k, v)| k.len() + v.len() + 48).sum()
        };
        let texts = [&self.step, &self.actors, &self.at, &self.method, &self.url];
        texts.iter().map(|t| t.len()).sum::<usize>()
            + pairs(&self.request_headers)
            + pairs(&self.response_headers)
            + [&self.request_body, &self.response_body]
                .iter()
                .map(|b| b.as_ref().map_or(0, String::len))
                .sum::<usize>()
            + self.notes.iter().map(String::len).sum::<usize>()
            + self.jwts.iter().map(JwtView::weight).sum::<usize>()
            + 256
    }
}

fn cap_pair(name: &mut String, value: &mut String) {
    *name = cut(name, 256);
    *value = cut(value, MAX_VALUE_CHARS);
}

/// The request as a `curl` command line: method, URL, headers and body, each quoted for a POSIX
/// shell so that no value can break out of its argument.
pub fn curl_command(exchange: &Exchange) -> String {
    let mut command = String::from("curl");
    if exchange.method != "GET" {
        command.push_str(" -X ");
        command.push_str(&shell_quote(&exchange.method));
    }
    command.push(' ');
    command.push_str(&shell_quote(&exchange.url));
    for (name, value) in &exchange.request_headers {
        command.push_str(" \\\n  -H ");
        command.push_str(&shell_quote(&format!("{name}: {value}")));
    }
    if let Some(body) = &exchange.request_body {
        command.push_str(" \\\n  --data-raw ");
        command.push_str(&shell_quote(body));
    }
    command
}

/// `'…'` with every `'` written `'\''`: nothing inside single quotes is special to the shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// `jwt` as received, decoded when shown, with the verdict of the check that decided.
pub fn jwt_view(label: &str, jwt: &str, verdict: impl Into<Verdict>) -> JwtView {
    JwtView {
        label: label.into(),
        content: JwtContent::Compact(jwt.to_owned()),
        verdict: verdict.into(),
        encrypted: false,
    }
}

/// The JWE layer of a token FranceConnect+ encrypted: its protected header (`alg`, `enc`, `cty`,
/// `kid`, `epk`, `iss`, `aud`) and who opened it with which key, or why it did not open.
pub fn jwe_view(label: &str, header: Option<&Value>, verdict: impl Into<Verdict>) -> JwtView {
    JwtView {
        label: format!("{label} chiffré (JWE)"),
        content: JwtContent::Decoded {
            header: header.cloned(),
            payload: None,
        },
        verdict: verdict.into(),
        encrypted: true,
    }
}

/// The words for our own decryption of a JWE: which of our keys opened it, or why none did.
pub fn opened_by_us(outcome: &Result<String, String>) -> String {
    match outcome {
        Ok(kid) => {
            format!(
                "Déchiffré avec la clé « {kid} » de ce service (publiée à /.well-known/jwks.json)"
            )
        }
        Err(why) => format!("REFUSÉ : {why}"),
    }
}

/// The words for a signature that was verified and found valid, naming the key from `header`.
fn valid_signature(header: &Value) -> String {
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("?");
    if alg == Jwa::HS256.as_str() {
        return "Signature HS256 valide (clé : client_secret)".to_owned();
    }
    let kid = header.get("kid").and_then(Value::as_str).unwrap_or("?");
    format!("Signature {alg} valide (clé « {kid} » du JWKS de FranceConnect)")
}

/// `jwt`, with its signature checked against the hub's keys: only for a JWT nobody verified (a
/// checktoken answer without the data provider's verdict). The algorithm must be an asymmetric
/// one the hub uses, never `none`.
pub fn jwt_view_checked(label: &str, jwt: &str, hub_jwks: &JwkSet) -> JwtView {
    let alg = jose::decode_unverified(jwt)
        .ok()
        .and_then(|d| {
            d.header
                .get("alg")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_default();
    let verdict = match alg.parse::<Jwa>() {
        Ok(alg) if alg != Jwa::HS256 => match hub_jwks.verify(jwt, alg, None) {
            Ok(_) => Verdict::Valid,
            Err(e) => Verdict::Said(format!("Signature INVALIDE : {e}")),
        },
        _ => Verdict::Said(format!("Algorithme {alg:?} refusé : non vérifiée")),
    };
    jwt_view(label, jwt, verdict)
}

pub fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

pub fn query_pairs(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .map(|u| u.query_pairs().into_owned().take(MAX_PAIRS).collect())
        .unwrap_or_default()
}

pub fn form_pairs(body: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .take(MAX_PAIRS)
        .collect()
}

/// Replaces the value of every `client_secret=` pair of a form body or URL query.
fn mask_form(text: &str) -> String {
    const NAME: &str = "client_secret=";
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search_from = 0;
    while let Some(found) = text[search_from..].find(NAME) {
        let at = search_from + found;
        let value_start = at + NAME.len();
        search_from = value_start;
        if at == 0 || text[..at].ends_with(['&', '?']) {
            let value_end = text[value_start..]
                .find(['&', '#'])
                .map_or(text.len(), |end| value_start + end);
            out.push_str(&text[copied..value_start]);
            out.push_str(MASK);
            copied = value_end;
            search_from = value_end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// `text` cut to `max` characters, marked when cut.
pub fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}\n… (tronqué)", &text[..end]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_secret_is_masked_everywhere() {
        let exchange = Exchange {
            method: "POST".into(),
            back_channel: true,
            url: "http://hub/token?client_secret=s3cr3t&x=1".into(),
            request_headers: vec![("Authorization".into(), "Basic czNjcjN0".into())],
            request_body: Some(
                "grant_type=authorization_code&code=abc&client_secret=s3cr3t&client_id=id".into(),
            ),
            ..Exchange::default()
        }
        .masked();
        assert_eq!(
            exchange.request_body.as_deref(),
            Some("grant_type=authorization_code&code=abc&client_secret=********&client_id=id")
        );
        assert_eq!(exchange.url, "http://hub/token?client_secret=********&x=1");
        let shown = Shown::from(exchange);
        let all = serde_json::to_string(&shown).unwrap();
        assert!(!all.contains("s3cr3t"), "{all}");
        assert!(!all.contains("czNjcjN0"), "{all}");
        assert_eq!(shown.params[1], ("code".into(), "abc".into()));
        assert_eq!(shown.params[2], ("client_secret".into(), MASK.into()));
    }

    #[test]
    fn masking_leaves_other_parameters_and_bearer_tokens_alone() {
        let body = "client_secret=a&not_client_secret=b";
        assert_eq!(
            mask_form(body),
            "client_secret=********&not_client_secret=b"
        );
        let exchange = Exchange {
            request_headers: vec![("authorization".into(), "Bearer tok".into())],
            ..Exchange::default()
        }
        .masked();
        assert_eq!(exchange.request_headers[0].1, "Bearer tok");
    }

    #[test]
    fn back_channel_calls_get_a_quoted_curl_command_with_the_secret_masked() {
        let exchange = Exchange {
            back_channel: true,
            method: "POST".into(),
            url: "http://hub/api/v2/token".into(),
            request_headers: vec![(
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            )],
            request_body: Some("code=it's&client_secret=s3cr3t".into()),
            ..Exchange::default()
        }
        .masked();
        let curl = Shown::from(exchange).curl.unwrap();
        assert!(
            curl.starts_with("curl -X 'POST' 'http://hub/api/v2/token'"),
            "{curl}"
        );
        assert!(curl.contains("-H 'content-type: application/x-www-form-urlencoded'"));
        assert!(
            curl.ends_with(r"--data-raw 'code=it'\''s&client_secret=********'"),
            "{curl}"
        );
        assert!(!curl.contains("s3cr3t"));
        let redirect = Exchange::browser("x", "y", "http://hub/authorize?a=b", String::new());
        assert!(Shown::from(redirect.masked()).curl.is_none());
    }

    #[test]
    fn what_a_client_writes_is_cut() {
        let long = "é".repeat(MAX_VALUE_CHARS * 3);
        let pairs: Vec<String> = (0..100)
            .map(|i| format!("{i}={}", "é".repeat(30)))
            .collect();
        let exchange = Exchange {
            url: format!("http://sp/cb?state={long}"),
            request_body: Some(pairs.join("&")),
            response_body: Some("x".repeat(MAX_BODY_CHARS + 10)),
            ..Exchange::default()
        }
        .masked();
        assert!(exchange.url.chars().count() < MAX_URL_CHARS + 20);
        assert!(
            exchange
                .response_body
                .as_deref()
                .unwrap()
                .ends_with("(tronqué)")
        );
        let query = Shown::from(exchange.clone());
        assert_eq!(query.params.len(), 1);
        assert!(query.params[0].1.chars().count() < MAX_VALUE_CHARS + 20);
        let form = Shown::from(Exchange {
            method: "POST".into(),
            ..exchange
        });
        assert_eq!(form.params.len(), MAX_PAIRS);
    }

    #[test]
    fn jwts_are_decoded_for_display_with_the_given_verdict() {
        let keys = fc_plumbing::KeySet::generate("t").unwrap();
        let jwt = jose::sign_jwt(
            &keys.signer(Jwa::ES256, ""),
            &serde_json::json!({"sub": "s"}),
        )
        .unwrap();
        let view = jwt_view("ID token", &jwt, Verdict::Valid).shown();
        assert!(
            view.signature.starts_with("Signature ES256 valide (clé « "),
            "{}",
            view.signature
        );
        assert!(view.payload.contains("\"sub\""));
        assert!(view.header.contains("ES256"));
        let refused = jwt_view("ID token", &jwt, "REFUSÉ : expiré").shown();
        assert_eq!(refused.signature, "REFUSÉ : expiré");
        let unreadable = jwt_view("x", "not-a-jwt", "ignored").shown();
        assert!(unreadable.signature.starts_with("JWT illisible"));
    }

    #[test]
    fn unverified_jwts_are_checked_against_the_hub_keys() {
        let keys = fc_plumbing::KeySet::generate("t").unwrap();
        let jwks = keys.jwk_set();
        let claims = serde_json::json!({"sub": "s"});
        let jwt = jose::sign_jwt(&keys.signer(Jwa::ES256, ""), &claims).unwrap();
        let view = jwt_view_checked("ID token", &jwt, &jwks).shown();
        assert!(
            view.signature.starts_with("Signature ES256 valide"),
            "{}",
            view.signature
        );

        let other = fc_plumbing::KeySet::generate("t").unwrap();
        let forged = jose::sign_jwt(&other.signer(Jwa::ES256, ""), &claims).unwrap();
        assert!(
            jwt_view_checked("x", &forged, &jwks)
                .shown()
                .signature
                .contains("INVALIDE")
        );
        let hmac = jose::sign_jwt(&keys.signer(Jwa::HS256, "secret"), &claims).unwrap();
        assert!(
            jwt_view_checked("x", &hmac, &jwks)
                .shown()
                .signature
                .contains("refusé")
        );
    }
}
