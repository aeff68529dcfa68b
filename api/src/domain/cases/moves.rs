//! Reporting a case and moving it along the loop. Each move is one
//! transaction: the case's new state, its timeline entry and its audit row
//! commit together or not at all, and a case moved by someone else since the
//! caller read it is a CONFLICT.

use chrono::{DateTime, Utc};
use entities::case::{
    self, CaseRequest, CaseSource, CaseState, EscalationLevel, Supervision, Urgency,
};
use entities::{case_step, department};
use policies::{Action, AreaCode, Object};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, DatabaseTransaction, EntityTrait};
use serde_json::{Value, json};

use super::links::{self, Links};
use super::machine::{Effect, Need, TRANSITIONS, Transition, transition};
use super::photos::{self, Photo};
use super::{CaseScope, clock, duty_of};
use crate::domain::access::Access;
use crate::domain::departments::{department_of, duties_of};
use crate::domain::writes::fields::{optional_phone, optional_text, text};
use crate::domain::writes::{PlaceFields, Writer, save};
use crate::error::{ApiError, ApiResult};

/// A problem found in a grid.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub title: String,
    pub description: String,
    pub grid_code: String,
    pub location: String,
    pub longitude: Option<f64>,
    pub latitude: Option<f64>,
    /// Who reported it when not the caller: a citizen, the hotline.
    pub source: Option<CaseSource>,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    pub urgency: Option<Urgency>,
    /// What it is about, and the parties of a dispute.
    pub links: Links,
    /// Photos taken on site, already in the photo store.
    pub photos: Vec<Photo>,
}

/// What a move carries; each transition reads the parts its row in the
/// table names.
#[derive(Debug, Clone, Default)]
pub struct Move {
    pub note: Option<String>,
    pub evidence: Vec<String>,
    pub category_code: Option<String>,
    pub urgency: Option<Urgency>,
    pub department_id: Option<i64>,
    pub deadline_at: Option<DateTime<Utc>>,
    pub satisfaction: Option<i32>,
    pub card: Option<Supervision>,
    /// For `describe`.
    pub links: Links,
    /// Photos sent with the move: evidence as good as a URL.
    pub photos: Vec<Photo>,
}

fn evidence(urls: &[String]) -> ApiResult<Vec<String>> {
    if urls.len() > 20 {
        return Err(ApiError::bad_input("evidence", "at most 20 URLs"));
    }
    urls.iter()
        .map(|url| {
            let url = url.trim();
            let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
            if !scheme_ok || url.len() > 500 || url.chars().any(char::is_whitespace) {
                return Err(ApiError::bad_input(
                    "evidence",
                    "each entry is an http(s) URL of at most 500 characters",
                ));
            }
            Ok(url.to_owned())
        })
        .collect()
}

/// A timeline entry about to be written.
struct Step<'a> {
    name: &'a str,
    from: Option<CaseState>,
    department_id: Option<i64>,
    note: Option<String>,
    evidence: &'a [String],
    /// What the step named the case to be about, for the audit log.
    named: Option<&'a Links>,
}

/// Writes `row`'s timeline entry and audit row, inside the move's
/// transaction.
async fn record(
    w: &Writer<'_>,
    txn: &DatabaseTransaction,
    row: &case::Model,
    Step {
        name,
        from,
        department_id,
        note,
        evidence,
        named,
    }: Step<'_>,
) -> ApiResult<i64> {
    let step = case_step::ActiveModel {
        id: NotSet,
        case_id: Set(row.id),
        action: Set(name.to_owned()),
        from_state: Set(from),
        to_state: Set(row.state),
        actor_user_id: Set(w.caller.user_id),
        actor_token_id: Set(w.caller.token_id),
        actor_name: Set(w.caller.name.chars().take(64).collect()),
        department_id: Set(department_id),
        note: Set(note),
        evidence: Set(json!(evidence)),
        at: Set(row.updated_at),
    }
    .insert(txn)
    .await?;
    w.audit(
        txn,
        &format!("case.{name}"),
        "case",
        row.id,
        &row.grid_code,
        json!({"from": from.map(|s| format!("{s:?}")), "to": format!("{:?}", row.state),
            "named": named.filter(|links| !links.is_empty()).map(Links::summary)}),
    )
    .await?;
    Ok(step.id)
}

