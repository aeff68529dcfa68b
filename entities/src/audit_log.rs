use sea_orm::entity::prelude::*;

/// The append-only audit log: every mutation, and every read of unmasked
/// personal data. The database refuses updates and deletes of these rows.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    pub actor_user_id: Option<i64>,
    pub actor_token_id: Option<i64>,
    pub actor_name: String,
    /// What was done, e.g. `resident.update`, `resident.read_unmasked`.
    pub action: String,
    pub object_kind: String,
    pub object_id: Option<String>,
    pub area_code: Option<String>,
    /// Whatever else explains the entry (fields read, old and new values).
    pub detail: Json,
    pub request_id: Option<String>,
    /// The address the request came from.
    pub address: Option<String>,
    /// The access token's id (`jti`) a signed-in user acted under.
    pub session: Option<String>,
    /// A random salt and the HMAC of everything above under the server's
    /// audit key: none only on rows written before rows were sealed.
    pub seal: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
