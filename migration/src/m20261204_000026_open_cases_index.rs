//! Open cases by grid: the screen's lights count an area's open cases, and
//! the state index alone made them read every open case of the city to
//! keep the area's. A partial index holds only the open ones, by grid. Its
//! states are `cases::machine::OPEN` as they stand today: a state added to
//! that list needs a migration that rebuilds this index.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const OPEN_STATES: &str = "'reported', 'verified', 'filed', 'dispatched', 'in_progress', 'suspended', 'handled', 'checked'";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX ix_cases_open_grid_code ON cases (grid_code) WHERE state IN ({OPEN_STATES})"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ix_cases_open_grid_code")
            .await?;
        Ok(())
    }
}
