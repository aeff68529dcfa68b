//! On PostgreSQL the rows an audit entry names move into the entry itself:
//! a `subjects` array under a GIN index, in place of a row each in
//! `audit_subjects`. A page of fifty residents read in full wrote fifty
//! random B-tree entries before it was answered; the GIN index's pending
//! list takes them as one append. SQLite keeps `audit_subjects`.
//!
//! The column is not under the seal (the entry's `detail.ids` is, and
//! `gridgov audit verify` holds the column to it), so filling it for the
//! rows already written changes nothing the chain covers.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let connection = manager.get_connection();
        for statement in [
            "ALTER TABLE audit_log ADD COLUMN subjects bigint[]",
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
            "UPDATE audit_log SET subjects = named.ids FROM (SELECT audit_id, \
             array_agg(subject_id ORDER BY subject_id) AS ids FROM audit_subjects \
             GROUP BY audit_id) AS named WHERE named.audit_id = audit_log.id",
            "ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only",
            "ALTER TABLE audit_subjects DISABLE TRIGGER audit_subjects_append_only",
            "DELETE FROM audit_subjects",
            "ALTER TABLE audit_subjects ENABLE TRIGGER audit_subjects_append_only",
            "CREATE INDEX ix_audit_log_subjects ON audit_log USING gin (subjects) \
             WHERE subjects IS NOT NULL",
        ] {
            connection.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let connection = manager.get_connection();
        for statement in [
            "INSERT INTO audit_subjects (kind, subject_id, audit_id) \
             SELECT object_kind, unnest(subjects), id FROM audit_log WHERE subjects IS NOT NULL",
            "DROP INDEX ix_audit_log_subjects",
            "ALTER TABLE audit_log DROP COLUMN subjects",
        ] {
            connection.execute_unprepared(statement).await?;
        }
        Ok(())
    }
}
