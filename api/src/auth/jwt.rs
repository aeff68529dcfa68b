//! Access tokens: short-lived JWTs, signed and checked the RFC 8725 way.
//!
//! One algorithm is allowed, the one configured (HS256 with a shared secret,
//! or EdDSA with a key pair), so a token cannot choose how it is checked.
//! `exp`, `nbf`, `iat`, `iss`, `aud`, `sub` and `jti` are all required, the
//! header's `typ` must say `at+jwt` (RFC 9068), tokens over 4 KiB are refused
//! unread, and clocks may differ by ten seconds.

use std::path::Path;

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use super::secret::{KeptSecretError, kept_secret, random_token};
use crate::caller::Caller;

pub const ISSUER: &str = "gridgov";
pub const AUDIENCE: &str = "gridgov-api";
pub const TOKEN_TYPE: &str = "at+jwt";
const MAX_TOKEN_BYTES: usize = 4096;
const LEEWAY_SECONDS: u64 = 10;
const SECRET_FILE: &str = "jwt-hs256.secret";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the JWT secret must be at least 32 bytes")]
    ShortSecret,
    #[error("cannot read or write the key file {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error("the EdDSA key is not a valid PEM Ed25519 key: {0}")]
    Pem(String),
    #[error("EdDSA needs both the private and the public key")]
    HalfKeyPair,
    #[error(transparent)]
    Random(#[from] super::secret::RandomError),
    #[error(transparent)]
    Kept(#[from] KeptSecretError),
}

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// `user:USERNAME`.
    pub sub: String,
    /// The user's id, so that requests need no lookup to name them.
    pub uid: i64,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
    pub jti: String,
}

impl Claims {
    /// The user these checked claims name; `None` for a subject that is not
    /// a user.
    pub fn caller(&self) -> Option<Caller> {
        let username = self.sub.strip_prefix("user:")?;
        Some(Caller {
            principal: policies::Principal::user(username),
            user_id: Some(self.uid),
            department_id: None,
            token_id: None,
            name: username.to_owned(),
            expires_at: chrono::DateTime::from_timestamp(self.exp, 0).unwrap_or_default(),
            session: Some(self.jti.chars().take(64).collect()),
            address: None,
        })
    }
}

/// The keys that sign and check access tokens.
#[derive(Clone)]
pub struct JwtKeys {
    algorithm: Algorithm,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl JwtKeys {
    pub fn hs256(secret: &[u8]) -> Result<JwtKeys, KeyError> {
        if secret.len() < 32 {
            return Err(KeyError::ShortSecret);
        }
        Ok(JwtKeys {
            algorithm: Algorithm::HS256,
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        })
    }

    pub fn eddsa(private_pem: &[u8], public_pem: &[u8]) -> Result<JwtKeys, KeyError> {
        Ok(JwtKeys {
            algorithm: Algorithm::EdDSA,
            encoding: EncodingKey::from_ed_pem(private_pem)
                .map_err(|e| KeyError::Pem(e.to_string()))?,
            decoding: DecodingKey::from_ed_pem(public_pem)
                .map_err(|e| KeyError::Pem(e.to_string()))?,
        })
    }

    /// The keys the configuration names; without any, an HS256 secret kept in
    /// the data directory (made on first start), which suits one process.
    /// Replicas must share a configured secret or key pair.
    pub fn from_config(
        secret: Option<&str>,
        private_key: Option<&Path>,
        public_key: Option<&Path>,
        data_dir: &Path,
    ) -> Result<JwtKeys, KeyError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| KeyError::File {
                path: path.display().to_string(),
                source,
            })
        };
        match (secret, private_key, public_key) {
            (_, Some(private), Some(public)) => JwtKeys::eddsa(&read(private)?, &read(public)?),
            (_, Some(_), None) | (_, None, Some(_)) => Err(KeyError::HalfKeyPair),
            (Some(secret), None, None) => JwtKeys::hs256(secret.as_bytes()),
            (None, None, None) => JwtKeys::hs256(&kept_secret(data_dir, SECRET_FILE)?),
        }
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Signs an access token for a user, valid for `ttl_seconds`.
    pub fn issue(
        &self,
        username: &str,
        user_id: i64,
        ttl_seconds: i64,
    ) -> Result<(String, Claims), TokenError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            sub: format!("user:{username}"),
            uid: user_id,
            exp: now + ttl_seconds,
            nbf: now,
            iat: now,
            jti: random_token(16).map_err(|_| TokenError)?,
        };
        let mut header = Header::new(self.algorithm);
        header.typ = Some(TOKEN_TYPE.to_owned());
        let token = encode(&header, &claims, &self.encoding).map_err(|_| TokenError)?;
        Ok((token, claims))
    }

    /// Checks a presented token. Every failure is the same [`TokenError`]:
    /// callers learn nothing about why.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError);
        }
        let mut validation = Validation::new(self.algorithm);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS;
        let data = decode::<Claims>(token, &self.decoding, &validation).map_err(|_| TokenError)?;
        if data.header.typ.as_deref() != Some(TOKEN_TYPE) {
            return Err(TokenError);
        }
        let claims = data.claims;
        let now = Utc::now().timestamp();
        if claims.iat > now + LEEWAY_SECONDS as i64
            || claims.jti.is_empty()
            || !claims.sub.starts_with("user:")
        {
            return Err(TokenError);
        }
        Ok(claims)
    }
}

