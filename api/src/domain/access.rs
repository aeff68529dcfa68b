//! The one door: every domain entry point takes an [`Access`] — who calls,
//! what the policies let them see and do, compiled once per request, and
//! the trail their full reads leave.
//!
//! The domain, not the caller of the domain, chooses the permission that
//! scopes a read, checks a write, and decides for each protected value
//! whether it goes out in full, masked or not at all; the functions here
//! that let a value out in full are the ones that record it, so that every
//! client of the domain (GraphQL queries and subscriptions, the command
//! line, jobs) leaves the same trail.

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};

use entities::resident;
use policies::{Action, Authorizer, Domain, Object, Scope};
use sea_orm::DatabaseConnection;
use serde_json::json;

use crate::audit::batch::Batches;
use crate::audit::{self, Actor, Entry, Seal};
use crate::caller::Caller;
use crate::db::Pools;
use crate::domain::privacy::{ResidentScopes, Visibility, mask_id_number, mask_phone, visibility};
use crate::domain::registries::matching::MatchKey;
use crate::domain::writes::Writer;
use crate::error::{ApiError, ApiResult};

/// Who calls, and what they may see and do.
pub struct Access {
    db: DatabaseConnection,
    /// For statements with one plan for every scope (`db::connect_planned_once`).
    planned_once: DatabaseConnection,
    authorizer: Arc<Authorizer>,
    caller: Option<Caller>,
    /// Groups of counts smaller than this are withheld from a caller who may
    /// not list the rows behind them.
    suppress_below: u32,
    compiled: Mutex<Compiled>,
    reads: FullReads,
    /// The key this access's audit rows are sealed with.
    seal: Seal,
    /// Where its full reads' rows join those of other answers.
    batches: Arc<Batches>,
    /// The key ID numbers are hashed under for matching registries.
    match_key: MatchKey,
    /// One writer of the trail at a time, so that what one answer took is
    /// written before another answer of the same connection leaves.
    writing: tokio::sync::Mutex<()>,
}

/// What was worked out from the policies for this access, and under which
/// policy version: a live connection outlasts policy changes, and must not
/// keep answering under the old ones.
#[derive(Default)]
struct Compiled {
    version: i64,
    scopes: HashMap<(Object, Action), Scope>,
    /// Casbin's answers for city-wide objects (policies, tokens, the
    /// calendar), asked once per access however many rows need them.
    city: HashMap<(Object, Action), bool>,
    residents: Option<Arc<ResidentScopes>>,
    /// What domain modules worked out once (a caller's department, its view
    /// of tasks), by type.
    memo: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
}

fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Values read in full, by kind of row: (kind, id) → fields, and the
/// row's grid.
type Noted = BTreeMap<(&'static str, i64), (BTreeSet<&'static str>, String)>;

#[derive(Default)]
struct FullReads(Mutex<Noted>);

impl FullReads {
    fn note(&self, kind: &'static str, id: i64, field: &'static str, grid: &str) {
        locked(&self.0)
            .entry((kind, id))
            .or_insert_with(|| (BTreeSet::new(), grid.to_owned()))
            .0
            .insert(field);
    }

    fn take(&self) -> Noted {
        std::mem::take(&mut *locked(&self.0))
    }
}

/// The smallest area (on level boundaries) holding all of `grids`; none
/// when they reach across districts.
fn common_area<'a>(grids: impl Iterator<Item = &'a str> + Clone) -> Option<String> {
    let first = grids.clone().next()?;
    [15, 12, 9, 6].into_iter().find_map(|width| {
        let prefix = first.get(..width)?;
        grids
            .clone()
            .all(|grid| grid.get(..width) == Some(prefix))
            .then(|| prefix.to_owned())
    })
}

/// A protected value: what it is and where it sits.
struct Protected<'a> {
    /// How the audit log names the row's kind: `dwelling`, `case`.
    pub kind: &'static str,
    pub id: i64,
    /// The field, as the audit log names it: `lessor_phone`.
    pub field: &'static str,
    /// The grid whose policies decide.
    pub grid: &'a str,
}

