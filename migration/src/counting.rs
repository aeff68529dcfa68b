//! Statistics kept per grid as rows change, so that an area's statistics
//! read a row per grid instead of counting its residents.
//!
//! Triggers, not the application, keep `grid_counts`: every path that
//! writes a resident, a dwelling or an organisation (mutations, imports,
//! the seed, an operator's SQL) moves the counts in its own transaction.
//!
//! Two measures move with the calendar: age bands and licence states. Both
//! are counted as of the day in `statistics_clock`, never as of the moment
//! of the write, so that bringing the clock forward (the application does
//! it before reading statistics) moves exactly the rows whose band or state
//! changed in between, and nothing twice. On PostgreSQL a trigger holds the
//! clock row shared while it counts, so the clock cannot move between a
//! write's counting and its commit.
//!
//! Migration 25 and the seed build their SQL from this module as it is. A
//! change to the columns or the bands therefore needs a migration of its
//! own that drops the triggers, reshapes `grid_counts`, recounts and
//! creates the triggers again: a database migrated from scratch then ends
//! in the same shape as one migrated step by step.

use sea_orm_migration::sea_orm::DbBackend;

/// The first age of each band, in years: 0-6, 7-17, 18-34, 35-59, 60-79, 80+.
pub const BAND_STARTS: [u32; 6] = [0, 7, 18, 35, 60, 80];

/// The care flags' bits, in the order of their `flag_N` columns.
const CARE_FLAG_BITS: [i32; 8] = [1, 2, 4, 8, 16, 32, 64, 128];

/// A table whose rows are counted: when a row counts, and what it adds to
/// each column of `grid_counts`. Expressions name the row `{r}`, the
/// clock's day `{d}` and (for residents) the row's age band `b`.
struct Source {
    table: &'static str,
    counted_if: &'static str,
    banded: bool,
    /// The columns whose change can move a count.
    moved_by: &'static [&'static str],
    measures: Vec<(String, String)>,
}

fn when(condition: &str) -> String {
    format!("CASE WHEN {condition} THEN 1 ELSE 0 END")
}

fn sources() -> Vec<Source> {
    let mut residents = vec![
        ("residents".to_owned(), "1".to_owned()),
        ("men".to_owned(), when("{r}.sex = 'male'")),
        ("women".to_owned(), when("{r}.sex = 'female'")),
    ];
    for (sex, prefix) in [("male", "men"), ("female", "women")] {
        for band in 0..BAND_STARTS.len() {
            residents.push((
                format!("{prefix}_{band}"),
                when(&format!("{{r}}.sex = '{sex}' AND b = {band}")),
            ));
        }
    }
    for kind in ["registered", "floating", "foreign"] {
        residents.push((
            kind.to_owned(),
            when(&format!("{{r}}.population_type = '{kind}'")),
        ));
    }
    for (index, bit) in CARE_FLAG_BITS.iter().enumerate() {
        residents.push((
            format!("flag_{index}"),
            when(&format!("({{r}}.care_flags & {bit}) <> 0")),
        ));
    }
    let mut dwellings = vec![("dwellings".to_owned(), "1".to_owned())];
    for kind in ["owner_occupied", "rented", "office", "vacant"] {
        dwellings.push((
            kind.to_owned(),
            when(&format!("{{r}}.occupancy = '{kind}'")),
        ));
    }
    let organisations = vec![
        ("organisations".to_owned(), "1".to_owned()),
        (
            "licence_valid".to_owned(),
            when("{r}.licence_number IS NOT NULL AND {r}.licence_expires_on >= {d}"),
        ),
        (
            "licence_expired".to_owned(),
            when("{r}.licence_number IS NOT NULL AND {r}.licence_expires_on < {d}"),
        ),
        (
            "licence_none".to_owned(),
            when("{r}.licence_number IS NULL"),
        ),
    ];
    vec![
        Source {
            table: "residents",
            counted_if: "{r}.status = 'active'",
            banded: true,
            moved_by: &[
                "grid_code",
                "status",
                "sex",
                "birth_date",
                "population_type",
                "care_flags",
            ],
            measures: residents,
        },
        Source {
            table: "dwellings",
            counted_if: "1 = 1",
            banded: false,
            moved_by: &["grid_code", "occupancy"],
            measures: dwellings,
        },
        Source {
            table: "organisations",
            counted_if: "1 = 1",
            banded: false,
            moved_by: &["grid_code", "licence_number", "licence_expires_on"],
            measures: organisations,
        },
    ]
}

