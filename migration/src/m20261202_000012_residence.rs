//! Where a resident comes from and on what papers they live here: the
//! document they are identified by (a passport for a foreigner, not only a
//! Chinese ID number), their nationality, and for the floating and foreign
//! population where their household is registered (户籍地), when and why
//! they came, and when their residence permit or visa runs out.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{date_null, string_len, string_len_null};

use crate::columns::{enumeration, enumeration_null, index};
use crate::m20261126_000002_population::Residents;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Papers {
    DocumentType,
    Nationality,
    HukouPlace,
    ArrivedOn,
    ResidenceReason,
    PermitExpiresOn,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        for column in [
            enumeration(Papers::DocumentType)
                .default("resident_id_card")
                .take(),
            string_len(Papers::Nationality, 3).default("CHN").take(),
            string_len_null(Papers::HukouPlace, 100),
            date_null(Papers::ArrivedOn),
            enumeration_null(Papers::ResidenceReason),
            date_null(Papers::PermitExpiresOn),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Residents::Table)
                        .add_column(column)
                        .take(),
                )
                .await?;
        }
        // The worker's list of permits running out, in date order.
        manager
            .create_index(index(
                Residents::Table,
                &[Alias::new("permit_expires_on"), Alias::new("id")],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            // SQLite drops an index by name alone; PostgreSQL needs no table.
            .drop_index(
                Index::drop()
                    .name("ix_residents_permit_expires_on_id")
                    .to_owned(),
            )
            .await?;
        for column in [
            Papers::PermitExpiresOn,
            Papers::ResidenceReason,
            Papers::ArrivedOn,
            Papers::HukouPlace,
            Papers::Nationality,
            Papers::DocumentType,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Residents::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
