//! The policy set's history as stored: each bump of the version is a
//! numbered `policy_version` row (who, when, why) with the rules it added
//! and removed as `policy_change` rows, written in the bump's transaction.
//! A version's number is the `policy_state.version` it bumped to, so the
//! history and the replicas' reloads count the same versions.

use chrono::{DateTime, Utc};
use entities::casbin_rule;
use entities::policy_change::{self, ChangeOp};
use entities::policy_version::{self, VersionKind};
use policies::Rule;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use super::policy_store;

/// What made a version, and why.
pub struct Note<'a> {
    pub kind: VersionKind,
    /// The user, token or operator; `system` for the server itself.
    pub actor: &'a str,
    pub comment: &'a str,
    pub rolled_back_to: Option<i64>,
}

/// One rule added or removed, in the stored layout, with its window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub op: ChangeOp,
    pub ptype: String,
    pub fields: [String; 6],
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
}

impl Change {
    pub fn of_rule(op: ChangeOp, rule: &Rule, window: [Option<DateTime<Utc>>; 2]) -> Change {
        let (ptype, fields) = rule.to_row();
        Change {
            op,
            ptype: ptype.to_owned(),
            fields,
            valid_from: window[0],
            valid_until: window[1],
        }
    }

    pub fn of_row(op: ChangeOp, row: &casbin_rule::Model) -> Change {
        let fields = [&row.v0, &row.v1, &row.v2, &row.v3, &row.v4, &row.v5];
        Change::stored(op, &row.ptype, fields, [row.valid_from, row.valid_until])
    }

    pub fn of_stored(row: &policy_change::Model) -> Change {
        let fields = [&row.v0, &row.v1, &row.v2, &row.v3, &row.v4, &row.v5];
        Change::stored(
            row.op,
            &row.ptype,
            fields,
            [row.valid_from, row.valid_until],
        )
    }

    /// A change of a rule in the stored layout (a `casbin_rule` or
    /// `policy_change` row's fields).
    fn stored(
        op: ChangeOp,
        ptype: &str,
        fields: [&String; 6],
        [valid_from, valid_until]: [Option<DateTime<Utc>>; 2],
    ) -> Change {
        Change {
            op,
            ptype: ptype.to_owned(),
            fields: fields.map(Clone::clone),
            valid_from,
            valid_until,
        }
    }

    /// The rule it names, parsed as the authorizer parses stored rules.
    pub fn rule(&self) -> Result<Rule, policies::RuleError> {
        let fields: [&str; 6] = std::array::from_fn(|index| self.fields[index].as_str());
        Rule::from_row(&self.ptype, fields)
    }
}

/// Bumps the version inside the caller's transaction and records it with
/// `changes`; the new version's number.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    note: Note<'_>,
    changes: &[Change],
) -> Result<i64, DbErr> {
    let number = policy_store::bump_version(db).await?;
    policy_version::Entity::insert(policy_version::ActiveModel {
        number: Set(number),
        kind: Set(note.kind),
        actor: Set(note.actor.to_owned()),
        comment: Set(note.comment.to_owned()),
        rolled_back_to: Set(note.rolled_back_to),
        changes: Set(i32::try_from(changes.len()).unwrap_or(i32::MAX)),
        at: Set(Utc::now()),
    })
    .exec_without_returning(db)
    .await?;
    for chunk in changes.chunks(500) {
        let rows = chunk.iter().map(|change| {
            let [v0, v1, v2, v3, v4, v5] = change.fields.clone();
            policy_change::ActiveModel {
                id: NotSet,
                version: Set(number),
                op: Set(change.op),
                ptype: Set(change.ptype.clone()),
                v0: Set(v0),
                v1: Set(v1),
                v2: Set(v2),
                v3: Set(v3),
                v4: Set(v4),
                v5: Set(v5),
                valid_from: Set(change.valid_from),
                valid_until: Set(change.valid_until),
            }
        });
        policy_change::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(number)
}

/// Records a version the server made by adding `rules` (the defaults, the
/// demo city's assignments).
pub async fn record_added<C: ConnectionTrait>(
    db: &C,
    kind: VersionKind,
    comment: &str,
    rules: &[Rule],
) -> Result<i64, DbErr> {
    let changes: Vec<Change> = rules
        .iter()
        .map(|rule| Change::of_rule(ChangeOp::Add, rule, [None, None]))
        .collect();
    let note = Note {
        kind,
        actor: "system",
        comment,
        rolled_back_to: None,
    };
    record(db, note, &changes).await
}
