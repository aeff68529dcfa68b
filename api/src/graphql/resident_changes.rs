//! Mutations of the population record. Each is one transaction with its
//! audit row, and answers a payload whose `userErrors` say what the user
//! can put right.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};

use super::ContextExt;
use super::inputs::{optional_key, patch, patch_key};
use super::payload::{ResidentUserError, payload};
use super::record::{
    CareFlag, DocumentType, HeadRelation, PopulationType, ResidenceReason, Resident, Sex,
};
use super::relay::{NodeKind, key_of};
use super::scalars::Date;
use crate::domain::writes::residents::{self as changes, Arrival, Correction, Entry};
use crate::domain::writes::transfers;
use crate::events::Event;

/// A person living in a grid, to add to the record.
#[derive(InputObject)]
pub struct RegisterResidentInput {
    /// The number of the document in `documentType` (an 18-character ID
    /// number unless it says otherwise); checked, and refused if already
    /// registered.
    id_number: String,
    /// The document the person is identified by; `RESIDENT_ID_CARD` when
    /// left out.
    document_type: Option<DocumentType>,
    /// ISO 3166-1 alpha-3; required with a passport or a foreigner's
    /// permanent residence ID, `CHN` for every other document.
    nationality: Option<String>,
    /// The resident's name.
    name: String,
    /// Must agree with a document that gives it (ID cards and residence
    /// IDs); required with a passport or travel permit.
    sex: Option<Sex>,
    /// Must agree with a document that gives it; required with a passport
    /// or travel permit.
    birth_date: Option<Date>,
    /// 民族, for Chinese citizens only; defaults to 汉族 for them.
    ethnicity: Option<String>,
    /// A phone number.
    phone: Option<String>,
    /// How they live in the grid.
    population_type: PopulationType,
    /// The grid the resident lives in; may be left out when `dwellingId` is
    /// given, which decides it.
    grid_code: Option<String>,
    /// The dwelling they live in, if recorded; it decides the grid.
    dwelling_id: Option<ID>,
    /// The household the resident is registered in (it may be in another
    /// grid: 人户分离). Joining one needs the right to change it.
    household_id: Option<ID>,
    /// Required with `householdId`; `HEAD` only for a household without one.
    relation_to_head: Option<HeadRelation>,
    /// Needs the right to see care flags in the grid.
    care_flags: Option<Vec<CareFlag>>,
    /// A note for the grid's record.
    note: Option<String>,
    /// 户籍地, for a `FLOATING` resident: where their household is
    /// registered (`湖北省宜都市`).
    hukou_place: Option<String>,
    /// When a `FLOATING` or `FOREIGN` resident came; not in the future.
    arrived_on: Option<Date>,
    /// Why a `FLOATING` or `FOREIGN` resident lives here.
    residence_reason: Option<ResidenceReason>,
    /// When a `FLOATING` resident's residence permit (居住证), or a
    /// `FOREIGN` resident's visa or residence permit, runs out.
    permit_expires_on: Option<Date>,
}

/// A child born into a household, recorded within a year of the birth.
#[derive(InputObject)]
pub struct RecordBirthInput {
    /// The child's ID number (18 characters, GB 11643).
    id_number: String,
    /// The child's name.
    name: String,
    /// Optional; when given it must agree with the ID number.
    sex: Option<Sex>,
    /// Defaults to 汉族.
    ethnicity: Option<String>,
    /// The child is registered here and lives where the household lives.
    household_id: ID,
    /// Defaults to `CHILD`.
    relation_to_head: Option<HeadRelation>,
}

