use sea_orm::entity::prelude::*;

/// A grid's statistics, kept by triggers as its residents, dwellings and
/// organisations change (see `migration::counting` for every column). Age
/// bands and licence states are counted as of `statistics_clock`'s day.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "grid_counts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub grid_code: String,
    pub residents: i32,
    pub dwellings: i32,
    pub organisations: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
