//! Batch loaders: a relation asked for by every row of a page costs one query
//! per page, not one per row. Each loader hands its keys to a domain
//! function together with the request's [`Access`], so what a relation may
//! show is decided where every other read is, and each request has its own.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, OnceLock};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entities::{
    area, building, case_party, case_photo, case_step, case_subject, department, dwelling, grid,
    household, resident, user,
};
use futures_util::future::BoxFuture;

use crate::domain::access::Access;
use crate::domain::{areas, cases, departments, homes, residents};
use crate::error::ApiResult;

/// How long a loader waits for more keys before it queries. The keys of a
/// page's rows arrive within microseconds of each other (its resolvers run
/// in one pass); async-graphql's default of 1 ms was most of the time a
/// small page took, paid once per level of nesting.
const BATCH_WINDOW: std::time::Duration = std::time::Duration::from_micros(100);

/// A domain function that answers for a batch of keys.
type Fetch<K, V> = for<'a> fn(&'a Access, &'a [K]) -> BoxFuture<'a, ApiResult<HashMap<K, V>>>;

/// Keys to a domain function, through the request's access.
pub struct Through<K, V> {
    access: Arc<Access>,
    fetch: Fetch<K, V>,
}

impl<K, V> Loader<K> for Through<K, V>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    V: Send + Sync + Clone + 'static,
{
    type Value = V;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[K]) -> Result<HashMap<K, V>, Self::Error> {
        Ok((self.fetch)(&self.access, keys).await?)
    }
}

/// A by-key loader that remembers what it loaded for the rest of the
/// request, so that a list can load its rows' relations in one query up
/// front and each row then finds its own without waiting (see
/// `residents::prime`).
pub type Cached<K, V> = DataLoader<Through<K, V>, HashMapCache>;
pub type Batched<K, V> = DataLoader<Through<K, V>>;

/// The loaders of one request (or live connection), each made when first
/// needed.
pub struct Loaders {
    access: Arc<Access>,
    /// Whether loaders remember what they loaded: for one request, yes; a
    /// live connection's events must each read afresh.
    remember: bool,
    areas: OnceLock<Batched<String, area::Model>>,
    grids: OnceLock<Cached<String, grid::Model>>,
    households: OnceLock<Cached<i64, household::Model>>,
    dwellings: OnceLock<Cached<i64, dwelling::Model>>,
    buildings: OnceLock<Cached<i64, building::Model>>,
    organisations: OnceLock<Cached<i64, entities::organisation::Model>>,
    residents: OnceLock<Cached<i64, resident::Model>>,
    members: OnceLock<Cached<i64, Vec<resident::Model>>>,
    occupants: OnceLock<Cached<i64, Vec<resident::Model>>>,
    building_dwellings: OnceLock<Batched<i64, Vec<dwelling::Model>>>,
    grid_buildings: OnceLock<Batched<String, Vec<building::Model>>>,
    people: OnceLock<Batched<i64, user::Model>>,
    resident_reviews: OnceLock<Cached<i64, Vec<entities::resident_review::Model>>>,
    cases: OnceLock<Cached<i64, entities::case::Model>>,
    case_steps: OnceLock<Cached<i64, Vec<case_step::Model>>>,
    finding_steps: OnceLock<Cached<i64, Vec<entities::finding_step::Model>>>,
    case_subjects: OnceLock<Cached<i64, Vec<case_subject::Model>>>,
    case_parties: OnceLock<Cached<i64, Vec<case_party::Model>>>,
    case_photos: OnceLock<Cached<i64, Vec<case_photo::Model>>>,
    departments: OnceLock<Batched<i64, department::Model>>,
}

