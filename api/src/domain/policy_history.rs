//! The policy set's history read back, and rolled back: every version with
//! who, when and why and the rules it added and removed; a rollback makes
//! the rules of an earlier version the rules in force again, as a new
//! version (history is never rewritten).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entities::policy_change::{self, ChangeOp};
use entities::policy_version::VersionKind;
use entities::{casbin_rule, policy_version};
use policies::{Action, Authorizer, Object, Rule};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

use crate::audit::Actor;
use crate::auth::policy_history::Change;
use crate::auth::policy_store;
use crate::domain::access::Access;
use crate::domain::page::{Listing, PageRequest};
use crate::domain::policy_admin::{self, Applied, Edit, Proposed, Why, Window};
use crate::domain::scoped::{Order, keyset};
use crate::error::{ApiError, ApiResult};

pub const VERSION_CURSOR: &str = "policy_version";
pub const CHANGE_CURSOR: &str = "policy_change";

/// Which versions to list; the parts combine with AND.
#[derive(Debug, Clone, Default)]
pub struct VersionFilter {
    /// Only versions of these kinds (any when empty).
    pub kinds: Vec<VersionKind>,
    /// Only those this user, token or operator made.
    pub actor: Option<String>,
}

/// The versions in `order`, for those who may read policies.
pub async fn versions(
    access: &Access,
    filter: &VersionFilter,
    order: Order<policy_version::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<policy_version::Model>> {
    access.require_city(Object::Policy, Action::Read)?;
    let mut select = policy_version::Entity::find();
    if !filter.kinds.is_empty() {
        select = select.filter(policy_version::Column::Kind.is_in(filter.kinds.clone()));
    }
    if let Some(actor) = &filter.actor {
        select = select.filter(policy_version::Column::Actor.eq(actor.as_str()));
    }
    keyset(
        access.db(),
        select,
        policy_version::Column::Number,
        order,
        request,
    )
    .await
}

/// One version, for those who may read policies; None for anyone else, as
/// for a number with no history.
pub async fn version(access: &Access, number: i64) -> ApiResult<Option<policy_version::Model>> {
    if access.require_city(Object::Policy, Action::Read).is_err() {
        return Ok(None);
    }
    Ok(policy_version::Entity::find_by_id(number)
        .one(access.db())
        .await?)
}

/// The rules one version added and removed, in the order it made them.
pub async fn changes(
    access: &Access,
    number: i64,
    request: &PageRequest,
) -> ApiResult<Listing<policy_change::Model>> {
    access.require_city(Object::Policy, Action::Read)?;
    keyset(
        access.db(),
        policy_change::Entity::find().filter(policy_change::Column::Version.eq(number)),
        policy_change::Column::Id,
        Order::ascending(policy_change::Column::Id),
        request,
    )
    .await
}

/// Every version of the history, oldest first, for the operator.
pub async fn all_versions(db: &DatabaseConnection) -> ApiResult<Vec<policy_version::Model>> {
    Ok(policy_version::Entity::find()
        .order_by_asc(policy_version::Column::Number)
        .all(db)
        .await?)
}

/// The changes of one version, for the operator.
pub async fn changes_of(db: &DatabaseConnection, number: i64) -> ApiResult<Vec<Change>> {
    let rows = policy_change::Entity::find()
        .filter(policy_change::Column::Version.eq(number))
        .order_by_asc(policy_change::Column::Id)
        .all(db)
        .await?;
    Ok(rows.iter().map(Change::of_stored).collect())
}

/// Makes the rules of version `to` the rules in force again, as a new
/// version, for those who may manage policies.
pub async fn rollback(
    access: &Access,
    to: i64,
    comment: &str,
    seen: Option<i64>,
) -> ApiResult<Applied> {
    access.require_city(Object::Policy, Action::Manage)?;
    let (db, authorizer, actor) = (access.db(), access.authorizer(), access.actor()?);
    rollback_unchecked(db, authorizer, &actor, (to, seen), comment).await
}

/// A stored rule's identity (its type and fields) and its window.
type Stored = BTreeMap<(String, [String; 6]), [Option<DateTime<Utc>>; 2]>;

/// [`rollback`] unchecked, for the operator at a terminal: to version
/// `to`, decided against version `seen` (the current one when None). Rules
/// whose window has closed since are not restored: they would lapse at
/// once.
pub async fn rollback_unchecked(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    actor: &Actor,
    (to, seen): (i64, Option<i64>),
    comment: &str,
) -> ApiResult<Applied> {
    let current = policy_store::current_version(db).await?;
    if let Some(seen) = seen
        && seen != current
    {
        return Err(ApiError::conflict(format!(
            "the policies changed since version {seen}: they are at version {current}"
        )));
    }
    if to >= current {
        return Err(ApiError::bad_input(
            "toVersion",
            format!("roll back to a version before the current one ({current})"),
        ));
    }
    // The history must hold `to` and every version after it: the rules of
    // `to` are the rules now with those versions undone.
    let recorded = policy_version::Entity::find()
        .filter(policy_version::Column::Number.gte(to))
        .count(db)
        .await?;
    if to < 0 || i64::try_from(recorded).ok() != Some(current - to + 1) {
        return Err(ApiError::missing(
            "toVersion",
            "the history does not reach back to that version",
        ));
    }
    let now: Stored = casbin_rule::Entity::find()
        .all(db)
        .await?
        .iter()
        .map(|row| {
            let change = Change::of_row(ChangeOp::Add, row);
            (
                (change.ptype, change.fields),
                [change.valid_from, change.valid_until],
            )
        })
        .collect();
    let mut then = now.clone();
    let since = policy_change::Entity::find()
        .filter(policy_change::Column::Version.gt(to))
        .order_by_desc(policy_change::Column::Version)
        .order_by_desc(policy_change::Column::Id)
        .all(db)
        .await?;
    for row in &since {
        let change = Change::of_stored(row);
        let key = (change.ptype, change.fields);
        match change.op {
            ChangeOp::Add => {
                then.remove(&key);
            }
            ChangeOp::Remove => {
                then.insert(key, [change.valid_from, change.valid_until]);
            }
        }
    }
    let edits = edits_between(&now, &then, Utc::now())?;
    if edits.is_empty() {
        return Err(ApiError::bad_input(
            "toVersion",
            format!("the rules in force are those of version {to} already"),
        ));
    }
    let why = Why {
        comment,
        expected_version: Some(current),
        rolled_back_to: Some(to),
    };
    // A rule to restore that no longer fits (its user, department or area
    // gone) is the chosen version's fault, not a field of this input.
    policy_admin::apply(db, authorizer, actor, &edits, why)
        .await
        .map_err(|err| match err {
            ApiError::BadUserInput { .. } | ApiError::NotFound { .. } => ApiError::bad_input(
                "toVersion",
                format!(
                    "a rule of that version cannot be restored: {}",
                    err.message()
                ),
            ),
            other => other,
        })
}

/// The version a caller just made: it may see what it made, whether or
/// not it may read the rest of the history.
pub async fn made(db: &DatabaseConnection, number: i64) -> ApiResult<policy_version::Model> {
    policy_version::Entity::find_by_id(number)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("version {number} was not recorded")))
}

