use sea_orm::entity::prelude::*;

/// A household (户): a registration unit with a head; its members are the
/// residents whose `household_id` points here, each with a relation to the head.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "households")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The household registration number (户号).
    #[sea_orm(unique)]
    pub number: String,
    pub grid_code: String,
    pub kind: HouseholdKind,
    /// Not a foreign key: head and household are written together and each
    /// points at the other.
    pub head_resident_id: Option<i64>,
    pub dwelling_id: Option<i64>,
    pub address: String,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum HouseholdKind {
    #[sea_orm(string_value = "family")]
    Family,
    #[sea_orm(string_value = "collective")]
    Collective,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
