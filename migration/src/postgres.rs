//! Changes only PostgreSQL takes: its own kinds of index and column, and
//! constraints SQLite keeps inside its tables.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// Runs `statements` in order on PostgreSQL; nothing on SQLite.
pub async fn only(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let connection = manager.get_connection();
    for statement in statements {
        connection.execute_unprepared(statement).await?;
    }
    Ok(())
}
