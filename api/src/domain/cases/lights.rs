//! Open cases by light for an area and each area inside it, as the
//! command centre's screen colours its map: counted over the cases the
//! caller may list, in one statement.

use std::collections::BTreeMap;

use chrono::Utc;
use entities::case;
use policies::{AreaCode, AreaLevel};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Func, Query};
use sea_orm::{ColumnTrait, FromQueryResult, StatementBuilder};

use super::{CaseScope, Light, light_condition, machine};
use crate::domain::access::Access;
use crate::domain::within::within;
use crate::error::ApiResult;

/// Open cases of one area, by light; those not yet filed have none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromQueryResult)]
pub struct LightCounts {
    pub open: i64,
    pub green: i64,
    pub yellow: i64,
    pub red: i64,
}

impl LightCounts {
    fn add(&mut self, other: &LightCounts) {
        self.open += other.open;
        self.green += other.green;
        self.yellow += other.yellow;
        self.red += other.red;
    }
}

#[derive(Debug, FromQueryResult)]
struct Row {
    area_code: String,
    open: i64,
    green: i64,
    yellow: i64,
    red: i64,
}

/// The open cases of `area` (everything the caller lists when `None`) by
/// light, in total and for each of its parts at level `parts` (as
/// `stats::parts_level` chose it). `None` for a caller who may list
/// no cases anywhere: a count of cases it could not read is not its to see.
pub async fn open_by_light(
    access: &Access,
    area: Option<&AreaCode>,
    parts: AreaLevel,
) -> ApiResult<Option<(LightCounts, BTreeMap<String, LightCounts>)>> {
    let scope = CaseScope::of(access).await?;
    if scope.read.is_nothing() {
        return Ok(None);
    }
    let now = Utc::now();
    let mut condition = Condition::all()
        .add(scope.condition())
        .add(case::Column::State.is_in(machine::OPEN.iter().copied()));
    if let Some(area) = area {
        condition = condition.add(within(case::Column::GridCode, area));
    }
    let count = |light: Light| {
        Func::coalesce([
            Expr::case(light_condition(light, now), 1).finally(0).sum(),
            Expr::val(0),
        ])
    };
    // The width is written into the text, not bound: PostgreSQL matches a
    // grouped expression to the selected one by its text.
    let part = Expr::cust(format!("SUBSTR(grid_code, 1, {})", parts.width()));
    let select = Query::select()
        .expr_as(part.clone(), Alias::new("area_code"))
        .expr_as(Expr::col(case::Column::Id).count(), Alias::new("open"))
        .expr_as(count(Light::Green), Alias::new("green"))
        .expr_as(count(Light::Yellow), Alias::new("yellow"))
        .expr_as(count(Light::Red), Alias::new("red"))
        .from(case::Entity)
        .cond_where(condition)
        .add_group_by([part])
        .to_owned();
    let db = access.db();
    let rows = Row::find_by_statement(StatementBuilder::build(&select, &db.get_database_backend()))
        .all(db)
        .await?;
    let mut total = LightCounts::default();
    let mut parts = BTreeMap::new();
    for row in rows {
        let counts = LightCounts {
            open: row.open,
            green: row.green,
            yellow: row.yellow,
            red: row.red,
        };
        total.add(&counts);
        parts.insert(row.area_code, counts);
    }
    Ok(Some((total, parts)))
}
