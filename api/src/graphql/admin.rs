//! Administration: the policies and role assignments the authorizer
//! enforces, and scoped API tokens. Only admins may use it at this stage.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use entities::api_token;
use policies::{PolicyRule, RoleAssignment};

use super::ContextExt;
use super::ordering::{
    ApiTokenOrder, ApiTokenOrderField, PolicyOrder, PolicyOrderField, RoleAssignmentOrder,
    RoleAssignmentOrderField,
};
use super::payload::{ApiTokenUserError, PolicyUserError, payload, settle};
use super::relay::{NodeKind, Page, connection, global_id, key_of};
use super::scalars::DateTime;
use crate::auth::api_tokens;
use crate::domain::page::Paging;
use crate::domain::policy_admin::{
    self, ASSIGNMENT_CURSOR, Edit, POLICY_CURSOR, Proposed, StoredRule, Window,
};
use crate::domain::tokens::{self, IssueRequest, TOKEN_CURSOR, TokenFor};

/// What a role may (allow) or may not (deny) do, wherever it is held.
#[derive(SimpleObject)]
pub struct Policy {
    /// Its global ID.
    #[graphql(owned)]
    pub id: ID,
    /// The role it applies to.
    role: String,
    /// An object name (`resident`, `case`, …) or `*`.
    object: String,
    /// An action name (`read`, `dispatch`, …) or `*`.
    action: String,
    /// Whether it allows or denies.
    effect: Effect,
    /// When it takes effect; null: from when it was added.
    valid_from: Option<DateTime>,
    /// When it lapses (and is removed, audited); null: until removed.
    valid_until: Option<DateTime>,
}

impl crate::graphql::plain::Plain for Policy {}

impl From<StoredRule<PolicyRule>> for Policy {
    fn from(stored: StoredRule<PolicyRule>) -> Policy {
        Policy {
            valid_from: stored.window.from.map(DateTime),
            valid_until: stored.window.until.map(DateTime),
            id: global_id(NodeKind::Policy, &stored.id.to_string()),
            role: stored.rule.role,
            object: stored.rule.object.as_str().to_owned(),
            action: stored.rule.action.as_str().to_owned(),
            effect: stored.rule.effect.into(),
        }
    }
}

/// A subject holding a role in an area and every area inside it.
#[derive(SimpleObject)]
#[graphql(name = "RoleAssignment")]
pub struct RoleAssignmentRow {
    /// Its global ID.
    #[graphql(owned)]
    pub id: ID,
    /// Who holds the role.
    subject: RoleSubject,
    /// The role held.
    role: String,
    /// An area or grid code, or `*` for the whole city.
    area: String,
    /// When it takes effect; null: from when it was made.
    valid_from: Option<DateTime>,
    /// When it lapses (and is removed, audited): "the worker of grid 007
    /// until Friday 18:00"; null: until revoked.
    valid_until: Option<DateTime>,
}

impl crate::graphql::plain::Plain for RoleAssignmentRow {}

/// What kind of subject holds a role.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum SubjectKind {
    /// A user account, by username.
    User,
    /// A department, by code: its officers and tokens act under it.
    Department,
}

/// A subject holding roles: a user or a department.
#[derive(SimpleObject)]
pub struct RoleSubject {
    /// A user or a department.
    kind: SubjectKind,
    /// The username, or the department's code.
    name: String,
}

impl From<policies::Subject> for RoleSubject {
    fn from(subject: policies::Subject) -> RoleSubject {
        match subject {
            policies::Subject::User(name) => RoleSubject {
                kind: SubjectKind::User,
                name,
            },
            policies::Subject::Department(name) => RoleSubject {
                kind: SubjectKind::Department,
                name,
            },
        }
    }
}

/// A subject, as an input names it.
#[derive(InputObject)]
pub struct RoleSubjectInput {
    /// A user or a department.
    kind: SubjectKind,
    /// The username, or the department's code.
    name: String,
}

impl RoleSubjectInput {
    /// The subject as the policy store writes it (`user:NAME`).
    pub(super) fn stored_name(&self) -> String {
        match self.kind {
            SubjectKind::User => format!("user:{}", self.name),
            SubjectKind::Department => format!("dept:{}", self.name),
        }
    }
}

