//! `GET /journal` and `GET /journal.json`: the exchanges of this browser's journey.

use actix_session::Session;
use actix_web::{HttpResponse, web};

use super::exchange::Shown;
use super::feed::journal_id;
use super::store::MAX_ENTRIES;
use crate::error::SpError;
use crate::startup::AppState;

/// The entries of this session's journal as shown, without creating one.
fn entries(app: &AppState, session: &Session) -> Vec<Shown> {
    journal_id(session)
        .map(|id| app.journals.entries(&id))
        .unwrap_or_default()
        .into_iter()
        .map(Shown::from)
        .collect()
}

/// `GET /journal`: the timeline of this session.
pub async fn journal_get(
    app: web::Data<AppState>,
    session: Session,
) -> Result<HttpResponse, SpError> {
    let mut context = app.pages.context(&session)?;
    context.insert("entries", &entries(&app, &session));
    context.insert("max_entries", &MAX_ENTRIES);
    app.pages.render("journal.html", &context)
}

/// `GET /journal.json`: the same timeline, to download.
pub async fn journal_json_get(app: web::Data<AppState>, session: Session) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"journal-franceconnect.json\"",
        ))
        .json(entries(&app, &session))
}
