//! Indexes for the orderings residents can be listed in besides (grid, id):
//! a keyset page by (column, id) is an index range scan, not a sort of the
//! city.

use sea_orm_migration::prelude::*;

use crate::columns::index;
use crate::m20261126_000002_population::Residents;

#[derive(DeriveMigrationName)]
pub struct Migration;

const ORDERINGS: [Residents; 3] = [Residents::Name, Residents::BirthDate, Residents::UpdatedAt];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ORDERINGS {
            manager
                .create_index(index(Residents::Table, &[column, Residents::Id]))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ORDERINGS {
            let name = index(Residents::Table, &[column, Residents::Id])
                .get_index_spec()
                .get_name()
                .unwrap_or_default()
                .to_owned();
            manager
                .drop_index(Index::drop().name(name).table(Residents::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}
