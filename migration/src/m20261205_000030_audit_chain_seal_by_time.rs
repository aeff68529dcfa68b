//! A link's row seal is unique together with the row's time, not alone.
//! Seals are random: each link's entry in an index of seals alone landed
//! on a random page, which PostgreSQL writes whole to its log the first
//! time after every checkpoint. Measured on a full city's audited reads
//! (`pg_waldump`), that index wrote 0.88 KB of log per audited answer
//! (three quarters of it whole pages), a fifth of all the log written. By
//! time first, links go in at the end, as the rows they link were
//! written. A copy of a row carries its time and its seal, so the pair
//! still refuses it; a copy given another time no longer matches its seal.
//!
//! SQLite keeps the seal's own unique key: its index pages are written the
//! same way wherever the entry lands, and the key is part of its table.

use sea_orm_migration::prelude::*;

use crate::postgres;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        postgres::only(
            manager,
            &[
                "CREATE UNIQUE INDEX IF NOT EXISTS ux_audit_chain_at_row_seal \
                 ON audit_chain (at, row_seal)",
                "ALTER TABLE audit_chain DROP CONSTRAINT IF EXISTS audit_chain_row_seal_key",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        postgres::only(
            manager,
            &[
                "ALTER TABLE audit_chain ADD CONSTRAINT audit_chain_row_seal_key UNIQUE (row_seal)",
                "DROP INDEX IF EXISTS ux_audit_chain_at_row_seal",
            ],
        )
        .await
    }
}
