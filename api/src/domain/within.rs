//! "Inside this area" and "inside the caller's scope" as SQL: ranges on an
//! indexed code column, never a LIKE on a raw prefix.

use policies::{Allow, AreaCode, Scope};
use sea_orm::ColumnTrait;
use sea_orm::sea_query::{Condition, Expr, ExprTrait};

/// `column` holds a code inside `area` (or `area` itself): a half-open range
/// on level boundaries.
pub fn within<C: ColumnTrait>(column: C, area: &AreaCode) -> Condition {
    within_at(&|| column.into_expr(), area)
}

fn within_at(column: &dyn Fn() -> Expr, area: &AreaCode) -> Condition {
    let range = area.range();
    let mut condition = Condition::all().add(column().gte(range.start));
    if let Some(end) = range.end {
        condition = condition.add(column().lt(end));
    }
    condition
}

/// `column` holds a code the scope covers: one condition, OR-ed over the
/// scope's areas, with its carve-outs excluded.
pub fn in_scope<C: ColumnTrait + Copy>(column: C, scope: &Scope) -> Condition {
    in_scope_at(&|| column.into_expr(), scope)
}

/// [`in_scope`] for a code column named some other way: a joined table's,
/// under its alias.
pub fn in_scope_at(column: &dyn Fn() -> Expr, scope: &Scope) -> Condition {
    let allowed = match &scope.allow {
        Allow::Nowhere => return never(),
        Allow::Everywhere => Condition::all(),
        Allow::Within(areas) => areas.iter().fold(Condition::any(), |any, area| {
            any.add(within_at(column, area))
        }),
    };
    // The carve-outs narrow the allowed areas: AND-ed with them, never added
    // to their OR (which would widen a deny into the whole city).
    scope
        .except
        .iter()
        .fold(Condition::all().add(allowed), |all, area| {
            all.add(within_at(column, area).not())
        })
}

/// Like [`in_scope`] for a nullable code column whose NULL stands for the
/// whole city (a city-wide task): such a row is inside only a scope that
/// reaches everywhere, as `check` at the city would say. Carve-outs do not
/// hide it, because the city is not inside any of them.
pub fn in_scope_or_city<C: ColumnTrait + Copy>(column: C, scope: &Scope) -> Condition {
    let placed = in_scope(column, scope);
    if scope.allow == Allow::Everywhere {
        Condition::any().add(column.is_null()).add(placed)
    } else {
        placed
    }
}

/// A condition no row meets.
pub fn never() -> Condition {
    Condition::all().add(Expr::cust("1 = 0"))
}

/// `scope` as the WHERE condition a list sends, values inlined.
pub fn condition_sql(db: &sea_orm::DatabaseConnection, scope: &Scope) -> String {
    use sea_orm::{EntityTrait, QueryFilter, QuerySelect, QueryTrait};
    let statement = entities::resident::Entity::find()
        .select_only()
        .column(entities::resident::Column::Id)
        .filter(in_scope(entities::resident::Column::GridCode, scope))
        .build(db.get_database_backend())
        .to_string();
    let condition = statement
        .split_once(" WHERE ")
        .map_or(statement.as_str(), |(_, condition)| condition);
    condition
        .replace("\"residents\".", "")
        .replace("`residents`.", "")
}