impl Access {
    pub fn new(
        pools: Pools,
        authorizer: Arc<Authorizer>,
        caller: Option<Caller>,
        suppress_below: u32,
        seal: Seal,
        batches: Arc<Batches>,
        match_key: MatchKey,
    ) -> Access {
        Access {
            db: pools.general,
            planned_once: pools.planned_once,
            authorizer,
            caller,
            suppress_below,
            seal,
            batches,
            match_key,
            compiled: Mutex::new(Compiled::default()),
            reads: FullReads::default(),
            writing: tokio::sync::Mutex::new(()),
        }
    }

    /// What was compiled, dropped first if the policies have changed since.
    fn compiled(&self) -> std::sync::MutexGuard<'_, Compiled> {
        let mut compiled = locked(&self.compiled);
        let version = self.authorizer.version();
        if compiled.version != version {
            *compiled = Compiled {
                version,
                ..Compiled::default()
            };
        }
        compiled
    }

    /// The smallest group of counts shown to a caller who may not list the
    /// rows behind it.
    pub fn suppress_below(&self) -> u32 {
        self.suppress_below
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The pool for statements whose best plan is the same for every
    /// caller: rows by id or by parent id in the caller's scope (picked by
    /// key first, `scoped::picked`, or the kept plan may start from the
    /// scope's range), rows by grid code, and a page of residents with no
    /// filter, in grid order, whose scope is one range, or filtered on a
    /// key (an ID number, a household, a dwelling). Anything else (another
    /// filter, another order) goes through [`Access::db`], planned for its
    /// caller's scope.
    pub fn planned_once(&self) -> &DatabaseConnection {
        &self.planned_once
    }

    pub fn authorizer(&self) -> &Authorizer {
        &self.authorizer
    }

    /// The caller; UNAUTHENTICATED for an anonymous one.
    pub fn caller(&self) -> ApiResult<&Caller> {
        self.caller.as_ref().ok_or_else(ApiError::unauthenticated)
    }

    /// Where the caller may do `action` to `object`, worked out once per
    /// access; nowhere for an anonymous caller.
    pub fn scope(&self, object: Object, action: Action) -> Scope {
        let Some(caller) = &self.caller else {
            return Scope::nothing();
        };
        self.compiled()
            .scopes
            .entry((object, action))
            .or_insert_with(|| self.authorizer.scope(&caller.principal, object, action))
            .clone()
    }

    /// Where the caller's own rows of `object` (a task it sent, one
    /// addressed to it) stay visible under `action`.
    pub fn own_scope(&self, object: Object, action: Action) -> Scope {
        match &self.caller {
            Some(caller) => self.authorizer.own_scope(&caller.principal, object, action),
            None => Scope::nothing(),
        }
    }

    /// Whether the caller may do `action` to `object` at `code` (a grid or
    /// area), read off the request's compiled scope, as lists and counts
    /// are: no Casbin call per row.
    pub fn may_in(&self, code: &str, object: Object, action: Action) -> bool {
        self.scope(object, action).contains(code)
    }

    /// `check` at one place.
    pub fn may(&self, domain: &Domain, object: Object, action: Action) -> bool {
        self.caller.as_ref().is_some_and(|caller| {
            self.authorizer
                .check(&caller.principal, domain, object, action)
        })
    }

    /// FORBIDDEN unless the caller may do `action` to a city-wide `object`
    /// (policies, tokens, the calendar).
    pub fn require_city(&self, object: Object, action: Action) -> ApiResult<()> {
        self.caller()?;
        let known = self.compiled().city.get(&(object, action)).copied();
        let allowed = known.unwrap_or_else(|| {
            let allowed = self.may(&Domain::City, object, action);
            self.compiled().city.insert((object, action), allowed);
            allowed
        });
        if allowed {
            Ok(())
        } else {
            Err(ApiError::forbidden(object, action))
        }
    }

    /// Who changes things: the caller, checked in every grid a change touches.
    pub fn writer(&self) -> ApiResult<Writer<'_>> {
        Ok(Writer {
            db: &self.db,
            authorizer: &self.authorizer,
            caller: self.caller()?,
            seal: &self.seal,
            match_key: &self.match_key,
        })
    }

    /// `make`'s answer, worked out on first use and kept for this access:
    /// for what a domain module needs of the caller more than once a
    /// request (its department, its view of tasks).
    pub async fn remember<T, F, Fut>(&self, make: F) -> ApiResult<Arc<T>>
    where
        T: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = ApiResult<T>>,
    {
        let key = TypeId::of::<T>();
        let known = self.compiled().memo.get(&key).cloned();
        if let Some(known) = known.and_then(|known| known.downcast::<T>().ok()) {
            return Ok(known);
        }
        let made = Arc::new(make().await?);
        self.compiled().memo.insert(key, made.clone());
        Ok(made)
    }

    /// How residents' protected fields show to the caller, per grid.
    pub fn residents(&self) -> Arc<ResidentScopes> {
        let mut compiled = self.compiled();
        compiled
            .residents
            .get_or_insert_with(|| {
                Arc::new(match &self.caller {
                    Some(caller) => ResidentScopes::of(&self.authorizer, &caller.principal),
                    None => ResidentScopes::none(),
                })
            })
            .clone()
    }

    /// A resident's care flags, where the caller may see them.
    pub fn care_flags(&self, row: &resident::Model) -> Option<Vec<resident::CareFlag>> {
        self.residents().care_flags(&row.grid_code).then(|| {
            resident::CareFlag::ALL
                .into_iter()
                .filter(|flag| row.care_flags & flag.bit() != 0)
                .collect()
        })
    }

    /// A resident's note, for those who keep the record it belongs to (who
    /// may change the resident in its grid): a working note of the grid,
    /// not part of what others read.
    pub fn note(&self, row: &resident::Model) -> Option<String> {
        let keeps = self.may_in(&row.grid_code, Object::Resident, Action::Write);
        row.note.clone().filter(|_| keeps)
    }

    /// A rented dwelling's lessor's phone, shown like a resident's phone in
    /// its grid; a full one is recorded.
    pub fn lessor_phone(&self, row: &entities::dwelling::Model) -> Option<String> {
        let phone = row.lessor_phone.as_deref()?;
        let place = Protected {
            kind: "dwelling",
            id: row.id,
            field: "lessor_phone",
            grid: &row.grid_code,
        };
        self.shown_phone(place, phone)
    }

    /// A citizen reporter's phone on a case, by its own policy
    /// (`case.reporter_phone`): those who call the reporter back (the
    /// operator, the handling department, the worker who evaluates) see it;
    /// a full one is recorded.
    pub fn reporter_phone(&self, row: &entities::case::Model) -> Option<String> {
        let place = Protected {
            kind: "case",
            id: row.id,
            field: "reporter_phone",
            grid: &row.grid_code,
        };
        self.case_phone(place, row.reporter_phone.as_deref()?)
    }

    /// A dispute party's phone on a case, by the same policy as the
    /// reporter's: the people a case is followed up with.
    pub fn party_phone(&self, row: &entities::case_party::Model) -> Option<String> {
        let place = Protected {
            kind: "case_party",
            id: row.id,
            field: "phone",
            grid: &row.grid_code,
        };
        self.case_phone(place, row.phone.as_deref()?)
    }

    fn case_phone(&self, place: Protected<'_>, phone: &str) -> Option<String> {
        let full = self.scope(Object::CaseReporterPhone, Action::Read);
        let masked = self.scope(Object::CaseReporterPhone, Action::ReadMasked);
        let shown = visibility(&full, &masked, place.grid);
        self.show_phone(place, phone, shown)
    }

    /// A resident's ID number as the caller may see it; a full one is
    /// recorded.
    pub fn id_number(&self, row: &resident::Model) -> Option<String> {
        self.id_number_shown(row.id, &row.id_number, &row.grid_code)
    }

    /// The ID number `number` of resident `resident_id` as `grid`'s policies
    /// show it to the caller: for a person on the move, seen from the
    /// caller's side of it. A full one is recorded.
    pub fn id_number_shown(&self, resident_id: i64, number: &str, grid: &str) -> Option<String> {
        match self.residents().id_number(grid) {
            Visibility::Full => {
                self.reads.note("resident", resident_id, "id_number", grid);
                Some(number.to_owned())
            }
            Visibility::Masked => Some(mask_id_number(number)),
            Visibility::Hidden => None,
        }
    }

    /// A resident's phone as the caller may see it; a full one is recorded.
    pub fn phone(&self, row: &resident::Model) -> Option<String> {
        let phone = row.phone.as_deref()?;
        self.shown_phone(
            Protected {
                kind: "resident",
                id: row.id,
                field: "phone",
                grid: &row.grid_code,
            },
            phone,
        )
    }

    /// A phone shown as a resident's phone in its grid would be; a full one
    /// is recorded.
    fn shown_phone(&self, place: Protected<'_>, phone: &str) -> Option<String> {
        let shown = self.residents().phone(place.grid);
        self.show_phone(place, phone, shown)
    }

    fn show_phone(&self, place: Protected<'_>, phone: &str, shown: Visibility) -> Option<String> {
        match shown {
            Visibility::Full => {
                self.reads
                    .note(place.kind, place.id, place.field, place.grid);
                Some(phone.to_owned())
            }
            Visibility::Masked => Some(mask_phone(phone)),
            Visibility::Hidden => None,
        }
    }

    /// A case's photo handed over, recorded like a full read: a photo may
    /// show people, their faces and their homes.
    pub fn photo_shown(&self, photo: &entities::case_photo::Model) {
        self.reads
            .note("case_photo", photo.id, "image", &photo.grid_code);
    }

    /// Who the audit log names for this access's caller, with the key its
    /// rows are sealed with.
    pub fn actor(&self) -> ApiResult<Actor> {
        Ok(Actor::of(self.caller()?, &self.seal))
    }

    /// Writes what was read in full since the last call — one audit row
    /// per kind of row, naming the rows and the fields — before it leaves.
    /// A failure here must withhold the answer.
    pub async fn record_reads(&self) -> ApiResult<()> {
        let _one_at_a_time = self.writing.lock().await;
        let reads = self.reads.take();
        if reads.is_empty() {
            return Ok(());
        }
        let Ok(caller) = self.caller() else {
            return Ok(());
        };
        let actor = Actor::of(caller, &self.seal);
        type Kind<'a> = (Vec<i64>, BTreeSet<&'a str>, Vec<String>);
        let mut by_kind: BTreeMap<&str, Kind<'_>> = BTreeMap::new();
        for ((kind, id), (fields, grid)) in reads {
            let entry = by_kind.entry(kind).or_default();
            entry.0.push(id);
            entry.1.extend(fields);
            entry.2.push(grid);
        }
        let actions: Vec<(&str, String, Kind<'_>)> = by_kind
            .into_iter()
            .map(|(kind, read)| (kind, format!("{kind}.read_unmasked"), read))
            .collect();
        let entries = actions
            .iter()
            .map(|(kind, action, (ids, fields, grids))| {
                (
                    Entry {
                        action,
                        object_kind: kind,
                        object_id: None,
                        // The entry belongs where everything it showed
                        // lies, so that a district's supervisor reads the
                        // reads of its district.
                        area_code: common_area(grids.iter().map(String::as_str)),
                        // The grids it showed, as they were then: a
                        // caller's usual grids are learnt from these, and a
                        // person who moves later must not move the reads.
                        detail: json!({
                            "fields": fields,
                            "grids": grids.iter().collect::<BTreeSet<_>>(),
                        }),
                    },
                    ids.clone(),
                )
            })
            .collect();
        audit::record_batched(&self.batches, &actor, entries).await
    }
}

#[cfg(test)]
mod tests {
    use super::common_area;

    #[test]
    fn an_entry_belongs_to_the_smallest_area_holding_its_rows() {
        let area = |grids: &[&str]| common_area(grids.iter().copied());
        assert_eq!(
            area(&["420502003001001"]).as_deref(),
            Some("420502003001001")
        );
        assert_eq!(
            area(&["420502003001001", "420502003001002"]).as_deref(),
            Some("420502003001")
        );
        assert_eq!(
            area(&["420502003001001", "420502004002001"]).as_deref(),
            Some("420502")
        );
        assert_eq!(area(&["420502003001001", "420503001001001"]), None);
        assert_eq!(area(&[]), None);
    }
}
