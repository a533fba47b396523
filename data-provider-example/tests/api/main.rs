//! Integration tests of the example data provider: the real server on 127.0.0.1:0, driven with
//! reqwest, in front of a stub hub whose checktoken answers each test controls.

// Test helpers are not `#[test]` functions, so `allow-unwrap-in-tests` does not cover them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
mod data;
mod encryption;
mod exchanges;
mod flood;
mod franceconnect;
mod health;
mod helpers;
mod pages;
mod token_checks;
