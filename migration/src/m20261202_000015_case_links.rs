//! Cases about something: the residents, households, dwellings, buildings
//! and organisations a case names, and the parties of a dispute. A case is
//! found from what it is about as well as the other way round.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{string_len, string_len_null};

use crate::columns::{code, enumeration, id, id_ref, id_ref_null, index, references, time};
use crate::m20261126_000003_cases::Cases;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CaseSubjects::Table)
                    .col(id(CaseSubjects::Id))
                    .col(id_ref(CaseSubjects::CaseId))
                    .col(enumeration(CaseSubjects::SubjectKind))
                    .col(id_ref(CaseSubjects::SubjectId))
                    .col(code(CaseSubjects::GridCode))
                    .col(time(CaseSubjects::CreatedAt))
                    .foreign_key(&mut references(
                        CaseSubjects::Table,
                        CaseSubjects::CaseId,
                        Cases::Table,
                        Cases::Id,
                    ))
                    .take(),
            )
            .await?;
        // A subject is named once per case; the index also reads a case's
        // subjects in order.
        manager
            .create_index(
                index(
                    CaseSubjects::Table,
                    &[
                        CaseSubjects::CaseId,
                        CaseSubjects::SubjectKind,
                        CaseSubjects::SubjectId,
                    ],
                )
                .unique()
                .take(),
            )
            .await?;
        // The other way: the cases about one subject.
        manager
            .create_index(index(
                CaseSubjects::Table,
                &[CaseSubjects::SubjectKind, CaseSubjects::SubjectId],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CaseParties::Table)
                    .col(id(CaseParties::Id))
                    .col(id_ref(CaseParties::CaseId))
                    .col(enumeration(CaseParties::Side))
                    .col(string_len(CaseParties::Name, 64))
                    .col(string_len_null(CaseParties::Phone, 32))
                    .col(id_ref_null(CaseParties::ResidentId))
                    .col(code(CaseParties::GridCode))
                    .col(time(CaseParties::CreatedAt))
                    .foreign_key(&mut references(
                        CaseParties::Table,
                        CaseParties::CaseId,
                        Cases::Table,
                        Cases::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                CaseParties::Table,
                &[CaseParties::CaseId, CaseParties::Id],
            ))
            .await?;
        manager
            .create_index(index(CaseParties::Table, &[CaseParties::ResidentId]))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CaseParties::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CaseSubjects::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum CaseSubjects {
    Table,
    Id,
    CaseId,
    SubjectKind,
    SubjectId,
    GridCode,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum CaseParties {
    Table,
    Id,
    CaseId,
    Side,
    Name,
    Phone,
    ResidentId,
    GridCode,
    CreatedAt,
}