impl From<StoredRule<RoleAssignment>> for RoleAssignmentRow {
    fn from(stored: StoredRule<RoleAssignment>) -> RoleAssignmentRow {
        RoleAssignmentRow {
            valid_from: stored.window.from.map(DateTime),
            valid_until: stored.window.until.map(DateTime),
            id: global_id(NodeKind::RoleAssignment, &stored.id.to_string()),
            subject: stored.rule.subject.into(),
            role: stored.rule.role,
            area: stored.rule.domain.as_str().to_owned(),
        }
    }
}

/// Whether a policy allows or denies.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum Effect {
    /// Grants the action.
    Allow,
    /// Beats any allow for the same object and action where it applies.
    Deny,
}

impl From<policies::Effect> for Effect {
    fn from(effect: policies::Effect) -> Effect {
        match effect {
            policies::Effect::Allow => Effect::Allow,
            policies::Effect::Deny => Effect::Deny,
        }
    }
}

impl Effect {
    fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
        }
    }
}

/// A policy rule, named by its fields.
#[derive(InputObject)]
pub struct PolicyInput {
    /// The role, lower case letters, digits and `_`.
    role: String,
    /// An object name (`resident`, `case`, …) or `*`.
    object: String,
    /// An action name (`read`, `dispatch`, …) or `*`.
    action: String,
    /// Allow (the default) or deny.
    #[graphql(default_with = "Effect::Allow")]
    effect: Effect,
    /// When a new policy takes effect; at once when left out. Ignored when
    /// removing.
    valid_from: Option<DateTime>,
    /// When a new policy lapses: every replica stops enforcing it within a
    /// second and it is removed, audited. In force until removed when left
    /// out. Ignored when removing.
    valid_until: Option<DateTime>,
    /// Why: `addPolicy` and `removePolicy` require it (the new policy
    /// version carries it, see `policyHistory`). Ignored inside a change
    /// set, which carries one comment for all its changes.
    comment: Option<String>,
}

/// A role held by a subject in an area, named by its fields.
#[derive(InputObject)]
pub struct RoleAssignmentInput {
    /// Who holds (or is to hold) the role.
    subject: RoleSubjectInput,
    /// The role.
    role: String,
    /// An area or grid code, or `*` for the whole city.
    area: String,
    /// When a new assignment takes effect; at once when left out. Ignored
    /// when revoking.
    valid_from: Option<DateTime>,
    /// When a new assignment lapses (cover while a worker is on leave):
    /// every replica stops enforcing it within a second and it is removed,
    /// audited. Until revoked when left out. Ignored when revoking.
    valid_until: Option<DateTime>,
    /// Why: `assignRole` and `revokeRole` require it (the new policy
    /// version carries it, see `policyHistory`). Ignored inside a change
    /// set, which carries one comment for all its changes.
    comment: Option<String>,
}

impl PolicyInput {
    /// The rule it names.
    pub(super) fn rule(&self) -> crate::error::ApiResult<policies::Rule> {
        policy_admin::policy_rule([
            self.role.as_str(),
            self.object.as_str(),
            self.action.as_str(),
            self.effect.as_str(),
        ])
    }

    /// Its edit, as one of a set named by `field`.
    pub(super) fn proposed(&self, field: String, edit: Edit) -> crate::error::ApiResult<Proposed> {
        proposed(
            field,
            edit,
            self.rule()?,
            (self.valid_from, self.valid_until),
        )
    }
}

/// An edit of `rule` with its window, named by `field`.
fn proposed(
    field: String,
    edit: Edit,
    rule: policies::Rule,
    (from, until): (Option<DateTime>, Option<DateTime>),
) -> crate::error::ApiResult<Proposed> {
    Ok(Proposed {
        field,
        edit,
        rule,
        window: window(from, until),
    })
}

impl RoleAssignmentInput {
    /// The rule it names.
    pub(super) fn rule(&self) -> crate::error::ApiResult<policies::Rule> {
        let subject = self.subject.stored_name();
        policy_admin::assignment_rule([subject.as_str(), self.role.as_str(), self.area.as_str()])
    }

