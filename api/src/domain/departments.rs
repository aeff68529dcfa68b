//! Departments: which one a caller acts for, and the list every signed-in
//! caller may read (names and duties are public within the platform).

use std::collections::HashMap;

use entities::{department, user};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::caller::Caller;
use crate::domain::access::Access;
use crate::error::ApiResult;

/// The department a caller acts for: a department token's, or a department
/// officer's own.
pub async fn department_of<C: ConnectionTrait>(db: &C, caller: &Caller) -> ApiResult<Option<i64>> {
    if caller.department_id.is_some() {
        return Ok(caller.department_id);
    }
    let Some(user_id) = caller.user_id else {
        return Ok(None);
    };
    let department: Option<Option<i64>> = user::Entity::find_by_id(user_id)
        .select_only()
        .column(user::Column::DepartmentId)
        .into_tuple()
        .one(db)
        .await?;
    Ok(department.flatten())
}

/// The department a caller acts for, in one statement: a department
/// token's, or a department officer's own.
pub async fn acting_for<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
) -> ApiResult<Option<department::Model>> {
    let query = match (caller.department_id, caller.user_id) {
        (Some(id), _) => department::Entity::find_by_id(id),
        (None, Some(user_id)) => {
            let of_user = Query::select()
                .column(user::Column::DepartmentId)
                .from(user::Entity)
                .and_where(user::Column::Id.eq(user_id))
                .to_owned();
            department::Entity::find()
                .filter(Expr::col(department::Column::Id).in_subquery(of_user))
        }
        (None, None) => return Ok(None),
    };
    Ok(query.one(db).await?)
}

pub fn duties_of(row: &department::Model) -> Vec<String> {
    row.duties
        .as_array()
        .map(|duties| {
            duties
                .iter()
                .filter_map(|duty| duty.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Departments by id: names and duties are public within the platform.
pub async fn by_ids(access: &Access, ids: &[i64]) -> ApiResult<HashMap<i64, department::Model>> {
    access.caller()?;
    Ok(department::Entity::find()
        .filter(department::Column::Id.is_in(ids.iter().copied()))
        .all(access.db())
        .await?
        .into_iter()
        .map(|row| (row.id, row))
        .collect())
}

/// Every department, by code, for dispatching: public within the platform.
pub async fn all(access: &Access) -> ApiResult<Vec<department::Model>> {
    access.caller()?;
    Ok(department::Entity::find()
        .order_by_asc(department::Column::Code)
        .all(access.db())
        .await?)
}
