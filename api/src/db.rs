//! Connecting to the database and bringing its schema up to date.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    PaginatorTrait, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::config::DatabaseConfig;

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot connect to {url}: {source}")]
    Connect { url: String, source: sea_orm::DbErr },
    #[error("migrating the database failed: {0}")]
    Migrate(sea_orm::DbErr),
    #[error(
        "{url} is not at this version's schema ({pending} migrations pending): run `gridgov migrate`, or start the server, which migrates"
    )]
    NotCurrent { url: String, pending: usize },
}

/// Opens a pool on the configured database. For the embedded SQLite file the
/// data directory is created first and WAL mode switched on, so that readers
/// never wait for the writer.
pub async fn connect(config: &DatabaseConfig) -> Result<DatabaseConnection, DbSetupError> {
    open(config, config.db_max_connections, true, Plans::PerExecution).await
}

/// The pool for statements whose best plan is the same whatever the
/// caller's scope, beside the one [`connect`] opened: reads by key (ids,
/// parent ids, grid codes: the key's index, the scope a filter on the few
/// rows found) and pages with no filter in the order of the index their
/// scope is a range of. On PostgreSQL its connections keep each
/// statement's plan instead of planning every execution, which cost more
/// than running a lookup by id (0.10 ms against 0.01 ms, measured under
/// load). SQLite keeps its prepared statements anyway: there it is the
/// same pool. The same size as the other, since a request may use either
/// alone.
pub async fn connect_planned_once(
    config: &DatabaseConfig,
    general: &DatabaseConnection,
) -> Result<DatabaseConnection, DbSetupError> {
    if general.get_database_backend() != DbBackend::Postgres {
        return Ok(general.clone());
    }
    open(config, config.db_max_connections, true, Plans::Kept).await
}

/// Connections of the work that runs beside requests: the two listeners
/// (events, policy changes) each hold one for good, and the audit chainer,
/// the policy reloads, the event announcer and the resumer of comparisons
/// share the rest.
const BACKGROUND_CONNECTIONS: u32 = 4;

/// A pool for the server's own work, apart from the requests' pools: a
/// request never waits behind the chainer or a listener for a connection,
/// and the chainer and the announcer are not starved by a burst of
/// requests (an announcement that cannot be made in time is a gap every
/// subscriber sees). `--db-max-connections` counts requests' connections
/// only, so even 1 serves.
pub async fn connect_background(
    config: &DatabaseConfig,
) -> Result<DatabaseConnection, DbSetupError> {
    open(config, BACKGROUND_CONNECTIONS, true, Plans::PerExecution).await
}

/// A request's two pools on one database: the general one, and the one
/// whose plans are made once (see [`connect_planned_once`]).
#[derive(Clone)]
pub struct Pools {
    pub general: DatabaseConnection,
    pub planned_once: DatabaseConnection,
}

impl Pools {
    /// Both on one pool, as on SQLite.
    pub fn single(db: DatabaseConnection) -> Pools {
        Pools {
            planned_once: db.clone(),
            general: db,
        }
    }
}

/// Whether PostgreSQL plans a prepared statement at every execution or
/// keeps the plan it made once.
#[derive(Clone, Copy)]
enum Plans {
    PerExecution,
    Kept,
}

/// [`connect`] for the commands that work on a record the server keeps:
/// refused, before anything is read or written, when the schema is not
/// this version's (a wrong `--database-url`, a fresh data directory).
pub async fn connect_current(config: &DatabaseConfig) -> Result<DatabaseConnection, DbSetupError> {
    let url = config.url();
    if let Some(file) = url.strip_prefix("sqlite://")
        && let Some(path) = file.split('?').next()
        && !std::path::Path::new(path).exists()
    {
        return Err(DbSetupError::NotCurrent {
            url: config.url_for_display(),
            pending: Migrator::migrations().len(),
        });
    }
    let db = connect(config).await?;
    let pending = Migrator::get_pending_migrations_read_only(&db)
        .await
        .map_err(DbSetupError::Migrate)?
        .len();
    if pending > 0 {
        return Err(DbSetupError::NotCurrent {
            url: config.url_for_display(),
            pending,
        });
    }
    Ok(db)
}

/// A pooled connection idle this long is tried before use.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// When a connection to the database was last found lost, in milliseconds
/// since [`CLOCK`]'s start; 0 for never.
static LOST_AT: AtomicU64 = AtomicU64::new(0);
static CLOCK: OnceLock<Instant> = OnceLock::new();

