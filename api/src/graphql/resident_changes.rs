//! Mutations of the population record. Each is one transaction with its
//! audit row; input errors are BAD_USER_INPUT with `extensions.field`, a
//! stale `version` is CONFLICT.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};
use chrono::NaiveDate;

use super::ContextExt;
use super::inputs::{optional_key, patch, patch_key};
use super::record::{CareFlag, HeadRelation, PopulationType, Resident, Sex};
use super::relay::{NodeKind, key_of};
use crate::domain::writes::residents::{self as changes, Arrival, Correction, Departure, Entry};

/// A person living in a grid, to add to the record.
#[derive(InputObject)]
pub struct RegisterResidentInput {
    /// 18 characters, GB 11643; checked, and refused if already registered.
    id_number: String,
    name: String,
    /// Optional; when given it must agree with the ID number.
    sex: Option<Sex>,
    /// Optional; when given it must agree with the ID number.
    birth_date: Option<NaiveDate>,
    /// Defaults to 汉族.
    ethnicity: Option<String>,
    phone: Option<String>,
    population_type: PopulationType,
    /// The grid the resident lives in; may be left out when `dwellingId` is
    /// given, which decides it.
    grid_code: Option<String>,
    dwelling_id: Option<ID>,
    /// The household the resident is registered in (it may be in another
    /// grid: 人户分离). Joining one needs the right to change it.
    household_id: Option<ID>,
    /// Required with `householdId`; `HEAD` only for a household without one.
    relation_to_head: Option<HeadRelation>,
    /// Needs the right to see care flags in the grid.
    care_flags: Option<Vec<CareFlag>>,
    note: Option<String>,
}

/// A child born into a household, recorded within a year of the birth.
#[derive(InputObject)]
pub struct RecordBirthInput {
    id_number: String,
    name: String,
    sex: Option<Sex>,
    ethnicity: Option<String>,
    /// The child is registered here and lives where the household lives.
    household_id: ID,
    /// Defaults to `CHILD`.
    relation_to_head: Option<HeadRelation>,
}

/// Corrections to a resident; fields left out stay as they are, `null`
/// clears a clearable one.
#[derive(InputObject, Default)]
pub struct UpdateResidentInput {
    /// A corrected ID number: checked like a new one; sex and birth date
    /// follow it, and the record returns to `PENDING` comparison.
    id_number: Option<String>,
    name: Option<String>,
    ethnicity: Option<String>,
    phone: MaybeUndefined<String>,
    population_type: Option<PopulationType>,
    /// The whole set of flags; needs the right to see care flags.
    care_flags: Option<Vec<CareFlag>>,
    note: MaybeUndefined<String>,
    /// Join another household (with `relationToHead`) or, with null, leave
    /// the current one. A head leaves only as the last active member.
    household_id: MaybeUndefined<ID>,
    /// Not `HEAD`: the head changes with `updateHousehold`.
    relation_to_head: Option<HeadRelation>,
}

#[derive(Default)]
pub struct ResidentChanges;

#[Object]
impl ResidentChanges {
    /// Adds a person living in a grid to the record.
    async fn register_resident(
        &self,
        ctx: &Context<'_>,
        input: RegisterResidentInput,
    ) -> Result<Resident> {
        let arrival = Arrival {
            id_number: input.id_number,
            name: input.name,
            sex: input.sex.map(Into::into),
            birth_date: input.birth_date,
            ethnicity: input.ethnicity,
            phone: input.phone,
            population_type: Some(input.population_type.into()),
            grid_code: input.grid_code,
            dwelling_id: optional_key(
                "dwellingId",
                input.dwelling_id.as_ref(),
                NodeKind::Dwelling,
            )?,
            household_id: optional_key(
                "householdId",
                input.household_id.as_ref(),
                NodeKind::Household,
            )?,
            relation_to_head: input.relation_to_head.map(Into::into),
            care_flags: input
                .care_flags
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            note: input.note,
        };
        let row = changes::register(ctx.access()?, arrival, Entry::Registration).await?;
        Ok(Resident(row))
    }

    /// Records a birth into a household.
    async fn record_birth(&self, ctx: &Context<'_>, input: RecordBirthInput) -> Result<Resident> {
        let arrival = Arrival {
            id_number: input.id_number,
            name: input.name,
            sex: input.sex.map(Into::into),
            ethnicity: input.ethnicity,
            household_id: Some(key_of(
                "householdId",
                &input.household_id,
                NodeKind::Household,
            )?),
            relation_to_head: input.relation_to_head.map(Into::into),
            ..Arrival::default()
        };
        let row = changes::register(ctx.access()?, arrival, Entry::Birth).await?;
        Ok(Resident(row))
    }

    /// Corrects a resident's record, as read at `version`.
    async fn update_resident(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        input: UpdateResidentInput,
    ) -> Result<Resident> {
        let correction = Correction {
            id_number: input.id_number,
            name: input.name,
            ethnicity: input.ethnicity,
            phone: patch(input.phone, |phone| phone),
            population_type: input.population_type.map(Into::into),
            care_flags: input
                .care_flags
                .map(|flags| flags.into_iter().map(Into::into).collect()),
            note: patch(input.note, |note| note),
            household_id: patch_key("householdId", input.household_id, NodeKind::Household)?,
            relation_to_head: input.relation_to_head.map(Into::into),
        };
        let id = key_of("id", &id, NodeKind::Resident)?;
        let row = changes::correct(ctx.access()?, id, version, correction).await?;
        Ok(Resident(row))
    }

    /// Moves an active resident to another dwelling, or to another grid.
    /// Needs the right to change residents in both grids.
    async fn move_resident(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        #[graphql(desc = "The dwelling moved into; it decides the grid.")] to_dwelling_id: Option<
            ID,
        >,
        #[graphql(desc = "The grid moved into, when the dwelling is not recorded.")]
        to_grid_code: Option<String>,
    ) -> Result<Resident> {
        let id = key_of("id", &id, NodeKind::Resident)?;
        let dwelling = optional_key("toDwellingId", to_dwelling_id.as_ref(), NodeKind::Dwelling)?;
        let row = changes::relocate(
            ctx.access()?,
            id,
            version,
            to_grid_code.as_deref(),
            dwelling,
        )
        .await?;
        Ok(Resident(row))
    }

    /// Records that an active resident moved away on `date`.
    async fn record_move_out(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        date: NaiveDate,
    ) -> Result<Resident> {
        let id = key_of("id", &id, NodeKind::Resident)?;
        let row = changes::depart(ctx.access()?, id, version, Departure::MovedOut, date).await?;
        Ok(Resident(row))
    }

    /// Records that an active resident died on `date`.
    async fn record_death(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: i32,
        date: NaiveDate,
    ) -> Result<Resident> {
        let id = key_of("id", &id, NodeKind::Resident)?;
        let row = changes::depart(ctx.access()?, id, version, Departure::Death, date).await?;
        Ok(Resident(row))
    }
}
