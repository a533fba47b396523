//! Example FranceConnect service provider (fournisseur de service), SPEC §7.
//!
//! Read the modules in the order of the journey, each one is a step of the flow:
//! [`login`] (send the user to FranceConnect; [`options`] lets a tester choose every parameter
//! and see the URL first), [`callback`] (come back, check, exchange the code,
//! verify the tokens), [`identity`] (show who logged in), [`data`] (call a data provider with the
//! access token), [`logout`] (log out at FranceConnect too) and [`journal`] (see every exchange).
//! [`hub`] holds the hub's discovery document and keys, [`session`] what the SP remembers between
//! two requests.
//!
//! FranceConnect's partner documentation, which each module links at its step:
//! <https://docs.partenaires.franceconnect.gouv.fr/>.

pub mod callback;
pub mod config;
pub mod data;
pub mod error;
pub mod home;
pub mod hub;
pub mod identity;
pub mod journal;
pub mod login;
pub mod logout;
pub mod options;
pub mod pages;
pub mod session;
pub mod startup;

pub use config::Config;
pub use error::SpError;
pub use startup::{Application, StartupError};
