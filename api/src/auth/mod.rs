//! Who is calling: passwords, access and refresh tokens, scoped API tokens,
//! and the principal a request carries to the authorizer.

pub mod api_tokens;
pub mod jwt;
pub mod passwords;
pub mod policy_history;
pub mod policy_store;
pub mod secret;
pub mod sessions;
pub mod throttle;

pub use crate::caller::Caller;
