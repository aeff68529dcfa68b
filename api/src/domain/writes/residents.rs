//! Changes to the population record: registering a resident or a birth,
//! correcting a record, moving house. Moving away and death are
//! `transfers`'.

use chrono::{Duration, NaiveDate, Utc};
use entities::finding::{self, FindingState};
use entities::household;
use entities::resident::{
    self, CareFlag, DocumentType, HeadRelation, PopulationType, ResidenceReason, ResidentStatus,
    Sex, Verification,
};
use entities::resident_review::ReviewAction;
use policies::{Action, Object};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use serde_json::json;

use super::fields::{optional_phone, optional_text, text};
use super::residence::{self, Residence};
use super::{Patch, PlaceFields, Writer, duplicate, save};
use crate::domain::access::Access;
use crate::domain::documents::{self, CHINA, Claim, Identity, carries_identity};
use crate::error::{ApiError, ApiResult};

const DEFAULT_ETHNICITY: &str = "汉族";
const DUPLICATE: &str = "a resident with this ID number is already registered: if they moved \
                         here, their old grid records the move out and you take them in from \
                         `arrivals`";

/// A person to add to the record.
#[derive(Debug, Clone, Default)]
pub struct Arrival {
    /// The number of the document in `document_type`.
    pub id_number: String,
    /// A resident ID card when not given.
    pub document_type: Option<DocumentType>,
    /// Chinese when not given and the document says so.
    pub nationality: Option<String>,
    pub name: String,
    /// Must agree with a document that gives it; required with one that
    /// does not.
    pub sex: Option<Sex>,
    /// Must agree with a document that gives it; required with one that
    /// does not.
    pub birth_date: Option<NaiveDate>,
    /// 汉族 for a Chinese citizen when not given; none for anyone else.
    pub ethnicity: Option<String>,
    pub phone: Option<String>,
    pub population_type: Option<PopulationType>,
    pub grid_code: Option<String>,
    pub dwelling_id: Option<i64>,
    pub household_id: Option<i64>,
    pub relation_to_head: Option<HeadRelation>,
    pub care_flags: Vec<CareFlag>,
    pub note: Option<String>,
    pub hukou_place: Option<String>,
    pub arrived_on: Option<NaiveDate>,
    pub residence_reason: Option<ResidenceReason>,
    pub permit_expires_on: Option<NaiveDate>,
}

/// Why a person enters the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// Someone living in the grid, recorded by the worker.
    Registration,
    /// A child born into a household: registered there, living where the
    /// household lives.
    Birth,
}

impl Entry {
    fn audit_action(self) -> &'static str {
        match self {
            Entry::Registration => "resident.register",
            Entry::Birth => "resident.birth",
        }
    }
}

/// A birth is recorded within this many days; anyone older is registered.
const BIRTH_WINDOW_DAYS: i64 = 366;

fn care_bits(flags: &[CareFlag]) -> i32 {
    flags.iter().fold(0, |bits, flag| bits | flag.bit())
}

async fn refuse_duplicate(
    txn: &DatabaseTransaction,
    id_number: &str,
    except: Option<i64>,
) -> ApiResult<()> {
    let mut query = resident::Entity::find().filter(resident::Column::IdNumber.eq(id_number));
    if let Some(except) = except {
        query = query.filter(resident::Column::Id.ne(except));
    }
    if query.one(txn).await?.is_some() {
        return Err(ApiError::taken("idNumber", DUPLICATE));
    }
    Ok(())
}

