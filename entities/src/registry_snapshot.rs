use sea_orm::entity::prelude::*;

/// One import of an outside registry: who brought which file when, and how
/// far it got. A kind has at most one `current` snapshot; the one before it
/// stays current until the new one is accepted whole.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "registry_snapshots")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: RegistryKind,
    pub state: SnapshotState,
    /// The file's name as given, without its directories.
    pub file_name: String,
    pub rows: i64,
    /// SHA-256 of the file's bytes, in hex.
    pub sha256: String,
    pub imported_by_user_id: Option<i64>,
    pub imported_by_token_id: Option<i64>,
    pub imported_by_name: String,
    pub started_at: DateTimeUtc,
    pub accepted_at: Option<DateTimeUtc>,
}

/// An outside registry gridgov compares the record with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum RegistryKind {
    /// 户籍: the household registry (the police's).
    #[sea_orm(string_value = "household")]
    Household,
    /// The death register (civil affairs, hospitals).
    #[sea_orm(string_value = "deaths")]
    Deaths,
    /// The pension payment roster (人社).
    #[sea_orm(string_value = "pensions")]
    Pensions,
    /// Wanted persons (the police's).
    #[sea_orm(string_value = "wanted")]
    Wanted,
    /// Business licences (market supervision).
    #[sea_orm(string_value = "licences")]
    Licences,
    /// Food business permits (食品经营许可证).
    #[sea_orm(string_value = "food_permits")]
    FoodPermits,
}

/// How far an import got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum SnapshotState {
    /// Its rows are being stored; comparisons do not see it.
    #[sea_orm(string_value = "loading")]
    Loading,
    /// The kind's snapshot comparisons use.
    #[sea_orm(string_value = "current")]
    Current,
    /// Replaced by a newer one; its rows are gone.
    #[sea_orm(string_value = "superseded")]
    Superseded,
    /// Interrupted while loading; its rows are gone.
    #[sea_orm(string_value = "failed")]
    Failed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
