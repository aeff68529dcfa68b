use sea_orm::entity::prelude::*;

use crate::resident::Sex;

/// One row of a registry snapshot: only what the comparison rules need. A
/// person's ID number is kept as its keyed hash, never in the clear, so
/// that a leaked table holds no ID number (names and birth dates it does
/// hold: the household rule compares them).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "registry_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub snapshot_id: i64,
    /// The row's line in the file (the header is line 1).
    pub line: i64,
    /// A person's ID number, as HMAC-SHA256 under the match key.
    pub id_hash: Option<String>,
    /// A licence or permit number.
    pub code: Option<String>,
    pub name: String,
    pub sex: Option<Sex>,
    pub birth_date: Option<Date>,
    /// The kind's first date: a death, a listing, the first month paid, a
    /// licence's issue.
    pub from_date: Option<Date>,
    /// The kind's last date: the last month paid, a licence's expiry.
    pub to_date: Option<Date>,
    /// The holder's unified social credit code.
    pub credit_code: Option<String>,
    pub address: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
