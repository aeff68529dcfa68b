//! What a case is about and who its parties are. Both are named when the
//! case is reported or later on site (the `describe` move), and are only
//! ever added. A subject must lie in the case's grid and be one the caller
//! may read; a party may be someone of the record the caller may read, or
//! anyone by name. Whoever sees the case reads its links; a subject's
//! record is shown only where they may read its kind, and a party's phone
//! by the policy of the phones a case carries (`case.reporter_phone`).

use std::collections::HashMap;

use chrono::Utc;
use entities::case_party::{self, PartySide};
use entities::visit::VisitSubject;
use entities::{case, case_subject, resident};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query};
use sea_orm::{
    ActiveEnum, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
};

use super::rows_about;
use crate::domain::access::Access;
use crate::domain::subjects::{self, Subject};
use crate::domain::writes::fields::{optional_phone, text};
use crate::error::{ApiError, ApiResult};

/// The most subjects, and parties, one case may name.
const MAX_SUBJECTS: usize = 20;
const MAX_PARTIES: usize = 10;

/// A party as named by the caller.
#[derive(Debug, Clone)]
pub struct Party {
    pub side: PartySide,
    /// May be left out for someone of the record: their name is taken.
    pub name: Option<String>,
    pub phone: Option<String>,
    pub resident_id: Option<i64>,
}

/// What a report or a `describe` move names.
#[derive(Debug, Clone, Default)]
pub struct Links {
    pub about: Vec<Subject>,
    pub parties: Vec<Party>,
}

impl Links {
    pub fn is_empty(&self) -> bool {
        self.about.is_empty() && self.parties.is_empty()
    }
}

/// Names `links` on case `row`, inside the move's transaction. A subject
/// or a party's resident out of the caller's sight, or outside the case's
/// grid, is refused the same way as one that does not exist; what the case
/// already names is not named twice; the limits hold for the case as a
/// whole.
pub async fn add(
    access: &Access,
    txn: &DatabaseTransaction,
    row: &case::Model,
    links: &Links,
) -> ApiResult<()> {
    if links.is_empty() {
        return Ok(());
    }
    // Bounded before anything is looked up.
    if links.about.len() > MAX_SUBJECTS || links.parties.len() > MAX_PARTIES {
        return Err(ApiError::bad_input(
            if links.about.len() > MAX_SUBJECTS {
                "about"
            } else {
                "parties"
            },
            format!("a case names at most {MAX_SUBJECTS} subjects and {MAX_PARTIES} parties"),
        ));
    }
    let now = Utc::now();
    let named: Vec<Subject> = links
        .about
        .iter()
        .copied()
        .chain(
            links
                .parties
                .iter()
                .filter_map(|party| party.resident_id)
                .map(|id| (VisitSubject::Resident, id)),
        )
        .collect();
    let found = subjects::grids_of(access, txn, &named).await?;
    let in_grid = |subject: &Subject| found.get(subject) == Some(&row.grid_code);

    let mut subjects: Vec<Subject> = case_subject::Entity::find()
        .select_only()
        .column(case_subject::Column::SubjectKind)
        .column(case_subject::Column::SubjectId)
        .filter(case_subject::Column::CaseId.eq(row.id))
        .into_tuple()
        .all(txn)
        .await?;
    let held = subjects.len();
    for subject in &links.about {
        if !in_grid(subject) {
            return Err(ApiError::missing(
                "about",
                "nothing in the case's grid you may see by this ID",
            ));
        }
        if !subjects.contains(subject) {
            subjects.push(*subject);
        }
    }
    if subjects.len() > MAX_SUBJECTS {
        return Err(ApiError::bad_input(
            "about",
            format!("a case names at most {MAX_SUBJECTS} subjects"),
        ));
    }
    if subjects.len() > held {
        case_subject::Entity::insert_many(subjects[held..].iter().map(|(kind, id)| {
            case_subject::ActiveModel {
                id: NotSet,
                case_id: Set(row.id),
                subject_kind: Set(*kind),
                subject_id: Set(*id),
                grid_code: Set(row.grid_code.clone()),
                created_at: Set(now),
            }
        }))
        .exec(txn)
        .await?;
    }

    // A party is someone of the record in the case's grid, or anyone by
    // name; each once.
    let mut parties: Vec<(PartySide, String, Option<String>, Option<i64>)> =
        case_party::Entity::find()
            .filter(case_party::Column::CaseId.eq(row.id))
            .all(txn)
            .await?
            .into_iter()
            .map(|party| (party.side, party.name, party.phone, party.resident_id))
            .collect();
    let held = parties.len();
    let names = names_of(txn, &links.parties).await?;
    for party in &links.parties {
        let given = match party.name.as_deref().map(str::trim) {
            Some(name) if !name.is_empty() => Some(text("parties.name", name, 64)?),
            _ => None,
        };
        let phone = optional_phone("parties.phone", party.phone.as_deref())?;
        let name = match party.resident_id {
            Some(id) => {
                let recorded = names
                    .get(&id)
                    .filter(|_| in_grid(&(VisitSubject::Resident, id)));
                let Some(recorded) = recorded else {
                    return Err(ApiError::missing(
                        "parties.residentId",
                        "no resident of the case's grid you may see by this ID",
                    ));
                };
                given.unwrap_or_else(|| recorded.clone())
            }
            None => given.ok_or_else(|| {
                ApiError::required("parties.name", "a party outside the record is named")
            })?,
        };
        let same = |(side, known, known_phone, resident): &(
            PartySide,
            String,
            Option<String>,
            Option<i64>,
        )| match party.resident_id {
            Some(id) => *resident == Some(id),
            None => {
                resident.is_none() && *side == party.side && *known == name && *known_phone == phone
            }
        };
        if !parties.iter().any(same) {
            parties.push((party.side, name, phone, party.resident_id));
        }
    }
    if parties.len() > MAX_PARTIES {
        return Err(ApiError::bad_input(
            "parties",
            format!("a case names at most {MAX_PARTIES} parties"),
        ));
    }
    if parties.len() > held {
        case_party::Entity::insert_many(parties.drain(held..).map(
            |(side, name, phone, resident_id)| case_party::ActiveModel {
                id: NotSet,
                case_id: Set(row.id),
                side: Set(side),
                name: Set(name),
                phone: Set(phone),
                resident_id: Set(resident_id),
                grid_code: Set(row.grid_code.clone()),
                created_at: Set(now),
            },
        ))
        .exec(txn)
        .await?;
    }
    Ok(())
}

