//! Column shapes that recur across tables, so that every table spells an id,
//! a code, a version or a timestamp the same way.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema;

/// A 64-bit auto-increment primary key.
pub fn id<T: IntoIden>(name: T) -> ColumnDef {
    schema::big_pk_auto(name)
}

/// A reference to another table's 64-bit id.
pub fn id_ref<T: IntoIden>(name: T) -> ColumnDef {
    schema::big_integer(name)
}

pub fn id_ref_null<T: IntoIden>(name: T) -> ColumnDef {
    schema::big_integer_null(name)
}

/// An area code of any level (up to 15 digits) or a longer place code.
pub fn code<T: IntoIden>(name: T) -> ColumnDef {
    schema::string_len(name, 24)
}

pub fn code_null<T: IntoIden>(name: T) -> ColumnDef {
    schema::string_len_null(name, 24)
}

/// A value of an enumerated column, stored as its snake_case name.
pub fn enumeration<T: IntoIden>(name: T) -> ColumnDef {
    schema::string_len(name, 24)
}

pub fn enumeration_null<T: IntoIden>(name: T) -> ColumnDef {
    schema::string_len_null(name, 24)
}

/// The optimistic-concurrency version of a mutable row.
pub fn version<T: IntoIden>(name: T) -> ColumnDef {
    schema::integer(name).default(1).take()
}

pub fn time<T: IntoIden>(name: T) -> ColumnDef {
    schema::timestamp_with_time_zone(name)
}

pub fn time_null<T: IntoIden>(name: T) -> ColumnDef {
    schema::timestamp_with_time_zone_null(name)
}

pub fn json<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).json_binary().not_null().take()
}

pub fn json_null<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).json_binary().null().take()
}

/// A plain index on `columns` of `table`, named after them.
pub fn index<T, C>(table: T, columns: &[C]) -> IndexCreateStatement
where
    T: IntoIden + Clone + 'static,
    C: IntoIden + Clone + 'static,
{
    let table_name = table.clone().into_iden().to_string();
    let column_names: Vec<String> = columns
        .iter()
        .map(|column| column.clone().into_iden().to_string())
        .collect();
    let mut index = Index::create();
    index
        .name(format!("ix_{}_{}", table_name, column_names.join("_")))
        .table(table);
    for column in columns {
        index.col(column.clone());
    }
    index.take()
}

/// A foreign key from `from_table.from_col` to `to_table.id`.
pub fn references<T, C, U>(
    from_table: T,
    from_col: C,
    to_table: U,
    to_col: impl IntoIden,
) -> ForeignKeyCreateStatement
where
    T: IntoIden + Clone + 'static,
    C: IntoIden + Clone + 'static,
    U: IntoIden + Clone + 'static,
{
    let name = format!(
        "fk_{}_{}",
        from_table.clone().into_iden(),
        from_col.clone().into_iden()
    );
    ForeignKey::create()
        .name(name)
        .from(from_table, from_col)
        .to(to_table, to_col)
        .take()
}
