//! Editing the policies: every edit validated, written with its audit row
//! and a version bump in one transaction, then enforced.

use chrono::{DateTime, Utc};
use entities::{area, casbin_rule, department, grid, user};
use policies::{
    Action, Authorizer, Domain, Object, PolicyRule, RoleAssignment, Rule, RuleError, Subject,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::json;

use crate::audit::{self, Actor, Entry};
use crate::auth::policy_store;
use crate::domain::access::Access;
use crate::domain::page::{Listing, PageRequest};
use crate::domain::scoped::{Order, keyset};
use crate::error::{ApiError, ApiResult};

pub const POLICY_CURSOR: &str = "policy";
pub const ASSIGNMENT_CURSOR: &str = "assignment";

/// A stored rule with its row id and window.
pub struct StoredRule<R> {
    pub id: i64,
    pub rule: R,
    pub window: Window,
}

/// When a rule is in force: from `from` (or from when it was written) until
/// `until` (or until removed). At `until` every replica stops enforcing it
/// within a second, and it is removed with an audit row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl Window {
    fn of(row: &casbin_rule::Model) -> Window {
        Window {
            from: row.valid_from,
            until: row.valid_until,
        }
    }

    /// Its times as the database keeps them (to the microsecond), so that
    /// the answer to an edit shows what every later read will.
    fn stored(self) -> Window {
        use chrono::SubsecRound;
        Window {
            from: self.from.map(|at| at.trunc_subsecs(6)),
            until: self.until.map(|at| at.trunc_subsecs(6)),
        }
    }

    /// A window a new rule may carry: one that has not closed, and closes
    /// after it opens.
    fn check(&self, now: DateTime<Utc>) -> ApiResult<()> {
        if let Some(until) = self.until {
            if until <= now {
                return Err(ApiError::bad_input("validUntil", "must be in the future"));
            }
            if self.from.is_some_and(|from| from >= until) {
                return Err(ApiError::bad_input("validUntil", "must be after validFrom"));
            }
        }
        Ok(())
    }
}

pub fn field_error(err: RuleError) -> ApiError {
    let field = match &err {
        RuleError::UnknownObject(_) => "object",
        RuleError::UnknownAction(_) => "action",
        RuleError::UnknownEffect(_) => "effect",
        RuleError::BadRole(_) => "role",
        RuleError::BadSubject(_) => "subject.name",
        RuleError::BadDomain(_) => "area",
        RuleError::UnknownType(_) | RuleError::StrayField(_) => "rule",
    };
    ApiError::bad_input(field, err.to_string())
}

fn matching_row(rule: &Rule) -> sea_orm::Select<casbin_rule::Entity> {
    let (ptype, [v0, v1, v2, v3, v4, v5]) = rule.to_row();
    casbin_rule::Entity::find()
        .filter(casbin_rule::Column::Ptype.eq(ptype))
        .filter(casbin_rule::Column::V0.eq(v0))
        .filter(casbin_rule::Column::V1.eq(v1))
        .filter(casbin_rule::Column::V2.eq(v2))
        .filter(casbin_rule::Column::V3.eq(v3))
        .filter(casbin_rule::Column::V4.eq(v4))
        .filter(casbin_rule::Column::V5.eq(v5))
}

/// A policy named by its fields, checked as an edit checks it.
pub fn policy_rule([role, object, action, effect]: [&str; 4]) -> ApiResult<Rule> {
    PolicyRule::new(role, object, action, effect)
        .map(Rule::Policy)
        .map_err(field_error)
}

/// A role assignment named by its fields, checked as an edit checks it.
pub fn assignment_rule([subject, role, area]: [&str; 3]) -> ApiResult<Rule> {
    RoleAssignment::new(subject, role, area)
        .map(Rule::Assignment)
        .map_err(field_error)
}

/// Whether an edit adds or removes its rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edit {
    Add,
    Remove,
}

/// Adds or removes a policy: what `role` may (or may not) do.
pub async fn edit_policy(
    access: &Access,
    edit: Edit,
    [role, object, action, effect]: [&str; 4],
    window: Window,
) -> ApiResult<StoredRule<PolicyRule>> {
    access.require_city(Object::Policy, Action::Manage)?;
    let (db, authorizer, actor) = (access.db(), access.authorizer(), access.actor()?);
    let policy = PolicyRule::new(role, object, action, effect).map_err(field_error)?;
    let action = match edit {
        Edit::Add => "policy.add",
        Edit::Remove => "policy.remove",
    };
    let (id, window) = write(
        db,
        authorizer,
        &actor,
        action,
        &Rule::Policy(policy.clone()),
        (edit, window),
    )
    .await?;
    Ok(StoredRule {
        id,
        rule: policy,
        window,
    })
}

