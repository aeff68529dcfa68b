//! Moves between grids (迁出 / 迁入) as each side sees them: the arrivals a
//! new grid's worker takes in, the departures an old grid's worker
//! recorded, and the two mutations that move a person from one to the
//! other.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use entities::transfer::TransferState as StoredState;

use super::ContextExt;
use super::inputs::optional_key;
use super::ordering::{TransferOrder, TransferOrderField};
use super::payload::{ResidentUserError, payload};
use super::record::{Grid, HeadRelation, Resident, Sex};
use super::relay::{NodeKind, Page, connection, global_id, key_of, page_complexity};
use super::scalars::Date;
use crate::domain::areas::parse_code;
use crate::domain::page::Paging;
use crate::domain::transfers::{
    self, ARRIVAL_CURSOR, DEPARTURE_CURSOR, Moving, Side, TransferFilter as Filter,
};
use crate::domain::writes::transfers::{self as moves, Destination, Welcome};
use crate::error::{ApiError, ApiResult};

/// Where a move stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::transfer::TransferState")]
pub enum TransferState {
    /// Moved out of the old grid; the new grid's worker has yet to take
    /// them in.
    OnTheWay,
    /// Taken into the new grid's record.
    Arrived,
    /// Gone to a place outside the city.
    LeftCity,
}

/// A resident's move out of a grid, to another grid of the city or away
/// from it, as the side you work on sees it: the person (their protected
/// fields as your grid's policies show them), where from, where to, when.
/// Neither side sees the other's dwelling or household.
pub struct Transfer(pub Moving);

impl crate::graphql::plain::Plain for Transfer {}

impl Transfer {
    pub async fn find(ctx: &Context<'_>, key: &str) -> Result<Option<Transfer>> {
        let Ok(id) = key.parse::<i64>() else {
            return Ok(None);
        };
        Ok(transfers::find(ctx.access()?, id).await?.map(Transfer))
    }
}

/// A resident's move out of a grid, as your side of it sees it.
#[Object]
impl Transfer {
    /// The move's global ID: what `takeInArrival` takes.
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Transfer, &self.0.transfer.id.to_string())
    }

    /// The person's name, as the record stood when they moved out.
    async fn name(&self) -> &str {
        &self.0.transfer.name
    }

    /// The person's sex.
    async fn sex(&self) -> Sex {
        self.0.transfer.sex.into()
    }

    /// The person's date of birth.
    async fn birth_date(&self) -> Date {
        self.0.transfer.birth_date.into()
    }

    /// The ID number as your grid's policies show it (in full only where
    /// you see them in full, and then recorded); to tell the person at the
    /// door from another.
    async fn id_number(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let moving = &self.0.transfer;
        Ok(ctx
            .access()?
            .id_number_shown(moving.resident_id, &moving.id_number, &self.0.seen_from))
    }

    /// The grid moved out of.
    #[graphql(name = "fromGridCode")]
    async fn origin_code(&self) -> &str {
        &self.0.transfer.from_grid_code
    }

    /// The grid moved out of, when you may see it on the map.
    #[graphql(name = "fromGrid")]
    async fn origin(&self, ctx: &Context<'_>) -> Result<Option<Grid>> {
        Grid::load(ctx, &self.0.transfer.from_grid_code).await
    }

    /// The grid of the city moved to; null for a place outside it.
    async fn to_grid_code(&self) -> Option<&str> {
        self.0.transfer.to_grid_code.as_deref()
    }

    /// The grid moved to, when you may see it on the map.
    async fn to_grid(&self, ctx: &Context<'_>) -> Result<Option<Grid>> {
        match &self.0.transfer.to_grid_code {
            Some(code) => Grid::load(ctx, code).await,
            None => Ok(None),
        }
    }

    /// The place outside the city moved to, as the worker was told it.
    async fn destination(&self) -> Option<&str> {
        self.0.transfer.destination.as_deref()
    }

    /// The day they moved out.
    async fn moved_on(&self) -> Date {
        self.0.transfer.moved_on.into()
    }

    /// Where the move stands.
    async fn state(&self) -> TransferState {
        self.0.transfer.state.into()
    }

    /// The day the new grid took them in.
    async fn arrived_on(&self) -> Option<Date> {
        self.0.transfer.arrived_on.map(Into::into)
    }

    /// Send it back with `takeInArrival`, to detect a concurrent one.
    async fn version(&self) -> i32 {
        self.0.transfer.version
    }

    /// The resident's record, where you may see it: in the old grid until
    /// they are taken in, in the new one after.
    async fn resident(&self, ctx: &Context<'_>) -> Result<Option<Resident>> {
        Resident::find(ctx, &self.0.transfer.resident_id.to_string()).await
    }
}