/// Corrections to a resident, as read at `version`; fields left out stay
/// as they are, `null` clears a clearable one.
#[derive(InputObject)]
pub struct UpdateResidentInput {
    /// The resident to correct.
    id: ID,
    /// The `version` the correction was made against.
    version: i32,
    /// A corrected document number: checked like a new one; sex and birth
    /// date follow a document that gives them, and the record returns to
    /// `PENDING` comparison.
    id_number: Option<String>,
    /// Another document (with its `idNumber` when that gives sex and birth
    /// date); the record returns to `PENDING` comparison.
    document_type: Option<DocumentType>,
    /// A corrected nationality, for a passport or a foreigner's permanent
    /// residence ID.
    nationality: Option<String>,
    /// A corrected sex, for a document that does not give it.
    sex: Option<Sex>,
    /// A corrected birth date, for a document that does not give it.
    birth_date: Option<Date>,
    /// The corrected name.
    name: Option<String>,
    /// The corrected ethnicity (Chinese citizens only; it is dropped when
    /// the nationality becomes another).
    ethnicity: Option<String>,
    /// A phone number, or null to clear it.
    phone: MaybeUndefined<String>,
    /// The corrected population type.
    population_type: Option<PopulationType>,
    /// The whole set of flags; needs the right to see care flags.
    care_flags: Option<Vec<CareFlag>>,
    /// A note, or null to clear it.
    note: MaybeUndefined<String>,
    /// Join another household (with `relationToHead`) or, with null, leave
    /// the current one. A head leaves only as the last active member.
    household_id: MaybeUndefined<ID>,
    /// Not `HEAD`: the head changes with `updateHousehold`.
    relation_to_head: Option<HeadRelation>,
    /// 户籍地 (`FLOATING` only), or null to clear it.
    hukou_place: MaybeUndefined<String>,
    /// When they came (`FLOATING` and `FOREIGN` only), or null to clear it.
    arrived_on: MaybeUndefined<Date>,
    /// Why they live here (`FLOATING` and `FOREIGN` only), or null.
    residence_reason: MaybeUndefined<ResidenceReason>,
    /// When their permit or visa runs out (`FLOATING` and `FOREIGN` only),
    /// or null.
    permit_expires_on: MaybeUndefined<Date>,
}

/// A move of an active resident, as read at `version`.
#[derive(InputObject)]
pub struct MoveResidentInput {
    /// The resident who moves.
    id: ID,
    /// The `version` the move was decided against.
    version: i32,
    /// The dwelling moved into; it decides the grid.
    to_dwelling_id: Option<ID>,
    /// The grid moved into, when the dwelling is not recorded.
    to_grid_code: Option<String>,
}

/// A resident's death, as read at `version`.
#[derive(InputObject)]
pub struct RecordDeathInput {
    /// The resident who died.
    id: ID,
    /// The `version` the record was read at.
    version: i32,
    /// The day it happened; not in the future, not before the birth.
    date: Date,
}

payload!(
    /// The answer of `registerResident`.
    RegisterResidentPayload {
        /// The resident added; null when `userErrors` says why not.
        resident: Resident
    },
    ResidentUserError
);
payload!(
    /// The answer of `recordBirth`.
    RecordBirthPayload {
        /// The child added; null when `userErrors` says why not.
        resident: Resident
    },
    ResidentUserError
);
payload!(
    /// The answer of `updateResident`.
    UpdateResidentPayload {
        /// The resident as corrected; null when `userErrors` says why not.
        resident: Resident
    },
    ResidentUserError
);
payload!(
    /// The answer of `moveResident`.
    MoveResidentPayload {
        /// The resident in their new home; null when `userErrors` says why not.
        resident: Resident
    },
    ResidentUserError
);
payload!(
    /// The answer of `recordDeath`.
    RecordDeathPayload {
        /// The resident, now `DECEASED`; null when `userErrors` says why not.
        resident: Resident
    },
    ResidentUserError
);

/// Tells every replica's subscribers that a person joined a grid's record:
/// registered or born there, or taken in on arrival from another grid.
pub(super) async fn registered(ctx: &Context<'_>, row: &entities::resident::Model) {
    ctx.state()
        .events
        .publish(Event::ResidentRegistered {
            resident_id: row.id,
            grid_code: row.grid_code.clone(),
        })
        .await;
}

#[derive(Default)]
pub struct ResidentChanges;

#[Object]
impl ResidentChanges {
    /// Adds a person living in a grid to the record.
    ///
    /// User errors: `INVALID` (a document number that fails its check, sex
    /// or birth date that disagree with it, a nationality its document is
    /// not held by, a fact the population type does not take, a reference
    /// of the wrong kind), `REQUIRED` (`gridCode` without a dwelling,
    /// `relationToHead` with a household, `sex`, `birthDate` or
    /// `nationality` a passport does not give), `TAKEN` (the number is
    /// registered: their old grid records the move out), `NOT_FOUND` (a
    /// grid, dwelling or household out of sight).
    async fn register_resident(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The person to add.")] input: RegisterResidentInput,
    ) -> Result<RegisterResidentPayload> {
        let outcome = async {
            let arrival = Arrival {
                id_number: input.id_number,
                name: input.name,
                sex: input.sex.map(Into::into),
                birth_date: input.birth_date.map(Into::into),
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
                document_type: input.document_type.map(Into::into),
                nationality: input.nationality,
                hukou_place: input.hukou_place,
                arrived_on: input.arrived_on.map(Into::into),
                residence_reason: input.residence_reason.map(Into::into),
                permit_expires_on: input.permit_expires_on.map(Into::into),
            };
            changes::register(ctx.access()?, arrival, Entry::Registration).await
        };
        let outcome = outcome.await;
        if let Ok(row) = &outcome {
            registered(ctx, row).await;
        }
        Ok(RegisterResidentPayload::of(outcome.map(Resident))?)
    }

