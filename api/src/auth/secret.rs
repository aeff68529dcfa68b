//! Random secrets and their stored fingerprints.

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

/// What the database keeps of a bearer secret: its SHA-256, in hex. The
/// secrets are long and random, so a fast hash is enough; a leaked table
/// gives nobody a usable token.
pub fn fingerprint(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
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
