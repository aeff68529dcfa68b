//! Comparison jobs and their findings (信息比对): a job compares the record
//! of an area with a registry's current snapshot, rule by rule, in chunks
//! whose end it records, so that a restart resumes where it stopped; each
//! discrepancy is a finding in the grid of its person or organisation,
//! with its own timeline.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, boolean, date_null, string_len, string_len_null, text_null,
};

use crate::columns::{
    code, code_null, enumeration, enumeration_null, id, id_ref, id_ref_null, index, json,
    references, time, time_null, version,
};
use crate::m20261202_000021_registries::RegistryEntries;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ComparisonJobs::Table)
                    .col(id(ComparisonJobs::Id))
                    .col(enumeration(ComparisonJobs::Kind))
                    .col(code_null(ComparisonJobs::AreaCode))
                    .col(enumeration(ComparisonJobs::State))
                    .col(id_ref(ComparisonJobs::SnapshotId))
                    .col(big_integer(ComparisonJobs::Total))
                    .col(big_integer(ComparisonJobs::Compared))
                    .col(code_null(ComparisonJobs::Position))
                    .col(json(ComparisonJobs::Counts))
                    .col(id_ref_null(ComparisonJobs::StartedByUserId))
                    .col(id_ref_null(ComparisonJobs::StartedByTokenId))
                    .col(string_len(ComparisonJobs::StartedByName, 64))
                    .col(time(ComparisonJobs::StartedAt))
                    .col(time(ComparisonJobs::HeartbeatAt))
                    .col(time_null(ComparisonJobs::FinishedAt))
                    .col(text_null(ComparisonJobs::Error))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(ComparisonJobs::Table, &[ComparisonJobs::State]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Findings::Table)
                    .col(id(Findings::Id))
                    .col(enumeration(Findings::Kind))
                    .col(enumeration(Findings::Registry))
                    .col(enumeration(Findings::State))
                    .col(boolean(Findings::Urgent))
                    .col(code(Findings::GridCode))
                    .col(id_ref_null(Findings::ResidentId))
                    .col(id_ref_null(Findings::OrganisationId))
                    .col(string_len(Findings::AssigneeRole, 40))
                    .col(id_ref(Findings::SnapshotId))
                    .col(id_ref(Findings::OpenedJobId))
                    .col(id_ref(Findings::SeenJobId))
                    .col(string_len_null(Findings::Fields, 100))
                    .col(string_len_null(Findings::RegistryName, 100))
                    .col(enumeration_null(Findings::RegistrySex))
                    .col(date_null(Findings::RegistryBirthDate))
                    .col(string_len_null(Findings::RegistryAddress, 200))
                    .col(date_null(Findings::FromDate))
                    .col(date_null(Findings::ToDate))
                    .col(id_ref_null(Findings::CaseId))
                    .col(string_len_null(Findings::Reason, 500))
                    .col(version(Findings::Version))
                    .col(time(Findings::OpenedAt))
                    .col(time(Findings::UpdatedAt))
                    .col(time_null(Findings::ClosedAt))
                    .take(),
            )
            .await?;
        for columns in [
            &[Findings::GridCode, Findings::Kind][..],
            &[Findings::Kind, Findings::ResidentId],
            &[Findings::Kind, Findings::OrganisationId],
            &[Findings::ResidentId],
            &[Findings::CaseId],
            // Each registry numbers its findings in its own series.
            &[Findings::Registry, Findings::Id],
        ] {
            manager
                .create_index(index(Findings::Table, columns))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(FindingSteps::Table)
                    .col(id(FindingSteps::Id))
                    .col(id_ref(FindingSteps::FindingId))
                    .col(code(FindingSteps::GridCode))
                    .col(enumeration(FindingSteps::Action))
                    .col(enumeration_null(FindingSteps::FromState))
                    .col(enumeration(FindingSteps::ToState))
                    .col(string_len_null(FindingSteps::Note, 500))
                    .col(id_ref_null(FindingSteps::JobId))
                    .col(id_ref_null(FindingSteps::ActorUserId))
                    .col(id_ref_null(FindingSteps::ActorTokenId))
                    .col(string_len(FindingSteps::ActorName, 64))
                    .col(time(FindingSteps::At))
                    .foreign_key(&mut references(
                        FindingSteps::Table,
                        FindingSteps::FindingId,
                        Findings::Table,
                        Findings::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                FindingSteps::Table,
                &[FindingSteps::FindingId, FindingSteps::Id],
            ))
            .await?;
        // Food permits are found by their holder's credit code.
        manager
            .create_index(index(
                RegistryEntries::Table,
                &[RegistryEntries::SnapshotId, RegistryEntries::CreditCode],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_registry_entries_snapshot_id_credit_code")
                    .table(RegistryEntries::Table)
                    .to_owned(),
            )
            .await?;
        for table in [
            FindingSteps::Table.into_iden(),
            Findings::Table.into_iden(),
            ComparisonJobs::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum ComparisonJobs {
    Table,
    Id,
    Kind,
    AreaCode,
    State,
    SnapshotId,
    Total,
    Compared,
    Position,
    Counts,
    StartedByUserId,
    StartedByTokenId,
    StartedByName,
    StartedAt,
    HeartbeatAt,
    FinishedAt,
    Error,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Findings {
    Table,
    Id,
    Kind,
    Registry,
    State,
    Urgent,
    GridCode,
    ResidentId,
    OrganisationId,
    AssigneeRole,
    SnapshotId,
    OpenedJobId,
    SeenJobId,
    Fields,
    RegistryName,
    RegistrySex,
    RegistryBirthDate,
    RegistryAddress,
    FromDate,
    ToDate,
    CaseId,
    Reason,
    Version,
    OpenedAt,
    UpdatedAt,
    ClosedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum FindingSteps {
    Table,
    Id,
    FindingId,
    GridCode,
    Action,
    FromState,
    ToState,
    Note,
    JobId,
    ActorUserId,
    ActorTokenId,
    ActorName,
    At,
}
