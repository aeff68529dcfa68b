//! The seal on each audit row and on each link of the chain: HMAC-SHA256
//! under a server key kept like the JWT secret. A row written by anyone
//! without the key (an insert made straight into the database) carries no
//! valid seal, and a row changed afterwards no longer matches its own.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use entities::audit_log;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::auth::secret::{KeptSecretError, hex, kept_secret};

const KEY_FILE: &str = "audit-hmac.key";

/// The key audit rows are sealed under, shared by every replica.
#[derive(Clone)]
pub struct Seal(Arc<Vec<u8>>);

impl std::fmt::Debug for Seal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Seal(…)")
    }
}

impl Seal {
    /// The configured key (32 bytes or more), or the one kept in the data
    /// directory, made on first use.
    pub fn from_config(configured: Option<&str>, data_dir: &Path) -> Result<Seal, KeptSecretError> {
        let key = match configured {
            Some(key) if key.len() >= 32 => key.as_bytes().to_vec(),
            Some(_) => return Err(KeptSecretError::Short),
            None => kept_secret(data_dir, KEY_FILE)?,
        };
        Ok(Seal(Arc::new(key)))
    }

    /// A seal over `key` itself, for tests and tools that bring their own.
    pub fn new(key: &[u8]) -> Seal {
        Seal(Arc::new(key.to_vec()))
    }

    /// HMAC-SHA256 of the parts, each length-prefixed so that no two lists
    /// of parts read alike, in hex.
    pub fn over(&self, parts: &[&[u8]]) -> String {
        // HMAC takes a key of any length.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            unreachable!("HMAC accepts every key length")
        };
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        hex(&mac.finalize().into_bytes())
    }
}

/// What a row's seal covers: everything it says, in one spelling that both
/// backends give back alike (the time to the microsecond, JSON with sorted
/// keys).
pub struct Sealed<'a> {
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<i64>,
    pub actor_token_id: Option<i64>,
    pub actor_name: &'a str,
    pub address: Option<&'a str>,
    pub session: Option<&'a str>,
    pub action: &'a str,
    pub object_kind: &'a str,
    pub object_id: Option<&'a str>,
    pub area_code: Option<&'a str>,
    pub detail: &'a Value,
}

impl<'a> Sealed<'a> {
    /// What a stored row says.
    pub fn of(row: &'a audit_log::Model) -> Sealed<'a> {
        Sealed {
            at: row.at,
            actor_user_id: row.actor_user_id,
            actor_token_id: row.actor_token_id,
            actor_name: &row.actor_name,
            address: row.address.as_deref(),
            session: row.session.as_deref(),
            action: &row.action,
            object_kind: &row.object_kind,
            object_id: row.object_id.as_deref(),
            area_code: row.area_code.as_deref(),
            detail: &row.detail,
        }
    }

    /// The seal of this content under `salt` (a random string kept in
    /// front of the seal, so that two rows alike still differ, and a copy
    /// of one is told by repeating it).
    pub fn seal(&self, seal: &Seal, salt: &str) -> String {
        let number = |value: Option<i64>| value.map(|n| n.to_string()).unwrap_or_default();
        let text = |value: Option<&str>| value.map(|v| format!("+{v}")).unwrap_or_default();
        seal.over(&[
            salt.as_bytes(),
            self.at.timestamp_micros().to_string().as_bytes(),
            number(self.actor_user_id).as_bytes(),
            number(self.actor_token_id).as_bytes(),
            self.actor_name.as_bytes(),
            text(self.address).as_bytes(),
            text(self.session).as_bytes(),
            self.action.as_bytes(),
            self.object_kind.as_bytes(),
            text(self.object_id).as_bytes(),
            text(self.area_code).as_bytes(),
            canonical(self.detail).as_bytes(),
        ])
    }
}

/// JSON with every object's keys sorted, whatever order the database gave
/// them back in.
pub fn canonical(value: &Value) -> String {
    let mut spelled = String::new();
    spell(value, &mut spelled);
    spelled
}

/// Written into one string: a full read's entry lists fifty ids, each of
/// which would otherwise be a string of its own, joined into another.
fn spell(value: &Value, out: &mut String) {
    match value {
        Value::Object(fields) => {
            let mut keys: Vec<&String> = fields.keys().collect();
            keys.sort();
            out.push('{');
            for (place, key) in keys.into_iter().enumerate() {
                if place > 0 {
                    out.push(',');
                }
                spell_plain(&Value::String(key.clone()), out);
                out.push(':');
                spell(&fields[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (place, item) in items.iter().enumerate() {
                if place > 0 {
                    out.push(',');
                }
                spell(item, out);
            }
            out.push(']');
        }
        other => spell_plain(other, out),
    }
}

/// A value with no keys to sort, as serde_json spells it.
fn spell_plain(value: &Value, out: &mut String) {
    use std::fmt::Write;
    // Writing into a String cannot fail.
    let _ = write!(out, "{value}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_spelling_does_not_depend_on_key_order() {
        let a: Value =
            serde_json::from_str(r#"{"b":1,"a":{"d":[1,2],"c":"x"}}"#).unwrap_or_default();
        let b: Value =
            serde_json::from_str(r#"{"a":{"c":"x","d":[1,2]},"b":1}"#).unwrap_or_default();
        assert_eq!(canonical(&a), canonical(&b));
        assert_eq!(
            canonical(&json!({"b": 1, "a": null})),
            r#"{"a":null,"b":1}"#
        );
    }

    /// Rows sealed before are checked with the same spelling: written out
    /// here by hand, not by the code under test.
    #[test]
    fn the_spelling_is_the_one_rows_were_sealed_with() {
        let value = json!({
            "ids": [3, -1, 20],
            "grids": ["420502003001001"],
            "名": "引\"号\n",
            "f": 1.5,
            "z": {"y": true, "b": [], "a": {}},
            "n": null,
        });
        assert_eq!(
            canonical(&value),
            r#"{"f":1.5,"grids":["420502003001001"],"ids":[3,-1,20],"n":null,"z":{"a":{},"b":[],"y":true},"名":"引\"号\n"}"#
        );
    }

    #[test]
    fn parts_are_told_apart_and_keys_matter() {
        let seal = Seal::new(b"k");
        assert_ne!(seal.over(&[b"ab", b"c"]), seal.over(&[b"a", b"bc"]));
        assert_ne!(seal.over(&[b"x"]), Seal::new(b"other").over(&[b"x"]));
        assert_eq!(seal.over(&[b"x"]).len(), 64);
    }
}
