//! What a visit is made to, a round of visits names or a case is about:
//! residents, households, dwellings, buildings and organisations. Each is found in its grid, and
//! only where the caller may read its kind, so a named subject the caller
//! cannot see is the same as one that does not exist.

use std::collections::HashMap;

use entities::visit::VisitSubject;
use entities::{building, dwelling, household, organisation, resident};
use policies::{Action, Object};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::domain::access::Access;
use crate::error::ApiResult;

pub type Subject = (VisitSubject, i64);

/// Every kind of subject.
pub const KINDS: [VisitSubject; 5] = [
    VisitSubject::Resident,
    VisitSubject::Household,
    VisitSubject::Dwelling,
    VisitSubject::Building,
    VisitSubject::Organisation,
];

/// The policy object that decides who may read a subject of `kind`.
pub fn object(kind: VisitSubject) -> Object {
    match kind {
        VisitSubject::Resident => Object::Resident,
        VisitSubject::Household => Object::Household,
        VisitSubject::Dwelling => Object::Dwelling,
        VisitSubject::Building => Object::Building,
        VisitSubject::Organisation => Object::Organisation,
    }
}

/// `(id, grid)` of the rows of `E` with these ids.
async fn grids<E, C>(
    db: &C,
    id: E::Column,
    grid: E::Column,
    ids: Vec<i64>,
) -> ApiResult<Vec<(i64, String)>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    Ok(E::find()
        .select_only()
        .column(id)
        .column(grid)
        .filter(id.is_in(ids))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?)
}

/// The grid of each subject the caller may see; the others are left out.
/// One statement per kind of subject named.
pub async fn grids_of<C: ConnectionTrait>(
    access: &Access,
    db: &C,
    subjects: &[Subject],
) -> ApiResult<HashMap<Subject, String>> {
    let mut found = HashMap::new();
    for kind in KINDS {
        let ids: Vec<i64> = subjects
            .iter()
            .filter(|(named, _)| *named == kind)
            .map(|(_, id)| *id)
            .collect();
        if ids.is_empty() {
            continue;
        }
        let rows = match kind {
            VisitSubject::Resident => {
                grids::<resident::Entity, _>(
                    db,
                    resident::Column::Id,
                    resident::Column::GridCode,
                    ids,
                )
                .await?
            }
            VisitSubject::Household => {
                grids::<household::Entity, _>(
                    db,
                    household::Column::Id,
                    household::Column::GridCode,
                    ids,
                )
                .await?
            }
            VisitSubject::Dwelling => {
                grids::<dwelling::Entity, _>(
                    db,
                    dwelling::Column::Id,
                    dwelling::Column::GridCode,
                    ids,
                )
                .await?
            }
            VisitSubject::Building => {
                grids::<building::Entity, _>(
                    db,
                    building::Column::Id,
                    building::Column::GridCode,
                    ids,
                )
                .await?
            }
            VisitSubject::Organisation => {
                grids::<organisation::Entity, _>(
                    db,
                    organisation::Column::Id,
                    organisation::Column::GridCode,
                    ids,
                )
                .await?
            }
        };
        let readable = access.scope(object(kind), Action::Read);
        found.extend(
            rows.into_iter()
                .filter(|(_, grid)| readable.contains(grid))
                .map(|(id, grid)| ((kind, id), grid)),
        );
    }
    Ok(found)
}
