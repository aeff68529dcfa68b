//! Residents (实有人口): the people of the population record, with ID
//! numbers and phones shown in full, masked or not at all as the request's
//! access decides.

use async_graphql::{Context, Enum, ID, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};
use entities::resident;

use super::homes::{Dwelling, Household, dwelling, household};
use crate::domain::privacy::Visibility;
use crate::domain::residents;
use crate::graphql::ContextExt;
use crate::graphql::relay::{NodeKind, global_id};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::resident::Sex")]
pub enum Sex {
    Male,
    Female,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::resident::PopulationType")]
pub enum PopulationType {
    /// 户籍: registered here.
    Registered,
    /// 流动: living here, registered elsewhere.
    Floating,
    /// 境外.
    Foreign,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::resident::ResidentStatus")]
pub enum ResidentStatus {
    Active,
    MovedOut,
    Deceased,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::resident::HeadRelation")]
pub enum HeadRelation {
    Head,
    Spouse,
    Child,
    Parent,
    Grandchild,
    Sibling,
    Other,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::resident::Verification")]
pub enum Verification {
    /// Collected in the grid, not yet compared with the registry.
    Pending,
    /// 签收: the police found it matches.
    SignedOff,
    /// 退回: returned to the grid worker for re-checking.
    Returned,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::resident::CareFlag")]
pub enum CareFlag {
    ElderlyLivingAlone,
    Disability,
    LowIncome,
    ReleasedFromPrison,
    CommunityCorrection,
    SevereMentalIllness,
    LeftBehindChild,
    Veteran,
}

/// How much of a protected field the caller sees on this row.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum Shown {
    Full,
    Masked,
    Hidden,
}

impl From<Visibility> for Shown {
    fn from(visibility: Visibility) -> Shown {
        match visibility {
            Visibility::Full => Shown::Full,
            Visibility::Masked => Shown::Masked,
            Visibility::Hidden => Shown::Hidden,
        }
    }
}

/// A resident (实有人口).
pub struct Resident(pub resident::Model);

impl Resident {
    pub async fn find(ctx: &Context<'_>, id: &str) -> Result<Option<Resident>> {
        let Ok(id) = id.parse::<i64>() else {
            return Ok(None);
        };
        Ok(residents::find(ctx.access()?, id).await?.map(Resident))
    }
}

#[Object]
impl Resident {
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Resident, &self.0.id.to_string())
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn sex(&self) -> Sex {
        self.0.sex.into()
    }

    async fn birth_date(&self) -> NaiveDate {
        self.0.birth_date
    }

    /// Age in whole years today.
    async fn age(&self) -> i32 {
        residents::age(self.0.birth_date, Utc::now().date_naive())
    }

    async fn ethnicity(&self) -> &str {
        &self.0.ethnicity
    }

    /// The ID number: in full, masked to its check character
    /// (`*****************X`) or null, as
    /// policy allows for this resident's grid. Full reads are audited.
    async fn id_number(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(ctx.access()?.id_number(&self.0))
    }

    /// How `idNumber` is shown to you on this row.
    async fn id_number_shown(&self, ctx: &Context<'_>) -> Result<Shown> {
        Ok(ctx
            .access()?
            .residents()
            .id_number(&self.0.grid_code)
            .into())
    }

    /// The phone: in full, masked (`138****5678`) or null. Full reads are audited.
    async fn phone(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(ctx.access()?.phone(&self.0))
    }

    async fn population_type(&self) -> PopulationType {
        self.0.population_type.into()
    }

    /// The grid the resident lives in.
    async fn grid_code(&self) -> &str {
        &self.0.grid_code
    }

    /// The household the resident is registered in, if you may see it.
    async fn household(&self, ctx: &Context<'_>) -> Result<Option<Household>> {
        household(ctx, self.0.household_id).await
    }

    /// The dwelling the resident lives in (which may differ from the
    /// household's: 人户分离), if you may see it.
    async fn dwelling(&self, ctx: &Context<'_>) -> Result<Option<Dwelling>> {
        dwelling(ctx, self.0.dwelling_id).await
    }

    async fn relation_to_head(&self) -> Option<HeadRelation> {
        self.0.relation_to_head.map(Into::into)
    }

    async fn status(&self) -> ResidentStatus {
        self.0.status.into()
    }

    /// When the resident moved out or died.
    async fn status_date(&self) -> Option<NaiveDate> {
        self.0.status_date
    }

    /// Care and attention flags; null where you may not see them.
    async fn care_flags(&self, ctx: &Context<'_>) -> Result<Option<Vec<CareFlag>>> {
        Ok(ctx
            .access()?
            .care_flags(&self.0)
            .map(|flags| flags.into_iter().map(Into::into).collect()))
    }

    /// Where the comparison with the household registry stands.
    async fn verification(&self) -> Verification {
        self.0.verification.into()
    }

    /// Send it back with an update: a stale version is a CONFLICT.
    async fn version(&self) -> i32 {
        self.0.version
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
