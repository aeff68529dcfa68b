//! `node(id)`: any object by its global ID, and the `Node` interface every
//! such object implements. It sits above every part of the schema, since it
//! names them all.

use async_graphql::{Context, ID, Interface, Object, Result};

use super::areas::{Area, Grid};
use super::record::{self, Building, Dwelling, Household, Organisation, Resident};
use super::relay::{NodeKind, parse_global_id};

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
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Fetches any object by its global ID. An ID that names nothing gives null.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let Some((kind, key)) = parse_global_id(&id) else {
            return Ok(None);
        };
        Ok(match kind {
            NodeKind::Area => Area::find(ctx, &key).await?.map(Node::Area),
            NodeKind::Grid => Grid::find(ctx, &key).await?.map(Node::Grid),
            NodeKind::Resident => Resident::find(ctx, &key).await?.map(Node::Resident),
            NodeKind::Household => record::household(ctx, key.parse().ok())
                .await?
                .map(Node::Household),
            NodeKind::Dwelling => record::dwelling(ctx, key.parse().ok())
                .await?
                .map(Node::Dwelling),
            NodeKind::Building => record::building(ctx, key.parse().ok())
                .await?
                .map(Node::Building),
            NodeKind::Organisation => record::organisation(ctx, key.parse().ok())
                .await?
                .map(Node::Organisation),
            NodeKind::Case => super::cases::Case::find(ctx, &key).await?.map(Node::Case),
            NodeKind::Task => super::tasks::Task::find(ctx, &key).await?.map(Node::Task),
            NodeKind::TaskAssignment => super::tasks::Assignment::find(ctx, &key)
                .await?
                .map(Node::TaskAssignment),
        })
    }
}
