//! The GraphQL schema: one module per part of it, named like the schema.

mod admin;
mod areas;
pub mod bounds;
mod cases;
mod events;
mod home_changes;
mod homes;
mod limits;
mod loaders;
mod relay;
mod resident_changes;
mod residents;
mod session;
mod stats;
mod tasks;

use std::sync::Arc;

use async_graphql::{Context, MergedObject, MergedSubscription, Schema, SchemaBuilder};
use policies::{Action, Authorizer, Object};
use sea_orm::DatabaseConnection;

use crate::auth::jwt::JwtKeys;
use crate::auth::sessions::Lifetimes;
use crate::caller::Caller;
use crate::config::LimitsConfig;
use crate::domain::privacy::UnmaskedReads;
use crate::error::{ApiError, ApiResult};
pub use loaders::AreaLoader;

pub type GridgovSchema = Schema<Query, Mutation, Subscription>;

#[derive(MergedObject, Default)]
pub struct Query(
    areas::AreasQuery,
    residents::ResidentsQuery,
    homes::HomesQuery,
    stats::StatsQuery,
    cases::CasesQuery,
    tasks::TasksQuery,
    relay::NodeQuery,
    session::SessionQuery,
    admin::AdminQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    session::SessionMutation,
    resident_changes::ResidentChanges,
    home_changes::HomeChanges,
    cases::CasesMutation,
    tasks::TasksMutation,
    admin::AdminMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(events::CaseSubscription, tasks::TaskSubscription);

/// What every resolver can reach through its context.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub authorizer: Arc<Authorizer>,
    pub keys: JwtKeys,
    pub lifetimes: Lifetimes,
    pub metrics: crate::metrics::Metrics,
    pub admission: crate::admission::Admission,
    /// Statistics groups smaller than this are suppressed for callers who
    /// may not see the residents behind them.
    pub suppress_below: u32,
    pub events: crate::events::Events,
    /// The pool that checks passwords, with its memory kept for reuse.
    pub passwords: crate::auth::passwords::PasswordChecker,
}

fn schema_builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
}

/// The schema as served, with its limits on.
pub fn build_schema(state: AppState, limits: &LimitsConfig) -> GridgovSchema {
    let mut builder = schema_builder()
        .data(state)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .disable_suggestions()
        .extension(limits::QueryLimits::new(
            limits.bounds(),
            limits.max_complexity,
        ));
    if !limits.introspection {
        builder = builder.disable_introspection();
    }
    builder.finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}

/// The caller of a request, as the HTTP layer established it.
#[derive(Clone)]
pub struct RequestCaller(pub Option<Caller>);

/// Attaches what one request needs: its caller, the record of its unmasked
/// reads, and loaders that batch lookups within the request under the
/// caller's scope. Loaders must not outlive the request, or one caller's rows
/// could serve another.
pub fn attach(
    mut request: async_graphql::Request,
    state: &AppState,
    caller: Option<Caller>,
    unmasked: &UnmaskedReads,
) -> async_graphql::Request {
    fill(&mut request.data, state, caller, unmasked);
    request
}

/// What a live connection's subscriptions need: the same as a request's,
/// for the caller its `connection_init` named.
pub fn connection_data(state: &AppState, caller: Option<Caller>) -> async_graphql::Data {
    let mut data = async_graphql::Data::default();
    fill(&mut data, state, caller, &UnmaskedReads::default());
    data
}

fn fill(
    data: &mut async_graphql::Data,
    state: &AppState,
    caller: Option<Caller>,
    unmasked: &UnmaskedReads,
) {
    let area_scope = match &caller {
        Some(caller) => caller.scope(&state.authorizer, Object::Area, Action::Read),
        None => policies::Scope::nothing(),
    };
    data.insert(RequestCaller(caller));
    data.insert(residents::RequestScopes::default());
    data.insert(tasks::RequestViewer::default());
    data.insert(loaders::Loaders::default());
    data.insert(unmasked.clone());
    data.insert(loaders::batched(AreaLoader::new(
        state.db.clone(),
        area_scope,
    )));
}

trait ContextExt {
    fn state(&self) -> &AppState;
    /// The authenticated caller; UNAUTHENTICATED for anyone else.
    fn caller(&self) -> ApiResult<&Caller>;
    /// A permit for work that scans (statistics, indicators, roll-ups),
    /// held while it runs.
    async fn scan_permit(&self) -> ApiResult<tokio::sync::OwnedSemaphorePermit>;
}

impl ContextExt for Context<'_> {
    fn state(&self) -> &AppState {
        // build_schema always registers the state.
        self.data_unchecked::<AppState>()
    }

    fn caller(&self) -> ApiResult<&Caller> {
        self.data::<RequestCaller>()
            .ok()
            .and_then(|caller| caller.0.as_ref())
            .ok_or_else(ApiError::unauthenticated)
    }

    async fn scan_permit(&self) -> ApiResult<tokio::sync::OwnedSemaphorePermit> {
        self.state().admission.heavy().await
    }
}
