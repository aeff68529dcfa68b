//! Reads of any table whose rows belong to a grid, always within the
//! caller's scope: keyset pages by (grid, id) or (another column, id), and batches by id or by a
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

/// The column a keyset list is ordered by (then by id, which makes the
/// order total), and which way.
#[derive(Debug, Clone, Copy)]
pub struct Order<C> {
    pub column: C,
    pub descending: bool,
}

/// A keyset page of the rows matching `condition` that lie in `scope`,
/// ordered by (`order.column`, id), with the total counted on demand. The
/// cursor is `value:id`; the page is found with a row-value comparison that
/// both backends answer from an index on (column, id).
pub async fn page_by<E>(
    db: &DatabaseConnection,
    scope: &Scope,
    grid: E::Column,
    id: E::Column,
    order: Order<E::Column>,
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
            let (after_value, after_id) = parse_key(key, &order.column.def())?;
            let row = Expr::tuple([Expr::col(order.column), Expr::col(id)]);
            let after = Expr::tuple([Expr::val(after_value), Expr::val(after_id)]);
            select.filter(if order.descending {
                row.lt(after)
            } else {
                row.gt(after)
            })
        }
        None => select,
    };
    let direction = if order.descending {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    let rows = select
        .order_by(order.column, direction.clone())
        .order_by(id, direction)
        .limit(request.fetch_limit())
        .all(db)
        .await?;
    let key = |row: &E::Model| {
        format!(
            "{}:{}",
            key_text(row.get(order.column)),
            as_i64(row.get(id)).unwrap_or_default()
        )
    };
    Ok(Listing {
        page: Page::from_rows(rows, request, key),
        total,
    })
}

/// A sort value as cursor text.
fn key_text(value: Value) -> String {
    match value {
        Value::String(Some(text)) => text,
        Value::ChronoDate(Some(date)) => date.to_string(),
        Value::ChronoDateTimeUtc(Some(time)) => time.to_rfc3339(),
        Value::BigInt(Some(n)) => n.to_string(),
        Value::Int(Some(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// A cursor's `value:id`, the value read back as the column's type. The id
/// never holds a colon, so the last one splits them.
fn parse_key(key: &str, column: &sea_orm::ColumnDef) -> ApiResult<(Value, i64)> {
    use sea_orm::ColumnType;
    let invalid = || ApiError::bad_input("after", "not a cursor of this list");
    let (value, id) = key.rsplit_once(':').ok_or_else(invalid)?;
    let id = id.parse().map_err(|_| invalid())?;
    let value = match column.get_column_type() {
        ColumnType::Date => Value::from(value.parse::<chrono::NaiveDate>().map_err(|_| invalid())?),
        ColumnType::TimestampWithTimeZone | ColumnType::Timestamp | ColumnType::DateTime => {
            Value::from(
                chrono::DateTime::parse_from_rfc3339(value)
                    .map_err(|_| invalid())?
                    .with_timezone(&chrono::Utc),
            )
        }
        ColumnType::BigInteger => Value::from(value.parse::<i64>().map_err(|_| invalid())?),
        ColumnType::Integer => Value::from(value.parse::<i32>().map_err(|_| invalid())?),
        _ => Value::from(value.to_owned()),
    };
    Ok((value, id))
}

/// The rows of these grids that lie in `scope`, grouped by grid, each group
/// ordered by `order`.
pub async fn by_grids<E>(
    db: &DatabaseConnection,
    scope: &Scope,
    grid: E::Column,
    order: E::Column,
    grids: &[String],
) -> ApiResult<HashMap<String, Vec<E::Model>>>
where
    E: EntityTrait,
    E::Column: Copy,
{
    if grids.is_empty() || scope.is_nothing() {
        return Ok(HashMap::new());
    }
    let rows = E::find()
        .filter(grid.is_in(grids.iter().cloned()))
        .filter(in_scope(grid, scope))
        .order_by_asc(order)
        .all(db)
        .await?;
    let mut groups: HashMap<String, Vec<E::Model>> = HashMap::new();
    for row in rows {
        if let Value::String(Some(code)) = row.get(grid) {
            groups.entry(code).or_default().push(row);
        }
    }
    Ok(groups)
}
