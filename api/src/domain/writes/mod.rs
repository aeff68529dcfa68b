//! Changes to the population record and its places. Every change is checked
//! against the caller's rights in each grid it touches, written with its
//! audit row in one transaction, and refused as CONFLICT when the row has
//! moved on since the caller read it.

pub mod fields;
pub mod homes;
pub mod residence;
pub mod residents;
pub mod reviews;
pub mod transfers;

use chrono::Utc;
use entities::{building, case, dwelling, household, organisation, resident};
use policies::{Action, AreaCode, Authorizer, Domain, Object};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter, SqlErr,
};
use serde_json::Value;

use crate::audit::{self, Actor, Entry};
use crate::caller::Caller;
use crate::error::{ApiError, ApiResult};

/// Who is making a change, and what decides whether they may.
pub struct Writer<'a> {
    pub db: &'a DatabaseConnection,
    pub authorizer: &'a Authorizer,
    pub caller: &'a Caller,
    /// The key its audit rows are sealed with.
    pub seal: &'a crate::audit::Seal,
    /// The key a resident's ID number is hashed under, written beside it.
    pub match_key: &'a crate::domain::registries::matching::MatchKey,
}

/// A table whose rows sit in a grid and carry a version.
pub trait Versioned: EntityTrait {
    /// How errors and the audit log name a row.
    const KIND: &'static str;
    /// What the policies call it.
    const OBJECT: Object;
    const ID: Self::Column;
    const VERSION: Self::Column;
    const UPDATED_AT: Self::Column;
    fn grid(row: &Self::Model) -> &str;
    fn version(row: &Self::Model) -> i32;
}

macro_rules! versioned {
    ($module:ident, $kind:literal, $object:expr) => {
        impl Versioned for $module::Entity {
            const KIND: &'static str = $kind;
            const OBJECT: Object = $object;
            const ID: $module::Column = $module::Column::Id;
            const VERSION: $module::Column = $module::Column::Version;
            const UPDATED_AT: $module::Column = $module::Column::UpdatedAt;
            fn grid(row: &$module::Model) -> &str {
                &row.grid_code
            }
            fn version(row: &$module::Model) -> i32 {
                row.version
            }
        }
    };
}

versioned!(resident, "resident", Object::Resident);
versioned!(household, "household", Object::Household);
versioned!(dwelling, "dwelling", Object::Dwelling);
versioned!(building, "building", Object::Building);
versioned!(organisation, "organisation", Object::Organisation);
versioned!(case, "case", Object::Case);

/// The domain a stored grid code names; stored codes were checked when
/// written, so a bad one is the database's fault, not the caller's.
fn domain_of(grid: &str) -> ApiResult<Domain> {
    AreaCode::parse(grid)
        .map(Domain::Area)
        .map_err(|err| ApiError::Internal(anyhow::anyhow!("stored grid code {grid}: {err}")))
}

