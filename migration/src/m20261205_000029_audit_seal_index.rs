//! The audit log's unique index of seals goes. A copy of a sealed row (the
//! same seal under another number) is refused by the chainer, which looks
//! each row's seal up among the links before linking it, and named by
//! `audit verify`; the log's index did the same work a second time on
//! every audit row written, at a random place in an index of long random
//! keys (measured: 3% of PostgreSQL's time per audited page). `down`
//! fails while a copy is in the log, as the index cannot be built then.

use sea_orm_migration::prelude::*;

use crate::m20261126_000005_access_and_audit::AuditLog;

const NAME: &str = "ux_audit_log_seal";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Trail {
    Seal,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(NAME)
                    .table(AuditLog::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(AuditLog::Table)
                    .col(Trail::Seal)
                    .unique()
                    .to_owned(),
            )
            .await
    }
}