/// The edits that turn `now` into `then`: removals first, then policies
/// before the assignments that may need their role defined. A rule whose
/// window has closed by `at` is not restored.
fn edits_between(now: &Stored, then: &Stored, at: DateTime<Utc>) -> ApiResult<Vec<Proposed>> {
    let proposed = |edit: Edit, (ptype, fields): &(String, [String; 6]), window: &[_; 2]| {
        let change = Change {
            op: ChangeOp::Add,
            ptype: ptype.clone(),
            fields: fields.clone(),
            valid_from: window[0],
            valid_until: window[1],
        };
        let rule = change
            .rule()
            .map_err(|err| ApiError::Internal(anyhow::anyhow!("a recorded rule: {err}")))?;
        Ok::<_, ApiError>(Proposed {
            field: "toVersion".to_owned(),
            edit,
            rule,
            window: Window {
                from: window[0],
                until: window[1],
            },
        })
    };
    let mut edits = Vec::new();
    for (key, window) in now {
        if then.get(key) != Some(window) {
            edits.push(proposed(Edit::Remove, key, window)?);
        }
    }
    let mut adds = Vec::new();
    for (key, window) in then {
        let closed = window[1].is_some_and(|until| until <= at);
        if now.get(key) != Some(window) && !closed {
            adds.push(proposed(Edit::Add, key, window)?);
        }
    }
    // Stable: a role's policies before its delegability and assignments.
    adds.sort_by_key(|edit| match edit.rule {
        Rule::Policy(_) => 0,
        Rule::Delegation(_) => 1,
        Rule::Assignment(_) => 2,
    });
    edits.extend(adds);
    Ok(edits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(ptype: &str, fields: [&str; 6]) -> (String, [String; 6]) {
        (ptype.to_owned(), fields.map(str::to_owned))
    }

    #[test]
    fn edits_restore_then_and_skip_closed_windows() {
        let at = Utc::now();
        let policy = key("p", ["clerk", "case", "read", "allow", "", ""]);
        let kept = key("p", ["clerk", "task", "read", "allow", "", ""]);
        let holder = key("g", ["user:ann", "clerk", "420502", "", "", ""]);
        let lapsed = key("g", ["user:bob", "clerk", "420502", "", "", ""]);
        let until = at + chrono::Duration::hours(1);
        let now: Stored = [
            (kept.clone(), [None, None]),
            (holder.clone(), [None, Some(until)]),
        ]
        .into_iter()
        .collect();
        let marked = key("d", ["clerk", "community", "", "", "", ""]);
        let then: Stored = [
            (marked, [None, None]),
            (policy.clone(), [None, None]),
            (kept.clone(), [None, None]),
            (holder.clone(), [None, None]),
            (lapsed, [None, Some(at - chrono::Duration::hours(1))]),
        ]
        .into_iter()
        .collect();
        let edits = edits_between(&now, &then, at).expect("recorded rules parse");
        let shown: Vec<_> = edits
            .iter()
            .map(|edit| {
                (
                    edit.edit,
                    edit.rule.to_row().1[0].clone(),
                    edit.window.until,
                )
            })
            .collect();
        // The holder's window differs: removed and added back without it;
        // the policy comes back before the role's delegability and its
        // assignment; the closed one stays out; the rule both have is left
        // alone.
        assert_eq!(
            shown,
            vec![
                (Edit::Remove, "user:ann".to_owned(), Some(until)),
                (Edit::Add, "clerk".to_owned(), None),
                (Edit::Add, "clerk".to_owned(), None),
                (Edit::Add, "user:ann".to_owned(), None),
            ]
        );
        assert!(matches!(edits[1].rule, Rule::Policy(_)));
        assert!(matches!(edits[2].rule, Rule::Delegation(_)));
    }
}
