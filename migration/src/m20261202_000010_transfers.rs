//! Moves between grids (迁出 / 迁入): the old grid's worker records the move
//! out with its destination, the new grid's worker takes the person in.
//! Each side reads its half through this row, so neither needs rights in
//! the other's grid.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{date, date_null, string, string_len, string_len_null};

use crate::columns::{code, code_null, enumeration, id, id_ref, index, references, time, version};
use crate::m20261126_000002_population::Residents;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Transfers::Table)
                    .col(id(Transfers::Id))
                    .col(id_ref(Transfers::ResidentId))
                    .col(string(Transfers::Name))
                    .col(enumeration(Transfers::Sex))
                    .col(date(Transfers::BirthDate))
                    .col(string_len(Transfers::IdNumber, 18))
                    .col(code(Transfers::FromGridCode))
                    .col(code_null(Transfers::ToGridCode))
                    .col(string_len_null(Transfers::Destination, 200))
                    .col(date(Transfers::MovedOn))
                    .col(enumeration(Transfers::State))
                    .col(date_null(Transfers::ArrivedOn))
                    .col(version(Transfers::Version))
                    .col(time(Transfers::CreatedAt))
                    .col(time(Transfers::UpdatedAt))
                    .foreign_key(&mut references(
                        Transfers::Table,
                        Transfers::ResidentId,
                        Residents::Table,
                        Residents::Id,
                    ))
                    .take(),
            )
            .await?;
        for columns in [
            &[Transfers::ToGridCode, Transfers::Id][..],
            &[Transfers::FromGridCode, Transfers::Id][..],
            &[Transfers::ResidentId][..],
            &[Transfers::MovedOn, Transfers::Id][..],
        ] {
            manager
                .create_index(index(Transfers::Table, columns))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Transfers::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Transfers {
    Table,
    Id,
    ResidentId,
    Name,
    Sex,
    BirthDate,
    IdNumber,
    FromGridCode,
    ToGridCode,
    Destination,
    MovedOn,
    State,
    ArrivedOn,
    Version,
    CreatedAt,
    UpdatedAt,
}
