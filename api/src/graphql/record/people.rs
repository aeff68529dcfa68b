//! Residents (实有人口): the people of the population record, with ID
//! numbers and phones shown in full, masked or not at all as the request's
//! access decides.

use std::borrow::Cow;

use async_graphql::{Context, Enum, ID, InputType, Object, OutputType, Result, Value};
use entities::resident;

use super::homes::{Dwelling, Household, dwelling, household};
use super::places::Grid;
use super::reviews::VerificationStep;
use crate::domain::access::Access;
use crate::domain::privacy::Visibility;
use crate::domain::residents;
use crate::domain::verification;
use crate::domain::viewer::{self, RecordRow};
use crate::graphql::ContextExt;
use crate::graphql::loaders::Loaders;
use crate::graphql::plain::{Plain, Related, one};
use crate::graphql::relay::{NodeKind, global_id};
use crate::graphql::scalars::{Date, DateTime};

/// A resident's sex, as their ID number says.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::resident::Sex")]
pub enum Sex {
    /// Male.
    Male,
    /// Female.
    Female,
}

/// How a resident lives in the grid.
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

/// The document a resident is identified by.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::resident::DocumentType")]
pub enum DocumentType {
    /// 居民身份证: a mainland citizen's ID card (GB 11643); gives sex and
    /// birth date.
    ResidentIdCard,
    /// 港澳台居民居住证: GB 11643's shape, starting 810000 (Hong Kong),
    /// 820000 (Macao) or 830000 (Taiwan); gives sex and birth date.
    HmtResidencePermit,
    /// 外国人永久居留身份证, 2023 edition: GB 11643's shape starting with 9;
    /// gives sex and birth date.
    ForeignPermanentId,
    /// 港澳居民来往内地通行证: H or M and 8 digits.
    HkMacaoTravelPermit,
    /// 台湾居民来往大陆通行证: 8 digits.
    TaiwanTravelPermit,
    /// A passport: 5 to 18 letters and digits, with its `nationality`.
    Passport,
}

/// Why a floating or foreign resident lives here (居住事由).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::resident::ResidenceReason")]
pub enum ResidenceReason {
    /// 务工: to work.
    Work,
    /// 经商: to run a business.
    Business,
    /// 就学: to study.
    Study,
    /// 投亲靠友: to live with family or friends.
    Family,
    /// 就医: for medical care.
    Medical,
    /// 因公: on official business.
    Official,
    /// Anything else.
    Other,
}

/// Whether a resident still lives in the city's record.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::resident::ResidentStatus")]
pub enum ResidentStatus {
    /// Living here.
    Active,
    /// Moved away; the record stays.
    MovedOut,
    /// Died; the record stays.
    Deceased,
}

/// A resident's relation to the head of their household.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::resident::HeadRelation")]
pub enum HeadRelation {
    /// The head of the household (户主).
    Head,
    /// The head's spouse.
    Spouse,
    /// The head's child.
    Child,
    /// The head's parent.
    Parent,
    /// The head's grandchild.
    Grandchild,
    /// The head's brother or sister.
    Sibling,
    /// Anyone else.
    Other,
}

/// Where a record stands in information comparison with the police.
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

/// A reason a resident is looked after by the community; seen only with the
/// right to see care flags.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::resident::CareFlag")]
pub enum CareFlag {
    /// An elderly person living alone (独居老人).
    ElderlyLivingAlone,
    /// A person with a disability.
    Disability,
    /// On the minimum living allowance (低保).
    LowIncome,
    /// Released from prison (刑满释放).
    ReleasedFromPrison,
    /// Under community correction (社区矫正).
    CommunityCorrection,
    /// With a severe mental illness.
    SevereMentalIllness,
    /// A left-behind child (留守儿童).
    LeftBehindChild,
    /// A veteran (退役军人).
    Veteran,
}

/// How much of a protected field the caller sees on this row.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum Shown {
    /// In full.
    Full,
    /// Masked.
    Masked,
    /// Not shown.
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

