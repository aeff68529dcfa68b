//! Changes to the population record: registering a resident or a birth,
//! correcting a record, moving house. Moving away and death are
//! `transfers`'.

use chrono::{Duration, NaiveDate, Utc};
use entities::household;
use entities::resident::{
    self, CareFlag, HeadRelation, PopulationType, ResidentStatus, Sex, Verification,
};
use policies::{Action, Object};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use serde_json::json;

use super::fields::{optional_phone, optional_text, text};
use super::{Patch, PlaceFields, Writer, duplicate, save};
use crate::domain::access::Access;
use crate::domain::id_number::{IdNumber, IdSex};
use crate::error::{ApiError, ApiResult};

const DEFAULT_ETHNICITY: &str = "汉族";
const DUPLICATE: &str = "a resident with this ID number is already registered: if they moved \
                         here, their old grid records the move out and you take them in from \
                         `arrivals`";

/// A person to add to the record.
#[derive(Debug, Clone, Default)]
pub struct Arrival {
    pub id_number: String,
    pub name: String,
    /// When given, must agree with the ID number.
    pub sex: Option<Sex>,
    /// When given, must agree with the ID number.
    pub birth_date: Option<NaiveDate>,
    pub ethnicity: Option<String>,
    pub phone: Option<String>,
    pub population_type: Option<PopulationType>,
    pub grid_code: Option<String>,
    pub dwelling_id: Option<i64>,
    pub household_id: Option<i64>,
    pub relation_to_head: Option<HeadRelation>,
    pub care_flags: Vec<CareFlag>,
    pub note: Option<String>,
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

/// The ID number, checked, and agreeing with the sex and birth date given.
fn identity(
    raw: &str,
    sex: Option<Sex>,
    birth_date: Option<NaiveDate>,
    today: NaiveDate,
) -> ApiResult<IdNumber> {
    let id =
        IdNumber::parse(raw).map_err(|err| ApiError::bad_input("idNumber", err.to_string()))?;
    if id.birth_date() > today {
        return Err(ApiError::bad_input(
            "idNumber",
            "its birth date is in the future",
        ));
    }
    let id_sex = sex_of(&id);
    if let Some(sex) = sex
        && sex != id_sex
    {
        return Err(ApiError::bad_input(
            "sex",
            "does not match the ID number (its 17th digit gives the sex)",
        ));
    }
    if let Some(birth_date) = birth_date
        && birth_date != id.birth_date()
    {
        return Err(ApiError::bad_input(
            "birthDate",
            format!(
                "does not match the ID number, which says {}",
                id.birth_date()
            ),
        ));
    }
    Ok(id)
}

fn sex_of(id: &IdNumber) -> Sex {
    match id.sex() {
        IdSex::Male => Sex::Male,
        IdSex::Female => Sex::Female,
    }
}

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
    let id = identity(&arrival.id_number, arrival.sex, arrival.birth_date, today)?;
    if entry == Entry::Birth && today - id.birth_date() > Duration::days(BIRTH_WINDOW_DAYS) {
        return Err(ApiError::bad_input(
            "idNumber",
            "born more than a year ago: register the child instead of recording a birth",
        ));
    }
    let name = text("name", &arrival.name, 64)?;
    let ethnicity = optional_text("ethnicity", arrival.ethnicity.as_deref(), 16)?
        .unwrap_or_else(|| DEFAULT_ETHNICITY.to_owned());
    let phone = optional_phone("phone", arrival.phone.as_deref())?;
    let note = optional_text("note", arrival.note.as_deref(), 2000)?;

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
    refuse_duplicate(&txn, id.as_str(), None).await?;

    let now = Utc::now();
    let population_type = match entry {
        Entry::Birth => PopulationType::Registered,
        Entry::Registration => arrival
            .population_type
            .ok_or_else(|| ApiError::required("populationType", "required"))?,
    };
    let row = resident::ActiveModel {
        id: NotSet,
        id_number: Set(id.as_str().to_owned()),
        name: Set(name),
        sex: Set(sex_of(&id)),
        birth_date: Set(id.birth_date()),
        ethnicity: Set(ethnicity),
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
        note: Set(note),
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
    /// A corrected ID number: checked like a new one, and the record goes
    /// back to the police for comparison.
    pub id_number: Option<String>,
    pub name: Option<String>,
    pub ethnicity: Option<String>,
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

    if let Some(raw) = &correction.id_number {
        let today = Utc::now().date_naive();
        let number = identity(raw, None, None, today)?;
        if number.as_str() != current.id_number {
            refuse_duplicate(&txn, number.as_str(), Some(id)).await?;
            changes.sex = Set(sex_of(&number));
            changes.birth_date = Set(number.birth_date());
            changes.id_number = Set(number.as_str().to_owned());
            // The registry comparison was of the old number.
            changes.verification = Set(Verification::Pending);
            changed.push("id_number");
        }
    }
    if let Some(name) = &correction.name {
        changes.name = Set(text("name", name, 64)?);
        changed.push("name");
    }
    if let Some(ethnicity) = &correction.ethnicity {
        changes.ethnicity = Set(text("ethnicity", ethnicity, 16)?);
        changed.push("ethnicity");
    }
    if let Some(phone) = correction
        .phone
        .checked(|phone| optional_phone("phone", Some(phone)))?
    {
        changes.phone = Set(phone);
        changed.push("phone");
    }
    if let Some(kind) = correction.population_type {
        changes.population_type = Set(kind);
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
    txn.commit().await?;
    Ok(row)
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

pub(super) fn require_active(row: &resident::Model) -> ApiResult<()> {
    match row.status {
        ResidentStatus::Active => Ok(()),
        ResidentStatus::MovedOut => Err(ApiError::InvalidState(
            "the resident has moved out".to_owned(),
        )),
        ResidentStatus::Deceased => Err(ApiError::InvalidState("the resident has died".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn identity_must_agree_with_sex_and_birth_date() {
        let number = IdNumber::compose("420502", day(1987, 2, 28), 123);
        let today = day(2026, 11, 26);
        let id = identity(&number, None, None, today).expect("valid");
        let sex = sex_of(&id);
        let other = match sex {
            Sex::Male => Sex::Female,
            Sex::Female => Sex::Male,
        };
        assert!(identity(&number, Some(sex), Some(day(1987, 2, 28)), today).is_ok());
        let wrong_sex = identity(&number, Some(other), None, today);
        assert!(
            matches!(wrong_sex, Err(ApiError::BadUserInput { ref field, .. }) if field == "sex")
        );
        let wrong_day = identity(&number, None, Some(day(1987, 3, 1)), today);
        assert!(
            matches!(wrong_day, Err(ApiError::BadUserInput { ref field, .. }) if field == "birthDate")
        );
        let unborn = IdNumber::compose("420502", day(2027, 1, 1), 123);
        assert!(identity(&unborn, None, None, today).is_err());
    }
}
