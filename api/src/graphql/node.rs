//! `node(id)`: any object by its global ID, and the `Node` interface every
//! such object implements. It sits above every part of the schema, since it
//! names them all.

use async_graphql::{Context, ID, Interface, Object, Result};

use super::ContextExt;
use super::record::{self, Building, Dwelling, Household, Organisation, Resident};
use super::record::{Area, Grid};
use super::relay::{NodeKind, parse_global_id};
use crate::error::ApiError;

/// Anything that can be fetched by its global ID.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "The object's opaque global ID."))]
pub enum Node {
    Area(Area),
    Grid(Grid),
    Resident(Resident),
    Household(Household),
    Dwelling(Dwelling),
    Building(Building),
    Organisation(Organisation),
    Case(super::cases::Case),
    Task(super::tasks::Task),
    TaskAssignment(super::tasks::Assignment),
    Department(super::departments::Department),
    ApiToken(super::admin::ApiToken),
    Policy(super::admin::Policy),
    RoleAssignment(super::admin::RoleAssignmentRow),
    Transfer(super::transfers::Transfer),
    Visit(super::visits::Visit),
    Finding(super::comparisons::Finding),
    ComparisonJob(super::comparisons::ComparisonJob),
}

/// The object a global ID names, or None when it names nothing the caller
/// may see (the two look the same).
async fn node_of(ctx: &Context<'_>, id: &ID) -> Result<Option<Node>> {
    let Some((kind, key)) = parse_global_id(id) else {
        return Ok(None);
    };
    Ok(match kind {
        NodeKind::Area => Area::find(ctx, &key).await?.map(Node::Area),
        NodeKind::Grid => Grid::find(ctx, &key).await?.map(Node::Grid),
        NodeKind::Resident => Resident::find(ctx, &key).await?.map(Node::Resident),
        NodeKind::Household => record::household(ctx.loaders()?, key.parse().ok())
            .await?
            .map(Node::Household),
        NodeKind::Dwelling => record::dwelling(ctx.loaders()?, key.parse().ok())
            .await?
            .map(Node::Dwelling),
        NodeKind::Building => record::building(ctx.loaders()?, key.parse().ok())
            .await?
            .map(Node::Building),
        NodeKind::Organisation => record::organisation(ctx.loaders()?, key.parse().ok())
            .await?
            .map(Node::Organisation),
        NodeKind::Case => super::cases::Case::find(ctx, &key).await?.map(Node::Case),
        NodeKind::Task => super::tasks::Task::find(ctx, &key).await?.map(Node::Task),
        NodeKind::TaskAssignment => super::tasks::Assignment::find(ctx, &key)
            .await?
            .map(Node::TaskAssignment),
        NodeKind::Department => super::departments::Department::find(ctx, &key)
            .await?
            .map(Node::Department),
        NodeKind::ApiToken => super::admin::ApiToken::find(ctx, &key)
            .await?
            .map(Node::ApiToken),
        NodeKind::Policy => super::admin::Policy::find(ctx, &key)
            .await?
            .map(Node::Policy),
        NodeKind::RoleAssignment => super::admin::RoleAssignmentRow::find(ctx, &key)
            .await?
            .map(Node::RoleAssignment),
        NodeKind::Transfer => super::transfers::Transfer::find(ctx, &key)
            .await?
            .map(Node::Transfer),
        NodeKind::Visit => super::visits::Visit::find(ctx, &key)
            .await?
            .map(Node::Visit),
        NodeKind::Finding => super::comparisons::Finding::find(ctx, &key)
            .await?
            .map(Node::Finding),
        NodeKind::ComparisonJob => super::comparisons::ComparisonJob::find(ctx, &key)
            .await?
            .map(Node::ComparisonJob),
    })
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Fetches any object by its global ID. An ID that names nothing gives null.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global ID.")] id: ID,
    ) -> Result<Option<Node>> {
        node_of(ctx, &id).await
    }

    /// Fetches objects by their global IDs, in the order asked (at most
    /// 100); an ID that names nothing gives null in its place.
    #[graphql(complexity = "ids.len().max(1) * child_complexity.max(1)")]
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global IDs, at most 100.")] ids: Vec<ID>,
    ) -> Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(ApiError::bad_input("ids", format!("at most {MAX_NODES}")).into());
        }
        let found = ids.iter().map(|id| node_of(ctx, id));
        futures_util::future::try_join_all(found).await
    }
}

/// The most IDs one `nodes` call takes: a page's worth.
const MAX_NODES: usize = 100;