/// The columns a field of [`Resident`] reads, or `None` for a field that
/// reads the whole row (a rule about the record, a field not named here):
/// a page asking only for named fields
/// reads only their columns (see `ResidentColumns`). A field whose
/// resolver comes to read another column must say so here.
pub fn columns_read_by(field: &str) -> Option<&'static [resident::Column]> {
    use resident::Column as C;
    Some(match field {
        "__typename" => &[],
        "id" | "verificationSteps" => &[C::Id],
        "name" => &[C::Name],
        "sex" => &[C::Sex],
        "birthDate" | "age" => &[C::BirthDate],
        "ethnicity" => &[C::Ethnicity],
        // Shown in full, masked or not at all by the row's grid alone.
        "idNumber" => &[C::IdNumber],
        "phone" => &[C::Phone],
        "documentType" => &[C::DocumentType],
        "nationality" => &[C::Nationality],
        "hukouPlace" => &[C::HukouPlace],
        "arrivedOn" => &[C::ArrivedOn],
        "residenceReason" => &[C::ResidenceReason],
        "permitExpiresOn" => &[C::PermitExpiresOn],
        "populationType" => &[C::PopulationType],
        "gridCode"
        | "grid"
        | "idNumberShown"
        | "viewerCanUpdate"
        | "viewerCanSeeFullIdNumber"
        | "viewerCanSeeFullPhone"
        | "viewerCanSeeCareFlags" => &[C::GridCode],
        "household" => &[C::HouseholdId],
        "dwelling" => &[C::DwellingId],
        "relationToHead" => &[C::RelationToHead],
        "status" => &[C::Status],
        "statusDate" => &[C::StatusDate],
        "verification" => &[C::Verification],
        "version" => &[C::Version],
        "updatedAt" => &[C::UpdatedAt],
        _ => return None,
    })
}

impl Resident {
    pub async fn find(ctx: &Context<'_>, id: &str) -> Result<Option<Resident>> {
        let Ok(id) = id.parse::<i64>() else {
            return Ok(None);
        };
        Ok(residents::find(ctx.access()?, id).await?.map(Resident))
    }
}

/// The fields of a resident that are plain (see `graphql::plain`), each
/// as its resolver below computes it: a page of residents asking only for
/// these is answered in one pass. A field added below is answered through
/// the resolver until it is added here too.
impl Plain for Resident {
    fn typename(&self) -> Option<Cow<'static, str>> {
        Some(<Self as OutputType>::type_name())
    }

    fn plain(&self, name: &str, access: &Access) -> Option<Value> {
        let row = &self.0;
        Some(match name {
            "id" => Value::String(global_id(NodeKind::Resident, &row.id.to_string()).0),
            "name" => Value::String(row.name.clone()),
            "sex" => Sex::from(row.sex).to_value(),
            "birthDate" => Date::from(row.birth_date).to_value(),
            "age" => residents::age(row.birth_date, chrono::Utc::now().date_naive()).into(),
            "ethnicity" => Some(row.ethnicity.as_str())
                .filter(|ethnicity| !ethnicity.is_empty())
                .into(),
            "documentType" => DocumentType::from(row.document_type).to_value(),
            "nationality" => Value::String(row.nationality.clone()),
            "hukouPlace" => row.hukou_place.as_deref().into(),
            "arrivedOn" => row.arrived_on.map(Date::from).to_value(),
            "residenceReason" => row.residence_reason.map(ResidenceReason::from).to_value(),
            "permitExpiresOn" => row.permit_expires_on.map(Date::from).to_value(),
            "idNumber" => access.id_number(row).into(),
            "phone" => access.phone(row).into(),
            "populationType" => PopulationType::from(row.population_type).to_value(),
            "gridCode" => Value::String(row.grid_code.clone()),
            "relationToHead" => row.relation_to_head.map(HeadRelation::from).to_value(),
            "status" => ResidentStatus::from(row.status).to_value(),
            "statusDate" => row.status_date.map(Date::from).to_value(),
            "verification" => Verification::from(row.verification).to_value(),
            "version" => row.version.into(),
            "updatedAt" => DateTime::from(row.updated_at).to_value(),
            _ => return None,
        })
    }

    fn related<'a>(&'a self, name: &str, loaders: &'a Loaders) -> Option<Related<'a>> {
        match name {
            "household" => one(household(loaders, self.0.household_id)),
            "dwelling" => one(dwelling(loaders, self.0.dwelling_id)),
            _ => None,
        }
    }
}

