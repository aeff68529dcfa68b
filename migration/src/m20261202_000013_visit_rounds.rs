//! Rounds of visits: a task may name the people and places it is about
//! ("走访独居老人" with its list), and a visit to one of them counts as the
//! assignment's progress; and the care schedule's intervals, which a city
//! sets for itself.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{integer, string_len};

use crate::columns::{
    code, enumeration, id, id_ref, id_ref_null, index, references, time, time_null, version,
};
use crate::m20261126_000004_tasks::{TaskAssignments, Tasks};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TaskSubjects::Table)
                    .col(id(TaskSubjects::Id))
                    .col(id_ref(TaskSubjects::TaskId))
                    .col(id_ref(TaskSubjects::AssignmentId))
                    .col(enumeration(TaskSubjects::SubjectKind))
                    .col(id_ref(TaskSubjects::SubjectId))
                    .col(code(TaskSubjects::GridCode))
                    .col(id_ref_null(TaskSubjects::VisitId))
                    .col(time_null(TaskSubjects::VisitedAt))
                    .foreign_key(&mut references(
                        TaskSubjects::Table,
                        TaskSubjects::TaskId,
                        Tasks::Table,
                        Tasks::Id,
                    ))
                    .foreign_key(&mut references(
                        TaskSubjects::Table,
                        TaskSubjects::AssignmentId,
                        TaskAssignments::Table,
                        TaskAssignments::Id,
                    ))
                    .take(),
            )
            .await?;
        // A subject is named once per task.
        manager
            .create_index(
                index(
                    TaskSubjects::Table,
                    &[
                        TaskSubjects::TaskId,
                        TaskSubjects::SubjectKind,
                        TaskSubjects::SubjectId,
                    ],
                )
                .unique()
                .take(),
            )
            .await?;
        // What a recorded visit looks up: the open rounds naming its subject.
        manager
            .create_index(index(
                TaskSubjects::Table,
                &[TaskSubjects::SubjectKind, TaskSubjects::SubjectId],
            ))
            .await?;
        manager
            .create_index(index(
                TaskSubjects::Table,
                &[TaskSubjects::AssignmentId, TaskSubjects::Id],
            ))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(VisitIntervals::Table)
                    .col(string_len(VisitIntervals::CareFlag, 32).primary_key())
                    .col(integer(VisitIntervals::Days))
                    .col(version(VisitIntervals::Version))
                    .col(time(VisitIntervals::UpdatedAt))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(VisitIntervals::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(TaskSubjects::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum TaskSubjects {
    Table,
    Id,
    TaskId,
    AssignmentId,
    SubjectKind,
    SubjectId,
    GridCode,
    VisitId,
    VisitedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum VisitIntervals {
    Table,
    CareFlag,
    Days,
    Version,
    UpdatedAt,
}