impl Links {
    /// What the audit log says was named: the subjects, and each party's
    /// side and resident (never a name or a phone).
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "about": self.about.iter().map(|(kind, id)| {
                serde_json::json!({"kind": kind.to_value(), "id": id})
            }).collect::<Vec<_>>(),
            "parties": self.parties.iter().map(|party| {
                serde_json::json!({"side": party.side.to_value(), "resident": party.resident_id})
            }).collect::<Vec<_>>(),
        })
    }
}

/// The names of the residents the parties are, as the record holds them.
async fn names_of(txn: &DatabaseTransaction, parties: &[Party]) -> ApiResult<HashMap<i64, String>> {
    let ids: Vec<i64> = parties.iter().filter_map(|p| p.resident_id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(resident::Entity::find()
        .select_only()
        .column(resident::Column::Id)
        .column(resident::Column::Name)
        .filter(resident::Column::Id.is_in(ids))
        .into_tuple::<(i64, String)>()
        .all(txn)
        .await?
        .into_iter()
        .collect())
}

/// What these cases are about, for those of them the caller sees, each in
/// the order named. Whether the caller may read each subject is left to
/// the subject's own read, so a case shows no more than `node` would.
pub async fn subjects_of(
    access: &Access,
    cases: &[i64],
) -> ApiResult<HashMap<i64, Vec<case_subject::Model>>> {
    rows_about::<case_subject::Entity>(
        access,
        cases,
        case_subject::Column::CaseId,
        case_subject::Column::Id,
        |row| row.case_id,
    )
    .await
}

/// The parties of these cases, for those of them the caller sees.
pub async fn parties_of(
    access: &Access,
    cases: &[i64],
) -> ApiResult<HashMap<i64, Vec<case_party::Model>>> {
    rows_about::<case_party::Entity>(
        access,
        cases,
        case_party::Column::CaseId,
        case_party::Column::Id,
        |row| row.case_id,
    )
    .await
}

/// The cases about `subject` (for a resident, also those they are a party
/// to), as a condition on cases; none when the caller may not read the
/// subject, so that the filter tells nothing of a record out of sight.
pub async fn about(access: &Access, subject: Subject) -> ApiResult<Condition> {
    let visible = subjects::grids_of(access, access.db(), &[subject]).await?;
    if visible.is_empty() {
        return Ok(Condition::all().add(case::Column::Id.is_in(Vec::<i64>::new())));
    }
    let (kind, id) = subject;
    let named = Query::select()
        .column(case_subject::Column::CaseId)
        .from(case_subject::Entity)
        .and_where(case_subject::Column::SubjectKind.eq(kind))
        .and_where(case_subject::Column::SubjectId.eq(id))
        .to_owned();
    let mut condition = Condition::any().add(Expr::col(case::Column::Id).in_subquery(named));
    if kind == VisitSubject::Resident {
        let party = Query::select()
            .column(case_party::Column::CaseId)
            .from(case_party::Entity)
            .and_where(case_party::Column::ResidentId.eq(id))
            .to_owned();
        condition = condition.add(Expr::col(case::Column::Id).in_subquery(party));
    }
    Ok(condition)
}