    /// Its edit, as one of a set named by `field`.
    pub(super) fn proposed(&self, field: String, edit: Edit) -> crate::error::ApiResult<Proposed> {
        proposed(
            field,
            edit,
            self.rule()?,
            (self.valid_from, self.valid_until),
        )
    }
}

fn window(from: Option<DateTime>, until: Option<DateTime>) -> Window {
    Window {
        from: from.map(|at| at.0),
        until: until.map(|at| at.0),
    }
}

/// Whom an API token acts for.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::api_token::TokenSubject")]
pub enum TokenSubjectKind {
    /// A department: its policies apply.
    Department,
    /// An application acting as a user.
    Application,
}

/// A scoped API token, as listed; its secret is never shown again.
pub struct ApiToken(api_token::Model);

impl crate::graphql::plain::Plain for ApiToken {}

impl ApiToken {
    /// The token of a global ID's key, for those who may read tokens (an
    /// officer: one it issued).
    pub async fn find(ctx: &Context<'_>, key: &str) -> Result<Option<ApiToken>> {
        let Ok(id) = key.parse::<i64>() else {
            return Ok(None);
        };
        Ok(tokens::find(ctx.access()?, id).await?.map(ApiToken))
    }
}

/// The stored rule of a global ID's key, for those who may read policies.
async fn stored_rule(ctx: &Context<'_>, key: &str) -> Result<Option<StoredRule<policies::Rule>>> {
    let Ok(id) = key.parse::<i64>() else {
        return Ok(None);
    };
    Ok(policy_admin::find_rule(ctx.access()?, id).await?)
}

impl Policy {
    /// The policy of a global ID's key; an assignment's key names none.
    pub async fn find(ctx: &Context<'_>, key: &str) -> Result<Option<Policy>> {
        Ok(match stored_rule(ctx, key).await? {
            Some(StoredRule {
                id,
                rule: policies::Rule::Policy(rule),
                window,
            }) => Some(StoredRule { id, rule, window }.into()),
            _ => None,
        })
    }
}

impl RoleAssignmentRow {
    /// The assignment of a global ID's key; a policy's key names none.
    pub async fn find(ctx: &Context<'_>, key: &str) -> Result<Option<RoleAssignmentRow>> {
        Ok(match stored_rule(ctx, key).await? {
            Some(StoredRule {
                id,
                rule: policies::Rule::Assignment(rule),
                window,
            }) => Some(StoredRule { id, rule, window }.into()),
            _ => None,
        })
    }
}

/// A scoped API token, as listed; its secret is never shown again.
#[Object]
impl ApiToken {
    /// Its global ID; `revokeApiToken` takes it.
    pub async fn id(&self) -> ID {
        global_id(NodeKind::ApiToken, &self.0.id.to_string())
    }

    /// What the token is for.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The first characters of the secret, to tell tokens apart.
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }

    /// Whom it acts for: a department, or an application acting as a user.
    async fn subject_kind(&self) -> TokenSubjectKind {
        self.0.subject_kind.into()
    }

    /// The `object:action` pairs it may use.
    async fn scopes(&self) -> Vec<String> {
        api_tokens::json_strings(&self.0.scopes)
    }

    /// The areas it is limited to (`*`: the whole city).
    async fn areas(&self) -> Vec<String> {
        api_tokens::json_strings(&self.0.areas)
    }

    /// When it stops working.
    async fn expires_at(&self) -> DateTime {
        self.0.expires_at.into()
    }

    /// When it was last presented (to the minute).
    async fn last_used_at(&self) -> Option<DateTime> {
        self.0.last_used_at.map(Into::into)
    }

    /// When it was revoked, if it was.
    async fn revoked_at(&self) -> Option<DateTime> {
        self.0.revoked_at.map(Into::into)
    }

    /// When it was issued.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}

/// A scoped API token to issue, for a department or an application.
#[derive(InputObject)]
pub struct IssueApiTokenInput {
    /// What the token is for, e.g. "market supervision inspections app".
    name: String,
    /// Issue for this department (its policies apply)…
    department_id: Option<ID>,
    /// …or for an application acting as this user.
    username: Option<String>,
    /// `object:action` pairs, e.g. `case:read`, `case:*`.
    scopes: Vec<String>,
    /// Area codes the token is limited to, or `["*"]` for the whole city.
    areas: Vec<String>,
    /// When the token stops working (at most a year away).
    expires_at: DateTime,
}

