//! Photos of a case as the API takes and shows them: sent as GraphQL
//! multipart uploads (`photos` of `reportCase` and `moveCase`), read back
//! as `Case.photos`, each fetched from its `url` with the caller's token.

use std::sync::Arc;

use async_graphql::{Context, Object, Result};
use entities::case_photo;

use super::ContextExt;
use super::scalars::DateTime;
use super::upload::Upload;
use crate::domain::cases::photos::{MAX_PER_REQUEST, Photo};
use crate::error::{ApiError, ApiResult};
use crate::photos::PhotoStore;

/// Where photos are fetched from: `GET /photos/{n}` with the caller's
/// token.
pub const PHOTO_PATH: &str = "/photos";

/// A photo of a case (现场照片).
pub struct CasePhoto(pub case_photo::Model);

/// A photo of a case (现场照片).
#[Object]
impl CasePhoto {
    /// Where to fetch it: a GET with your token (as for `/graphql`)
    /// answers the image to those who see the case, 404 to anyone else.
    async fn url(&self) -> String {
        format!("{PHOTO_PATH}/{}", self.0.id)
    }

    /// `image/jpeg`, `image/png` or `image/webp`, as its bytes say.
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }

    /// Its size in bytes.
    async fn size_bytes(&self) -> i64 {
        self.0.size_bytes
    }

    /// The step it was sent with (`report`, `handle`, …).
    async fn step(&self) -> &str {
        &self.0.step
    }

    /// Who sent it.
    async fn uploaded_by(&self) -> &str {
        &self.0.uploaded_by_name
    }

    /// When.
    async fn uploaded_at(&self) -> DateTime {
        self.0.created_at.into()
    }
}

/// The photos of one case, in the order sent.
pub async fn photos(ctx: &Context<'_>, case_id: i64) -> Result<Vec<CasePhoto>> {
    Ok(ctx
        .loaders()?
        .case_photos()
        .load_one(case_id)
        .await?
        .unwrap_or_default()
        .into_iter()
        .map(CasePhoto)
        .collect())
}

/// A photo as it arrived: checked, not yet kept.
pub struct Received {
    pub photo: Photo,
    bytes: Arc<Vec<u8>>,
}

/// The uploads of an input, checked (nothing is written until the move
/// that carries them commits: [`keep`]).
pub async fn received(ctx: &Context<'_>, uploads: Option<Vec<Upload>>) -> ApiResult<Vec<Received>> {
    let uploads = uploads.unwrap_or_default();
    if uploads.len() > MAX_PER_REQUEST {
        return Err(ApiError::bad_input(
            "photos",
            format!("at most {MAX_PER_REQUEST} photos at a time"),
        ));
    }
    let mut received = Vec::with_capacity(uploads.len());
    for upload in &uploads {
        let bytes = upload.bytes(ctx, "photos")?.ok_or_else(|| {
            ApiError::bad_input(
                "photos",
                "send each photo as a file of the multipart request",
            )
        })?;
        let bytes = Arc::new(bytes);
        let photo = PhotoStore::inspect(bytes.clone()).await?;
        received.push(Received { photo, bytes });
    }
    Ok(received)
}

/// Keeps the photos of a move that has committed. A file that cannot be
/// written is logged: its row then answers 404 until it is sent again.
pub async fn keep(ctx: &Context<'_>, received: Vec<Received>) {
    let store = &ctx.state().photos;
    for Received { photo, bytes } in received {
        if let Err(err) = store.write(&photo, bytes).await {
            tracing::error!(error = ?err, sha256 = %photo.sha256, "cannot keep a case photo");
        }
    }
}
