//! Areas and grids: lookups and keyset-paged lists ordered by code.

use std::collections::HashMap;

use entities::{area, grid, user};
use policies::{Action, AreaCode, AreaLevel, Object, Scope};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::domain::access::Access;
use crate::domain::page::{Listing, PageRequest};
use crate::domain::scoped::{Order, keyset};
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

/// Where the caller may see the map: areas and grids.
fn map_scope(access: &Access) -> Scope {
    access.scope(Object::Area, Action::Read)
}

/// The area with this code, if the caller may see it; text that is not a
/// code, an unknown code and a code out of sight all answer `None`.
pub async fn area(access: &Access, code: &str) -> ApiResult<Option<area::Model>> {
    access.caller()?;
    match AreaCode::parse(code) {
        Ok(code) if code.level() != AreaLevel::Grid && map_scope(access).contains_code(&code) => {
            Ok(area::Entity::find_by_id(code.as_str())
                .one(access.db())
                .await?)
        }
        _ => Ok(None),
    }
}

/// The grid with this code, if the caller may see it.
pub async fn grid(access: &Access, code: &str) -> ApiResult<Option<grid::Model>> {
    access.caller()?;
    match AreaCode::parse(code) {
        Ok(code) if map_scope(access).contains_code(&code) => find_grid(access.db(), &code).await,
        _ => Ok(None),
    }
}

/// A grid by code, whoever asks: for checks inside a change that has
/// already decided what the caller may do.
pub async fn find_grid<C: sea_orm::ConnectionTrait>(
    db: &C,
    code: &AreaCode,
) -> ApiResult<Option<grid::Model>> {
    if code.level() != AreaLevel::Grid {
        return Ok(None);
    }
    Ok(grid::Entity::find_by_id(code.as_str()).one(db).await?)
}

/// Areas the caller may see, in `order`.
pub async fn list_areas(
    access: &Access,
    filter: &AreaFilter,
    order: Order<area::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<area::Model>> {
    access.caller()?;
    let db = access.db();
    let mut select = area::Entity::find().filter(in_scope(area::Column::Code, &map_scope(access)));
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
    keyset(db, select, area::Column::Code, order, request).await
}

/// Grids the caller may see inside `area` (all of them when `None`), in
/// `order`.
pub async fn list_grids(
    access: &Access,
    area: Option<&AreaCode>,
    order: Order<grid::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<grid::Model>> {
    access.caller()?;
    let db = access.db();
    let mut select = grid::Entity::find().filter(in_scope(grid::Column::Code, &map_scope(access)));
    if let Some(area) = area {
        select = select.filter(within(grid::Column::Code, area));
    }
    keyset(db, select, grid::Column::Code, order, request).await
}

/// Areas by code that the caller may see, for batch loading; other codes
/// are skipped.
pub async fn areas_by_code(
    access: &Access,
    codes: &[String],
) -> ApiResult<HashMap<String, area::Model>> {
    on_map_by_code::<area::Entity, _>(access, codes, area::Column::Code, |row: &area::Model| {
        row.code.clone()
    })
    .await
}

/// The grids of `codes` the caller may see on the map, in one statement.
pub async fn grids_by_code(
    access: &Access,
    codes: &[String],
) -> ApiResult<HashMap<String, grid::Model>> {
    on_map_by_code::<grid::Entity, _>(access, codes, grid::Column::Code, |row: &grid::Model| {
        row.code.clone()
    })
    .await
}

/// Rows of `codes` (by their code `column`) on the caller's map.
async fn on_map_by_code<E, C>(
    access: &Access,
    codes: &[String],
    column: C,
    code_of: impl Fn(&E::Model) -> String,
) -> ApiResult<HashMap<String, E::Model>>
where
    E: EntityTrait,
    C: ColumnTrait + Copy,
{
    let scope = map_scope(access);
    if codes.is_empty() || scope.is_nothing() {
        return Ok(HashMap::new());
    }
    Ok(E::find()
        .filter(column.is_in(codes.iter().cloned()))
        .filter(in_scope(column, &scope))
        .all(access.db())
        .await?
        .into_iter()
        .map(|row| (code_of(&row), row))
        .collect())
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

/// People (grid workers, senders and assignees of tasks) by id, as anyone
/// signed in may know them: a name and a username, reached only from a
/// grid or task the caller already sees.
pub async fn people_by_ids(access: &Access, ids: &[i64]) -> ApiResult<HashMap<i64, user::Model>> {
    access.caller()?;
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .all(access.db())
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect())
}