    /// Records a birth into a household, within a year of it.
    ///
    /// User errors: `INVALID` (an ID number that fails its check or was born
    /// more than a year ago), `REQUIRED`, `TAKEN` (the ID number is
    /// registered), `NOT_FOUND` (the household is out of sight).
    async fn record_birth(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The child born.")] input: RecordBirthInput,
    ) -> Result<RecordBirthPayload> {
        let outcome = async {
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
            changes::register(ctx.access()?, arrival, Entry::Birth).await
        };
        let outcome = outcome.await;
        if let Ok(row) = &outcome {
            registered(ctx, row).await;
        }
        Ok(RecordBirthPayload::of(outcome.map(Resident))?)
    }

    /// Corrects a resident's record, as read at `version`.
    ///
    /// User errors: `NOT_FOUND` (`id`, `householdId`), `CONFLICT` (a stale
    /// `version`), `INVALID_STATE` (a head leaving a household others still
    /// live in), `REQUIRED` (`relationToHead` when joining a household),
    /// `NOTHING_TO_CHANGE`, `INVALID`, `TAKEN` (a corrected ID number already
    /// registered).
    async fn update_resident(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The resident, the version read, and the corrections.")]
        input: UpdateResidentInput,
    ) -> Result<UpdateResidentPayload> {
        let outcome = async {
            let correction = Correction {
                id_number: input.id_number,
                document_type: input.document_type.map(Into::into),
                nationality: input.nationality,
                sex: input.sex.map(Into::into),
                birth_date: input.birth_date.map(Into::into),
                hukou_place: patch(input.hukou_place, |place| place),
                arrived_on: patch(input.arrived_on, Into::into),
                residence_reason: patch(input.residence_reason, Into::into),
                permit_expires_on: patch(input.permit_expires_on, Into::into),
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
            let id = key_of("id", &input.id, NodeKind::Resident)?;
            changes::correct(ctx.access()?, id, input.version, correction).await
        };
        Ok(UpdateResidentPayload::of(outcome.await.map(Resident))?)
    }

    /// Moves an active resident to another dwelling, or to another grid.
    /// Needs the right to change residents in both grids.
    ///
    /// User errors: `NOT_FOUND` (`id`, `toDwellingId` or `toGridCode`),
    /// `CONFLICT`, `INVALID_STATE` (not active), `REQUIRED` (neither dwelling
    /// nor grid), `INVALID` (where they already live).
    async fn move_resident(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The resident, the version read, and where they moved.")]
        input: MoveResidentInput,
    ) -> Result<MoveResidentPayload> {
        let outcome = async {
            let id = key_of("id", &input.id, NodeKind::Resident)?;
            let dwelling = optional_key(
                "toDwellingId",
                input.to_dwelling_id.as_ref(),
                NodeKind::Dwelling,
            )?;
            changes::relocate(
                ctx.access()?,
                id,
                input.version,
                input.to_grid_code.as_deref(),
                dwelling,
            )
            .await
        };
        Ok(MoveResidentPayload::of(outcome.await.map(Resident))?)
    }

    /// Records that an active resident died on `date`. The record stays,
    /// `DECEASED`; the dwelling and household no longer hold them (a
    /// dwelling nobody lives in turns `VACANT`).
    ///
    /// User errors: `NOT_FOUND` (`id`), `CONFLICT`, `INVALID_STATE` (not
    /// active, or a head leaving a household others still live in),
    /// `INVALID` (a date in the future or before the birth).
    async fn record_death(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The resident, the version read, and the day.")] input: RecordDeathInput,
    ) -> Result<RecordDeathPayload> {
        let outcome = async {
            let id = key_of("id", &input.id, NodeKind::Resident)?;
            transfers::record_death(ctx.access()?, id, input.version, input.date.into()).await
        };
        Ok(RecordDeathPayload::of(outcome.await.map(Resident))?)
    }
}
