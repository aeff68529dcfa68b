//! Tasks from the command centre, their assignments and feedback.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{boolean, integer, integer_null, string, text};

use crate::columns::{
    code, code_null, enumeration, id, id_ref, id_ref_null, index, references, time, time_null,
    version,
};
use crate::m20261126_000001_places_and_people::{Departments, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tasks::Table)
                    .col(id(Tasks::Id))
                    .col(string(Tasks::Title))
                    .col(text(Tasks::Body))
                    .col(enumeration(Tasks::Kind))
                    .col(enumeration(Tasks::Priority))
                    .col(code_null(Tasks::AreaCode))
                    .col(id_ref(Tasks::CreatedBy))
                    .col(time(Tasks::DeadlineAt))
                    .col(integer_null(Tasks::TargetPerGrid))
                    .col(boolean(Tasks::Cancelled).default(false))
                    .col(version(Tasks::Version))
                    .col(time(Tasks::CreatedAt))
                    .col(time(Tasks::UpdatedAt))
                    .foreign_key(&mut references(
                        Tasks::Table,
                        Tasks::CreatedBy,
                        Users::Table,
                        Users::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(Tasks::Table, &[Tasks::AreaCode]))
            .await?;
        manager
            .create_index(index(Tasks::Table, &[Tasks::CreatedBy]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TaskAssignments::Table)
                    .col(id(TaskAssignments::Id))
                    .col(id_ref(TaskAssignments::TaskId))
                    .col(enumeration(TaskAssignments::TargetKind))
                    .col(code(TaskAssignments::AreaCode))
                    .col(id_ref_null(TaskAssignments::AssigneeUserId))
                    .col(id_ref_null(TaskAssignments::DepartmentId))
                    .col(enumeration(TaskAssignments::State))
                    .col(integer_null(TaskAssignments::Target))
                    .col(integer(TaskAssignments::Progress).default(0))
                    .col(time_null(TaskAssignments::AcknowledgedAt))
                    .col(time_null(TaskAssignments::CompletedAt))
                    .col(version(TaskAssignments::Version))
                    .col(time(TaskAssignments::UpdatedAt))
                    .foreign_key(&mut references(
                        TaskAssignments::Table,
                        TaskAssignments::TaskId,
                        Tasks::Table,
                        Tasks::Id,
                    ))
                    .foreign_key(&mut references(
                        TaskAssignments::Table,
                        TaskAssignments::AssigneeUserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut references(
                        TaskAssignments::Table,
                        TaskAssignments::DepartmentId,
                        Departments::Table,
                        Departments::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                TaskAssignments::Table,
                &[TaskAssignments::AreaCode, TaskAssignments::Id],
            ))
            .await?;
        manager
            .create_index(index(TaskAssignments::Table, &[TaskAssignments::TaskId]))
            .await?;
        manager
            .create_index(index(
                TaskAssignments::Table,
                &[TaskAssignments::AssigneeUserId, TaskAssignments::State],
            ))
            .await?;
        manager
            .create_index(index(
                TaskAssignments::Table,
                &[TaskAssignments::DepartmentId, TaskAssignments::State],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TaskFeedback::Table)
                    .col(id(TaskFeedback::Id))
                    .col(id_ref(TaskFeedback::AssignmentId))
                    .col(id_ref_null(TaskFeedback::AuthorUserId))
                    .col(string(TaskFeedback::AuthorName))
                    .col(text(TaskFeedback::Note))
                    .col(integer_null(TaskFeedback::Progress))
                    .col(time(TaskFeedback::At))
                    .foreign_key(&mut references(
                        TaskFeedback::Table,
                        TaskFeedback::AssignmentId,
                        TaskAssignments::Table,
                        TaskAssignments::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                TaskFeedback::Table,
                &[TaskFeedback::AssignmentId, TaskFeedback::Id],
            ))
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Tasks {
    Table,
    Id,
    Title,
    Body,
    Kind,
    Priority,
    AreaCode,
    CreatedBy,
    DeadlineAt,
    TargetPerGrid,
    Cancelled,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum TaskAssignments {
    Table,
    Id,
    TaskId,
    TargetKind,
    AreaCode,
    AssigneeUserId,
    DepartmentId,
    State,
    Target,
    Progress,
    AcknowledgedAt,
    CompletedAt,
    Version,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum TaskFeedback {
    Table,
    Id,
    AssignmentId,
    AuthorUserId,
    AuthorName,
    Note,
    Progress,
    At,
}
