//! Live updates over graphql-ws: each event is checked against the
//! subscriber's own scope before it is sent, and a stream ends when the
//! subscriber's credentials expire.

use async_graphql::{Context, Result, Subscription};
use chrono::Utc;
use futures_util::{Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use super::ContextExt;
use super::cases::Case;
use super::comparisons::Finding;
use super::record::Resident;
use super::tasks::Assignment;
use crate::caller::Caller;
use crate::domain::access::Access;
use crate::domain::areas::parse_code;
use crate::domain::cases;
use crate::domain::comparisons::findings;
use crate::domain::residents;
use crate::domain::tasks::{self, TaskViewer};
use crate::error::{ApiError, ApiResult};
use crate::events::{Arrived, Event, Heard};
use policies::AreaCode;
use std::future::Future;
use std::sync::Arc;

/// The subscriber, refused once their credentials have expired.
pub fn live_caller(ctx: &Context<'_>) -> Result<Caller> {
    let caller = ctx.caller()?;
    if !caller.is_live() {
        return Err(ApiError::unauthenticated().into());
    }
    Ok(caller.clone())
}

/// Ends `stream` when `caller`'s credentials expire.
pub fn until_expiry<S: Stream + Send + 'static>(
    stream: S,
    caller: &Caller,
) -> impl Stream<Item = S::Item> + Send + 'static + use<S> {
    let left = (caller.expires_at - Utc::now())
        .to_std()
        .unwrap_or_default();
    stream.take_until(tokio::time::sleep(left))
}

/// What a subscriber hears of one event: nothing (not theirs to see), the
/// row, or why the row could not be read.
type Told<T> = Option<ApiResult<T>>;

