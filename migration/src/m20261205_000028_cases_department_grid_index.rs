//! A department's list of its cases: by department and state, inside its
//! jurisdiction's grids. With the index by (department, state) alone the
//! planner combined three bitmaps (department, the district's open cases,
//! the states) and read the district's open cases to keep a hundred; with
//! the grid code as the index's third column, one index scan keeps them.
//! It replaces the two-column index, whose every use it serves.

use sea_orm_migration::prelude::*;

use crate::columns::index;
use crate::m20261126_000003_cases::Cases;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                index(
                    Cases::Table,
                    &[Cases::DepartmentId, Cases::State, Cases::GridCode],
                )
                .if_not_exists()
                .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_cases_department_id_state")
                    .table(Cases::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(Cases::Table, &[Cases::DepartmentId, Cases::State]))
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_cases_department_id_state_grid_code")
                    .table(Cases::Table)
                    .to_owned(),
            )
            .await
    }
}
