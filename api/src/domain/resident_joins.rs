//! The relations a page of residents reads by its own statement: each
//! row's household and that household's head, each row's dwelling and that
//! dwelling's building, each by a `LEFT JOIN` whose `ON` holds the caller's
//! read scope for the joined table, so a relation the caller may not see
//! comes back empty, as a read by id would leave it out.

use std::collections::HashMap;

use entities::{building, dwelling, household, resident};
use policies::{Action, Object};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, IntoIden, JoinType, SelectStatement};
use sea_orm::{DbErr, EntityTrait, FromQueryResult, IdenStatic, Iterable, QueryResult};

use crate::domain::access::Access;
use crate::domain::scoped::Join;
use crate::domain::within::in_scope_at;

/// Which relations to read with the page. A head is read only with its
/// household, a building only with its dwelling.
#[derive(Debug, Clone, Copy, Default)]
pub struct Joins {
    pub households: bool,
    pub heads: bool,
    pub dwellings: bool,
    pub buildings: bool,
}

/// What the joins read, by the joined row's id: `None` for one the caller
/// may not see (so that a loader remembers the miss).
#[derive(Default)]
pub struct Joined {
    pub households: HashMap<i64, Option<household::Model>>,
    pub heads: HashMap<i64, Option<resident::Model>>,
    pub dwellings: HashMap<i64, Option<dwelling::Model>>,
    pub buildings: HashMap<i64, Option<building::Model>>,
}

/// Each joined table's alias, which also starts the names of its columns
/// in the page's rows (`household__id` beside the row's `household_id`).
const HOUSEHOLD: &str = "household__";
const HEAD: &str = "head__";
const DWELLING: &str = "dwelling__";
const BUILDING: &str = "building__";

impl Joins {
    fn joins_heads(&self) -> bool {
        self.households && self.heads
    }

    fn joins_buildings(&self) -> bool {
        self.dwellings && self.buildings
    }

    pub fn any(&self) -> bool {
        self.households || self.dwellings
    }

    /// The joins, for the page's statement.
    pub fn join(self, access: &Access) -> Join {
        let mut tables = Vec::new();
        if self.households {
            tables.push(table::<household::Entity>(
                access,
                Object::Household,
                HOUSEHOLD,
                (
                    resident::Entity.into_iden(),
                    resident::Column::HouseholdId.into_iden(),
                ),
                household::Column::GridCode,
            ));
        }
        if self.joins_heads() {
            tables.push(table::<resident::Entity>(
                access,
                Object::Resident,
                HEAD,
                (
                    Alias::new(HOUSEHOLD).into_iden(),
                    household::Column::HeadResidentId.into_iden(),
                ),
                resident::Column::GridCode,
            ));
        }
        if self.dwellings {
            tables.push(table::<dwelling::Entity>(
                access,
                Object::Dwelling,
                DWELLING,
                (
                    resident::Entity.into_iden(),
                    resident::Column::DwellingId.into_iden(),
                ),
                dwelling::Column::GridCode,
            ));
        }
        if self.joins_buildings() {
            tables.push(table::<building::Entity>(
                access,
                Object::Building,
                BUILDING,
                (
                    Alias::new(DWELLING).into_iden(),
                    dwelling::Column::BuildingId.into_iden(),
                ),
                building::Column::GridCode,
            ));
        }
        Box::new(move |statement: &mut SelectStatement| {
            for table in tables {
                table(statement);
            }
        })
    }

    /// What the joins read, from the page's rows.
    pub fn read(self, rows: &[QueryResult]) -> Result<Joined, DbErr> {
        let mut joined = Joined::default();
        for row in rows {
            if self.households {
                let household = found(
                    row,
                    "",
                    resident::Column::HouseholdId,
                    HOUSEHOLD,
                    &mut joined.households,
                )?;
                // A household the caller may not see shows no head.
                if self.joins_heads() && household {
                    found(
                        row,
                        HOUSEHOLD,
                        household::Column::HeadResidentId,
                        HEAD,
                        &mut joined.heads,
                    )?;
                }
            }
            if self.dwellings {
                let dwelling = found(
                    row,
                    "",
                    resident::Column::DwellingId,
                    DWELLING,
                    &mut joined.dwellings,
                )?;
                if self.joins_buildings() && dwelling {
                    found(
                        row,
                        DWELLING,
                        dwelling::Column::BuildingId,
                        BUILDING,
                        &mut joined.buildings,
                    )?;
                }
            }
        }
        Ok(joined)
    }
}

/// `E` joined under `alias` on its id equal to `key`, where the caller may
/// read it (by its `grid` column), all its columns named `alias` + column.
fn table<E>(
    access: &Access,
    object: Object,
    alias: &'static str,
    key: (sea_orm::sea_query::DynIden, sea_orm::sea_query::DynIden),
    grid: E::Column,
) -> Box<dyn FnOnce(&mut SelectStatement) + Send>
where
    E: EntityTrait,
{
    let scope = access.scope(object, Action::Read);
    let grid = grid.as_str();
    let on = Condition::all()
        .add(Expr::col((Alias::new(alias), Alias::new("id"))).equals(key))
        .add(in_scope_at(
            &|| Expr::col((Alias::new(alias), Alias::new(grid))),
            &scope,
        ));
    Box::new(move |statement: &mut SelectStatement| {
        statement.join_as(
            JoinType::LeftJoin,
            E::default().table_ref(),
            Alias::new(alias),
            on,
        );
        for column in E::Column::iter() {
            statement.expr_as(
                Expr::col((Alias::new(alias), Alias::new(column.as_str()))),
                format!("{alias}{}", column.as_str()),
            );
        }
    })
}

/// Keeps the row a join found under `alias` (`None`: a miss to remember)
/// by the id the page's row names in `key` (under `prefix`); whether it
/// found one.
fn found<M, C>(
    row: &QueryResult,
    prefix: &str,
    key: C,
    alias: &str,
    into: &mut HashMap<i64, Option<M>>,
) -> Result<bool, DbErr>
where
    M: FromQueryResult,
    C: IdenStatic,
{
    let Some(id) = row.try_get::<Option<i64>>(prefix, key.as_str())? else {
        return Ok(false);
    };
    // A joined row's id is never empty: an empty one is a row the caller
    // may not see. Anything else that fails to read is an error, not a
    // miss to remember.
    let joined = match row.try_get::<Option<i64>>(alias, "id")? {
        Some(_) => Some(M::from_query_result(row, alias)?),
        None => None,
    };
    let found = joined.is_some();
    into.insert(id, joined);
    Ok(found)
}
