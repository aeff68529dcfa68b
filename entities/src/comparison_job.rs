use sea_orm::entity::prelude::*;

use crate::registry_snapshot::RegistryKind;

/// One comparison of the record with a registry's current snapshot: who
/// started it, how far it got, and how many findings each rule made.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "comparison_jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: RegistryKind,
    /// The area compared; `None` for the whole city.
    pub area_code: Option<String>,
    pub state: JobState,
    /// The snapshot compared with.
    pub snapshot_id: i64,
    /// Residents or organisations to compare.
    pub total: i64,
    /// Those compared so far.
    pub compared: i64,
    /// The last grid code of the last chunk done: a resumed job starts
    /// after it.
    pub position: Option<String>,
    /// Findings standing after the job, by finding kind (`{"died": 3}`).
    pub counts: Json,
    pub started_by_user_id: Option<i64>,
    pub started_by_token_id: Option<i64>,
    pub started_by_name: String,
    pub started_at: DateTimeUtc,
    /// When its runner last reported: a running job whose runner has been
    /// silent for long was interrupted.
    pub heartbeat_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum JobState {
    #[sea_orm(string_value = "running")]
    Running,
    #[sea_orm(string_value = "finished")]
    Finished,
    /// Stopped by an error, or interrupted and not resumable (its snapshot
    /// was replaced meanwhile).
    #[sea_orm(string_value = "failed")]
    Failed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
