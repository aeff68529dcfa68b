//! Loading the city's large tables fast: their secondary indexes (and on
//! PostgreSQL their foreign keys) are dropped inside the seed's transaction
//! and built again, from their own definitions as the database reports
//! them, once the rows are in. One sort per index is far cheaper than
//! inserting 600,000 rows into a dozen B-trees in random order, and a
//! foreign key added to a full table is checked in one join instead of a
//! lookup per row. Primary keys and unique indexes stay: they guard the
//! load itself. An interrupted seed rolls all of it back. Dropping an index
//! locks its table until the seed commits, which is only ever into an empty
//! database before anything serves it. The rows themselves go in through
//! [`crate::bulk_writer`].

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

/// What `defer` dropped, to be built again by `restore`.
#[must_use = "the dropped indexes must be built again"]
pub struct Deferred {
    indexes: Vec<String>,
    foreign_keys: Vec<String>,
}

/// Drops the secondary (not unique) indexes and, on PostgreSQL, the foreign
/// keys of `tables`.
pub async fn defer<C: ConnectionTrait>(db: &C, tables: &[&str]) -> Result<Deferred, DbErr> {
    let backend = db.get_database_backend();
    let names = tables
        .iter()
        .map(|table| format!("'{table}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let (indexes, foreign_keys) = match backend {
        DbBackend::Sqlite => (
            rows(
                db,
                &format!(
                    "SELECT name, sql FROM sqlite_master \
                     WHERE type = 'index' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' \
                     AND tbl_name IN ({names})"
                ),
            )
            .await?,
            // SQLite checks a foreign key by the parent's primary key, which
            // stays; its constraints cannot be dropped without rebuilding
            // the table.
            Vec::new(),
        ),
        _ => (
            rows(
                db,
                &format!(
                    "SELECT i.relname::text, pg_get_indexdef(x.indexrelid) FROM pg_index x \
                     JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
                     WHERE t.relnamespace = current_schema()::regnamespace AND t.relname IN ({names}) \
                     AND NOT x.indisunique \
                     AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
                ),
            )
            .await?,
            rows(
                db,
                &format!(
                    "SELECT 'ALTER TABLE ' || quote_ident(t.relname) || ' DROP CONSTRAINT ' \
                            || quote_ident(c.conname), \
                            'ALTER TABLE ' || quote_ident(t.relname) || ' ADD CONSTRAINT ' \
                            || quote_ident(c.conname) || ' ' || pg_get_constraintdef(c.oid) \
                     FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
                     WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace \
                     AND t.relname IN ({names})"
                ),
            )
            .await?,
        ),
    };
    for (drop, _) in &foreign_keys {
        db.execute_unprepared(drop).await?;
    }
    for (name, _) in &indexes {
        db.execute_unprepared(&format!("DROP INDEX \"{name}\""))
            .await?;
    }
    if backend == DbBackend::Postgres {
        // Room to sort each index in memory, for this transaction only.
        db.execute_unprepared("SET LOCAL maintenance_work_mem = '256MB'")
            .await?;
    }
    Ok(Deferred {
        indexes: indexes.into_iter().map(|(_, sql)| sql).collect(),
        foreign_keys: foreign_keys.into_iter().map(|(_, sql)| sql).collect(),
    })
}

impl Deferred {
    /// Builds the indexes, then checks and adds the foreign keys.
    pub async fn restore<C: ConnectionTrait>(self, db: &C) -> Result<(), DbErr> {
        for sql in self.indexes.iter().chain(&self.foreign_keys) {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }
}

/// The two text columns of `sql`'s rows.
async fn rows<C: ConnectionTrait>(db: &C, sql: &str) -> Result<Vec<(String, String)>, DbErr> {
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .iter()
        .map(|row| Ok((row.try_get_by_index(0)?, row.try_get_by_index(1)?)))
        .collect()
}
