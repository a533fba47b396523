//! Integration tests: the real server on 127.0.0.1:0, driven like the hub and a browser would.

// `allow-unwrap-in-tests` only covers `#[test]` functions, not the helpers of a test binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
mod authorize;
mod code_flow;
mod custom_identity;
mod discovery;
mod flood;
mod helpers;
mod login;
mod logout;
mod pages;
mod reload;
mod scenarios;
mod token;
