//! The policy set's history: every version an edit, a lapse, the defaults
//! or the seed made, with who, when and why, and the rules it added and
//! removed, so that any version can be shown and rolled back to.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, integer, string, string_len};

use crate::columns::{enumeration, id, index, time, time_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
pub enum PolicyVersion {
    Table,
    Number,
    Kind,
    Actor,
    Comment,
    RolledBackTo,
    Changes,
    At,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum PolicyChange {
    Table,
    Id,
    Version,
    Op,
    Ptype,
    V0,
    V1,
    V2,
    V3,
    V4,
    V5,
    ValidFrom,
    ValidUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PolicyVersion::Table)
                    .col(big_integer(PolicyVersion::Number).primary_key())
                    .col(enumeration(PolicyVersion::Kind))
                    .col(string(PolicyVersion::Actor))
                    .col(string(PolicyVersion::Comment))
                    .col(big_integer_null(PolicyVersion::RolledBackTo))
                    .col(integer(PolicyVersion::Changes))
                    .col(time(PolicyVersion::At))
                    .take(),
            )
            .await?;
        let mut change = Table::create();
        change
            .table(PolicyChange::Table)
            .col(id(PolicyChange::Id))
            .col(big_integer(PolicyChange::Version))
            .col(enumeration(PolicyChange::Op))
            .col(string_len(PolicyChange::Ptype, 8));
        for field in [
            PolicyChange::V0,
            PolicyChange::V1,
            PolicyChange::V2,
            PolicyChange::V3,
            PolicyChange::V4,
            PolicyChange::V5,
        ] {
            change.col(string_len(field, 128).default(""));
        }
        change
            .col(time_null(PolicyChange::ValidFrom))
            .col(time_null(PolicyChange::ValidUntil));
        manager.create_table(change.take()).await?;
        manager
            .create_index(index(PolicyChange::Table, &[PolicyChange::Version]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PolicyChange::Table).take())
            .await?;
        manager
            .drop_table(Table::drop().table(PolicyVersion::Table).take())
            .await
    }
}
