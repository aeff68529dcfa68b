//! What a case's clock needs beyond its deadline: when it turns yellow (80%
//! of its working-time limit), a department's pending request for more time
//! or a suspension, and when a suspension began (the clock stops while a
//! case is suspended). Columns are added one statement each: SQLite alters
//! one column at a time.

use sea_orm_migration::prelude::*;

use crate::columns::{enumeration_null, time_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Cases {
    Table,
    YellowAt,
    PendingRequest,
    RequestedDeadlineAt,
    SuspendedAt,
}

fn columns() -> [ColumnDef; 4] {
    [
        time_null(Cases::YellowAt),
        enumeration_null(Cases::PendingRequest),
        time_null(Cases::RequestedDeadlineAt),
        time_null(Cases::SuspendedAt),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for mut column in columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(Cases::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Cases::YellowAt,
            Cases::PendingRequest,
            Cases::RequestedDeadlineAt,
            Cases::SuspendedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Cases::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
