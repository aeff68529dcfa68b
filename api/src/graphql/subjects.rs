//! What a visit is made to, a round of visits names or a case is about, as
//! the API names it: a resident, household, dwelling, building or
//! organisation by global ID.

use async_graphql::{Enum, ID};
use entities::visit::VisitSubject as StoredSubject;

use super::relay::{NodeKind, parse_global_id};
use crate::error::{ApiError, ApiResult};

/// What a visit was to.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::visit::VisitSubject")]
pub enum VisitSubject {
    /// A resident.
    Resident,
    /// A household.
    Household,
    /// A dwelling.
    Dwelling,
    /// A building.
    Building,
    /// An organisation.
    Organisation,
}

/// The kind and key of what a global ID names, if a visit can be to it.
pub fn subject_of(field: &str, id: &ID) -> ApiResult<(StoredSubject, i64)> {
    let not_a_subject = || {
        ApiError::bad_input(
            field,
            "not the ID of a resident, household, dwelling, building or organisation",
        )
    };
    let (kind, key) = parse_global_id(id).ok_or_else(not_a_subject)?;
    let kind = match kind {
        NodeKind::Resident => StoredSubject::Resident,
        NodeKind::Household => StoredSubject::Household,
        NodeKind::Dwelling => StoredSubject::Dwelling,
        NodeKind::Building => StoredSubject::Building,
        NodeKind::Organisation => StoredSubject::Organisation,
        _ => return Err(not_a_subject()),
    };
    Ok((kind, key.parse().map_err(|_| not_a_subject())?))
}

pub fn node_kind(subject: StoredSubject) -> NodeKind {
    match subject {
        StoredSubject::Resident => NodeKind::Resident,
        StoredSubject::Household => NodeKind::Household,
        StoredSubject::Dwelling => NodeKind::Dwelling,
        StoredSubject::Building => NodeKind::Building,
        StoredSubject::Organisation => NodeKind::Organisation,
    }
}
