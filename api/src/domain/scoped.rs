//! Reads of any table whose rows belong to a grid, always within the
//! caller's scope: keyset pages by (grid, id) or (another column, id), and batches by id or by a
//! parent id, which loaders call so that a relation costs one statement per
//! page, not one per row.

use std::collections::HashMap;

use policies::Scope;
use sea_orm::sea_query::{
    Alias, Asterisk, Condition, Expr, ExprTrait, Func, IntoCondition, IntoIden, JoinType, Query,
    SelectStatement,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    FromQueryResult, IdenStatic, ModelTrait, QueryFilter, QueryOrder, QueryResult, QuerySelect,
    QueryTrait, Select, Value,
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

/// `E`'s rows that `keys` picks and `scope` admits. On PostgreSQL the
/// pick is a subquery the planner may not flatten (`OFFSET` a bound 0), so
/// the plan starts from the keys' index whatever the scope. Reads by key go
/// through the pool whose plans are made once for every caller
/// (`Access::planned_once`), and such a plan cannot know how wide a
/// scope's range is: taking it for narrow, it read a district's buildings
/// (or cases, or a page's timelines) through the range to keep the fifty
/// asked for. SQLite makes no plan without the values. The scope is applied
/// to the subquery's columns, which bear the table's name: a column read
/// through an expression (a PostgreSQL enum cast to text) would compare
/// the expression's type with the scope's values.
pub fn picked<E, C>(db: &C, keys: impl IntoCondition, scope: Condition) -> Select<E>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let mut pick = E::find().filter(keys).into_query();
    if db.get_database_backend() == DbBackend::Postgres {
        pick.offset(0);
    }
    let mut picked = E::find();
    QuerySelect::query(&mut picked)
        .from_clear()
        .from_subquery(pick, E::default());
    picked.filter(scope)
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
    let rows = picked::<E, _>(db, id.is_in(ids.iter().copied()), in_scope(grid, scope))
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
    let rows = picked::<E, _>(
        db,
        parent.is_in(parents.iter().copied()),
        in_scope(grid, scope),
    )
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
/// order total), which way, and where rows without a value sort.
#[derive(Debug, Clone)]
pub struct Order<C> {
    pub column: C,
    pub descending: bool,
    /// For a column that may be empty: the value an empty one sorts as, so
    /// that the row-value comparison never meets NULL (which would drop
    /// those rows from every page).
    pub when_empty: Option<Value>,
}

impl<C> Order<C> {
    pub fn ascending(column: C) -> Order<C> {
        Order {
            column,
            descending: false,
            when_empty: None,
        }
    }

    pub fn descending(column: C) -> Order<C> {
        Order {
            column,
            descending: true,
            when_empty: None,
        }
    }
}

/// A keyset page of the rows matching `condition` that lie in `scope`,
/// ordered by (`order.column`, id), with the total counted on demand.
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
    page_fetching(
        db,
        scope,
        grid,
        id,
        order,
        condition,
        request,
        Fetch::<E>::Whole,
        None,
    )
    .await
    .map(|read| read.listing)
}

