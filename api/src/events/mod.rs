//! Live events for subscriptions. On PostgreSQL an event goes out with
//! `pg_notify` and every replica (the sender's included) hears it through
//! LISTEN, so a subscriber on one replica sees what another replica did; on
//! the embedded SQLite there is one process and events go straight to it.
//! Events carry only ids and places: each subscriber loads what it may see.
//!
//! An event lost on the way (a NOTIFY that failed, a listener that lost its
//! connection, a replica's numbering that skipped) is never skipped quietly:
//! every subscriber of the replica is told [`Heard::Lost`] and its stream
//! ends with an error, so that it subscribes again and re-reads.

mod sequence;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

use sequence::Sequences;

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

/// What a replica's subscribers hear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    Event(Event),
    /// Events may have been lost before this replica heard them.
    Lost,
}

/// An event as it travels between replicas: numbered by its sender, so
/// that a listener notices one that never arrived.
#[derive(Debug, Serialize, Deserialize)]
struct Numbered {
    /// The sending process, drawn at random when it starts.
    from: u64,
    seq: u64,
    event: Event,
}

#[derive(Clone)]
pub struct Events {
    sender: broadcast::Sender<Heard>,
    db: DatabaseConnection,
    from: u64,
    next_seq: Arc<AtomicU64>,
}

impl Events {
    pub fn new(db: DatabaseConnection) -> Events {
        let (sender, _) = broadcast::channel(BUFFER);
        let mut from = [0u8; 8];
        // Two senders drawing the same number would only make a listener
        // see holes that are not there, and say so.
        let _ = getrandom::fill(&mut from);
        Events {
            sender,
            db,
            from: u64::from_le_bytes(from),
            next_seq: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Heard> {
        self.sender.subscribe()
    }

    /// Tells this replica's subscribers that events may have been lost.
    fn lost(&self) {
        let _ = self.sender.send(Heard::Lost);
    }

    /// Sends `event` to every subscriber on every replica. Called after the
    /// change committed; a lost event is logged and ends this replica's
    /// streams (the others notice the skipped number), never an error for
    /// the change itself.
    pub async fn publish(&self, event: Event) {
        if self.db.get_database_backend() != DbBackend::Postgres {
            // No receivers is fine: nobody is subscribed.
            let _ = self.sender.send(Heard::Event(event));
            return;
        }
        let numbered = Numbered {
            from: self.from,
            seq: self.next_seq.fetch_add(1, Ordering::Relaxed),
            event,
        };
        let payload = match serde_json::to_string(&numbered) {
            Ok(payload) => payload,
            Err(err) => {
                tracing::warn!(error = %err, "cannot encode an event");
                self.lost();
                return;
            }
        };
        let notify = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), payload.into()],
        );
        if let Err(err) = self.db.execute_raw(notify).await {
            tracing::warn!(error = %err, "cannot publish an event; live streams end");
            self.lost();
        }
    }

    /// On PostgreSQL, forwards every replica's events to this one's
    /// subscribers until the process ends, reconnecting after a failure;
    /// a lost connection, and a number that never arrives, are heard as
    /// [`Heard::Lost`].
    pub fn spawn_listener(&self) -> Option<JoinHandle<()>> {
        if self.db.get_database_backend() != DbBackend::Postgres {
            return None;
        }
        let pool = self.db.get_postgres_connection_pool().clone();
        let events = self.clone();
        let (notifications, received) = mpsc::channel(BUFFER);
        let ordering = tokio::spawn(events.clone().order(received));
        Some(tokio::spawn(async move {
            let mut connected_before = false;
            loop {
                if let Err(err) = listen(&pool, &notifications, &mut connected_before).await {
                    tracing::warn!(error = %err, "event listener failed; live streams end; reconnecting");
                    events.lost();
                }
                if notifications.is_closed() {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            ordering.abort();
        }))
    }

    /// Hands what the listener receives to the subscribers, checking each
    /// sender's numbering as it goes and every so often while it is quiet.
    async fn order(self, mut received: mpsc::Receiver<Received>) {
        let mut sequences = Sequences::default();
        let mut tick = tokio::time::interval(sequence::REORDER / 2);
        loop {
            let received = tokio::select! {
                received = received.recv() => match received {
                    Some(received) => Some(received),
                    None => return,
                },
                _ = tick.tick() => None,
            };
            let now = Instant::now();
            match received {
                Some(Received::Payload(payload)) => {
                    match serde_json::from_str::<Numbered>(&payload) {
                        Ok(numbered) => {
                            sequences.heard(numbered.from, numbered.seq, now);
                            let _ = self.sender.send(Heard::Event(numbered.event));
                        }
                        Err(err) => {
                            tracing::warn!(error = %err, "an event that does not parse; live streams end");
                            self.lost();
                        }
                    }
                }
                Some(Received::Reconnected) => {
                    tracing::warn!(
                        "event listener lost its connection and reconnected; live streams end"
                    );
                    self.lost();
                }
                None => {}
            }
            if sequences.lost(now) {
                tracing::warn!("an event from another replica never arrived; live streams end");
                self.lost();
            }
        }
    }
}

/// What the listener passes on.
enum Received {
    Payload(String),
    /// The connection was lost and made again: whatever was sent between is
    /// gone.
    Reconnected,
}

async fn listen(
    pool: &sea_orm::sqlx::PgPool,
    notifications: &mpsc::Sender<Received>,
    connected_before: &mut bool,
) -> Result<(), sea_orm::sqlx::Error> {
    let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    if std::mem::replace(connected_before, true) {
        // Subscribers who came while it was away heard nothing of the gap.
        let _ = notifications.send(Received::Reconnected).await;
    }
    loop {
        let received = match listener.try_recv().await? {
            Some(notification) => Received::Payload(notification.payload().to_owned()),
            None => Received::Reconnected,
        };
        if notifications.send(received).await.is_err() {
            return Ok(());
        }
    }
}
