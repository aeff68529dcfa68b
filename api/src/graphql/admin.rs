//! Administration: the policies and role assignments the authorizer
//! enforces, and scoped API tokens. Only admins may use it at this stage.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entities::api_token::{self, TokenSubject};
use policies::{PolicyRule, RoleAssignment};

use super::ContextExt;
use super::relay::{Page, connection};
use crate::auth::api_tokens;
use crate::domain::page::PageRequest;
use crate::domain::policy_admin::{self, ASSIGNMENT_CURSOR, Edit, POLICY_CURSOR, StoredRule};
use crate::domain::tokens::{self, IssueRequest, TOKEN_CURSOR, TokenFor};

/// What a role may (allow) or may not (deny) do, wherever it is held.
#[derive(SimpleObject)]
pub struct Policy {
    /// The row's id in the policy table.
    id: ID,
    role: String,
    /// An object name (`resident`, `case`, …) or `*`.
    object: String,
    /// An action name (`read`, `dispatch`, …) or `*`.
    action: String,
    effect: Effect,
}

impl From<StoredRule<PolicyRule>> for Policy {
    fn from(stored: StoredRule<PolicyRule>) -> Policy {
        Policy {
            id: ID(stored.id.to_string()),
            role: stored.rule.role,
            object: stored.rule.object.as_str().to_owned(),
            action: stored.rule.action.as_str().to_owned(),
            effect: match stored.rule.effect {
                policies::Effect::Allow => Effect::Allow,
                policies::Effect::Deny => Effect::Deny,
            },
        }
    }
}

/// A subject holding a role in an area and every area inside it.
#[derive(SimpleObject)]
pub struct RoleAssignmentRow {
    id: ID,
    /// `user:USERNAME` or `dept:DEPARTMENT_CODE`.
    subject: String,
    role: String,
    /// An area or grid code, or `*` for the whole city.
    area: String,
}

impl From<StoredRule<RoleAssignment>> for RoleAssignmentRow {
    fn from(stored: StoredRule<RoleAssignment>) -> RoleAssignmentRow {
        RoleAssignmentRow {
            id: ID(stored.id.to_string()),
            subject: stored.rule.subject.casbin_name(),
            role: stored.rule.role,
            area: stored.rule.domain.as_str().to_owned(),
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum Effect {
    Allow,
    /// Beats any allow for the same object and action where it applies.
    Deny,
}

impl Effect {
    fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
        }
    }
}

#[derive(InputObject)]
pub struct PolicyInput {
    role: String,
    object: String,
    action: String,
    #[graphql(default_with = "Effect::Allow")]
    effect: Effect,
}

#[derive(InputObject)]
pub struct RoleAssignmentInput {
    /// `user:USERNAME` or `dept:DEPARTMENT_CODE`.
    subject: String,
    role: String,
    /// An area or grid code, or `*` for the whole city.
    area: String,
}

/// A scoped API token, as listed; its secret is never shown again.
pub struct ApiToken(api_token::Model);

#[Object]
impl ApiToken {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The first characters of the secret, to tell tokens apart.
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }

    /// DEPARTMENT or APPLICATION.
    async fn subject_kind(&self) -> &'static str {
        match self.0.subject_kind {
            TokenSubject::Department => "DEPARTMENT",
            TokenSubject::Application => "APPLICATION",
        }
    }

    /// The `object:action` pairs it may use.
    async fn scopes(&self) -> Vec<String> {
        api_tokens::json_strings(&self.0.scopes)
    }

    /// The areas it is limited to (`*`: the whole city).
    async fn areas(&self) -> Vec<String> {
        api_tokens::json_strings(&self.0.areas)
    }

    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }

    /// When it was last presented (to the minute).
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }

    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(InputObject)]
pub struct IssueApiTokenInput {
    /// What the token is for, e.g. "market supervision inspections app".
    name: String,
    /// Issue for this department (its policies apply)…
    department_code: Option<String>,
    /// …or for an application acting as this user.
    username: Option<String>,
    /// `object:action` pairs, e.g. `case:read`, `case:*`.
    scopes: Vec<String>,
    /// Area codes the token is limited to, or `["*"]` for the whole city.
    areas: Vec<String>,
    /// When the token stops working (at most a year away).
    expires_at: DateTime<Utc>,
}