/// Files a new case in REPORTED, with its first timeline entry.
/// Where a report by someone of no department comes from when the reporter
/// does not say: a grid worker's rounds, or otherwise other staff.
async fn reporting_as<C: sea_orm::ConnectionTrait>(
    db: &C,
    caller: &crate::caller::Caller,
) -> ApiResult<CaseSource> {
    let kind = match caller.user_id {
        Some(id) => entities::user::Entity::find_by_id(id)
            .one(db)
            .await?
            .map(|user| user.kind),
        None => None,
    };
    Ok(match kind {
        Some(entities::user::UserKind::GridWorker) => CaseSource::GridWorker,
        _ => CaseSource::Staff,
    })
}

pub async fn report(access: &Access, report: Report) -> ApiResult<case::Model> {
    let w = &access.writer()?;
    let txn = w.begin().await?;
    let row = report_in(access, w, &txn, report).await?;
    txn.commit().await?;
    Ok(row)
}

/// Files `report` inside a transaction the caller commits: a case opened
/// together with what it came from (a comparison's finding).
pub async fn report_in(
    access: &Access,
    w: &Writer<'_>,
    txn: &DatabaseTransaction,
    report: Report,
) -> ApiResult<case::Model> {
    let title = text("title", &report.title, 128)?;
    let description = text("description", &report.description, 4000)?;
    let location = text("location", &report.location, 255)?;
    let reporter_name = optional_text("reporterName", report.reporter_name.as_deref(), 64)?;
    let reporter_phone = optional_phone("reporterPhone", report.reporter_phone.as_deref())?;
    for (field, value, limit) in [
        ("longitude", report.longitude, 180.0),
        ("latitude", report.latitude, 90.0),
    ] {
        if value.is_some_and(|v| !(-limit..=limit).contains(&v)) {
            return Err(ApiError::bad_input(
                field,
                format!("between -{limit} and {limit}"),
            ));
        }
    }
    let grid = w
        .place(txn, Some(&report.grid_code), None, PlaceFields::INPUT)
        .await?
        .grid_code;
    w.require(&grid, Object::Case, Action::Report)?;
    let department = department_of(txn, w.caller).await?;
    let source = match (report.source, department) {
        (Some(source), _) => source,
        (None, Some(_)) => CaseSource::Department,
        (None, None) => reporting_as(txn, w.caller).await?,
    };
    let now = Utc::now();
    let row = case::ActiveModel {
        id: NotSet,
        // Replaced below by the number made from the id.
        number: Set(format!(
            "new-{}",
            now.timestamp_nanos_opt().unwrap_or_default()
        )),
        title: Set(title),
        description: Set(description),
        state: Set(CaseState::Reported),
        source: Set(source),
        category_code: Set(None),
        urgency: Set(report.urgency.unwrap_or(Urgency::Normal)),
        grid_code: Set(grid),
        location: Set(location),
        longitude: Set(report.longitude),
        latitude: Set(report.latitude),
        reporter_id: Set(w.caller.user_id),
        reporter_name: Set(reporter_name),
        reporter_phone: Set(reporter_phone),
        department_id: Set(None),
        filed_at: Set(None),
        deadline_at: Set(None),
        yellow_at: Set(None),
        pending_request: Set(None),
        requested_deadline_at: Set(None),
        suspended_at: Set(None),
        closed_at: Set(None),
        rework_count: Set(0),
        extension_count: Set(0),
        escalated: Set(false),
        escalated_to: Set(None),
        escalated_at: Set(None),
        supervision: Set(Supervision::None),
        urgent_mark: Set(false),
        satisfaction: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await?;
    let row = case::ActiveModel {
        id: Set(row.id),
        number: Set(format!("AJ{}{:07}", now.format("%Y%m%d"), row.id)),
        ..Default::default()
    }
    .update(txn)
    .await?;
    links::add(access, txn, &row, &report.links).await?;
    let first = Step {
        name: "report",
        from: None,
        department_id: department,
        note: None,
        evidence: &[],
        named: Some(&report.links),
    };
    let step = record(w, txn, &row, first).await?;
    photos::attach(access, txn, &row, (step, "report"), &report.photos).await?;
    Ok(row)
}

/// The names of the transitions, for an error that lists them.
fn known() -> String {
    TRANSITIONS
        .iter()
        .map(|t| t.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Takes transition `name` on case `id` as read at `version`.
pub async fn take(
    access: &Access,
    id: i64,
    version: i32,
    name: &str,
    input: Move,
) -> ApiResult<case::Model> {
    let w = &access.writer()?;
    let scope = CaseScope::of(access).await?;
    let transition = transition(name)
        .ok_or_else(|| ApiError::bad_input("transition", format!("unknown; one of {}", known())))?;
    // Read before the transaction: it holds one connection of the pool,
    // and a read through the pool inside it would wait for a second.
    let acting_for = acting_for(access).await?;
    let txn = w.begin().await?;
    let current = case::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ApiError::not_found("case", "id"))?;
    let duty = duty_of(&txn, &current).await?;
    if !scope.admits(&current, duty.as_deref()) {
        return Err(ApiError::not_found("case", "id"));
    }
    if current.version != version {
        return Err(ApiError::conflict(format!(
            "this case was moved since you read it (you sent version {version}, it is at {}); \
             read it again",
            current.version
        )));
    }
    // The move itself is checked by Casbin; the list of moves on offer
    // reads the same rule off the compiled scopes.
    let may = |area: &str, action| w.may(area, Object::Case, action);
    admissible(&may, transition, &current, acting_for)?;

    let now = Utc::now();
    let note = match optional_text("note", input.note.as_deref(), 2000)? {
        None if transition.needs(Need::Note) => {
            return Err(ApiError::required("note", "required for this step"));
        }
        note => note,
    };
    let evidence = evidence(&input.evidence)?;
    if transition.needs(Need::Evidence) && evidence.is_empty() && input.photos.is_empty() {
        return Err(ApiError::required(
            "evidence",
            "at least one photo or document URL",
        ));
    }
    if transition.effect != Effect::Describe && !input.links.is_empty() {
        return Err(ApiError::bad_input(
            "about",
            "only DESCRIBE names what a case is about or its parties",
        ));
    }
    if transition.needs(Need::Links) && input.links.is_empty() {
        return Err(ApiError::required(
            "about",
            "name what the case is about, or a party",
        ));
    }
    let mut changes = effect(&txn, transition, &current, &input, now).await?;
    changes.state = Set(transition.target(current.state));
    let row = save::<case::Entity>(&txn, id, version, changes).await?;
    if transition.effect == Effect::Describe {
        links::add(access, &txn, &row, &input.links).await?;
    }
    let department = if transition.by_department {
        current.department_id
    } else {
        acting_for
    };
    let entry = Step {
        name,
        from: Some(current.state),
        department_id: department,
        note,
        evidence: &evidence,
        named: Some(&input.links),
    };
    let step = record(w, &txn, &row, entry).await?;
    photos::attach(access, &txn, &row, (step, name), &input.photos).await?;
    txn.commit().await?;
    Ok(row)
}

/// The department the caller acts for, looked up once per access.
struct ActingFor(Option<i64>);

async fn acting_for(access: &Access) -> ApiResult<Option<i64>> {
    let caller = access.caller()?;
    let known = access
        .remember(|| async { Ok(ActingFor(department_of(access.db(), caller).await?)) })
        .await?;
    Ok(known.0)
}

/// Whether the caller may take `transition` on `current` as it stands,
/// inputs aside: the one rule that both a move and the list of moves on
/// offer follow. `may` answers whether the caller holds an action on cases
/// in an area (the case's grid, or where an escalated case stands).
fn admissible(
    may: &dyn Fn(&str, Action) -> ApiResult<bool>,
    transition: &Transition,
    current: &case::Model,
    acting_for: Option<i64>,
) -> ApiResult<()> {
    if !transition.from.contains(&current.state) {
        return Err(ApiError::InvalidState(format!(
            "a case in state {:?} cannot take `{}`",
            current.state, transition.name
        )));
    }
    if !may(&current.grid_code, transition.action)? {
        return Err(ApiError::forbidden(Object::Case, transition.action));
    }
    if matches!(transition.effect, Effect::Escalate) {
        // A case goes up one level at a time, each time by someone who
        // supervises the level it stands at.
        if current.escalated_to == Some(EscalationLevel::City) {
            return Err(ApiError::InvalidState(
                "the case is already escalated to the city".to_owned(),
            ));
        }
        if let Some(standing) = super::escalated_to_code(current)
            && !may(standing, transition.action)?
        {
            return Err(ApiError::Forbidden(
                "not allowed: the case stands above your level; who supervises there escalates it \
                 further"
                    .to_owned(),
            ));
        }
    }
    if transition.by_department
        && let Some(department) = acting_for
        && Some(department) != current.department_id
    {
        return Err(ApiError::Forbidden(
            "not allowed: this case is in the hands of another department".to_owned(),
        ));
    }
    check_pending(transition, current)
}

/// The moves the caller may make on `current` now (each still needs its
/// inputs), in the table's order: the rule `take` follows, read off the
/// request's compiled scopes rather than a Casbin call per case.
pub async fn available(
    access: &Access,
    current: &case::Model,
) -> ApiResult<Vec<&'static Transition>> {
    let acting_for = acting_for(access).await?;
    let may = |area: &str, action| Ok(access.may_in(area, Object::Case, action));
    Ok(TRANSITIONS
        .iter()
        .filter(|transition| admissible(&may, transition, current, acting_for).is_ok())
        .collect())
}

fn check_pending(transition: &Transition, current: &case::Model) -> ApiResult<()> {
    let pending = current.pending_request;
    match (transition.effect, transition.pending) {
        (_, Some(wanted)) if pending != Some(wanted) => Err(ApiError::InvalidState(format!(
            "no {} request is pending",
            request_name(wanted)
        ))),
        (Effect::Request(_), _) if pending.is_some() => Err(ApiError::InvalidState(
            "a request is already pending".to_owned(),
        )),
        (Effect::Refuse, _) if pending.is_none() => {
            Err(ApiError::InvalidState("no request is pending".to_owned()))
        }
        _ => Ok(()),
    }
}

fn request_name(request: CaseRequest) -> &'static str {
    match request {
        CaseRequest::Extension => "extension",
        CaseRequest::Suspension => "suspension",
    }
}

