//! Buildings, dwellings, households, residents and organisations: the population record.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    date, date_null, integer, integer_null, string, string_len, string_len_null, text_null,
};

use crate::columns::{
    code, enumeration, enumeration_null, id, id_ref, id_ref_null, index, references, time, version,
};
use crate::m20261126_000001_places_and_people::Grids;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Buildings::Table)
                    .col(id(Buildings::Id))
                    .col(string_len(Buildings::Code, 20).unique_key())
                    .col(code(Buildings::GridCode))
                    .col(string(Buildings::Name))
                    .col(string(Buildings::Address))
                    .col(enumeration(Buildings::UseKind))
                    .col(integer(Buildings::Floors))
                    .col(integer(Buildings::Units))
                    .col(version(Buildings::Version))
                    .col(time(Buildings::CreatedAt))
                    .col(time(Buildings::UpdatedAt))
                    .foreign_key(&mut references(
                        Buildings::Table,
                        Buildings::GridCode,
                        Grids::Table,
                        Grids::Code,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(Buildings::Table, &[Buildings::GridCode]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Dwellings::Table)
                    .col(id(Dwellings::Id))
                    .col(id_ref(Dwellings::BuildingId))
                    .col(code(Dwellings::GridCode))
                    .col(integer(Dwellings::Unit))
                    .col(integer(Dwellings::Floor))
                    .col(string_len(Dwellings::Room, 16))
                    .col(integer_null(Dwellings::AreaSqm))
                    .col(enumeration(Dwellings::Occupancy))
                    .col(string_len_null(Dwellings::LessorName, 64))
                    .col(string_len_null(Dwellings::LessorPhone, 32))
                    .col(version(Dwellings::Version))
                    .col(time(Dwellings::CreatedAt))
                    .col(time(Dwellings::UpdatedAt))
                    .foreign_key(&mut references(
                        Dwellings::Table,
                        Dwellings::BuildingId,
                        Buildings::Table,
                        Buildings::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                Dwellings::Table,
                &[Dwellings::GridCode, Dwellings::Occupancy],
            ))
            .await?;
        manager
            .create_index(index(Dwellings::Table, &[Dwellings::BuildingId]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Households::Table)
                    .col(id(Households::Id))
                    .col(string_len(Households::Number, 32).unique_key())
                    .col(code(Households::GridCode))
                    .col(enumeration(Households::Kind))
                    .col(id_ref_null(Households::HeadResidentId))
                    .col(id_ref_null(Households::DwellingId))
                    .col(string(Households::Address))
                    .col(version(Households::Version))
                    .col(time(Households::CreatedAt))
                    .col(time(Households::UpdatedAt))
                    .foreign_key(&mut references(
                        Households::Table,
                        Households::DwellingId,
                        Dwellings::Table,
                        Dwellings::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(Households::Table, &[Households::GridCode]))
            .await?;
        manager
            .create_index(index(Households::Table, &[Households::DwellingId]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Residents::Table)
                    .col(id(Residents::Id))
                    .col(string_len(Residents::IdNumber, 18).unique_key())
                    .col(string_len(Residents::Name, 64))
                    .col(enumeration(Residents::Sex))
                    .col(date(Residents::BirthDate))
                    .col(string_len(Residents::Ethnicity, 16))
                    .col(string_len_null(Residents::Phone, 32))
                    .col(enumeration(Residents::PopulationType))
                    .col(code(Residents::GridCode))
                    .col(id_ref_null(Residents::HouseholdId))
                    .col(enumeration_null(Residents::RelationToHead))
                    .col(id_ref_null(Residents::DwellingId))
                    .col(enumeration(Residents::Status))
                    .col(date_null(Residents::StatusDate))
                    .col(integer(Residents::CareFlags).default(0))
                    .col(enumeration(Residents::Verification))
                    .col(text_null(Residents::Note))
                    .col(version(Residents::Version))
                    .col(time(Residents::CreatedAt))
                    .col(time(Residents::UpdatedAt))
                    .foreign_key(&mut references(
                        Residents::Table,
                        Residents::HouseholdId,
                        Households::Table,
                        Households::Id,
                    ))
                    .foreign_key(&mut references(
                        Residents::Table,
                        Residents::DwellingId,
                        Dwellings::Table,
                        Dwellings::Id,
                    ))
                    .take(),
            )
            .await?;
        // Keyset pages inside a scope walk (grid_code, id).
        manager
            .create_index(index(
                Residents::Table,
                &[Residents::GridCode, Residents::Id],
            ))
            .await?;
        manager
            .create_index(index(Residents::Table, &[Residents::HouseholdId]))
            .await?;
        manager
            .create_index(index(Residents::Table, &[Residents::DwellingId]))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Organisations::Table)
                    .col(id(Organisations::Id))
                    .col(string(Organisations::Name))
                    .col(enumeration(Organisations::Kind))
                    .col(code(Organisations::GridCode))
                    .col(id_ref_null(Organisations::BuildingId))
                    .col(string(Organisations::Address))
                    .col(string_len(Organisations::LegalRepresentative, 64))
                    .col(string_len_null(Organisations::Phone, 32))
                    .col(string_len_null(Organisations::LicenceNumber, 32))
                    .col(date_null(Organisations::LicenceExpiresOn))
                    .col(version(Organisations::Version))
                    .col(time(Organisations::CreatedAt))
                    .col(time(Organisations::UpdatedAt))
                    .foreign_key(&mut references(
                        Organisations::Table,
                        Organisations::BuildingId,
                        Buildings::Table,
                        Buildings::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(index(
                Organisations::Table,
                &[Organisations::GridCode, Organisations::Id],
            ))
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Buildings {
    Table,
    Id,
    Code,
    GridCode,
    Name,
    Address,
    UseKind,
    Floors,
    Units,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Dwellings {
    Table,
    Id,
    BuildingId,
    GridCode,
    Unit,
    Floor,
    Room,
    AreaSqm,
    Occupancy,
    LessorName,
    LessorPhone,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Households {
    Table,
    Id,
    Number,
    GridCode,
    Kind,
    HeadResidentId,
    DwellingId,
    Address,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Residents {
    Table,
    Id,
    IdNumber,
    Name,
    Sex,
    BirthDate,
    Ethnicity,
    Phone,
    PopulationType,
    GridCode,
    HouseholdId,
    RelationToHead,
    DwellingId,
    Status,
    StatusDate,
    CareFlags,
    Verification,
    Note,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Organisations {
    Table,
    Id,
    Name,
    Kind,
    GridCode,
    BuildingId,
    Address,
    LegalRepresentative,
    Phone,
    LicenceNumber,
    LicenceExpiresOn,
    Version,
    CreatedAt,
    UpdatedAt,
}