/// A new token: the secret is shown here once and never again.
#[derive(SimpleObject)]
pub struct IssuedApiToken {
    secret: String,
    token: ApiToken,
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
    /// Policies, by id; optionally of one role. Admins only.
    async fn policies(
        &self,
        ctx: &Context<'_>,
        role: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Policy>> {
        let request = PageRequest::new(first, after, POLICY_CURSOR)?;
        let listing = policy_admin::list_policies(ctx.access()?, role.as_deref(), &request).await?;
        Ok(connection(POLICY_CURSOR, listing, Policy::from))
    }

    /// Role assignments, by id; optionally of one subject
    /// (`user:USERNAME` or `dept:CODE`). Admins only.
    async fn role_assignments(
        &self,
        ctx: &Context<'_>,
        subject: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<RoleAssignmentRow>> {
        let request = PageRequest::new(first, after, ASSIGNMENT_CURSOR)?;
        let listing =
            policy_admin::list_assignments(ctx.access()?, subject.as_deref(), &request).await?;
        Ok(connection(
            ASSIGNMENT_CURSOR,
            listing,
            RoleAssignmentRow::from,
        ))
    }

    /// The policy version this replica enforces. Admins only.
    async fn policy_state(&self, ctx: &Context<'_>) -> Result<PolicyState> {
        let (version, rules) = policy_admin::enforced(ctx.access()?)?;
        Ok(PolicyState {
            version,
            rules: rules as u64,
        })
    }

    /// Scoped API tokens, by id. Admins only.
    async fn api_tokens(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<ApiToken>> {
        let request = PageRequest::new(first, after, TOKEN_CURSOR)?;
        let listing = tokens::list(ctx.access()?, &request).await?;
        Ok(connection(TOKEN_CURSOR, listing, ApiToken))
    }
}

async fn edit_policy(ctx: &Context<'_>, edit: Edit, input: PolicyInput) -> Result<Policy> {
    let fields = [
        input.role.as_str(),
        input.object.as_str(),
        input.action.as_str(),
        input.effect.as_str(),
    ];
    let stored = policy_admin::edit_policy(ctx.access()?, edit, fields).await?;
    Ok(stored.into())
}

async fn edit_assignment(
    ctx: &Context<'_>,
    edit: Edit,
    input: RoleAssignmentInput,
) -> Result<RoleAssignmentRow> {
    let fields = [
        input.subject.as_str(),
        input.role.as_str(),
        input.area.as_str(),
    ];
    let stored = policy_admin::edit_assignment(ctx.access()?, edit, fields).await?;
    Ok(stored.into())
}

#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Adds a policy. Every replica enforces it within a second.
    async fn add_policy(&self, ctx: &Context<'_>, input: PolicyInput) -> Result<Policy> {
        edit_policy(ctx, Edit::Add, input).await
    }

    /// Removes a policy (named by its fields).
    async fn remove_policy(&self, ctx: &Context<'_>, input: PolicyInput) -> Result<Policy> {
        edit_policy(ctx, Edit::Remove, input).await
    }

    /// Gives a subject a role in an area (and every area inside it).
    async fn assign_role(
        &self,
        ctx: &Context<'_>,
        input: RoleAssignmentInput,
    ) -> Result<RoleAssignmentRow> {
        edit_assignment(ctx, Edit::Add, input).await
    }

    /// Takes a role in an area away from a subject.
    async fn revoke_role(
        &self,
        ctx: &Context<'_>,
        input: RoleAssignmentInput,
    ) -> Result<RoleAssignmentRow> {
        edit_assignment(ctx, Edit::Remove, input).await
    }

    /// Issues a scoped API token for a department or an application.
    async fn issue_api_token(
        &self,
        ctx: &Context<'_>,
        input: IssueApiTokenInput,
    ) -> Result<IssuedApiToken> {
        let subject = match (input.department_code, input.username) {
            (Some(code), None) => TokenFor::Department(code),
            (None, Some(username)) => TokenFor::Application { username },
            _ => {
                return Err(crate::error::ApiError::bad_input(
                    "departmentCode",
                    "name either a department or a user, not both",
                )
                .into());
            }
        };
        let (secret, token) = tokens::issue(
            ctx.access()?,
            IssueRequest {
                name: input.name,
                subject,
                scopes: input.scopes,
                areas: input.areas,
                expires_at: input.expires_at,
            },
        )
        .await?;
        Ok(IssuedApiToken {
            secret,
            token: ApiToken(token),
        })
    }

    /// Revokes a token at once.
    async fn revoke_api_token(&self, ctx: &Context<'_>, id: ID) -> Result<ApiToken> {
        let id: i64 = id
            .parse()
            .map_err(|_| crate::error::ApiError::NotFound("token"))?;
        Ok(ApiToken(tokens::revoke(ctx.access()?, id).await?))
    }
}
