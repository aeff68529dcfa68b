//! Case categories with their time limits, the working calendar, cases and their timelines.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    boolean, date, double_null, integer, integer_null, string, string_len, string_len_null, text,
    text_null,
};

use crate::columns::{
    code, enumeration, enumeration_null, id, id_ref, id_ref_null, index, json, references, time,
    time_null, version,
};
use crate::m20261126_000001_places_and_people::{Departments, Grids, Users};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CaseCategories::Table)
                    .col(string_len(CaseCategories::Code, 16).primary_key())
                    .col(string_len_null(CaseCategories::ParentCode, 16))
                    .col(string(CaseCategories::Name))
                    .col(string_len(CaseCategories::Duty, 32))
                    .foreign_key(&mut references(
                        CaseCategories::Table,
                        CaseCategories::ParentCode,
                        CaseCategories::Table,
                        CaseCategories::Code,
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CaseTimeLimits::Table)
                    .col(string_len(CaseTimeLimits::CategoryCode, 16))
                    .col(enumeration(CaseTimeLimits::Urgency))
                    .col(integer(CaseTimeLimits::Amount))
                    .col(enumeration(CaseTimeLimits::Unit))
                    .primary_key(
                        Index::create()
                            .col(CaseTimeLimits::CategoryCode)
                            .col(CaseTimeLimits::Urgency),
                    )
                    .foreign_key(&mut references(
                        CaseTimeLimits::Table,
                        CaseTimeLimits::CategoryCode,
                        CaseCategories::Table,
                        CaseCategories::Code,
                    ))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CalendarDays::Table)
                    .col(date(CalendarDays::Day).primary_key())
                    .col(boolean(CalendarDays::Working))
                    .col(string(CalendarDays::Note))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Cases::Table)
                    .col(id(Cases::Id))
                    .col(string_len(Cases::Number, 32).unique_key())
                    .col(string(Cases::Title))
                    .col(text(Cases::Description))
                    .col(enumeration(Cases::State))
                    .col(enumeration(Cases::Source))
                    .col(string_len_null(Cases::CategoryCode, 16))
                    .col(enumeration(Cases::Urgency))
                    .col(code(Cases::GridCode))
                    .col(string(Cases::Location))
                    .col(double_null(Cases::Longitude))
                    .col(double_null(Cases::Latitude))
                    .col(id_ref_null(Cases::ReporterId))
                    .col(string_len_null(Cases::ReporterName, 64))
                    .col(string_len_null(Cases::ReporterPhone, 32))
                    .col(id_ref_null(Cases::DepartmentId))
                    .col(time_null(Cases::FiledAt))
                    .col(time_null(Cases::DeadlineAt))
                    .col(time_null(Cases::ClosedAt))
                    .col(integer(Cases::ReworkCount).default(0))
                    .col(integer(Cases::ExtensionCount).default(0))
                    .col(boolean(Cases::Escalated).default(false))
                    .col(enumeration(Cases::Supervision))
                    .col(boolean(Cases::UrgentMark).default(false))
                    .col(integer_null(Cases::Satisfaction))
                    .col(version(Cases::Version))
                    .col(time(Cases::CreatedAt))
                    .col(time(Cases::UpdatedAt))
                    .foreign_key(&mut references(
                        Cases::Table,
                        Cases::GridCode,
                        Grids::Table,
                        Grids::Code,
                    ))
                    .foreign_key(&mut references(
                        Cases::Table,
                        Cases::CategoryCode,
                        CaseCategories::Table,
                        CaseCategories::Code,
                    ))
                    .foreign_key(&mut references(
                        Cases::Table,
                        Cases::ReporterId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut references(
                        Cases::Table,
                        Cases::DepartmentId,
                        Departments::Table,
                        Departments::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(Cases::Table, &[Cases::GridCode, Cases::Id]))
            .await?;
        manager
            .create_index(index(Cases::Table, &[Cases::State, Cases::DeadlineAt]))
            .await?;
        manager
            .create_index(index(Cases::Table, &[Cases::DepartmentId, Cases::State]))
            .await?;
        manager
            .create_index(index(Cases::Table, &[Cases::ReporterId]))
            .await?;
        manager
            .create_index(index(Cases::Table, &[Cases::CreatedAt]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CaseSteps::Table)
                    .col(id(CaseSteps::Id))
                    .col(id_ref(CaseSteps::CaseId))
                    .col(string_len(CaseSteps::Action, 32))
                    .col(enumeration_null(CaseSteps::FromState))
                    .col(enumeration(CaseSteps::ToState))
                    .col(id_ref_null(CaseSteps::ActorUserId))
                    .col(id_ref_null(CaseSteps::ActorTokenId))
                    .col(string_len(CaseSteps::ActorName, 64))
                    .col(id_ref_null(CaseSteps::DepartmentId))
                    .col(text_null(CaseSteps::Note))
                    .col(json(CaseSteps::Evidence))
                    .col(time(CaseSteps::At))
                    .foreign_key(&mut references(
                        CaseSteps::Table,
                        CaseSteps::CaseId,
                        Cases::Table,
                        Cases::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(CaseSteps::Table, &[CaseSteps::CaseId, CaseSteps::Id]))
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum CaseCategories {
    Table,
    Code,
    ParentCode,
    Name,
    Duty,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum CaseTimeLimits {
    Table,
    CategoryCode,
    Urgency,
    Amount,
    Unit,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum CalendarDays {
    Table,
    Day,
    Working,
    Note,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Cases {
    Table,
    Id,
    Number,
    Title,
    Description,
    State,
    Source,
    CategoryCode,
    Urgency,
    GridCode,
    Location,
    Longitude,
    Latitude,
    ReporterId,
    ReporterName,
    ReporterPhone,
    DepartmentId,
    FiledAt,
    DeadlineAt,
    ClosedAt,
    ReworkCount,
    ExtensionCount,
    Escalated,
    Supervision,
    UrgentMark,
    Satisfaction,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum CaseSteps {
    Table,
    Id,
    CaseId,
    Action,
    FromState,
    ToState,
    ActorUserId,
    ActorTokenId,
    ActorName,
    DepartmentId,
    Note,
    Evidence,
    At,
}
