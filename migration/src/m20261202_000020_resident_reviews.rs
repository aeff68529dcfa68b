//! The police's sign-off loop on the population record: each step of a
//! record's comparison (signed off, returned with a reason, resubmitted)
//! on its own timeline, the reason of the last return on the record, and
//! an index that counts a grid's records by where they stand.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{string_len, string_len_null, text_null};

use crate::columns::{code, enumeration, id, id_ref, id_ref_null, index, references, time};
use crate::m20261126_000002_population::Residents;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum ReturnReason {
    ReturnReason,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Residents::Table)
                    .add_column(string_len_null(ReturnReason::ReturnReason, 500))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ResidentReviews::Table)
                    .col(id(ResidentReviews::Id))
                    .col(id_ref(ResidentReviews::ResidentId))
                    .col(code(ResidentReviews::GridCode))
                    .col(enumeration(ResidentReviews::Action))
                    .col(enumeration(ResidentReviews::ToState))
                    .col(text_null(ResidentReviews::Reason))
                    .col(id_ref_null(ResidentReviews::ActorUserId))
                    .col(id_ref_null(ResidentReviews::ActorTokenId))
                    .col(string_len(ResidentReviews::ActorName, 64))
                    .col(time(ResidentReviews::At))
                    .foreign_key(&mut references(
                        ResidentReviews::Table,
                        ResidentReviews::ResidentId,
                        Residents::Table,
                        Residents::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                ResidentReviews::Table,
                &[ResidentReviews::ResidentId, ResidentReviews::Id],
            ))
            .await?;
        // A grid's pending and returned records, counted from the index
        // alone on PostgreSQL.
        manager
            .create_index(index(
                Residents::Table,
                &[Residents::GridCode, Residents::Verification],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_residents_grid_code_verification")
                    .table(Residents::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(ResidentReviews::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Residents::Table)
                    .drop_column(ReturnReason::ReturnReason)
                    .take(),
            )
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum ResidentReviews {
    Table,
    Id,
    ResidentId,
    GridCode,
    Action,
    ToState,
    Reason,
    ActorUserId,
    ActorTokenId,
    ActorName,
    At,
}
