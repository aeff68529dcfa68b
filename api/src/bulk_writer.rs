//! Writing many rows at once. On PostgreSQL the rows go in as one array
//! per column, unnested by a statement of a few dozen parameters: a
//! multi-row INSERT of thousands of bound values spends most of the
//! server's time parsing and planning its VALUES list. Elsewhere (or for
//! a value with no array rendering here) they take multi-row INSERTs. The
//! seed and the registry import write through it.

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ActiveValue, ConnectionTrait, DbBackend, DbErr, EntityName, EntityTrait,
    IdenStatic, Iterable, QueryTrait, Statement, Value,
};

/// Rows one statement of column arrays carries on PostgreSQL.
const ROWS_PER_ARRAY: usize = 20_000;

/// How rows are written: the backend, the rows a multi-row INSERT carries,
/// and on PostgreSQL each table's column types, read once so that the
/// statements can be made away from the connection (on the thread that
/// makes the rows).
pub struct BulkWriter {
    backend: DbBackend,
    batch: usize,
    types: HashMap<String, HashMap<String, String>>,
}

impl BulkWriter {
    pub async fn new<C: ConnectionTrait>(db: &C, batch: usize) -> Result<BulkWriter, DbErr> {
        let backend = db.get_database_backend();
        let mut types: HashMap<String, HashMap<String, String>> = HashMap::new();
        if backend == DbBackend::Postgres {
            let columns = db
                .query_all_raw(Statement::from_string(
                    backend,
                    "SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod) \
                     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
                     WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' \
                     AND a.attnum > 0 AND NOT a.attisdropped",
                ))
                .await?;
            for row in columns {
                let (table, column, kind): (String, String, String) = (
                    row.try_get_by_index(0)?,
                    row.try_get_by_index(1)?,
                    row.try_get_by_index(2)?,
                );
                types.entry(table).or_default().insert(column, kind);
            }
        }
        Ok(BulkWriter {
            backend,
            batch: batch.max(1),
            types,
        })
    }

    /// The statements that write `rows`, which set the same columns, into
    /// their table: on PostgreSQL one array per column, on SQLite (or when
    /// a value has no array rendering) multi-row INSERTs.
    pub fn statements<A: ActiveModelTrait>(&self, rows: Vec<A>) -> Vec<Statement> {
        if rows.is_empty() {
            return Vec::new();
        }
        if self.backend == DbBackend::Postgres
            && let Some(types) = self.types.get(A::Entity::default().table_name())
            && let Some(statements) = rows
                .chunks(ROWS_PER_ARRAY)
                .map(|chunk| as_arrays(chunk, types))
                .collect::<Option<Vec<Statement>>>()
        {
            return statements;
        }
        let mut statements = Vec::new();
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<A> = rows.by_ref().take(self.batch).collect();
            statements.push(A::Entity::insert_many(chunk).build(self.backend));
        }
        statements
    }

    /// Makes the rest of the transaction `txn` run its statements with
    /// generic plans, on PostgreSQL. A custom plan folds the bound arrays
    /// into constants, and the planner then parses each whole array to
    /// guess how many rows `unnest` gives (`array_unnest_support`): every
    /// array read twice. A generic plan leaves them to the executor.
    pub async fn plan_generically<C: ConnectionTrait>(&self, txn: &C) -> Result<(), DbErr> {
        if self.backend == DbBackend::Postgres {
            txn.execute_unprepared("SET LOCAL plan_cache_mode = force_generic_plan")
                .await?;
        }
        Ok(())
    }

    /// Writes `rows` (see `statements`) in the transaction `txn`.
    pub async fn insert<C, A>(&self, txn: &C, rows: Vec<A>) -> Result<(), DbErr>
    where
        C: ConnectionTrait,
        A: ActiveModelTrait,
    {
        self.plan_generically(txn).await?;
        execute(txn, self.statements(rows)).await
    }
}

