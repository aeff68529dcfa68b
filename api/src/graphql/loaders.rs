//! Batch loaders: a relation asked for by every row of a page costs one query
//! per page, not one per row, and sees only what the caller may see. Each
//! request gets its own, built on first use with the caller's scope.

use std::collections::HashMap;
use std::sync::OnceLock;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entities::{area, building, dwelling, household, resident, user};
use policies::{Action, Object, Scope};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::domain::{areas, scoped};

pub struct AreaLoader {
    db: DatabaseConnection,
    scope: Scope,
}

impl AreaLoader {
    pub fn new(db: DatabaseConnection, scope: Scope) -> AreaLoader {
        AreaLoader { db, scope }
    }
}

impl Loader<String> for AreaLoader {
    type Value = area::Model;
    type Error = async_graphql::Error;

    async fn load(&self, codes: &[String]) -> Result<HashMap<String, area::Model>, Self::Error> {
        let rows = areas::areas_by_code(&self.db, &self.scope, codes).await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.code.clone(), row))
            .collect())
    }
}

/// How long a loader waits for more keys before it queries. The keys of a
/// page's rows arrive within microseconds of each other (its resolvers run
/// in one pass); async-graphql's default of 1 ms was most of the time a
/// small page took, paid once per level of nesting.
const BATCH_WINDOW: std::time::Duration = std::time::Duration::from_micros(100);

/// A by-id loader that remembers what it loaded for the rest of the
/// request, so that a list can load its rows' relations in one query up
/// front and each row then finds its own without waiting (see
/// `residents::prime`). Loaders live for one request, so nothing cached
/// outlives the caller's scope.
pub type Cached<L> = DataLoader<L, HashMapCache>;

/// A loader that batches the keys of one window into one query.
pub fn batched<L: Send + Sync + 'static>(loader: L) -> DataLoader<L> {
    DataLoader::new(loader, tokio::spawn).delay(BATCH_WINDOW)
}

/// Rows of a table by id, within a scope on their grid column.
pub struct ById<E: EntityTrait> {
    db: DatabaseConnection,
    scope: Scope,
    id: E::Column,
    grid: E::Column,
}

impl<E> Loader<i64> for ById<E>
where
    E: EntityTrait,
    E::Model: Clone + Send + Sync + 'static,
    E::Column: Copy + Send + Sync + 'static,
{
    type Value = E::Model;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, E::Model>, Self::Error> {
        Ok(scoped::by_ids::<E>(&self.db, &self.scope, self.id, self.grid, ids).await?)
    }
}

/// Rows of a table grouped by a parent id, within a scope on their grid column.
pub struct ByParent<E: EntityTrait> {
    db: DatabaseConnection,
    scope: Scope,
    parent: E::Column,
    grid: E::Column,
    order: E::Column,
}

impl<E> Loader<i64> for ByParent<E>
where
    E: EntityTrait,
    E::Model: Clone + Send + Sync + 'static,
    E::Column: Copy + Send + Sync + 'static,
{
    type Value = Vec<E::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, parents: &[i64]) -> Result<HashMap<i64, Vec<E::Model>>, Self::Error> {
        Ok(scoped::by_parents::<E>(
            &self.db,
            &self.scope,
            self.parent,
            self.grid,
            self.order,
            parents,
        )
        .await?)
    }
}

/// Rows of a table grouped by their grid, within a scope.
pub struct ByGrid<E: EntityTrait> {
    db: DatabaseConnection,
    scope: Scope,
    grid: E::Column,
    order: E::Column,
}

impl<E> Loader<String> for ByGrid<E>
where
    E: EntityTrait,
    E::Model: Clone + Send + Sync + 'static,
    E::Column: Copy + Send + Sync + 'static,
{
    type Value = Vec<E::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, grids: &[String]) -> Result<HashMap<String, Vec<E::Model>>, Self::Error> {
        Ok(scoped::by_grids::<E>(&self.db, &self.scope, self.grid, self.order, grids).await?)
    }
}

/// Users by id. Only grids' workers are reached this way, and only from a
/// grid the caller may see, so the grid's scope is the user's.
pub struct UserLoader {
    db: DatabaseConnection,
}

impl Loader<i64> for UserLoader {
    type Value = user::Model;
    type Error = async_graphql::Error;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, user::Model>, Self::Error> {
        let rows = user::Entity::find()
            .filter(user::Column::Id.is_in(ids.iter().copied()))
            .all(&self.db)
            .await
            .map_err(crate::error::ApiError::from)?;
        Ok(rows.into_iter().map(|row| (row.id, row)).collect())
    }
}

/// The loaders of one request, each made when first needed.
#[derive(Default)]
pub struct Loaders {
    households: OnceLock<Cached<ById<household::Entity>>>,
    dwellings: OnceLock<Cached<ById<dwelling::Entity>>>,
    buildings: OnceLock<Cached<ById<building::Entity>>>,
    residents: OnceLock<Cached<ById<resident::Entity>>>,
    members: OnceLock<DataLoader<ByParent<resident::Entity>>>,
    occupants: OnceLock<DataLoader<ByParent<resident::Entity>>>,
    building_dwellings: OnceLock<DataLoader<ByParent<dwelling::Entity>>>,
    grid_buildings: OnceLock<DataLoader<ByGrid<building::Entity>>>,
    users: OnceLock<DataLoader<UserLoader>>,
    case_steps: OnceLock<Cached<super::cases::StepsLoader>>,
    departments: OnceLock<DataLoader<super::cases::DepartmentLoader>>,
}