/// A keyset page of `select` ordered by (`order.column`, `tie`), `tie`
/// being unique, with the total counted on demand. The cursor is
/// `value:tie`; the page is found with a row-value comparison, which both
/// backends answer from an index on (column, tie) where the ordering has
/// one (see the migrations). A backward page runs the
/// ordering reversed from its cursor and is turned round by `Page`.
pub async fn keyset<E>(
    db: &DatabaseConnection,
    select: Select<E>,
    tie: E::Column,
    order: Order<E::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
    E::Column: Copy,
{
    Ok(
        keyset_of(db, select, tie, order, request, Fetch::Whole, None)
            .await?
            .listing,
    )
}

/// What of each row a page reads: whole rows, or only some columns, read
/// into a row by a decoder that leaves the others blank (the page adds its
/// order and tie columns, which its cursors are made of).
pub enum Fetch<'a, E: EntityTrait> {
    Whole,
    Columns(&'a [E::Column], Decode<E>),
}

/// Reads a row of `columns` (in that order) into a model.
pub type Decode<E> =
    fn(&[<E as EntityTrait>::Column], &QueryResult) -> Result<<E as EntityTrait>::Model, DbErr>;

/// A table the page's statement joins to its rows, and the columns it
/// adds to them: applied to the statement that reads the page (not to its
/// count), its columns read back from [`Read::rows`] by the caller, who
/// names them so that they do not clash with the page's own.
pub type Join = Box<dyn FnOnce(&mut SelectStatement) + Send>;

/// A page, and the rows its statement returned (for a join's columns).
pub struct Read<T> {
    pub listing: Listing<T>,
    pub rows: Vec<QueryResult>,
}

/// A scoped keyset page (see [`page_by`]) reading only what `fetch` says,
/// with `join` in its statement.
// Each parameter is one of page_by's, and the fetch and the join.
#[allow(clippy::too_many_arguments)]
pub async fn page_fetching<E>(
    db: &DatabaseConnection,
    scope: &Scope,
    grid: E::Column,
    id: E::Column,
    order: Order<E::Column>,
    condition: Condition,
    request: &PageRequest,
    fetch: Fetch<'_, E>,
    join: Option<Join>,
) -> ApiResult<Read<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
    E::Column: Copy,
{
    let select = E::find().filter(in_scope(grid, scope)).filter(condition);
    keyset_of(db, select, id, order, request, fetch, join).await
}

/// How a counted page's statement names its count (a row source of its
/// own, `counted`, with the total in `page_total`) and its page (`page`,
/// each of whose rows carries `page_row`).
const COUNTED: &str = "counted";
const PAGE_TOTAL: &str = "page_total";
const PAGE: &str = "page";
const PAGE_ROW: &str = "page_row";

async fn keyset_of<E>(
    db: &DatabaseConnection,
    select: Select<E>,
    tie: E::Column,
    order: Order<E::Column>,
    request: &PageRequest,
    fetch: Fetch<'_, E>,
    join: Option<Join>,
) -> ApiResult<Read<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
    E::Column: Copy,
{
    let total = LazyCount::of(db, select.clone());
    // The total, when asked for, is counted by the page's own statement
    // (one round trip, one snapshot), as the row the page is joined to:
    // an empty page still brings it back.
    let counting = request.counted.then(|| {
        Query::select()
            .expr_as(Expr::cust("COUNT(*)"), PAGE_TOTAL)
            .from_subquery(select.clone().into_query(), COUNTED)
            .to_owned()
    });
    // Walking backward is walking the reversed order forward.
    let descending = order.descending != request.backward;
    // Named with their table: a join's table has columns of the same names.
    let sort: Expr = match &order.when_empty {
        Some(value) => Func::coalesce([
            Expr::col(order.column.as_column_ref()),
            Expr::val(value.clone()),
        ])
        .into(),
        None => Expr::col(order.column.as_column_ref()),
    };
    let select = match &request.cursor {
        Some(key) => {
            let (value, tie_value) = parse_key(key, &order.column.def(), &tie.def(), request)?;
            let row = Expr::tuple([sort.clone(), Expr::col(tie.as_column_ref())]);
            let cursor = Expr::tuple([Expr::val(value), Expr::val(tie_value)]);
            select.filter(if descending {
                row.lt(cursor)
            } else {
                row.gt(cursor)
            })
        }
        None => select,
    };
    let direction = if descending {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    let select = select
        .order_by(sort, direction.clone())
        .order_by(tie, direction.clone())
        .limit(request.fetch_limit());
    let (select, decoder) = match fetch {
        Fetch::Whole => (select, None),
        Fetch::Columns(columns, decode) => {
            // The cursor is made of the order and tie columns: read them
            // whatever the caller named.
            let mut columns = columns.to_vec();
            for needed in [order.column, tie] {
                if !columns.iter().any(|have| have.as_str() == needed.as_str()) {
                    columns.push(needed);
                }
            }
            let select = select.select_only().columns(columns.iter().copied());
            (select, Some((columns, decode)))
        }
    };
    let mut select = select;
    if let Some(join) = join {
        join(QueryTrait::query(&mut select));
    }
    let backend = db.get_database_backend();
    let statement = match counting {
        None => select.build(backend),
        Some(count) => {
            // The page under its alias, ordered again outside (a subquery's
            // order is not its reader's), marked so that the one row an
            // empty page leaves is told from a page's.
            let page = select.expr_as(Expr::cust("1"), PAGE_ROW).into_query();
            let outer_sort: Expr = match &order.when_empty {
                Some(value) => Func::coalesce([
                    Expr::col((Alias::new(PAGE), order.column.into_iden())),
                    Expr::val(value.clone()),
                ])
                .into(),
                None => Expr::col((Alias::new(PAGE), order.column.into_iden())),
            };
            backend.build(
                Query::select()
                    // The page's columns first: a decoder may read them by
                    // position.
                    .column((Alias::new(PAGE), Asterisk))
                    .column((Alias::new(COUNTED), Alias::new(PAGE_TOTAL)))
                    .from_subquery(count, COUNTED)
                    .join_subquery(
                        JoinType::LeftJoin,
                        page,
                        PAGE,
                        Condition::all().add(Expr::cust("1 = 1")),
                    )
                    .order_by_expr(outer_sort, direction.clone())
                    .order_by((Alias::new(PAGE), tie.into_iden()), direction),
            )
        }
    };
    let mut read = db.query_all_raw(statement).await?;
    let mut total = total;
    if request.counted {
        if let Some(row) = read.first() {
            total =
                LazyCount::known(u64::try_from(row.try_get::<i64>("", PAGE_TOTAL)?).unwrap_or(0));
        }
        read.retain(|row| matches!(row.try_get::<Option<i32>>("", PAGE_ROW), Ok(Some(_))));
    }
    let rows = read
        .iter()
        .map(|row| match &decoder {
            None => E::Model::from_query_result(row, ""),
            Some((columns, decode)) => decode(columns, row),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let key = |row: &E::Model| {
        let value = match (row.get(order.column), &order.when_empty) {
            (value, Some(empty)) if is_empty(&value) => empty.clone(),
            (value, _) => value,
        };
        format!("{}:{}", key_text(value), key_text(row.get(tie)))
    };
    Ok(Read {
        listing: Listing {
            page: Page::from_rows(rows, request, key),
            total,
        },
        rows: read,
    })
}

fn is_empty(value: &Value) -> bool {
    matches!(
        value,
        Value::String(None)
            | Value::ChronoDate(None)
            | Value::ChronoDateTimeUtc(None)
            | Value::BigInt(None)
            | Value::Int(None)
    )
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

/// A cursor's `value:tie`, each read back as its column's type. The tie
/// (an id or a code) never holds a colon, so the last one splits them.
fn parse_key(
    key: &str,
    column: &sea_orm::ColumnDef,
    tie: &sea_orm::ColumnDef,
    request: &PageRequest,
) -> ApiResult<(Value, Value)> {
    let (value, tie_value) = key.rsplit_once(':').ok_or_else(|| bad_cursor(request))?;
    Ok((
        typed(value, column).ok_or_else(|| bad_cursor(request))?,
        typed(tie_value, tie).ok_or_else(|| bad_cursor(request))?,
    ))
}

fn bad_cursor(request: &PageRequest) -> ApiError {
    ApiError::bad_input(request.cursor_field(), "not a cursor of this list")
}

/// Cursor text read back as a value of the column's type.
fn typed(text: &str, column: &sea_orm::ColumnDef) -> Option<Value> {
    use sea_orm::ColumnType;
    Some(match column.get_column_type() {
        ColumnType::Date => Value::from(text.parse::<chrono::NaiveDate>().ok()?),
        ColumnType::TimestampWithTimeZone | ColumnType::Timestamp | ColumnType::DateTime => {
            Value::from(
                chrono::DateTime::parse_from_rfc3339(text)
                    .ok()?
                    .with_timezone(&chrono::Utc),
            )
        }
        ColumnType::BigInteger => Value::from(text.parse::<i64>().ok()?),
        ColumnType::Integer => Value::from(text.parse::<i32>().ok()?),
        _ => Value::from(text.to_owned()),
    })
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
