//! Which columns of the residents' table a page reads. A row carries the
//! ID number, phone, note and twenty more columns; a page that shows names
//! and grids need not fetch, send and decode them (on a worker's page of 50
//! that decoding was a sixth of the server's work). Whoever asks for a
//! narrower read names the columns it will read; the rest of each row is
//! left blank and must not be read.

use chrono::{DateTime, NaiveDate, Utc};
use entities::resident::{
    Column, DocumentType, Model, PopulationType, ResidentStatus, Sex, Verification,
};
use sea_orm::{DbErr, QueryResult};

/// The columns a read of residents fetches.
#[derive(Clone, Debug)]
pub enum ResidentColumns {
    /// Every column: what a read that shows or decides on anything beyond
    /// single columns and the grid (a rule about the whole record) needs.
    All,
    /// These columns (in this order), which always hold the id and the grid
    /// that scope, cursors and the viewer's rules read.
    Only(Vec<Column>),
}

impl ResidentColumns {
    /// `wanted` and the id and grid, or every column when `wanted` is `None`
    /// (something asked for needs the whole row).
    pub fn of(wanted: Option<impl IntoIterator<Item = Column>>) -> ResidentColumns {
        let Some(wanted) = wanted else {
            return ResidentColumns::All;
        };
        let mut columns = vec![Column::Id, Column::GridCode];
        for column in wanted {
            if !columns.iter().any(|have| same(*have, column)) {
                columns.push(column);
            }
        }
        ResidentColumns::Only(columns)
    }
}

// sea-orm's columns do not compare; a column is its variant.
fn same(one: Column, other: Column) -> bool {
    std::mem::discriminant(&one) == std::mem::discriminant(&other)
}

/// A row of `columns`, read by position; every other field blank.
pub fn decode(columns: &[Column], row: &QueryResult) -> Result<Model, DbErr> {
    let mut model = blank();
    for (at, column) in columns.iter().enumerate() {
        match column {
            Column::Id => model.id = row.try_get_by_index(at)?,
            Column::IdNumber => model.id_number = row.try_get_by_index(at)?,
            Column::DocumentType => model.document_type = row.try_get_by_index(at)?,
            Column::Nationality => model.nationality = row.try_get_by_index(at)?,
            Column::Name => model.name = row.try_get_by_index(at)?,
            Column::Sex => model.sex = row.try_get_by_index(at)?,
            Column::BirthDate => model.birth_date = row.try_get_by_index(at)?,
            Column::Ethnicity => model.ethnicity = row.try_get_by_index(at)?,
            Column::Phone => model.phone = row.try_get_by_index(at)?,
            Column::PopulationType => model.population_type = row.try_get_by_index(at)?,
            Column::GridCode => model.grid_code = row.try_get_by_index(at)?,
            Column::HouseholdId => model.household_id = row.try_get_by_index(at)?,
            Column::RelationToHead => model.relation_to_head = row.try_get_by_index(at)?,
            Column::DwellingId => model.dwelling_id = row.try_get_by_index(at)?,
            Column::Status => model.status = row.try_get_by_index(at)?,
            Column::StatusDate => model.status_date = row.try_get_by_index(at)?,
            Column::CareFlags => model.care_flags = row.try_get_by_index(at)?,
            Column::Verification => model.verification = row.try_get_by_index(at)?,
            Column::ReturnReason => model.return_reason = row.try_get_by_index(at)?,
            Column::IdHash => model.id_hash = row.try_get_by_index(at)?,
            Column::Note => model.note = row.try_get_by_index(at)?,
            Column::HukouPlace => model.hukou_place = row.try_get_by_index(at)?,
            Column::ArrivedOn => model.arrived_on = row.try_get_by_index(at)?,
            Column::ResidenceReason => model.residence_reason = row.try_get_by_index(at)?,
            Column::PermitExpiresOn => model.permit_expires_on = row.try_get_by_index(at)?,
            Column::Version => model.version = row.try_get_by_index(at)?,
            Column::CreatedAt => model.created_at = row.try_get_by_index(at)?,
            Column::UpdatedAt => model.updated_at = row.try_get_by_index(at)?,
        }
    }
    Ok(model)
}

/// A row with nothing read into it.
fn blank() -> Model {
    Model {
        id: 0,
        id_number: String::new(),
        document_type: DocumentType::ResidentIdCard,
        nationality: String::new(),
        name: String::new(),
        sex: Sex::Male,
        birth_date: NaiveDate::default(),
        ethnicity: String::new(),
        phone: None,
        population_type: PopulationType::Registered,
        grid_code: String::new(),
        household_id: None,
        relation_to_head: None,
        dwelling_id: None,
        status: ResidentStatus::Active,
        status_date: None,
        care_flags: 0,
        verification: Verification::Pending,
        return_reason: None,
        id_hash: None,
        note: None,
        hukou_place: None,
        arrived_on: None,
        residence_reason: None,
        permit_expires_on: None,
        version: 0,
        created_at: DateTime::<Utc>::default(),
        updated_at: DateTime::<Utc>::default(),
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::IdenStatic;

    use super::*;

    #[test]
    fn a_narrow_read_keeps_the_id_and_grid_first_and_names_each_column_once() {
        let columns = ResidentColumns::of(Some([
            Column::Name,
            Column::GridCode,
            Column::Name,
            Column::Id,
            Column::BirthDate,
        ]));
        let ResidentColumns::Only(columns) = columns else {
            panic!("named columns read all of them");
        };
        let names: Vec<&str> = columns.iter().map(|column| column.as_str()).collect();
        assert_eq!(names, ["id", "grid_code", "name", "birth_date"]);
        assert!(matches!(
            ResidentColumns::of(None::<Vec<Column>>),
            ResidentColumns::All
        ));
    }
}
