//! The audit log as the auditor reads it: `auditLog` with its filter, and
//! the same query answering "who looked at this person" (PIPL Art. 45).

use async_graphql::{Context, ID, InputObject, Object, Result};
use entities::audit_log;

use super::ContextExt;
use super::relay::{NodeKind, Page, connection, global_id, parse_global_id};
use super::scalars::DateTime;
use super::tasks::{Person, person};
use crate::domain::areas::parse_code;
use crate::domain::audit_log::{self as log, AUDIT_CURSOR, AuditFilter};
use crate::domain::page::{PageRequest, Paging};
use crate::error::ApiError;

/// Which audit entries to read; every part given must hold.
#[derive(InputObject, Default)]
pub struct AuditLogFilter {
    /// Done by the user of this username, signed in or through an
    /// application token acting for them.
    username: Option<String>,
    /// Done through this API token (`ApiToken.id`).
    token: Option<ID>,
    /// Done by this department's officers or through its tokens
    /// (`Department.id`).
    department: Option<ID>,
    /// These actions (`resident.update`), or all of a kind (`resident.*`).
    actions: Option<Vec<String>>,
    /// About rows of this kind (`resident`, `household`, `case`, …).
    object_kind: Option<String>,
    /// About this row of `objectKind` (its database id, as entries name it):
    /// its changes and the reads that showed it in full.
    object_id: Option<i64>,
    /// Every change and full read of this resident's record (`Resident.id`):
    /// who looked at this person.
    resident: Option<ID>,
    /// The same, for the resident with this ID number; only for those who
    /// read the log city-wide.
    resident_id_number: Option<String>,
    /// Inside this area (an entry belongs to the smallest area holding
    /// everything it touched).
    within: Option<String>,
    /// At or after this instant.
    from: Option<DateTime>,
    /// Before this instant.
    before: Option<DateTime>,
}

fn key_of(field: &str, id: &ID, kind: NodeKind) -> Result<i64, ApiError> {
    parse_global_id(id)
        .filter(|(found, _)| *found == kind)
        .and_then(|(_, key)| key.parse().ok())
        .ok_or_else(|| ApiError::bad_input(field, "not an ID of this kind"))
}

impl AuditLogFilter {
    fn resolve(self) -> Result<AuditFilter, ApiError> {
        Ok(AuditFilter {
            username: self.username,
            token: self
                .token
                .map(|id| key_of("filter.token", &id, NodeKind::ApiToken))
                .transpose()?,
            department: self
                .department
                .map(|id| key_of("filter.department", &id, NodeKind::Department))
                .transpose()?,
            actions: self.actions.unwrap_or_default(),
            object_kind: self.object_kind,
            object_id: self.object_id,
            resident: self
                .resident
                .map(|id| key_of("filter.resident", &id, NodeKind::Resident))
                .transpose()?,
            resident_id_number: self.resident_id_number,
            within: self
                .within
                .map(|code| parse_code("filter.within", &code))
                .transpose()?,
            from: self.from.map(Into::into),
            before: self.before.map(Into::into),
        })
    }
}

/// One entry of the audit log: who did what, to what, where, when — and,
/// for a read of personal data in full, which rows and fields (never the
/// values themselves).
pub struct AuditEntry(audit_log::Model);

/// One entry of the audit log: who did what, to what, where, when — and,
/// for a read of personal data in full, which rows and fields (never the
/// values themselves).
#[Object]
impl AuditEntry {
    /// Its number in the log (entries are numbered as written).
    async fn number(&self) -> i64 {
        self.0.id
    }

    /// When.
    async fn at(&self) -> DateTime {
        self.0.at.into()
    }

    /// Who, as the log named them then.
    async fn actor_name(&self) -> &str {
        &self.0.actor_name
    }

    /// The user who acted, when a user did.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        person(ctx, self.0.actor_user_id).await
    }

    /// The API token acted through (`ApiToken.id`), if any.
    async fn actor_token(&self) -> Option<ID> {
        self.0
            .actor_token_id
            .map(|id| global_id(NodeKind::ApiToken, &id.to_string()))
    }

    /// The access token's id (`jti`) a signed-in user acted under: the
    /// entries of one session share it.
    async fn session(&self) -> Option<&str> {
        self.0.session.as_deref()
    }

    /// The address the request came from.
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }

    /// What was done: `resident.update`, `resident.read_unmasked`,
    /// `case.dispatch`, `audit_log.read`, …
    async fn action(&self) -> &str {
        &self.0.action
    }

    /// The kind of row it was about.
    async fn object_kind(&self) -> &str {
        &self.0.object_kind
    }

    /// The row it was about, when one.
    async fn object_id(&self) -> Option<&str> {
        self.0.object_id.as_deref()
    }

    /// The rows a read showed in full (their database ids).
    async fn object_ids(&self) -> Vec<i64> {
        self.0.detail["ids"]
            .as_array()
            .map(|ids| ids.iter().filter_map(serde_json::Value::as_i64).collect())
            .unwrap_or_default()
    }

    /// The fields read in full, or changed.
    async fn fields(&self) -> Vec<String> {
        self.0.detail["fields"]
            .as_array()
            .map(|fields| {
                fields
                    .iter()
                    .filter_map(|field| field.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The area it happened in: the smallest holding everything it
    /// touched; none for the city as a whole.
    async fn area_code(&self) -> Option<&str> {
        self.0.area_code.as_deref()
    }

    /// Whatever else explains it, as JSON: ids, states, field names —
    /// never a personal value.
    async fn detail(&self) -> String {
        self.0.detail.to_string()
    }
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The audit log, newest first, for those whose policy grants
    /// `audit_log read` (the auditor everywhere; a district's supervisor
    /// inside its district); FORBIDDEN for anyone else. Reading it is
    /// itself recorded.
    #[graphql(complexity = "super::relay::page_complexity(first, last, child_complexity)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which entries.")] filter: Option<AuditLogFilter>,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<AuditEntry>> {
        let filter = filter.unwrap_or_default().resolve()?;
        let request = PageRequest::new(
            Paging {
                first,
                after,
                last,
                before,
            },
            AUDIT_CURSOR,
        )?;
        let listing = log::list(ctx.access()?, &filter, &request).await?;
        Ok(connection(AUDIT_CURSOR, listing, AuditEntry))
    }
}
