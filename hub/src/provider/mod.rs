//! The provider side of the hub: what it promises to service providers and data providers —
//! authorize rules, codes, tokens, ID tokens, pairwise subs, scopes. Free of actix types.

pub mod authorize;
pub mod identity;
pub mod scopes;
pub mod sub;
pub mod tokens;