fn since_start() -> u64 {
    let started = CLOCK.get_or_init(Instant::now);
    u64::try_from(started.elapsed().as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// Says that a connection was found lost (not a pool merely busy): the
/// PostgreSQL pools try each connection idle since then before handing it
/// out. Process-wide: every pool of the process is told, which for
/// several servers on one database (tests) costs at most a round trip per
/// connection.
pub fn connection_lost() {
    LOST_AT.store(since_start(), Ordering::Relaxed);
}

/// How long ago a connection was last found lost, if ever.
fn lost_ago() -> Option<Duration> {
    let lost = LOST_AT.load(Ordering::Relaxed);
    (lost != 0).then(|| Duration::from_millis(since_start().saturating_sub(lost)))
}

/// A pool of `max_connections`, with SQLite's foreign keys enforced or not.
async fn open(
    config: &DatabaseConfig,
    max_connections: u32,
    foreign_keys: bool,
    plans: Plans,
) -> Result<DatabaseConnection, DbSetupError> {
    let url = config.url();
    if url.starts_with("sqlite:") && config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir).map_err(|source| DbSetupError::DataDir {
            path: config.data_dir.display().to_string(),
            source,
        })?;
    }
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_millis(config.db_acquire_timeout_ms))
        .acquire_timeout(Duration::from_millis(config.db_acquire_timeout_ms))
        // A connection is tried before use only when it has been idle a
        // while (a database restarted, a firewall's timeout): tried before
        // every use, a page with its relations paid a round trip per
        // statement for it. One dropped while busy fails its request with
        // the retryable UNAVAILABLE and leaves the pool.
        .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR)
        // Connections stay open once made (see [`warm`]): closed when idle
        // or old, each would be opened again for a waiting request.
        .idle_timeout(None)
        .max_lifetime(None)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |sqlite| {
            sqlite
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(foreign_keys)
        })
        // A connection lost on one request says the others idle beside it
        // may be lost too (a restarted database, a cut network): each one
        // idle since before the loss is tried before use, not only those
        // idle a second, so that once the database is back no request is
        // handed one that died a moment ago. Once per connection and loss:
        // a connection used since is idle for less than that.
        .map_sqlx_postgres_before_acquire(|connection, meta| {
            Box::pin(async move {
                if meta.idle_for < PING_IF_IDLE_FOR
                    && lost_ago().is_some_and(|ago| meta.idle_for >= ago)
                {
                    use sea_orm::sqlx::Connection;
                    connection.ping().await?;
                }
                Ok(true)
            })
        })
        // One statement text serves callers whose scopes differ a
        // thousandfold in size (a grid, a district, the city): a plan cached
        // for one is wrong for another, so PostgreSQL plans each execution,
        // except on the pool for statements with one plan for every scope
        // (see `connect_planned_once`).
        .map_sqlx_postgres_opts(move |postgres| {
            postgres.options([(
                "plan_cache_mode",
                match plans {
                    Plans::PerExecution => "force_custom_plan",
                    Plans::Kept => "force_generic_plan",
                },
            )])
        });
    Database::connect(options)
        .await
        .map_err(|source| DbSetupError::Connect {
            url: config.url_for_display(),
            source,
        })
}

/// Opens `connections` of `db`'s pool at once, before any request: the
/// pool otherwise grows while the first burst waits, and a connection
/// opened for a waiting request (sqlx opens it inside the waiter's
/// acquire) on a saturated machine could outlast the waiter's timeout, be
/// dropped with it, and leave the next waiter to try again. The mixed
/// workload at 64 clients had a refusal every two seconds from a pool still
/// growing, none from a full one. Not fatal: a pool that could not open
/// them all grows on demand, as before.
pub async fn warm(db: &DatabaseConnection, connections: u32) {
    let opened = match db.get_database_backend() {
        DbBackend::Postgres => hold_all(db.get_postgres_connection_pool(), connections).await,
        DbBackend::Sqlite => hold_all(db.get_sqlite_connection_pool(), connections).await,
        _ => Ok(()),
    };
    if let Err(err) = opened {
        tracing::warn!(error = %err, "cannot open the pool's connections at start; opening them as needed");
    }
}

/// Takes `connections` of `pool` at once (opening those it lacks), then
/// gives them back.
async fn hold_all<DB: sea_orm::sqlx::Database>(
    pool: &sea_orm::sqlx::Pool<DB>,
    connections: u32,
) -> Result<(), sea_orm::sqlx::Error> {
    futures_util::future::try_join_all((0..connections).map(|_| pool.acquire()))
        .await
        .map(drop)
}

/// Starts the transaction of one mutation. SQLite takes its write lock at
/// `BEGIN` (waiting up to the busy timeout): a deferred transaction that
/// read first and wrote second would fail at once if another writer had
/// committed in between. PostgreSQL ignores the mode.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, sea_orm::DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Serialises the transactions that name the same `key` until they end:
/// for work that reads, then writes what it read ("the next free number",
/// "fewer than ten attempts"). SQLite's write transactions already run one
/// at a time; PostgreSQL takes an advisory lock on the key.
pub async fn serialise(txn: &DatabaseTransaction, key: &str) -> Result<(), sea_orm::DbErr> {
    use sea_orm::{ConnectionTrait, Statement};
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            [key.into()],
        ))
        .await?;
    }
    Ok(())
}

/// Applies every migration not yet applied.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbSetupError> {
    Migrator::up(db, None).await.map_err(DbSetupError::Migrate)
}

/// Names of the migrations already applied and of those still pending.
pub async fn migration_status(
    db: &DatabaseConnection,
) -> Result<(Vec<String>, Vec<String>), DbSetupError> {
    let applied = Migrator::get_applied_migrations(db)
        .await
        .map_err(DbSetupError::Migrate)?
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let pending = Migrator::get_pending_migrations(db)
        .await
        .map_err(DbSetupError::Migrate)?
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    Ok((applied, pending))
}

/// Whether the city has no areas yet, i.e. nothing has been seeded or imported.
pub async fn is_empty(db: &DatabaseConnection) -> Result<bool, sea_orm::DbErr> {
    Ok(entities::area::Entity::find().count(db).await? == 0)
}

pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Postgres => "postgres",
        DbBackend::Sqlite => "sqlite",
        _ => "other",
    }
}

/// Drops every table and applies all migrations afresh. On SQLite this runs
/// on one connection with foreign keys off, since dropping a table that
/// others point at would otherwise fail.
pub async fn reset(config: &DatabaseConfig) -> Result<(), DbSetupError> {
    let db = open(config, 1, false, Plans::PerExecution).await?;
    Migrator::fresh(&db).await.map_err(DbSetupError::Migrate)?;
    let _ = db.close().await;
    Ok(())
}
