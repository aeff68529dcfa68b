//! The policy set's history: `policyHistory`, `policyVersion(n)`, and the
//! two ways of making a version besides the single edits:
//! `applyPolicyChange` (a set of edits as one version) and
//! `rollbackPolicy` (an earlier version's rules, restored as a new one).

use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject};
use entities::{policy_change, policy_version};

use super::ContextExt;
use super::admin::{Effect, RoleSubject};
use super::ordering::{PolicyVersionOrder, PolicyVersionOrderField};
use super::payload::{PolicyUserError, payload};
use super::policy_dry_run::PolicyChangesInput;
use super::record::AreaLevel;
use super::relay::{Page, connection};
use super::scalars::DateTime;
use crate::auth::policy_history::Change;
use crate::domain::page::Paging;
use crate::domain::policy_admin::{self, Why};
use crate::domain::policy_history::{self, CHANGE_CURSOR, VERSION_CURSOR, VersionFilter};

/// What made a policy version.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::policy_version::VersionKind")]
pub enum PolicyVersionKind {
    /// The default policies, written on first start.
    Defaults,
    /// The demo city's role assignments.
    Seed,
    /// An edit, or a set of them, through the API or the command line.
    Edit,
    /// Rules whose window closed, removed by the server.
    Lapse,
    /// An earlier version's rules restored (`rolledBackTo`).
    Rollback,
}

/// Whether a version added or removed a rule.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::policy_change::ChangeOp")]
pub enum PolicyChangeOp {
    /// The rule was added.
    Add,
    /// The rule was removed.
    Remove,
}

/// A version as the history keeps it.
pub struct PolicyVersion(policy_version::Model);

impl crate::graphql::plain::Plain for PolicyVersion {}

/// One numbered version of the policy set: who made it, when, why, and
/// the rules it added and removed.
#[Object]
impl PolicyVersion {
    /// Its number: the policy state's version it became.
    async fn number(&self) -> i64 {
        self.0.number
    }

    /// What made it.
    async fn kind(&self) -> PolicyVersionKind {
        self.0.kind.into()
    }

    /// The user, API token or operator who made it; `system` for the
    /// server itself (defaults, seed, lapses).
    async fn actor(&self) -> &str {
        &self.0.actor
    }

    /// Why it was made.
    async fn comment(&self) -> &str {
        &self.0.comment
    }

    /// For a rollback: the version whose rules it restored.
    async fn rolled_back_to(&self) -> Option<i64> {
        self.0.rolled_back_to
    }

    /// How many rules it added and removed.
    async fn change_count(&self) -> i32 {
        self.0.changes
    }

    /// When it was made.
    async fn made_at(&self) -> DateTime {
        DateTime(self.0.at)
    }

    /// The rules it added and removed, in the order it made them.
    #[graphql(complexity = "super::relay::page_complexity(first, last, child_complexity)")]
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<PolicyChange>> {
        let request = super::relay::page_request(
            ctx,
            Paging {
                first,
                after,
                last,
                before,
            },
            CHANGE_CURSOR,
        )?;
        let listing = policy_history::changes(ctx.access()?, self.0.number, &request).await?;
        Ok(connection(
            CHANGE_CURSOR,
            listing,
            |row: policy_change::Model| PolicyChange::from(Change::of_stored(&row)),
        ))
    }
}

/// A rule a version added or removed, with the window it had. A policy
/// has `role`, `object`, `action` and `effect`; a role assignment has
/// `subject`, `role` and `area`; a delegable role has `role` and
/// `delegableLevel`.
#[derive(SimpleObject)]
pub struct PolicyChange {
    /// Added or removed.
    op: PolicyChangeOp,
    /// The role the policy applies to, or the role assigned.
    role: String,
    /// A policy's object; null for an assignment.
    object: Option<String>,
    /// A policy's action; null for an assignment.
    action: Option<String>,
    /// A policy's effect; null for an assignment.
    effect: Option<Effect>,
    /// An assignment's holder; null for a policy.
    subject: Option<RoleSubject>,
    /// An assignment's area or grid code (`*`: the city); null for a
    /// policy.
    area: Option<String>,
    /// For a role made (or no longer) delegable: the level of area whose
    /// managers hand it out; null otherwise.
    delegable_level: Option<AreaLevel>,
    /// When the rule took effect; null: from when it was written.
    valid_from: Option<DateTime>,
    /// When it lapsed or lapses; null: until removed.
    valid_until: Option<DateTime>,
}

impl crate::graphql::plain::Plain for PolicyChange {}

impl From<Change> for PolicyChange {
    fn from(change: Change) -> PolicyChange {
        let mut shown = PolicyChange {
            op: change.op.into(),
            role: String::new(),
            object: None,
            action: None,
            effect: None,
            subject: None,
            area: None,
            delegable_level: None,
            valid_from: change.valid_from.map(DateTime),
            valid_until: change.valid_until.map(DateTime),
        };
        match change.rule() {
            Ok(policies::Rule::Policy(policy)) => {
                shown.role = policy.role;
                shown.object = Some(policy.object.as_str().to_owned());
                shown.action = Some(policy.action.as_str().to_owned());
                shown.effect = Some(policy.effect.into());
            }
            Ok(policies::Rule::Assignment(assignment)) => {
                shown.role = assignment.role;
                shown.subject = Some(assignment.subject.into());
                shown.area = Some(assignment.domain.as_str().to_owned());
            }
            Ok(policies::Rule::Delegation(delegation)) => {
                shown.role = delegation.role;
                shown.delegable_level = Some(delegation.level.into());
            }
            // Recorded rules were validated when written; one the catalogue
            // no longer knows is shown by its stored role field.
            Err(_) => shown.role = change.fields[if change.ptype == "g" { 1 } else { 0 }].clone(),
        }
        shown
    }
}

