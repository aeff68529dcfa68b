//! The police's sign-off loop (签收 / 退回): a record collected or
//! corrected in a grid waits as `PENDING` until the police of its grid
//! compare it with the household registry and sign it off, or return it
//! with a reason; the grid worker re-checks a returned record and resubmits
//! it. Each step is checked against the record's version, written with its
//! audit row and its entry on the record's verification timeline in one
//! transaction.

use std::collections::HashMap;

use entities::resident::{self, Verification};
use entities::resident_review::{self, ReviewAction};
use policies::{Action, AreaCode, Object};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::access::Access;
use super::within::{in_scope, within};
use super::writes::fields::{optional_text, text};
use super::writes::{reviews, save};
use crate::error::{ApiError, ApiResult};

/// One step of the loop: who may take it, from where, to where. The whole
/// loop is this table; `take` enforces it.
pub struct Step {
    pub action: ReviewAction,
    /// The record's state the step starts from.
    pub from: Verification,
    pub to: Verification,
    /// What the caller needs in the record's grid, on `resident`.
    pub permission: Action,
}

pub const SIGN_OFF: Step = Step {
    action: ReviewAction::SignOff,
    from: Verification::Pending,
    to: Verification::SignedOff,
    permission: Action::SignOff,
};

pub const RETURN: Step = Step {
    action: ReviewAction::Return,
    from: Verification::Pending,
    to: Verification::Returned,
    permission: Action::Return,
};

pub const RESUBMIT: Step = Step {
    action: ReviewAction::Resubmit,
    from: Verification::Returned,
    to: Verification::Pending,
    permission: Action::Write,
};

/// The longest reason or note a step takes.
const REASON_CHARS: usize = 500;

/// Signs off resident `id` as read at `version`: the record agrees with
/// the registry.
pub async fn sign_off(access: &Access, id: i64, version: i32) -> ApiResult<resident::Model> {
    take(access, id, version, &SIGN_OFF, None).await
}

/// Returns resident `id` to its grid for re-checking, saying why.
pub async fn send_back(
    access: &Access,
    id: i64,
    version: i32,
    reason: &str,
) -> ApiResult<resident::Model> {
    let reason = text("reason", reason, REASON_CHARS)?;
    take(access, id, version, &RETURN, Some(reason)).await
}

/// Sends a returned record to the police again, after re-checking it.
pub async fn resubmit(
    access: &Access,
    id: i64,
    version: i32,
    note: Option<&str>,
) -> ApiResult<resident::Model> {
    let note = optional_text("note", note, REASON_CHARS)?;
    take(access, id, version, &RESUBMIT, note).await
}

async fn take(
    access: &Access,
    id: i64,
    version: i32,
    step: &Step,
    reason: Option<String>,
) -> ApiResult<resident::Model> {
    let w = &access.writer()?;
    let txn = w.begin().await?;
    let current = w
        .load_for::<resident::Entity>(&txn, id, version, step.permission)
        .await?;
    if current.verification != step.from {
        return Err(ApiError::InvalidState(format!(
            "the record is {}, and only a {} record can be {}",
            reviews::state_name(current.verification),
            reviews::state_name(step.from),
            done_name(step.action),
        )));
    }
    let changes = resident::ActiveModel {
        verification: Set(step.to),
        return_reason: Set(if step.action == ReviewAction::Return {
            reason.clone()
        } else {
            None
        }),
        ..Default::default()
    };
    let row = save::<resident::Entity>(&txn, id, version, changes).await?;
    reviews::record(w, &txn, &row, step.action, reason).await?;
    txn.commit().await?;
    Ok(row)
}

fn done_name(action: ReviewAction) -> &'static str {
    match action {
        ReviewAction::SignOff => "signed off",
        ReviewAction::Return => "returned",
        ReviewAction::Resubmit => "resubmitted",
        ReviewAction::Corrected => "corrected",
        ReviewAction::MovedIn => "taken in",
    }
}

/// The permissions that make a caller part of the loop in a grid: the
/// keeper of the record and the police who compare it.
const LOOP: [Action; 3] = [Action::Write, Action::SignOff, Action::Return];

