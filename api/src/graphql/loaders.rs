//! Batch loaders: a relation asked for by every row of a page costs one query
//! per page, not one per row, and sees only what the caller may see.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entities::area;
use policies::Scope;
use sea_orm::DatabaseConnection;

use crate::domain::areas;

pub struct AreaLoader {
    db: DatabaseConnection,
    scope: Scope,
}

impl AreaLoader {
    pub fn new(db: DatabaseConnection, scope: Scope) -> AreaLoader {
        AreaLoader { db, scope }
    }
}

impl Loader<String> for AreaLoader {
    type Value = area::Model;
    type Error = async_graphql::Error;

    async fn load(&self, codes: &[String]) -> Result<HashMap<String, area::Model>, Self::Error> {
        let rows = areas::areas_by_code(&self.db, &self.scope, codes).await?;
        Ok(rows
            .into_iter()
            .map(|row| (row.code.clone(), row))
            .collect())
    }
}
