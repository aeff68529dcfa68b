//! Moves between grids as the practice runs them (迁出 / 迁入): the old
//! grid's worker records the move out with its destination; the new grid's
//! worker finds the person among the arrivals and takes them into a
//! dwelling and household of their grid. Each side needs rights in its own
//! grid only, and sees only its half.

use chrono::{NaiveDate, Utc};
use entities::dwelling::{self, Occupancy};
use entities::household;
use entities::resident::{self, HeadRelation, ResidentStatus, Verification};
use entities::resident_review::ReviewAction;
use entities::transfer::{self, TransferState};
use policies::{Action, AreaLevel, Object};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::{Value, json};

use super::fields::text;
use super::residents::{Entry, carry_findings, join_household, refuse_headless, require_active};
use super::{PlaceFields, save};
use crate::db::serialise;
use crate::domain::access::Access;
use crate::domain::areas::{find_grid, parse_code};
use crate::error::{ApiError, ApiResult};

/// Where a resident moves to.
#[derive(Debug, Clone)]
pub enum Destination {
    /// A grid of the city, whose worker takes them in.
    Grid(String),
    /// A place outside the city, as the worker was told it.
    Outside(String),
}

/// Records that resident `id`, as read at `version`, moved out on `date`
/// to `destination`: the record stays in the old grid as moved out, the
/// dwelling and household no longer hold them (a dwelling nobody lives in
/// any more turns vacant), and a move to a grid of the city waits there as
/// an arrival.
pub async fn move_out(
    access: &Access,
    id: i64,
    version: i32,
    date: NaiveDate,
    destination: Destination,
) -> ApiResult<(resident::Model, transfer::Model)> {
    let w = &access.writer()?;
    let txn = w.begin().await?;
    let current = w.load::<resident::Entity>(&txn, id, version).await?;
    require_active(&current)?;
    check_date(date, &current)?;
    let (to_grid, outside) = match destination {
        Destination::Grid(code) => {
            // Any grid of the city may be moved to, seen on the caller's map
            // or not: grid codes are the city's public map, not a secret.
            let code = parse_code("toGridCode", &code)?;
            if code.level() != AreaLevel::Grid || find_grid(&txn, &code).await?.is_none() {
                return Err(ApiError::missing("toGridCode", "no such grid"));
            }
            if code.as_str() == current.grid_code {
                return Err(ApiError::bad_input(
                    "toGridCode",
                    "the resident already lives in this grid: move them to another dwelling instead",
                ));
            }
            (Some(code.as_str().to_owned()), None)
        }
        Destination::Outside(place) => (None, Some(text("destination", &place, 200)?)),
    };
    let left = leave_home(&txn, &current).await?;
    let changes = resident::ActiveModel {
        status: Set(ResidentStatus::MovedOut),
        status_date: Set(Some(date)),
        dwelling_id: Set(None),
        household_id: Set(None),
        relation_to_head: Set(None),
        ..Default::default()
    };
    let row = save::<resident::Entity>(&txn, id, version, changes).await?;
    let now = Utc::now();
    let moving = transfer::ActiveModel {
        id: NotSet,
        resident_id: Set(row.id),
        name: Set(current.name.clone()),
        sex: Set(current.sex),
        birth_date: Set(current.birth_date),
        id_number: Set(current.id_number.clone()),
        from_grid_code: Set(current.grid_code.clone()),
        to_grid_code: Set(to_grid.clone()),
        destination: Set(outside.clone()),
        moved_on: Set(date),
        state: Set(if to_grid.is_some() {
            TransferState::OnTheWay
        } else {
            TransferState::LeftCity
        }),
        arrived_on: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    w.audit(
        &txn,
        "resident.move_out",
        "resident",
        id,
        &current.grid_code,
        json!({"date": date, "to": {"grid": to_grid, "outside": outside}, "left": left,
               "transfer": moving.id}),
    )
    .await?;
    txn.commit().await?;
    Ok((row, moving))
}

/// Records that resident `id` died on `date`: the record stays, with its
/// status and date; the dwelling and household no longer hold them.
pub async fn record_death(
    access: &Access,
    id: i64,
    version: i32,
    date: NaiveDate,
) -> ApiResult<resident::Model> {
    let w = &access.writer()?;
    let txn = w.begin().await?;
    let current = w.load::<resident::Entity>(&txn, id, version).await?;
    require_active(&current)?;
    check_date(date, &current)?;
    let left = leave_home(&txn, &current).await?;
    let changes = resident::ActiveModel {
        status: Set(ResidentStatus::Deceased),
        status_date: Set(Some(date)),
        dwelling_id: Set(None),
        household_id: Set(None),
        relation_to_head: Set(None),
        ..Default::default()
    };
    let row = save::<resident::Entity>(&txn, id, version, changes).await?;
    w.audit(
        &txn,
        "resident.death",
        "resident",
        id,
        &row.grid_code,
        json!({"date": date, "left": left}),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

fn check_date(date: NaiveDate, current: &resident::Model) -> ApiResult<()> {
    if date > Utc::now().date_naive() {
        return Err(ApiError::bad_input("date", "must not be in the future"));
    }
    if date < current.birth_date {
        return Err(ApiError::bad_input("date", "before the resident was born"));
    }
    Ok(())
}

/// Takes a departing resident out of their household (a head only as its
/// last active member, leaving it without a head) and their dwelling (which
/// turns vacant when nobody active lives there any more); what it left, for
/// the audit row.
async fn leave_home(txn: &DatabaseTransaction, current: &resident::Model) -> ApiResult<Value> {
    // The household and the dwelling change as a consequence of a move the
    // caller may record: no rights of their own are asked. Their keys are
    // taken so that two last members leaving at once cannot each count the
    // other as staying.
    if let Some(household_id) = current.household_id {
        serialise(txn, &format!("household:{household_id}")).await?;
    }
    if let Some(household_id) = current.household_id
        && let Some(household) = household::Entity::find_by_id(household_id).one(txn).await?
        && household.head_resident_id == Some(current.id)
    {
        refuse_headless(txn, &household, current.id).await?;
        let changes = household::ActiveModel {
            head_resident_id: Set(None),
            ..Default::default()
        };
        save::<household::Entity>(txn, household.id, household.version, changes)
            .await
            .map_err(|err| err.conflict_on("id", "household"))?;
    }
    let mut vacated = false;
    if let Some(dwelling_id) = current.dwelling_id {
        serialise(txn, &format!("dwelling:{dwelling_id}")).await?;
    }
    if let Some(dwelling_id) = current.dwelling_id
        && let Some(dwelling) = dwelling::Entity::find_by_id(dwelling_id).one(txn).await?
    {
        let others = resident::Entity::find()
            .filter(resident::Column::DwellingId.eq(dwelling_id))
            .filter(resident::Column::Status.eq(ResidentStatus::Active))
            .filter(resident::Column::Id.ne(current.id))
            .count(txn)
            .await?;
        let lived_in = matches!(
            dwelling.occupancy,
            Occupancy::OwnerOccupied | Occupancy::Rented
        );
        if others == 0 && lived_in {
            let changes = dwelling::ActiveModel {
                occupancy: Set(Occupancy::Vacant),
                lessor_name: Set(None),
                lessor_phone: Set(None),
                ..Default::default()
            };
            save::<dwelling::Entity>(txn, dwelling.id, dwelling.version, changes)
                .await
                .map_err(|err| err.conflict_on("id", "dwelling"))?;
            vacated = true;
        }
    }
    Ok(json!({
        "household": current.household_id,
        "dwelling": current.dwelling_id,
        "vacated": vacated,
    }))
}

/// Where an arriving resident is taken in.
#[derive(Debug, Clone, Default)]
pub struct Welcome {
    pub dwelling_id: Option<i64>,
    pub household_id: Option<i64>,
    pub relation_to_head: Option<HeadRelation>,
}

/// Takes the resident of transfer `id`, as read at `version`, into the new
/// grid's record: active again, in the grid moved to, in a dwelling and
/// household of that grid when given, and back to `PENDING` comparison as
/// a record new to its grid.
pub async fn take_in(
    access: &Access,
    id: i64,
    version: i32,
    welcome: Welcome,
) -> ApiResult<(resident::Model, transfer::Model)> {
    let w = &access.writer()?;
    let txn = w.begin().await?;
    let missing = || ApiError::not_found("arrival", "id");
    let moving = transfer::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(missing)?;
    let Some(to_grid) = moving.to_grid_code.clone() else {
        return Err(missing());
    };
    if !w.may(&to_grid, Object::Resident, Action::Read)? {
        return Err(missing());
    }
    w.require(&to_grid, Object::Resident, Action::Write)?;
    if moving.version != version {
        return Err(ApiError::conflict(format!(
            "this arrival was changed since you read it (you sent version {version}, it is at {}); \
             read it again",
            moving.version
        )));
    }
    if moving.state != TransferState::OnTheWay {
        return Err(ApiError::InvalidState(
            "the resident has already been taken in".to_owned(),
        ));
    }
    let place = w
        .place(
            &txn,
            Some(&to_grid),
            welcome.dwelling_id,
            PlaceFields {
                grid: "dwellingId",
                dwelling: "dwellingId",
            },
        )
        .await?;
    let household = match welcome.household_id {
        Some(household_id) => {
            let household = w
                .reference::<household::Entity>(&txn, "householdId", household_id)
                .await?;
            if household.grid_code != to_grid {
                return Err(ApiError::bad_input(
                    "householdId",
                    "a household of the grid moved to",
                ));
            }
            Some(household)
        }
        None if welcome.relation_to_head.is_some() => {
            return Err(ApiError::bad_input(
                "relationToHead",
                "only with a household",
            ));
        }
        None => None,
    };
    let relation = household
        .as_ref()
        .map(|household| {
            join_household(w, household, welcome.relation_to_head, Entry::Registration)
        })
        .transpose()?;
    let person = resident::Entity::find_by_id(moving.resident_id)
        .one(&txn)
        .await?
        .ok_or_else(missing)?;
    if person.status != ResidentStatus::MovedOut || person.grid_code != moving.from_grid_code {
        return Err(ApiError::InvalidState(
            "the resident's record is no longer the one that moved out".to_owned(),
        ));
    }
    if let Some(household) = &household {
        serialise(&txn, &format!("household:{}", household.id)).await?;
    }
    let changes = resident::ActiveModel {
        grid_code: Set(to_grid.clone()),
        dwelling_id: Set(place.dwelling_id),
        household_id: Set(household.as_ref().map(|h| h.id)),
        relation_to_head: Set(relation),
        status: Set(ResidentStatus::Active),
        status_date: Set(None),
        verification: Set(Verification::Pending),
        return_reason: Set(None),
        // The old grid's working note stays with the old grid.
        note: Set(None),
        ..Default::default()
    };
    // The version is the server's own read of the row, not the caller's.
    let row = save::<resident::Entity>(&txn, person.id, person.version, changes)
        .await
        .map_err(|err| err.conflict_on("id", "resident"))?;
    carry_findings(&txn, row.id, &row.grid_code).await?;
    if let Some(household) = &household
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
    let today = Utc::now().date_naive();
    let arrived = transfer::ActiveModel {
        id: Set(moving.id),
        state: Set(TransferState::Arrived),
        arrived_on: Set(Some(today)),
        version: Set(moving.version + 1),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    let updated = transfer::Entity::update_many()
        .set(arrived)
        .filter(transfer::Column::Id.eq(moving.id))
        .filter(transfer::Column::Version.eq(moving.version))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ApiError::conflict(
            "this arrival was taken in by someone else just now; read it again",
        ));
    }
    let moving = transfer::Entity::find_by_id(moving.id)
        .one(&txn)
        .await?
        .ok_or_else(missing)?;
    w.audit(
        &txn,
        "resident.move_in",
        "resident",
        row.id,
        &to_grid,
        json!({"transfer": moving.id, "dwelling": row.dwelling_id, "household": row.household_id}),
    )
    .await?;
    super::reviews::record(w, &txn, &row, ReviewAction::MovedIn, None).await?;
    txn.commit().await?;
    Ok((row, moving))
}