/// Every counted column of `grid_counts`, in table order.
pub fn columns() -> Vec<String> {
    sources()
        .into_iter()
        .flat_map(|source| source.measures.into_iter().map(|(column, _)| column))
        .collect()
}

const CLOCK_DAY: &str = "(SELECT counted_on FROM statistics_clock WHERE id = 1)";

/// Whole years from `{r}.birth_date` to `{d}`: the birthday counts on its
/// day, and 29 February's on 1 March in other years.
fn age(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => {
            "(CAST(EXTRACT(YEAR FROM {d}) AS INTEGER) - CAST(EXTRACT(YEAR FROM {r}.birth_date) AS INTEGER) \
             - CASE WHEN EXTRACT(MONTH FROM {d}) * 100 + EXTRACT(DAY FROM {d}) \
             < EXTRACT(MONTH FROM {r}.birth_date) * 100 + EXTRACT(DAY FROM {r}.birth_date) THEN 1 ELSE 0 END)"
        }
        _ => {
            "(CAST(substr({d}, 1, 4) AS INTEGER) - CAST(substr({r}.birth_date, 1, 4) AS INTEGER) \
             - CASE WHEN substr({d}, 6, 5) < substr({r}.birth_date, 6, 5) THEN 1 ELSE 0 END)"
        }
    }
}

/// The row's age band on the clock's day; -1 before birth.
fn band(backend: DbBackend) -> String {
    band_of(age(backend))
}

/// The band of the age `age` (an expression).
fn band_of(age: &str) -> String {
    let mut band = format!("CASE WHEN {age} < 0 THEN -1");
    for (index, start) in BAND_STARTS.iter().enumerate().rev() {
        band.push_str(&format!(" WHEN {age} >= {start} THEN {index}"));
    }
    band.push_str(" END");
    band
}

fn fill(template: &str, row: &str, day: &str) -> String {
    template.replace("{r}", row).replace("{d}", day)
}

/// `INSERT ... ON CONFLICT` adding `values` (a SELECT list after the grid
/// code) to their grid's counts.
fn upsert(source: &Source, select: String) -> String {
    // Quoted: `foreign` is a keyword.
    let columns: Vec<String> = source
        .measures
        .iter()
        .map(|(column, _)| format!("\"{column}\""))
        .collect();
    let sums: Vec<String> = columns
        .iter()
        .map(|c| format!("{c} = grid_counts.{c} + excluded.{c}"))
        .collect();
    format!(
        "INSERT INTO grid_counts (grid_code, {}) {select} \
         ON CONFLICT (grid_code) DO UPDATE SET {}",
        columns.join(", "),
        sums.join(", ")
    )
}

/// Adds (`sign` 1) or takes away (-1) one row, `row` being NEW or OLD.
fn count_row(source: &Source, backend: DbBackend, row: &str, day: &str, sign: i32) -> String {
    let values: Vec<String> = source
        .measures
        .iter()
        .map(|(_, expression)| format!("{sign} * ({})", fill(expression, row, day)))
        .collect();
    let banded = if source.banded {
        format!(
            " FROM (SELECT {} AS b) AS banded",
            fill(&band(backend), row, day)
        )
    } else {
        String::new()
    };
    upsert(
        source,
        format!(
            "SELECT {row}.grid_code, {}{banded} WHERE {}",
            values.join(", "),
            fill(source.counted_if, row, day)
        ),
    )
}

/// Counts every row of `source` afresh (added to what `grid_counts` holds).
fn count_table(source: &Source, backend: DbBackend) -> String {
    let sums: Vec<String> = source
        .measures
        .iter()
        .map(|(_, expression)| format!("SUM({})", fill(expression, "r", CLOCK_DAY)))
        .collect();
    let from = if source.banded {
        // The age is computed once per row, in a subquery the planner may
        // not fold into its parent (which would compute it again for each
        // band it is compared with): a sixth of the full city's seed.
        let fence = match backend {
            DbBackend::Postgres => "OFFSET 0",
            _ => "LIMIT -1 OFFSET 0",
        };
        format!(
            "(SELECT a.*, {} AS b FROM (SELECT t.*, {} AS age_in_years FROM {} t {fence}) a) AS r",
            band_of("a.age_in_years"),
            fill(age(backend), "t", CLOCK_DAY),
            source.table
        )
    } else {
        format!("{} AS r", source.table)
    };
    upsert(
        source,
        format!(
            "SELECT r.grid_code, {} FROM {from} WHERE {} GROUP BY r.grid_code",
            sums.join(", "),
            fill(source.counted_if, "r", CLOCK_DAY)
        ),
    )
}