macro_rules! loader {
    ($(#[$doc:meta])* $name:ident, $kind:ident, $key:ty, $value:ty, $fetch:path) => {
        $(#[$doc])*
        pub fn $name(&self) -> &$kind<$key, $value> {
            self.$name.get_or_init(|| {
                let through = Through {
                    access: self.access.clone(),
                    fetch: |access, keys| Box::pin($fetch(access, keys)),
                };
                let loader = $kind::make(through);
                loader.enable_all_cache(self.remember);
                loader
            })
        }
    };
}

trait Make<L> {
    fn make(loader: L) -> Self;
}

impl<K, V> Make<Through<K, V>> for Cached<K, V>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    V: Send + Sync + Clone + 'static,
{
    fn make(loader: Through<K, V>) -> Self {
        DataLoader::with_cache(loader, tokio::spawn, HashMapCache::default()).delay(BATCH_WINDOW)
    }
}

impl<K, V> Make<Through<K, V>> for Batched<K, V>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    V: Send + Sync + Clone + 'static,
{
    fn make(loader: Through<K, V>) -> Self {
        DataLoader::new(loader, tokio::spawn).delay(BATCH_WINDOW)
    }
}

impl Loaders {
    /// The loaders of one request: what they load, they remember for it.
    pub fn for_request(access: Arc<Access>) -> Loaders {
        Self::new(access, true)
    }

    /// The loaders of a live connection: every event reads afresh.
    pub fn for_connection(access: Arc<Access>) -> Loaders {
        Self::new(access, false)
    }

    fn new(access: Arc<Access>, remember: bool) -> Loaders {
        Loaders {
            access,
            remember,
            areas: OnceLock::new(),
            grids: OnceLock::new(),
            households: OnceLock::new(),
            dwellings: OnceLock::new(),
            buildings: OnceLock::new(),
            organisations: OnceLock::new(),
            residents: OnceLock::new(),
            resident_reviews: OnceLock::new(),
            members: OnceLock::new(),
            occupants: OnceLock::new(),
            building_dwellings: OnceLock::new(),
            grid_buildings: OnceLock::new(),
            people: OnceLock::new(),
            cases: OnceLock::new(),
            case_steps: OnceLock::new(),
            finding_steps: OnceLock::new(),
            case_subjects: OnceLock::new(),
            case_parties: OnceLock::new(),
            case_photos: OnceLock::new(),
            departments: OnceLock::new(),
        }
    }

    loader!(
        /// Areas by code (districts, streets, communities).
        areas, Batched, String, area::Model, areas::areas_by_code
    );
    loader!(
        /// Grids by code.
        grids, Cached, String, grid::Model, areas::grids_by_code
    );
    loader!(
        households,
        Cached,
        i64,
        household::Model,
        homes::households_by_ids
    );
    loader!(
        dwellings,
        Cached,
        i64,
        dwelling::Model,
        homes::dwellings_by_ids
    );
    loader!(
        buildings,
        Cached,
        i64,
        building::Model,
        homes::buildings_by_ids
    );
    loader!(
        organisations,
        Cached,
        i64,
        entities::organisation::Model,
        homes::organisations_by_ids
    );
    loader!(residents, Cached, i64, resident::Model, residents::by_ids);
    loader!(
        /// A household's members.
        members, Cached, i64, Vec<resident::Model>, residents::members_of
    );
    loader!(
        /// A dwelling's occupants.
        occupants, Cached, i64, Vec<resident::Model>, residents::occupants_of
    );
    loader!(
        /// A building's dwellings.
        building_dwellings, Batched, i64, Vec<dwelling::Model>, homes::dwellings_of
    );
    loader!(
        /// A grid's buildings.
        grid_buildings, Batched, String, Vec<building::Model>, homes::buildings_of
    );
    loader!(
        /// Grid workers, senders and assignees by id: who they are.
        people, Batched, i64, user::Model, areas::people_by_ids
    );
    loader!(
        /// Residents' verification timelines.
        resident_reviews,
        Cached,
        i64,
        Vec<entities::resident_review::Model>,
        crate::domain::verification::steps_of
    );
    loader!(
        /// Cases by id, those the caller sees.
        cases, Cached, i64, entities::case::Model, cases::by_ids
    );
    loader!(
        /// Findings' timelines.
        finding_steps,
        Cached,
        i64,
        Vec<entities::finding_step::Model>,
        crate::domain::comparisons::findings::steps_of
    );
    loader!(
        /// Cases' timelines.
        case_steps, Cached, i64, Vec<case_step::Model>, cases::steps_of
    );
    loader!(
        /// What cases are about.
        case_subjects,
        Cached,
        i64,
        Vec<case_subject::Model>,
        cases::links::subjects_of
    );
    loader!(
        /// Cases' parties.
        case_parties,
        Cached,
        i64,
        Vec<case_party::Model>,
        cases::links::parties_of
    );
    loader!(
        /// Cases' photos.
        case_photos,
        Cached,
        i64,
        Vec<case_photo::Model>,
        cases::photos::photos_of
    );
    loader!(
        departments,
        Batched,
        i64,
        department::Model,
        departments::by_ids
    );
}

/// One key through a loader, or `None` for no key.
pub async fn load_one<K, L, C>(
    loader: &DataLoader<L, C>,
    key: Option<K>,
) -> async_graphql::Result<Option<L::Value>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    L: Loader<K, Error = async_graphql::Error>,
    C: async_graphql::dataloader::CacheFactory,
{
    match key {
        Some(key) => Ok(loader.load_one(key).await?),
        None => Ok(None),
    }
}

/// Loads `keys` through `loader` in one statement when the query asks for
/// them (`asked`), so that the rows find them remembered; what it loaded.
pub async fn prime_if<K, V>(
    loader: &Cached<K, V>,
    asked: bool,
    keys: impl IntoIterator<Item = K>,
) -> async_graphql::Result<HashMap<K, V>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    V: Send + Sync + Clone + 'static,
{
    if !asked {
        return Ok(HashMap::new());
    }
    loader.load_many(keys).await
}