#[derive(Default)]
pub struct PolicyHistoryQuery;

#[Object]
impl PolicyHistoryQuery {
    /// The policy set's versions, newest first unless `orderBy` says
    /// otherwise: every edit, set of edits, rollback and lapse, with who,
    /// when, why and what changed. Admins only.
    #[graphql(complexity = "super::relay::page_complexity(first, last, child_complexity)")]
    // Each parameter is one of the field's GraphQL arguments.
    #[allow(clippy::too_many_arguments)]
    async fn policy_history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which versions.")] filter: Option<PolicyVersionFilter>,
        #[graphql(
            desc = "Their order.",
            default_with = "PolicyVersionOrder::desc(PolicyVersionOrderField::Version)"
        )]
        order_by: PolicyVersionOrder,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<PolicyVersion>> {
        let filter = filter.unwrap_or_default();
        let filter = VersionFilter {
            kinds: filter
                .kinds
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            actor: filter.actor,
        };
        let (order, kind) = order_by.resolve(VERSION_CURSOR);
        let request = super::relay::page_request(
            ctx,
            Paging {
                first,
                after,
                last,
                before,
            },
            &kind,
        )?;
        let listing = policy_history::versions(ctx.access()?, &filter, order, &request).await?;
        Ok(connection(&kind, listing, PolicyVersion))
    }

    /// One version by number; null when the history does not hold it, or
    /// for a caller who may not read policies.
    async fn policy_version(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The version's number.")] number: i64,
    ) -> Result<Option<PolicyVersion>> {
        Ok(policy_history::version(ctx.access()?, number)
            .await?
            .map(PolicyVersion))
    }
}

/// Which policy versions to list; the parts combine with AND.
#[derive(InputObject, Default)]
pub struct PolicyVersionFilter {
    /// Only versions of these kinds.
    kinds: Option<Vec<PolicyVersionKind>>,
    /// Only those this user, API token or operator (`cli`) made, by the
    /// name the history shows.
    actor: Option<String>,
}

/// A set of policy edits to make as one version.
#[derive(InputObject)]
pub struct ApplyPolicyChangeInput {
    /// The edits, made together or not at all (the same shape
    /// `dryRunPolicyChange` tries).
    changes: PolicyChangesInput,
    /// Why: the new version carries it.
    comment: String,
    /// The policy version the change was prepared against (a dry run's
    /// `policyVersion`): if the policies moved on since, nothing is made
    /// and the answer is `CONFLICT`. Left out: made whatever the version.
    version: Option<i64>,
}

/// An earlier version to restore.
#[derive(InputObject)]
pub struct RollbackPolicyInput {
    /// The version whose rules are to be in force again.
    to_version: i64,
    /// Why: the new version carries it.
    comment: String,
    /// The policy version the rollback was decided against: if the
    /// policies moved on since, nothing is made and the answer is
    /// `CONFLICT`. Left out: the version in force when the rollback is
    /// worked out.
    version: Option<i64>,
}

payload!(
    /// The answer of `applyPolicyChange` and `rollbackPolicy`.
    PolicyVersionPayload {
        /// The version made; null when `userErrors` says why not.
        policy_version: PolicyVersion
    },
    PolicyUserError
);

#[derive(Default)]
pub struct PolicyHistoryMutation;

#[Object]
impl PolicyHistoryMutation {
    /// Makes a set of policy edits as one version with one comment:
    /// removals first, then policies, then role assignments; all or none.
    /// Every replica enforces it within a second. Admins only.
    ///
    /// User errors: `INVALID`, `NOT_FOUND`, `TAKEN` (naming the edit, e.g.
    /// `changes.assignRoles.0`, as the single edits would), `REQUIRED` (no
    /// comment, no edit), `CONFLICT` (`version` is not the one in force).
    async fn apply_policy_change(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The edits, the comment and the version seen.")]
        input: ApplyPolicyChangeInput,
    ) -> Result<PolicyVersionPayload> {
        let outcome = async {
            let edits = input.changes.edits("changes.")?;
            let why = Why {
                comment: &input.comment,
                expected_version: input.version,
                rolled_back_to: None,
            };
            let applied = policy_admin::apply_changes(ctx.access()?, &edits, why).await?;
            made(ctx, applied.version).await
        }
        .await;
        Ok(PolicyVersionPayload::of(outcome)?)
    }

    /// Makes the rules of an earlier version the rules in force again, as
    /// a new version (history is never rewritten): rules added since are
    /// removed, rules removed since come back with their windows, except
    /// those whose window has closed meanwhile. Admins only.
    ///
    /// User errors: `INVALID` (`toVersion` is not before the current one,
    /// or its rules are in force already; a rule to restore names a user,
    /// department or area that no longer exists), `NOT_FOUND` (the history
    /// does not reach back to `toVersion`), `REQUIRED` (no comment),
    /// `CONFLICT` (`version` is not the one in force).
    async fn rollback_policy(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The version to restore, and why.")] input: RollbackPolicyInput,
    ) -> Result<PolicyVersionPayload> {
        let outcome = async {
            let access = ctx.access()?;
            let applied =
                policy_history::rollback(access, input.to_version, &input.comment, input.version)
                    .await?;
            made(ctx, applied.version).await
        }
        .await;
        Ok(PolicyVersionPayload::of(outcome)?)
    }
}

/// The version an edit just made, as the history shows it.
async fn made(ctx: &Context<'_>, number: i64) -> crate::error::ApiResult<PolicyVersion> {
    let access = ctx.access()?;
    Ok(PolicyVersion(
        policy_history::made(access.db(), number).await?,
    ))
}
