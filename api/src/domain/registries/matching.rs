//! The match key: outside ID numbers and residents' are compared as
//! HMAC-SHA256 under one server key, kept like the JWT secret, so that a
//! copy of a registry table (or of the residents' hash column) gives no ID
//! number away without the key.

use std::path::Path;
use std::sync::Arc;

use chrono::Utc;
use entities::{match_key, resident};
use hmac::{Hmac, Mac};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{CaseStatement, Condition, Expr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, SqlErr,
};
use sha2::Sha256;

use crate::auth::secret::{KeptSecretError, kept_secret};
use crate::error::ApiResult;

const KEY_FILE: &str = "match-hmac.key";
/// What the fingerprint is the HMAC of: no ID number reads like it.
const FINGERPRINT_OF: &[u8] = b"gridgov match key fingerprint";
/// Residents hashed per statement when filling in missing hashes.
const FILL_BATCH: u64 = 500;

/// The key ID numbers are hashed under for matching.
#[derive(Clone)]
pub struct MatchKey(Arc<Vec<u8>>);

impl std::fmt::Debug for MatchKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MatchKey(…)")
    }
}

impl MatchKey {
    /// The configured key (32 bytes or more), or the one kept in the data
    /// directory, made on first use.
    pub fn from_config(configured: Option<&str>, data_dir: &Path) -> Result<Self, KeptSecretError> {
        let key = match configured {
            Some(key) if key.len() >= 32 => key.as_bytes().to_vec(),
            Some(_) => return Err(KeptSecretError::Short),
            None => kept_secret(data_dir, KEY_FILE)?,
        };
        Ok(MatchKey(Arc::new(key)))
    }

    /// A key of the caller's own, for tests and tools.
    pub fn new(key: &[u8]) -> Self {
        MatchKey(Arc::new(key.to_vec()))
    }

    fn mac(&self, bytes: &[u8]) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            unreachable!("HMAC accepts every key length")
        };
        mac.update(bytes);
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The keyed hash of a document number, spelt as the record keeps it
    /// (upper case, no spaces).
    pub fn of(&self, number: &str) -> String {
        let spelt: String = number
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        self.mac(spelt.as_bytes())
    }

    fn fingerprint(&self) -> String {
        self.mac(FINGERPRINT_OF)
    }
}

/// Makes sure the stored hashes were made with `key`: records its
/// fingerprint on first use; `false` when they were made with another key
/// (a server so started would match nothing).
pub async fn same_key(db: &DatabaseConnection, key: &MatchKey) -> ApiResult<bool> {
    let fingerprint = key.fingerprint();
    if let Some(kept) = match_key::Entity::find_by_id(1).one(db).await? {
        return Ok(kept.fingerprint == fingerprint);
    }
    let first = match_key::ActiveModel {
        id: Set(1),
        fingerprint: Set(fingerprint.clone()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await;
    match first {
        Ok(_) => Ok(true),
        // Another replica recorded its key first: it must be this one.
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            Ok(match_key::Entity::find_by_id(1)
                .one(db)
                .await?
                .is_some_and(|kept| kept.fingerprint == fingerprint))
        }
        Err(err) => Err(err.into()),
    }
}

/// Hashes every resident's number not hashed yet (seeded, or corrected
/// since), a batch per statement; the number of residents hashed.
pub async fn fill_missing(db: &DatabaseConnection, key: &MatchKey) -> ApiResult<u64> {
    let mut filled = 0;
    loop {
        let batch: Vec<(i64, String)> = resident::Entity::find()
            .select_only()
            .column(resident::Column::Id)
            .column(resident::Column::IdNumber)
            .filter(resident::Column::IdHash.is_null())
            .order_by_asc(resident::Column::Id)
            .limit(FILL_BATCH)
            .into_tuple()
            .all(db)
            .await?;
        if batch.is_empty() {
            return Ok(filled);
        }
        let mut hashes = CaseStatement::new();
        for (id, number) in &batch {
            // A number corrected since it was read stays unhashed (NULL),
            // for the next round.
            let unchanged = Condition::all()
                .add(resident::Column::Id.eq(*id))
                .add(resident::Column::IdNumber.eq(number.as_str()));
            hashes = hashes.case(unchanged, Expr::val(key.of(number)));
        }
        let ids: Vec<i64> = batch.iter().map(|(id, _)| *id).collect();
        let updated = resident::Entity::update_many()
            .col_expr(resident::Column::IdHash, hashes.into())
            .filter(resident::Column::Id.is_in(ids))
            .filter(resident::Column::IdHash.is_null())
            .exec(db)
            .await?;
        // Rows another replica filled first are not counted twice.
        filled += updated.rows_affected;
    }
}
