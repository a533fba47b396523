//! One log line per request, the same in every program: method, path, status, duration.
//!
//! Never the query string (it carries authorization codes, states and, at logout, a whole ID
//! token), and the path is capped: an attacker's 60 KB path must not become a 60 KB log line.
//! Static assets and health probes are not logged (they would drown the journey).

use std::time::Instant;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

/// The longest piece of client-controlled text written into one log field.
pub const MAX_LOGGED_CHARS: usize = 200;

/// `text` cut to [`MAX_LOGGED_CHARS`] characters, marked when cut, for logging what a client sent.
pub fn capped(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(MAX_LOGGED_CHARS) {
        None => std::borrow::Cow::Borrowed(text),
        Some((end, _)) => {
            std::borrow::Cow::Owned(format!("{}… ({} bytes)", &text[..end], text.len()))
        }
    }
}

fn quiet(path: &str) -> bool {
    path == "/health" || path.starts_with("/static/") || path == "/favicon.ico"
}

/// The middleware: `App::new().wrap(actix_web::middleware::from_fn(fc_plumbing::request_log::log))`.
pub async fn log(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.path().to_owned();
    let response = next.call(request).await?;
    if !quiet(&path) {
        let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        tracing::info!(
            %method,
            path = %capped(&path),
            status = response.status().as_u16(),
            ms,
            "request"
        );
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_client_text_is_cut_on_a_character_boundary() {
        assert_eq!(capped("short"), "short");
        let long = "é".repeat(1000);
        let cut = capped(&long);
        assert!(cut.starts_with(&"é".repeat(MAX_LOGGED_CHARS)));
        assert!(cut.ends_with("(2000 bytes)"), "{cut}");
        assert!(cut.chars().count() < MAX_LOGGED_CHARS + 20);
    }
}
