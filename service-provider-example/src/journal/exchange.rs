//! One entry of the journal: an exchange (a browser redirect or a server-to-server call), masked
//! and cut before it is stored, with its JWTs decoded for display.

use fc_plumbing::jose::{self, Jwa, JwkSet};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Bodies longer than this are cut (a journal is for reading, not for archiving).
pub const MAX_BODY_CHARS: usize = 16 * 1024;
/// URLs longer than this are cut: a callback URL is written by whoever sends the browser.
pub const MAX_URL_CHARS: usize = 4 * 1024;
/// Parameters and headers kept per exchange, and the length of each value.
pub const MAX_PAIRS: usize = 40;
pub const MAX_VALUE_CHARS: usize = 2 * 1024;
const MASK: &str = "********";

/// One exchange, as shown on the journal page.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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
    /// Query or form parameters, decoded.
    pub params: Vec<(String, String)>,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<String>,
    pub response_headers: Vec<(String, String)>,
    pub response_body: Option<String>,
    pub jwts: Vec<JwtView>,
    pub notes: Vec<String>,
    /// A server-to-server call (as opposed to a browser redirect): it gets a `curl` command.
    #[serde(default)]
    pub back_channel: bool,
    /// The call as a `curl` command, built from the masked request.
    #[serde(default)]
    pub curl: Option<String>,
}

/// A JWT taken apart for display — or the JWE layer around it (FranceConnect+).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct JwtView {
    pub label: String,
    pub header: String,
    pub payload: String,
    /// The signature check result, in words (for a JWE: the decryption's).
    pub signature: String,
    /// A JWE: `header` is its protected header, `signature` says which key opened it.
    #[serde(default)]
    pub encrypted: bool,
}

impl Exchange {
    /// A browser redirect, with the query of `url` as its parameters.
    pub fn browser(step: &str, actors: &str, url: &str, at: String) -> Self {
        Self {
            step: step.into(),
            actors: actors.into(),
            at,
            method: "GET".into(),
            url: url.into(),
            params: query_pairs(url),
            ..Self::default()
        }
    }

    /// Hides the client secret wherever it may appear (form and query parameters, form bodies,
    /// HTTP Basic credentials) and cuts whatever may be long. Called before anything is stored.
    pub fn masked(mut self) -> Self {
        self.params.truncate(MAX_PAIRS);
        for (name, value) in &mut self.params {
            if name == "client_secret" {
                *value = MASK.into();
            }
            cap_pair(name, value);
        }
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
        // Built last, from the masked request only.
        self.curl = self.back_channel.then(|| curl_command(&self));
        self
    }