/// The changes a transition's effect makes to the case.
async fn effect(
    txn: &DatabaseTransaction,
    transition: &Transition,
    current: &case::Model,
    input: &Move,
    now: DateTime<Utc>,
) -> ApiResult<case::ActiveModel> {
    let mut changes = <case::ActiveModel as Default>::default();
    match transition.effect {
        Effect::None | Effect::Describe => {}
        Effect::File => {
            let category = input
                .category_code
                .as_deref()
                .ok_or_else(|| ApiError::required("categoryCode", "required to file"))?;
            let urgency = input.urgency.unwrap_or(current.urgency);
            let (category, started) = clock::start(txn, category, urgency, now).await?;
            changes.category_code = Set(Some(category.code));
            changes.urgency = Set(urgency);
            changes.filed_at = Set(Some(now));
            changes.deadline_at = Set(Some(started.deadline_at));
            changes.yellow_at = Set(Some(started.yellow_at));
        }
        Effect::Dispatch => {
            let department = input
                .department_id
                .ok_or_else(|| ApiError::required("departmentId", "required to dispatch"))?;
            let department = answerable(txn, current, department).await?;
            changes.department_id = Set(Some(department.id));
        }
        Effect::SendBack => changes.department_id = Set(None),
        Effect::Request(request) => {
            if request == CaseRequest::Extension {
                let wanted = input.deadline_at.ok_or_else(|| {
                    ApiError::required("deadlineAt", "required to ask for an extension")
                })?;
                if current
                    .deadline_at
                    .is_some_and(|deadline| wanted <= deadline)
                    || wanted <= now
                {
                    return Err(ApiError::bad_input(
                        "deadlineAt",
                        "must be later than the current deadline and than now",
                    ));
                }
                changes.requested_deadline_at = Set(Some(wanted));
            }
            changes.pending_request = Set(Some(request));
        }
        Effect::Grant(CaseRequest::Extension) => {
            let calendar = clock::calendar(txn).await?;
            let counting = clock::counting_of(txn, current).await?;
            let deadline = current.requested_deadline_at.unwrap_or(now);
            let filed = current.filed_at.unwrap_or(now);
            changes.deadline_at = Set(Some(deadline));
            changes.yellow_at = Set(Some(calendar.share_counted(
                counting,
                filed,
                deadline,
                clock::YELLOW_PERCENT,
            )));
            changes.extension_count = Set(current.extension_count + 1);
            changes.pending_request = Set(None);
            changes.requested_deadline_at = Set(None);
        }
        Effect::Grant(CaseRequest::Suspension) => {
            changes.suspended_at = Set(Some(now));
            changes.pending_request = Set(None);
        }
        Effect::Refuse => {
            changes.pending_request = Set(None);
            changes.requested_deadline_at = Set(None);
        }
        Effect::Resume => {
            // The time left when the clock stopped is what is left now.
            let calendar = clock::calendar(txn).await?;
            let counting = clock::counting_of(txn, current).await?;
            let stopped = current.suspended_at.unwrap_or(now);
            let shift = |at: Option<DateTime<Utc>>| {
                at.map(|at| calendar.resumed(counting, stopped, now, at))
            };
            changes.deadline_at = Set(shift(current.deadline_at));
            changes.yellow_at = Set(shift(current.yellow_at));
            changes.suspended_at = Set(None);
        }
        Effect::Rework => changes.rework_count = Set(current.rework_count + 1),
        Effect::Close => changes.closed_at = Set(Some(now)),
        Effect::Evaluate => {
            let score = input
                .satisfaction
                .ok_or_else(|| ApiError::required("satisfaction", "required to evaluate"))?;
            if !(1..=5).contains(&score) {
                return Err(ApiError::bad_input("satisfaction", "from 1 to 5"));
            }
            changes.satisfaction = Set(Some(score));
        }
        Effect::Escalate => {
            let next = match current.escalated_to {
                None => EscalationLevel::Street,
                Some(EscalationLevel::Street) => EscalationLevel::District,
                Some(EscalationLevel::District) => EscalationLevel::City,
                // Refused as the move is weighed (`admissible`).
                Some(EscalationLevel::City) => EscalationLevel::City,
            };
            changes.escalated = Set(true);
            changes.escalated_to = Set(Some(next));
            changes.escalated_at = Set(Some(now));
        }
        Effect::Supervise => {
            let card = match input.card {
                None => return Err(ApiError::required("card", "a yellow or red card")),
                Some(Supervision::None) => {
                    return Err(ApiError::bad_input("card", "a yellow or red card"));
                }
                Some(card) => card,
            };
            changes.supervision = Set(card);
        }
        Effect::MarkUrgent => changes.urgent_mark = Set(true),
    }
    Ok(changes)
}

/// The department a case may be dispatched to: one whose duties include the
/// case's category and whose jurisdiction contains its grid.
async fn answerable(
    txn: &DatabaseTransaction,
    current: &case::Model,
    department_id: i64,
) -> ApiResult<department::Model> {
    let bad = |message: &str| ApiError::bad_input("departmentId", message);
    let department = department::Entity::find_by_id(department_id)
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::missing("departmentId", "no such department"))?;
    let duty = duty_of(txn, current).await?;
    if !duty.is_some_and(|duty| duties_of(&department).contains(&duty)) {
        return Err(bad("the department does not answer for this category"));
    }
    let inside = AreaCode::parse(&department.jurisdiction_code)
        .is_ok_and(|area| area.contains_raw(&current.grid_code));
    if !inside {
        return Err(bad(
            "the case's grid is outside the department's jurisdiction",
        ));
    }
    Ok(department)
}

/// What the timeline shows for a step's evidence.
pub fn evidence_urls(step: &case_step::Model) -> Vec<String> {
    match &step.evidence {
        Value::Array(urls) => urls
            .iter()
            .filter_map(|url| url.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}
