use sea_orm::entity::prelude::*;

/// A task's assignment to one target: a grid (and so its worker), a worker by
/// name, or a department.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "task_assignments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub task_id: i64,
    pub target_kind: TargetKind,
    /// The place the assignment belongs to: the grid's code, or for a worker
    /// or department the area it acts in. Scopes who may see it.
    pub area_code: String,
    pub assignee_user_id: Option<i64>,
    pub department_id: Option<i64>,
    pub state: AssignmentState,
    /// For a campaign: the number to reach and the number reached.
    pub target: Option<i32>,
    pub progress: i32,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub version: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TargetKind {
    #[sea_orm(string_value = "grid")]
    Grid,
    #[sea_orm(string_value = "worker")]
    Worker,
    #[sea_orm(string_value = "department")]
    Department,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AssignmentState {
    #[sea_orm(string_value = "pending")]
    Pending,
    /// The assignee has read it (回执).
    #[sea_orm(string_value = "acknowledged")]
    Acknowledged,
    #[sea_orm(string_value = "in_progress")]
    InProgress,
    #[sea_orm(string_value = "completed")]
    Completed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
