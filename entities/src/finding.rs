use sea_orm::entity::prelude::*;

use crate::registry_snapshot::RegistryKind;
use crate::resident::Sex;

/// A discrepancy a comparison found between the record and a registry, in
/// the grid of its person or organisation. Its evidence is what the
/// registry said, never the outside ID number.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "findings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: FindingKind,
    pub registry: RegistryKind,
    pub state: FindingState,
    pub urgent: bool,
    pub grid_code: String,
    pub resident_id: Option<i64>,
    pub organisation_id: Option<i64>,
    /// The role that acts on it, in the finding's grid.
    pub assignee_role: String,
    /// The snapshot that last showed it.
    pub snapshot_id: i64,
    pub opened_job_id: i64,
    /// The last job that found it still holding.
    pub seen_job_id: i64,
    /// The record's fields the registry disagrees with, space-separated.
    pub fields: Option<String>,
    pub registry_name: Option<String>,
    pub registry_sex: Option<Sex>,
    pub registry_birth_date: Option<Date>,
    pub registry_address: Option<String>,
    /// The registry's first date: a death, a listing, the first month paid.
    pub from_date: Option<Date>,
    /// The registry's last date: the last month paid, an expiry.
    pub to_date: Option<Date>,
    /// The case opened for it.
    pub case_id: Option<i64>,
    /// Why it was returned or dismissed.
    pub reason: Option<String>,
    pub version: i32,
    pub opened_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
}

/// What a comparison found: each is one rule of the rules table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum FindingKind {
    #[sea_orm(string_value = "not_in_registry")]
    NotInRegistry,
    #[sea_orm(string_value = "registry_mismatch")]
    RegistryMismatch,
    #[sea_orm(string_value = "duplicate_id")]
    DuplicateId,
    #[sea_orm(string_value = "died")]
    Died,
    #[sea_orm(string_value = "pension_to_dead")]
    PensionToDead,
    #[sea_orm(string_value = "wanted")]
    Wanted,
    #[sea_orm(string_value = "no_licence")]
    NoLicence,
    #[sea_orm(string_value = "licence_expired")]
    LicenceExpired,
    #[sea_orm(string_value = "licence_elsewhere")]
    LicenceElsewhere,
    #[sea_orm(string_value = "no_food_permit")]
    NoFoodPermit,
    #[sea_orm(string_value = "food_permit_expired")]
    FoodPermitExpired,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum FindingState {
    /// Found, waiting for its assignee.
    #[sea_orm(string_value = "open")]
    Open,
    /// 签收: the assignee confirmed it and acts on it.
    #[sea_orm(string_value = "signed_off")]
    SignedOff,
    /// 退回: sent back to the grid to re-check the record.
    #[sea_orm(string_value = "returned")]
    Returned,
    /// Acted on, or no longer found by a later comparison.
    #[sea_orm(string_value = "resolved")]
    Resolved,
    /// Not a discrepancy after all, with the reason; a re-run does not
    /// open it again.
    #[sea_orm(string_value = "dismissed")]
    Dismissed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
