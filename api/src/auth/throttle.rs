//! The login throttle: at most [`MAX_ATTEMPTS`] failed or unfinished
//! sign-ins per name in [`WINDOW_MINUTES`], however many arrive at once and
//! on however many replicas.
//!
//! An attempt is reserved *before* its password is checked, in a transaction
//! that is serialised per name (SQLite's single writer; a PostgreSQL advisory
//! lock on the name), so parallel tries count each other. A success gives
//! its reservation back; a failure keeps it until the window passes.

use chrono::{Duration, Utc};
use entities::sign_in_attempt;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
};

use crate::audit::Seal;
use crate::error::{ApiError, ApiResult};

pub const MAX_ATTEMPTS: u64 = 10;
pub const WINDOW_MINUTES: i64 = 5;

/// A reserved attempt: give it back with [`succeeded`] when the password
/// checks out.
pub struct Reservation(i64);

/// What the throttle keeps of a name typed at sign-in: its keyed hash, so
/// that a password typed into the name field (or a person's name tried by
/// someone else) is never stored, and counts still add up per name.
fn kept_name(seal: &Seal, username: &str) -> String {
    seal.over(&[b"sign-in attempt", username.as_bytes()])
}

/// Reserves one attempt for `username`, or RATE_LIMITED when the window is full.
pub async fn reserve(
    db: &DatabaseConnection,
    seal: &Seal,
    username: &str,
) -> ApiResult<Reservation> {
    let username = kept_name(seal, username);
    let username = username.as_str();
    let txn = crate::db::begin_write(db).await?;
    crate::db::serialise(&txn, &format!("sign-in:{username}")).await?;
    let now = Utc::now();
    let window_start = now - Duration::minutes(WINDOW_MINUTES);
    // Every name's old attempts go, not only this one's: tries at names
    // that do not exist must not pile up. What stays is one window's worth.
    sign_in_attempt::Entity::delete_many()
        .filter(sign_in_attempt::Column::AttemptedAt.lte(window_start))
        .exec(&txn)
        .await?;
    let in_window = sign_in_attempt::Entity::find()
        .filter(sign_in_attempt::Column::Username.eq(username))
        .count(&txn)
        .await?;
    if in_window >= MAX_ATTEMPTS {
        let oldest = sign_in_attempt::Entity::find()
            .filter(sign_in_attempt::Column::Username.eq(username))
            .all(&txn)
            .await?
            .into_iter()
            .map(|attempt| attempt.attempted_at)
            .min()
            .unwrap_or(now);
        let wait = (oldest + Duration::minutes(WINDOW_MINUTES) - now).num_seconds();
        return Err(ApiError::rate_limited(u64::try_from(wait).unwrap_or(1)));
    }
    let inserted = sign_in_attempt::Entity::insert(sign_in_attempt::ActiveModel {
        id: NotSet,
        username: Set(username.to_owned()),
        attempted_at: Set(now),
    })
    .exec(&txn)
    .await?;
    txn.commit().await?;
    Ok(Reservation(inserted.last_insert_id))
}

/// The attempt succeeded: it does not count against the name.
pub async fn succeeded<C: ConnectionTrait>(db: &C, reservation: Reservation) -> ApiResult<()> {
    sign_in_attempt::Entity::delete_by_id(reservation.0)
        .exec(db)
        .await?;
    Ok(())
}
