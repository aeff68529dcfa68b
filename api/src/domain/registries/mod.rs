//! Outside registries compared with the record (信息比对): the household
//! registry, the death register, the pension roster, the wanted list, and
//! the business licence and food permit registers. Each is imported whole
//! as a snapshot; a person's ID number is kept only as its keyed hash.

pub mod import;
pub mod layouts;
pub mod matching;

use entities::registry_snapshot::{self, RegistryKind};
use policies::{Action, Object};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::access::Access;
use crate::domain::page::{Listing, PageRequest};
use crate::domain::scoped::{Order, keyset};
use crate::error::ApiResult;

pub const SNAPSHOT_CURSOR: &str = "registry_snapshot";

/// Every kind, in the order the README documents them.
pub const KINDS: [RegistryKind; 6] = [
    RegistryKind::Household,
    RegistryKind::Deaths,
    RegistryKind::Pensions,
    RegistryKind::Wanted,
    RegistryKind::Licences,
    RegistryKind::FoodPermits,
];

/// The name a kind goes by on the command line and in the audit log.
pub fn name(kind: RegistryKind) -> &'static str {
    match kind {
        RegistryKind::Household => "household",
        RegistryKind::Deaths => "deaths",
        RegistryKind::Pensions => "pensions",
        RegistryKind::Wanted => "wanted",
        RegistryKind::Licences => "licences",
        RegistryKind::FoodPermits => "food_permits",
    }
}

/// The kind of `name`, if it is one.
pub fn kind_named(name: &str) -> Option<RegistryKind> {
    KINDS.into_iter().find(|kind| self::name(*kind) == name)
}

/// What the policies call a kind: who may import (`write`) and see
/// (`read`) its snapshots is decided per kind, at the city.
pub fn object(kind: RegistryKind) -> Object {
    match kind {
        RegistryKind::Household => Object::RegistryHousehold,
        RegistryKind::Deaths => Object::RegistryDeaths,
        RegistryKind::Pensions => Object::RegistryPensions,
        RegistryKind::Wanted => Object::RegistryWanted,
        RegistryKind::Licences => Object::RegistryLicences,
        RegistryKind::FoodPermits => Object::RegistryFoodPermits,
    }
}

/// Imports `file` for the caller, who needs `write` on its kind at the city.
pub async fn import_as(
    access: &Access,
    key: &matching::MatchKey,
    file: import::Import,
    progress: import::Progress,
) -> Result<registry_snapshot::Model, import::ImportError> {
    access.require_city(object(file.kind), Action::Write)?;
    let actor = access.actor()?;
    import::import(access.db(), &actor, key, file, progress).await
}

/// Every snapshot, newest first, for the command line.
pub async fn all_snapshots(
    db: &sea_orm::DatabaseConnection,
) -> ApiResult<Vec<registry_snapshot::Model>> {
    Ok(registry_snapshot::Entity::find()
        .order_by_desc(registry_snapshot::Column::Id)
        .all(db)
        .await?)
}

/// Which snapshots to list.
#[derive(Debug, Clone, Default)]
pub struct SnapshotFilter {
    /// Any of these kinds; every kind the caller may see when empty.
    pub kinds: Vec<RegistryKind>,
    /// Any of these states; all when empty.
    pub states: Vec<registry_snapshot::SnapshotState>,
}

/// The snapshots of the kinds the caller may read (`read` at the city).
pub async fn snapshots(
    access: &Access,
    filter: &SnapshotFilter,
    order: Order<registry_snapshot::Column>,
    request: &PageRequest,
) -> ApiResult<Listing<registry_snapshot::Model>> {
    access.caller()?;
    let readable: Vec<RegistryKind> = KINDS
        .into_iter()
        .filter(|kind| filter.kinds.is_empty() || filter.kinds.contains(kind))
        .filter(|kind| access.require_city(object(*kind), Action::Read).is_ok())
        .collect();
    let mut select =
        registry_snapshot::Entity::find().filter(registry_snapshot::Column::Kind.is_in(readable));
    if !filter.states.is_empty() {
        select = select.filter(registry_snapshot::Column::State.is_in(filter.states.clone()));
    }
    keyset(
        access.db(),
        select,
        registry_snapshot::Column::Id,
        order,
        request,
    )
    .await
}
