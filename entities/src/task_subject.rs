use sea_orm::entity::prelude::*;

use crate::visit::VisitSubject;

/// A resident, household, dwelling or organisation a task of visits names
/// ("走访独居老人" with its list). The first visit to it in its grid after
/// the task was sent marks it visited and counts as its assignment's
/// progress.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "task_subjects")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub task_id: i64,
    /// The assignment of the subject's grid.
    pub assignment_id: i64,
    pub subject_kind: VisitSubject,
    pub subject_id: i64,
    /// The subject's grid when the task was sent.
    pub grid_code: String,
    pub visit_id: Option<i64>,
    pub visited_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
