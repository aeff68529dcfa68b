//! The objects of the record: the map's areas and grids, people and the
//! places they live in, which point at each other (a resident's grid and
//! household, a grid's buildings). The lists that reach them live in
//! `areas`, `residents` and `homes`.

mod homes;
mod people;
mod places;
mod reviews;

pub use homes::{
    Building, BuildingUse, Dwelling, Household, HouseholdKind, LicenceState, Occupancy,
    Organisation, OrganisationKind, building, dwelling, household, organisation,
};
pub use people::{
    CareFlag, DocumentType, HeadRelation, PopulationType, ResidenceReason, Resident,
    ResidentStatus, Sex, Verification, columns_read_by,
};
pub use places::{Area, AreaLevel, Grid, load_area, place_name};
