//! What a policy change would do, without making it: the rules in force
//! now and the same rules with the change, each loaded into an authorizer
//! of its own, compared subject by subject for every object and action, and
//! for lists of rows, how many rows each subject would gain or lose in each
//! district.

use std::collections::BTreeSet;

use entities::{building, case, dwelling, household, organisation, resident};
use policies::{Action, Authorizer, Object, PolicyRule, Principal, Rule, Scope, Subject};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Func};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
    QueryTrait,
};

use crate::auth::policy_store;
use crate::domain::access::Access;
use crate::domain::policy_admin;
use crate::domain::within::condition_sql;
use crate::domain::within::in_scope;
use crate::error::{ApiError, ApiResult};

/// At most this many subjects get their rows counted: a change to a role
/// every grid worker holds touches a thousand of them, and each count is a
/// scan.
pub const COUNTED_SUBJECTS: usize = 20;

/// The proposed rules to add and to remove, each with the input field
/// that named it (`assignRoles.0`), for errors.
pub struct Changes {
    pub add: Vec<(String, Rule)>,
    pub remove: Vec<(String, Rule)>,
}

/// At most this many (subject, object, action) scopes are compared: a
/// change to `*` of a role a thousand subjects hold is refused, not ground
/// through.
pub const MAX_COMPARED: usize = 20_000;

/// Rows of one object a subject would gain and lose in one district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowChange {
    pub district: String,
    pub gained: i64,
    pub lost: i64,
}

/// One subject's access to one object and action, before and after.
pub struct AccessChange {
    pub subject: Subject,
    pub object: Object,
    pub action: Action,
    pub before: Scope,
    pub after: Scope,
    /// The SQL conditions lists run with, before and after.
    pub conditions: [String; 2],
    /// For `read` of an object listed in rows, when the subject is among
    /// those counted: the rows gained and lost by district.
    pub rows: Option<Vec<RowChange>>,
}

pub struct DryRun {
    /// The version the change was tried against.
    pub version: i64,
    /// Subjects whose access changes, in order.
    pub subjects: usize,
    /// Whether some of them went uncounted ([`COUNTED_SUBJECTS`]).
    pub rows_truncated: bool,
    pub changes: Vec<AccessChange>,
}

/// Tries `changes` against the rules in force, for those who may manage
/// policies, as if made now (windows are not tried). A rule to add that is
/// stored, one to remove that is not, or an assignment of an unknown role,
/// subject or area is `BAD_USER_INPUT` naming it, as the edit itself would
/// be refused.
pub async fn dry_run(access: &Access, changes: Changes) -> ApiResult<DryRun> {
    access.require_city(Object::Policy, Action::Manage)?;
    dry_run_on(access.db(), changes).await
}

/// [`dry_run`] unchecked, for the operator at a terminal.
pub async fn dry_run_on(db: &DatabaseConnection, changes: Changes) -> ApiResult<DryRun> {
    let loaded = policy_store::load(db).await?;
    // Edits match stored rules whatever their window; the authorizers hold
    // those in force.
    let stored: Vec<Rule> = policy_admin::stored_rules(db)
        .await?
        .into_iter()
        .map(|stored| stored.rule)
        .collect();
    let mut after = loaded.rules.clone();
    for (field, rule) in &changes.remove {
        if !stored.contains(rule) {
            return Err(ApiError::bad_input(field.clone(), "no such rule"));
        }
        after.retain(|held| held != rule);
    }
    for (field, rule) in &changes.add {
        if stored.contains(rule) {
            return Err(ApiError::bad_input(
                field.clone(),
                "this rule already exists",
            ));
        }
        after.push(rule.clone());
    }
    // An assignment names a role some policy defines (after the change: it
    // may add that policy too), and a subject and area that exist.
    for (field, rule) in &changes.add {
        let Rule::Assignment(assignment) = rule else {
            continue;
        };
        let defined = after
            .iter()
            .chain(&stored)
            .any(|rule| matches!(rule, Rule::Policy(policy) if policy.role == assignment.role));
        if !defined {
            return Err(ApiError::bad_input(
                field.clone(),
                "no policy defines this role",
            ));
        }
        policy_admin::validate_holder(db, assignment)
            .await
            .map_err(|err| match err {
                ApiError::Internal(_) => err,
                other => ApiError::bad_input(field.clone(), other.message()),
            })?;
    }
    let build = |rules: &[Rule]| {
        let rules = rules.to_vec();
        async move {
            Authorizer::new(&rules, loaded.version)
                .await
                .map_err(|err| ApiError::Internal(err.into()))
        }
    };
    let (before_authz, after_authz) = (build(&loaded.rules).await?, build(&after).await?);
    let subjects = touched(&changes, &loaded.rules, &after);
    let pairs = pairs(&changes, &loaded.rules, &after);
    if subjects.len() * pairs.len() > MAX_COMPARED {
        return Err(ApiError::bad_input(
            "input",
            format!(
                "this change reaches {} subjects in {} objects and actions; try a narrower one",
                subjects.len(),
                pairs.len()
            ),
        ));
    }

    let mut found = Vec::new();
    let mut changed_subjects = 0;
    let mut counted = 0;
    let mut rows_truncated = false;
    for subject in subjects {
        let principal = Principal {
            subject: subject.clone(),
            token: None,
        };
        let mut changed = false;
        for &(object, action) in &pairs {
            {
                let before = before_authz.scope(&principal, object, action);
                let after = after_authz.scope(&principal, object, action);
                if before == after {
                    continue;
                }
                changed = true;
                let rows = if action == Action::Read && listed(object) {
                    if counted < COUNTED_SUBJECTS {
                        Some(row_changes(db, object, &before, &after).await?)
                    } else {
                        rows_truncated = true;
                        None
                    }
                } else {
                    None
                };
                found.push(AccessChange {
                    subject: subject.clone(),
                    object,
                    action,
                    conditions: [condition_sql(db, &before), condition_sql(db, &after)],
                    before,
                    after,
                    rows,
                });
            }
        }
        if changed {
            changed_subjects += 1;
            counted += 1;
        }
    }
    Ok(DryRun {
        version: loaded.version,
        subjects: changed_subjects,
        rows_truncated,
        changes: found,
    })
}

