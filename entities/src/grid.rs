use sea_orm::entity::prelude::*;

/// The smallest unit of governance: a few hundred households looked after by
/// one grid worker. The code is the community's 12 digits plus a 3-digit
/// sequence.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "grids")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub community_code: String,
    pub name: String,
    /// The grid's outline as a GeoJSON Polygon, when it has been surveyed.
    pub boundary: Option<Json>,
    /// The grid worker in charge (an organisational fact; rights come from
    /// the role assignments in `casbin_rule`).
    pub worker_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