/// A token that is not acceptable, for whatever reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid token")]
pub struct TokenError;

#[cfg(test)]
mod tests {
    use super::*;

    const TEST_ED25519_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ2h5w0SMSi5jPoxmEJUQ6bAINS++3f6Ba5gNVhlyHHk\n-----END PRIVATE KEY-----\n";
    const TEST_ED25519_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAC1zjUu5PtT8JZGNACrByubzglVGVMTBkMTIpOMqb7XU=\n-----END PUBLIC KEY-----\n";

    fn hs() -> JwtKeys {
        JwtKeys::hs256(b"0123456789abcdef0123456789abcdef").expect("valid secret")
    }

    #[test]
    fn hs256_signs_and_verifies() -> Result<(), TokenError> {
        let keys = hs();
        let (token, claims) = keys.issue("worker-420502003001001", 42, 900)?;
        assert_eq!(keys.verify(&token)?, claims);
        assert_eq!(claims.sub, "user:worker-420502003001001");
        Ok(())
    }

    #[test]
    fn eddsa_signs_and_verifies() -> Result<(), TokenError> {
        let keys = JwtKeys::eddsa(
            TEST_ED25519_PRIVATE.as_bytes(),
            TEST_ED25519_PUBLIC.as_bytes(),
        )
        .expect("valid key pair");
        let (token, claims) = keys.issue("admin", 1, 900)?;
        assert_eq!(keys.verify(&token)?, claims);
        // An HS256 token is refused by EdDSA keys, whatever its signature.
        let (other, _) = hs().issue("admin", 1, 900)?;
        assert_eq!(keys.verify(&other), Err(TokenError));
        Ok(())
    }

    #[test]
    fn expired_tampered_foreign_and_oversized_tokens_are_refused() -> Result<(), TokenError> {
        let keys = hs();
        let (expired, _) = keys.issue("admin", 1, -60)?;
        assert_eq!(keys.verify(&expired), Err(TokenError));
        let (token, _) = keys.issue("admin", 1, 900)?;
        let mut tampered = token.clone();
        tampered.insert(tampered.len() / 2, 'x');
        assert_eq!(keys.verify(&tampered), Err(TokenError));
        let other = JwtKeys::hs256(b"another secret of at least 32 bytes!").expect("valid");
        assert_eq!(other.verify(&token), Err(TokenError));
        assert_eq!(keys.verify(&"a".repeat(5000)), Err(TokenError));
        // alg "none" is never accepted.
        let parts: Vec<&str> = token.split('.').collect();
        let none_header = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            r#"{"alg":"none","typ":"at+jwt"}"#,
        );
        assert_eq!(
            keys.verify(&format!("{none_header}.{}.", parts[1])),
            Err(TokenError)
        );
        Ok(())
    }

    #[test]
    fn a_token_without_the_access_type_is_refused() {
        let keys = hs();
        let now = Utc::now().timestamp();
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: "user:admin".into(),
            uid: 1,
            exp: now + 60,
            nbf: now,
            iat: now,
            jti: "x".into(),
        };
        let token =
            encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding).expect("encodes");
        assert_eq!(keys.verify(&token), Err(TokenError));
    }

    #[test]
    fn short_secrets_and_half_key_pairs_are_refused() {
        assert!(matches!(
            JwtKeys::hs256(b"short"),
            Err(KeyError::ShortSecret)
        ));
        let dir = std::env::temp_dir();
        assert!(matches!(
            JwtKeys::from_config(None, Some(Path::new("/x")), None, &dir),
            Err(KeyError::HalfKeyPair)
        ));
    }

    #[test]
    fn the_stored_secret_is_made_once_and_kept() {
        let dir = std::env::temp_dir().join(format!("gridgov-jwt-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = kept_secret(&dir, SECRET_FILE).expect("made");
        let second = kept_secret(&dir, SECRET_FILE).expect("read back");
        assert_eq!(first, second);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
