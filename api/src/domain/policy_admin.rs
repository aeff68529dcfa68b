//! Editing the policies: every edit validated, written with its audit row
//! and a version bump in one transaction, then enforced.

use chrono::{DateTime, Utc};
use entities::policy_change::ChangeOp;
use entities::policy_version::VersionKind;
use entities::{area, casbin_rule, department, grid, user};
use policies::{
    Action, Authorizer, Delegation, Domain, Object, PolicyRule, Refusal, RoleAssignment, Rule,
    RuleError, Scope, Subject,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::json;

use crate::audit::{self, Actor, Entry};
use crate::auth::policy_history::{self, Change, Note};
use crate::auth::policy_store;
use crate::domain::access::Access;
use crate::domain::page::{Listing, PageRequest};
use crate::domain::scoped::{Order, keyset};
use crate::domain::within::in_scope;
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
        RuleError::BadLevel(_) => "level",
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

/// A delegable role named by its fields, checked as an edit checks it.
pub fn delegation_rule([role, level]: [&str; 2]) -> ApiResult<Rule> {
    Delegation::new(role, level)
        .map(Rule::Delegation)
        .map_err(field_error)
}

/// Whether an edit adds or removes its rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edit {
    Add,
    Remove,
}

/// One proposed edit: a rule to add (with its window) or to remove, and
/// the input field that named it, for errors.
pub struct Proposed {
    pub field: String,
    pub edit: Edit,
    pub rule: Rule,
    pub window: Window,
}

/// Why a set of edits is made: the comment every version carries, the
/// version the editor saw (a stale one is `CONFLICT`), and for a rollback
/// the version restored.
pub struct Why<'a> {
    pub comment: &'a str,
    pub expected_version: Option<i64>,
    pub rolled_back_to: Option<i64>,
}

impl<'a> Why<'a> {
    /// An edit's reason, with no version expected.
    pub fn edit(comment: &'a str) -> Why<'a> {
        Why {
            comment,
            expected_version: None,
            rolled_back_to: None,
        }
    }
}

/// A set of edits made: the version it became, and each rule's row id and
/// window, in the order proposed.
pub struct Applied {
    pub version: i64,
    pub rules: Vec<(i64, Window)>,
}

/// The longest comment a version keeps.
pub const MAX_COMMENT: usize = 500;

/// Adds or removes a policy: what `role` may (or may not) do.
pub async fn edit_policy(
    access: &Access,
    edit: Edit,
    [role, object, action, effect]: [&str; 4],
    window: Window,
    comment: &str,
) -> ApiResult<StoredRule<PolicyRule>> {
    access.require_city(Object::Policy, Action::Manage)?;
    let policy = PolicyRule::new(role, object, action, effect).map_err(field_error)?;
    let (id, window) =
        edit_one(access, edit, Rule::Policy(policy.clone()), window, comment).await?;
    Ok(StoredRule {
        id,
        rule: policy,
        window,
    })
}

/// Gives or takes away a role in an area: an admin any role anywhere, a
/// manager a delegable role inside its own area (see [`delegated`]).
pub async fn edit_assignment(
    access: &Access,
    edit: Edit,
    [subject, role, area]: [&str; 3],
    window: Window,
    comment: &str,
) -> ApiResult<StoredRule<RoleAssignment>> {
    let assignment = RoleAssignment::new(subject, role, area).map_err(field_error)?;
    if access.require_city(Object::Policy, Action::Manage).is_err() {
        delegated(access, &assignment)?;
        if edit == Edit::Add {
            within_own_time(access, window).await?;
        }
    }
    let rule = Rule::Assignment(assignment.clone());
    let (id, window) = edit_one(access, edit, rule, window, comment).await?;
    Ok(StoredRule {
        id,
        rule: assignment,
        window,
    })
}

/// Whether a manager (no admin) may give or take away `assignment`: a role
/// an admin made delegable to its level, inside the area where it may
/// delegate, and no right of the role that is not its own throughout that
/// area. Anyone who may delegate nowhere there is refused as for any
/// forbidden write.
fn delegated(access: &Access, assignment: &RoleAssignment) -> ApiResult<()> {
    let principal = &access.caller()?.principal;
    let role = &assignment.role;
    let refusal = match access
        .authorizer()
        .may_delegate(principal, role, &assignment.domain)
    {
        Ok(()) => return Ok(()),
        Err(refusal) => refusal,
    };
    Err(match refusal {
        Refusal::NoRight => ApiError::forbidden(Object::Policy, Action::Delegate),
        Refusal::NotDelegable => {
            ApiError::bad_input("role", format!("{role} is not a role managers hand out"))
        }
        Refusal::AboveLevel(level) => ApiError::bad_input(
            "role",
            format!("{role} is handed out by managers of a {level} or a wider area"),
        ),
        Refusal::Beyond(object, action) => ApiError::bad_input(
            "role",
            format!(
                "{role} may {action} {object} in {}, which you may not: a role handed out is \
                 never more than your own",
                assignment.domain
            ),
        ),
    })
}

/// When the caller's own rights start to lapse: the earliest end of its
/// role assignments that have one. None when all of them run until
/// revoked.
pub async fn own_rights_end(access: &Access) -> ApiResult<Option<DateTime<Utc>>> {
    use sea_orm::QueryOrder;
    let subject = access.caller()?.principal.subject.casbin_name();
    Ok(casbin_rule::Entity::find()
        .filter(casbin_rule::Column::Ptype.eq("g"))
        .filter(casbin_rule::Column::V0.eq(subject))
        .filter(casbin_rule::Column::ValidUntil.is_not_null())
        .order_by_asc(casbin_rule::Column::ValidUntil)
        .one(access.db())
        .await?
        .and_then(|row| row.valid_until))
}

/// A role a manager hands out ends no later than the manager's own first
/// lapsing role, so that cover cannot outlast the one who gave it.
async fn within_own_time(access: &Access, window: Window) -> ApiResult<()> {
    let Some(end) = own_rights_end(access).await? else {
        return Ok(());
    };
    if window.until.is_none_or(|until| until > end) {
        return Err(ApiError::bad_input(
            "validUntil",
            format!("your own role ends at {end}: what you hand out must end by then"),
        ));
    }
    Ok(())
}

async fn edit_one(
    access: &Access,
    edit: Edit,
    rule: Rule,
    window: Window,
    comment: &str,
) -> ApiResult<(i64, Window)> {
    let proposed = Proposed {
        field: "input".to_owned(),
        edit,
        rule,
        window,
    };
    let (db, authorizer, actor) = (access.db(), access.authorizer(), access.actor()?);
    let applied = apply(db, authorizer, &actor, &[proposed], Why::edit(comment)).await?;
    applied
        .rules
        .first()
        .copied()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("an applied edit lost its rule")))
}

