//! Password hashes: argon2id with the crate's default (OWASP) parameters,
//! checked by a small fixed pool of threads that reuse their memory.
//!
//! One check needs 19 MiB. Checked on tokio's blocking threads, a burst of
//! sign-ins took as many threads (and allocator arenas) as it had requests,
//! and the memory never came back. Here a few workers each keep one buffer
//! for good; sign-ins beyond what the queue holds are refused at once as
//! busy (UNAVAILABLE, to retry) instead of piling up.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::{Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use super::secret::{RandomError, random_bytes};

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error(transparent)]
    Random(#[from] RandomError),
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

pub fn hash(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::encode_b64(&random_bytes(16)?)
        .map_err(|err| PasswordError::Hash(err.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| PasswordError::Hash(err.to_string()))
}

/// A hash of nothing anyone knows, checked when the username is unknown so
/// that a wrong name costs as long as a wrong password. Made by the first
/// worker that needs it, in that worker's own buffer.
static DECOY: OnceLock<Option<String>> = OnceLock::new();

fn decoy(blocks: &mut Vec<Block>) -> Option<String> {
    let params = Params::default();
    if blocks.len() < params.block_count() {
        blocks.resize(params.block_count(), Block::default());
    }
    let salt = SaltString::encode_b64(&random_bytes(16).ok()?).ok()?;
    let mut salt_bytes = [0u8; 64];
    let raw_salt = salt.decode_b64(&mut salt_bytes).ok()?;
    let mut out = [0u8; 32];
    Argon2::default()
        .hash_password_into_with_memory(
            b"gridgov decoy password",
            raw_salt,
            &mut out,
            &mut blocks[..],
        )
        .ok()?;
    Some(format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        salt.as_str(),
        Output::new(&out).ok()?
    ))
}

/// Checks `password` against a stored PHC string with `blocks` as the
/// working memory, grown once to the largest size asked for and then reused.
fn verify_in(password: &[u8], stored: &str, blocks: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    if blocks.len() < params.block_count() {
        blocks.resize(params.block_count(), Block::default());
    }
    let mut out = [0u8; 64];
    let Some(out) = out.get_mut(..expected.len()) else {
        return false;
    };
    let hasher = Argon2::new(algorithm, version, params);
    hasher
        .hash_password_into_with_memory(password, salt, out, &mut blocks[..])
        .is_ok()
        // Output's equality is constant-time.
        && Output::new(out).is_ok_and(|computed| computed == expected)
}

/// A check waiting for a worker.
struct Job {
    password: String,
    /// `None` for an unknown name: checked against the decoy, so that it
    /// costs the same.
    stored: Option<String>,
    answer: tokio::sync::oneshot::Sender<bool>,
}

/// Every worker is busy and the queue is full.
#[derive(Debug)]
pub struct Busy;

/// The pool that checks passwords. Cloned handles share it; the workers
/// stop when the last handle is dropped.
#[derive(Clone)]
pub struct PasswordChecker {
    jobs: SyncSender<Job>,
}

impl PasswordChecker {
    /// `workers` threads with a buffer each, and room for `queue` waiting checks.
    pub fn start(workers: usize, queue: usize) -> PasswordChecker {
        let (jobs, waiting) = sync_channel::<Job>(queue);
        let waiting = Arc::new(Mutex::new(waiting));
        for n in 0..workers.max(1) {
            let waiting = waiting.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("gridgov-passwords-{n}"))
                .spawn(move || work(&waiting));
            if let Err(err) = spawned {
                tracing::error!(error = %err, "cannot start a password worker");
            }
        }
        PasswordChecker { jobs }
    }

    /// Whether `password` matches `stored` (or, for `None`, costs what a
    /// check costs and fails).
    pub async fn verify(&self, password: &str, stored: Option<String>) -> Result<bool, Busy> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job = Job {
            password: password.to_owned(),
            stored,
            answer,
        };
        match self.jobs.try_send(job) {
            Ok(()) => answered.await.map_err(|_| Busy),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => Err(Busy),
        }
    }
}

fn work(waiting: &Mutex<Receiver<Job>>) {
    let mut blocks: Vec<Block> = Vec::new();
    loop {
        let job = {
            let receiver = match waiting.lock() {
                Ok(receiver) => receiver,
                Err(poisoned) => poisoned.into_inner(),
            };
            receiver.recv()
        };
        let Ok(job) = job else {
            return;
        };
        let matches = match &job.stored {
            Some(stored) => verify_in(job.password.as_bytes(), stored, &mut blocks),
            None => {
                let decoy = DECOY.get_or_init(|| decoy(&mut blocks)).as_deref();
                if let Some(decoy) = decoy {
                    verify_in(job.password.as_bytes(), decoy, &mut blocks);
                }
                false
            }
        };
        let _ = job.answer.send(matches);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_their_password_only() -> Result<(), PasswordError> {
        let stored = hash("correct horse")?;
        assert!(stored.starts_with("$argon2id$"));
        let mut blocks = Vec::new();
        assert!(verify_in(b"correct horse", &stored, &mut blocks));
        assert!(!verify_in(b"correct horse ", &stored, &mut blocks));
        assert!(!verify_in(b"correct horse", "not a hash", &mut blocks));
        assert_ne!(hash("correct horse")?, stored, "salted");
        Ok(())
    }

    #[test]
    fn the_pool_checks_like_the_crate_and_reuses_its_memory() -> Result<(), PasswordError> {
        let stored = hash("correct horse")?;
        let mut blocks = Vec::new();
        assert!(verify_in(b"correct horse", &stored, &mut blocks));
        let grown = blocks.len();
        assert!(grown > 0);
        assert!(!verify_in(b"correct horse!", &stored, &mut blocks));
        assert_eq!(blocks.len(), grown, "the buffer is reused, not grown again");
        assert!(!verify_in(
            b"correct horse",
            "$argon2id$v=19$m=8,t=1,p=1$bad",
            &mut blocks
        ));
        Ok(())
    }

    #[tokio::test]
    async fn a_full_queue_refuses_instead_of_waiting() -> Result<(), PasswordError> {
        let stored = hash("correct horse")?;
        let pool = PasswordChecker::start(1, 1);
        assert!(matches!(
            pool.verify("correct horse", Some(stored.clone())).await,
            Ok(true)
        ));
        let attempts: Vec<_> = (0..20)
            .map(|_| pool.verify("wrong", Some(stored.clone())))
            .collect();
        let answers = futures_util::future::join_all(attempts).await;
        assert!(
            answers.iter().any(|answer| answer.is_err()),
            "some are refused"
        );
        assert!(
            answers.iter().any(|answer| matches!(answer, Ok(false))),
            "some are checked"
        );
        Ok(())
    }
}
