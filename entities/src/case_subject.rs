use sea_orm::entity::prelude::*;

use crate::visit::VisitSubject;

/// What a case is about: a resident, household, dwelling, building or
/// organisation of the case's grid, named when it is reported or later on
/// site. Links are only ever added.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_subjects")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub case_id: i64,
    pub subject_kind: VisitSubject,
    pub subject_id: i64,
    /// The case's grid, where the subject was when it was named.
    pub grid_code: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
