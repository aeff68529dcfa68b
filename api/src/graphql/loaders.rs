//! Batch loaders: a relation asked for by every row of a page costs one query
//! per page, not one per row. Each loader hands its keys to a domain
//! function together with the request's [`Access`], so what a relation may
//! show is decided where every other read is, and each request has its own.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
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

/// Keys to a domain function, each key it did not answer (a row the
/// caller may not see, a household with no members it may see) answered
/// `None`, so that a remembering loader remembers misses too and asks for
/// a key once per request.
pub struct Remembered<K, V>(Through<K, V>);

impl<K, V> Loader<K> for Remembered<K, V>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    V: Send + Sync + Clone + 'static,
{
    type Value = Option<V>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[K]) -> Result<HashMap<K, Option<V>>, Self::Error> {
        let mut found = self.0.load(keys).await?;
        Ok(keys
            .iter()
            .map(|key| (key.clone(), found.remove(key)))
            .collect())
    }
}

/// A by-key loader that remembers what it loaded, and what it did not find,
/// for the rest of the request, so that a list can load its rows' relations
/// in one statement up front and each row then finds its own without
/// waiting or asking again (see `residents::prime`).
pub struct Cached<K, V>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    V: Send + Sync + Clone + 'static,
{
    loader: DataLoader<Remembered<K, V>, HashMapCache>,
    remembers: AtomicBool,
}

pub type Batched<K, V> = DataLoader<Through<K, V>>;

/// A loader's answer for one key, whichever kind of loader it is.
pub trait ByKey<K, V> {
    fn load_one(&self, key: K) -> impl Future<Output = async_graphql::Result<Option<V>>> + Send;
}

impl<K, V> ByKey<K, V> for Cached<K, V>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    V: Send + Sync + Clone + 'static,
{
    async fn load_one(&self, key: K) -> async_graphql::Result<Option<V>> {
        Cached::load_one(self, key).await
    }
}

impl<K, V> ByKey<K, V> for Batched<K, V>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    V: Send + Sync + Clone + 'static,
{
    async fn load_one(&self, key: K) -> async_graphql::Result<Option<V>> {
        DataLoader::load_one(self, key).await
    }
}

impl<K, V> Cached<K, V>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    V: Send + Sync + Clone + 'static,
{
    /// The row of `key`, if found (remembered, or one statement).
    pub async fn load_one(&self, key: K) -> async_graphql::Result<Option<V>> {
        Ok(self.loader.load_one(key).await?.flatten())
    }

    /// The rows of `keys` it found (one statement for those not remembered).
    pub async fn load_many(
        &self,
        keys: impl IntoIterator<Item = K>,
    ) -> async_graphql::Result<HashMap<K, V>> {
        let loaded = self.loader.load_many(keys).await?;
        Ok(loaded
            .into_iter()
            .filter_map(|(key, value)| Some((key, value?)))
            .collect())
    }

    /// Remembers rows read another way (a page's join), and keys found
    /// missing (`None`), as if loaded; nothing when it does not remember.
    pub async fn feed(&self, values: HashMap<K, Option<V>>) {
        if self.remembers() && !values.is_empty() {
            self.loader.feed_many(values).await;
        }
    }

    fn enable_all_cache(&self, enable: bool) {
        self.loader.enable_all_cache(enable);
        self.remembers.store(enable, Ordering::Relaxed);
    }

    /// Whether it remembers (for a request, not for a live connection).
    pub fn remembers(&self) -> bool {
        self.remembers.load(Ordering::Relaxed)
    }
}

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
        Cached {
            loader: DataLoader::with_cache(
                Remembered(loader),
                tokio::spawn,
                HashMapCache::default(),
            )
            .delay(BATCH_WINDOW),
            remembers: AtomicBool::new(true),
        }
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

    /// Whether what they load is remembered for the rest of the request
    /// (not over a live connection, whose events each read afresh).
    pub fn remember(&self) -> bool {
        self.remember
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
pub async fn load_one<K, V>(
    loader: &impl ByKey<K, V>,
    key: Option<K>,
) -> async_graphql::Result<Option<V>> {
    match key {
        Some(key) => loader.load_one(key).await,
        None => Ok(None),
    }
}

/// Loads `keys` through `loader` in one statement when the query asks for
/// them (`asked`) and the loader remembers them for the rows (not over a
/// live connection, whose loaders read afresh); what it loaded.
pub async fn prime_if<K, V>(
    loader: &Cached<K, V>,
    asked: bool,
    keys: impl IntoIterator<Item = K>,
) -> async_graphql::Result<HashMap<K, V>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    V: Send + Sync + Clone + 'static,
{
    if !asked || !loader.remembers() {
        return Ok(HashMap::new());
    }
    loader.load_many(keys).await
}
