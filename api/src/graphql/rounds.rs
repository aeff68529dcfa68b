//! The subjects of a round of visits, as its sender and its workers see
//! them: who is still to visit, and the visit that counted.

use async_graphql::{Context, ID, Object, Result};
use entities::task_subject;

use super::ContextExt;
use super::relay::{NodeKind, Page, connection, global_id};
use super::scalars::DateTime;
use super::subjects::{VisitSubject, node_kind};
use super::visits::Visit;
use crate::domain::page::Paging;
use crate::domain::tasks::rounds::{self, SUBJECT_CURSOR, SubjectFilter};
use crate::domain::visits;

/// One resident, household, dwelling, building or organisation a round of visits
/// names.
pub struct TaskSubject(pub task_subject::Model);

impl crate::graphql::plain::Plain for TaskSubject {}

/// One resident, household, dwelling, building or organisation a round of visits
/// names.
#[Object]
impl TaskSubject {
    /// What it is.
    async fn subject_kind(&self) -> VisitSubject {
        self.0.subject_kind.into()
    }

    /// Its global ID (`node(id:)` reads it, where you may).
    async fn subject_id(&self) -> ID {
        global_id(
            node_kind(self.0.subject_kind),
            &self.0.subject_id.to_string(),
        )
    }

    /// The grid it was in when the task was sent; only a visit there counts.
    async fn grid_code(&self) -> &str {
        &self.0.grid_code
    }

    /// The assignment of its grid.
    async fn assignment_id(&self) -> ID {
        global_id(NodeKind::TaskAssignment, &self.0.assignment_id.to_string())
    }

    /// When the visit that counted was made; null while still to visit.
    async fn visited_at(&self) -> Option<DateTime> {
        self.0.visited_at.map(Into::into)
    }

    /// The visit that counted, where you may read visits.
    async fn visit(&self, ctx: &Context<'_>) -> Result<Option<Visit>> {
        let Some(id) = self.0.visit_id else {
            return Ok(None);
        };
        Ok(visits::find(ctx.access()?, id).await?.map(Visit))
    }
}

/// A page of task `task_id`'s subjects in the assignments you see.
pub async fn subjects_page(
    ctx: &Context<'_>,
    task_id: i64,
    visited: Option<bool>,
    paging: Paging,
) -> Result<Page<TaskSubject>> {
    let request = super::relay::page_request(ctx, paging, SUBJECT_CURSOR)?;
    let listing =
        rounds::subjects(ctx.access()?, task_id, &SubjectFilter { visited }, &request).await?;
    Ok(connection(SUBJECT_CURSOR, listing, TaskSubject))
}
