//! Password hashes: argon2id with the crate's default (OWASP) parameters.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

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

/// Whether `password` matches the stored `hash`. A malformed hash never matches.
pub fn verify(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash of nothing anyone knows, checked when the username is unknown so
/// that a wrong name costs as long as a wrong password.
static DECOY: LazyLock<Option<String>> = LazyLock::new(|| hash("gridgov decoy password").ok());

pub fn verify_decoy(password: &str) {
    if let Some(decoy) = DECOY.as_deref() {
        let _ = verify(password, decoy);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_their_password_only() -> Result<(), PasswordError> {
        let stored = hash("correct horse")?;
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse", &stored));
        assert!(!verify("correct horse ", &stored));
        assert!(!verify("correct horse", "not a hash"));
        assert_ne!(hash("correct horse")?, stored, "salted");
        Ok(())
    }
}