/// The statements that make each counted table keep `grid_counts`.
pub fn triggers(backend: DbBackend) -> Vec<String> {
    let mut statements = Vec::new();
    for source in sources() {
        let table = source.table;
        let moved_by = source.moved_by.join(", ");
        match backend {
            DbBackend::Postgres => {
                let day = "counted_day";
                // Only rows counted by the day hold the clock, so that the
                // rest never wait while it moves.
                let uses_day = source.banded
                    || source
                        .measures
                        .iter()
                        .any(|(_, expression)| expression.contains("{d}"));
                let clock = if uses_day {
                    "SELECT counted_on INTO counted_day FROM statistics_clock WHERE id = 1 FOR SHARE;"
                } else {
                    ""
                };
                // A move takes both grids' rows in code order first: two
                // moves the opposite way would otherwise each hold one and
                // wait for the other.
                statements.push(format!(
                    "CREATE OR REPLACE FUNCTION count_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     DECLARE counted_day date; \
                     BEGIN \
                       {clock} \
                       IF TG_OP = 'UPDATE' AND OLD.grid_code <> NEW.grid_code THEN \
                         INSERT INTO grid_counts (grid_code) VALUES (NEW.grid_code) ON CONFLICT DO NOTHING; \
                         PERFORM 1 FROM grid_counts WHERE grid_code IN (OLD.grid_code, NEW.grid_code) \
                           ORDER BY grid_code FOR UPDATE; \
                       END IF; \
                       IF TG_OP <> 'INSERT' THEN {}; END IF; \
                       IF TG_OP <> 'DELETE' THEN {}; END IF; \
                       RETURN NULL; \
                     END $$",
                    count_row(&source, backend, "OLD", day, -1),
                    count_row(&source, backend, "NEW", day, 1),
                ));
                statements.push(format!(
                    "CREATE TRIGGER {table}_counted \
                     AFTER INSERT OR DELETE OR UPDATE OF {moved_by} ON {table} \
                     FOR EACH ROW EXECUTE FUNCTION count_{table}()"
                ));
            }
            _ => {
                let day = CLOCK_DAY;
                statements.push(format!(
                    "CREATE TRIGGER {table}_counted_insert AFTER INSERT ON {table} \
                     BEGIN {}; END",
                    count_row(&source, backend, "NEW", day, 1)
                ));
                statements.push(format!(
                    "CREATE TRIGGER {table}_counted_delete AFTER DELETE ON {table} \
                     BEGIN {}; END",
                    count_row(&source, backend, "OLD", day, -1)
                ));
                statements.push(format!(
                    "CREATE TRIGGER {table}_counted_update AFTER UPDATE OF {moved_by} ON {table} \
                     BEGIN {}; {}; END",
                    count_row(&source, backend, "OLD", day, -1),
                    count_row(&source, backend, "NEW", day, 1)
                ));
            }
        }
    }
    statements
}

/// The statements that stop the counting, for a bulk load into an empty
/// city that counts once at the end ([`recount`], then [`triggers`]) in the
/// same transaction.
pub fn drop_triggers(backend: DbBackend) -> Vec<String> {
    let mut statements = Vec::new();
    for source in sources() {
        let table = source.table;
        match backend {
            DbBackend::Postgres => {
                statements.push(format!("DROP TRIGGER IF EXISTS {table}_counted ON {table}"))
            }
            _ => statements.extend(
                ["insert", "delete", "update"]
                    .map(|event| format!("DROP TRIGGER IF EXISTS {table}_counted_{event}")),
            ),
        }
    }
    statements
}

/// The statements that count every grid afresh, as of the clock's day: for
/// the migration that adds the counts and the seed's bulk load.
pub fn recount(backend: DbBackend) -> Vec<String> {
    let mut statements = vec!["DELETE FROM grid_counts".to_owned()];
    statements.extend(sources().iter().map(|source| count_table(source, backend)));
    statements
}