impl Writer<'_> {
    /// Starts the transaction the change and its audit row share.
    pub async fn begin(&self) -> ApiResult<DatabaseTransaction> {
        Ok(crate::db::begin_write(self.db).await?)
    }

    pub fn may(&self, grid: &str, object: Object, action: Action) -> ApiResult<bool> {
        Ok(self
            .authorizer
            .check(&self.caller.principal, &domain_of(grid)?, object, action))
    }

    /// FORBIDDEN unless the caller may take `action` on `object` in `grid`.
    pub fn require(&self, grid: &str, object: Object, action: Action) -> ApiResult<()> {
        if self.may(grid, object, action)? {
            Ok(())
        } else {
            Err(ApiError::forbidden(object, action))
        }
    }

    /// The row to change, as the caller read it: NOT_FOUND when it is missing
    /// or out of the caller's sight (the two look the same), FORBIDDEN when
    /// the caller may see but not change it, CONFLICT when `version` is not
    /// the row's.
    pub async fn load<E: Versioned>(
        &self,
        txn: &DatabaseTransaction,
        id: i64,
        version: i32,
    ) -> ApiResult<E::Model> {
        self.load_for::<E>(txn, id, version, Action::Write).await
    }

    /// Like [`Writer::load`], for a step that needs `action` on the row
    /// rather than the right to change it (a sign-off, a return).
    pub async fn load_for<E: Versioned>(
        &self,
        txn: &DatabaseTransaction,
        id: i64,
        version: i32,
        action: Action,
    ) -> ApiResult<E::Model> {
        let row = E::find()
            .filter(E::ID.eq(id))
            .one(txn)
            .await?
            .ok_or(ApiError::not_found(E::KIND, "id"))?;
        if !self.may(E::grid(&row), E::OBJECT, Action::Read)? {
            return Err(ApiError::not_found(E::KIND, "id"));
        }
        self.require(E::grid(&row), E::OBJECT, action)?;
        if E::version(&row) != version {
            return Err(stale(E::KIND, version, Some(E::version(&row))));
        }
        Ok(row)
    }

    /// A row an input field points at: it must exist and be in the caller's
    /// sight, and either failure names the field.
    pub async fn reference<E: Versioned>(
        &self,
        txn: &DatabaseTransaction,
        field: &str,
        id: i64,
    ) -> ApiResult<E::Model> {
        let missing = || ApiError::missing(field, format!("no such {}", E::KIND));
        let row = E::find()
            .filter(E::ID.eq(id))
            .one(txn)
            .await?
            .ok_or_else(missing)?;
        if !self.may(E::grid(&row), E::OBJECT, Action::Read)? {
            return Err(missing());
        }
        Ok(row)
    }

    /// Who its audit rows name.
    pub fn actor(&self) -> Actor {
        Actor::of(self.caller, self.seal)
    }

    /// Writes the audit row of a change, inside its transaction.
    pub async fn audit(
        &self,
        txn: &DatabaseTransaction,
        action: &str,
        kind: &str,
        id: i64,
        grid: &str,
        detail: Value,
    ) -> ApiResult<()> {
        audit::record(
            txn,
            &self.actor(),
            Entry {
                action,
                object_kind: kind,
                object_id: Some(id.to_string()),
                area_code: Some(grid.to_owned()),
                detail,
            },
        )
        .await
    }
}

/// What an edit of one row changes: the new values, the names of the fields
/// they set, and what the audit row says beside those names.
#[derive(Default)]
pub struct Changes<A> {
    pub values: A,
    pub fields: Vec<&'static str>,
    pub detail: serde_json::Map<String, Value>,
}

impl Writer<'_> {
    /// The skeleton every update of a versioned row shares: in one
    /// transaction, load the row as read at `version` (NOT_FOUND, FORBIDDEN
    /// or CONFLICT as [`Writer::load`] says), let `edit` decide the changes
    /// by the write's own rules, refuse an edit that changes nothing, save
    /// against the version, write the audit row `action`, commit.
    pub async fn update<E>(
        &self,
        id: i64,
        version: i32,
        action: &str,
        edit: impl AsyncFnOnce(&DatabaseTransaction, &E::Model) -> ApiResult<Changes<E::ActiveModel>>,
    ) -> ApiResult<E::Model>
    where
        E: Versioned,
        E::Model: IntoActiveModel<E::ActiveModel>,
        E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
    {
        let txn = self.begin().await?;
        let current = self.load::<E>(&txn, id, version).await?;
        let changes = edit(&txn, &current).await?;
        if changes.fields.is_empty() {
            return Err(ApiError::nothing_to_change());
        }
        let row = save::<E>(&txn, id, version, changes.values).await?;
        let mut detail = changes.detail;
        detail.insert("fields".to_owned(), serde_json::json!(changes.fields));
        self.audit(
            &txn,
            action,
            E::KIND,
            id,
            E::grid(&row),
            Value::Object(detail),
        )
        .await?;
        txn.commit().await?;
        Ok(row)
    }
}

pub(crate) fn stale(kind: &str, sent: i32, current: Option<i32>) -> ApiError {
    let now = match current {
        Some(current) => format!("it is at {current}"),
        None => "someone else changed it just now".to_owned(),
    };
    ApiError::conflict(format!(
        "this {kind} was changed since you read it (you sent version {sent}, {now}); \
         read it again and reapply your change"
    ))
}

