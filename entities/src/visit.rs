use sea_orm::entity::prelude::*;

/// A grid worker's visit (走访) to a resident, household, dwelling,
/// building or organisation: who went, when, why, what they found, when to go again.
/// Visits are records of what happened: written once, never changed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "visits")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub subject_kind: VisitSubject,
    pub subject_id: i64,
    /// The subject's grid when visited, which decides who reads the visit.
    pub grid_code: String,
    pub kind: VisitKind,
    pub visited_at: DateTimeUtc,
    pub findings: String,
    pub next_due_on: Option<Date>,
    pub visitor_user_id: Option<i64>,
    pub visitor_name: String,
    pub created_at: DateTimeUtc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum VisitSubject {
    #[sea_orm(string_value = "resident")]
    Resident,
    #[sea_orm(string_value = "household")]
    Household,
    #[sea_orm(string_value = "dwelling")]
    Dwelling,
    #[sea_orm(string_value = "building")]
    Building,
    #[sea_orm(string_value = "organisation")]
    Organisation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum VisitKind {
    /// 关爱走访: the elderly living alone, the disabled, left-behind children.
    #[sea_orm(string_value = "care")]
    Care,
    /// 出租屋检查: a rented flat and its tenants.
    #[sea_orm(string_value = "rental_check")]
    RentalCheck,
    /// 安全检查: fire and safety of a shop, a building.
    #[sea_orm(string_value = "safety_check")]
    SafetyCheck,
    /// 帮教走访: people released or under community correction.
    #[sea_orm(string_value = "supervision")]
    Supervision,
    /// 矛盾调解: a dispute followed up.
    #[sea_orm(string_value = "mediation")]
    Mediation,
    #[sea_orm(string_value = "other")]
    Other,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
