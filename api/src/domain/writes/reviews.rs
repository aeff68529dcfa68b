//! A record's verification timeline: each step of its comparison with the
//! household registry, written in the transaction that took it. The steps
//! the police and the worker take are `domain::verification`'s; a
//! correction or a move that sends a record back to the queue writes its
//! step here too.

use chrono::Utc;
use entities::resident::{self, Verification};
use entities::resident_review::{self, ReviewAction};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, DatabaseTransaction};
use serde_json::json;

use super::Writer;
use crate::error::ApiResult;

/// Writes a step on `row`'s timeline and its audit row, in the step's
/// transaction. The audit row says what moved, never the reason's text:
/// that stays with the record, where its readers are those of the record.
pub async fn record(
    w: &Writer<'_>,
    txn: &DatabaseTransaction,
    row: &resident::Model,
    action: ReviewAction,
    reason: Option<String>,
) -> ApiResult<()> {
    resident_review::ActiveModel {
        id: NotSet,
        resident_id: Set(row.id),
        grid_code: Set(row.grid_code.clone()),
        action: Set(action),
        to_state: Set(row.verification),
        reason: Set(reason),
        actor_user_id: Set(w.caller.user_id),
        actor_token_id: Set(w.caller.token_id),
        actor_name: Set(w.caller.name.chars().take(64).collect()),
        at: Set(Utc::now()),
    }
    .insert(txn)
    .await?;
    if matches!(action, ReviewAction::Corrected | ReviewAction::MovedIn) {
        // The correction's or the move's own audit row names the change.
        return Ok(());
    }
    w.audit(
        txn,
        audit_action(action),
        "resident",
        row.id,
        &row.grid_code,
        json!({ "verification": state_name(row.verification) }),
    )
    .await
}

fn audit_action(action: ReviewAction) -> &'static str {
    match action {
        ReviewAction::SignOff => "resident.sign_off",
        ReviewAction::Return => "resident.return",
        ReviewAction::Resubmit => "resident.resubmit",
        ReviewAction::Corrected => "resident.update",
        ReviewAction::MovedIn => "resident.move_in",
    }
}

/// A state as the audit log and messages spell it.
pub fn state_name(state: Verification) -> &'static str {
    match state {
        Verification::Pending => "pending",
        Verification::SignedOff => "signed_off",
        Verification::Returned => "returned",
    }
}
