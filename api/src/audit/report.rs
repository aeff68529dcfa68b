//! The audit log leaving the server: an export as JSON Lines for an outside
//! archive or SIEM, and the access report a resident may ask for (PIPL
//! Art. 45): every change and full read of their record, by whom and when.
//! Both run at the command line, against the database, and both are
//! themselves on the log.

use std::io::Write;

use chrono::{DateTime, FixedOffset, Offset, Utc};
use entities::{audit_log, resident};
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;

use super::{Actor, Entry, record, rows_after};
use crate::domain::audit_log::{AuditFilter, selection};
use crate::domain::documents;
use crate::domain::privacy::mask_id_number;
use crate::error::ApiError;

/// Rows read per statement while exporting or reporting.
const PAGE: u64 = 1000;

/// A failure of the export or report: the database's, or the output's.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{}", describe(.0))]
    Api(ApiError),
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

/// An error as an operator at the terminal needs it: with the cause of an
/// internal one, which a client of the API never sees.
fn describe(err: &ApiError) -> String {
    match err {
        ApiError::Internal(cause) => format!("internal error: {cause:#}"),
        other => other.message(),
    }
}

impl From<ApiError> for ReportError {
    fn from(err: ApiError) -> ReportError {
        ReportError::Api(err)
    }
}

impl From<sea_orm::DbErr> for ReportError {
    fn from(err: sea_orm::DbErr) -> ReportError {
        ReportError::Api(err.into())
    }
}

/// One entry as the export writes it: everything the row holds, its seal
/// included, so that each entry can be checked with the audit key.
pub(super) fn exported(row: &audit_log::Model) -> serde_json::Value {
    json!({
        "number": row.id, "at": row.at, "actorName": row.actor_name,
        "actorUserId": row.actor_user_id, "actorTokenId": row.actor_token_id,
        "session": row.session, "address": row.address, "action": row.action,
        "objectKind": row.object_kind, "objectId": row.object_id,
        "areaCode": row.area_code, "detail": row.detail, "seal": row.seal,
    })
}

/// Writes the entries numbered above `after`, at or after `from` and
/// before `to`, oldest first, one JSON object a line; calls `progress` with
/// the last number written after each page, so that an interrupted export
/// resumes with `after` set to it. Answers how many were written.
pub async fn export(
    db: &DatabaseConnection,
    actor: &Actor,
    (from, to): (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    after: i64,
    out: &mut impl Write,
    mut progress: impl FnMut(i64, u64),
) -> Result<u64, ReportError> {
    record(
        db,
        actor,
        Entry {
            action: "audit_log.export",
            object_kind: "audit_log",
            object_id: None,
            area_code: None,
            detail: json!({"from": from, "to": to, "after": after}),
        },
    )
    .await?;
    let mut last = after;
    let mut written = 0;
    loop {
        let mut period = audit_log::Entity::find();
        if let Some(from) = from {
            period = period.filter(audit_log::Column::At.gte(from));
        }
        if let Some(to) = to {
            period = period.filter(audit_log::Column::At.lt(to));
        }
        let rows = rows_after(db, period, last, PAGE).await?;
        let Some(end) = rows.last().map(|row| row.id) else {
            break;
        };
        for row in &rows {
            writeln!(out, "{}", exported(row))?;
        }
        out.flush()?;
        written += rows.len() as u64;
        last = end;
        progress(last, written);
    }
    Ok(written)
}

/// China Standard Time, which the report is read in.
fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

/// Writes the access report for the person with ID number `number`: who
/// changed or read their record in full, when, from where and which
/// fields, oldest first. Answers how many entries it lists; `NOT_FOUND`
/// when nobody has that number.
pub async fn access_report(
    db: &DatabaseConnection,
    actor: &Actor,
    number: &str,
    out: &mut impl Write,
) -> Result<u64, ReportError> {
    let number = documents::lookup_number("idNumber", number)?;
    let people = resident::Entity::find()
        .filter(resident::Column::IdNumber.eq(number.as_str()))
        .all(db)
        .await?;
    if people.is_empty() {
        return Err(ApiError::not_found("resident", "idNumber").into());
    }
    let filter = AuditFilter {
        resident_id_number: Some(number.clone()),
        ..AuditFilter::default()
    };
    // The report covers the entries up to the newest there is now, read a
    // page at a time (a person on every page of their grid is in more
    // entries than fit in memory at once), and counts them as it writes
    // them: a count asked first could differ from the lines that follow
    // while others write or the archive runs.
    let theirs = selection(db, &filter, Condition::all()).await?;
    let newest: Option<i64> = theirs
        .clone()
        .select_only()
        .expr(audit_log::Column::Id.max())
        .into_tuple()
        .one(db)
        .await?
        .flatten();
    let covered = theirs.filter(audit_log::Column::Id.lte(newest.unwrap_or(0)));
    record(
        db,
        actor,
        Entry {
            action: "audit_log.access_report",
            object_kind: "resident",
            object_id: people.first().map(|person| person.id.to_string()),
            area_code: None,
            detail: json!({"upTo": newest}),
        },
    )
    .await?;
    let names: Vec<&str> = people.iter().map(|person| person.name.as_str()).collect();
    writeln!(out, "个人信息访问记录 / Access report")?;
    writeln!(out, "姓名 / Name: {}", names.join("、"))?;
    writeln!(out, "证件号码 / Document: {}", mask_id_number(&number))?;
    writeln!(
        out,
        "生成时间 / Produced: {}",
        Utc::now()
            .with_timezone(&beijing())
            .format("%Y-%m-%d %H:%M:%S %:z")
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "时间 (UTC+8)\t操作人 / Who\t会话或令牌 / Session or token\t来源地址 / From\t操作 / What\t字段 / Fields"
    )?;
    let mut after = 0;
    let mut entries = 0;
    loop {
        let rows = rows_after(db, covered.clone(), after, PAGE).await?;
        let Some(last) = rows.last().map(|row| row.id) else {
            break;
        };
        after = last;
        for row in &rows {
            write_line(out, row)?;
        }
        entries += rows.len() as u64;
    }
    writeln!(out)?;
    writeln!(out, "共 {entries} 条 / Entries: {entries}")?;
    out.flush()?;
    Ok(entries)
}

/// One line of the access report.
fn write_line(out: &mut impl Write, row: &audit_log::Model) -> std::io::Result<()> {
    let through = match (&row.session, row.actor_token_id) {
        (_, Some(token)) => format!("token #{token}"),
        (Some(session), None) => {
            format!("session {}", session.chars().take(8).collect::<String>())
        }
        (None, None) => "-".to_owned(),
    };
    let fields: Vec<&str> = row.detail["fields"]
        .as_array()
        .map(|fields| fields.iter().filter_map(|f| f.as_str()).collect())
        .unwrap_or_default();
    writeln!(
        out,
        "{}\t{}\t{}\t{}\t{}\t{}",
        row.at.with_timezone(&beijing()).format("%Y-%m-%d %H:%M:%S"),
        row.actor_name,
        through,
        row.address.as_deref().unwrap_or("-"),
        row.action,
        if fields.is_empty() {
            "-".to_owned()
        } else {
            fields.join(", ")
        },
    )?;
    Ok(())
}
