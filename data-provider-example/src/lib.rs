//! The example data provider of the FranceConnect demo: an "API Impôt particulier" look-alike.
//! The SP calls it with the access token the hub gave it; the DP checks that token at the hub
//! (checktoken v2, or v1 by configuration), finds the taxpayer from the identité pivot the hub
//! returns, and answers only the fields the token's scopes allow. Its exchanges with the hub are
//! kept per SP call so the SP can display them. Its contract (endpoints, formats, admin API,
//! limits) is in `docs/data-provider.md`.
//!
//! Modules: [`config`] (flags and env), [`records`] (the records, both CSV layouts, the admin
//! API's shape, reconciliation), [`store`] (the records in service), [`hub`] (token check),
//! [`jwks`] (the hub's keys, the pinned algorithm, the DP's own encryption keys), [`dgfip`]
//! (answer shape), [`exchanges`]
//! (journal), [`health`] (the hub's reachability), [`routes`], [`admin`], [`error`], [`startup`].

pub mod admin;
pub mod config;
pub mod dgfip;
pub mod error;
pub mod exchanges;
pub mod health;
pub mod hub;
pub mod jwks;
pub mod records;
pub mod routes;
pub mod startup;
pub mod store;

pub use config::{CheckTokenEncryption, CheckTokenVersion, Config};
pub use error::AppError;
pub use startup::{Application, StartupError};