/// Adds or removes `rule` for the operator at a terminal, who holds the
/// database itself: validated, audited and propagated as an admin's edit.
pub async fn edit_as_operator(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    actor: &Actor,
    rule: &Rule,
    (edit, window): (Edit, Window),
) -> ApiResult<(i64, Window)> {
    let action = match (rule, edit) {
        (Rule::Policy(_), Edit::Add) => "policy.add",
        (Rule::Policy(_), Edit::Remove) => "policy.remove",
        (Rule::Assignment(_), Edit::Add) => "role.assign",
        (Rule::Assignment(_), Edit::Remove) => "role.revoke",
    };
    write(db, authorizer, actor, action, rule, (edit, window)).await
}

/// Every stored rule that parses, in the order written, for the operator.
pub async fn stored_rules(db: &DatabaseConnection) -> ApiResult<Vec<StoredRule<Rule>>> {
    use sea_orm::QueryOrder;
    let rows = casbin_rule::Entity::find()
        .order_by_asc(casbin_rule::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            policy_store::rule_of(row).ok().map(|rule| StoredRule {
                id: row.id,
                rule,
                window: Window::of(row),
            })
        })
        .collect())
}

/// Gives or takes away a role in an area.
pub async fn edit_assignment(
    access: &Access,
    edit: Edit,
    [subject, role, area]: [&str; 3],
    window: Window,
) -> ApiResult<StoredRule<RoleAssignment>> {
    access.require_city(Object::Policy, Action::Manage)?;
    let (db, authorizer, actor) = (access.db(), access.authorizer(), access.actor()?);
    let assignment = RoleAssignment::new(subject, role, area).map_err(field_error)?;
    let action = match edit {
        Edit::Add => "role.assign",
        Edit::Remove => "role.revoke",
    };
    let rule = Rule::Assignment(assignment.clone());
    let (id, window) = write(db, authorizer, &actor, action, &rule, (edit, window)).await?;
    Ok(StoredRule {
        id,
        rule: assignment,
        window,
    })
}

/// Adds (with its window) or removes `rule`; its id and window.
async fn write(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    actor: &Actor,
    action: &str,
    rule: &Rule,
    (edit, window): (Edit, Window),
) -> ApiResult<(i64, Window)> {
    let window = window.stored();
    let txn = crate::db::begin_write(db).await?;
    let existing = matching_row(rule).one(&txn).await?;
    let (id, window) = match (edit, existing) {
        (Edit::Add, Some(_)) => {
            return Err(ApiError::taken("input", "this rule already exists"));
        }
        (Edit::Remove, None) => return Err(ApiError::not_found("rule", "input")),
        (Edit::Remove, Some(row)) => {
            casbin_rule::Entity::delete_by_id(row.id).exec(&txn).await?;
            (row.id, Window::of(&row))
        }
        (Edit::Add, None) => {
            window.check(Utc::now())?;
            if let Rule::Assignment(assignment) = rule {
                validate_assignment(&txn, assignment).await?;
            }
            policy_store::insert_rules(&txn, std::slice::from_ref(rule)).await?;
            let id = matching_row(rule)
                .one(&txn)
                .await?
                .map(|row| row.id)
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("inserted rule not found")))?;
            if window != Window::default() {
                casbin_rule::Entity::update_many()
                    .col_expr(casbin_rule::Column::ValidFrom, Expr::value(window.from))
                    .col_expr(casbin_rule::Column::ValidUntil, Expr::value(window.until))
                    .filter(casbin_rule::Column::Id.eq(id))
                    .exec(&txn)
                    .await?;
            }
            (id, window)
        }
    };
    let (ptype, fields) = rule.to_row();
    policy_store::bump_version(&txn).await?;
    audit::record(
        &txn,
        actor,
        Entry {
            action,
            object_kind: "casbin_rule",
            object_id: Some(id.to_string()),
            area_code: match rule {
                Rule::Assignment(assignment) => match &assignment.domain {
                    Domain::Area(code) => Some(code.to_string()),
                    Domain::City => None,
                },
                Rule::Policy(_) => None,
            },
            detail: json!({
                "ptype": ptype,
                "fields": fields,
                "validFrom": window.from,
                "validUntil": window.until,
            }),
        },
    )
    .await?;
    txn.commit().await?;
    // This replica enforces the edit at once; the others within a second.
    policy_store::refresh(db, authorizer)
        .await
        .map_err(ApiError::Internal)?;
    Ok((id, window))
}

