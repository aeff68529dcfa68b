//! Archiving old audit entries: the append-only triggers give way only
//! while an archive run holds a permit, inside its own transaction — the
//! run writes the entries to a file first and records the file's hash in
//! the log itself, so that nothing leaves the log silently.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum AuditArchivePermit {
    Table,
    Id,
}

/// The tables an archive run trims, with the triggers that guard them.
const GUARDED: [&str; 3] = ["audit_log", "audit_subjects", "audit_chain"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditArchivePermit::Table)
                    .col(
                        ColumnDef::new(AuditArchivePermit::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .take(),
            )
            .await?;
        let connection = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                // Updates stay refused; deletes only under a permit.
                connection
                    .execute_unprepared(
                        "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger \
                         LANGUAGE plpgsql AS $$ BEGIN \
                         IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM audit_archive_permit) \
                         THEN RETURN OLD; END IF; \
                         RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$;",
                    )
                    .await?;
            }
            _ => {
                // The new trigger under a new name first, then the old one
                // goes: a pooled connection may still see the old schema.
                for table in GUARDED {
                    connection
                        .execute_unprepared(&format!(
                            "CREATE TRIGGER {table}_no_unpermitted_delete BEFORE DELETE ON {table} \
                             WHEN NOT EXISTS (SELECT 1 FROM audit_archive_permit) \
                             BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"
                        ))
                        .await?;
                    connection
                        .execute_unprepared(&format!("DROP TRIGGER {table}_no_delete"))
                        .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let connection = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                connection
                    .execute_unprepared(
                        "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger \
                         LANGUAGE plpgsql AS $$ BEGIN \
                         RAISE EXCEPTION 'audit_log is append-only'; END $$;",
                    )
                    .await?;
            }
            _ => {
                for table in GUARDED {
                    connection
                        .execute_unprepared(&format!(
                            "CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} \
                             BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"
                        ))
                        .await?;
                    connection
                        .execute_unprepared(&format!("DROP TRIGGER {table}_no_unpermitted_delete"))
                        .await?;
                }
            }
        }
        manager
            .drop_table(Table::drop().table(AuditArchivePermit::Table).to_owned())
            .await
    }
}
