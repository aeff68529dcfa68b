//! Departments as every part of the schema shows them: the handling
//! department of a case, a task's target, the caller's own.

use async_graphql::{Context, ID, Object, Result};
use entities::department;

use super::ContextExt;
use super::relay::{NodeKind, global_id};

/// A functional department.
pub struct Department(pub department::Model);

impl Department {
    /// The department of a global ID's key; every signed-in caller may
    /// read departments.
    pub async fn find(ctx: &Context<'_>, key: &str) -> Result<Option<Department>> {
        let Ok(id) = key.parse::<i64>() else {
            return Ok(None);
        };
        let loader = ctx.loaders()?.departments();
        Ok(loader.load_one(id).await?.map(Department))
    }
}

/// A functional department.
#[Object]
impl Department {
    /// Its global ID: the one `departmentId` takes everywhere.
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Department, &self.0.id.to_string())
    }

    /// The department's code.
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The duties it answers for.
    async fn duties(&self) -> Vec<String> {
        crate::domain::departments::duties_of(&self.0)
    }

    /// The area it acts in.
    async fn jurisdiction_code(&self) -> &str {
        &self.0.jurisdiction_code
    }
}

/// The key of a department's global ID given in the input field `field`.
pub(super) fn department_key(field: &str, id: &ID) -> crate::error::ApiResult<i64> {
    super::relay::key_of(field, id, NodeKind::Department)
}
