//! `gridgov seed`: builds the deterministic demo city, modelled on Yichang.
//!
//! The whole city is written in one transaction, so an interrupted seed
//! leaves the database as it was. Rows are generated grid by grid on a
//! thread of their own and written in bulk (`bulk`) as they accumulate,
//! so memory stays flat whatever the number of residents.

mod accounts;
mod bulk;
mod geography;
mod names;
mod population;
pub mod registries;
mod rng;
mod work;

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, TransactionTrait};

pub use accounts::{DEMO_PASSWORD, DEPARTMENT_KINDS};
pub use geography::{COMMUNITY_COUNT, DISTRICTS, GRID_COUNT};

use crate::bulk_writer::BulkWriter;
use crate::config::SeedConfig;
use crate::domain::registries::matching::{self, MatchKey};
use population::{Context, IdSequences, NextIds, Rows};
use rng::Rng;

/// Birth dates and ages are counted from this day, so the same seed builds
/// the same population whenever it runs. Case and task times follow the
/// clock, so that their deadlines and lights mean something on the day.
const CENSUS_DATE: (i32, u32, u32) = (2026, 11, 1);
/// Residents generated before the accumulated rows are written.
const FLUSH_EVERY: usize = 20_000;

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("the database already holds a city; seed only an empty one (or pass --reset)")]
    NotEmpty,
    #[error(transparent)]
    Database(#[from] DbErr),
    #[error(transparent)]
    Password(#[from] accounts::HashError),
    #[error(
        "the database's ID numbers are hashed with another match key: seed with the server's \
         --match-key (or its data directory)"
    )]
    OtherMatchKey,
    #[error("recording the match key: {0}")]
    MatchKey(String),
    #[error("writing the demo registries: {0}")]
    Registries(#[from] registries::WriteError),
    #[error("comparing the demo registries: {0}")]
    Comparison(String),
    #[error("making the people: {0}")]
    Maker(String),
}

/// What the seed wrote.
#[derive(Debug, Clone, Default)]
pub struct SeedReport {
    pub areas: usize,
    pub grids: usize,
    pub users: usize,
    pub buildings: i64,
    pub dwellings: i64,
    pub households: i64,
    pub residents: i64,
    pub organisations: i64,
    pub cases: i64,
    pub tasks: usize,
    pub elapsed: Duration,
}

impl std::fmt::Display for SeedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} areas, {} grids, {} users, {} buildings, {} dwellings, {} households, \
             {} residents, {} organisations, {} cases, {} tasks in {:.1} s",
            self.areas,
            self.grids,
            self.users,
            self.buildings,
            self.dwellings,
            self.households,
            self.residents,
            self.organisations,
            self.cases,
            self.tasks,
            self.elapsed.as_secs_f64()
        )
    }
}

/// How the seed reports progress: a bar on a terminal, a few lines in a log,
/// nothing in tests.
pub enum Progress {
    Bar,
    Lines,
    Silent,
}

impl Progress {
    pub fn from_terminal() -> Progress {
        if std::io::stderr().is_terminal() {
            Progress::Bar
        } else {
            Progress::Lines
        }
    }

