//! Reading the audit log: who did what, who looked at this person. Those
//! whose policy grants `audit_log read` read it in their scope — the
//! auditor everywhere, a district's supervisor the entries of its district
//! (an entry belongs to the smallest area holding everything it touched;
//! one reaching across districts, or no area at all, is the city's). Every
//! reading of the log is itself an entry.

use chrono::{DateTime, Utc};
use entities::{api_token, audit_log, resident, user};
use policies::{Action, AreaCode, Object};
use sea_orm::sea_query::{Condition, Expr, Query};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter, QuerySelect, Select,
};
use serde_json::json;

use crate::audit::{self, Entry, subjects};
use crate::domain::access::Access;
use crate::domain::documents;
use crate::domain::page::{Listing, PageRequest};
use crate::domain::scoped::{Order, keyset};
use crate::domain::within::{in_scope_or_city, within};
use crate::error::{ApiError, ApiResult};

pub const AUDIT_CURSOR: &str = "audit";

/// Which entries to read; every part given must hold.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    /// Done by the user of this username (signed in, or through an
    /// application token); an unknown one matches nothing.
    pub username: Option<String>,
    /// Done through this API token.
    pub token: Option<i64>,
    /// Done by this department's officers or through its tokens.
    pub department: Option<i64>,
    /// Exactly these actions (`resident.update`), or every action of a
    /// kind when one ends in `.*` (`resident.*`).
    pub actions: Vec<String>,
    /// About rows of this kind (`resident`, `case`).
    pub object_kind: Option<String>,
    /// About this row of `object_kind` (changed, or read in full).
    pub object_id: Option<i64>,
    /// Every change and full read of this resident's record.
    pub resident: Option<i64>,
    /// …or of the resident with this ID number (the auditor, city-wide).
    pub resident_id_number: Option<String>,
    /// Inside this area.
    pub within: Option<AreaCode>,
    pub from: Option<DateTime<Utc>>,
    pub before: Option<DateTime<Utc>>,
}

/// Entries naming row `id` of `kind`: its changes (the row the entry is
/// about) and the reads that named it.
fn naming(backend: DbBackend, kind: &str, id: i64) -> Condition {
    Condition::any()
        .add(
            Condition::all()
                .add(audit_log::Column::ObjectKind.eq(kind))
                .add(audit_log::Column::ObjectId.eq(id.to_string())),
        )
        .add(subjects::naming(backend, kind, id))
}

fn action_condition(actions: &[String]) -> ApiResult<Condition> {
    let mut any = Condition::any();
    for action in actions {
        if action.is_empty() || action.len() > 64 {
            return Err(ApiError::bad_input("filter.actions", "1 to 64 characters"));
        }
        any = match action.strip_suffix(".*") {
            // A kind is letters and underscores: a prefix of those cannot
            // smuggle a LIKE pattern.
            Some(kind) if kind.chars().all(|c| c.is_ascii_lowercase() || c == '_') => {
                any.add(audit_log::Column::Action.starts_with(format!("{kind}.")))
            }
            Some(_) => {
                return Err(ApiError::bad_input(
                    "filter.actions",
                    "a kind is lower-case letters and underscores",
                ));
            }
            None => any.add(audit_log::Column::Action.eq(action.as_str())),
        };
    }
    Ok(any)
}

