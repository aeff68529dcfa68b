//! What `/metrics` tells a scraper, in Prometheus's text format: SQL
//! statements, operations by root field and outcome code with their latency,
//! the database pool, admission, live subscriptions and the policy version.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::admission::Admission;
use crate::audit::batch::Batches;
use crate::audit::chain::Head;

/// SQL statements sent for requests, and the time they took.
#[derive(Clone, Default)]
pub struct SqlStats {
    statements: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
    micros: Arc<AtomicU64>,
}

impl SqlStats {
    /// Counts every statement `db` sends from now on. Connections cloned
    /// before this call (the policy watcher's) are not counted.
    pub fn attach(&self, db: &mut DatabaseConnection, log_sql: bool) {
        let stats = self.clone();
        db.set_metric_callback(move |info| {
            if log_sql {
                tracing::info!(target: "gridgov::sql", "{}", info.statement);
            }
            stats.statements.fetch_add(1, Ordering::Relaxed);
            if info.failed {
                stats.failed.fetch_add(1, Ordering::Relaxed);
            }
            let micros = u64::try_from(info.elapsed.as_micros()).unwrap_or(u64::MAX);
            stats.micros.fetch_add(micros, Ordering::Relaxed);
        });
    }

    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    fn render(&self, out: &mut String) {
        let _ = write!(
            out,
            "# HELP gridgov_sql_statements_total SQL statements sent while serving requests.\n\
             # TYPE gridgov_sql_statements_total counter\n\
             gridgov_sql_statements_total {}\n\
             # HELP gridgov_sql_statements_failed_total SQL statements that failed.\n\
             # TYPE gridgov_sql_statements_failed_total counter\n\
             gridgov_sql_statements_failed_total {}\n\
             # HELP gridgov_sql_seconds_total Time spent in SQL statements.\n\
             # TYPE gridgov_sql_seconds_total counter\n\
             gridgov_sql_seconds_total {:.6}\n",
            self.statements(),
            self.failed.load(Ordering::Relaxed),
            self.micros.load(Ordering::Relaxed) as f64 / 1e6
        );
    }
}