/// What building a loader needs: the database and the caller's scope for an
/// object.
pub struct LoaderSource<'a> {
    pub db: &'a DatabaseConnection,
    pub scope: &'a dyn Fn(Object, Action) -> Scope,
}

impl Loaders {
    pub fn households(&self, source: &LoaderSource<'_>) -> &Cached<ById<household::Entity>> {
        self.households.get_or_init(|| {
            by_id(
                source,
                Object::Household,
                household::Column::Id,
                household::Column::GridCode,
            )
        })
    }

    pub fn dwellings(&self, source: &LoaderSource<'_>) -> &Cached<ById<dwelling::Entity>> {
        self.dwellings.get_or_init(|| {
            by_id(
                source,
                Object::Dwelling,
                dwelling::Column::Id,
                dwelling::Column::GridCode,
            )
        })
    }

    pub fn buildings(&self, source: &LoaderSource<'_>) -> &Cached<ById<building::Entity>> {
        self.buildings.get_or_init(|| {
            by_id(
                source,
                Object::Building,
                building::Column::Id,
                building::Column::GridCode,
            )
        })
    }

    pub fn residents(&self, source: &LoaderSource<'_>) -> &Cached<ById<resident::Entity>> {
        self.residents.get_or_init(|| {
            by_id(
                source,
                Object::Resident,
                resident::Column::Id,
                resident::Column::GridCode,
            )
        })
    }

    /// A household's members.
    pub fn members(&self, source: &LoaderSource<'_>) -> &DataLoader<ByParent<resident::Entity>> {
        self.members
            .get_or_init(|| residents_by(source, resident::Column::HouseholdId))
    }

    /// A dwelling's occupants.
    pub fn occupants(&self, source: &LoaderSource<'_>) -> &DataLoader<ByParent<resident::Entity>> {
        self.occupants
            .get_or_init(|| residents_by(source, resident::Column::DwellingId))
    }

    /// A building's dwellings.
    pub fn building_dwellings(
        &self,
        source: &LoaderSource<'_>,
    ) -> &DataLoader<ByParent<dwelling::Entity>> {
        self.building_dwellings.get_or_init(|| {
            let loader = ByParent {
                db: source.db.clone(),
                scope: (source.scope)(Object::Dwelling, Action::Read),
                parent: dwelling::Column::BuildingId,
                grid: dwelling::Column::GridCode,
                order: dwelling::Column::Id,
            };
            batched(loader)
        })
    }

    /// A grid's buildings.
    pub fn grid_buildings(
        &self,
        source: &LoaderSource<'_>,
    ) -> &DataLoader<ByGrid<building::Entity>> {
        self.grid_buildings.get_or_init(|| {
            let loader = ByGrid {
                db: source.db.clone(),
                scope: (source.scope)(Object::Building, Action::Read),
                grid: building::Column::GridCode,
                order: building::Column::Code,
            };
            batched(loader)
        })
    }

    /// Cases' timelines.
    pub fn case_steps(&self, source: &LoaderSource<'_>) -> &Cached<super::cases::StepsLoader> {
        self.case_steps
            .get_or_init(|| cached(super::cases::StepsLoader(source.db.clone())))
    }

    pub fn departments(
        &self,
        source: &LoaderSource<'_>,
    ) -> &DataLoader<super::cases::DepartmentLoader> {
        self.departments
            .get_or_init(|| batched(super::cases::DepartmentLoader(source.db.clone())))
    }

    pub fn users(&self, source: &LoaderSource<'_>) -> &DataLoader<UserLoader> {
        self.users.get_or_init(|| {
            batched(UserLoader {
                db: source.db.clone(),
            })
        })
    }
}

fn by_id<E>(
    source: &LoaderSource<'_>,
    object: Object,
    id: E::Column,
    grid: E::Column,
) -> Cached<ById<E>>
where
    E: EntityTrait,
    E::Model: Clone + Send + Sync + 'static,
    E::Column: Copy + Send + Sync + 'static,
{
    let loader = ById {
        db: source.db.clone(),
        scope: (source.scope)(object, Action::Read),
        id,
        grid,
    };
    cached(loader)
}

/// A batching loader that also remembers, for the request, what it loaded.
pub fn cached<K, L>(loader: L) -> Cached<L>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    L: Loader<K>,
{
    DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default()).delay(BATCH_WINDOW)
}

fn residents_by(
    source: &LoaderSource<'_>,
    parent: resident::Column,
) -> DataLoader<ByParent<resident::Entity>> {
    let loader = ByParent {
        db: source.db.clone(),
        scope: (source.scope)(Object::Resident, Action::Read),
        parent,
        grid: resident::Column::GridCode,
        order: resident::Column::Id,
    };
    batched(loader)
}
