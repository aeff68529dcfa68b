use sea_orm::entity::prelude::*;

/// A progress report or feedback on one assignment.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "task_feedback")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub assignment_id: i64,
    pub author_user_id: Option<i64>,
    pub author_name: String,
    pub note: String,
    /// The assignment's progress as reported with this entry.
    pub progress: Option<i32>,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
