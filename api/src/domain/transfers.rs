//! Reading moves between grids: the new grid's worker sees who is on the
//! way to their grids (arrivals), the old grid's worker whom they saw off
//! (departures). A move is shown to a caller through the grid of their own
//! side, so neither side needs rights in the other's grid, and the person's
//! protected fields show as that grid's policies say.

use entities::transfer::{self, TransferState};
use policies::{AreaCode, Scope};
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::domain::access::Access;
use crate::domain::page::{Listing, PageRequest};
use crate::domain::scoped::{Order, keyset};
use crate::domain::within::{in_scope, within};
use crate::error::ApiResult;

pub const ARRIVAL_CURSOR: &str = "arrival";
pub const DEPARTURE_CURSOR: &str = "departure";

/// Which half of a move a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Moves to the caller's grids.
    Arriving,
    /// Moves out of the caller's grids.
    Leaving,
}

/// Which moves to list.
#[derive(Debug, Clone, Default)]
pub struct TransferFilter {
    /// Any of these states; every state when empty.
    pub states: Vec<TransferState>,
    /// Only moves whose grid on the caller's side lies inside this area.
    pub within: Option<AreaCode>,
}

/// A move, and the grid of the caller's side of it, whose policies decide
/// what shows of the person.
#[derive(Debug, Clone)]
pub struct Moving {
    pub transfer: transfer::Model,
    pub seen_from: String,
}

fn residents_scope(access: &Access) -> Scope {
    access.residents().read.clone()
}

/// The moves of `side` the caller sees, in `order`.
pub async fn list(
    access: &Access,
    side: Side,
    filter: &TransferFilter,
    order: Order<transfer::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<Moving>> {
    access.caller()?;
    let scope = residents_scope(access);
    let column = match side {
        Side::Arriving => transfer::Column::ToGridCode,
        Side::Leaving => transfer::Column::FromGridCode,
    };
    let mut condition = Condition::all().add(in_scope(column, &scope));
    if side == Side::Arriving {
        // A move out of the city arrives nowhere, whatever the scope.
        condition = condition.add(transfer::Column::ToGridCode.is_not_null());
    }
    if !filter.states.is_empty() {
        condition = condition.add(transfer::Column::State.is_in(filter.states.clone()));
    }
    if let Some(area) = &filter.within {
        condition = condition.add(within(column, area));
    }
    let select = transfer::Entity::find().filter(condition);
    let listing = keyset(access.db(), select, transfer::Column::Id, order, request).await?;
    Ok(listing.filter_map(|transfer| {
        let seen_from = side_grid(&transfer, side)?.to_owned();
        Some(Moving {
            transfer,
            seen_from,
        })
    }))
}

fn side_grid(transfer: &transfer::Model, side: Side) -> Option<&str> {
    match side {
        Side::Arriving => transfer.to_grid_code.as_deref(),
        Side::Leaving => Some(&transfer.from_grid_code),
    }
}

/// One move the caller sees from either side; arriving wins when both
/// grids are theirs.
pub async fn find(access: &Access, id: i64) -> ApiResult<Option<Moving>> {
    access.caller()?;
    let Some(transfer) = transfer::Entity::find_by_id(id).one(access.db()).await? else {
        return Ok(None);
    };
    let scope = residents_scope(access);
    let side = [Side::Arriving, Side::Leaving]
        .into_iter()
        .find(|side| side_grid(&transfer, *side).is_some_and(|grid| scope.contains(grid)));
    let Some(side) = side else {
        return Ok(None);
    };
    let seen_from = side_grid(&transfer, side).unwrap_or_default().to_owned();
    Ok(Some(Moving {
        transfer,
        seen_from,
    }))
}
