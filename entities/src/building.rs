use sea_orm::entity::prelude::*;

/// A building (楼栋): its code is its grid's code plus a 5-digit number.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "buildings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub code: String,
    pub grid_code: String,
    pub name: String,
    pub address: String,
    pub use_kind: BuildingUse,
    pub floors: i32,
    pub units: i32,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum BuildingUse {
    #[sea_orm(string_value = "residential")]
    Residential,
    #[sea_orm(string_value = "commercial")]
    Commercial,
    #[sea_orm(string_value = "mixed")]
    Mixed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
