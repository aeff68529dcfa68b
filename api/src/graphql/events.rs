//! Live updates over graphql-ws: each event is checked against the
//! subscriber's own scope before it is sent, and a stream ends when the
//! subscriber's credentials expire.

use std::sync::Arc;

use async_graphql::{Context, Result, Subscription};
use chrono::Utc;
use futures_util::{Stream, StreamExt};
use tokio_stream::wrappers::BroadcastStream;

use super::ContextExt;
use super::cases::Case;
use crate::caller::Caller;
use crate::domain::areas::parse_code;
use crate::domain::cases::{self, CaseScope};
use crate::error::ApiError;
use crate::events::Event;

/// Tells every replica's subscribers that `row` changed.
pub async fn case_changed(ctx: &Context<'_>, row: &entities::case::Model) {
    ctx.state()
        .events
        .publish(Event::CaseChanged {
            case_id: row.id,
            grid_code: row.grid_code.clone(),
        })
        .await;
}

/// The subscriber, refused once their credentials have expired.
pub fn live_caller(ctx: &Context<'_>) -> Result<Caller> {
    let caller = ctx.caller()?;
    if caller.expires_at <= Utc::now() {
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

#[derive(Default)]
pub struct CaseSubscription;

#[Subscription]
impl CaseSubscription {
    /// Cases as they are reported or moved, in grids inside `within` (any
    /// level) or anywhere you may see them. Each is sent as you would read
    /// it; the stream ends when your token expires.
    async fn case_changed(
        &self,
        ctx: &Context<'_>,
        within: Option<String>,
    ) -> Result<impl Stream<Item = Case> + use<>> {
        let caller = live_caller(ctx)?;
        let state = ctx.state().clone();
        let area = within.map(|code| parse_code("within", &code)).transpose()?;
        let scope = Arc::new(CaseScope::of(&state.db, &state.authorizer, &caller).await?);
        let events = BroadcastStream::new(state.events.subscribe());
        let stream = events.filter_map(move |event| {
            let (db, scope, area) = (state.db.clone(), scope.clone(), area.clone());
            async move {
                let Ok(Event::CaseChanged { case_id, grid_code }) = event else {
                    return None;
                };
                let inside = area
                    .as_ref()
                    .is_none_or(|area| area.contains_raw(&grid_code));
                if !inside || !scope.read.contains(&grid_code) {
                    return None;
                }
                match cases::find(&db, &scope, case_id).await {
                    Ok(found) => found.map(Case),
                    Err(_) => None,
                }
            }
        });
        Ok(until_expiry(stream, &caller))
    }
}
