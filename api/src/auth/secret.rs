//! Random secrets and their stored fingerprints.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
#[error("the system's random source failed: {0}")]
pub struct RandomError(String);

/// `count` random bytes from the operating system.
pub fn random_bytes(count: usize) -> Result<Vec<u8>, RandomError> {
    let mut buffer = vec![0u8; count];
    getrandom::fill(&mut buffer).map_err(|err| RandomError(err.to_string()))?;
    Ok(buffer)
}

/// `bytes` random bytes from the operating system, base64url-encoded.
pub fn random_token(bytes: usize) -> Result<String, RandomError> {
    Ok(URL_SAFE_NO_PAD.encode(random_bytes(bytes)?))
}

/// A kept secret that cannot be read, written or used.
#[derive(Debug, thiserror::Error)]
pub enum KeptSecretError {
    #[error("a secret must be at least 32 bytes")]
    Short,
    #[error("cannot read or write the key file {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// The secret kept in `file` under the data directory (readable by its
/// owner only), made on first use.
pub fn kept_secret(data_dir: &Path, file: &str) -> Result<Vec<u8>, KeptSecretError> {
    let path = data_dir.join(file);
    let file_error = |source| KeptSecretError::File {
        path: path.display().to_string(),
        source,
    };
    match std::fs::read_to_string(&path) {
        Ok(text) if text.trim().len() >= 32 => return Ok(text.trim().as_bytes().to_vec()),
        Ok(_) => return Err(KeptSecretError::Short),
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(file_error(err)),
        Err(_) => {}
    }
    std::fs::create_dir_all(data_dir).map_err(file_error)?;
    let secret = random_token(48)?;
    write_private(&path, &secret).map_err(file_error)?;
    Ok(secret.into_bytes())
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// What the database keeps of a bearer secret: its SHA-256, in hex. The
/// secrets are long and random, so a fast hash is enough; a leaked table
/// gives nobody a usable token.
pub fn fingerprint(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Bytes in lower-case hex, as digests are shown and stored.
pub fn hex(bytes: &[u8]) -> String {
    // Every audit row and link is sealed in hex: no formatting per byte.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut spelled = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        spelled.push(char::from(DIGITS[usize::from(byte >> 4)]));
        spelled.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    spelled
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_fingerprints_stable() -> Result<(), RandomError> {
        let a = random_token(32)?;
        let b = random_token(32)?;
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(fingerprint("abc"), fingerprint("abc"));
        assert_eq!(
            fingerprint("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        Ok(())
    }
}
