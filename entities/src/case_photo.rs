use sea_orm::entity::prelude::*;

/// A photo taken for a case (现场照片): at its report or with a move on the
/// loop. The image itself is kept in the photo store under its SHA-256, so
/// that the same picture sent twice is stored once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_photos")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub case_id: i64,
    /// The case's grid, whose policies decide who sees the photo.
    pub grid_code: String,
    /// The step it was sent with: `report`, `handle`, …
    pub step: String,
    /// The timeline entry it was sent with (none for photos kept before
    /// steps were linked whose step could not be told).
    pub step_id: Option<i64>,
    /// `image/jpeg`, `image/png` or `image/webp`, as its bytes say.
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by_user_id: Option<i64>,
    pub uploaded_by_name: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
