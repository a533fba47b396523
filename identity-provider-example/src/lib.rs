//! The example identity provider of the FranceConnect demo: an OpenID Connect provider whose
//! users come from CSV files (or the admin API) and whose only client is the hub. Its contract
//! (endpoints, formats, admin API, limits) is in `docs/identity-provider.md`.
//!
//! Layout: [`config`] (flags and `FC_IDP_*` variables), [`users`] (the people, their claims and
//! the one validation of a person), [`reload`] (reading the users folders again when they change,
//! people added through the admin API), [`scenario`] (failures on demand, chosen by the login),
//! [`login_form`] (the pending authorization carried by the login form), [`idp_session`] (what a
//! browser's session holds), [`store`] (codes, access tokens, used forms), `routes` (one module per
//! endpoint), [`error`] (errors to pages or JSON) and [`startup`] ([`Application`]).

pub mod config;
pub mod error;
pub mod idp_session;
pub mod login_form;
pub mod reload;
mod routes;
pub mod scenario;
pub mod startup;
pub mod state;
pub mod store;
pub mod users;

pub use config::Config;
pub use error::AppError;
pub use startup::{Application, Memory, MemoryReport, SESSION_COOKIE, StartupError};
