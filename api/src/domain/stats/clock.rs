//! The day the per-grid counts are counted as of, and bringing it forward.
//!
//! Triggers count a resident's age band and an organisation's licence
//! state as of `statistics_clock`'s day (see `migration::counting`). Moving
//! that day to today moves, in one transaction, exactly the rows whose band
//! or state changed in between: residents born in a range below each band's
//! first birthday (found through the birth date index) and licences that
//! expired. Nothing scans the residents, and a day skipped is caught up.

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};
use entities::{grid_count, organisation, resident};
use migration::counting::BAND_STARTS;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, FromQueryResult,
    IsolationLevel, QueryFilter, QuerySelect, Statement, TransactionOptions, TransactionTrait,
};

use crate::domain::residents::age;
use crate::error::{ApiError, ApiResult};

/// The day the counts are counted as of.
pub async fn counted_on(db: &impl ConnectionTrait) -> ApiResult<Option<NaiveDate>> {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT counted_on FROM statistics_clock WHERE id = 1",
        ))
        .await?;
    Ok(match row {
        Some(row) => Some(row.try_get::<NaiveDate>("", "counted_on")?),
        None => None,
    })
}

/// The band `birth` is in on `day`; `None` before birth.
fn band(birth: NaiveDate, day: NaiveDate) -> Option<usize> {
    let years = age(birth, day);
    let years = u32::try_from(years).ok()?;
    BAND_STARTS.iter().rposition(|start| years >= *start)
}

/// `years` before `day`, as the age bands count them.
fn years_before(day: NaiveDate, years: u32) -> Option<NaiveDate> {
    day.checked_sub_months(Months::new(years * 12))
}

#[derive(Debug, FromQueryResult)]
struct Crossing {
    grid_code: String,
    sex: resident::Sex,
    birth_date: NaiveDate,
}

#[derive(Debug, FromQueryResult)]
struct Expiries {
    grid_code: String,
    expired: i64,
}

