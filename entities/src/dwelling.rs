use sea_orm::entity::prelude::*;

/// A dwelling (房屋) inside a building, with the occupancy status the command
/// centre colours it by.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dwellings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub building_id: i64,
    pub grid_code: String,
    pub unit: i32,
    pub floor: i32,
    pub room: String,
    pub area_sqm: Option<i32>,
    pub occupancy: Occupancy,
    /// For a rented dwelling: who lets it.
    pub lessor_name: Option<String>,
    pub lessor_phone: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// The four colours of the dwelling table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Occupancy {
    /// Green: lived in by its permanent residents.
    #[sea_orm(string_value = "owner_occupied")]
    OwnerOccupied,
    /// Red: let to tenants.
    #[sea_orm(string_value = "rented")]
    Rented,
    /// Yellow: used as an office.
    #[sea_orm(string_value = "office")]
    Office,
    /// Grey: nobody lives there.
    #[sea_orm(string_value = "vacant")]
    Vacant,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