/// Which moves to list; the parts combine with AND.
#[derive(InputObject, Default)]
pub struct TransferFilter {
    /// Any of these states.
    states: Option<Vec<TransferState>>,
    /// Only moves whose grid on your side lies inside this area.
    within: Option<String>,
}

impl TransferFilter {
    fn validate(self) -> ApiResult<Filter> {
        Ok(Filter {
            states: self
                .states
                .unwrap_or_default()
                .into_iter()
                .map(StoredState::from)
                .collect(),
            within: self
                .within
                .map(|code| parse_code("within", &code))
                .transpose()?,
        })
    }
}

async fn moves_page(
    ctx: &Context<'_>,
    side: Side,
    filter: Option<TransferFilter>,
    order_by: TransferOrder,
    paging: Paging,
) -> Result<Page<Transfer>> {
    let filter = filter.unwrap_or_default().validate()?;
    let list = match side {
        Side::Arriving => ARRIVAL_CURSOR,
        Side::Leaving => DEPARTURE_CURSOR,
    };
    let (order, kind) = order_by.resolve(list);
    let request = super::relay::page_request(ctx, paging, &kind)?;
    let listing = transfers::list(ctx.access()?, side, &filter, order, &request).await?;
    Ok(connection(&kind, listing, Transfer))
}

#[derive(Default)]
pub struct TransfersQuery;

#[Object]
impl TransfersQuery {
    /// People moving into grids where you keep the record, newest move
    /// first unless `orderBy` says otherwise: take those `ON_THE_WAY` in
    /// with `takeInArrival`.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    // Each parameter is one of the field's GraphQL arguments.
    #[allow(clippy::too_many_arguments)]
    async fn arrivals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which moves.")] filter: Option<TransferFilter>,
        #[graphql(
            desc = "Their order.",
            default_with = "TransferOrder::desc(TransferOrderField::RecordedAt)"
        )]
        order_by: TransferOrder,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<Transfer>> {
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        moves_page(ctx, Side::Arriving, filter, order_by, paging).await
    }

    /// People who moved out of grids where you keep the record, newest move
    /// first unless `orderBy` says otherwise.
    #[graphql(complexity = "page_complexity(first, last, child_complexity)")]
    // Each parameter is one of the field's GraphQL arguments.
    #[allow(clippy::too_many_arguments)]
    async fn departures(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which moves.")] filter: Option<TransferFilter>,
        #[graphql(
            desc = "Their order.",
            default_with = "TransferOrder::desc(TransferOrderField::RecordedAt)"
        )]
        order_by: TransferOrder,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<Transfer>> {
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        moves_page(ctx, Side::Leaving, filter, order_by, paging).await
    }
}

/// A move out of the grid (迁出), as read at `version`.
#[derive(InputObject)]
pub struct RecordMoveOutInput {
    /// The resident who moved.
    id: ID,
    /// The `version` the record was read at.
    version: i32,
    /// The day they moved; not in the future, not before the birth.
    date: Date,
    /// The grid of the city they moved to: its worker finds them among the
    /// arrivals. Give this or `destination`.
    to_grid_code: Option<String>,
    /// A place outside the city they moved to (up to 200 characters).
    destination: Option<String>,
}

/// Taking an arriving resident into the grid (迁入).
#[derive(InputObject)]
pub struct TakeInArrivalInput {
    /// The arrival (`Transfer.id`).
    id: ID,
    /// The `version` the arrival was read at.
    version: i32,
    /// A dwelling of the grid they moved to.
    dwelling_id: Option<ID>,
    /// A household of the grid they moved to, with `relationToHead`.
    household_id: Option<ID>,
    /// Their relation to the household's head.
    relation_to_head: Option<HeadRelation>,
}

