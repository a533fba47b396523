//! The FranceConnect hub of the demo (SPEC §4): an OpenID Connect provider to service providers
//! (`provider`), an OpenID Connect client of identity providers (`federation`) and a token
//! checker for data providers. `routes` only parses, calls and renders.

pub mod config;
mod error;
mod federation;
mod journey;
pub mod provider;
pub mod registry;
mod routes;
pub mod startup;

pub use config::{Cli, Config};
pub use startup::{Application, StartupError};
