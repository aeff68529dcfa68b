use sea_orm::entity::prelude::*;

/// A case category: a top class (one of the seven duties, or an
/// urban-management class of GB/T 30428) or a subcategory under one.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_categories")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub parent_code: Option<String>,
    pub name: String,
    /// The duty (or urban-management class) the category belongs to, which
    /// decides the departments that may be dispatched to.
    pub duty: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
