use sea_orm::entity::prelude::*;

/// A scoped API token issued to a department or an application. Only a hash
/// of the secret is kept; the secret is shown once, at issue.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// The first characters of the secret, to tell tokens apart in lists.
    pub prefix: String,
    #[sea_orm(unique)]
    pub secret_hash: String,
    pub subject_kind: TokenSubject,
    pub department_id: Option<i64>,
    /// For an application token: the account whose policies it narrows.
    pub user_id: Option<i64>,
    /// Objects and actions the token may use, as a JSON array of
    /// `"object:action"` strings.
    pub scopes: Json,
    /// Area codes the token is limited to, as a JSON array.
    pub areas: Json,
    pub expires_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TokenSubject {
    #[sea_orm(string_value = "department")]
    Department,
    #[sea_orm(string_value = "application")]
    Application,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
