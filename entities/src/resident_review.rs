use sea_orm::entity::prelude::*;

use crate::resident::Verification;

/// One step of a record's comparison with the household registry, written
/// in the transaction that took it: the record's verification timeline.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "resident_reviews")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub resident_id: i64,
    /// The record's grid when the step was taken.
    pub grid_code: String,
    pub action: ReviewAction,
    /// Where the record stood after the step.
    pub to_state: Verification,
    /// The reason of a return, the note of a resubmission.
    pub reason: Option<String>,
    pub actor_user_id: Option<i64>,
    pub actor_token_id: Option<i64>,
    pub actor_name: String,
    pub at: DateTimeUtc,
}

/// What a step of the loop did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum ReviewAction {
    /// 签收: the police found the record agrees with the registry.
    #[sea_orm(string_value = "sign_off")]
    SignOff,
    /// 退回: sent back to the grid for re-checking, with a reason.
    #[sea_orm(string_value = "return")]
    Return,
    /// Re-checked in the grid and sent to the police again.
    #[sea_orm(string_value = "resubmit")]
    Resubmit,
    /// A correction of what the registry compares (name, document, sex,
    /// birth date) put a compared record back in the queue.
    #[sea_orm(string_value = "corrected")]
    Corrected,
    /// Taken in by a new grid after a move: compared again there.
    #[sea_orm(string_value = "moved_in")]
    MovedIn,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
