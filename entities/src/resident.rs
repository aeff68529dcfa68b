use sea_orm::entity::prelude::*;

/// A resident (实有人口): everyone who lives in a grid, registered there or not.
/// Much of this row is sensitive personal information (PIPL Art. 28).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "residents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// 18 characters, GB 11643 (or the foreigners' permanent residence ID of
    /// the same shape), check digit verified before it is stored.
    #[sea_orm(unique)]
    pub id_number: String,
    pub name: String,
    /// Derived from the ID number and kept in its own column for filtering.
    pub sex: Sex,
    /// Derived from the ID number and kept in its own column for filtering.
    pub birth_date: Date,
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
    pub note: Option<String>,
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
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
