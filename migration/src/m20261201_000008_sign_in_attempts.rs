//! Sign-in attempts, counted before the password is checked: the login
//! throttle reserves an attempt in a serialised transaction, so that a
//! burst of parallel tries (on any number of replicas) cannot all slip
//! under the limit. A successful attempt is removed; a failed one stays
//! until its window passes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::string_len;

use crate::columns::{id, index, time};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
pub enum SignInAttempts {
    Table,
    Id,
    Username,
    AttemptedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SignInAttempts::Table)
                    .col(id(SignInAttempts::Id))
                    .col(string_len(SignInAttempts::Username, 64))
                    .col(time(SignInAttempts::AttemptedAt))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                SignInAttempts::Table,
                &[SignInAttempts::Username, SignInAttempts::AttemptedAt],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SignInAttempts::Table).to_owned())
            .await
    }
}
