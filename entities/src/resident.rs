use sea_orm::entity::prelude::*;

/// A resident (实有人口): everyone who lives in a grid, registered there or not.
/// Much of this row is sensitive personal information (PIPL Art. 28).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "residents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The number of the document in `document_type`: 18 characters with a
    /// verified check character for the ID cards and residence IDs of
    /// GB 11643's shape, the printed number for passports and travel permits.
    #[sea_orm(unique)]
    pub id_number: String,
    pub document_type: DocumentType,
    /// ISO 3166-1 alpha-3; `CHN` for Chinese citizens.
    pub nationality: String,
    pub name: String,
    /// From the ID number where it gives it, else from the document.
    pub sex: Sex,
    /// From the ID number where it gives it, else from the document.
    pub birth_date: Date,
    /// 民族, for Chinese citizens; empty for everyone else.
    pub ethnicity: String,
    pub phone: Option<String>,
    pub population_type: PopulationType,
    /// The grid the resident lives in.
    pub grid_code: String,
    pub household_id: Option<i64>,
    pub relation_to_head: Option<HeadRelation>,
    pub dwelling_id: Option<i64>,
    pub status: ResidentStatus,
    /// When the resident moved out or died.
    pub status_date: Option<Date>,
    /// A set of [`CareFlag`] bits.
    pub care_flags: i32,
    /// Where the police's comparison with the household registry stands.
    pub verification: Verification,
    /// Why the police returned the record, while it is returned.
    pub return_reason: Option<String>,
    /// HMAC-SHA256 of `id_number` under the server's match key, as outside
    /// registries' numbers are kept: comparison joins on it. Null until the
    /// server has hashed the number (after a seed, or a corrected number).
    pub id_hash: Option<String>,
    pub note: Option<String>,
    /// 户籍地: where a floating resident's household is registered.
    pub hukou_place: Option<String>,
    /// When a floating or foreign resident came to live here.
    pub arrived_on: Option<Date>,
    pub residence_reason: Option<ResidenceReason>,
    /// When the residence permit (居住证), or a foreigner's visa or
    /// residence permit, runs out.
    pub permit_expires_on: Option<Date>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum Sex {
    #[sea_orm(string_value = "male")]
    Male,
    #[sea_orm(string_value = "female")]
    Female,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum PopulationType {
    /// 户籍人口: registered here.
    #[sea_orm(string_value = "registered")]
    Registered,
    /// 流动人口: living here, registered elsewhere.
    #[sea_orm(string_value = "floating")]
    Floating,
    /// 境外人员.
    #[sea_orm(string_value = "foreign")]
    Foreign,
}

/// The document a resident is identified by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum DocumentType {
    /// 居民身份证 (GB 11643).
    #[sea_orm(string_value = "resident_id_card")]
    ResidentIdCard,
    /// 港澳台居民居住证: GB 11643's shape, address code 810000, 820000 or 830000.
    #[sea_orm(string_value = "hmt_residence_permit")]
    HmtResidencePermit,
    /// 外国人永久居留身份证 (2023 edition: GB 11643's shape, starting with 9).
    #[sea_orm(string_value = "foreign_permanent_id")]
    ForeignPermanentId,
    /// 港澳居民来往内地通行证 (回乡证).
    #[sea_orm(string_value = "hk_macao_travel_permit")]
    HkMacaoTravelPermit,
    /// 台湾居民来往大陆通行证 (台胞证).
    #[sea_orm(string_value = "taiwan_travel_permit")]
    TaiwanTravelPermit,
    /// A passport of any country.
    #[sea_orm(string_value = "passport")]
    Passport,
}

/// Why a floating or foreign resident lives here (居住事由).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ResidenceReason {
    #[sea_orm(string_value = "work")]
    Work,
    #[sea_orm(string_value = "business")]
    Business,
    #[sea_orm(string_value = "study")]
    Study,
    #[sea_orm(string_value = "family")]
    Family,
    #[sea_orm(string_value = "medical")]
    Medical,
    #[sea_orm(string_value = "official")]
    Official,
    #[sea_orm(string_value = "other")]
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ResidentStatus {
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "moved_out")]
    MovedOut,
    #[sea_orm(string_value = "deceased")]
    Deceased,
}

/// A member's relation to the head of their household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum HeadRelation {
    #[sea_orm(string_value = "head")]
    Head,
    #[sea_orm(string_value = "spouse")]
    Spouse,
    #[sea_orm(string_value = "child")]
    Child,
    #[sea_orm(string_value = "parent")]
    Parent,
    #[sea_orm(string_value = "grandchild")]
    Grandchild,
    #[sea_orm(string_value = "sibling")]
    Sibling,
    #[sea_orm(string_value = "other")]
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Verification {
    /// Collected in the grid, not yet compared.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// 签收: the police found it matches the registry.
    #[sea_orm(string_value = "signed_off")]
    SignedOff,
    /// 退回: returned to the grid worker for re-checking.
    #[sea_orm(string_value = "returned")]
    Returned,
}

/// Care and attention flags, stored as bits of `care_flags` so that one row
/// carries them all and statistics count them in one pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CareFlag {
    ElderlyLivingAlone = 1,
    Disability = 1 << 1,
    LowIncome = 1 << 2,
    ReleasedFromPrison = 1 << 3,
    CommunityCorrection = 1 << 4,
    SevereMentalIllness = 1 << 5,
    LeftBehindChild = 1 << 6,
    Veteran = 1 << 7,
}

impl CareFlag {
    pub const ALL: [CareFlag; 8] = [
        CareFlag::ElderlyLivingAlone,
        CareFlag::Disability,
        CareFlag::LowIncome,
        CareFlag::ReleasedFromPrison,
        CareFlag::CommunityCorrection,
        CareFlag::SevereMentalIllness,
        CareFlag::LeftBehindChild,
        CareFlag::Veteran,
    ];

    pub const fn bit(self) -> i32 {
        self as i32
    }

    /// The flag's name where a table stores it by name.
    pub const fn name(self) -> &'static str {
        match self {
            CareFlag::ElderlyLivingAlone => "elderly_living_alone",
            CareFlag::Disability => "disability",
            CareFlag::LowIncome => "low_income",
            CareFlag::ReleasedFromPrison => "released_from_prison",
            CareFlag::CommunityCorrection => "community_correction",
            CareFlag::SevereMentalIllness => "severe_mental_illness",
            CareFlag::LeftBehindChild => "left_behind_child",
            CareFlag::Veteran => "veteran",
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
