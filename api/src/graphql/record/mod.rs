//! The objects of the population record: people and the places they live
//! in, which point at each other (a resident's household, a household's
//! members). The lists that reach them live in `residents` and `homes`.

mod homes;
mod people;

pub use homes::{
    Building, BuildingUse, Dwelling, Household, HouseholdKind, LicenceState, Occupancy,
    Organisation, OrganisationKind, building, dwelling, household, organisation,
};
pub use people::{CareFlag, HeadRelation, PopulationType, Resident, ResidentStatus, Sex};
