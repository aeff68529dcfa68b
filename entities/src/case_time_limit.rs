use sea_orm::entity::prelude::*;

use crate::case::Urgency;

/// How long a subcategory's case may take at one urgency.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_time_limits")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub category_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub urgency: Urgency,
    pub amount: i32,
    pub unit: TimeUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TimeUnit {
    #[sea_orm(string_value = "working_hours")]
    WorkingHours,
    #[sea_orm(string_value = "working_days")]
    WorkingDays,
    /// Hours of the clock, night and holidays included: emergencies.
    #[sea_orm(string_value = "hours")]
    Hours,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