/// The entries the caller may read under `filter`, newest first.
pub async fn list(
    access: &Access,
    filter: &AuditFilter,
    order: Order<audit_log::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<audit_log::Model>> {
    let scope = access.scope(Object::AuditLog, Action::Read);
    if scope.is_nothing() {
        return Err(ApiError::forbidden(Object::AuditLog, Action::Read));
    }
    if filter.resident_id_number.is_some() {
        // A number tells who someone is: only a city-wide reader of the
        // log looks people up by it.
        access.require_city(Object::AuditLog, Action::Read)?;
    }
    let visible = Condition::all()
        .add(in_scope_or_city(audit_log::Column::AreaCode, &scope))
        .add(crate::domain::comparisons::findings::readable_audit_rows(
            access,
        ));
    let select = selection(access.db(), filter, visible).await?;
    let listing = keyset(access.db(), select, audit_log::Column::Id, order, request).await?;
    // Reading the log is on the log: what was asked, never what it held;
    // the city's (a district's supervisor does not read what the auditor
    // looked for), and naming the person looked up, whose own access
    // report then shows it.
    let mut named: Vec<i64> = filter.resident.into_iter().collect();
    if let Some(number) = &filter.resident_id_number {
        named.extend(numbered(access.db(), number).await?);
    }
    audit::record_alone(
        access.db(),
        &access.actor()?,
        vec![(
            Entry {
                action: "audit_log.read",
                object_kind: if named.is_empty() {
                    "audit_log"
                } else {
                    "resident"
                },
                object_id: named.first().map(ToString::to_string),
                area_code: None,
                detail: asked(filter),
            },
            named,
        )],
    )
    .await?;
    Ok(listing)
}

/// What a reading of the log asked for, as its own entry records it.
pub fn asked(filter: &AuditFilter) -> serde_json::Value {
    json!({
        "username": filter.username, "token": filter.token, "department": filter.department,
        "actions": filter.actions, "objectKind": filter.object_kind,
        "objectId": filter.object_id, "resident": filter.resident,
        "byIdNumber": filter.resident_id_number.is_some(),
        "from": filter.from, "before": filter.before,
    })
}

/// The residents recorded under ID number `number`.
async fn numbered(db: &DatabaseConnection, number: &str) -> ApiResult<Vec<i64>> {
    let number = documents::lookup_number("filter.residentIdNumber", number)?;
    Ok(resident::Entity::find()
        .select_only()
        .column(resident::Column::Id)
        .filter(resident::Column::IdNumber.eq(number))
        .into_tuple()
        .all(db)
        .await?)
}

/// The entries under `filter` among the `visible` ones.
pub async fn selection(
    db: &DatabaseConnection,
    filter: &AuditFilter,
    visible: Condition,
) -> ApiResult<Select<audit_log::Entity>> {
    let backend = db.get_database_backend();
    let mut select = audit_log::Entity::find().filter(visible);
    if let Some(username) = &filter.username {
        select = select.filter(
            audit_log::Column::ActorUserId.in_subquery(
                Query::select()
                    .column(user::Column::Id)
                    .from(user::Entity)
                    .and_where(user::Column::Username.eq(username.as_str()))
                    .to_owned(),
            ),
        );
    }
    if let Some(token) = filter.token {
        select = select.filter(audit_log::Column::ActorTokenId.eq(token));
    }
    if let Some(department) = filter.department {
        select = select.filter(
            Condition::any()
                .add(
                    audit_log::Column::ActorUserId.in_subquery(
                        Query::select()
                            .column(user::Column::Id)
                            .from(user::Entity)
                            .and_where(user::Column::DepartmentId.eq(department))
                            .to_owned(),
                    ),
                )
                .add(
                    audit_log::Column::ActorTokenId.in_subquery(
                        Query::select()
                            .column(api_token::Column::Id)
                            .from(api_token::Entity)
                            .and_where(api_token::Column::DepartmentId.eq(department))
                            .to_owned(),
                    ),
                ),
        );
    }
    if !filter.actions.is_empty() {
        select = select.filter(action_condition(&filter.actions)?);
    }
    if let Some(kind) = &filter.object_kind {
        match filter.object_id {
            Some(id) => select = select.filter(naming(backend, kind, id)),
            None => select = select.filter(audit_log::Column::ObjectKind.eq(kind.as_str())),
        }
    } else if filter.object_id.is_some() {
        return Err(ApiError::required(
            "filter.objectKind",
            "name the kind of the row",
        ));
    }
    if let Some(resident) = filter.resident {
        select = select.filter(naming(backend, "resident", resident));
    }
    if let Some(number) = &filter.resident_id_number {
        let ids = numbered(db, number).await?;
        select = select.filter(
            ids.iter()
                .fold(Condition::any().add(Expr::cust("1 = 0")), |any, id| {
                    any.add(naming(backend, "resident", *id))
                }),
        );
    }
    if let Some(area) = &filter.within {
        select = select.filter(within(audit_log::Column::AreaCode, area));
    }
    if let Some(from) = filter.from {
        select = select.filter(audit_log::Column::At.gte(from));
    }
    if let Some(before) = filter.before {
        select = select.filter(audit_log::Column::At.lt(before));
    }
    Ok(select)
}