/// Makes a set of edits as one version, for those who may manage policies.
pub async fn apply_changes(
    access: &Access,
    edits: &[Proposed],
    why: Why<'_>,
) -> ApiResult<Applied> {
    access.require_city(Object::Policy, Action::Manage)?;
    let (db, authorizer, actor) = (access.db(), access.authorizer(), access.actor()?);
    apply(db, authorizer, &actor, edits, why).await
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

/// A version's comment, trimmed: required, and at most [`MAX_COMMENT`]
/// characters.
fn comment_of(comment: &str) -> ApiResult<&str> {
    let comment = comment.trim();
    if comment.is_empty() {
        return Err(ApiError::required(
            "comment",
            "say why: every policy version carries its reason",
        ));
    }
    if comment.chars().count() > MAX_COMMENT {
        return Err(ApiError::bad_input(
            "comment",
            format!("at most {MAX_COMMENT} characters"),
        ));
    }
    Ok(comment)
}

/// The audit action of an edit.
fn action_of(rule: &Rule, edit: Edit) -> &'static str {
    match (rule, edit) {
        (Rule::Policy(_), Edit::Add) => "policy.add",
        (Rule::Policy(_), Edit::Remove) => "policy.remove",
        (Rule::Assignment(_), Edit::Add) => "role.assign",
        (Rule::Assignment(_), Edit::Remove) => "role.revoke",
        (Rule::Delegation(_), Edit::Add) => "role.delegable",
        (Rule::Delegation(_), Edit::Remove) => "role.not_delegable",
    }
}

