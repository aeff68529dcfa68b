//! "Inside this area" as SQL: one range on an indexed code column.

use policies::AreaCode;
use sea_orm::ColumnTrait;
use sea_orm::sea_query::Condition;

/// `column` holds a code inside `area` (or `area` itself): a half-open range
/// on level boundaries, never a LIKE on a raw prefix.
pub fn within<C: ColumnTrait>(column: C, area: &AreaCode) -> Condition {
    let range = area.range();
    let mut condition = Condition::all().add(column.gte(range.start));
    if let Some(end) = range.end {
        condition = condition.add(column.lt(end));
    }
    condition
}
