//! The FranceConnect hub of the demo (`docs/hub.md`): an OpenID Connect provider to service
//! providers (`provider`), an OpenID Connect client of identity providers (`federation`) and a
//! token checker for data providers. The decisions live in those two, over the values of `domain`
//! and the state of `store`; `routes` only parses, calls and renders.

pub mod admin;
pub mod config;
pub mod domain;
pub mod error;
pub mod federation;
pub mod health;
pub mod instance;
pub mod jwks;
pub mod platform;
pub mod provider;
pub mod registry;
mod routes;
pub mod session;
pub mod startup;
pub mod store;

pub use config::{Cli, Config};
pub use instance::Instance;
pub use startup::{Application, StartupError};
