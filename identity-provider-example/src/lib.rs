//! The example identity provider of the FranceConnect demo (SPEC §5): an OpenID Connect
//! provider whose users come from CSV files (SPEC §3) and whose only client is the hub.
//!
//! Layout: [`config`] (flags and `FC_IDP_*` variables), [`users`] (the CSV people and their
//! claims), [`reload`] (reading the users folders again when they change), [`scenario`] (failures
//! on demand, chosen by the login), [`store`] (pending authorizations, codes, access tokens),
//! `routes` (one module per endpoint), [`error`] (errors to pages or OAuth JSON) and [`startup`]
//! ([`Application`]).

pub mod config;
pub mod error;
pub mod reload;
mod routes;
pub mod scenario;
pub mod startup;
pub mod state;
pub mod store;
pub mod users;

pub use config::Config;
pub use error::AppError;
pub use startup::{Application, SESSION_COOKIE, StartupError};
