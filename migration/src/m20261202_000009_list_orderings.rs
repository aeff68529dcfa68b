//! Indexes for the orderings every list can be asked for (`orderBy`): a
//! keyset page by (column, id) is an index range scan, not a sort of every
//! row in the caller's scope. A case's deadline sorts with its empty values
//! last, an expression no plain index serves; the (state, deadline) index
//! serves the usual question, the open cases by deadline.

use sea_orm_migration::prelude::*;

use crate::columns::index;
use crate::m20261126_000001_places_and_people::{Areas, Grids};
use crate::m20261126_000002_population::{Buildings, Dwellings, Households, Organisations};
use crate::m20261126_000003_cases::Cases;
use crate::m20261126_000004_tasks::{TaskAssignments, Tasks};
use crate::m20261126_000005_access_and_audit::ApiTokens;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        index(Areas::Table, &[Areas::Name, Areas::Code]),
        index(Grids::Table, &[Grids::Name, Grids::Code]),
        index(Households::Table, &[Households::GridCode, Households::Id]),
        index(Households::Table, &[Households::Number, Households::Id]),
        index(Households::Table, &[Households::UpdatedAt, Households::Id]),
        index(Dwellings::Table, &[Dwellings::GridCode, Dwellings::Id]),
        index(Dwellings::Table, &[Dwellings::UpdatedAt, Dwellings::Id]),
        index(Buildings::Table, &[Buildings::GridCode, Buildings::Id]),
        index(Buildings::Table, &[Buildings::Code, Buildings::Id]),
        index(Buildings::Table, &[Buildings::Name, Buildings::Id]),
        index(
            Organisations::Table,
            &[Organisations::Name, Organisations::Id],
        ),
        index(Cases::Table, &[Cases::CreatedAt, Cases::Id]),
        index(Cases::Table, &[Cases::UpdatedAt, Cases::Id]),
        index(Tasks::Table, &[Tasks::CreatedAt, Tasks::Id]),
        index(Tasks::Table, &[Tasks::DeadlineAt, Tasks::Id]),
        index(
            TaskAssignments::Table,
            &[TaskAssignments::UpdatedAt, TaskAssignments::Id],
        ),
        index(ApiTokens::Table, &[ApiTokens::Name, ApiTokens::Id]),
        index(ApiTokens::Table, &[ApiTokens::ExpiresAt, ApiTokens::Id]),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for statement in indexes() {
            manager.create_index(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for statement in indexes() {
            let name = statement
                .get_index_spec()
                .get_name()
                .unwrap_or_default()
                .to_owned();
            // SQLite drops an index by name alone; PostgreSQL needs no table.
            manager
                .drop_index(Index::drop().name(name).to_owned())
                .await?;
        }
        Ok(())
    }
}