/// A resident (实有人口).
#[Object]
impl Resident {
    /// The resident's global ID.
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Resident, &self.0.id.to_string())
    }

    /// Their name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Their sex.
    async fn sex(&self) -> Sex {
        self.0.sex.into()
    }

    /// Their date of birth.
    async fn birth_date(&self) -> Date {
        self.0.birth_date.into()
    }

    /// Age in whole years today.
    async fn age(&self) -> i32 {
        residents::age(self.0.birth_date, chrono::Utc::now().date_naive())
    }

    /// Their ethnicity (民族); null for anyone who is not a Chinese citizen.
    async fn ethnicity(&self) -> Option<&str> {
        Some(self.0.ethnicity.as_str()).filter(|ethnicity| !ethnicity.is_empty())
    }

    /// The document `idNumber` is the number of.
    async fn document_type(&self) -> DocumentType {
        self.0.document_type.into()
    }

    /// Their nationality, ISO 3166-1 alpha-3 (`CHN` for Chinese citizens).
    async fn nationality(&self) -> &str {
        &self.0.nationality
    }

    /// 户籍地: where a floating resident's household is registered.
    async fn hukou_place(&self) -> Option<&str> {
        self.0.hukou_place.as_deref()
    }

    /// When a floating or foreign resident came to live here.
    async fn arrived_on(&self) -> Option<Date> {
        self.0.arrived_on.map(Into::into)
    }

    /// Why a floating or foreign resident lives here.
    async fn residence_reason(&self) -> Option<ResidenceReason> {
        self.0.residence_reason.map(Into::into)
    }

    /// When their residence permit (居住证) runs out, or a foreigner's visa
    /// or residence permit.
    async fn permit_expires_on(&self) -> Option<Date> {
        self.0.permit_expires_on.map(Into::into)
    }

    /// The number of the resident's document (`documentType`): in full,
    /// masked to its last character (`*****************X`) or null, as
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

    /// How they live in the grid.
    async fn population_type(&self) -> PopulationType {
        self.0.population_type.into()
    }

    /// The grid the resident lives in.
    async fn grid_code(&self) -> &str {
        &self.0.grid_code
    }

    /// The grid they live in; null when it is not on your map.
    async fn grid(&self, ctx: &Context<'_>) -> Result<Option<Grid>> {
        Grid::load(ctx, &self.0.grid_code).await
    }

    /// The household the resident is registered in, if you may see it.
    async fn household(&self, ctx: &Context<'_>) -> Result<Option<Household>> {
        household(ctx.loaders()?, self.0.household_id).await
    }

    /// The dwelling the resident lives in (which may differ from the
    /// household's: 人户分离), if you may see it.
    async fn dwelling(&self, ctx: &Context<'_>) -> Result<Option<Dwelling>> {
        dwelling(ctx.loaders()?, self.0.dwelling_id).await
    }

    /// Their relation to their household's head.
    async fn relation_to_head(&self) -> Option<HeadRelation> {
        self.0.relation_to_head.map(Into::into)
    }

    /// Whether they still live here.
    async fn status(&self) -> ResidentStatus {
        self.0.status.into()
    }

    /// When the resident moved out or died.
    async fn status_date(&self) -> Option<Date> {
        self.0.status_date.map(Into::into)
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

    /// Why the police returned the record, while it is `RETURNED`; shown to
    /// those who take part in its comparison (its keeper, the police of its
    /// grid), null for everyone else.
    async fn return_reason(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(verification::return_reason(ctx.access()?, &self.0))
    }

    /// The steps of its comparison with the household registry, oldest
    /// first (sign-offs, returns with their reasons, resubmissions,
    /// corrections that sent it back to the queue); empty unless you take
    /// part in it.
    async fn verification_steps(&self, ctx: &Context<'_>) -> Result<Vec<VerificationStep>> {
        let steps = ctx
            .loaders()?
            .resident_reviews()
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(steps.into_iter().map(VerificationStep).collect())
    }

    /// Whether you may sign the record off now (`signOffResident`).
    async fn viewer_can_sign_off(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(verification::may_take(
            ctx.access()?,
            &self.0,
            &verification::SIGN_OFF,
        ))
    }

    /// Whether you may return the record now (`returnResident`).
    async fn viewer_can_return(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(verification::may_take(
            ctx.access()?,
            &self.0,
            &verification::RETURN,
        ))
    }

    /// Whether you may resubmit the record now (`resubmitResident`).
    async fn viewer_can_resubmit(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(verification::may_take(
            ctx.access()?,
            &self.0,
            &verification::RESUBMIT,
        ))
    }

    /// Send it back with an update: a stale version is a CONFLICT.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// The grid's working note on the resident; shown to those who keep the
    /// record (who may correct it), null for everyone else.
    async fn note(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        Ok(ctx.access()?.note(&self.0))
    }

    /// Whether you may correct the record: the button a screen shows for
    /// `updateResident`.
    async fn viewer_can_update(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(viewer::may_change(
            ctx.access()?,
            RecordRow::Resident,
            &self.0.grid_code,
        ))
    }

    /// Whether `idNumber` shows to you in full here (each full read is
    /// audited).
    async fn viewer_can_see_full_id_number(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(viewer::sees_full_id_number(
            ctx.access()?,
            &self.0.grid_code,
        ))
    }

    /// Whether `phone` shows to you in full here (each full read is
    /// audited).
    async fn viewer_can_see_full_phone(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(viewer::sees_full_phone(ctx.access()?, &self.0.grid_code))
    }

    /// Whether `careFlags` show to you here.
    async fn viewer_can_see_care_flags(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(viewer::sees_care_flags(ctx.access()?, &self.0.grid_code))
    }

    /// When the record last changed.
    async fn updated_at(&self) -> DateTime {
        self.0.updated_at.into()
    }
}