/// A role managers may hand out (`assignRole`, `revokeRole`) inside their
/// own area.
#[derive(SimpleObject)]
pub struct DelegableRole {
    /// The role.
    role: String,
    /// The narrowest level of area whose managers hand it out; managers of
    /// wider areas may too.
    level: super::record::AreaLevel,
}

/// The policy set's version, which every edit bumps.
#[derive(SimpleObject)]
pub struct PolicyState {
    /// The version this replica enforces.
    version: i64,
    /// The rules it holds (policies and role assignments).
    rules: u64,
}

#[derive(Default)]
pub struct AdminQuery;

#[Object]
impl AdminQuery {
    /// Policies, in the order they were added unless `orderBy` says
    /// otherwise. Admins only.
    #[graphql(complexity = "super::relay::page_complexity(first, last, child_complexity)")]
    // Each parameter is one of the field's GraphQL arguments.
    #[allow(clippy::too_many_arguments)]
    async fn policies(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which policies.")] filter: Option<PolicyFilter>,
        #[graphql(
            desc = "Their order.",
            default_with = "PolicyOrder::asc(PolicyOrderField::Id)"
        )]
        order_by: PolicyOrder,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<Policy>> {
        let role = filter.and_then(|filter| filter.role);
        let (order, kind) = order_by.resolve(POLICY_CURSOR);
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
        let listing =
            policy_admin::list_policies(ctx.access()?, role.as_deref(), order, &request).await?;
        Ok(connection(&kind, listing, Policy::from))
    }

    /// Role assignments, in the order they were made unless `orderBy` says
    /// otherwise. Admins see all; a manager who may delegate sees those
    /// inside the areas where it may.
    #[graphql(complexity = "super::relay::page_complexity(first, last, child_complexity)")]
    // Each parameter is one of the field's GraphQL arguments.
    #[allow(clippy::too_many_arguments)]
    async fn role_assignments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which assignments.")] filter: Option<RoleAssignmentFilter>,
        #[graphql(
            desc = "Their order.",
            default_with = "RoleAssignmentOrder::asc(RoleAssignmentOrderField::Id)"
        )]
        order_by: RoleAssignmentOrder,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<RoleAssignmentRow>> {
        let filter = filter.unwrap_or_default();
        let subject = filter.subject.as_ref().map(RoleSubjectInput::stored_name);
        let (order, kind) = order_by.resolve(ASSIGNMENT_CURSOR);
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
        let listing = policy_admin::list_assignments(
            ctx.access()?,
            subject.as_deref(),
            filter.role.as_deref(),
            order,
            &request,
        )
        .await?;
        Ok(connection(&kind, listing, RoleAssignmentRow::from))
    }

    /// The roles managers may hand out inside their own area (never beyond
    /// their own rights there), and from which level. For admins and for
    /// managers who may delegate somewhere.
    async fn delegable_roles(&self, ctx: &Context<'_>) -> Result<Vec<DelegableRole>> {
        Ok(policy_admin::delegable_roles(ctx.access()?)
            .await?
            .into_iter()
            .map(|stored| DelegableRole {
                role: stored.rule.role,
                level: stored.rule.level.into(),
            })
            .collect())
    }

    /// The policy version this replica enforces. Admins only.
    async fn policy_state(&self, ctx: &Context<'_>) -> Result<PolicyState> {
        let (version, rules) = policy_admin::enforced(ctx.access()?)?;
        Ok(PolicyState {
            version,
            rules: rules as u64,
        })
    }

    /// Scoped API tokens, in the order they were issued unless `orderBy`
    /// says otherwise. Admins see all; a department officer the ones it
    /// issued.
    #[graphql(complexity = "super::relay::page_complexity(first, last, child_complexity)")]
    // Each parameter is one of the field's GraphQL arguments.
    #[allow(clippy::too_many_arguments)]
    async fn api_tokens(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which tokens.")] filter: Option<ApiTokenFilter>,
        #[graphql(
            desc = "Their order.",
            default_with = "ApiTokenOrder::asc(ApiTokenOrderField::Id)"
        )]
        order_by: ApiTokenOrder,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<ApiToken>> {
        let filter = filter.unwrap_or_default();
        let filter = tokens::TokenFilter {
            subject: filter.subject_kind.map(Into::into),
            active: filter.active,
            issued_by: None,
        };
        let (order, kind) = order_by.resolve(TOKEN_CURSOR);
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
        let listing = tokens::list(ctx.access()?, &filter, order, &request).await?;
        Ok(connection(&kind, listing, ApiToken))
    }
}

