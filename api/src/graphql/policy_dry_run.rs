//! `dryRunPolicyChange`: what a set of policy edits would do, before it is
//! made: who gains or loses what, where, and how many rows.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};

use super::ContextExt;
use super::admin::{PolicyInput, RoleAssignmentInput, RoleSubject};
use super::explain::ListScope;
use crate::domain::policy_dry_run::{self, AccessChange, Changes};

/// Proposed edits, tried together as one change.
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
        let label = |list: &str, index: usize| format!("{list}.{index}");
        let mut add = Vec::new();
        for (index, policy) in input.add_policies.iter().enumerate() {
            add.push((label("addPolicies", index), policy.rule()?));
        }
        for (index, assignment) in input.assign_roles.iter().enumerate() {
            add.push((label("assignRoles", index), assignment.rule()?));
        }
        let mut remove = Vec::new();
        for (index, policy) in input.remove_policies.iter().enumerate() {
            remove.push((label("removePolicies", index), policy.rule()?));
        }
        for (index, assignment) in input.revoke_roles.iter().enumerate() {
            remove.push((label("revokeRoles", index), assignment.rule()?));
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
