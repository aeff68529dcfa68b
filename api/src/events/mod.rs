//! Live events for subscriptions. On PostgreSQL an event goes out with
//! `pg_notify` and every replica (the sender's included) hears it through
//! LISTEN, so a subscriber on one replica sees what another replica did; on
//! the embedded SQLite there is one process and events go straight to it.
//! Events carry only ids and places: what one names is read once per
//! replica ([`SharedRead`]), and each subscriber keeps it only where its
//! own scope, checked in memory, lets it see it.
//!
//! An event lost on the way (a NOTIFY that failed, a listener that lost its
//! connection, a replica's numbering that skipped) is never skipped quietly:
//! every subscriber of the replica is told [`Heard::Lost`] and its stream
//! ends with an error, so that it subscribes again and re-reads.

mod sequence;
mod shared;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;

use sequence::Sequences;
pub use shared::SharedRead;

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

/// An event as this replica's subscribers hear it: every one of them gets
/// the same, with the one read of what it names that they share.
#[derive(Debug)]
pub struct Arrived {
    pub event: Event,
    pub read: SharedRead,
}

/// What a replica's subscribers hear.
#[derive(Debug, Clone)]
pub enum Heard {
    Event(Arc<Arrived>),
    /// Events may have been lost before this replica heard them.
    Lost,
}

impl Heard {
    fn arrived(event: Event) -> Heard {
        Heard::Event(Arc::new(Arrived {
            event,
            read: SharedRead::default(),
        }))
    }
}

/// What travels between replicas on the channel: numbered events, and
/// each sender's word of how many it has numbered, so that a listener
/// notices one that never arrived (even the last one sent).
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Wire {
    Event {
        /// The sending process, drawn at random when it starts.
        from: u64,
        seq: u64,
        event: Event,
    },
    /// Every number below `next` has been used by `from`.
    Numbered { from: u64, next: u64 },
}

/// How long a starting server waits for its event listener.
const FIRST_LISTEN: Duration = Duration::from_secs(5);
/// How often a replica says how many events it has numbered.
const ANNOUNCE_EVERY: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct Events {
    sender: broadcast::Sender<Heard>,
    db: DatabaseConnection,
    from: u64,
    next_seq: Arc<AtomicU64>,
}

/// A number for this sending process that another is unlikely to draw: two
/// senders with the same one would only make listeners see holes that are
/// not there, and say so.
fn sender_number() -> u64 {
    let mut drawn = [0u8; 8];
    if let Err(err) = getrandom::fill(&mut drawn) {
        tracing::warn!(error = %err, "no random number for the event sender; using the time and process id");
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos() as u64);
        return nanos ^ (u64::from(std::process::id()) << 32);
    }
    u64::from_le_bytes(drawn)
}

