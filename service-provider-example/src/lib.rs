//! Example FranceConnect service provider (fournisseur de service).
//!
//! Read the modules in the order of the journey, each one is a step of the flow:
//! [`login`] (step 1: send the user to FranceConnect; [`options`] lets a tester choose every
//! parameter and see the URL first; [`pending`] carries the login in progress to the callback),
//! [`callback`] (step 2: come back, check, exchange the code, verify the tokens; [`userinfo`]),
//! [`identity`] (step 3: show who logged in), [`data`] (step 4: call a data provider with the
//! access token), [`logout`] (step 5: log out at FranceConnect too) and [`journal`] (step 6: see
//! every exchange). [`hub`] holds the hubs' discovery documents and keys — FranceConnect and
//! FranceConnect+ — and opens and checks their tokens ([`tokens`] the code exchange and the ID
//! token), [`keys`] this SP's own encryption keys (FranceConnect+ encrypts to them),
//! [`session`] what the SP remembers for a logged-in user, [`health`] the peers' state, and
//! [`bench`] the page "Tester mon service" for developers who point their own SP at the demo.
//!
//! FranceConnect's partner documentation, which each module links at its step:
//! <https://docs.partenaires.franceconnect.gouv.fr/>. The integrator's guide to this program:
//! `docs/service-provider.md`.

pub mod bench;
pub mod callback;
pub mod config;
pub mod data;
pub mod error;
pub mod formats;
pub mod health;
pub mod home;
pub mod hub;
pub mod identity;
pub mod journal;
pub mod keys;
pub mod login;
pub mod logout;
pub mod options;
pub mod pages;
pub mod pending;
pub mod session;
pub mod startup;
pub mod tax_data;
pub mod tokens;
pub mod userinfo;

pub use config::Config;
pub use error::SpError;
pub use startup::{Application, Memory, StartupError, Stores};
