use sea_orm::entity::prelude::*;

/// A person who signs in. What they may do is decided by their role
/// assignments; `kind` only says what sort of user they are.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub username: String,
    /// An argon2id PHC string.
    pub password_hash: String,
    pub display_name: String,
    pub kind: UserKind,
    pub department_id: Option<i64>,
    /// The area the user works in, for display; rights come from policies.
    pub area_code: Option<String>,
    pub phone: Option<String>,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum UserKind {
    #[sea_orm(string_value = "admin")]
    Admin,
    #[sea_orm(string_value = "manager")]
    Manager,
    #[sea_orm(string_value = "grid_worker")]
    GridWorker,
    #[sea_orm(string_value = "police")]
    Police,
    #[sea_orm(string_value = "department_officer")]
    DepartmentOfficer,
    #[sea_orm(string_value = "operator")]
    Operator,
    #[sea_orm(string_value = "auditor")]
    Auditor,
    #[sea_orm(string_value = "analyst")]
    Analyst,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
