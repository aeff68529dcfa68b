//! A record's verification timeline: the steps of its comparison with the
//! household registry, shown to those who take part in it.

use async_graphql::{Enum, Object};
use entities::resident_review;

use super::people::Verification;
use crate::graphql::scalars::DateTime;

/// What a step of a record's verification did.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::resident_review::ReviewAction")]
pub enum VerificationAction {
    /// 签收: the police found the record agrees with the household registry.
    SignOff,
    /// 退回: the police sent it back to the grid for re-checking, saying why.
    Return,
    /// The grid re-checked it and sent it to the police again.
    Resubmit,
    /// A correction of what the registry compares (the name or the
    /// document) sent a compared record back to the police's queue.
    Corrected,
    /// Taken in by a new grid after a move, for the police there to compare.
    MovedIn,
}

/// One step of a record's comparison with the household registry.
pub struct VerificationStep(pub resident_review::Model);

/// One step of a record's comparison with the household registry.
#[Object]
impl VerificationStep {
    /// What the step did.
    async fn action(&self) -> VerificationAction {
        self.0.action.into()
    }

    /// Where the record stood after it.
    async fn to_state(&self) -> Verification {
        self.0.to_state.into()
    }

    /// Why it was returned; the note sent with a resubmission.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }

    /// Who took it, as the audit log names them.
    async fn actor_name(&self) -> &str {
        &self.0.actor_name
    }

    /// When.
    async fn at(&self) -> DateTime {
        self.0.at.into()
    }
}
