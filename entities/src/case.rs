use sea_orm::entity::prelude::*;

/// A case (案件): a problem found in a grid, followed through the closed loop
/// from report to evaluation. Every change is also a [`crate::case_step`].
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cases")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The human-facing case number, e.g. `AJ20261126000123`.
    #[sea_orm(unique)]
    pub number: String,
    pub title: String,
    pub description: String,
    pub state: CaseState,
    pub source: CaseSource,
    pub category_code: Option<String>,
    pub urgency: Urgency,
    pub grid_code: String,
    pub location: String,
    pub longitude: Option<f64>,
    pub latitude: Option<f64>,
    pub reporter_id: Option<i64>,
    /// For reports by citizens, who have no account.
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    /// The department the case is dispatched to, if any.
    pub department_id: Option<i64>,
    pub filed_at: Option<DateTimeUtc>,
    pub deadline_at: Option<DateTimeUtc>,
    /// When 80% of the working-time limit has passed: the light turns yellow.
    pub yellow_at: Option<DateTimeUtc>,
    /// A department's request awaiting a dispatcher's decision.
    pub pending_request: Option<CaseRequest>,
    /// The deadline an extension request asks for.
    pub requested_deadline_at: Option<DateTimeUtc>,
    /// When the current suspension began; the clock stops until it ends.
    pub suspended_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub rework_count: i32,
    pub extension_count: i32,
    pub escalated: bool,
    /// Where the last escalation raised the case.
    pub escalated_to: Option<EscalationLevel>,
    pub escalated_at: Option<DateTimeUtc>,
    pub supervision: Supervision,
    pub urgent_mark: bool,
    /// 1-5, given at evaluation.
    pub satisfaction: Option<i32>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CaseState {
    #[sea_orm(string_value = "reported")]
    Reported,
    #[sea_orm(string_value = "verified")]
    Verified,
    #[sea_orm(string_value = "void")]
    Void,
    #[sea_orm(string_value = "filed")]
    Filed,
    #[sea_orm(string_value = "dispatched")]
    Dispatched,
    #[sea_orm(string_value = "in_progress")]
    InProgress,
    #[sea_orm(string_value = "suspended")]
    Suspended,
    #[sea_orm(string_value = "handled")]
    Handled,
    #[sea_orm(string_value = "checked")]
    Checked,
    #[sea_orm(string_value = "closed")]
    Closed,
    #[sea_orm(string_value = "evaluated")]
    Evaluated,
}

/// How far up a case has been escalated (提级): above its grid's
/// community, to the street, the district, then the city's command centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum EscalationLevel {
    #[sea_orm(string_value = "street")]
    Street,
    #[sea_orm(string_value = "district")]
    District,
    #[sea_orm(string_value = "city")]
    City,
}

/// What a department may ask a dispatcher for while handling a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum CaseRequest {
    /// 延期: a later deadline.
    #[sea_orm(string_value = "extension")]
    Extension,
    /// 挂起: stopping the clock, e.g. while waiting for a court.
    #[sea_orm(string_value = "suspension")]
    Suspension,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CaseSource {
    #[sea_orm(string_value = "grid_worker")]
    GridWorker,
    #[sea_orm(string_value = "citizen")]
    Citizen,
    #[sea_orm(string_value = "hotline")]
    Hotline,
    #[sea_orm(string_value = "department")]
    Department,
    /// Staff of a street, a community or the command centre (not a grid
    /// worker on rounds).
    #[sea_orm(string_value = "staff")]
    Staff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Urgency {
    #[sea_orm(string_value = "normal")]
    Normal,
    #[sea_orm(string_value = "urgent")]
    Urgent,
    #[sea_orm(string_value = "critical")]
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Supervision {
    #[sea_orm(string_value = "none")]
    None,
    #[sea_orm(string_value = "yellow_card")]
    YellowCard,
    #[sea_orm(string_value = "red_card")]
    RedCard,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