/// The subjects a change can affect: those of the assignments added or
/// removed, and every holder (before or after) of a role whose policies
/// change.
fn touched(changes: &Changes, before: &[Rule], after: &[Rule]) -> BTreeSet<Subject> {
    let mut roles = BTreeSet::new();
    let mut subjects = BTreeSet::new();
    for (_, rule) in changes.add.iter().chain(&changes.remove) {
        match rule {
            Rule::Policy(policy) => {
                roles.insert(policy.role.clone());
            }
            Rule::Assignment(assignment) => {
                subjects.insert(assignment.subject.clone());
            }
            // Who may hand a role out changes nobody's access by itself.
            Rule::Delegation(_) => {}
        }
    }
    for rule in before.iter().chain(after) {
        if let Rule::Assignment(assignment) = rule
            && roles.contains(&assignment.role)
        {
            subjects.insert(assignment.subject.clone());
        }
    }
    subjects
}

/// The objects and actions a change can affect: those its policies name,
/// and those of the policies of the roles its assignments give or take.
fn pairs(changes: &Changes, before: &[Rule], after: &[Rule]) -> Vec<(Object, Action)> {
    let mut named: Vec<&PolicyRule> = Vec::new();
    for (_, rule) in changes.add.iter().chain(&changes.remove) {
        match rule {
            Rule::Policy(policy) => named.push(policy),
            Rule::Assignment(assignment) => {
                named.extend(before.iter().chain(after).filter_map(|rule| match rule {
                    Rule::Policy(policy) if policy.role == assignment.role => Some(policy),
                    _ => None,
                }))
            }
            Rule::Delegation(_) => {}
        }
    }
    Object::ALL
        .iter()
        .flat_map(|object| Action::ALL.iter().map(move |action| (*object, *action)))
        .filter(|(object, action)| {
            named
                .iter()
                .any(|policy| policy.object.matches(*object) && policy.action.matches(*action))
        })
        .collect()
}

/// Objects whose rows lists return, placed in grids.
fn listed(object: Object) -> bool {
    matches!(
        object,
        Object::Resident
            | Object::Household
            | Object::Dwelling
            | Object::Building
            | Object::Organisation
            | Object::Case
    )
}

#[derive(FromQueryResult)]
struct DistrictRow {
    district: String,
    gained: Option<i64>,
    lost: Option<i64>,
}

async fn row_changes(
    db: &DatabaseConnection,
    object: Object,
    before: &Scope,
    after: &Scope,
) -> ApiResult<Vec<RowChange>> {
    match object {
        Object::Resident => {
            counted::<resident::Entity, _>(db, resident::Column::GridCode, before, after).await
        }
        Object::Household => {
            counted::<household::Entity, _>(db, household::Column::GridCode, before, after).await
        }
        Object::Dwelling => {
            counted::<dwelling::Entity, _>(db, dwelling::Column::GridCode, before, after).await
        }
        Object::Building => {
            counted::<building::Entity, _>(db, building::Column::GridCode, before, after).await
        }
        Object::Organisation => {
            counted::<organisation::Entity, _>(db, organisation::Column::GridCode, before, after)
                .await
        }
        Object::Case => counted::<case::Entity, _>(db, case::Column::GridCode, before, after).await,
        _ => Ok(Vec::new()),
    }
}

/// Rows inside `after` and not `before` (gained) and the other way round
/// (lost), by district, in one statement.
async fn counted<E: EntityTrait, C: ColumnTrait + Copy>(
    db: &DatabaseConnection,
    grid: C,
    before: &Scope,
    after: &Scope,
) -> ApiResult<Vec<RowChange>> {
    let (was, is) = (in_scope(grid, before), in_scope(grid, after));
    let only = |yes: Condition, no: Condition| {
        Expr::case(Condition::all().add(yes).add(no.not()), Expr::val(1))
            .finally(Expr::val(0))
            .sum()
    };
    let district =
        Func::cust(Alias::new("SUBSTR")).args([Expr::col(grid), Expr::val(1), Expr::val(6)]);
    let mut select = E::find()
        .select_only()
        .expr_as(district, "district")
        .expr_as(only(is.clone(), was.clone()), "gained")
        .expr_as(only(was.clone(), is.clone()), "lost")
        .filter(Condition::any().add(was).add(is))
        .group_by(Expr::cust("1"));
    QueryTrait::query(&mut select).order_by_expr(Expr::cust("1"), sea_orm::Order::Asc);
    let rows = DistrictRow::find_by_statement(select.build(db.get_database_backend()))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| RowChange {
            district: row.district,
            gained: row.gained.unwrap_or(0),
            lost: row.lost.unwrap_or(0),
        })
        .filter(|change| change.gained != 0 || change.lost != 0)
        .collect())
}
