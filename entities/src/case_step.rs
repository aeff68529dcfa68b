use sea_orm::entity::prelude::*;

use crate::case::CaseState;

/// One entry of a case's timeline, written in the transaction that moved it.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "case_steps")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub case_id: i64,
    /// The transition's name, e.g. `dispatch`, `check_failed`.
    pub action: String,
    pub from_state: Option<CaseState>,
    pub to_state: CaseState,
    pub actor_user_id: Option<i64>,
    pub actor_token_id: Option<i64>,
    pub actor_name: String,
    pub department_id: Option<i64>,
    pub note: Option<String>,
    /// Evidence URLs, as a JSON array of strings.
    pub evidence: Json,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