/// Writes `changes` to row `id` only if it is still at `version`, moving it
/// to the next version; the condition in the UPDATE is what makes two
/// concurrent writers of one version end with exactly one winner.
pub async fn save<E>(
    txn: &DatabaseTransaction,
    id: i64,
    version: i32,
    changes: E::ActiveModel,
) -> ApiResult<E::Model>
where
    E: Versioned,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let updated = E::update_many()
        .set(changes)
        .col_expr(E::VERSION, Expr::col(E::VERSION).add(1))
        .col_expr(E::UPDATED_AT, Expr::val(Utc::now()))
        .filter(E::ID.eq(id))
        .filter(E::VERSION.eq(version))
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(stale(E::KIND, version, None));
    }
    E::find()
        .filter(E::ID.eq(id))
        .one(txn)
        .await?
        .ok_or(ApiError::not_found(E::KIND, "id"))
}

/// Turns a unique-index violation into the field error the caller can act
/// on: the check before a write cannot see a concurrent insert of the same
/// number, the index can.
pub fn duplicate(field: &'static str, message: &'static str) -> impl FnOnce(ApiError) -> ApiError {
    move |err| match err {
        ApiError::Internal(inner) => match inner.downcast::<DbErr>() {
            Ok(db) if matches!(db.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                ApiError::taken(field, message)
            }
            Ok(db) => ApiError::Internal(db.into()),
            Err(other) => ApiError::Internal(other),
        },
        other => other,
    }
}

/// What an update does to one optional field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Patch<T> {
    pub fn is_keep(&self) -> bool {
        matches!(self, Patch::Keep)
    }

    /// The new value of a clearable field, a set one passed through `check`;
    /// `None` when the field is kept.
    pub fn checked<U>(
        &self,
        check: impl FnOnce(&T) -> ApiResult<Option<U>>,
    ) -> ApiResult<Option<Option<U>>> {
        match self {
            Patch::Keep => Ok(None),
            Patch::Clear => Ok(Some(None)),
            Patch::Set(value) => check(value).map(Some),
        }
    }
}

impl<T: Copy> Patch<T> {
    /// The field's value after the change, given its value before.
    pub fn or_current(&self, current: Option<T>) -> Option<T> {
        match self {
            Patch::Keep => current,
            Patch::Clear => None,
            Patch::Set(value) => Some(*value),
        }
    }
}

/// Where something is placed: a grid, and a dwelling inside it.
pub struct Place {
    pub grid_code: String,
    pub dwelling_id: Option<i64>,
}

/// The input fields that name a place, so that a fault names the field the
/// caller filled in.
#[derive(Debug, Clone, Copy)]
pub struct PlaceFields {
    pub grid: &'static str,
    pub dwelling: &'static str,
}

impl PlaceFields {
    /// `gridCode` and `dwellingId`, as most inputs name them.
    pub const INPUT: PlaceFields = PlaceFields {
        grid: "gridCode",
        dwelling: "dwellingId",
    };
}

impl Writer<'_> {
    /// The grid (and dwelling) an input names: a dwelling decides the grid,
    /// and a grid named beside it must be the same one.
    pub async fn place(
        &self,
        txn: &DatabaseTransaction,
        grid_code: Option<&str>,
        dwelling_id: Option<i64>,
        fields: PlaceFields,
    ) -> ApiResult<Place> {
        if let Some(dwelling_id) = dwelling_id {
            let dwelling = self
                .reference::<dwelling::Entity>(txn, fields.dwelling, dwelling_id)
                .await?;
            if let Some(grid_code) = grid_code
                && grid_code != dwelling.grid_code
            {
                return Err(ApiError::bad_input(
                    fields.grid,
                    format!("the dwelling is in grid {}", dwelling.grid_code),
                ));
            }
            return Ok(Place {
                grid_code: dwelling.grid_code,
                dwelling_id: Some(dwelling.id),
            });
        }
        let raw = grid_code
            .ok_or_else(|| ApiError::required(fields.grid, "give the grid, or a dwelling in it"))?;
        let code = crate::domain::areas::parse_code(fields.grid, raw)?;
        // A grid the caller may not see answers as one that does not
        // exist, or the answer would tell which grids exist.
        let grid = crate::domain::areas::find_grid(txn, &code)
            .await?
            .filter(|grid| {
                self.may(&grid.code, Object::Area, Action::Read)
                    .unwrap_or(false)
            })
            .ok_or_else(|| ApiError::missing(fields.grid, "no grid you can see has this code"))?;
        Ok(Place {
            grid_code: grid.code,
            dwelling_id: None,
        })
    }
}
