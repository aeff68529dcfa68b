//! Reads of any table whose rows belong to a grid, always within the
//! caller's scope: keyset pages by (grid, id), and batches by id or by a
//! parent id, which loaders call so that a relation costs one statement per
//! page, not one per row.

use std::collections::HashMap;

use policies::Scope;
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, ModelTrait, QueryFilter, QueryOrder, QuerySelect,
    Value,
};

use crate::domain::count::LazyCount;
use crate::domain::page::{Listing, Page, PageRequest};
use crate::domain::within::in_scope;
use crate::error::{ApiError, ApiResult};

fn as_i64(value: Value) -> Option<i64> {
    match value {
        Value::BigInt(Some(v)) => Some(v),
        Value::Int(Some(v)) => Some(i64::from(v)),
        _ => None,
    }
}

/// The rows with these ids that lie in `scope` (by their `grid` column).
pub async fn by_ids<E>(
    db: &DatabaseConnection,
    scope: &Scope,
    id: E::Column,
    grid: E::Column,
    ids: &[i64],
) -> ApiResult<HashMap<i64, E::Model>>
where
    E: EntityTrait,
    E::Column: Copy,
{
    if ids.is_empty() || scope.is_nothing() {
        return Ok(HashMap::new());
    }
    let rows = E::find()
        .filter(id.is_in(ids.iter().copied()))
        .filter(in_scope(grid, scope))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| as_i64(row.get(id)).map(|key| (key, row)))
        .collect())
}

/// The rows whose `parent` column holds one of these ids and that lie in
/// `scope`, grouped by parent, each group ordered by `order`.
pub async fn by_parents<E>(
    db: &DatabaseConnection,
    scope: &Scope,
    parent: E::Column,
    grid: E::Column,
    order: E::Column,
    parents: &[i64],
) -> ApiResult<HashMap<i64, Vec<E::Model>>>
where
    E: EntityTrait,
    E::Column: Copy,
{
    if parents.is_empty() || scope.is_nothing() {
        return Ok(HashMap::new());
    }
    let rows = E::find()
        .filter(parent.is_in(parents.iter().copied()))
        .filter(in_scope(grid, scope))
        .order_by_asc(order)
        .all(db)
        .await?;
    let mut groups: HashMap<i64, Vec<E::Model>> = HashMap::new();
    for row in rows {
        if let Some(key) = as_i64(row.get(parent)) {
            groups.entry(key).or_default().push(row);
        }
    }
    Ok(groups)
}

/// A keyset page of the rows matching `condition` that lie in `scope`,
/// ordered by (grid, id), with the total counted on demand. The cursor is
/// `grid:id`; the page is found with a row-value comparison that both
/// backends answer from the (grid, id) index.
pub async fn page_by_grid<E>(
    db: &DatabaseConnection,
    scope: &Scope,
    grid: E::Column,
    id: E::Column,
    condition: Condition,
    request: &PageRequest,
) -> ApiResult<Listing<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
    E::Column: Copy,
{
    let select = E::find().filter(in_scope(grid, scope)).filter(condition);
    let total = LazyCount::of(db, select.clone());
    let select = match &request.after {
        Some(key) => {
            let (after_grid, after_id) = parse_grid_key(key)?;
            select.filter(
                Expr::tuple([Expr::col(grid), Expr::col(id)])
                    .gt(Expr::tuple([Expr::val(after_grid), Expr::val(after_id)])),
            )
        }
        None => select,
    };
    let rows = select
        .order_by_asc(grid)
        .order_by_asc(id)
        .limit(request.fetch_limit())
        .all(db)
        .await?;
    let key = |row: &E::Model| {
        let grid = match row.get(grid) {
            Value::String(Some(code)) => code,
            _ => String::new(),
        };
        format!("{grid}:{}", as_i64(row.get(id)).unwrap_or_default())
    };
    Ok(Listing {
        page: Page::from_rows(rows, request, key),
        total,
    })
}

fn parse_grid_key(key: &str) -> ApiResult<(String, i64)> {
    let invalid = || ApiError::bad_input("after", "not a cursor of this list");
    let (grid, id) = key.split_once(':').ok_or_else(invalid)?;
    Ok((grid.to_owned(), id.parse().map_err(|_| invalid())?))
}
