//! The audit log as the auditor reads it: `auditLog` with its filter, and
//! the same query answering "who looked at this person" (PIPL Art. 45).

use async_graphql::{Context, ID, InputObject, Object, Result};
use entities::audit_log;

use super::ContextExt;
use super::ordering::{AuditLogOrder, AuditLogOrderField};
use super::people::{Person, person};
use super::relay::{NodeKind, Page, connection, global_id, parse_global_id};
use super::scalars::DateTime;
use crate::domain::areas::parse_code;
use crate::domain::audit_anomalies::{self as anomalies, ActorKey};
use crate::domain::audit_log::{self as log, AUDIT_CURSOR, AuditFilter};
use crate::domain::page::Paging;
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

impl crate::graphql::plain::Plain for AuditEntry {}

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

    /// The rows the entry names (their database ids): those a read showed
    /// in full, or the residents a reading of the log looked up.
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

/// A caller who read far more rows in full than its peers.
pub struct HeavyReader(anomalies::HeavyReader);

/// A caller who read far more rows in full than its peers (more than
/// three times their median, and at least 50 rows).
#[Object]
impl HeavyReader {
    /// How the log names the caller.
    async fn actor_name(&self) -> &str {
        &self.0.name
    }

    /// The user, when a user read.
    async fn actor(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        match self.0.actor {
            ActorKey::User(id) => person(ctx, Some(id)).await,
            ActorKey::Token(_) => Ok(None),
        }
    }

    /// The API token, when one was read through (`ApiToken.id`).
    async fn actor_token(&self) -> Option<ID> {
        match self.0.actor {
            ActorKey::Token(id) => Some(global_id(NodeKind::ApiToken, &id.to_string())),
            ActorKey::User(_) => None,
        }
    }

    /// Who it is compared with: the kind of its account (`grid_worker`,
    /// `police`, …), or `token`.
    async fn peers(&self) -> &str {
        &self.0.peers
    }

    /// Residents it read in full in the period.
    async fn rows(&self) -> u64 {
        self.0.rows
    }

    /// The median of its peers' counts (its own included).
    async fn peers_median(&self) -> f64 {
        self.0.peers_median
    }
}

/// A full read of residents in grids the caller had not read in during
/// the 30 days before.
pub struct UnusualRead(anomalies::UnusualRead);

/// A full read of residents in grids the caller had not read in during
/// the 30 days before.
#[Object]
impl UnusualRead {
    /// The entry of the read.
    async fn entry(&self) -> AuditEntry {
        AuditEntry(self.0.entry.clone())
    }

    /// The grids it reached that the caller had not read in before, each
    /// as the residents' grid stood when they were read (a person who has
    /// moved since moves neither this read nor the earlier ones). Entries
    /// written before reads recorded their grids are placed by where
    /// their residents live now.
    async fn grids(&self) -> &[String] {
        &self.0.grids
    }
}

/// What an auditor looks at first, for one period.
pub struct AuditAnomalies(anomalies::Anomalies);

/// What an auditor looks at first, for one period.
#[Object]
impl AuditAnomalies {
    /// Callers whose full reads were far above their peers', most first.
    async fn heavy_readers(&self) -> Vec<HeavyReader> {
        self.0
            .heavy_readers
            .iter()
            .cloned()
            .map(HeavyReader)
            .collect()
    }

    /// Full reads outside office hours (08:30–17:30 China time on working
    /// days), newest first, at most 500.
    async fn after_hours(&self) -> Vec<AuditEntry> {
        self.0.after_hours.iter().cloned().map(AuditEntry).collect()
    }

    /// Full reads of residents outside the grids their caller usually
    /// reads in, newest first, at most 500.
    async fn outside_usual_grids(&self) -> Vec<UnusualRead> {
        self.0
            .outside_usual_grids
            .iter()
            .cloned()
            .map(UnusualRead)
            .collect()
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
    // Each parameter is one of the field's GraphQL arguments.
    #[allow(clippy::too_many_arguments)]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which entries.")] filter: Option<AuditLogFilter>,
        #[graphql(
            desc = "Their order: the newest first unless said otherwise.",
            default_with = "AuditLogOrder::desc(AuditLogOrderField::Number)"
        )]
        order_by: AuditLogOrder,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<AuditEntry>> {
        let filter = filter.unwrap_or_default().resolve()?;
        let (order, kind) = order_by.resolve(AUDIT_CURSOR);
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
        let listing = log::list(ctx.access()?, &filter, order, &request).await?;
        Ok(connection(&kind, listing, AuditEntry))
    }

    /// What an auditor looks at first in `[from, before)` (at most 31
    /// days), among the entries you may read: callers reading far more
    /// than their peers, full reads outside office hours, and reads outside
    /// a caller's usual grids. Recorded like any reading of the log.
    async fn audit_anomalies(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period's start.")] from: DateTime,
        #[graphql(desc = "The period's end (not included).")] before: DateTime,
    ) -> Result<AuditAnomalies> {
        // It reads a period's entries: scanning work, with its own permit.
        let _permit = ctx.scan_permit().await?;
        let found = anomalies::find(ctx.access()?, from.into(), before.into()).await?;
        Ok(AuditAnomalies(found))
    }
}
