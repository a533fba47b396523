//! Integration tests: the real SP server on a free port, driven by a reqwest client, against a
//! stub FranceConnect hub started in the test.

// Test helpers are not `#[test]` functions, so clippy's test exemption does not reach them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod algorithms;
mod floods;
mod flow;
mod health;
mod helpers;
mod hostile;
mod options;
mod pages;
mod plus;
mod stub_hub;
