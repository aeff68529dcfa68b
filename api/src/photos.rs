//! The photo store: images kept as files under one directory (the data
//! directory's `photos/` unless configured), each named by its SHA-256 so
//! that a picture sent twice is kept once and a name tells nothing of the
//! case. A photo is checked when it arrives but written only once the move
//! that carries it has committed, so a refused or failed move leaves
//! nothing behind; each file is written whole or not at all (a temporary
//! file of its own, synced, renamed into place).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::domain::cases::photos::{Photo, kind_of};
use crate::error::{ApiError, ApiResult};

fn failed(err: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(anyhow::anyhow!("photo store: {err}"))
}

/// Tells apart the temporary files of concurrent writes in one process.
static WRITES: AtomicU64 = AtomicU64::new(0);

#[derive(Debug, Clone)]
pub struct PhotoStore {
    root: PathBuf,
}

impl PhotoStore {
    pub fn new(root: impl Into<PathBuf>) -> PhotoStore {
        PhotoStore { root: root.into() }
    }

    fn path_of(root: &Path, sha256: &str) -> Option<PathBuf> {
        let valid = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
        valid.then(|| root.join(&sha256[..2]).join(sha256))
    }

    /// What an image is and its SHA-256, off the async workers; nothing is
    /// written.
    pub async fn inspect(bytes: std::sync::Arc<Vec<u8>>) -> ApiResult<Photo> {
        tokio::task::spawn_blocking(move || {
            let content_type = kind_of(&bytes)?;
            let sha256 = crate::auth::secret::hex(&Sha256::digest(bytes.as_slice()));
            Ok(Photo {
                sha256,
                content_type,
                size: bytes.len(),
            })
        })
        .await
        .map_err(failed)?
    }

    /// Keeps an inspected image.
    pub async fn write(&self, photo: &Photo, bytes: std::sync::Arc<Vec<u8>>) -> ApiResult<()> {
        let root = self.root.clone();
        let name = photo.sha256.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let Some(path) = Self::path_of(&root, &name) else {
                return Ok(());
            };
            let whole = |path: &Path| {
                std::fs::metadata(path).is_ok_and(|meta| meta.len() == bytes.len() as u64)
            };
            if whole(&path) {
                return Ok(());
            }
            let folder = path.parent().unwrap_or(&root);
            std::fs::create_dir_all(folder)?;
            let partial = folder.join(format!(
                ".{name}.{}.{}",
                std::process::id(),
                WRITES.fetch_add(1, Ordering::Relaxed)
            ));
            let mut file = std::fs::File::create(&partial)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            match std::fs::rename(&partial, &path) {
                // Another writer of the same picture got there first.
                Err(_) if whole(&path) => {
                    let _ = std::fs::remove_file(&partial);
                    Ok(())
                }
                done => done,
            }
        })
        .await
        .map_err(failed)?
        .map_err(failed)
    }

    /// The bytes of a kept image.
    pub async fn read(&self, sha256: &str) -> ApiResult<Vec<u8>> {
        let path = Self::path_of(&self.root, sha256)
            .ok_or_else(|| failed("a name that is not a SHA-256"))?;
        tokio::task::spawn_blocking(move || std::fs::read(path))
            .await
            .map_err(failed)?
            .map_err(failed)
    }
}
