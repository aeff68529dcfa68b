use sea_orm::entity::prelude::*;

/// One version of the policy set: what made it, who, when and why. Its
/// number is the `policy_state.version` it bumped to.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "policy_version")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub number: i64,
    pub kind: VersionKind,
    /// The user, token or operator who made it; `system` for lapses.
    pub actor: String,
    /// Why: required of every edit and rollback.
    pub comment: String,
    /// For a rollback: the version whose rules it restored.
    pub rolled_back_to: Option<i64>,
    /// How many rules it added and removed.
    pub changes: i32,
    pub at: DateTimeUtc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum VersionKind {
    /// The default policies, written on first start.
    #[sea_orm(string_value = "defaults")]
    Defaults,
    /// The demo city's role assignments.
    #[sea_orm(string_value = "seed")]
    Seed,
    /// An edit through the API or the command line.
    #[sea_orm(string_value = "edit")]
    Edit,
    /// Rules whose window closed, removed by the server.
    #[sea_orm(string_value = "lapse")]
    Lapse,
    /// The rules of an earlier version restored.
    #[sea_orm(string_value = "rollback")]
    Rollback,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
