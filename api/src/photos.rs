//! The photo store: images kept as files under one directory (the data
//! directory's `photos/` unless configured), each named by its SHA-256 so
//! that a picture sent twice is kept once and a name tells nothing of the
//! case. Written whole or not at all (a temporary file renamed into place).
//! A file whose transaction then failed stays, unreferenced and unserved.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::domain::cases::photos::{Photo, kind_of};
use crate::error::{ApiError, ApiResult};

fn failed(err: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(anyhow::anyhow!("photo store: {err}"))
}

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

    /// Checks an image and keeps it.
    pub async fn keep(&self, bytes: Vec<u8>) -> ApiResult<Photo> {
        let content_type = kind_of(&bytes)?;
        let sha256: String = Sha256::digest(&bytes)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let root = self.root.clone();
        let name = sha256.clone();
        let size = bytes.len();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let Some(path) = Self::path_of(&root, &name) else {
                return Ok(());
            };
            if path.exists() {
                return Ok(());
            }
            let folder = path.parent().unwrap_or(&root);
            std::fs::create_dir_all(folder)?;
            let partial = folder.join(format!(".{name}.{}", std::process::id()));
            std::fs::write(&partial, &bytes)?;
            std::fs::rename(&partial, &path)
        })
        .await
        .map_err(failed)?
        .map_err(failed)?;
        Ok(Photo {
            sha256,
            content_type,
            size,
        })
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
