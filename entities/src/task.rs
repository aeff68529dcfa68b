use sea_orm::entity::prelude::*;

/// An instruction from the command centre or a manager. It is sent once and
/// has one [`crate::task_assignment`] per target.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub body: String,
    pub kind: TaskKind,
    pub priority: TaskPriority,
    /// The area the sender acted in; `None` for the whole city.
    pub area_code: Option<String>,
    pub created_by: i64,
    pub deadline_at: DateTimeUtc,
    /// For a campaign: the number to reach in each grid, when the same for all.
    pub target_per_grid: Option<i32>,
    pub cancelled: bool,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TaskKind {
    /// A single instruction: "visit this household".
    #[sea_orm(string_value = "instruction")]
    Instruction,
    /// A campaign fanned out to grids, each with a number to reach.
    #[sea_orm(string_value = "campaign")]
    Campaign,
    /// A round of visits to named residents, households, dwellings or
    /// organisations: each grid's number to reach is how many of them live
    /// there, and a recorded visit counts.
    #[sea_orm(string_value = "visits")]
    Visits,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TaskPriority {
    #[sea_orm(string_value = "low")]
    Low,
    #[sea_orm(string_value = "normal")]
    Normal,
    #[sea_orm(string_value = "high")]
    High,
    #[sea_orm(string_value = "urgent")]
    Urgent,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
