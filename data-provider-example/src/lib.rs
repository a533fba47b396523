//! The example data provider of the FranceConnect demo (SPEC §6): an "API Impôt particulier"
//! look-alike. The SP calls it with the access token the hub gave it; the DP checks that token at
//! the hub (checktoken v2, or v1 by configuration), finds the taxpayer from the identité pivot the
//! hub returns, and answers only the fields the token's scopes allow. Its exchanges with the hub
//! are kept per SP call so the SP can display them.
//!
//! Modules: [`config`] (flags and env), [`records`] (the CSV and reconciliation), [`hub`] (token
//! check), [`dgfip`] (answer shape), [`exchanges`] (journal), [`routes`], [`error`], [`startup`].

pub mod config;
pub mod dgfip;
pub mod error;
pub mod exchanges;
pub mod hub;
pub mod records;
pub mod routes;
pub mod startup;

pub use config::{CheckTokenVersion, Config};
pub use error::AppError;
pub use startup::{Application, StartupError};
