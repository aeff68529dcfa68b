//! Counters a scraper can read at `/metrics` (Prometheus text format).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::DatabaseConnection;

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

    pub fn render(&self) -> String {
        format!(
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
        )
    }
}
