use sea_orm::entity::prelude::*;

/// A resident's move from one grid to another grid of the city (迁出 /
/// 迁入), or out of the city: the old grid's worker writes it, the new
/// grid's worker reads it as an arrival and takes the person in.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "transfers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub resident_id: i64,
    /// Who moved, as the record stood when they moved out: what each side
    /// is shown of the person, so that a later correction in one grid does
    /// not reach the other through the move.
    pub name: String,
    pub sex: crate::resident::Sex,
    pub birth_date: Date,
    pub id_number: String,
    pub from_grid_code: String,
    /// The grid of the city moved to; `None` for a place outside it.
    pub to_grid_code: Option<String>,
    /// A place outside the city, as the worker was told it.
    pub destination: Option<String>,
    pub moved_on: Date,
    pub state: TransferState,
    pub arrived_on: Option<Date>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TransferState {
    /// Moved out of the old grid, not yet taken in by the new one.
    #[sea_orm(string_value = "on_the_way")]
    OnTheWay,
    /// Taken into the new grid's record.
    #[sea_orm(string_value = "arrived")]
    Arrived,
    /// Gone to a place outside the city: nobody here takes them in.
    #[sea_orm(string_value = "left_city")]
    LeftCity,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