    fn residents_bar(&self, total: u64) -> ProgressBar {
        match self {
            Progress::Bar => {
                let bar = ProgressBar::new(total);
                bar.set_style(
                    ProgressStyle::with_template(
                        "{msg:>10} [{bar:40}] {human_pos}/{human_len} residents ({per_sec}, {eta} left)",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                bar.set_message("seeding");
                bar
            }
            Progress::Lines | Progress::Silent => ProgressBar::hidden(),
        }
    }

    fn line(&self, message: &str) {
        match self {
            Progress::Bar | Progress::Lines => eprintln!("seed: {message}"),
            Progress::Silent => {}
        }
    }
}

/// Writes the demo's registry files into `data_dir`, imports them and
/// compares the city with them, unless `config` says not to.
pub async fn demo_registries(
    db: &DatabaseConnection,
    config: &SeedConfig,
    seal: &crate::audit::Seal,
    key: &MatchKey,
    data_dir: &std::path::Path,
    progress: &Progress,
) -> Result<(), SeedError> {
    if config.no_registries {
        return Ok(());
    }
    let dir = registries::directory(data_dir);
    progress.line(&format!(
        "registries with planted discrepancies in {}",
        dir.display()
    ));
    registries::write(db, &dir, config.seed).await?;
    progress.line("importing them and comparing the city with them");
    registries::import_and_compare(db, seal, key, &dir)
        .await
        .map_err(|err| {
            // The message a client would be given hides a fault's detail;
            // the operator seeding needs it.
            SeedError::Comparison(match err {
                crate::error::ApiError::Internal(inner) => format!("{inner:#}"),
                other => other.message(),
            })
        })
}

/// Builds the demo city into an empty database.
/// Residents' ID numbers are hashed under `key` as they are written.
pub async fn run(
    db: &DatabaseConnection,
    config: &SeedConfig,
    key: &MatchKey,
    progress: Progress,
) -> Result<SeedReport, SeedError> {
    if !crate::db::is_empty(db).await? {
        return Err(SeedError::NotEmpty);
    }
    if !matching::same_key(db, key)
        .await
        .map_err(|err| SeedError::MatchKey(err.message()))?
    {
        return Err(SeedError::OtherMatchKey);
    }
    let started = Instant::now();
    let now = Utc::now();
    let census_date = NaiveDate::from_ymd_opt(CENSUS_DATE.0, CENSUS_DATE.1, CENSUS_DATE.2)
        .unwrap_or(NaiveDate::MIN);
    let root = Rng::new(config.seed);
    let batch = config.batch.clamp(1, 2_000);
    let map = geography::city_map();
    let mut report = SeedReport {
        areas: map.areas.len(),
        grids: map.grids.len(),
        ..SeedReport::default()
    };

    let txn = db.begin().await?;
    // Parents are always written before the rows that point at them; the
    // large tables' foreign keys are in any case dropped while they load
    // and checked whole when added back (`bulk`).
    let is_sqlite = db.get_database_backend() == DbBackend::Sqlite;
    // The grids' statistics are counted once at the end, not row by row
    // (which made the full city's seed four times slower on PostgreSQL).
    let backend = db.get_database_backend();
    for statement in migration::counting::drop_triggers(backend) {
        txn.execute_unprepared(&statement).await?;
    }
    let deferred = bulk::defer(&txn, BULK_TABLES).await?;
    let writer = std::sync::Arc::new(BulkWriter::new(&txn, batch).await?);
    writer.plan_generically(&txn).await?;

    progress.line(&format!(
        "{} districts, {} communities, {} grids",
        DISTRICTS.len(),
        COMMUNITY_COUNT,
        GRID_COUNT
    ));
    let mut area_rows: Vec<entities::area::ActiveModel> = map
        .areas
        .iter()
        .map(|area| entities::area::ActiveModel {
            code: sea_orm::ActiveValue::Set(area.code.clone()),
            name: sea_orm::ActiveValue::Set(area.name.clone()),
            level: sea_orm::ActiveValue::Set(area.level),
            parent_code: sea_orm::ActiveValue::Set(area.parent_code.clone()),
        })
        .collect();
    // Parents before children: districts, streets, then communities.
    area_rows.sort_by_key(|area| match &area.code {
        sea_orm::ActiveValue::Set(code) => (code.len(), code.clone()),
        _ => (0, String::new()),
    });
    writer.insert(&txn, area_rows).await?;

    let mut accounts = accounts::accounts(&mut root.fork(1), &map, now)?;
    report.users = accounts.users.len();
    let departments: Vec<(i64, String, String)> = accounts
        .departments
        .iter()
        .filter_map(|d| match (&d.id, &d.code, &d.jurisdiction_code) {
            (
                sea_orm::ActiveValue::Set(id),
                sea_orm::ActiveValue::Set(code),
                sea_orm::ActiveValue::Set(area),
            ) => Some((*id, code.clone(), area.clone())),
            _ => None,
        })
        .collect();
    writer
        .insert(&txn, std::mem::take(&mut accounts.departments))
        .await?;
    writer
        .insert(&txn, std::mem::take(&mut accounts.users))
        .await?;
    crate::auth::policy_store::insert_rules(&txn, &accounts.assignments).await?;
    crate::auth::policy_history::record_added(
        &txn,
        entities::policy_version::VersionKind::Seed,
        "the demo city's role assignments",
        &accounts.assignments,
    )
    .await?;
    progress.line(&format!(
        "{} accounts (password \"{DEMO_PASSWORD}\"), {} departments, {} role assignments",
        report.users,
        departments.len(),
        accounts.assignments.len()
    ));

    let grid_rows: Vec<entities::grid::ActiveModel> = map
        .grids
        .iter()
        .map(|grid| entities::grid::ActiveModel {
            code: sea_orm::ActiveValue::Set(grid.code.clone()),
            community_code: sea_orm::ActiveValue::Set(grid.community_code.clone()),
            name: sea_orm::ActiveValue::Set(grid.name.clone()),
            boundary: sea_orm::ActiveValue::Set(Some(grid.boundary.clone())),
            worker_id: sea_orm::ActiveValue::Set(accounts.worker_of_grid.get(&grid.code).copied()),
        })
        .collect();
    writer.insert(&txn, grid_rows).await?;

    let catalogue = work::catalogue();
    writer.insert(&txn, catalogue.categories.clone()).await?;
    writer.insert(&txn, catalogue.limits.clone()).await?;
    writer.insert(&txn, catalogue.calendar_days.clone()).await?;

    // Residents per grid: the total shared out by a weight per grid.
    let residents_per_grid = share_out(&mut root.fork(2), config.residents, map.grids.len());
    let bar = progress.residents_bar(u64::from(config.residents));
    progress.line(&format!("{} residents", config.residents));
    // The people, and the statements that write them, are made on a thread
    // of their own while the database writes the grids made before.
    let (sender, mut made) = tokio::sync::mpsc::channel::<(usize, Vec<sea_orm::Statement>)>(1);
    let maker = Maker {
        map,
        residents_per_grid: residents_per_grid.clone(),
        root: root.clone(),
        census_date,
        now,
        key: key.clone(),
        writer: writer.clone(),
    };
    let maker = tokio::task::spawn_blocking(move || maker.run(&sender));
    let mut written = 0;
    let mut reported_tenths = 0;
    while let Some((residents, statements)) = made.recv().await {
        written += residents;
        bar.inc(residents as u64);
        crate::bulk_writer::execute(&txn, statements).await?;
        let tenths = written * 10 / (config.residents.max(1) as usize);
        if matches!(progress, Progress::Lines) && tenths > reported_tenths {
            reported_tenths = tenths;
            progress.line(&format!("{written} residents written"));
        }
    }
    let (map, ids) = maker
        .await
        .map_err(|err| SeedError::Maker(err.to_string()))?;
    bar.finish_and_clear();

    let mut case_ids = work::CaseIds::default();
    let mut case_rows = work::CaseRows::default();
    for (index, (grid, residents)) in map.grids.iter().zip(&residents_per_grid).enumerate() {
        let mut rng = root.fork(5_000_000 + index as u64);
        // About one case for every 60 people over the weeks the demo
        // covers.
        let count = (residents / 60).max(2);
        work::cases_for_grid(
            &mut rng,
            grid,
            count,
            &catalogue,
            &accounts,
            now,
            &mut case_ids,
            &mut case_rows,
        );
    }
    progress.line(&format!("{} cases", case_ids.case));
    writer
        .insert(&txn, std::mem::take(&mut case_rows.cases))
        .await?;
    writer
        .insert(&txn, std::mem::take(&mut case_rows.steps))
        .await?;

    let grids_with_residents: Vec<(&geography::GridRow, u32)> = map
        .grids
        .iter()
        .zip(residents_per_grid.iter().copied())
        .collect();
    let task_rows = work::tasks(
        &mut root.fork(3),
        &grids_with_residents,
        &accounts,
        &departments,
        now,
    );
    report.tasks = task_rows.tasks.len();
    writer.insert(&txn, task_rows.tasks).await?;
    writer.insert(&txn, task_rows.assignments).await?;
    writer.insert(&txn, task_rows.feedback).await?;

    if !is_sqlite {
        restart_sequences(&txn).await?;
    }
    progress.line("building the indexes");
    deferred.restore(&txn).await?;
    progress.line("counting the grids' statistics");
    for statement in migration::counting::recount(backend)
        .into_iter()
        .chain(migration::counting::triggers(backend))
    {
        txn.execute_unprepared(&statement).await?;
    }
    progress.line("committing");
    txn.commit().await?;
    // Fresh statistics for the planner, and on SQLite the WAL folded back
    // into the database file rather than left at the size of the whole city.
    // On PostgreSQL only the city's own tables: a bare ANALYZE also visits
    // the shared catalogues, which only a superuser may, and says so.
    let analyze = if is_sqlite {
        "ANALYZE".to_owned()
    } else {
        format!("ANALYZE {}", CITY_TABLES.join(", "))
    };
    db.execute_unprepared(&analyze).await?;
    if is_sqlite {
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await?;
    }

    report.buildings = ids.building;
    report.dwellings = ids.dwelling;
    report.households = ids.household;
    report.residents = ids.resident;
    report.organisations = ids.organisation;
    report.cases = case_ids.case;
    report.elapsed = started.elapsed();
    let _ = accounts.admin_id;
    Ok(report)
}

/// Splits `total` over `parts` with weights between 0.6 and 1.4, exactly.
fn share_out(rng: &mut Rng, total: u32, parts: usize) -> Vec<u32> {
    let weights: Vec<f64> = (0..parts).map(|_| 0.6 + 0.8 * rng.unit()).collect();
    let sum: f64 = weights.iter().sum();
    let mut shares: Vec<u32> = weights
        .iter()
        .map(|w| (f64::from(total) * w / sum).floor() as u32)
        .collect();
    let mut missing = total - shares.iter().sum::<u32>();
    let mut index = 0;
    while missing > 0 {
        shares[index % parts] += 1;
        missing -= 1;
        index += 1;
    }
    shares
}

/// What the people are made from, on their own thread.
struct Maker {
    map: geography::CityMap,
    residents_per_grid: Vec<u32>,
    root: Rng,
    census_date: NaiveDate,
    now: chrono::DateTime<Utc>,
    key: MatchKey,
    writer: std::sync::Arc<BulkWriter>,
}

impl Maker {
    /// Makes every grid's people and homes, hashes their ID numbers, and hands
    /// on the statements that write them (with the number of residents they
    /// hold) `FLUSH_EVERY` residents or so at a time. Stops early when the
    /// receiving loop is gone (a write failed). Gives back the map and the
    /// last id of each table.
    fn run(
        self,
        sender: &tokio::sync::mpsc::Sender<(usize, Vec<sea_orm::Statement>)>,
    ) -> (geography::CityMap, NextIds) {
        let Maker {
            map,
            residents_per_grid,
            root,
            census_date,
            now,
            key,
            writer,
        } = self;
        let mut ids = NextIds::default();
        let mut id_sequences = IdSequences::default();
        let mut rows = Rows::default();
        for (index, (grid, residents)) in map.grids.iter().zip(&residents_per_grid).enumerate() {
            let mut rng = root.fork(1_000 + index as u64);
            let mut context = Context {
                census_date,
                now,
                ids: &mut ids,
                id_sequences: &mut id_sequences,
            };
            population::populate_grid(&mut rng, grid, *residents, &mut context, &mut rows);
            let last = index + 1 == map.grids.len();
            if rows.residents.len() >= FLUSH_EVERY || last {
                for resident in &mut rows.residents {
                    if let sea_orm::ActiveValue::Set(number) = &resident.id_number {
                        resident.id_hash = sea_orm::ActiveValue::Set(Some(key.of(number)));
                    }
                }
                let Rows {
                    buildings,
                    dwellings,
                    households,
                    residents,
                    organisations,
                } = std::mem::take(&mut rows);
                let count = residents.len();
                let mut statements = writer.statements(buildings);
                statements.extend(writer.statements(dwellings));
                statements.extend(writer.statements(households));
                statements.extend(writer.statements(residents));
                statements.extend(writer.statements(organisations));
                if sender.blocking_send((count, statements)).is_err() {
                    break;
                }
            }
        }
        (map, ids)
    }
}

/// The seed gives ids itself; PostgreSQL's sequences must then start after them.
async fn restart_sequences<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    for table in [
        "departments",
        "users",
        "buildings",
        "dwellings",
        "households",
        "residents",
        "organisations",
        "cases",
        "case_steps",
        "tasks",
        "task_assignments",
        "task_feedback",
    ] {
        db.execute_unprepared(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
             GREATEST((SELECT MAX(id) FROM {table}), 1))"
        ))
        .await?;
    }
    Ok(())
}

/// The tables written tens of thousands of rows at a time, whose indexes
/// are built after.
const BULK_TABLES: &[&str] = &[
    "buildings",
    "dwellings",
    "households",
    "residents",
    "organisations",
    "cases",
    "case_steps",
];

/// The tables the seed fills.
const CITY_TABLES: &[&str] = &[
    "areas",
    "grids",
    "departments",
    "users",
    "casbin_rule",
    "buildings",
    "dwellings",
    "households",
    "residents",
    "organisations",
    "case_categories",
    "case_time_limits",
    "calendar_days",
    "cases",
    "case_steps",
    "tasks",
    "task_assignments",
    "task_feedback",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_exactly() {
        let shares = share_out(&mut Rng::new(1), 600_000, GRID_COUNT);
        assert_eq!(shares.iter().sum::<u32>(), 600_000);
        assert!(shares.iter().all(|share| (300..=800).contains(share)));
        let shares = share_out(&mut Rng::new(1), 7, 10);
        assert_eq!(shares.iter().sum::<u32>(), 7);
    }
}
