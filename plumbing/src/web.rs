//! Response helpers shared by every program: the security headers every page carries and the `no-store`
//! policy, plus a little request-id for error pages.

use actix_web::middleware::DefaultHeaders;

/// Headers every response carries unless a handler set its own : no framing, no
/// referrer leaking codes or states, nothing cached. Discovery and JWKS override `Cache-Control`.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("X-Frame-Options", "DENY"))
        .add((
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'none'",
        ))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Cache-Control", "no-store"))
}

/// A fresh error id (uuid v4), shown on error pages and logged with the cause.
pub fn error_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `base?k=v&…` with proper encoding, keeping any query `base` already has.
pub fn url_with_query(base: &str, params: &[(&str, &str)]) -> String {
    let mut out = base.to_owned();
    let mut sep = if base.contains('?') { '&' } else { '?' };
    for (k, v) in params {
        out.push(sep);
        out.push_str(&url::form_urlencoded::byte_serialize(k.as_bytes()).collect::<String>());
        out.push('=');
        out.push_str(&url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>());
        sep = '&';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_is_encoded_and_appended() {
        assert_eq!(
            url_with_query("http://a/cb", &[("code", "x y"), ("state", "<&>")]),
            "http://a/cb?code=x+y&state=%3C%26%3E"
        );
        assert_eq!(
            url_with_query("http://a/cb?k=1", &[("a", "b")]),
            "http://a/cb?k=1&a=b"
        );
    }
}
