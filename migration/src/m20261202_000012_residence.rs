//! Where a resident comes from and on what papers they live here: the
//! document they are identified by (a passport for a foreigner, not only a
//! Chinese ID number), their nationality, and for the floating and foreign
//! population where their household is registered (户籍地), when and why
//! they came, and when their residence permit or visa runs out.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{date_null, string_len, string_len_null};

use crate::columns::{enumeration, enumeration_null, index};
use crate::m20261126_000002_population::Residents;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// ISO 3166-1 numeric to alpha-3 for the countries a foreigner's permanent
/// residence ID in the record most likely names (its digits 4 to 6).
const NATIONALITY_OF_NUMERIC: &[(&str, &str)] = &[
    ("840", "USA"),
    ("392", "JPN"),
    ("410", "KOR"),
    ("704", "VNM"),
    ("276", "DEU"),
    ("643", "RUS"),
    ("826", "GBR"),
    ("250", "FRA"),
    ("124", "CAN"),
    ("036", "AUS"),
    ("702", "SGP"),
    ("458", "MYS"),
    ("764", "THA"),
    ("360", "IDN"),
    ("608", "PHL"),
    ("356", "IND"),
    ("380", "ITA"),
    ("724", "ESP"),
    ("528", "NLD"),
    ("756", "CHE"),
    ("752", "SWE"),
    ("554", "NZL"),
    ("076", "BRA"),
    ("484", "MEX"),
    ("104", "MMR"),
    ("418", "LAO"),
    ("116", "KHM"),
    ("496", "MNG"),
    ("398", "KAZ"),
    ("586", "PAK"),
    ("050", "BGD"),
    ("524", "NPL"),
];

/// Records made before documents were told apart: a number of GB 11643's
/// shape starting with 9 is a foreigner's permanent residence ID, one
/// starting 810000, 820000 or 830000 a Hong Kong, Macao or Taiwan
/// resident's permit; both holders are FOREIGN (境外), and a foreigner
/// whose country the number names has no ethnicity.
async fn backfill(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let known: Vec<String> = NATIONALITY_OF_NUMERIC
        .iter()
        .map(|(numeric, _)| format!("'{numeric}'"))
        .collect();
    let mapped: String = NATIONALITY_OF_NUMERIC
        .iter()
        .map(|(numeric, alpha)| format!(" WHEN '{numeric}' THEN '{alpha}'"))
        .collect();
    let foreign = "LENGTH(id_number) = 18 AND SUBSTR(id_number, 1, 1) = '9'";
    let db = manager.get_connection();
    db.execute_unprepared(&format!(
        "UPDATE residents SET document_type = 'foreign_permanent_id', \
         population_type = 'foreign', \
         nationality = CASE SUBSTR(id_number, 4, 3){mapped} ELSE nationality END \
         WHERE {foreign}"
    ))
    .await?;
    db.execute_unprepared(&format!(
        "UPDATE residents SET ethnicity = '' WHERE {foreign} AND SUBSTR(id_number, 4, 3) IN ({})",
        known.join(", ")
    ))
    .await?;
    db.execute_unprepared(
        "UPDATE residents SET document_type = 'hmt_residence_permit', population_type = 'foreign' \
         WHERE LENGTH(id_number) = 18 AND SUBSTR(id_number, 1, 6) IN ('810000', '820000', '830000')",
    )
    .await?;
    Ok(())
}

#[derive(DeriveIden, Clone, Copy)]
enum Papers {
    DocumentType,
    Nationality,
    HukouPlace,
    ArrivedOn,
    ResidenceReason,
    PermitExpiresOn,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        for column in [
            enumeration(Papers::DocumentType)
                .default("resident_id_card")
                .take(),
            string_len(Papers::Nationality, 3).default("CHN").take(),
            string_len_null(Papers::HukouPlace, 100),
            date_null(Papers::ArrivedOn),
            enumeration_null(Papers::ResidenceReason),
            date_null(Papers::PermitExpiresOn),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Residents::Table)
                        .add_column(column)
                        .take(),
                )
                .await?;
        }
        backfill(manager).await?;
        // The worker's list of permits running out; its ordering puts
        // residents without a permit after every date, which a plain index
        // on the column serves for the filter, not for that order.
        manager
            .create_index(index(
                Residents::Table,
                &[Alias::new("permit_expires_on"), Alias::new("id")],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            // SQLite drops an index by name alone; PostgreSQL needs no table.
            .drop_index(
                Index::drop()
                    .name("ix_residents_permit_expires_on_id")
                    .to_owned(),
            )
            .await?;
        for column in [
            Papers::PermitExpiresOn,
            Papers::ResidenceReason,
            Papers::ArrivedOn,
            Papers::HukouPlace,
            Papers::Nationality,
            Papers::DocumentType,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Residents::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