payload!(
    /// The answer of `recordMoveOut`.
    RecordMoveOutPayload {
        /// The move recorded (its `resident` now `MOVED_OUT`); null when
        /// `userErrors` says why not.
        transfer: Transfer
    },
    ResidentUserError
);
payload!(
    /// The answer of `takeInArrival`.
    TakeInArrivalPayload {
        /// The move, now `ARRIVED` (its `resident` active in your grid);
        /// null when `userErrors` says why not.
        transfer: Transfer
    },
    ResidentUserError
);

/// The move as its side sees it after the change.
async fn seen(ctx: &Context<'_>, id: i64) -> ApiResult<Transfer> {
    transfers::find(ctx.access()?, id)
        .await?
        .map(Transfer)
        .ok_or_else(|| ApiError::not_found("arrival", "id"))
}

#[derive(Default)]
pub struct TransferChanges;

#[Object]
impl TransferChanges {
    /// Records that an active resident moved out of their grid (迁出) on
    /// `date`, to another grid of the city or to a place outside it. The
    /// record stays in the old grid as `MOVED_OUT`; the dwelling and
    /// household no longer hold them (a dwelling nobody lives in turns
    /// `VACANT`); a move within the city waits among the new grid's
    /// `arrivals`. Needs `resident write` in the old grid only.
    ///
    /// User errors: `NOT_FOUND` (`id`, `toGridCode`), `CONFLICT`,
    /// `INVALID_STATE` (not active, or a head leaving a household others
    /// still live in), `REQUIRED` (neither `toGridCode` nor `destination`),
    /// `INVALID` (both, a date in the future or before the birth, the
    /// grid they live in).
    async fn record_move_out(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The resident, the version read, the day and where to.")]
        input: RecordMoveOutInput,
    ) -> Result<RecordMoveOutPayload> {
        let outcome = async {
            let id = key_of("id", &input.id, NodeKind::Resident)?;
            let destination = match (input.to_grid_code, input.destination) {
                (Some(grid), None) => Destination::Grid(grid),
                (None, Some(place)) => Destination::Outside(place),
                (None, None) => {
                    return Err(ApiError::required(
                        "toGridCode",
                        "give the grid moved to, or a destination outside the city",
                    ));
                }
                (Some(_), Some(_)) => {
                    return Err(ApiError::bad_input(
                        "destination",
                        "give a grid of the city or a place outside it, not both",
                    ));
                }
            };
            let (_, moving) = moves::move_out(
                ctx.access()?,
                id,
                input.version,
                input.date.into(),
                destination,
            )
            .await?;
            seen(ctx, moving.id).await
        };
        Ok(RecordMoveOutPayload::of(outcome.await)?)
    }

    /// Takes an arriving resident into your grid's record (迁入): active
    /// again, in the grid they moved to, in a dwelling and household of it
    /// when given, and back to `PENDING` comparison. Needs `resident write`
    /// in the grid moved to only.
    ///
    /// User errors: `NOT_FOUND` (`id`, `dwellingId`, `householdId`),
    /// `CONFLICT`, `INVALID_STATE` (already taken in), `REQUIRED`
    /// (`relationToHead` with a household), `INVALID` (a dwelling or
    /// household of another grid).
    async fn take_in_arrival(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The arrival, the version read, and where they live.")]
        input: TakeInArrivalInput,
    ) -> Result<TakeInArrivalPayload> {
        let outcome = async {
            let id = key_of("id", &input.id, NodeKind::Transfer)?;
            let welcome = Welcome {
                dwelling_id: optional_key(
                    "dwellingId",
                    input.dwelling_id.as_ref(),
                    NodeKind::Dwelling,
                )?,
                household_id: optional_key(
                    "householdId",
                    input.household_id.as_ref(),
                    NodeKind::Household,
                )?,
                relation_to_head: input.relation_to_head.map(Into::into),
            };
            let (person, moving) =
                moves::take_in(ctx.access()?, id, input.version, welcome).await?;
            super::resident_changes::registered(ctx, &person).await;
            seen(ctx, moving.id).await
        };
        Ok(TakeInArrivalPayload::of(outcome.await)?)
    }
}
