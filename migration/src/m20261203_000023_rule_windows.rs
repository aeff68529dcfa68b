//! Rules in force for a while: a role assignment or policy may carry the
//! time it takes effect and the time it lapses ("the worker of grid 007
//! until Friday 18:00"). Both are empty for a rule in force until removed.

use sea_orm_migration::prelude::*;

use crate::columns::time_null;
use crate::m20261126_000005_access_and_audit::CasbinRule;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Window {
    ValidFrom,
    ValidUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in [Window::ValidFrom, Window::ValidUntil] {
            manager
                .alter_table(
                    Table::alter()
                        .table(CasbinRule::Table)
                        .add_column(time_null(column))
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Window::ValidUntil, Window::ValidFrom] {
            manager
                .alter_table(
                    Table::alter()
                        .table(CasbinRule::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
