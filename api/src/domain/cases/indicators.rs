//! The loop's indicators for any area, department or worker over a period,
//! computed in SQL over the cases reported in that period, under the
//! caller's statistics scope and over the cases it may list: counts over an
//! arbitrary period could be subtracted down to one case, so nobody counts
//! cases they could not read.

use chrono::{DateTime, Utc};
use entities::{case, case_step, grid};
use policies::{Action, AreaCode, Object, Scope};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, StatementBuilder,
};

use crate::domain::access::Access;
use crate::domain::within::{in_scope, within};
use crate::error::{ApiError, ApiResult};

/// Whose cases to measure, and when they were reported.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    pub area: Option<AreaCode>,
    pub department_id: Option<i64>,
    /// A worker: the cases they reported.
    pub reporter_id: Option<i64>,
    pub from: Option<DateTime<Utc>>,
    pub before: Option<DateTime<Utc>>,
}

/// The counts behind the rates.
#[derive(Debug, Clone, Default, PartialEq, Eq, FromQueryResult)]
pub struct Counts {
    pub reported: i64,
    pub void: i64,
    pub filed: i64,
    pub closed: i64,
    pub closed_on_time: i64,
    pub reworked: i64,
    pub extended: i64,
    pub by_workers: i64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Indicators {
    pub counts: Counts,
    pub dispatches: i64,
    pub sent_back: i64,
    /// Grid workers the reports are shared among.
    pub workers: i64,
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl Indicators {
    /// Filed over reported.
    pub fn filing_rate(&self) -> Option<f64> {
        ratio(self.counts.filed, self.counts.reported)
    }

    /// Closed over reported and not void.
    pub fn closure_rate(&self) -> Option<f64> {
        ratio(self.counts.closed, self.counts.reported - self.counts.void)
    }

    /// Closed by the deadline over closed.
    pub fn on_time_closure_rate(&self) -> Option<f64> {
        ratio(self.counts.closed_on_time, self.counts.closed)
    }

    /// Filed cases that failed a check at least once.
    pub fn rework_rate(&self) -> Option<f64> {
        ratio(self.counts.reworked, self.counts.filed)
    }

    /// Filed cases whose deadline was extended.
    pub fn extension_rate(&self) -> Option<f64> {
        ratio(self.counts.extended, self.counts.filed)
    }

    /// Dispatches not sent back as "not ours".
    pub fn dispatch_accuracy(&self) -> Option<f64> {
        ratio(self.dispatches - self.sent_back, self.dispatches)
    }

    /// Cases reported by grid workers, per worker.
    pub fn reports_per_worker(&self) -> Option<f64> {
        ratio(self.counts.by_workers, self.workers)
    }
}

fn subject_condition(scope: &Scope, cases: &Scope, subject: &Subject) -> Condition {
    let mut condition = Condition::all()
        .add(in_scope(case::Column::GridCode, scope))
        .add(in_scope(case::Column::GridCode, cases));
    if let Some(area) = &subject.area {
        condition = condition.add(within(case::Column::GridCode, area));
    }
    if let Some(department) = subject.department_id {
        condition = condition.add(case::Column::DepartmentId.eq(department));
    }
    if let Some(reporter) = subject.reporter_id {
        condition = condition.add(case::Column::ReporterId.eq(reporter));
    }
    if let Some(from) = subject.from {
        condition = condition.add(case::Column::CreatedAt.gte(from));
    }
    if let Some(before) = subject.before {
        condition = condition.add(case::Column::CreatedAt.lt(before));
    }
    condition
}

fn count_where(select: &mut SelectStatement, condition: Condition, alias: &str) {
    select.expr_as(
        Expr::case(condition, Expr::val(1i32))
            .finally(Expr::val(0i32))
            .sum(),
        Alias::new(alias),
    );
}

/// The indicators of `subject` under the caller's statistics scope, over
/// the cases it may list; FORBIDDEN for a caller who may list none.
pub async fn compute(access: &Access, subject: &Subject) -> ApiResult<Indicators> {
    access.caller()?;
    let db = access.db();
    let scope = &access.scope(Object::Statistics, Action::Read);
    let cases = &access.scope(Object::Case, Action::Read);
    if cases.is_nothing() {
        return Err(ApiError::forbidden(Object::Case, Action::Read));
    }
    if scope.is_nothing() {
        return Ok(Indicators::default());
    }
    let condition = subject_condition(scope, cases, subject);
    let mut select = Query::select();
    select
        .from(case::Entity)
        .cond_where(condition.clone())
        .expr_as(Expr::col(case::Column::Id).count(), Alias::new("reported"));
    count_where(
        &mut select,
        Condition::all().add(case::Column::State.eq(case::CaseState::Void)),
        "void",
    );
    count_where(
        &mut select,
        Condition::all().add(case::Column::FiledAt.is_not_null()),
        "filed",
    );
    count_where(
        &mut select,
        Condition::all().add(case::Column::ClosedAt.is_not_null()),
        "closed",
    );
    count_where(
        &mut select,
        Condition::all()
            .add(case::Column::ClosedAt.is_not_null())
            .add(
                Condition::any()
                    .add(case::Column::DeadlineAt.is_null())
                    .add(
                        Expr::col(case::Column::ClosedAt).lte(Expr::col(case::Column::DeadlineAt)),
                    ),
            ),
        "closed_on_time",
    );
    count_where(
        &mut select,
        Condition::all().add(case::Column::ReworkCount.gt(0)),
        "reworked",
    );
    count_where(
        &mut select,
        Condition::all().add(case::Column::ExtensionCount.gt(0)),
        "extended",
    );
    count_where(
        &mut select,
        Condition::all().add(case::Column::Source.eq(case::CaseSource::GridWorker)),
        "by_workers",
    );
    let backend = db.get_database_backend();
    // SUM over no rows is NULL; COALESCE keeps the counts numbers.
    let wrapped = Query::select()
        .expr_as(Expr::cust("COALESCE(reported, 0)"), Alias::new("reported"))
        .expr_as(Expr::cust("COALESCE(void, 0)"), Alias::new("void"))
        .expr_as(Expr::cust("COALESCE(filed, 0)"), Alias::new("filed"))
        .expr_as(Expr::cust("COALESCE(closed, 0)"), Alias::new("closed"))
        .expr_as(
            Expr::cust("COALESCE(closed_on_time, 0)"),
            Alias::new("closed_on_time"),
        )
        .expr_as(Expr::cust("COALESCE(reworked, 0)"), Alias::new("reworked"))
        .expr_as(Expr::cust("COALESCE(extended, 0)"), Alias::new("extended"))
        .expr_as(
            Expr::cust("COALESCE(by_workers, 0)"),
            Alias::new("by_workers"),
        )
        .from_subquery(select, Alias::new("totals"))
        .to_owned();
    let counts = Counts::find_by_statement(StatementBuilder::build(&wrapped, &backend))
        .one(db)
        .await?
        .unwrap_or_default();

    let of_these_cases = Query::select()
        .column(case::Column::Id)
        .from(case::Entity)
        .cond_where(condition)
        .to_owned();
    let steps = |action: &'static str| {
        case_step::Entity::find()
            .filter(case_step::Column::Action.eq(action))
            .filter(Expr::col(case_step::Column::CaseId).in_subquery(of_these_cases.clone()))
    };
    let dispatches = steps("dispatch").count(db).await? as i64;
    let sent_back = steps("send_back").count(db).await? as i64;
    let workers = if subject.reporter_id.is_some() {
        1
    } else {
        let mut grids = grid::Entity::find()
            .filter(grid::Column::WorkerId.is_not_null())
            .filter(in_scope(grid::Column::Code, scope));
        if let Some(area) = &subject.area {
            grids = grids.filter(within(grid::Column::Code, area));
        }
        grids.count(db).await? as i64
    };
    Ok(Indicators {
        counts,
        dispatches,
        sent_back,
        workers,
    })
}