    /// Bytes this exchange holds, for the journal store's budget.
    pub fn weight(&self) -> usize {
        let pairs = |list: &[(String, String)]| -> usize {
            list.iter().map(|(k, v)| k.len() + v.len() + 48).sum()
        };
        let texts = [&self.step, &self.actors, &self.at, &self.method, &self.url];
        let jwts: usize = self
            .jwts
            .iter()
            .map(|j| j.label.len() + j.header.len() + j.payload.len() + j.signature.len())
            .sum();
        texts.iter().map(|t| t.len()).sum::<usize>()
            + pairs(&self.params)
            + pairs(&self.request_headers)
            + pairs(&self.response_headers)
            + [&self.request_body, &self.response_body, &self.curl]
                .iter()
                .map(|b| b.as_ref().map_or(0, String::len))
                .sum::<usize>()
            + self.notes.iter().map(String::len).sum::<usize>()
            + jwts
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

/// Decodes `jwt` for display, with `signature`: the verdict of the check that decided.
pub fn jwt_view(label: &str, jwt: &str, signature: impl Into<String>) -> JwtView {
    match jose::decode_unverified(jwt) {
        Ok(decoded) => JwtView {
            label: label.into(),
            header: pretty(&decoded.header),
            payload: pretty(&decoded.payload),
            signature: signature.into(),
            encrypted: false,
        },
        Err(e) => JwtView {
            label: label.into(),
            signature: format!("JWT illisible : {e}"),
            ..JwtView::default()
        },
    }
}

/// The JWE layer of a token FranceConnect+ encrypted to us: its protected header (`alg`, `enc`,
/// `cty`, `kid`, `epk`, `iss`, `aud`) and which of our keys opened it, or why none did.
pub fn jwe_view(label: &str, header: Option<&Value>, outcome: &Result<String, String>) -> JwtView {
    JwtView {
        label: format!("{label} chiffré (JWE)"),
        header: header.map(pretty).unwrap_or_else(|| "(illisible)".into()),
        payload: "Contenu chiffré : le JWT signé ci-dessous, une fois déchiffré.".into(),
        signature: match outcome {
            Ok(kid) => format!(
                "Déchiffré avec la clé « {kid} » de ce service (publiée à /.well-known/jwks.json)"
            ),
            Err(why) => format!("REFUSÉ : {why}"),
        },
        encrypted: true,
    }
}

/// The words for a signature that was verified and found valid, naming the key from the header.
pub fn valid_signature(jwt: &str) -> String {
    let header = jose::decode_unverified(jwt)
        .map(|d| d.header)
        .unwrap_or_default();
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("?");
    if alg == Jwa::HS256.as_str() {
        return "Signature HS256 valide (clé : client_secret)".to_owned();
    }
    let kid = header.get("kid").and_then(Value::as_str).unwrap_or("?");
    format!("Signature {alg} valide (clé « {kid} » du JWKS de FranceConnect)")
}

/// Decodes `jwt` for display and checks its signature against the hub's keys: only for a JWT
/// nobody verified (a checktoken answer without the data provider's verdict). The algorithm
/// must be an asymmetric one the hub uses, never `none`.
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
    let signature = match alg.parse::<Jwa>() {
        Ok(alg) if alg != Jwa::HS256 => match hub_jwks.verify(jwt, alg, None) {
            Ok(_) => valid_signature(jwt),
            Err(e) => format!("Signature INVALIDE : {e}"),
        },
        _ => format!("Algorithme {alg:?} refusé : non vérifiée"),
    };
    jwt_view(label, jwt, signature)
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
            url: "http://hub/token?client_secret=s3cr3t&x=1".into(),
            params: vec![
                ("client_secret".into(), "s3cr3t".into()),
                ("code".into(), "abc".into()),
            ],
            request_headers: vec![("Authorization".into(), "Basic czNjcjN0".into())],
            request_body: Some(
                "grant_type=authorization_code&code=abc&client_secret=s3cr3t&client_id=id".into(),
            ),
            ..Exchange::default()
        }
        .masked();
        let all = serde_json::to_string(&exchange).unwrap();
        assert!(!all.contains("s3cr3t"), "{all}");
        assert!(!all.contains("czNjcjN0"), "{all}");
        assert_eq!(
            exchange.request_body.as_deref(),
            Some("grant_type=authorization_code&code=abc&client_secret=********&client_id=id")
        );
        assert_eq!(exchange.url, "http://hub/token?client_secret=********&x=1");
        assert_eq!(exchange.params[1], ("code".into(), "abc".into()));
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
        let curl = exchange.curl.unwrap();
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
        assert!(redirect.masked().curl.is_none());
    }

    #[test]
    fn what_a_client_writes_is_cut() {
        let long = "é".repeat(MAX_VALUE_CHARS * 3);
        let exchange = Exchange {
            url: format!("http://sp/cb?state={long}"),
            params: (0..100).map(|i| (i.to_string(), long.clone())).collect(),
            response_body: Some("x".repeat(MAX_BODY_CHARS + 10)),
            ..Exchange::default()
        }
        .masked();
        assert!(exchange.response_body.unwrap().ends_with("(tronqué)"));
        assert_eq!(exchange.params.len(), MAX_PAIRS);
        assert!(exchange.params[0].1.chars().count() < MAX_VALUE_CHARS + 20);
        assert!(exchange.url.chars().count() < MAX_URL_CHARS + 20);
    }

    #[test]
    fn jwts_are_decoded_for_display_with_the_given_verdict() {
        let keys = fc_plumbing::KeySet::generate("t").unwrap();
        let jwt = jose::sign_jwt(
            &keys.signer(Jwa::ES256, ""),
            &serde_json::json!({"sub": "s"}),
        )
        .unwrap();
        let view = jwt_view("ID token", &jwt, valid_signature(&jwt));
        assert!(
            view.signature.starts_with("Signature ES256 valide (clé « "),
            "{}",
            view.signature
        );
        assert!(view.payload.contains("\"sub\""));
        assert!(view.header.contains("ES256"));
        let unreadable = jwt_view("x", "not-a-jwt", "ignored");
        assert!(unreadable.signature.starts_with("JWT illisible"));
    }

    #[test]
    fn unverified_jwts_are_checked_against_the_hub_keys() {
        let keys = fc_plumbing::KeySet::generate("t").unwrap();
        let jwks = keys.jwk_set();
        let claims = serde_json::json!({"sub": "s"});
        let jwt = jose::sign_jwt(&keys.signer(Jwa::ES256, ""), &claims).unwrap();
        let view = jwt_view_checked("ID token", &jwt, &jwks);
        assert!(
            view.signature.starts_with("Signature ES256 valide"),
            "{}",
            view.signature
        );

        let other = fc_plumbing::KeySet::generate("t").unwrap();
        let forged = jose::sign_jwt(&other.signer(Jwa::ES256, ""), &claims).unwrap();
        assert!(
            jwt_view_checked("x", &forged, &jwks)
                .signature
                .contains("INVALIDE")
        );
        let hmac = jose::sign_jwt(&keys.signer(Jwa::HS256, "secret"), &claims).unwrap();
        assert!(
            jwt_view_checked("x", &hmac, &jwks)
                .signature
                .contains("refusé")
        );
    }
}
