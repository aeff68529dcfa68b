use sea_orm::entity::prelude::*;

use crate::finding::FindingState;

/// One step on a finding's timeline: opened or cleared by a comparison,
/// or taken by a person.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "finding_steps")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub finding_id: i64,
    pub grid_code: String,
    pub action: FindingAction,
    pub from_state: Option<FindingState>,
    pub to_state: FindingState,
    pub note: Option<String>,
    /// The comparison that took it, for `opened` and `cleared`.
    pub job_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    pub actor_token_id: Option<i64>,
    pub actor_name: String,
    pub at: DateTimeUtc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum FindingAction {
    #[sea_orm(string_value = "opened")]
    Opened,
    #[sea_orm(string_value = "sign_off")]
    SignOff,
    #[sea_orm(string_value = "return")]
    Return,
    #[sea_orm(string_value = "resolve")]
    Resolve,
    #[sea_orm(string_value = "dismiss")]
    Dismiss,
    /// A later comparison no longer found it.
    #[sea_orm(string_value = "cleared")]
    Cleared,
    #[sea_orm(string_value = "case_opened")]
    CaseOpened,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::finding::Entity",
        from = "Column::FindingId",
        to = "super::finding::Column::Id"
    )]
    Finding,
}

impl Related<super::finding::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Finding.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