/// Runs `statements` in order.
pub async fn execute<C: ConnectionTrait>(db: &C, statements: Vec<Statement>) -> Result<(), DbErr> {
    for statement in statements {
        db.execute_raw(statement).await?;
    }
    Ok(())
}

/// `INSERT INTO table (columns) SELECT * FROM unnest($1::text::type[], ...)`
/// with one array literal per column; `None` when the rows do not all set
/// the same columns, or a value has no array rendering here.
fn as_arrays<A: ActiveModelTrait>(
    rows: &[A],
    types: &HashMap<String, String>,
) -> Option<Statement> {
    let first = rows.first()?;
    let (columns, left_out): (Vec<_>, Vec<_>) = <A::Entity as EntityTrait>::Column::iter()
        .partition(|column| !matches!(first.get(*column), ActiveValue::NotSet));
    if rows.iter().any(|row| {
        left_out
            .iter()
            .any(|column| !matches!(row.get(*column), ActiveValue::NotSet))
    }) {
        return None;
    }
    let mut arrays: Vec<String> = vec![String::from("{"); columns.len()];
    for (index, row) in rows.iter().enumerate() {
        for (column, array) in columns.iter().zip(&mut arrays) {
            let value = match row.get(*column) {
                ActiveValue::Set(value) | ActiveValue::Unchanged(value) => value,
                ActiveValue::NotSet => return None,
            };
            if index > 0 {
                array.push(',');
            }
            push_element(array, &value)?;
        }
    }
    let mut names = Vec::with_capacity(columns.len());
    let mut unnested = Vec::with_capacity(columns.len());
    for (at, column) in columns.iter().enumerate() {
        let name = column.as_str();
        names.push(format!("\"{name}\""));
        // A bounded text column takes a text array: the insert checks the
        // bound, and casting each element to it first costs a second pass.
        let kind = types.get(name)?;
        let kind = if kind.starts_with("character varying") {
            "text"
        } else {
            kind
        };
        unnested.push(format!("${}::text::{kind}[]", at + 1));
    }
    for array in &mut arrays {
        array.push('}');
    }
    Some(Statement::from_sql_and_values(
        DbBackend::Postgres,
        format!(
            "INSERT INTO \"{}\" ({}) SELECT * FROM unnest({})",
            A::Entity::default().table_name(),
            names.join(", "),
            unnested.join(", ")
        ),
        arrays.into_iter().map(Value::from),
    ))
}

/// Appends `value` to an array literal as PostgreSQL reads it: NULL bare,
/// anything else quoted; `None` for a kind of value not rendered here.
fn push_element(array: &mut String, value: &Value) -> Option<()> {
    let text = match value {
        Value::Bool(None)
        | Value::SmallInt(None)
        | Value::Int(None)
        | Value::BigInt(None)
        | Value::Double(None)
        | Value::String(None)
        | Value::Json(None)
        | Value::ChronoDate(None)
        | Value::ChronoDateTimeUtc(None) => {
            array.push_str("NULL");
            return Some(());
        }
        Value::Bool(Some(value)) => (if *value { "t" } else { "f" }).to_owned(),
        Value::SmallInt(Some(value)) => value.to_string(),
        Value::Int(Some(value)) => value.to_string(),
        Value::BigInt(Some(value)) => value.to_string(),
        Value::Double(Some(value)) if value.is_finite() => value.to_string(),
        Value::String(Some(value)) => value.clone(),
        Value::Json(Some(value)) => value.to_string(),
        Value::ChronoDate(Some(value)) => value.format("%Y-%m-%d").to_string(),
        Value::ChronoDateTimeUtc(Some(value)) => {
            // Microseconds, cut as the driver cuts a bound timestamp: PostgreSQL
            // would round more digits, and a row could land 1 µs after a `now`
            // bound elsewhere.
            value.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        }
        _ => return None,
    };
    array.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            array.push('\\');
        }
        array.push(c);
    }
    array.push('"');
    Some(())
}
