//! Statistics counted per grid by triggers ([`crate::counting`]), with the
//! day their age bands and licence states are counted as of, and the
//! indexes that bring that day forward without scanning residents.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{date, integer, string_len};
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::columns::index;
use crate::counting;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum StatisticsClock {
    Table,
    Id,
    CountedOn,
}

#[derive(DeriveIden, Clone, Copy)]
enum GridCounts {
    Table,
    GridCode,
}

#[derive(DeriveIden, Clone, Copy)]
enum Residents {
    Table,
    BirthDate,
}

#[derive(DeriveIden, Clone, Copy)]
enum Organisations {
    Table,
    LicenceExpiresOn,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(StatisticsClock::Table)
                    .col(integer(StatisticsClock::Id).primary_key())
                    .col(date(StatisticsClock::CountedOn))
                    .take(),
            )
            .await?;
        let mut counts = Table::create();
        counts
            .table(GridCounts::Table)
            .col(string_len(GridCounts::GridCode, 24).primary_key());
        for column in counting::columns() {
            counts.col(integer(Alias::new(column)).default(0));
        }
        manager.create_table(counts).await?;
        manager
            .create_index(index(Residents::Table, &[Residents::BirthDate]))
            .await?;
        manager
            .create_index(index(
                Organisations::Table,
                &[Organisations::LicenceExpiresOn],
            ))
            .await?;

        let connection = manager.get_connection();
        let today = match backend {
            DbBackend::Postgres => "CAST(now() AT TIME ZONE 'UTC' AS date)",
            _ => "date('now')",
        };
        connection
            .execute_unprepared(&format!(
                "INSERT INTO statistics_clock (id, counted_on) VALUES (1, {today})"
            ))
            .await?;
        for statement in counting::recount(backend)
            .into_iter()
            .chain(counting::triggers(backend))
        {
            connection.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let connection = manager.get_connection();
        let backend = manager.get_database_backend();
        for statement in counting::drop_triggers(backend) {
            connection.execute_unprepared(&statement).await?;
        }
        if backend == DbBackend::Postgres {
            for table in ["residents", "dwellings", "organisations"] {
                connection
                    .execute_unprepared(&format!("DROP FUNCTION IF EXISTS count_{table}()"))
                    .await?;
            }
        }
        manager
            .drop_table(Table::drop().table(GridCounts::Table).take())
            .await?;
        manager
            .drop_table(Table::drop().table(StatisticsClock::Table).take())
            .await
    }
}
