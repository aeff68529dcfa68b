//! The index behind "who looked at this person": which audit rows name a
//! given row. Each backend keeps it where it is cheapest to write. On
//! PostgreSQL a row's named ids sit in its own `subjects` column under a
//! GIN index: its pending list takes a page's fifty ids as one append,
//! where a B-tree takes fifty random inserts (measured: four times the
//! rows a second). SQLite has no such index, and keeps a row per name in
//! `audit_subjects`. Either way the sealed `detail.ids` says what the
//! index must hold, and `gridgov audit verify` checks it.

use std::collections::{BTreeSet, HashMap};

use entities::{audit_log, audit_subject};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Alias, Condition, DynIden, Expr, ExprTrait, IntoIden, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult,
    Iterable, QueryFilter, Statement,
};

use super::Row;
use crate::error::{ApiError, ApiResult};

/// The column holding a PostgreSQL row's named ids.
const SUBJECTS: &str = "subjects";

/// Writes `rows` with the rows they name.
pub(super) async fn insert<C: ConnectionTrait>(db: &C, rows: &[Row]) -> ApiResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    if backend == DbBackend::Postgres {
        db.execute_raw(with_subjects(rows, backend)?).await?;
        return Ok(());
    }
    for row in rows {
        if row.named.is_empty() {
            audit_log::Entity::insert(row.model.clone())
                .exec_without_returning(db)
                .await?;
            continue;
        }
        let id = audit_log::Entity::insert(row.model.clone())
            .exec(db)
            .await?
            .last_insert_id;
        audit_subject::Entity::insert_many(row.named.iter().map(|subject| {
            audit_subject::ActiveModel {
                kind: Set(row.object_kind.clone()),
                subject_id: Set(*subject),
                audit_id: Set(id),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// One INSERT of every row, each with its `subjects` array.
fn with_subjects(rows: &[Row], backend: DbBackend) -> ApiResult<Statement> {
    let columns: Vec<audit_log::Column> = audit_log::Column::iter()
        .filter(|column| !matches!(column, audit_log::Column::Id))
        .collect();
    let mut insert = Query::insert();
    // One list: a second `columns` call would replace the first.
    let mut names: Vec<DynIden> = columns.iter().map(|column| column.into_iden()).collect();
    names.push(Alias::new(SUBJECTS).into_iden());
    insert.into_table(audit_log::Entity).columns(names);
    for row in rows {
        let mut values: Vec<Expr> = columns
            .iter()
            .map(|column| {
                row.model
                    .get(*column)
                    .into_value()
                    .map(Expr::val)
                    .ok_or_else(|| {
                        ApiError::Internal(anyhow::anyhow!("a sealed row sets {column:?}"))
                    })
            })
            .collect::<ApiResult<_>>()?;
        values.push(if row.named.is_empty() {
            Expr::cust("NULL")
        } else {
            Expr::cust_with_values("CAST($1 AS bigint[])", [array_text(&row.named)])
        });
        insert
            .values(values)
            .map_err(|err| ApiError::Internal(err.into()))?;
    }
    Ok(backend.build(&insert))
}

/// `{1,2,3}`: an array's text form.
fn array_text(ids: &[i64]) -> String {
    let listed: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("{{{}}}", listed.join(","))
}

/// Rows of `kind` whose entry names row `id`. On PostgreSQL the table is
/// searched too: a replica not yet upgraded still writes there while the
/// first upgraded one has moved the rest into the arrays.
pub fn naming(backend: DbBackend, kind: &str, id: i64) -> Condition {
    let in_table = Expr::col((audit_log::Entity, audit_log::Column::Id)).in_subquery(
        Query::select()
            .column(audit_subject::Column::AuditId)
            .from(audit_subject::Entity)
            .and_where(audit_subject::Column::Kind.eq(kind))
            .and_where(audit_subject::Column::SubjectId.eq(id))
            .to_owned(),
    );
    if backend != DbBackend::Postgres {
        return Condition::all().add(in_table);
    }
    Condition::any()
        .add(
            Condition::all()
                .add(audit_log::Column::ObjectKind.eq(kind))
                .add(Expr::cust_with_values(
                    "\"audit_log\".\"subjects\" @> CAST($1 AS bigint[])",
                    [array_text(&[id])],
                )),
        )
        .add(in_table)
}

#[derive(FromQueryResult)]
struct Listed {
    id: i64,
    object_kind: String,
    subjects: Option<String>,
}

/// What the index holds for each of the rows `ids`: (kind, named id).
pub async fn indexed<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> ApiResult<HashMap<i64, BTreeSet<(String, i64)>>> {
    let mut indexed: HashMap<i64, BTreeSet<(String, i64)>> = HashMap::new();
    let backend = db.get_database_backend();
    if backend == DbBackend::Postgres {
        let select = Query::select()
            .column(audit_log::Column::Id)
            .column(audit_log::Column::ObjectKind)
            .expr_as(
                Expr::cust("array_to_string(\"subjects\", ',')"),
                Alias::new("subjects"),
            )
            .from(audit_log::Entity)
            .and_where(audit_log::Column::Id.is_in(ids.iter().copied()))
            .to_owned();
        for row in Listed::find_by_statement(backend.build(&select))
            .all(db)
            .await?
        {
            let named = row.subjects.unwrap_or_default();
            for id in named.split(',').filter(|id| !id.is_empty()) {
                let id = id
                    .parse::<i64>()
                    .map_err(|err| ApiError::Internal(err.into()))?;
                indexed
                    .entry(row.id)
                    .or_default()
                    .insert((row.object_kind.clone(), id));
            }
        }
    }
    // Also on PostgreSQL: see `naming`.
    for subject in audit_subject::Entity::find()
        .filter(audit_subject::Column::AuditId.is_in(ids.iter().copied()))
        .all(db)
        .await?
    {
        indexed
            .entry(subject.audit_id)
            .or_default()
            .insert((subject.kind, subject.subject_id));
    }
    Ok(indexed)
}
