use sea_orm::entity::prelude::*;

/// An organisation (实有单位): a shop, restaurant or company in a grid, with the
/// business licence the food-safety comparison checks.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organisations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub kind: OrganisationKind,
    pub grid_code: String,
    pub building_id: Option<i64>,
    pub address: String,
    pub legal_representative: String,
    pub phone: Option<String>,
    /// `None`: trading without a licence.
    pub licence_number: Option<String>,
    pub licence_expires_on: Option<Date>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum OrganisationKind {
    #[sea_orm(string_value = "food")]
    Food,
    #[sea_orm(string_value = "retail")]
    Retail,
    #[sea_orm(string_value = "company")]
    Company,
    #[sea_orm(string_value = "service")]
    Service,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
