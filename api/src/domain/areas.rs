//! Areas and grids: lookups and keyset-paged lists ordered by code.

use entities::{area, grid};
use policies::{AreaCode, AreaLevel, Scope};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

use crate::domain::count::LazyCount;
use crate::domain::page::{Listing, Page, PageRequest};
use crate::domain::within::{in_scope, within};
use crate::error::{ApiError, ApiResult};

pub const AREA_CURSOR: &str = "area";
pub const GRID_CURSOR: &str = "grid";

/// Which areas to list; every part is optional and they combine with AND.
#[derive(Debug, Clone, Default)]
pub struct AreaFilter {
    /// Only the areas directly under this one.
    pub parent: Option<AreaCode>,
    /// Only areas of this level.
    pub level: Option<AreaLevel>,
    /// Only this area and the areas inside it.
    pub within: Option<AreaCode>,
}

pub async fn find_area(db: &DatabaseConnection, code: &AreaCode) -> ApiResult<Option<area::Model>> {
    if code.level() == AreaLevel::Grid {
        return Ok(None);
    }
    Ok(area::Entity::find_by_id(code.as_str()).one(db).await?)
}

pub async fn find_grid<C: sea_orm::ConnectionTrait>(
    db: &C,
    code: &AreaCode,
) -> ApiResult<Option<grid::Model>> {
    if code.level() != AreaLevel::Grid {
        return Ok(None);
    }
    Ok(grid::Entity::find_by_id(code.as_str()).one(db).await?)
}

/// Areas the scope covers, by code.
pub async fn list_areas(
    db: &DatabaseConnection,
    scope: &Scope,
    filter: &AreaFilter,
    request: &PageRequest,
) -> ApiResult<Listing<area::Model>> {
    let mut select = area::Entity::find().filter(in_scope(area::Column::Code, scope));
    if let Some(parent) = &filter.parent {
        select = select.filter(area::Column::ParentCode.eq(parent.as_str()));
    }
    if let Some(level) = filter.level {
        match stored_level(level) {
            Some(level) => select = select.filter(area::Column::Level.eq(level)),
            // Grids are not areas: asking for areas of the grid level finds none.
            None => select = select.filter(area::Column::Code.is_null()),
        }
    }
    if let Some(area) = &filter.within {
        select = select.filter(within(area::Column::Code, area));
    }
    page_by_code(db, select, area::Column::Code, request, |row| {
        row.code.clone()
    })
    .await
}

/// Grids the scope covers inside `area` (all of them when `None`), by code.
pub async fn list_grids(
    db: &DatabaseConnection,
    scope: &Scope,
    area: Option<&AreaCode>,
    request: &PageRequest,
) -> ApiResult<Listing<grid::Model>> {
    let mut select = grid::Entity::find().filter(in_scope(grid::Column::Code, scope));
    if let Some(area) = area {
        select = select.filter(within(grid::Column::Code, area));
    }
    page_by_code(db, select, grid::Column::Code, request, |row| {
        row.code.clone()
    })
    .await
}

/// Areas by code that the scope covers, for batch loading; other codes are
/// skipped.
pub async fn areas_by_code(
    db: &DatabaseConnection,
    scope: &Scope,
    codes: &[String],
) -> ApiResult<Vec<area::Model>> {
    if codes.is_empty() || scope.is_nothing() {
        return Ok(Vec::new());
    }
    Ok(area::Entity::find()
        .filter(area::Column::Code.is_in(codes.iter().cloned()))
        .filter(in_scope(area::Column::Code, scope))
        .all(db)
        .await?)
}

/// One keyset page of `select` ordered by a code column, and its total.
async fn page_by_code<E, C>(
    db: &DatabaseConnection,
    select: Select<E>,
    column: C,
    request: &PageRequest,
    key: impl Fn(&E::Model) -> String,
) -> ApiResult<Listing<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ColumnTrait,
{
    let total = LazyCount::of(db, select.clone());
    let select = match &request.after {
        Some(code) => select.filter(column.gt(code.clone())),
        None => select,
    };
    let rows = select
        .order_by_asc(column)
        .limit(request.fetch_limit())
        .all(db)
        .await?;
    Ok(Listing {
        page: Page::from_rows(rows, request, key),
        total,
    })
}

/// The stored level of an area; grids live in their own table.
pub fn stored_level(level: AreaLevel) -> Option<area::AreaLevel> {
    match level {
        AreaLevel::District => Some(area::AreaLevel::District),
        AreaLevel::Street => Some(area::AreaLevel::Street),
        AreaLevel::Community => Some(area::AreaLevel::Community),
        AreaLevel::Grid => None,
    }
}

/// Parses a code argument, naming the argument when it is not a code.
pub fn parse_code(field: &str, raw: &str) -> ApiResult<AreaCode> {
    AreaCode::parse(raw).map_err(|err| ApiError::bad_input(field, err.to_string()))
}