/// Adds a person to the record.
pub async fn register(
    access: &Access,
    arrival: Arrival,
    entry: Entry,
) -> ApiResult<resident::Model> {
    let w = &access.writer()?;
    let today = Utc::now().date_naive();
    let id = documents::identify(
        Claim {
            kind: arrival
                .document_type
                .unwrap_or(DocumentType::ResidentIdCard),
            number: &arrival.id_number,
            nationality: arrival.nationality.as_deref(),
            sex: arrival.sex,
            birth_date: arrival.birth_date,
        },
        today,
    )?;
    if entry == Entry::Birth && id.kind != DocumentType::ResidentIdCard {
        return Err(ApiError::bad_input(
            "documentType",
            "a child born here is recorded by their resident ID number",
        ));
    }
    if entry == Entry::Birth && today - id.birth_date > Duration::days(BIRTH_WINDOW_DAYS) {
        return Err(ApiError::bad_input(
            "idNumber",
            "born more than a year ago: register the child instead of recording a birth",
        ));
    }
    let name = text("name", &arrival.name, 64)?;
    let ethnicity = optional_text("ethnicity", arrival.ethnicity.as_deref(), 16)?
        .or_else(|| (id.nationality == CHINA).then(|| DEFAULT_ETHNICITY.to_owned()));
    let phone = optional_phone("phone", arrival.phone.as_deref())?;
    let note = optional_text("note", arrival.note.as_deref(), 2000)?;
    let hukou_place = optional_text("hukouPlace", arrival.hukou_place.as_deref(), 100)?;

    let txn = w.begin().await?;
    let household = match arrival.household_id {
        Some(id) => Some(
            w.reference::<household::Entity>(&txn, "householdId", id)
                .await?,
        ),
        None if entry == Entry::Birth => {
            return Err(ApiError::required(
                "householdId",
                "a birth is recorded into a household",
            ));
        }
        None => None,
    };
    let place = match (entry, &household) {
        // A newborn lives where the household lives.
        (Entry::Birth, Some(household)) => {
            w.place(
                &txn,
                Some(&household.grid_code),
                household.dwelling_id.or(arrival.dwelling_id),
                PlaceFields {
                    grid: "householdId",
                    dwelling: "householdId",
                },
            )
            .await?
        }
        _ => {
            w.place(
                &txn,
                arrival.grid_code.as_deref(),
                arrival.dwelling_id,
                PlaceFields::INPUT,
            )
            .await?
        }
    };
    w.require(&place.grid_code, Object::Resident, Action::Write)?;
    if !arrival.care_flags.is_empty() {
        w.require(&place.grid_code, Object::ResidentCareFlags, Action::Read)?;
    }
    let relation = match &household {
        Some(household) => Some(join_household(
            w,
            household,
            arrival.relation_to_head,
            entry,
        )?),
        None if arrival.relation_to_head.is_some() => {
            return Err(ApiError::bad_input(
                "relationToHead",
                "only with a household",
            ));
        }
        None => None,
    };
    refuse_duplicate(&txn, &id.number, None).await?;

    let now = Utc::now();
    let population_type = match entry {
        Entry::Birth => PopulationType::Registered,
        Entry::Registration => arrival
            .population_type
            .ok_or_else(|| ApiError::required("populationType", "required"))?,
    };
    residence::check(
        &Residence {
            population_type,
            document: id.kind,
            nationality: &id.nationality,
            ethnicity: ethnicity.as_deref(),
            hukou_place: hukou_place.as_deref(),
            arrived_on: arrival.arrived_on,
            reason: arrival.residence_reason,
            permit_expires_on: arrival.permit_expires_on,
            birth_date: id.birth_date,
        },
        today,
    )?;
    let id_hash = w.match_key.of(&id.number);
    let row = resident::ActiveModel {
        id: NotSet,
        id_number: Set(id.number),
        document_type: Set(id.kind),
        nationality: Set(id.nationality),
        name: Set(name),
        sex: Set(id.sex),
        birth_date: Set(id.birth_date),
        ethnicity: Set(ethnicity.unwrap_or_default()),
        phone: Set(phone),
        population_type: Set(population_type),
        grid_code: Set(place.grid_code.clone()),
        household_id: Set(household.as_ref().map(|h| h.id)),
        relation_to_head: Set(relation),
        dwelling_id: Set(place.dwelling_id),
        status: Set(ResidentStatus::Active),
        status_date: Set(None),
        care_flags: Set(care_bits(&arrival.care_flags)),
        verification: Set(Verification::Pending),
        return_reason: Set(None),
        id_hash: Set(Some(id_hash)),
        note: Set(note),
        hukou_place: Set(hukou_place),
        arrived_on: Set(arrival.arrived_on),
        residence_reason: Set(arrival.residence_reason),
        permit_expires_on: Set(arrival.permit_expires_on),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(ApiError::from)
    .map_err(duplicate("idNumber", DUPLICATE))?;

    if let Some(household) = household
        && relation == Some(HeadRelation::Head)
    {
        let changes = household::ActiveModel {
            head_resident_id: Set(Some(row.id)),
            ..Default::default()
        };
        save::<household::Entity>(&txn, household.id, household.version, changes)
            .await
            .map_err(|err| err.conflict_on("householdId", "household"))?;
    }
    w.audit(
        &txn,
        entry.audit_action(),
        "resident",
        row.id,
        &row.grid_code,
        json!({
            "household": row.household_id,
            "dwelling": row.dwelling_id,
            "population_type": format!("{:?}", row.population_type),
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// The relation a newcomer takes in `household`; only a household without
/// a head takes a new head this way.
pub(super) fn join_household(
    w: &Writer<'_>,
    household: &household::Model,
    relation: Option<HeadRelation>,
    entry: Entry,
) -> ApiResult<HeadRelation> {
    w.require(&household.grid_code, Object::Household, Action::Write)?;
    let relation = match (relation, entry) {
        (Some(relation), _) => relation,
        (None, Entry::Birth) => HeadRelation::Child,
        (None, Entry::Registration) => {
            return Err(ApiError::required(
                "relationToHead",
                "required with a household",
            ));
        }
    };
    if relation == HeadRelation::Head && household.head_resident_id.is_some() {
        return Err(ApiError::bad_input(
            "relationToHead",
            "the household has a head; change the head on the household",
        ));
    }
    Ok(relation)
}

/// Corrections to a resident's record; absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct Correction {
    /// A corrected document (its number, kind or nationality): checked like
    /// a new one, and the record goes back to the police for comparison.
    pub id_number: Option<String>,
    pub document_type: Option<DocumentType>,
    pub nationality: Option<String>,
    /// Only with a document that does not give them.
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub name: Option<String>,
    pub ethnicity: Option<String>,
    pub hukou_place: Patch<String>,
    pub arrived_on: Patch<NaiveDate>,
    pub residence_reason: Patch<ResidenceReason>,
    pub permit_expires_on: Patch<NaiveDate>,
    pub phone: Patch<String>,
    pub population_type: Option<PopulationType>,
    pub care_flags: Option<Vec<CareFlag>>,
    pub note: Patch<String>,
    /// Joining another household (with `relation_to_head`) or leaving one.
    pub household_id: Patch<i64>,
    pub relation_to_head: Option<HeadRelation>,
}

/// Applies `correction` to resident `id` as read at `version`.
pub async fn correct(
    access: &Access,
    id: i64,
    version: i32,
    correction: Correction,
) -> ApiResult<resident::Model> {
    let w = &access.writer()?;
    let txn = w.begin().await?;
    let current = w.load::<resident::Entity>(&txn, id, version).await?;
    let mut changes = <resident::ActiveModel as Default>::default();
    let mut changed: Vec<&str> = Vec::new();

    let today = Utc::now().date_naive();
    // The papers are checked when a correction touches them: a record
    // kept before a rule existed still takes a new phone number.
    let touches_papers = correction.id_number.is_some()
        || correction.document_type.is_some()
        || correction.nationality.is_some()
        || correction.sex.is_some()
        || correction.birth_date.is_some();
    let identity = if touches_papers {
        corrected_identity(&current, &correction, today)?
    } else {
        Identity {
            kind: current.document_type,
            number: current.id_number.clone(),
            nationality: current.nationality.clone(),
            sex: current.sex,
            birth_date: current.birth_date,
        }
    };
    if identity.number != current.id_number {
        refuse_duplicate(&txn, &identity.number, Some(id)).await?;
        changes.id_hash = Set(Some(w.match_key.of(&identity.number)));
    }
    for (field, differs) in [
        ("id_number", identity.number != current.id_number),
        ("document_type", identity.kind != current.document_type),
        ("nationality", identity.nationality != current.nationality),
        ("sex", identity.sex != current.sex),
        ("birth_date", identity.birth_date != current.birth_date),
    ] {
        if differs {
            changed.push(field);
        }
    }
    let mut compared_changed = !changed.is_empty();
    if let Some(name) = &correction.name {
        let name = text("name", name, 64)?;
        compared_changed |= name != current.name;
        changes.name = Set(name);
        changed.push("name");
    }
    // The registry comparison was of the old name or papers: a signed-off
    // record goes back to the police. A returned one stays returned, with
    // its reason, until its keeper resubmits it.
    let recompare = compared_changed && current.verification == Verification::SignedOff;
    if recompare {
        changes.verification = Set(Verification::Pending);
    }
    // An ethnicity is a Chinese citizen's: it goes with a change of
    // nationality, and a new citizen must be given one.
    let ethnicity = match &correction.ethnicity {
        Some(ethnicity) => Some(text("ethnicity", ethnicity, 16)?),
        None if identity.nationality != CHINA => None,
        None => Some(current.ethnicity.clone()).filter(|ethnicity| !ethnicity.is_empty()),
    };
    if ethnicity.as_deref().unwrap_or_default() != current.ethnicity {
        changed.push("ethnicity");
    }
    let hukou_place = correction
        .hukou_place
        .checked(|place| optional_text("hukouPlace", Some(place), 100))?;
    let population_type = correction
        .population_type
        .unwrap_or(current.population_type);
    let residence = Residence {
        population_type,
        document: identity.kind,
        nationality: &identity.nationality,
        ethnicity: ethnicity.as_deref(),
        hukou_place: hukou_place
            .as_ref()
            .map_or(current.hukou_place.as_deref(), Option::as_deref),
        arrived_on: correction.arrived_on.or_current(current.arrived_on),
        reason: correction
            .residence_reason
            .or_current(current.residence_reason),
        permit_expires_on: correction
            .permit_expires_on
            .or_current(current.permit_expires_on),
        birth_date: identity.birth_date,
    };
    residence::check(&residence, today)?;
    for (field, differs) in [
        (
            "hukou_place",
            residence.hukou_place != current.hukou_place.as_deref(),
        ),
        ("arrived_on", residence.arrived_on != current.arrived_on),
        (
            "residence_reason",
            residence.reason != current.residence_reason,
        ),
        (
            "permit_expires_on",
            residence.permit_expires_on != current.permit_expires_on,
        ),
    ] {
        if differs {
            changed.push(field);
        }
    }
    changes.hukou_place = Set(residence.hukou_place.map(str::to_owned));
    changes.arrived_on = Set(residence.arrived_on);
    changes.residence_reason = Set(residence.reason);
    changes.permit_expires_on = Set(residence.permit_expires_on);
    changes.ethnicity = Set(ethnicity.unwrap_or_default());
    changes.id_number = Set(identity.number);
    changes.document_type = Set(identity.kind);
    changes.nationality = Set(identity.nationality);
    changes.sex = Set(identity.sex);
    changes.birth_date = Set(identity.birth_date);
    if let Some(phone) = correction
        .phone
        .checked(|phone| optional_phone("phone", Some(phone)))?
    {
        changes.phone = Set(phone);
        changed.push("phone");
    }
    if population_type != current.population_type {
        changes.population_type = Set(population_type);
        changed.push("population_type");
    }
    if let Some(flags) = &correction.care_flags {
        w.require(&current.grid_code, Object::ResidentCareFlags, Action::Read)?;
        changes.care_flags = Set(care_bits(flags));
        changed.push("care_flags");
    }
    if let Some(note) = correction
        .note
        .checked(|note| optional_text("note", Some(note), 2000))?
    {
        changes.note = Set(note);
        changed.push("note");
    }
    rehouse(w, &txn, &current, &correction, &mut changes, &mut changed).await?;
    if changed.is_empty() {
        return Err(ApiError::nothing_to_change());
    }

    let row = save::<resident::Entity>(&txn, id, version, changes)
        .await
        .map_err(duplicate("idNumber", DUPLICATE))?;
    w.audit(
        &txn,
        "resident.update",
        "resident",
        id,
        &row.grid_code,
        json!({ "fields": changed }),
    )
    .await?;
    if recompare {
        super::reviews::record(w, &txn, &row, ReviewAction::Corrected, None).await?;
    }
    txn.commit().await?;
    Ok(row)
}

/// The resident's papers after `correction`: what it sends over what the
/// record holds, checked as a whole. A document that gives sex and birth
/// date gives them; a Chinese citizen's document takes no other
/// nationality, so the record's is not carried over to one.
fn corrected_identity(
    current: &resident::Model,
    correction: &Correction,
    today: NaiveDate,
) -> ApiResult<Identity> {
    let kind = correction.document_type.unwrap_or(current.document_type);
    let carries = carries_identity(kind);
    let foreigners = matches!(
        kind,
        DocumentType::ForeignPermanentId | DocumentType::Passport
    );
    if correction.id_number.is_none() && kind != current.document_type {
        return Err(ApiError::required(
            "idNumber",
            "a new kind of document comes with its number",
        ));
    }
    documents::identify(
        Claim {
            kind,
            number: correction
                .id_number
                .as_deref()
                .unwrap_or(&current.id_number),
            nationality: correction
                .nationality
                .as_deref()
                .or(foreigners.then_some(current.nationality.as_str())),
            sex: correction.sex.or((!carries).then_some(current.sex)),
            birth_date: correction
                .birth_date
                .or((!carries).then_some(current.birth_date)),
        },
        today,
    )
}

/// The household part of a correction. The head of a household changes on
/// the household, never here, so that a household has one head at a time.
async fn rehouse(
    w: &Writer<'_>,
    txn: &DatabaseTransaction,
    current: &resident::Model,
    correction: &Correction,
    changes: &mut resident::ActiveModel,
    changed: &mut Vec<&str>,
) -> ApiResult<()> {
    let is_head = current.relation_to_head == Some(HeadRelation::Head);
    if correction.relation_to_head == Some(HeadRelation::Head) {
        return Err(ApiError::bad_input(
            "relationToHead",
            "the head changes on the household (updateHousehold)",
        ));
    }
    let moving = match correction.household_id {
        Patch::Keep => None,
        Patch::Clear => Some(None),
        Patch::Set(household) if Some(household) == current.household_id => None,
        Patch::Set(household) => Some(Some(household)),
    };
    match moving {
        None => {
            if let Some(relation) = correction.relation_to_head {
                if current.household_id.is_none() {
                    return Err(ApiError::bad_input(
                        "relationToHead",
                        "only with a household",
                    ));
                }
                if is_head {
                    return Err(ApiError::bad_input(
                        "relationToHead",
                        "the head changes on the household (updateHousehold)",
                    ));
                }
                changes.relation_to_head = Set(Some(relation));
                changed.push("relation_to_head");
            }
        }
        Some(target) => {
            if let Some(old) = current.household_id {
                leave_household(w, txn, current, old).await?;
            }
            match target {
                None => {
                    changes.household_id = Set(None);
                    changes.relation_to_head = Set(None);
                }
                Some(target) => {
                    let household = w
                        .reference::<household::Entity>(txn, "householdId", target)
                        .await?;
                    let relation = join_household(
                        w,
                        &household,
                        correction.relation_to_head,
                        Entry::Registration,
                    )?;
                    changes.household_id = Set(Some(household.id));
                    changes.relation_to_head = Set(Some(relation));
                }
            }
            changed.push("household");
        }
    }
    Ok(())
}

/// Takes `resident` out of household `household_id`. A head may leave only
/// as its last active member, and then the household has no head.
async fn leave_household(
    w: &Writer<'_>,
    txn: &DatabaseTransaction,
    resident: &resident::Model,
    household_id: i64,
) -> ApiResult<()> {
    let Some(household) = household::Entity::find_by_id(household_id).one(txn).await? else {
        return Ok(());
    };
    w.require(&household.grid_code, Object::Household, Action::Write)?;
    if household.head_resident_id != Some(resident.id) {
        return Ok(());
    }
    refuse_headless(txn, &household, resident.id).await?;
    let changes = household::ActiveModel {
        head_resident_id: Set(None),
        ..Default::default()
    };
    save::<household::Entity>(txn, household.id, household.version, changes)
        .await
        .map_err(|err| err.conflict_on("householdId", "household"))?;
    Ok(())
}

/// INVALID_STATE when the head of `household` would go while other active
/// members stay: they would be left without a head.
pub(super) async fn refuse_headless(
    txn: &DatabaseTransaction,
    household: &household::Model,
    head_id: i64,
) -> ApiResult<()> {
    let others = resident::Entity::find()
        .filter(resident::Column::HouseholdId.eq(household.id))
        .filter(resident::Column::Id.ne(head_id))
        .filter(resident::Column::Status.eq(ResidentStatus::Active))
        .one(txn)
        .await?;
    if others.is_some() {
        return Err(ApiError::InvalidState(format!(
            "this resident heads household {} and other members remain; make one of them \
             head first (updateHousehold)",
            household.number
        )));
    }
    Ok(())
}

/// Moves an active resident to another dwelling or grid: the caller needs
/// the right to change residents in both grids.
pub async fn relocate(
    access: &Access,
    id: i64,
    version: i32,
    grid_code: Option<&str>,
    dwelling_id: Option<i64>,
) -> ApiResult<resident::Model> {
    let w = &access.writer()?;
    if grid_code.is_none() && dwelling_id.is_none() {
        return Err(ApiError::required(
            "toDwellingId",
            "give the dwelling or the grid to move to",
        ));
    }
    let txn = w.begin().await?;
    let current = w.load::<resident::Entity>(&txn, id, version).await?;
    require_active(&current)?;
    let place = w
        .place(
            &txn,
            grid_code,
            dwelling_id,
            PlaceFields {
                grid: "toGridCode",
                dwelling: "toDwellingId",
            },
        )
        .await?;
    w.require(&place.grid_code, Object::Resident, Action::Write)?;
    if place.grid_code == current.grid_code && place.dwelling_id == current.dwelling_id {
        return Err(ApiError::bad_input(
            "toDwellingId",
            "the resident already lives there",
        ));
    }
    let changes = resident::ActiveModel {
        grid_code: Set(place.grid_code.clone()),
        dwelling_id: Set(place.dwelling_id),
        ..Default::default()
    };
    let row = save::<resident::Entity>(&txn, id, version, changes).await?;
    carry_findings(&txn, id, &row.grid_code).await?;
    w.audit(
        &txn,
        "resident.move",
        "resident",
        id,
        &row.grid_code,
        json!({
            "from": {"grid": current.grid_code, "dwelling": current.dwelling_id},
            "to": {"grid": row.grid_code, "dwelling": row.dwelling_id},
        }),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// A person's findings not yet resolved (worked on, or dismissed) move with
/// them to their new grid, where its police and worker take them up: a
/// comparison of either grid's area then neither opens them again nor
/// clears them.
pub(super) async fn carry_findings(
    txn: &DatabaseTransaction,
    resident_id: i64,
    grid_code: &str,
) -> ApiResult<()> {
    finding::Entity::update_many()
        .col_expr(finding::Column::GridCode, Expr::val(grid_code))
        .col_expr(
            finding::Column::Version,
            Expr::col(finding::Column::Version).add(1),
        )
        .col_expr(finding::Column::UpdatedAt, Expr::val(Utc::now()))
        .filter(finding::Column::ResidentId.eq(resident_id))
        .filter(finding::Column::State.ne(FindingState::Resolved))
        .filter(finding::Column::GridCode.ne(grid_code))
        .exec(txn)
        .await?;
    Ok(())
}

pub(super) fn require_active(row: &resident::Model) -> ApiResult<()> {
    match row.status {
        ResidentStatus::Active => Ok(()),
        ResidentStatus::MovedOut => Err(ApiError::InvalidState(
            "the resident has moved out".to_owned(),
        )),
        ResidentStatus::Deceased => Err(ApiError::InvalidState("the resident has died".to_owned())),
    }
}