/// Brings the counts forward to `today`. Another replica doing the same at
/// once is harmless: only one moves the clock, and the other finds it moved.
pub async fn bring_forward(db: &DatabaseConnection, today: NaiveDate) -> ApiResult<()> {
    // Without the clock's row the triggers count no age and no licence:
    // a database broken beneath the API, not a day with nothing to move.
    let from = counted_on(db)
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("statistics_clock has no row")))?;
    if from >= today {
        return Ok(());
    }
    let txn = db.begin().await?;
    let backend = txn.get_database_backend();
    let clock = Alias::new("statistics_clock");
    let day = Alias::new("counted_on");
    let moved = txn
        .execute_raw(
            backend.build(
                Query::update()
                    .table(clock)
                    .value(day.clone(), today)
                    .and_where(Expr::col(Alias::new("id")).eq(1))
                    .and_where(Expr::col(day).eq(from)),
            ),
        )
        .await?;
    if moved.rows_affected() == 0 {
        return Ok(());
    }

    // Residents whose band changed: for each band's first age, born after
    // that many years before `from` and no later than that many before today.
    let mut crossed = sea_orm::Condition::any();
    for start in BAND_STARTS {
        if let (Some(after), Some(until)) = (years_before(from, start), years_before(today, start))
        {
            crossed = crossed.add(
                resident::Column::BirthDate
                    .gt(after)
                    .and(resident::Column::BirthDate.lte(until)),
            );
        }
    }
    let crossings = resident::Entity::find()
        .select_only()
        .columns([
            resident::Column::GridCode,
            resident::Column::Sex,
            resident::Column::BirthDate,
        ])
        .filter(resident::Column::Status.eq(resident::ResidentStatus::Active))
        .filter(crossed)
        .into_model::<Crossing>()
        .all(&txn)
        .await?;
    let mut deltas: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for crossing in crossings {
        let sex = match crossing.sex {
            resident::Sex::Male => "men",
            resident::Sex::Female => "women",
        };
        let grid = deltas.entry(crossing.grid_code).or_default();
        if let Some(band) = band(crossing.birth_date, from) {
            *grid.entry(format!("{sex}_{band}")).or_default() -= 1;
        }
        if let Some(band) = band(crossing.birth_date, today) {
            *grid.entry(format!("{sex}_{band}")).or_default() += 1;
        }
    }

    let expiries = organisation::Entity::find()
        .select_only()
        .column(organisation::Column::GridCode)
        .column_as(organisation::Column::Id.count(), "expired")
        .filter(organisation::Column::LicenceNumber.is_not_null())
        .filter(organisation::Column::LicenceExpiresOn.gte(from))
        .filter(organisation::Column::LicenceExpiresOn.lt(today))
        .group_by(organisation::Column::GridCode)
        .into_model::<Expiries>()
        .all(&txn)
        .await?;
    for expiry in expiries {
        let grid = deltas.entry(expiry.grid_code).or_default();
        *grid.entry("licence_valid".to_owned()).or_default() -= expiry.expired;
        *grid.entry("licence_expired".to_owned()).or_default() += expiry.expired;
    }

    for (grid, columns) in deltas {
        let mut update = Query::update();
        update
            .table(grid_count::Entity)
            .and_where(Expr::col(grid_count::Column::GridCode).eq(grid));
        let mut changed = false;
        for (column, delta) in columns.into_iter().filter(|(_, delta)| *delta != 0) {
            update.value(
                Alias::new(column.as_str()),
                Expr::col(Alias::new(column.as_str())).add(delta),
            );
            changed = true;
        }
        if changed {
            txn.execute_raw(backend.build(&update)).await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// What a recount found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recounted {
    /// Grids counted.
    pub grids: usize,
    /// The day the counts are as of.
    pub counted_on: Option<NaiveDate>,
    /// Grids whose kept counts were not those of the record, by code.
    pub differed: Vec<String>,
}

/// Counts every grid afresh from the record as of the clock's day, in one
/// transaction, and names the grids whose kept counts differed: for after a
/// backup is restored or the database edited by hand. With `keep` false
/// nothing is changed (the transaction is rolled back): a check.
///
/// Safe beside a running server: the counts are locked against writers
/// first (SQLite's write lock; on PostgreSQL an exclusive lock on
/// `grid_counts`, which every change's trigger and the clock's move must
/// wait for), and only then is the record read, in one snapshot. A change
/// not yet committed is in neither the recount nor the kept counts, and
/// moves the recounted ones once it commits.
pub async fn recount(db: &DatabaseConnection, keep: bool) -> ApiResult<Recounted> {
    let backend = db.get_database_backend();
    let txn = match backend {
        DbBackend::Postgres => {
            db.begin_with_options(TransactionOptions {
                isolation_level: Some(IsolationLevel::RepeatableRead),
                ..TransactionOptions::default()
            })
            .await?
        }
        _ => crate::db::begin_write(db).await?,
    };
    if backend == DbBackend::Postgres {
        // Before anything reads: the snapshot is taken after the lock.
        txn.execute_unprepared("LOCK TABLE grid_counts IN EXCLUSIVE MODE")
            .await?;
    }
    let kept: BTreeMap<String, grid_count::Model> = grid_count::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .map(|row| (row.grid_code.clone(), row))
        .collect();
    for statement in migration::counting::recount(txn.get_database_backend()) {
        txn.execute_unprepared(&statement).await?;
    }
    let counted = grid_count::Entity::find().all(&txn).await?;
    let mut differed: Vec<String> = counted
        .iter()
        .filter(|row| kept.get(&row.grid_code) != Some(*row))
        .map(|row| row.grid_code.clone())
        .collect();
    // A grid kept that the record no longer counts.
    differed.extend(
        kept.keys()
            .filter(|code| !counted.iter().any(|row| &row.grid_code == *code))
            .cloned(),
    );
    differed.sort();
    let counted_on = counted_on(&txn).await?;
    if keep {
        txn.commit().await?;
    } else {
        txn.rollback().await?;
    }
    Ok(Recounted {
        grids: counted.len(),
        counted_on,
        differed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a date")
    }

    #[test]
    fn a_band_starts_on_the_birthday_and_29_february_on_1_march() {
        assert_eq!(band(day(2008, 12, 3), day(2026, 12, 2)), Some(1));
        assert_eq!(band(day(2008, 12, 3), day(2026, 12, 3)), Some(2));
        assert_eq!(band(day(2000, 2, 29), day(2007, 2, 28)), Some(0));
        assert_eq!(band(day(2000, 2, 29), day(2007, 3, 1)), Some(1));
        assert_eq!(band(day(2027, 1, 1), day(2026, 12, 3)), None);
        assert_eq!(band(day(1900, 1, 1), day(2026, 12, 3)), Some(5));
    }

    #[test]
    fn the_ranges_crossed_match_the_bands() {
        // Every birth date whose band differs between two days lies in one
        // of the ranges `bring_forward` reads, and no other does.
        let (from, today) = (day(2024, 2, 27), day(2026, 3, 2));
        let mut birth = day(1930, 1, 1);
        while birth <= today {
            let changed = band(birth, from) != band(birth, today);
            let in_range = BAND_STARTS.iter().any(|start| {
                match (years_before(from, *start), years_before(today, *start)) {
                    (Some(after), Some(until)) => birth > after && birth <= until,
                    _ => false,
                }
            });
            assert_eq!(changed, in_range, "{birth}");
            birth = birth.succ_opt().expect("a next day");
        }
    }
}