/// Which policies to list.
#[derive(InputObject, Default)]
pub struct PolicyFilter {
    /// Only the policies of this role.
    role: Option<String>,
}

/// Which role assignments to list; the parts combine with AND.
#[derive(InputObject, Default)]
pub struct RoleAssignmentFilter {
    /// Only the assignments of this subject.
    subject: Option<RoleSubjectInput>,
    /// Only the assignments of this role.
    role: Option<String>,
}

/// Which API tokens to list; the parts combine with AND.
#[derive(InputObject, Default)]
pub struct ApiTokenFilter {
    /// Only tokens issued for this kind of subject.
    subject_kind: Option<TokenSubjectKind>,
    /// Only tokens still usable, neither revoked nor expired (true), or
    /// only the others (false).
    active: Option<bool>,
}

payload!(
    /// The answer of `addPolicy` and `removePolicy`.
    PolicyPayload {
        /// The rule added or removed; null when `userErrors` says why not.
        policy: Policy
    },
    PolicyUserError
);
payload!(
    /// The answer of `assignRole` and `revokeRole`.
    RoleAssignmentPayload {
        /// The assignment made or taken away; null when `userErrors` says
        /// why not.
        role_assignment: RoleAssignmentRow
    },
    PolicyUserError
);
payload!(
    /// The answer of `revokeApiToken`.
    RevokeApiTokenPayload {
        /// The token, now revoked; null when `userErrors` says why not.
        api_token: ApiToken
    },
    ApiTokenUserError
);

/// The answer of `issueApiToken`: the secret is shown here once and never
/// again.
#[derive(SimpleObject)]
pub struct IssueApiTokenPayload {
    /// The token as listed; null when `userErrors` says why not.
    api_token: Option<ApiToken>,
    /// The secret to send as `Authorization: Bearer …`; shown only here.
    secret: Option<String>,
    /// What the user can put right; empty when the token was issued.
    user_errors: Vec<ApiTokenUserError>,
}

/// A token to revoke.
#[derive(InputObject)]
pub struct RevokeApiTokenInput {
    /// The token's `id`.
    id: ID,
}

async fn edit_policy(ctx: &Context<'_>, edit: Edit, input: PolicyInput) -> Result<PolicyPayload> {
    let fields = [
        input.role.as_str(),
        input.object.as_str(),
        input.action.as_str(),
        input.effect.as_str(),
    ];
    let window = window(input.valid_from, input.valid_until);
    let comment = input.comment.as_deref().unwrap_or_default();
    let outcome =
        async { policy_admin::edit_policy(ctx.access()?, edit, fields, window, comment).await }
            .await;
    Ok(PolicyPayload::of(outcome.map(Policy::from))?)
}

async fn edit_assignment(
    ctx: &Context<'_>,
    edit: Edit,
    input: RoleAssignmentInput,
) -> Result<RoleAssignmentPayload> {
    let subject = input.subject.stored_name();
    let fields = [subject.as_str(), input.role.as_str(), input.area.as_str()];
    let window = window(input.valid_from, input.valid_until);
    let comment = input.comment.as_deref().unwrap_or_default();
    let outcome =
        async { policy_admin::edit_assignment(ctx.access()?, edit, fields, window, comment).await }
            .await;
    Ok(RoleAssignmentPayload::of(
        outcome.map(RoleAssignmentRow::from),
    )?)
}

