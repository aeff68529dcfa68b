use sea_orm::entity::prelude::*;

/// One Casbin rule, in the adapter layout every Casbin port shares: a policy
/// (`p`), a role assignment (`g`) and so on, with up to six fields.
/// This table, not the files in `policies/`, is what the authorizer enforces.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "casbin_rule")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub ptype: String,
    pub v0: String,
    pub v1: String,
    pub v2: String,
    pub v3: String,
    pub v4: String,
    pub v5: String,
    /// When the rule takes effect; in force from when it was written if
    /// empty.
    pub valid_from: Option<DateTimeUtc>,
    /// When the rule lapses; in force until removed if empty.
    pub valid_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
