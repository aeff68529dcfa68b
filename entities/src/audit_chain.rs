use sea_orm::entity::prelude::*;

/// A link of the audit chain: audit row `audit_id`, the `seq`-th to be
/// linked, with the seal of what it said and `hash`, which covers the link
/// before it. Append-only, like the log.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_chain")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub audit_id: i64,
    pub row_seal: String,
    pub hash: String,
    /// The linked row's time.
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
