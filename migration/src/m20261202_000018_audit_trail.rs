//! The audit log made answerable and tamper-evident: where each request
//! came from and under which session, a seal on each row, the rows a read
//! named (so that "who looked at this person" is an index lookup), and the
//! chain that links every sealed row to the one before it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::string_len;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::columns::{id_ref, index, time};
use crate::m20261126_000005_access_and_audit::AuditLog;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Trail {
    Address,
    Session,
    Seal,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditSubjects {
    Table,
    AuditId,
    Kind,
    SubjectId,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditChain {
    Table,
    Seq,
    AuditId,
    RowSeal,
    Hash,
    At,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditChainGenesis {
    Table,
    Id,
    LegacyUntil,
}

/// Tables whose rows, once written, the database refuses to change.
const APPEND_ONLY: [&str; 3] = ["audit_subjects", "audit_chain", "audit_chain_genesis"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            ColumnDef::new(Trail::Address).string_len(64).null().take(),
            ColumnDef::new(Trail::Session).string_len(64).null().take(),
            ColumnDef::new(Trail::Seal).string_len(96).null().take(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditLog::Table)
                        .add_column(column)
                        .take(),
                )
                .await?;
        }
        // A copy of a sealed row carries the same seal: refused here, and
        // named by `audit verify` should the index be dropped.
        manager
            .create_index(
                Index::create()
                    .name("ux_audit_log_seal")
                    .table(AuditLog::Table)
                    .col(Trail::Seal)
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                AuditLog::Table,
                &[AuditLog::ObjectKind, AuditLog::ObjectId],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditSubjects::Table)
                    .col(id_ref(AuditSubjects::AuditId))
                    .col(string_len(AuditSubjects::Kind, 32))
                    .col(id_ref(AuditSubjects::SubjectId))
                    .primary_key(
                        Index::create()
                            .col(AuditSubjects::Kind)
                            .col(AuditSubjects::SubjectId)
                            .col(AuditSubjects::AuditId),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditChain::Table)
                    .col(
                        ColumnDef::new(AuditChain::Seq)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(id_ref(AuditChain::AuditId).unique_key())
                    .col(string_len(AuditChain::RowSeal, 96).unique_key())
                    .col(string_len(AuditChain::Hash, 64))
                    .col(time(AuditChain::At))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditChainGenesis::Table)
                    .col(
                        ColumnDef::new(AuditChainGenesis::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(id_ref(AuditChainGenesis::LegacyUntil))
                    .take(),
            )
            .await?;

        let connection = manager.get_connection();
        // Rows written before seals existed are taken into the chain as they
        // stand; every later row must carry a seal.
        connection
            .execute_unprepared(
                "INSERT INTO audit_chain_genesis (id, legacy_until) \
                 SELECT 1, COALESCE(MAX(id), 0) FROM audit_log",
            )
            .await?;
        // The reads already logged name their rows in `detail.ids`.
        let backfill = match manager.get_database_backend() {
            DbBackend::Postgres => {
                "INSERT INTO audit_subjects (audit_id, kind, subject_id) \
                 SELECT DISTINCT a.id, a.object_kind, e.value::bigint FROM audit_log a, \
                 jsonb_array_elements_text(a.detail -> 'ids') e \
                 WHERE a.action LIKE '%.read_unmasked' \
                 AND jsonb_typeof(a.detail -> 'ids') = 'array'"
            }
            _ => {
                "INSERT INTO audit_subjects (audit_id, kind, subject_id) \
                 SELECT DISTINCT a.id, a.object_kind, CAST(e.value AS INTEGER) FROM audit_log a, \
                 json_each(a.detail, '$.ids') e \
                 WHERE a.action LIKE '%.read_unmasked' \
                 AND json_type(a.detail, '$.ids') = 'array'"
            }
        };
        connection.execute_unprepared(backfill).await?;

        for table in APPEND_ONLY {
            match manager.get_database_backend() {
                DbBackend::Postgres => {
                    connection
                        .execute_unprepared(&format!(
                            "CREATE TRIGGER {table}_append_only \
                             BEFORE UPDATE OR DELETE ON {table} \
                             FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();"
                        ))
                        .await?;
                }
                _ => {
                    for event in ["UPDATE", "DELETE"] {
                        connection
                            .execute_unprepared(&format!(
                                "CREATE TRIGGER {table}_no_{} BEFORE {event} ON {table} \
                                 BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;",
                                event.to_lowercase()
                            ))
                            .await?;
                    }
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditChainGenesis::Table.into_iden(),
            AuditChain::Table.into_iden(),
            AuditSubjects::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("ux_audit_log_seal")
                    .table(AuditLog::Table)
                    .to_owned(),
            )
            .await?;
        for column in [Trail::Seal, Trail::Session, Trail::Address] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditLog::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
