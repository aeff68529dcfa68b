//! Who may see and do what in gridgov.
//!
//! * [`area`]: area codes and how they nest, on level boundaries only.
//! * [`catalogue`]: the objects, actions and effects a policy may name.
//! * [`rule`]: policies, role assignments and delegable roles, parsed
//!   strictly from rows.
//! * [`principal`]: the caller, and a scoped token's limits.
//! * [`scope`]: the rows a caller may see, as areas.
//! * [`authorizer`]: Casbin over the rules, with its two faces `check` and `scope`.
//! * [`delegation`]: whether a manager may hand out a role at a place.
//!
//! The Casbin model is `model.conf` and the default policies are
//! `default-policy.csv`, both beside this crate's sources.

pub mod area;
pub mod authorizer;
pub mod catalogue;
pub mod delegation;
pub mod principal;
pub mod rule;
pub mod scope;

pub use area::{AreaCode, AreaCodeError, AreaLevel, CodeRange};
pub use authorizer::{Authorizer, AuthorizerError};
pub use catalogue::{Action, Effect, Object};
pub use delegation::Refusal;
pub use principal::{Principal, TokenLimits, TokenScope};
pub use rule::{
    DEFAULT_POLICY, Delegation, Domain, PolicyRule, RoleAssignment, Rule, RuleError, Subject,
};
pub use scope::{Allow, Scope};
