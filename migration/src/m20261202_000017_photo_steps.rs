//! Which step of a case's timeline a photo was sent with, so that a
//! timeline shows each step's photos beside it.

use sea_orm_migration::prelude::*;

use crate::columns::id_ref_null;
use crate::m20261202_000016_case_photos::CasePhotos;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum PhotoStep {
    StepId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // No foreign key: SQLite cannot add one to a table that exists; the
        // step and the photo are written in one transaction.
        manager
            .alter_table(
                Table::alter()
                    .table(CasePhotos::Table)
                    .add_column(id_ref_null(PhotoStep::StepId))
                    .take(),
            )
            .await?;
        // Photos sent before were written just after their step, in its
        // transaction: the last step of their kind on their case by then.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE case_photos SET step_id = (SELECT MAX(s.id) FROM case_steps s \
                 WHERE s.case_id = case_photos.case_id AND s.action = case_photos.step \
                 AND s.at <= case_photos.created_at)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CasePhotos::Table)
                    .drop_column(PhotoStep::StepId)
                    .take(),
            )
            .await?;
        Ok(())
    }
}
