//! Outside registries (the household registry, the death register, the
//! pension roster, the wanted list, business licences, food permits),
//! imported as snapshots for comparison with the record. Outside ID numbers
//! are kept only as a keyed hash; residents carry the same hash, so that
//! matching never needs the raw number.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, date_null, integer, string_len, string_len_null};

use crate::columns::{enumeration, id, id_ref, id_ref_null, index, references, time, time_null};
use crate::m20261126_000002_population::Residents;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum IdHash {
    IdHash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Residents::Table)
                    .add_column(string_len_null(IdHash::IdHash, 64))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(Residents::Table, &[IdHash::IdHash]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MatchKeys::Table)
                    .col(integer(MatchKeys::Id).primary_key())
                    .col(string_len(MatchKeys::Fingerprint, 64))
                    .col(time(MatchKeys::CreatedAt))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RegistrySnapshots::Table)
                    .col(id(RegistrySnapshots::Id))
                    .col(enumeration(RegistrySnapshots::Kind))
                    .col(enumeration(RegistrySnapshots::State))
                    .col(string_len(RegistrySnapshots::FileName, 200))
                    .col(big_integer(RegistrySnapshots::Rows))
                    .col(string_len(RegistrySnapshots::Sha256, 64))
                    .col(id_ref_null(RegistrySnapshots::ImportedByUserId))
                    .col(id_ref_null(RegistrySnapshots::ImportedByTokenId))
                    .col(string_len(RegistrySnapshots::ImportedByName, 64))
                    .col(time(RegistrySnapshots::StartedAt))
                    .col(time_null(RegistrySnapshots::AcceptedAt))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                RegistrySnapshots::Table,
                &[RegistrySnapshots::Kind, RegistrySnapshots::State],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RegistryEntries::Table)
                    .col(id(RegistryEntries::Id))
                    .col(id_ref(RegistryEntries::SnapshotId))
                    .col(big_integer(RegistryEntries::Line))
                    .col(string_len_null(RegistryEntries::IdHash, 64))
                    .col(string_len_null(RegistryEntries::Code, 24))
                    .col(string_len(RegistryEntries::Name, 100))
                    .col(enumeration(RegistryEntries::Sex).null())
                    .col(date_null(RegistryEntries::BirthDate))
                    .col(date_null(RegistryEntries::FromDate))
                    .col(date_null(RegistryEntries::ToDate))
                    .col(string_len_null(RegistryEntries::CreditCode, 18))
                    .col(string_len_null(RegistryEntries::Address, 200))
                    .foreign_key(&mut references(
                        RegistryEntries::Table,
                        RegistryEntries::SnapshotId,
                        RegistrySnapshots::Table,
                        RegistrySnapshots::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                RegistryEntries::Table,
                &[RegistryEntries::SnapshotId, RegistryEntries::IdHash],
            ))
            .await?;
        manager
            .create_index(index(
                RegistryEntries::Table,
                &[RegistryEntries::SnapshotId, RegistryEntries::Code],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RegistryEntries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(RegistrySnapshots::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(MatchKeys::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_residents_id_hash")
                    .table(Residents::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Residents::Table)
                    .drop_column(IdHash::IdHash)
                    .take(),
            )
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum MatchKeys {
    Table,
    Id,
    Fingerprint,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum RegistrySnapshots {
    Table,
    Id,
    Kind,
    State,
    FileName,
    Rows,
    Sha256,
    ImportedByUserId,
    ImportedByTokenId,
    ImportedByName,
    StartedAt,
    AcceptedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum RegistryEntries {
    Table,
    Id,
    SnapshotId,
    Line,
    IdHash,
    Code,
    Name,
    Sex,
    BirthDate,
    FromDate,
    ToDate,
    CreditCode,
    Address,
}