/// Makes `edits` in order, in one transaction: each rule added (with its
/// window) or removed, each with its audit row, and the whole as one
/// numbered version with its reason; then enforced. Unchecked: callers
/// decide who may (the operator at a terminal holds the database itself).
pub async fn apply(
    db: &DatabaseConnection,
    authorizer: &Authorizer,
    actor: &Actor,
    edits: &[Proposed],
    why: Why<'_>,
) -> ApiResult<Applied> {
    let comment = comment_of(why.comment)?;
    if edits.is_empty() {
        return Err(ApiError::required("input", "propose at least one change"));
    }
    let txn = crate::db::begin_write(db).await?;
    // Stale is stale whatever else is wrong with the set: said first, and
    // again after the bump, which a concurrent edit may have beaten.
    let stale = |version: i64, expected: i64| {
        ApiError::conflict(format!(
            "the policies changed since version {expected}: they are at version {version}"
        ))
    };
    if let Some(expected) = why.expected_version {
        let version = policy_store::current_version(&txn).await?;
        if version != expected {
            return Err(stale(version, expected));
        }
    }
    let mut changes = Vec::with_capacity(edits.len());
    let mut rules = Vec::with_capacity(edits.len());
    for proposed in edits {
        let (id, window) = write(&txn, proposed).await?;
        let op = match proposed.edit {
            Edit::Add => ChangeOp::Add,
            Edit::Remove => ChangeOp::Remove,
        };
        changes.push(Change::of_rule(
            op,
            &proposed.rule,
            [window.from, window.until],
        ));
        rules.push((id, window));
    }
    let note = Note {
        kind: if why.rolled_back_to.is_some() {
            VersionKind::Rollback
        } else {
            VersionKind::Edit
        },
        actor: &actor.name,
        comment,
        rolled_back_to: why.rolled_back_to,
    };
    let version = policy_history::record(&txn, note, &changes).await?;
    if let Some(expected) = why.expected_version
        && version != expected + 1
    {
        return Err(stale(version - 1, expected));
    }
    for (proposed, (id, window)) in edits.iter().zip(&rules) {
        let (ptype, fields) = proposed.rule.to_row();
        audit::record(
            &txn,
            actor,
            Entry {
                action: action_of(&proposed.rule, proposed.edit),
                object_kind: "casbin_rule",
                object_id: Some(id.to_string()),
                area_code: match &proposed.rule {
                    Rule::Assignment(assignment) => match &assignment.domain {
                        Domain::Area(code) => Some(code.to_string()),
                        Domain::City => None,
                    },
                    Rule::Policy(_) | Rule::Delegation(_) => None,
                },
                detail: json!({
                    "ptype": ptype,
                    "fields": fields,
                    "validFrom": window.from,
                    "validUntil": window.until,
                    "version": version,
                }),
            },
        )
        .await?;
    }
    txn.commit().await?;
    // This replica enforces the edit at once; the others within a second.
    policy_store::refresh(db, authorizer)
        .await
        .map_err(ApiError::Internal)?;
    Ok(Applied { version, rules })
}

/// Adds (with its window) or removes one proposed rule inside `txn`; its
/// row id and window.
async fn write(txn: &DatabaseTransaction, proposed: &Proposed) -> ApiResult<(i64, Window)> {
    let Proposed {
        field,
        edit,
        rule,
        window,
    } = proposed;
    let window = window.stored();
    let existing = matching_row(rule).one(txn).await?;
    Ok(match (edit, existing) {
        (Edit::Add, Some(_)) => {
            return Err(ApiError::taken(field.clone(), "this rule already exists"));
        }
        (Edit::Remove, None) => return Err(ApiError::missing(field.clone(), "no such rule")),
        (Edit::Remove, Some(row)) => {
            // Someone else's removal (or a lapse) may have taken it since it
            // was read: then this one removed nothing and says so.
            let gone = casbin_rule::Entity::delete_by_id(row.id).exec(txn).await?;
            if gone.rows_affected == 0 {
                return Err(ApiError::missing(field.clone(), "no such rule"));
            }
            (row.id, Window::of(&row))
        }
        (Edit::Add, None) => {
            window.check(Utc::now())?;
            match rule {
                Rule::Assignment(assignment) => validate_assignment(txn, assignment).await?,
                Rule::Delegation(delegation) => {
                    role_defined(txn, &delegation.role).await?;
                    one_level(txn, field, delegation).await?;
                }
                Rule::Policy(_) => {}
            }
            policy_store::insert_rules(txn, std::slice::from_ref(rule)).await?;
            let id = matching_row(rule)
                .one(txn)
                .await?
                .map(|row| row.id)
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("inserted rule not found")))?;
            if window != Window::default() {
                casbin_rule::Entity::update_many()
                    .col_expr(casbin_rule::Column::ValidFrom, Expr::value(window.from))
                    .col_expr(casbin_rule::Column::ValidUntil, Expr::value(window.until))
                    .filter(casbin_rule::Column::Id.eq(id))
                    .exec(txn)
                    .await?;
            }
            (id, window)
        }
    })
}

/// An assignment must name a role some policy defines, a subject that
/// exists, and an area that exists.
async fn validate_assignment(
    txn: &DatabaseTransaction,
    assignment: &RoleAssignment,
) -> ApiResult<()> {
    role_defined(txn, &assignment.role).await?;
    validate_holder(txn, assignment).await
}