/// Ends `stream` after its first error, which the subscriber is sent: an
/// event lost (fallen behind, or a read that failed) is never lost
/// silently, and a client that resubscribes and re-reads misses nothing.
/// The stream completes as soon as the error is sent, not at the next event.
fn until_error<T, S>(stream: S, what: &'static str) -> impl Stream<Item = Result<T>> + use<T, S>
where
    S: Stream<Item = ApiResult<T>>,
{
    futures_util::stream::unfold(
        (Box::pin(stream), false),
        move |(mut stream, failed)| async move {
            if failed {
                return None;
            }
            let item = stream.next().await?;
            if let Err(err) = &item {
                tracing::warn!(error = ?err, "a live {what} stream ends on an event it could not deliver");
            }
            let failed = item.is_err();
            Some((item.map_err(Into::into), (stream, failed)))
        },
    )
}

/// The channel's next event for this subscriber, or why it missed some.
fn received(heard: Result<Heard, BroadcastStreamRecvError>) -> ApiResult<Arc<Arrived>> {
    // Logged by `until_error` as the stream ends.
    match heard {
        Ok(Heard::Event(arrived)) => Ok(arrived),
        Ok(Heard::Lost) => Err(ApiError::MissedEvents(None)),
        Err(BroadcastStreamRecvError::Lagged(missed)) => Err(ApiError::MissedEvents(Some(missed))),
    }
}

/// How a subscription reads the row an event names (its id and grid), as
/// the subscriber would inside `within`.
type ReadHeard<Fut> = fn(Arc<Access>, Arc<Arrived>, i64, String, Option<AreaCode>) -> Fut;

/// The rows named by the events `pick` takes (an id and its grid), each
/// read by `read` as the subscriber would read it inside `within` (sharing
/// the event's one read with the replica's other subscribers), until
/// the subscriber's credentials expire or an event cannot be delivered:
/// the one shape of every scoped subscription.
fn scoped_events<T, Fut>(
    ctx: &Context<'_>,
    within: Option<String>,
    what: &'static str,
    pick: fn(&Event) -> Option<(i64, String)>,
    read: ReadHeard<Fut>,
) -> Result<impl Stream<Item = Result<T>> + use<T, Fut>>
where
    T: Send + 'static,
    Fut: Future<Output = ApiResult<Option<T>>> + Send + 'static,
{
    let caller = live_caller(ctx)?;
    let access = ctx.access()?.clone();
    let area = within.map(|code| parse_code("within", &code)).transpose()?;
    let events = BroadcastStream::new(ctx.state().events.subscribe());
    let stream = events.filter_map(move |event| {
        let (access, area) = (access.clone(), area.clone());
        async move {
            let told: Told<T> = match received(event) {
                Err(err) => Some(Err(err)),
                Ok(arrived) => {
                    let (id, grid) = pick(&arrived.event)?;
                    read(access, arrived, id, grid, area).await.transpose()
                }
            };
            told
        }
    });
    Ok(until_expiry(until_error(stream, what), &caller))
}

/// The residents named by the events `pick` takes, as the subscriber would
/// read them inside `within`.
fn resident_events(
    ctx: &Context<'_>,
    within: Option<String>,
    pick: fn(&Event) -> Option<(i64, String)>,
) -> Result<impl Stream<Item = Result<Resident>> + use<>> {
    let read = |access: Arc<Access>,
                arrived: Arc<Arrived>,
                id,
                grid: String,
                area: Option<AreaCode>| async move {
        residents::heard(&access, &arrived.read, id, &grid, area.as_ref()).await
    };
    Ok(scoped_events(ctx, within, "resident", pick, read)?.map(|heard| heard.map(Resident)))
}

/// Live updates: every subscription of the schema.
#[derive(Default)]
pub struct LiveUpdates;

#[Subscription]
impl LiveUpdates {
    /// Cases as they are reported or moved, in grids inside `within` (any
    /// level) or anywhere you may see them. Each is sent as you would read
    /// it; the stream ends when your token expires.
    async fn case_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only cases in this area or grid.")] within: Option<String>,
    ) -> Result<impl Stream<Item = Result<Case>> + use<>> {
        let pick = |event: &Event| match event {
            Event::CaseChanged { case_id, grid_code } => Some((*case_id, grid_code.clone())),
            _ => None,
        };
        let read = |access: Arc<Access>,
                    arrived: Arc<Arrived>,
                    id,
                    grid: String,
                    area: Option<AreaCode>| async move {
            cases::changed(&access, &arrived.read, id, &grid, area.as_ref()).await
        };
        // Which cases the subscriber sees, read now rather than by the
        // first event (and again only after a policy change clears it).
        cases::CaseScope::of(ctx.access()?).await?;
        Ok(scoped_events(ctx, within, "case", pick, read)?.map(|heard| heard.map(Case)))
    }

    /// Records as the police sign them off or return them and their grid
    /// resubmits them, in grids inside `within` (any level) or anywhere you
    /// may see them: a grid worker hears of returns to re-check at once.
    /// Each is sent as you would read it; the stream ends when your token
    /// expires.
    async fn resident_verification_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only records in this area or grid.")] within: Option<String>,
    ) -> Result<impl Stream<Item = Result<Resident>> + use<>> {
        let pick = |event: &Event| match event {
            Event::ResidentReviewed {
                resident_id,
                grid_code,
            } => Some((*resident_id, grid_code.clone())),
            _ => None,
        };
        resident_events(ctx, within, pick)
    }

    /// Urgent findings as comparisons open them (a resident on the wanted
    /// list), in grids inside `within` (any level) or anywhere you may read
    /// them: only those who may read that kind of finding in its grid hear
    /// of it. The stream ends when your token expires.
    async fn finding_raised(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only findings in this area or grid.")] within: Option<String>,
    ) -> Result<impl Stream<Item = Result<Finding>> + use<>> {
        let pick = |event: &Event| match event {
            Event::FindingRaised {
                finding_id,
                grid_code,
            } => Some((*finding_id, grid_code.clone())),
            _ => None,
        };
        let read = |access: Arc<Access>,
                    arrived: Arc<Arrived>,
                    id,
                    grid: String,
                    area: Option<AreaCode>| async move {
            findings::raised(&access, &arrived.read, id, &grid, area.as_ref()).await
        };
        Ok(scoped_events(ctx, within, "finding", pick, read)?.map(|heard| heard.map(Finding)))
    }

    /// People as they join the record, registered by their grid or born
    /// into a household there, in grids inside `within` (any level) or
    /// anywhere you may see them: the screen's newborns. Each is sent as
    /// you would read it; the stream ends when your token expires.
    async fn resident_registered(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only people in this area or grid.")] within: Option<String>,
    ) -> Result<impl Stream<Item = Result<Resident>> + use<>> {
        let pick = |event: &Event| match event {
            Event::ResidentRegistered {
                resident_id,
                grid_code,
            } => Some((*resident_id, grid_code.clone())),
            _ => None,
        };
        resident_events(ctx, within, pick)
    }

    /// Feedback on tasks as it comes in: assignments acknowledged,
    /// reported on or completed, sent to grids or areas inside `within` (any
    /// level), of the tasks you see (those you sent, or sent inside your
    /// area). The stream ends when your token expires.
    async fn assignment_answered(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only assignments to this area or grid, or inside it.")] within: Option<
            String,
        >,
    ) -> Result<impl Stream<Item = Result<Assignment>> + use<>> {
        let pick = |event: &Event| match event {
            Event::AssignmentAnswered {
                assignment_id,
                area_code,
            } => Some((*assignment_id, area_code.clone())),
            _ => None,
        };
        let read = |access: Arc<Access>,
                    arrived: Arc<Arrived>,
                    id,
                    area_code: String,
                    area: Option<AreaCode>| async move {
            tasks::answered(&access, &arrived.read, id, &area_code, area.as_ref()).await
        };
        Ok(scoped_events(ctx, within, "assignment", pick, read)?
            .map(|heard| heard.map(Assignment::of)))
    }

    /// Your new assignments (or your department's) as tasks are sent, on
    /// whichever replica; the stream ends when your token expires, or with
    /// an error after an event it could not deliver (subscribe again and
    /// re-read your assignments).
    async fn task_assigned(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Result<Assignment>> + use<>> {
        let caller = live_caller(ctx)?;
        let access = ctx.access()?.clone();
        // Who the subscriber is, read now rather than by the first event
        // (and again only after a policy change clears it).
        TaskViewer::of(&access).await?;
        let events = BroadcastStream::new(ctx.state().events.subscribe());
        let stream = events
            .filter_map(move |event| {
                let access = access.clone();
                async move {
                    let mine = match received(event) {
                        Err(err) => vec![Err(err)],
                        Ok(arrived) => {
                            let Event::TaskSent { task_id } = arrived.event else {
                                return None;
                            };
                            match tasks::live::addressed(&access, &arrived.read, task_id).await {
                                Ok(mine) => mine.into_iter().map(Ok).collect(),
                                Err(err) => vec![Err(err)],
                            }
                        }
                    };
                    Some(futures_util::stream::iter(mine))
                }
            })
            .flatten();
        Ok(until_expiry(
            until_error(stream, "task").map(|heard| heard.map(Assignment::with_task)),
            &caller,
        ))
    }
}
