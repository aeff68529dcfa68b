//! The GraphQL schema: one module per part of it, named like the schema.

mod areas;
mod loaders;
mod relay;

use async_graphql::dataloader::DataLoader;
use async_graphql::{EmptyMutation, EmptySubscription, MergedObject, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

use crate::config::LimitsConfig;
pub use loaders::AreaLoader;

pub type GridgovSchema = Schema<Query, EmptyMutation, EmptySubscription>;

#[derive(MergedObject, Default)]
pub struct Query(areas::AreasQuery, relay::NodeQuery);

/// What every resolver can reach through its context.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
}

fn schema_builder() -> SchemaBuilder<Query, EmptyMutation, EmptySubscription> {
    Schema::build(Query::default(), EmptyMutation, EmptySubscription)
}

/// The schema as served, with its limits on.
pub fn build_schema(state: AppState, limits: &LimitsConfig) -> GridgovSchema {
    let mut builder = schema_builder()
        .data(state)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .disable_suggestions();
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    builder.finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}

/// The per-request data a request needs: loaders batch lookups within one
/// request and must not outlive it, or one caller's rows could serve another.
pub fn request_data(state: &AppState) -> DataLoader<AreaLoader> {
    DataLoader::new(AreaLoader::new(state.db.clone()), tokio::spawn)
}

trait ContextExt {
    fn state(&self) -> &AppState;
}

impl ContextExt for async_graphql::Context<'_> {
    fn state(&self) -> &AppState {
        // build_schema always registers the state.
        self.data_unchecked::<AppState>()
    }
}
