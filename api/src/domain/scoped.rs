//! Batch reads of any table whose rows belong to a grid: by id, or grouped by
//! a parent id, always within the caller's scope. Loaders call these so that
//! a relation costs one statement per page, not one per row.

use std::collections::HashMap;

use policies::Scope;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, ModelTrait, QueryFilter, QueryOrder, Value,
};

use crate::domain::within::in_scope;
use crate::error::ApiResult;

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