#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Adds a policy, as a new policy version with `comment`. Every replica
    /// enforces it within a second.
    ///
    /// User errors: `INVALID` (an unknown object or action, a malformed
    /// role), `REQUIRED` (no comment), `TAKEN` (the rule exists).
    async fn add_policy(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rule to add.")] input: PolicyInput,
    ) -> Result<PolicyPayload> {
        edit_policy(ctx, Edit::Add, input).await
    }

    /// Removes a policy (named by its fields), as a new policy version with
    /// `comment`.
    ///
    /// User errors: `NOT_FOUND` (no such rule), `INVALID`, `REQUIRED` (no
    /// comment).
    async fn remove_policy(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The rule to remove.")] input: PolicyInput,
    ) -> Result<PolicyPayload> {
        edit_policy(ctx, Edit::Remove, input).await
    }

    /// Gives a subject a role in an area (and every area inside it), for
    /// good or for a window (`validFrom`, `validUntil`), as a new policy
    /// version with `comment`. Admins give any role anywhere; a manager
    /// who may `delegate` the `policy` gives a delegable role (see
    /// `delegableRoles`) inside its own area, and only one whose every
    /// right is its own throughout that area (`INVALID` on `role` says
    /// which is not).
    ///
    /// User errors: `NOT_FOUND` (the subject or area), `INVALID` (a role no
    /// policy defines, a malformed subject, a window that has closed or
    /// closes before it opens), `REQUIRED` (no comment), `TAKEN` (already
    /// assigned).
    async fn assign_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subject, role and area.")] input: RoleAssignmentInput,
    ) -> Result<RoleAssignmentPayload> {
        edit_assignment(ctx, Edit::Add, input).await
    }

    /// Takes a role in an area away from a subject, as a new policy version
    /// with `comment`. A manager takes away what it could give.
    ///
    /// User errors: `NOT_FOUND` (no such assignment), `INVALID`, `REQUIRED`
    /// (no comment).
    async fn revoke_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The subject, role and area.")] input: RoleAssignmentInput,
    ) -> Result<RoleAssignmentPayload> {
        edit_assignment(ctx, Edit::Remove, input).await
    }

    /// Issues a scoped API token for a department or an application. A
    /// department officer who may `delegate` tokens issues its own
    /// department one whose every scope is its own right throughout every
    /// area named (`INVALID` on `scopes` or `areas` names what is not).
    ///
    /// User errors: `INVALID` (both or neither of department and user,
    /// unknown scopes or areas, an expiry in the past or over a year away,
    /// a name over 100 characters), `REQUIRED` (no scopes or no areas),
    /// `NOT_FOUND` (the department or user).
    async fn issue_api_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token to issue.")] input: IssueApiTokenInput,
    ) -> Result<IssueApiTokenPayload> {
        let outcome = async {
            let subject = match (input.department_id, input.username) {
                (Some(id), None) => {
                    TokenFor::Department(super::departments::department_key("departmentId", &id)?)
                }
                (None, Some(username)) => TokenFor::Application { username },
                _ => {
                    return Err(crate::error::ApiError::bad_input(
                        "departmentId",
                        "name a department or a user: one of the two",
                    ));
                }
            };
            let request = IssueRequest {
                name: input.name,
                subject,
                scopes: input.scopes,
                areas: input.areas,
                expires_at: input.expires_at.into(),
            };
            tokens::issue(ctx.access()?, request).await
        }
        .await;
        let (issued, user_errors) = settle(outcome)?;
        let (secret, token) = issued.unzip();
        Ok(IssueApiTokenPayload {
            api_token: token.map(ApiToken),
            secret,
            user_errors,
        })
    }

    /// Revokes a token at once: admins any, an officer those it issued.
    ///
    /// User errors: `NOT_FOUND` (`id`), `INVALID` (an ID of another kind).
    async fn revoke_api_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token to revoke.")] input: RevokeApiTokenInput,
    ) -> Result<RevokeApiTokenPayload> {
        let outcome = async {
            let id = key_of("id", &input.id, NodeKind::ApiToken)?;
            tokens::revoke(ctx.access()?, id).await
        }
        .await;
        Ok(RevokeApiTokenPayload::of(outcome.map(ApiToken))?)
    }
}
