//! Visits (走访): the record of a grid worker's daily rounds, and what the
//! care schedule counts from.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{date_null, string, text};

use crate::columns::{code, enumeration, id, id_ref, id_ref_null, index, time};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Visits::Table)
                    .col(id(Visits::Id))
                    .col(enumeration(Visits::SubjectKind))
                    .col(id_ref(Visits::SubjectId))
                    .col(code(Visits::GridCode))
                    .col(enumeration(Visits::Kind))
                    .col(time(Visits::VisitedAt))
                    .col(text(Visits::Findings))
                    .col(date_null(Visits::NextDueOn))
                    .col(id_ref_null(Visits::VisitorUserId))
                    .col(string(Visits::VisitorName))
                    .col(time(Visits::CreatedAt))
                    .take(),
            )
            .await?;
        for columns in [
            &[Visits::SubjectKind, Visits::SubjectId, Visits::VisitedAt][..],
            &[Visits::GridCode, Visits::Id][..],
            &[Visits::VisitedAt, Visits::Id][..],
        ] {
            manager.create_index(index(Visits::Table, columns)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Visits::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Visits {
    Table,
    Id,
    SubjectKind,
    SubjectId,
    GridCode,
    Kind,
    VisitedAt,
    Findings,
    NextDueOn,
    VisitorUserId,
    VisitorName,
    CreatedAt,
}
