//! Live events for subscriptions. On PostgreSQL an event goes out with
//! `pg_notify` and every replica (the sender's included) hears it through
//! LISTEN, so a subscriber on one replica sees what another replica did; on
//! the embedded SQLite there is one process and events go straight to it.
//! Events carry only ids and places: each subscriber loads what it may see.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

const CHANNEL: &str = "gridgov_events";
/// Events a slow subscriber may fall behind by before its stream ends
/// with an error (it would otherwise skip some unseen).
const BUFFER: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A case was reported or moved.
    CaseChanged { case_id: i64, grid_code: String },
    /// A task was sent: each subscriber looks up their own assignments.
    TaskSent { task_id: i64 },
    /// A record was signed off, returned or resubmitted.
    ResidentReviewed { resident_id: i64, grid_code: String },
    /// A comparison opened an urgent finding.
    FindingRaised { finding_id: i64, grid_code: String },
    /// A person was added to the record: registered, or born.
    ResidentRegistered { resident_id: i64, grid_code: String },
    /// An assignee answered an assignment (acknowledged, reported on or
    /// completed it); `area_code` is the grid or area it was sent to.
    AssignmentAnswered {
        assignment_id: i64,
        area_code: String,
    },
}

#[derive(Clone)]
pub struct Events {
    sender: broadcast::Sender<Event>,
    db: DatabaseConnection,
}

impl Events {
    pub fn new(db: DatabaseConnection) -> Events {
        let (sender, _) = broadcast::channel(BUFFER);
        Events { sender, db }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }

    /// Sends `event` to every subscriber on every replica. Called after the
    /// change committed; a lost event is logged, never an error for the
    /// change itself.
    pub async fn publish(&self, event: Event) {
        if self.db.get_database_backend() != DbBackend::Postgres {
            // No receivers is fine: nobody is subscribed.
            let _ = self.sender.send(event);
            return;
        }
        let payload = match serde_json::to_string(&event) {
            Ok(payload) => payload,
            Err(err) => {
                tracing::warn!(error = %err, "cannot encode an event");
                return;
            }
        };
        let notify = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), payload.into()],
        );
        if let Err(err) = self.db.execute_raw(notify).await {
            tracing::warn!(error = %err, "cannot publish an event");
        }
    }

    /// On PostgreSQL, forwards every replica's events to this one's
    /// subscribers until the process ends, reconnecting after a failure.
    pub fn spawn_listener(&self) -> Option<JoinHandle<()>> {
        if self.db.get_database_backend() != DbBackend::Postgres {
            return None;
        }
        let pool = self.db.get_postgres_connection_pool().clone();
        let sender = self.sender.clone();
        Some(tokio::spawn(async move {
            loop {
                match listen(&pool, &sender).await {
                    Ok(()) => {}
                    Err(err) => tracing::warn!(error = %err, "event listener failed; reconnecting"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }))
    }
}

async fn listen(
    pool: &sea_orm::sqlx::PgPool,
    sender: &broadcast::Sender<Event>,
) -> Result<(), sea_orm::sqlx::Error> {
    let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    loop {
        let notification = listener.recv().await?;
        match serde_json::from_str::<Event>(notification.payload()) {
            Ok(event) => {
                let _ = sender.send(event);
            }
            Err(err) => tracing::warn!(error = %err, "an event that does not parse"),
        }
    }
}
