use sea_orm::entity::prelude::*;

/// A sign-in attempt, reserved before the password is checked and removed
/// when it succeeds: what the login throttle counts.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_in_attempts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The keyed hash of the name typed (64 hex digits), never the name:
    /// what is typed there may be a password or someone else's name.
    pub username: String,
    pub attempted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
