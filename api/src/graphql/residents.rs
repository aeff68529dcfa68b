//! Residents: the population record, cut to the caller's grids, with ID
//! numbers and phones shown in full, masked or not at all by policy.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};
use entities::resident;

use super::ContextExt;
use super::relay::{NodeKind, Page, SortDirection, connection, global_id, key_of};
use crate::domain::areas::parse_code;
use crate::domain::page::PageRequest;
use crate::domain::privacy::Visibility;
use crate::domain::residents::{self, ResidentFilter as Filter};

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

/// Which residents to list.
#[derive(InputObject, Default)]
pub struct ResidentFilter {
    /// Names starting with this text.
    name_prefix: Option<String>,
    /// Exactly this ID number. Matches only where you may see ID numbers in
    /// full: a filter must not confirm what you may not read.
    id_number: Option<String>,
    sex: Option<Sex>,
    /// Age in whole years, at least.
    min_age: Option<u32>,
    /// Age in whole years, at most.
    max_age: Option<u32>,
    population_type: Option<PopulationType>,
    status: Option<ResidentStatus>,
    /// Residents with any of these flags; only where you may see care flags.
    care_flags: Option<Vec<CareFlag>>,
    /// Only residents of grids inside this area (any level).
    within: Option<String>,
    /// Members of this household.
    household_id: Option<ID>,
    /// People living in this dwelling.
    dwelling_id: Option<ID>,
}

/// What to sort residents by; ties go by registration order.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
#[graphql(remote = "crate::domain::residents::ResidentSort")]
pub enum ResidentSort {
    /// Grid by grid (the default).
    #[default]
    Grid,
    Name,
    BirthDate,
    /// Last change; descending gives what changed most recently.
    UpdatedAt,
}

/// How to order a list of residents.
#[derive(InputObject, Default)]
pub struct ResidentOrder {
    #[graphql(default)]
    by: ResidentSort,
    #[graphql(default)]
    direction: SortDirection,
}

impl From<ResidentOrder> for crate::domain::residents::ResidentOrder {
    fn from(order: ResidentOrder) -> Self {
        crate::domain::residents::ResidentOrder {
            sort: order.by.into(),
            descending: order.direction == SortDirection::Desc,
        }
    }
}

impl ResidentFilter {
    fn validate(self) -> crate::error::ApiResult<Filter> {
        Ok(Filter {
            name_prefix: self.name_prefix.filter(|prefix| !prefix.is_empty()),
            id_number: self.id_number,
            sex: self.sex.map(Into::into),
            min_age: self.min_age,
            max_age: self.max_age,
            population_type: self.population_type.map(Into::into),
            status: self.status.map(Into::into),
            care_flags: self
                .care_flags
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            within: self
                .within
                .map(|code| parse_code("within", &code))
                .transpose()?,
            household_id: self
                .household_id
                .map(|id| key_of("householdId", &id, NodeKind::Household))
                .transpose()?,
            dwelling_id: self
                .dwelling_id
                .map(|id| key_of("dwellingId", &id, NodeKind::Dwelling))
                .transpose()?,
        })
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
    async fn household(&self, ctx: &Context<'_>) -> Result<Option<super::homes::Household>> {
        super::homes::household(ctx, self.0.household_id).await
    }

    /// The dwelling the resident lives in (which may differ from the
    /// household's: 人户分离), if you may see it.
    async fn dwelling(&self, ctx: &Context<'_>) -> Result<Option<super::homes::Dwelling>> {
        super::homes::dwelling(ctx, self.0.dwelling_id).await
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
        if !ctx.access()?.residents().care_flags(&self.0.grid_code) {
            return Ok(None);
        }
        Ok(Some(
            entities::resident::CareFlag::ALL
                .into_iter()
                .filter(|flag| self.0.care_flags & flag.bit() != 0)
                .map(Into::into)
                .collect(),
        ))
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

/// Loads the relations a page's query asks for, each level in one query,
/// before the rows resolve: the rows then find them in the request's
/// loaders at once, instead of each level waiting out a batching window
/// (and, on a busy machine, splitting into several batches).
async fn prime(ctx: &Context<'_>, rows: &[&resident::Model]) -> Result<()> {
    let node = ctx.look_ahead().field("edges").field("node");
    let household = node.field("household");
    if household.exists() {
        let ids: Vec<i64> = rows.iter().filter_map(|row| row.household_id).collect();
        let households = ctx.loaders()?.households().load_many(ids).await?;
        if household.field("head").exists() {
            let heads: Vec<i64> = households
                .values()
                .filter_map(|household| household.head_resident_id)
                .collect();
            ctx.loaders()?.residents().load_many(heads).await?;
        }
    }
    if node.field("dwelling").exists() {
        let ids: Vec<i64> = rows.iter().filter_map(|row| row.dwelling_id).collect();
        ctx.loaders()?.dwellings().load_many(ids).await?;
    }
    Ok(())
}

#[derive(Default)]
pub struct ResidentsQuery;

#[Object]
impl ResidentsQuery {
    /// Residents you may see, by grid and registration order unless
    /// `orderBy` says otherwise. A cursor belongs to the ordering it came from.
    #[graphql(complexity = "super::relay::page_complexity(first, child_complexity)")]
    async fn residents(
        &self,
        ctx: &Context<'_>,
        filter: Option<ResidentFilter>,
        order_by: Option<ResidentOrder>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Page<Resident>> {
        let filter = filter.unwrap_or_default().validate()?;
        let order: residents::ResidentOrder = order_by.unwrap_or_default().into();
        let kind = order.cursor_kind();
        let request = PageRequest::new(first, after, &kind)?;
        let listing = residents::list(ctx.access()?, &filter, order, &request).await?;
        let rows: Vec<&resident::Model> = listing.page.rows.iter().map(|(_, row)| row).collect();
        prime(ctx, &rows).await?;
        Ok(connection(&kind, listing, Resident))
    }

    /// One resident by global ID, or null: missing and forbidden look the same.
    async fn resident(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Resident>> {
        match super::relay::parse_global_id(&id) {
            Some((NodeKind::Resident, key)) => Resident::find(ctx, &key).await,
            _ => Ok(None),
        }
    }
}
