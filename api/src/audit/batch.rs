//! The audit rows of full reads, written together when answers wait at the
//! same moment. Each answer must wait for its own row (a failed write
//! withholds it), but it need not have a statement and a commit of its
//! own: a writer takes every row waiting and writes them in one statement
//! (PostgreSQL) or one transaction (SQLite). Under load the rows of
//! several answers share a round trip, the indexes' work and a flush;
//! alone, an answer waits for nobody, since the writer starts at once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use sea_orm::{DatabaseConnection, DbBackend};
use tokio::sync::oneshot;

use super::{Row, subjects};
use crate::error::{ApiError, ApiResult};

/// Writers at once (per replica); the rows of answers arriving while it
/// writes wait for it and go together. One writer made the largest batches
/// and the most answers a second: the police officer's audited page of 50,
/// full city on PostgreSQL, 8 clients, three alternating rounds of 10 s
/// (BENCHMARKS.md): no batching 1,244–1,408 req/s, one writer 1,426–1,500
/// (about 3 answers a statement), two 1,257–1,459, four 1,333–1,390.
const WRITERS: usize = 1;
/// Rows in one statement at most (PostgreSQL takes 65,535 parameters, a
/// row has 14).
const LARGEST: usize = 256;

/// The batches of one database.
pub struct Batches {
    db: DatabaseConnection,
    queue: Mutex<Queue>,
    /// Answers whose rows were written, and the writes that took them.
    answers: AtomicU64,
    writes: AtomicU64,
}

#[derive(Default)]
struct Queue {
    waiting: Vec<Waiting>,
    writers: usize,
}

struct Waiting {
    rows: Vec<Row>,
    done: oneshot::Sender<Outcome>,
}

/// How a batch went, for each answer in it.
#[derive(Clone)]
enum Outcome {
    Written,
    Unavailable,
    Busy,
    Failed(String),
}

impl Outcome {
    fn of(result: &ApiResult<()>) -> Outcome {
        match result {
            Ok(()) => Outcome::Written,
            Err(ApiError::Unavailable) => Outcome::Unavailable,
            Err(ApiError::Busy) => Outcome::Busy,
            Err(err) => Outcome::Failed(format!("{err:?}")),
        }
    }

    fn into_result(self) -> ApiResult<()> {
        match self {
            Outcome::Written => Ok(()),
            Outcome::Unavailable => Err(ApiError::Unavailable),
            Outcome::Busy => Err(ApiError::Busy),
            Outcome::Failed(message) => Err(ApiError::Internal(anyhow::anyhow!(
                "the audit rows of a batch were not written: {message}"
            ))),
        }
    }
}

fn locked(queue: &Mutex<Queue>) -> std::sync::MutexGuard<'_, Queue> {
    queue
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Batches {
    pub fn new(db: DatabaseConnection) -> Arc<Batches> {
        Arc::new(Batches {
            db,
            queue: Mutex::default(),
            answers: AtomicU64::new(0),
            writes: AtomicU64::new(0),
        })
    }

    /// Answers whose rows were written so far, and the writes (statements
    /// on PostgreSQL, transactions on SQLite) that took them.
    pub fn written(&self) -> (u64, u64) {
        (
            self.answers.load(Ordering::Relaxed),
            self.writes.load(Ordering::Relaxed),
        )
    }

    /// Writes the rows of `batch` together, or, if that fails for a reason
    /// of its own (not a lost database), each answer's alone: a row that
    /// cannot be written fails its own answer, not those it waited with.
    async fn write_batch(&self, batch: Vec<Waiting>) {
        let mut rows: Vec<Row> = Vec::new();
        let mut answers = Vec::with_capacity(batch.len());
        for waiting in batch {
            answers.push((rows.len()..rows.len() + waiting.rows.len(), waiting.done));
            rows.extend(waiting.rows);
        }
        let together = Outcome::of(&self.insert(&rows).await);
        if answers.len() == 1 || !matches!(together, Outcome::Failed(_)) {
            if matches!(together, Outcome::Written) {
                self.answers
                    .fetch_add(answers.len() as u64, Ordering::Relaxed);
            }
            for (_, answer) in answers {
                // An answer that went away no longer needs to know.
                let _ = answer.send(together.clone());
            }
            return;
        }
        for (own, answer) in answers {
            let alone = Outcome::of(&self.insert(&rows[own]).await);
            if matches!(alone, Outcome::Written) {
                self.answers.fetch_add(1, Ordering::Relaxed);
            }
            let _ = answer.send(alone);
        }
    }

    async fn insert(&self, rows: &[Row]) -> ApiResult<()> {
        let written = insert_alone(&self.db, rows).await;
        if written.is_ok() {
            self.writes.fetch_add(1, Ordering::Relaxed);
        }
        written
    }

    /// Writes `rows` (all or nothing) with whatever else waits, and returns
    /// once they are committed. The write runs in a task of its own, so an
    /// answer dropped halfway (its client gone) cannot strand the others.
    pub async fn write(self: &Arc<Self>, rows: Vec<Row>) -> ApiResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let (done, outcome) = oneshot::channel();
        let start = {
            let mut queue = locked(&self.queue);
            queue.waiting.push(Waiting { rows, done });
            let free = queue.writers < WRITERS;
            if free {
                queue.writers += 1;
            }
            free
        };
        if start {
            tokio::spawn(Writer(self.clone()).drain());
        }
        match outcome.await {
            Ok(outcome) => outcome.into_result(),
            Err(_) => Err(ApiError::Internal(anyhow::anyhow!(
                "the audit writer stopped before it wrote a batch"
            ))),
        }
    }
}

/// One of the writers. It leaves its place when dropped, whether it ran
/// out of rows or failed halfway, and hands over to a new writer any rows
/// that arrived while it was leaving (they found every place taken).
struct Writer(Arc<Batches>);

impl Drop for Writer {
    fn drop(&mut self) {
        let mut queue = locked(&self.0.queue);
        if queue.waiting.is_empty() {
            queue.writers -= 1;
        } else {
            drop(queue);
            tokio::spawn(Writer(self.0.clone()).drain());
        }
    }
}

impl Writer {
    /// Writes what waits until nothing does.
    async fn drain(self) {
        loop {
            let batch = {
                let mut queue = locked(&self.0.queue);
                if queue.waiting.is_empty() {
                    return;
                }
                let mut rows = 0;
                let taken = queue
                    .waiting
                    .iter()
                    .take_while(|waiting| {
                        // At least one, however many rows it has.
                        let first = rows == 0;
                        rows += waiting.rows.len();
                        first || rows <= LARGEST
                    })
                    .count();
                queue.waiting.drain(..taken).collect::<Vec<_>>()
            };
            self.0.write_batch(batch).await;
        }
    }
}

/// `rows` on their own, all or nothing: one statement on PostgreSQL, one
/// write transaction (one flush) on SQLite.
pub(super) async fn insert_alone(db: &DatabaseConnection, rows: &[Row]) -> ApiResult<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        return subjects::insert(db, rows).await;
    }
    let txn = crate::db::begin_write(db).await?;
    subjects::insert(&txn, rows).await?;
    txn.commit().await?;
    Ok(())
}
