//! The GraphQL schema: one module per part of it, named like the schema.

mod admin;
mod areas;
mod asked;
mod audit;
pub mod bounds;
mod case_changes;
mod case_links;
mod case_photos;
mod case_rules;
mod cases;
mod comparisons;
mod context;
mod departments;
pub mod documents;
mod events;
mod explain;
mod home_changes;
mod homes;
mod inputs;
mod labels;
mod limits;
mod loaders;
mod node;
mod ordering;
mod payload;
mod people;
mod plain;
mod policy_dry_run;
mod policy_history;
mod record;
mod registries;
mod relay;
mod resident_changes;
mod residents;
mod rounds;
pub(crate) mod scalars;
mod session;
mod stats;
mod subjects;
mod tasks;
mod transfers;
pub mod upload;
mod verification;
mod visits;

use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};

use crate::config::LimitsConfig;
pub use case_photos::PHOTO_PATH;
use context::ContextExt;
pub use context::{AppState, attach, connection_data};
pub use limits::code_of;

pub type GridgovSchema = Schema<Query, Mutation, Subscription>;

/// The entry points for reading.
#[derive(MergedObject, Default)]
pub struct Query(
    areas::AreasQuery,
    residents::ResidentsQuery,
    homes::HomesQuery,
    stats::StatsQuery,
    cases::CasesQuery,
    case_rules::CaseRulesQuery,
    tasks::TasksQuery,
    node::NodeQuery,
    session::SessionQuery,
    admin::AdminQuery,
    explain::ExplainQuery,
    policy_dry_run::DryRunQuery,
    policy_history::PolicyHistoryQuery,
    audit::AuditQuery,
    labels::LabelsQuery,
    transfers::TransfersQuery,
    visits::VisitsQuery,
    verification::VerificationQuery,
    registries::RegistriesQuery,
    comparisons::ComparisonsQuery,
);

/// The entry points for writing; each takes one `input` and answers a payload
/// with `userErrors`.
#[derive(MergedObject, Default)]
pub struct Mutation(
    session::SessionMutation,
    resident_changes::ResidentChanges,
    verification::VerificationChanges,
    transfers::TransferChanges,
    visits::VisitChanges,
    home_changes::HomeChanges,
    case_changes::CaseChanges,
    tasks::TasksMutation,
    admin::AdminMutation,
    policy_history::PolicyHistoryMutation,
    registries::RegistriesMutation,
    comparisons::ComparisonsMutation,
);

/// Live updates over graphql-ws, cut to the caller's scope.
#[derive(MergedSubscription, Default)]
pub struct Subscription(events::LiveUpdates);

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
    let options = async_graphql::SDLExportOptions::new().include_specified_by();
    schema_builder().finish().sdl_with_options(options)
}