impl Events {
    pub fn new(db: DatabaseConnection) -> Events {
        let (sender, _) = broadcast::channel(BUFFER);
        Events {
            sender,
            db,
            from: sender_number(),
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
    /// streams (the others notice the number missing), never an error for
    /// the change itself.
    pub async fn publish(&self, event: Event) {
        if self.db.get_database_backend() != DbBackend::Postgres {
            // No receivers is fine: nobody is subscribed.
            let _ = self.sender.send(Heard::arrived(event));
            return;
        }
        let wire = Wire::Event {
            from: self.from,
            seq: self.next_seq.fetch_add(1, Ordering::Relaxed),
            event,
        };
        if let Err(err) = notify(&self.db, &wire).await {
            tracing::warn!(error = %err, "cannot publish an event; live streams end");
            self.lost();
        }
    }

    /// Tells every replica how many events this one has numbered: a
    /// sender's first and last events are checked too. A process that
    /// publishes and exits (a command) announces before and after.
    pub async fn announce(&self) {
        self.announce_on(&self.db).await;
    }

    async fn announce_on(&self, db: &DatabaseConnection) {
        if db.get_database_backend() != DbBackend::Postgres {
            return;
        }
        let wire = Wire::Numbered {
            from: self.from,
            next: self.next_seq.load(Ordering::Relaxed),
        };
        if let Err(err) = notify(db, &wire).await {
            tracing::warn!(error = %err, "cannot announce the events numbered");
        }
    }

    /// On PostgreSQL, forwards every replica's events to this one's
    /// subscribers until the process ends, reconnecting after a failure,
    /// and announces this replica's numbering every second, both on
    /// `background`, the server's own pool. A lost connection, and a
    /// number that never arrives, are heard as [`Heard::Lost`].
    ///
    /// Returns once the listener first listens (or after [`FIRST_LISTEN`],
    /// should the database be slow), so that a server serves no subscriber
    /// before its events can be heard; a first listen later than that is a
    /// gap like any reconnection.
    ///
    /// The tasks come back to be aborted together when the server stops.
    pub async fn spawn_listener(&self, background: DatabaseConnection) -> Vec<JoinHandle<()>> {
        if self.db.get_database_backend() != DbBackend::Postgres {
            return Vec::new();
        }
        let pool = background.get_postgres_connection_pool().clone();
        let events = self.clone();
        let (notifications, received) = mpsc::channel(BUFFER);
        let ordering = tokio::spawn(events.clone().order(received));
        let announcing = tokio::spawn({
            let events = events.clone();
            async move {
                let mut every = tokio::time::interval(ANNOUNCE_EVERY);
                loop {
                    every.tick().await;
                    events.announce_on(&background).await;
                }
            }
        });
        let (listening, first) = oneshot::channel();
        let mut listening = Some(listening);
        let (stop_ordering, stop_announcing) = (ordering.abort_handle(), announcing.abort_handle());
        let listener = tokio::spawn(async move {
            loop {
                if let Err(err) = listen(&pool, &notifications, &mut listening).await {
                    tracing::warn!(error = %err, "event listener failed; live streams end; reconnecting");
                    events.lost();
                }
                if notifications.is_closed() {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            stop_ordering.abort();
            stop_announcing.abort();
        });
        if tokio::time::timeout(FIRST_LISTEN, first).await.is_err() {
            tracing::warn!("the event listener is not listening yet; serving without it");
        }
        vec![listener, ordering, announcing]
    }

    /// Hands what the listener receives to the subscribers, checking each
    /// sender's numbering as it goes and every so often while it is quiet.
    async fn order(self, mut received: mpsc::Receiver<Received>) {
        let mut sequences = Sequences::default();
        let mut tick = tokio::time::interval(sequence::REORDER / 4);
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
                Some(Received::Payload(payload)) => match serde_json::from_str::<Wire>(&payload) {
                    Ok(Wire::Event { from, seq, event }) => {
                        sequences.heard(from, seq, now);
                        let _ = self.sender.send(Heard::arrived(event));
                    }
                    Ok(Wire::Numbered { from, next }) => sequences.announced(from, next, now),
                    Err(err) => {
                        tracing::warn!(error = %err, "an event that does not parse; live streams end");
                        self.lost();
                    }
                },
                Some(Received::Gap) => {
                    tracing::warn!("event listener lost its connection; live streams end");
                    self.lost();
                    // What went missing in the gap is said once, here; the
                    // numbering is learnt afresh.
                    sequences = Sequences::default();
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

async fn notify(db: &DatabaseConnection, wire: &Wire) -> anyhow::Result<()> {
    let payload = serde_json::to_string(wire)?;
    let notify = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), payload.into()],
    );
    db.execute_raw(notify).await?;
    Ok(())
}

/// What the listener passes on.
enum Received {
    Payload(String),
    /// The connection was lost, or was just made again: whatever was sent
    /// in between is gone, and whoever subscribed in between was not told.
    Gap,
}

/// Listens until the connection is lost or fails. The first listen tells
/// `first`, while the server waits to serve; any later one (or one the
/// server stopped waiting for) is a gap: what was sent before it is not
/// heard.
async fn listen(
    pool: &sea_orm::sqlx::PgPool,
    notifications: &mpsc::Sender<Received>,
    first: &mut Option<oneshot::Sender<()>>,
) -> Result<(), sea_orm::sqlx::Error> {
    let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(pool).await?;
    // A lost connection comes back through the outer loop, which says so
    // once it listens again.
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    let waited_for = first.take().is_some_and(|first| first.send(()).is_ok());
    if !waited_for && notifications.send(Received::Gap).await.is_err() {
        return Ok(());
    }
    loop {
        let received = match listener.try_recv().await? {
            Some(notification) => Received::Payload(notification.payload().to_owned()),
            None => {
                let _ = notifications.send(Received::Gap).await;
                return Ok(());
            }
        };
        if notifications.send(received).await.is_err() {
            return Ok(());
        }
    }
}
