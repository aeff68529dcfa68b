//! Photos of a case: what an image may be, how many a case may hold, and
//! who sees them — whoever sees the case, through the same scope as every
//! other read of it. The bytes live in the photo store (`crate::photos`);
//! here are their rows.

use std::collections::HashMap;

use entities::{case, case_photo};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};

use super::{CaseScope, rows_about};
use crate::domain::access::Access;
use crate::error::{ApiError, ApiResult};

/// The largest photo accepted, in bytes (a phone's photo, compressed).
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// The most photos one request may carry.
pub const MAX_PER_REQUEST: usize = 6;
/// The most photos one case may hold.
const MAX_PER_CASE: u64 = 30;

/// A photo as kept in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    pub sha256: String,
    pub content_type: &'static str,
    pub size: usize,
}

/// What an image is, by its first bytes (never by what the sender says):
/// JPEG, PNG or WebP; anything else, or anything over [`MAX_BYTES`], is
/// refused.
pub fn kind_of(bytes: &[u8]) -> ApiResult<&'static str> {
    if bytes.len() > MAX_BYTES {
        return Err(ApiError::bad_input(
            "photos",
            format!("at most {} MiB a photo", MAX_BYTES / 1024 / 1024),
        ));
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok("image/png")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Ok("image/webp")
    } else {
        Err(ApiError::bad_input("photos", "a JPEG, PNG or WebP image"))
    }
}

/// Records `photos`, sent with step `step` (written just before as entry
/// `step_id` of the timeline), on case `row`, inside the move's
/// transaction.
pub async fn attach(
    access: &Access,
    txn: &DatabaseTransaction,
    row: &case::Model,
    (step_id, step): (i64, &str),
    photos: &[Photo],
) -> ApiResult<()> {
    if photos.is_empty() {
        return Ok(());
    }

    // The case row is locked by the move's version check before this
    // count, so concurrent moves cannot both pass the limit.
    let mut held: Vec<String> = case_photo::Entity::find()
        .select_only()
        .column(case_photo::Column::Sha256)
        .filter(case_photo::Column::CaseId.eq(row.id))
        .into_tuple()
        .all(txn)
        .await?;
    let before = held.len();
    let mut new = Vec::new();
    for photo in photos {
        if !held.contains(&photo.sha256) {
            held.push(photo.sha256.clone());
            new.push(photo);
        }
    }
    if held.len() as u64 > MAX_PER_CASE {
        return Err(ApiError::bad_input(
            "photos",
            format!("a case holds at most {MAX_PER_CASE} photos"),
        ));
    }
    let caller = access.caller()?;
    if held.len() == before {
        return Ok(());
    }
    case_photo::Entity::insert_many(new.into_iter().map(|photo| case_photo::ActiveModel {
        id: NotSet,
        case_id: Set(row.id),
        grid_code: Set(row.grid_code.clone()),
        step: Set(step.to_owned()),
        step_id: Set(Some(step_id)),
        content_type: Set(photo.content_type.to_owned()),
        size_bytes: Set(photo.size as i64),
        sha256: Set(photo.sha256.clone()),
        uploaded_by_user_id: Set(caller.user_id),
        uploaded_by_name: Set(caller.name.chars().take(64).collect()),
        created_at: Set(row.updated_at),
    }))
    .exec(txn)
    .await?;
    Ok(())
}

/// The photos of these cases, for those of them the caller sees.
pub async fn photos_of(
    access: &Access,
    cases: &[i64],
) -> ApiResult<HashMap<i64, Vec<case_photo::Model>>> {
    rows_about::<case_photo::Entity>(
        access,
        cases,
        case_photo::Column::CaseId,
        case_photo::Column::Id,
        |row| row.case_id,
    )
    .await
}

/// One photo, if the caller sees its case (its handing over then goes to
/// the audit log with the request's other full reads); otherwise the same
/// nothing as a photo that does not exist.
pub async fn find(access: &Access, id: i64) -> ApiResult<Option<case_photo::Model>> {
    let scope = CaseScope::of(access).await?;
    let found = case_photo::Entity::find_by_id(id)
        .filter(
            Expr::col(case_photo::Column::CaseId).in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(case::Column::Id)
                    .from(case::Entity)
                    .cond_where(scope.condition())
                    .to_owned(),
            ),
        )
        .one(access.db())
        .await?;
    if let Some(photo) = &found {
        access.photo_shown(photo);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_is_what_its_bytes_say() {
        assert_eq!(
            kind_of(&[0xFF, 0xD8, 0xFF, 0xE0, 0]).ok(),
            Some("image/jpeg")
        );
        assert_eq!(kind_of(b"\x89PNG\r\n\x1a\n....").ok(), Some("image/png"));
        assert_eq!(kind_of(b"RIFF\0\0\0\0WEBPVP8 ").ok(), Some("image/webp"));
        assert!(kind_of(b"<svg onload=alert(1)>").is_err());
        assert!(kind_of(b"GIF89a").is_err());
        assert!(kind_of(&vec![0xFF; MAX_BYTES + 1]).is_err());
    }
}