/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Operations counted by what they asked for (`query:residents`: the type and
/// first root field, never a client's alias or operation name, so the labels
/// stay a small fixed set) and how they ended (the first error's code).
#[derive(Default)]
struct Operations {
    outcomes: BTreeMap<(String, String), u64>,
    latency: BTreeMap<String, Histogram>,
}

#[derive(Clone, Default)]
pub struct Metrics {
    pub sql: SqlStats,
    operations: Arc<Mutex<Operations>>,
    subscriptions: Arc<AtomicI64>,
    audit_head: Arc<Mutex<Option<Head>>>,
    plain_lists: Arc<AtomicU64>,
}

impl Metrics {
    /// The audit chain's head as this replica last linked or saw it.
    pub fn audit_chained(&self, head: &Head) {
        let mut known = match self.audit_head.lock() {
            Ok(known) => known,
            Err(poisoned) => poisoned.into_inner(),
        };
        *known = Some(head.clone());
    }

    pub fn observe(&self, operation: &str, outcome: &str, took: Duration) {
        let mut operations = match self.operations.lock() {
            Ok(operations) => operations,
            Err(poisoned) => poisoned.into_inner(),
        };
        *operations
            .outcomes
            .entry((operation.to_owned(), outcome.to_owned()))
            .or_default() += 1;
        let histogram = operations.latency.entry(operation.to_owned()).or_default();
        let seconds = took.as_secs_f64();
        for (bucket, bound) in histogram.counts.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    /// A list answered in one pass (`graphql::plain`).
    pub fn plain_list(&self) {
        self.plain_lists.fetch_add(1, Ordering::Relaxed);
    }

    /// A live connection opened; the guard counts it closed when dropped.
    pub fn subscription_opened(&self) -> OpenSubscription {
        self.subscriptions.fetch_add(1, Ordering::Relaxed);
        OpenSubscription(self.subscriptions.clone())
    }

    pub fn render(
        &self,
        db: &DatabaseConnection,
        policy_version: i64,
        admission: &Admission,
        audit_batches: &Batches,
    ) -> String {
        let mut out = String::new();
        self.sql.render(&mut out);
        {
            let operations = match self.operations.lock() {
                Ok(operations) => operations,
                Err(poisoned) => poisoned.into_inner(),
            };
            out.push_str(
                "# HELP gridgov_operations_total GraphQL operations by root field and outcome code.\n\
                 # TYPE gridgov_operations_total counter\n",
            );
            for ((operation, outcome), count) in &operations.outcomes {
                let _ = writeln!(
                    out,
                    "gridgov_operations_total{{operation=\"{operation}\",code=\"{outcome}\"}} {count}"
                );
            }
            out.push_str(
                "# HELP gridgov_operation_seconds Time to answer a GraphQL operation.\n\
                 # TYPE gridgov_operation_seconds histogram\n",
            );
            for (operation, histogram) in &operations.latency {
                for (bound, count) in BUCKETS.iter().zip(histogram.counts) {
                    let _ = writeln!(
                        out,
                        "gridgov_operation_seconds_bucket{{operation=\"{operation}\",le=\"{bound}\"}} {count}"
                    );
                }
                let _ = writeln!(
                    out,
                    "gridgov_operation_seconds_bucket{{operation=\"{operation}\",le=\"+Inf\"}} {}\n\
                     gridgov_operation_seconds_sum{{operation=\"{operation}\"}} {:.6}\n\
                     gridgov_operation_seconds_count{{operation=\"{operation}\"}} {}",
                    histogram.count, histogram.sum, histogram.count
                );
            }
        }
        let (size, idle, max) = pool_of(db);
        let (running, heavy, waiting) = admission.load();
        let _ = write!(
            out,
            "# HELP gridgov_db_pool_connections Open database connections.\n\
             # TYPE gridgov_db_pool_connections gauge\n\
             gridgov_db_pool_connections {size}\n\
             # HELP gridgov_db_pool_in_use Database connections in use.\n\
             # TYPE gridgov_db_pool_in_use gauge\n\
             gridgov_db_pool_in_use {}\n\
             # HELP gridgov_db_pool_max Largest number of database connections.\n\
             # TYPE gridgov_db_pool_max gauge\n\
             gridgov_db_pool_max {max}\n\
             # HELP gridgov_operations_running Operations running now.\n\
             # TYPE gridgov_operations_running gauge\n\
             gridgov_operations_running {running}\n\
             # HELP gridgov_operations_waiting Operations and scans waiting for a slot (the queue before the pool).\n\
             # TYPE gridgov_operations_waiting gauge\n\
             gridgov_operations_waiting {waiting}\n\
             # HELP gridgov_scans_running Statistics and other scanning work running now.\n\
             # TYPE gridgov_scans_running gauge\n\
             gridgov_scans_running {heavy}\n\
             # HELP gridgov_subscriptions_open Live graphql-ws connections.\n\
             # TYPE gridgov_subscriptions_open gauge\n\
             gridgov_subscriptions_open {}\n\
             # HELP gridgov_policy_version The policy version this replica enforces.\n\
             # TYPE gridgov_policy_version gauge\n\
             gridgov_policy_version {policy_version}\n\
             # HELP gridgov_graphql_plain_lists_total Lists of nodes or edges answered in one pass (their fields all plain).\n\
             # TYPE gridgov_graphql_plain_lists_total counter\n\
             gridgov_graphql_plain_lists_total {}\n",
            size.saturating_sub(idle),
            self.subscriptions.load(Ordering::Relaxed),
            self.plain_lists.load(Ordering::Relaxed),
        );
        let (answers, writes) = audit_batches.written();
        let _ = write!(
            out,
            "# HELP gridgov_audit_read_answers_total Answers whose full reads' audit rows were written.\n\
             # TYPE gridgov_audit_read_answers_total counter\n\
             gridgov_audit_read_answers_total {answers}\n\
             # HELP gridgov_audit_read_writes_total Writes (statements or transactions) that took them: answers waiting at the same moment share one.\n\
             # TYPE gridgov_audit_read_writes_total counter\n\
             gridgov_audit_read_writes_total {writes}\n"
        );
        let head = match self.audit_head.lock() {
            Ok(head) => head.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        if let Some(head) = head {
            // The head's hash as a label: a copy of it kept elsewhere shows
            // a rewrite of the whole chain.
            let _ = write!(
                out,
                "# HELP gridgov_audit_chain_length Rows linked into the audit chain.\n\
                 # TYPE gridgov_audit_chain_length gauge\n\
                 gridgov_audit_chain_length {}\n\
                 # HELP gridgov_audit_chain_head The audit chain's last link (hash) and its length.\n\
                 # TYPE gridgov_audit_chain_head gauge\n\
                 gridgov_audit_chain_head{{hash=\"{}\"}} {}\n",
                head.length, head.hash, head.length
            );
        }
        out
    }
}

/// Connections open, idle, and the most there may be.
fn pool_of(db: &DatabaseConnection) -> (u64, u64, u64) {
    use sea_orm::{DatabaseConnectionType, DbBackend};
    if !matches!(
        db.inner,
        DatabaseConnectionType::SqlxSqlitePoolConnection(_)
            | DatabaseConnectionType::SqlxPostgresPoolConnection(_)
    ) {
        return (0, 0, 0);
    }
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (
                u64::from(pool.size()),
                pool.num_idle() as u64,
                u64::from(pool.options().get_max_connections()),
            )
        }
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (
                u64::from(pool.size()),
                pool.num_idle() as u64,
                u64::from(pool.options().get_max_connections()),
            )
        }
        _ => (0, 0, 0),
    }
}

/// A live connection, counted while it lasts.
pub struct OpenSubscription(Arc<AtomicI64>);

impl Drop for OpenSubscription {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
