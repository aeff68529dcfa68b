//! `dryRunPolicyChange`: what a set of policy edits would do, before it is
//! made: who gains or loses what, where, and how many rows.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};

use super::ContextExt;
use super::admin::{PolicyInput, RoleAssignmentInput, RoleSubject};
use super::explain::ListScope;
use super::record::AreaLevel;
use crate::domain::policy_admin::{self, Edit, Proposed, Window};
use crate::domain::policy_dry_run::{self, AccessChange, Changes};
use crate::error::ApiResult;

/// Proposed edits, tried (`dryRunPolicyChange`) or made
/// (`applyPolicyChange`) together as one change.
#[derive(InputObject)]
pub struct PolicyChangesInput {
    /// Policies to add.
    #[graphql(default)]
    add_policies: Vec<PolicyInput>,
    /// Policies to remove.
    #[graphql(default)]
    remove_policies: Vec<PolicyInput>,
    /// Role assignments to make.
    #[graphql(default)]
    assign_roles: Vec<RoleAssignmentInput>,
    /// Role assignments to take away.
    #[graphql(default)]
    revoke_roles: Vec<RoleAssignmentInput>,
    /// Roles to make delegable: managers may then hand them out inside
    /// their area, never beyond their own rights.
    #[graphql(default)]
    add_delegable_roles: Vec<DelegableRoleInput>,
    /// Roles managers may no longer hand out (those handed out stay).
    #[graphql(default)]
    remove_delegable_roles: Vec<DelegableRoleInput>,
}

/// A role managers may hand out, and from which level.
#[derive(InputObject)]
pub struct DelegableRoleInput {
    /// The role; some policy must define it.
    role: String,
    /// The narrowest level of area whose managers (those who may
    /// `delegate` the `policy` there) hand it out; managers of wider areas
    /// may too.
    level: AreaLevel,
}

impl DelegableRoleInput {
    fn proposed(&self, field: String, edit: Edit) -> ApiResult<Proposed> {
        let level = policies::AreaLevel::from(self.level);
        Ok(Proposed {
            field,
            edit,
            rule: policy_admin::delegation_rule([self.role.as_str(), level.as_str()])?,
            window: Window::default(),
        })
    }
}

/// Rows of one object a subject would gain and lose in one district.
#[derive(SimpleObject)]
pub struct RowCountChange {
    /// The district's code.
    district: String,
    /// Rows it would newly list there.
    gained: i64,
    /// Rows it would no longer list there.
    lost: i64,
}

/// One subject's access to one object and action, changed.
#[derive(SimpleObject)]
pub struct AccessDelta {
    /// Whose access changes.
    subject: RoleSubject,
    /// The object.
    object: String,
    /// The action.
    action: String,
    /// Where the subject may do it now.
    before: ListScope,
    /// Where it could after the change.
    after: ListScope,
    /// For `read` of an object listed in rows (residents, households,
    /// dwellings, buildings, organisations, cases): the rows gained and lost
    /// by district. Null for other pairs, and for subjects past the first
    /// ones counted (see `rowsTruncated`).
    rows: Option<Vec<RowCountChange>>,
}

impl PolicyChangesInput {
    /// Its edits in the order they are made: removals, then policies and
    /// delegable roles, then the assignments that may need their role
    /// defined; each named by its field under `prefix`
    /// (`changes.assignRoles.0`).
    pub(super) fn edits(&self, prefix: &str) -> ApiResult<Vec<Proposed>> {
        let field = |list: &str, index: usize| format!("{prefix}{list}.{index}");
        let mut edits = Vec::new();
        for (index, assignment) in self.revoke_roles.iter().enumerate() {
            edits.push(assignment.proposed(field("revokeRoles", index), Edit::Remove)?);
        }
        for (index, policy) in self.remove_policies.iter().enumerate() {
            edits.push(policy.proposed(field("removePolicies", index), Edit::Remove)?);
        }
        for (index, role) in self.remove_delegable_roles.iter().enumerate() {
            edits.push(role.proposed(field("removeDelegableRoles", index), Edit::Remove)?);
        }
        for (index, policy) in self.add_policies.iter().enumerate() {
            edits.push(policy.proposed(field("addPolicies", index), Edit::Add)?);
        }
        for (index, role) in self.add_delegable_roles.iter().enumerate() {
            edits.push(role.proposed(field("addDelegableRoles", index), Edit::Add)?);
        }
        for (index, assignment) in self.assign_roles.iter().enumerate() {
            edits.push(assignment.proposed(field("assignRoles", index), Edit::Add)?);
        }
        Ok(edits)
    }
}

impl From<AccessChange> for AccessDelta {
    fn from(change: AccessChange) -> AccessDelta {
        let [before, after] = change.conditions;
        AccessDelta {
            subject: change.subject.into(),
            object: change.object.as_str().to_owned(),
            action: change.action.as_str().to_owned(),
            before: ListScope::from((&change.before, before)),
            after: ListScope::from((&change.after, after)),
            rows: change.rows.map(|rows| {
                rows.into_iter()
                    .map(|row| RowCountChange {
                        district: row.district,
                        gained: row.gained,
                        lost: row.lost,
                    })
                    .collect()
            }),
        }
    }
}

/// What a change would do, tried against the rules in force.
#[derive(SimpleObject)]
pub struct PolicyDryRun {
    /// The policy version it was tried against.
    policy_version: i64,
    /// How many subjects' access would change.
    subjects: i32,
    /// Whether some subjects' rows went uncounted (past the first ones).
    rows_truncated: bool,
    /// Every change of access, by subject, object and action.
    changes: Vec<AccessDelta>,
}

#[derive(Default)]
pub struct DryRunQuery;

#[Object]
impl DryRunQuery {
    /// What a set of policy edits would do, without making it: for each
    /// subject whose access changes, each object and action it gains or
    /// loses and where (before and after, with the SQL condition of the
    /// lists), and for lists of rows how many rows it would gain or lose by
    /// district (for the first subjects; `rowsTruncated` says when more
    /// went uncounted). Tried as if made now: windows are not tried.
    /// Admins only. A rule to add that exists, one to remove that does not,
    /// an assignment of an unknown role, subject or area, or a change that
    /// reaches more than 20,000 subject-object-actions is `BAD_USER_INPUT`
    /// naming the input.
    #[graphql(complexity = "super::limits::SCAN_COST + child_complexity")]
    async fn dry_run_policy_change(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The edits, tried together.")] input: PolicyChangesInput,
    ) -> Result<PolicyDryRun> {
        let (mut add, mut remove) = (Vec::new(), Vec::new());
        for edit in input.edits("")? {
            match edit.edit {
                Edit::Add => add.push((edit.field, edit.rule)),
                Edit::Remove => remove.push((edit.field, edit.rule)),
            }
        }
        let run = policy_dry_run::dry_run(ctx.access()?, Changes { add, remove }).await?;
        Ok(PolicyDryRun {
            policy_version: run.version,
            subjects: i32::try_from(run.subjects).unwrap_or(i32::MAX),
            rows_truncated: run.rows_truncated,
            changes: run.changes.into_iter().map(AccessDelta::from).collect(),
        })
    }
}
