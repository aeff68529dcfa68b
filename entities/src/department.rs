use sea_orm::entity::prelude::*;

/// A functional department (police, market supervision, justice, …) that acts
/// on cases of its duties within its jurisdiction.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "departments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub code: String,
    pub name: String,
    /// The duty codes this department answers for, as a JSON array of strings.
    pub duties: Json,
    /// The area (of any level) the department acts in.
    pub jurisdiction_code: String,
    pub version: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