/// An assignment must name a role some policy defines, a subject that
/// exists, and an area that exists.
async fn validate_assignment(
    txn: &DatabaseTransaction,
    assignment: &RoleAssignment,
) -> ApiResult<()> {
    let role_defined = casbin_rule::Entity::find()
        .filter(casbin_rule::Column::Ptype.eq("p"))
        .filter(casbin_rule::Column::V0.eq(assignment.role.as_str()))
        .count(txn)
        .await?
        > 0;
    if !role_defined {
        return Err(ApiError::bad_input("role", "no policy defines this role"));
    }
    validate_holder(txn, assignment).await
}

/// An assignment's subject and area must exist.
pub async fn validate_holder<C: sea_orm::ConnectionTrait>(
    txn: &C,
    assignment: &RoleAssignment,
) -> ApiResult<()> {
    let subject_exists = match &assignment.subject {
        Subject::User(name) => {
            user::Entity::find()
                .filter(user::Column::Username.eq(name.as_str()))
                .count(txn)
                .await?
                > 0
        }
        Subject::Department(code) => {
            department::Entity::find()
                .filter(department::Column::Code.eq(code.as_str()))
                .count(txn)
                .await?
                > 0
        }
    };
    if !subject_exists {
        return Err(ApiError::missing(
            "subject.name",
            "no such user or department",
        ));
    }
    let area_exists = match &assignment.domain {
        Domain::City => true,
        Domain::Area(code) if code.level() == policies::AreaLevel::Grid => {
            grid::Entity::find_by_id(code.as_str()).count(txn).await? > 0
        }
        Domain::Area(code) => area::Entity::find_by_id(code.as_str()).count(txn).await? > 0,
    };
    if !area_exists {
        return Err(ApiError::missing("area", "no such area or grid"));
    }
    Ok(())
}

/// Stored policies in `order`; optionally of one role.
pub async fn list_policies(
    access: &Access,
    role: Option<&str>,
    order: Order<casbin_rule::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<StoredRule<PolicyRule>>> {
    access.require_city(Object::Policy, Action::Read)?;
    let equal: Vec<_> = role
        .map(|role| (casbin_rule::Column::V0, role))
        .into_iter()
        .collect();
    let listing = list_rows(access.db(), "p", &equal, order, request).await?;
    Ok(listing.filter_map(|(id, rule, window)| match rule {
        Rule::Policy(rule) => Some(StoredRule { id, rule, window }),
        Rule::Assignment(_) => None,
    }))
}

/// Stored role assignments in `order`; optionally of one subject, of one
/// role.
pub async fn list_assignments(
    access: &Access,
    subject: Option<&str>,
    role: Option<&str>,
    order: Order<casbin_rule::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<StoredRule<RoleAssignment>>> {
    access.require_city(Object::Policy, Action::Read)?;
    let equal: Vec<_> = [
        subject.map(|subject| (casbin_rule::Column::V0, subject)),
        role.map(|role| (casbin_rule::Column::V1, role)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let listing = list_rows(access.db(), "g", &equal, order, request).await?;
    Ok(listing.filter_map(|(id, rule, window)| match rule {
        Rule::Assignment(rule) => Some(StoredRule { id, rule, window }),
        Rule::Policy(_) => None,
    }))
}

/// One stored rule by id, for those who may read policies; None for anyone
/// else, as for an id that names nothing.
pub async fn find_rule(access: &Access, id: i64) -> ApiResult<Option<StoredRule<Rule>>> {
    if access.require_city(Object::Policy, Action::Read).is_err() {
        return Ok(None);
    }
    let row = casbin_rule::Entity::find_by_id(id).one(access.db()).await?;
    Ok(row.and_then(|row| {
        policy_store::rule_of(&row).ok().map(|rule| StoredRule {
            id: row.id,
            rule,
            window: Window::of(&row),
        })
    }))
}

/// Rows of one type after the cursor, and the count of all of them;
/// unreadable rows are shown to no one.
async fn list_rows(
    db: &DatabaseConnection,
    ptype: &str,
    equal: &[(casbin_rule::Column, &str)],
    order: Order<casbin_rule::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<(i64, Rule, Window)>> {
    let mut select = casbin_rule::Entity::find().filter(casbin_rule::Column::Ptype.eq(ptype));
    for (column, value) in equal {
        select = select.filter(column.eq(*value));
    }
    let listing = keyset(db, select, casbin_rule::Column::Id, order, request).await?;
    Ok(listing.filter_map(|row| {
        policy_store::rule_of(&row)
            .ok()
            .map(|rule| (row.id, rule, Window::of(&row)))
    }))
}

/// The policy version this replica enforces and how many rules it holds,
/// for a caller who may read policies.
pub fn enforced(access: &Access) -> ApiResult<(i64, usize)> {
    access.require_city(Object::Policy, Action::Read)?;
    Ok((
        access.authorizer().version(),
        access.authorizer().rule_count(),
    ))
}
