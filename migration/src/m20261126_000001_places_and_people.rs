//! Areas, grids, departments and users: the places and the people who act in them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{boolean, string, string_len, string_len_null, text};

use crate::columns::{
    code, code_null, enumeration, id, id_ref_null, index, json, json_null, references, time,
    version,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Areas::Table)
                    .col(string_len(Areas::Code, 12).primary_key())
                    .col(string(Areas::Name))
                    .col(enumeration(Areas::Level))
                    .col(code_null(Areas::ParentCode))
                    .foreign_key(&mut references(
                        Areas::Table,
                        Areas::ParentCode,
                        Areas::Table,
                        Areas::Code,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(Areas::Table, &[Areas::ParentCode]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Departments::Table)
                    .col(id(Departments::Id))
                    .col(string_len(Departments::Code, 32).unique_key())
                    .col(string(Departments::Name))
                    .col(json(Departments::Duties))
                    .col(code(Departments::JurisdictionCode))
                    .col(version(Departments::Version))
                    .col(time(Departments::CreatedAt))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(id(Users::Id))
                    .col(string_len(Users::Username, 64).unique_key())
                    .col(text(Users::PasswordHash))
                    .col(string(Users::DisplayName))
                    .col(enumeration(Users::Kind))
                    .col(id_ref_null(Users::DepartmentId))
                    .col(code_null(Users::AreaCode))
                    .col(string_len_null(Users::Phone, 32))
                    .col(boolean(Users::Active).default(true))
                    .col(version(Users::Version))
                    .col(time(Users::CreatedAt))
                    .col(time(Users::UpdatedAt))
                    .foreign_key(&mut references(
                        Users::Table,
                        Users::DepartmentId,
                        Departments::Table,
                        Departments::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(Users::Table, &[Users::AreaCode]))
            .await?;
        manager
            .create_index(index(Users::Table, &[Users::DepartmentId]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Grids::Table)
                    .col(string_len(Grids::Code, 15).primary_key())
                    .col(code(Grids::CommunityCode))
                    .col(string(Grids::Name))
                    .col(json_null(Grids::Boundary))
                    .col(id_ref_null(Grids::WorkerId))
                    .foreign_key(&mut references(
                        Grids::Table,
                        Grids::CommunityCode,
                        Areas::Table,
                        Areas::Code,
                    ))
                    .foreign_key(&mut references(
                        Grids::Table,
                        Grids::WorkerId,
                        Users::Table,
                        Users::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(Grids::Table, &[Grids::CommunityCode]))
            .await?;
        manager
            .create_index(index(Grids::Table, &[Grids::WorkerId]))
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Areas {
    Table,
    Code,
    Name,
    Level,
    ParentCode,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Grids {
    Table,
    Code,
    CommunityCode,
    Name,
    Boundary,
    WorkerId,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Departments {
    Table,
    Id,
    Code,
    Name,
    Duties,
    JurisdictionCode,
    Version,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Users {
    Table,
    Id,
    Username,
    PasswordHash,
    DisplayName,
    Kind,
    DepartmentId,
    AreaCode,
    Phone,
    Active,
    Version,
    CreatedAt,
    UpdatedAt,
}
