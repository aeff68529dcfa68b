use sea_orm::entity::prelude::*;

/// How often people of one care flag are to be visited, where the city has
/// set it; flags without a row keep the built-in schedule.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "visit_intervals")]
pub struct Model {
    /// The flag's stored name (`elderly_living_alone`: `CareFlag::name`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub care_flag: String,
    pub days: i32,
    pub version: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