/// A role is delegable from one level at most: a second level would make
/// the first meaningless or ambiguous.
async fn one_level(
    txn: &DatabaseTransaction,
    field: &str,
    delegation: &Delegation,
) -> ApiResult<()> {
    let marked = casbin_rule::Entity::find()
        .filter(casbin_rule::Column::Ptype.eq("d"))
        .filter(casbin_rule::Column::V0.eq(delegation.role.as_str()))
        .one(txn)
        .await?;
    match marked {
        Some(row) => Err(ApiError::taken(
            field,
            format!(
                "{} is delegable from the {} level already: remove that first",
                delegation.role, row.v1
            ),
        )),
        None => Ok(()),
    }
}

/// A role assigned or made delegable must be one some policy defines.
async fn role_defined(txn: &DatabaseTransaction, role: &str) -> ApiResult<()> {
    let defined = casbin_rule::Entity::find()
        .filter(casbin_rule::Column::Ptype.eq("p"))
        .filter(casbin_rule::Column::V0.eq(role))
        .count(txn)
        .await?
        > 0;
    if !defined {
        return Err(ApiError::bad_input("role", "no policy defines this role"));
    }
    Ok(())
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
    let listing = list_rows(access.db(), ("p", None), &equal, order, request).await?;
    Ok(listing.filter_map(|(id, rule, window)| match rule {
        Rule::Policy(rule) => Some(StoredRule { id, rule, window }),
        Rule::Assignment(_) | Rule::Delegation(_) => None,
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
    let within = assignments_seen(access)?.map(|scope| in_scope(casbin_rule::Column::V2, &scope));
    let equal: Vec<_> = [
        subject.map(|subject| (casbin_rule::Column::V0, subject)),
        role.map(|role| (casbin_rule::Column::V1, role)),
    ]
    .into_iter()
    .flatten()
    .collect();
    let listing = list_rows(access.db(), ("g", within), &equal, order, request).await?;
    Ok(listing.filter_map(|(id, rule, window)| match rule {
        Rule::Assignment(rule) => Some(StoredRule { id, rule, window }),
        Rule::Policy(_) | Rule::Delegation(_) => None,
    }))
}

/// The roles managers may hand out and at which level, for admins and for
/// those who may delegate somewhere.
pub async fn delegable_roles(access: &Access) -> ApiResult<Vec<StoredRule<Delegation>>> {
    if let Err(refused) = access.require_city(Object::Policy, Action::Read)
        && access.scope(Object::Policy, Action::Delegate).is_nothing()
    {
        return Err(refused);
    }
    Ok(stored_rules(access.db())
        .await?
        .into_iter()
        .filter_map(|stored| match stored.rule {
            Rule::Delegation(rule) => Some(StoredRule {
                id: stored.id,
                rule,
                window: stored.window,
            }),
            _ => None,
        })
        .collect())
}

/// Which role assignments a caller sees: all of them (None) for those who
/// may read policies; for a manager, those inside the areas where it may
/// delegate (those it may give and take away, and those beside them).
/// Lists and single reads both ask here, so they agree.
fn assignments_seen(access: &Access) -> ApiResult<Option<Scope>> {
    match access.require_city(Object::Policy, Action::Read) {
        Ok(()) => Ok(None),
        Err(refused) => {
            let scope = access.scope(Object::Policy, Action::Delegate);
            if scope.is_nothing() {
                return Err(refused);
            }
            Ok(Some(scope))
        }
    }
}

/// One stored rule by id, for those who may read policies, and an
/// assignment a manager sees in its list ([`assignments_seen`]); None for
/// anything else, as for an id that names nothing.
pub async fn find_rule(access: &Access, id: i64) -> ApiResult<Option<StoredRule<Rule>>> {
    let Ok(seen) = assignments_seen(access) else {
        return Ok(None);
    };
    let row = casbin_rule::Entity::find_by_id(id).one(access.db()).await?;
    let row = row.filter(|row| {
        seen.as_ref()
            .is_none_or(|scope| row.ptype == "g" && scope.contains(&row.v2))
    });
    Ok(row.and_then(|row| {
        policy_store::rule_of(&row).ok().map(|rule| StoredRule {
            id: row.id,
            rule,
            window: Window::of(&row),
        })
    }))
}

/// Rows of one type (where a condition holds) after the cursor, and the
/// count of all of them; unreadable rows are shown to no one.
async fn list_rows(
    db: &DatabaseConnection,
    (ptype, condition): (&str, Option<sea_orm::Condition>),
    equal: &[(casbin_rule::Column, &str)],
    order: Order<casbin_rule::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<(i64, Rule, Window)>> {
    let mut select = casbin_rule::Entity::find().filter(casbin_rule::Column::Ptype.eq(ptype));
    if let Some(condition) = condition {
        select = select.filter(condition);
    }
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
