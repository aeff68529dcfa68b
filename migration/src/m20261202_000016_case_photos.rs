//! Photos of cases: taken at the report or with a move, kept in the photo
//! store by their SHA-256 and served only to those who see the case.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, string_len};

use crate::columns::{code, id, id_ref, id_ref_null, index, references, time};
use crate::m20261126_000003_cases::Cases;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CasePhotos::Table)
                    .col(id(CasePhotos::Id))
                    .col(id_ref(CasePhotos::CaseId))
                    .col(code(CasePhotos::GridCode))
                    .col(string_len(CasePhotos::Step, 32))
                    .col(string_len(CasePhotos::ContentType, 32))
                    .col(big_integer(CasePhotos::SizeBytes))
                    .col(string_len(CasePhotos::Sha256, 64))
                    .col(id_ref_null(CasePhotos::UploadedByUserId))
                    .col(string_len(CasePhotos::UploadedByName, 64))
                    .col(time(CasePhotos::CreatedAt))
                    .foreign_key(&mut references(
                        CasePhotos::Table,
                        CasePhotos::CaseId,
                        Cases::Table,
                        Cases::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                CasePhotos::Table,
                &[CasePhotos::CaseId, CasePhotos::Id],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CasePhotos::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum CasePhotos {
    Table,
    Id,
    CaseId,
    GridCode,
    Step,
    ContentType,
    SizeBytes,
    Sha256,
    UploadedByUserId,
    UploadedByName,
    CreatedAt,
}
