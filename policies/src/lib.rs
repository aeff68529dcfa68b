//! Who may see and do what in gridgov.
//!
//! This crate holds the rules about places that every authorization decision
//! rests on: how area codes nest ([`area`]). The Casbin model, the default
//! policies and the authorizer grow here too.

pub mod area;

pub use area::{AreaCode, AreaCodeError, AreaLevel, CodeRange};