/// Whether the caller takes part in the loop of records in `grid`: only
/// they read a return's reason and the timeline (who compared, when, why);
/// everyone else who reads the record sees where it stands.
pub fn takes_part(access: &Access, grid: &str) -> bool {
    LOOP.iter()
        .any(|&action| access.may_in(grid, Object::Resident, action))
}

/// Why `row` was returned, for those who take part in its loop.
pub fn return_reason(access: &Access, row: &resident::Model) -> Option<String> {
    row.return_reason
        .clone()
        .filter(|_| takes_part(access, &row.grid_code))
}

/// The verification timelines of those of `residents` the caller may see,
/// oldest step first: the steps taken in grids whose loop the caller takes
/// part in (after a move, the new grid does not read the old one's).
pub async fn steps_of(
    access: &Access,
    residents: &[i64],
) -> ApiResult<HashMap<i64, Vec<resident_review::Model>>> {
    let part = LOOP.iter().fold(Condition::any(), |any, &action| {
        any.add(in_scope(
            resident_review::Column::GridCode,
            &access.scope(Object::Resident, action),
        ))
    });
    let seen = Query::select()
        .column(resident::Column::Id)
        .from(resident::Entity)
        .cond_where(
            Condition::all()
                .add(resident::Column::Id.is_in(residents.iter().copied()))
                .add(in_scope(
                    resident::Column::GridCode,
                    &access.residents().read,
                )),
        )
        .to_owned();
    let rows = resident_review::Entity::find()
        .filter(resident_review::Column::ResidentId.in_subquery(seen))
        .filter(part)
        .order_by_asc(resident_review::Column::Id)
        .all(access.db())
        .await?;
    let mut grouped: HashMap<i64, Vec<resident_review::Model>> = HashMap::new();
    for row in rows {
        grouped.entry(row.resident_id).or_default().push(row);
    }
    Ok(grouped)
}

/// Where a grid's records stand, counted over the records the caller sees.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GridCounts {
    pub grid_code: String,
    pub pending: i64,
    pub returned: i64,
    pub signed_off: i64,
}

/// For each grid (inside `area`, if given) holding records the caller may
/// see, how many are pending, returned and signed off: the police's queue
/// and the worker's returns at a glance. One grouped statement over the
/// caller's scope; grids are in code order.
pub async fn counts_by_grid(
    access: &Access,
    area: Option<&AreaCode>,
) -> ApiResult<Vec<GridCounts>> {
    access.caller()?;
    let mut query = resident::Entity::find()
        .select_only()
        .column(resident::Column::GridCode)
        .column(resident::Column::Verification)
        .column_as(Expr::col(resident::Column::Id).count(), "n")
        .filter(in_scope(
            resident::Column::GridCode,
            &access.residents().read,
        ));
    if let Some(area) = area {
        query = query.filter(within(resident::Column::GridCode, area));
    }
    let rows: Vec<(String, Verification, i64)> = query
        .group_by(resident::Column::GridCode)
        .group_by(resident::Column::Verification)
        .order_by_asc(resident::Column::GridCode)
        .into_tuple()
        .all(access.db())
        .await?;
    let mut grids: Vec<GridCounts> = Vec::new();
    for (grid_code, state, n) in rows {
        if grids.last().is_none_or(|last| last.grid_code != grid_code) {
            grids.push(GridCounts {
                grid_code,
                ..GridCounts::default()
            });
        }
        if let Some(counts) = grids.last_mut() {
            match state {
                Verification::Pending => counts.pending += n,
                Verification::Returned => counts.returned += n,
                Verification::SignedOff => counts.signed_off += n,
            }
        }
    }
    Ok(grids)
}

/// The record a live event names, as the caller would read it: `None`
/// when it is outside `within` or the caller's sight.
/// Whether the caller may take `action` on `row` now: its state allows it
/// and the policies grant it in the record's grid. What a screen shows as
/// the buttons of the loop.
pub fn may_take(access: &Access, row: &resident::Model, step: &Step) -> bool {
    row.verification == step.from
        && access.may_in(&row.grid_code, Object::Resident, step.permission)
}
