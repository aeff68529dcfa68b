//! A page's nodes answered without async-graphql's per-field machinery
//! when every field asked of them is plain: a value of the row and the
//! request's [`Access`] alone, or a relation to one node whose own fields
//! asked are plain, read from the request's loaders (which the list has
//! already primed); no arguments, no directives, no fragments. The whole
//! list is then built in one pass, instead of a boxed future, a context and
//! an extension chain for each field of each row (a page of 50 with five
//! fields is 250 of them, the larger part of the server's time on such a
//! page). Anything else takes the general path, and so does any error, so
//! that both paths answer alike (tested field by field).

use std::borrow::Cow;
use std::sync::Arc;

use async_graphql::connection::{Edge, EmptyFields};
use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection};
use async_graphql::registry::Registry;
use async_graphql::{ContextSelectionSet, Name, OutputType, Positioned, ServerResult, Value};
use futures_util::future::BoxFuture;

use super::AppState;
use super::loaders::Loaders;
use crate::domain::access::Access;

/// One node, reached by a relation, answered plainly.
pub type Related<'a> = BoxFuture<'a, async_graphql::Result<Option<Box<dyn Plain + 'a>>>>;

/// A node type's plain fields.
pub trait Plain: Send + Sync {
    /// The value of field `name` of this node, when it is plain (see the
    /// module), computed as its resolver computes it; `None` for any other
    /// field.
    fn plain(&self, _name: &str, _access: &Access) -> Option<Value> {
        None
    }

    /// The node field `name` leads to, loaded as its resolver loads it,
    /// when that is plain; `None` for any other field.
    fn related<'a>(&'a self, _name: &str, _loaders: &'a Loaders) -> Option<Related<'a>> {
        None
    }
}

/// A page's nodes, in the schema exactly as a list of them.
pub struct Nodes<'a, N>(pub Vec<&'a N>);

impl<N: OutputType + Plain> OutputType for Nodes<'_, N> {
    fn type_name() -> Cow<'static, str> {
        <Vec<&N> as OutputType>::type_name()
    }

    fn qualified_type_name() -> String {
        <Vec<&N> as OutputType>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <Vec<&N> as OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        if let Some(list) = plainly(&self.0, ctx).await {
            if let Some(state) = ctx.data_opt::<AppState>() {
                state.metrics.plain_list();
            }
            return Ok(list);
        }
        OutputType::resolve(&self.0, ctx, field).await
    }
}

/// A page's edges, in the schema exactly as a list of them: answered in one
/// pass when only their `cursor`, `__typename` and a `node` of plain fields
/// are asked.
pub struct Edges<'a, N: OutputType>(pub &'a [Edge<String, N, EmptyFields>]);

impl<N: OutputType + Plain> OutputType for Edges<'_, N> {
    fn type_name() -> Cow<'static, str> {
        <&[Edge<String, N, EmptyFields>] as OutputType>::type_name()
    }

    fn qualified_type_name() -> String {
        <&[Edge<String, N, EmptyFields>] as OutputType>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <&[Edge<String, N, EmptyFields>] as OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        if let Some(list) = edges_plainly(self.0, ctx).await {
            if let Some(state) = ctx.data_opt::<AppState>() {
                state.metrics.plain_list();
            }
            return Ok(list);
        }
        OutputType::resolve(&self.0, ctx, field).await
    }
}

/// The edges, when only plain fields are asked of them and their nodes.
async fn edges_plainly<N: OutputType + Plain>(
    edges: &[Edge<String, N, EmptyFields>],
    ctx: &ContextSelectionSet<'_>,
) -> Option<Value> {
    let access = ctx.data_opt::<Arc<Access>>()?;
    let loaders = ctx.data_opt::<Loaders>()?;
    let asked = asked(&ctx.item.node.items)?;
    let typename = Edge::<String, N, EmptyFields>::type_name();
    let mut built: Vec<IndexMap<Name, Value>> = edges
        .iter()
        .map(|_| IndexMap::with_capacity(asked.len()))
        .collect();
    for field in &asked {
        let values = match (&field.fields, field.name) {
            (None, "__typename") => vec![Value::String(typename.to_string()); edges.len()],
            (None, "cursor") => edges
                .iter()
                .map(|edge| Value::String(edge.cursor.clone()))
                .collect(),
            (Some(fields), "node") => {
                let nodes: Vec<&dyn Plain> =
                    edges.iter().map(|edge| &edge.node as &dyn Plain).collect();
                objects(&nodes, fields, &N::type_name(), access, loaders).await?
            }
            _ => return None,
        };
        for (object, value) in built.iter_mut().zip(values) {
            object.insert(field.key.clone(), value);
        }
    }
    Some(Value::List(built.into_iter().map(Value::Object).collect()))
}

/// The list, when every field asked is plain for every node.
async fn plainly<N: OutputType + Plain>(
    nodes: &[&N],
    ctx: &ContextSelectionSet<'_>,
) -> Option<Value> {
    let access = ctx.data_opt::<Arc<Access>>()?;
    let loaders = ctx.data_opt::<Loaders>()?;
    let asked = asked(&ctx.item.node.items)?;
    let typename = N::type_name();
    let nodes: Vec<&dyn Plain> = nodes.iter().map(|node| *node as &dyn Plain).collect();
    let objects = objects(&nodes, &asked, &typename, access, loaders).await?;
    Some(Value::List(objects))
}

/// A field asked, by its response key and its name, with the fields asked
/// of what it leads to.
struct Asked<'d> {
    key: Name,
    name: &'d str,
    fields: Option<Vec<Asked<'d>>>,
}

/// The fields asked, when all are plain in form.
fn asked(items: &[Positioned<Selection>]) -> Option<Vec<Asked<'_>>> {
    items
        .iter()
        .map(|item| {
            let Selection::Field(field) = &item.node else {
                return None;
            };
            let field = &field.node;
            if !field.arguments.is_empty() || !field.directives.is_empty() {
                return None;
            }
            let name = field.name.node.as_str();
            let items = &field.selection_set.node.items;
            Some(Asked {
                key: field.response_key().node.clone(),
                name,
                fields: match items.is_empty() {
                    true => None,
                    false => Some(asked(items)?),
                },
            })
        })
        .collect::<Option<Vec<_>>>()
        // Fields asked twice under one key are merged by the general path.
        .filter(|asked| {
            let keys: std::collections::HashSet<&str> =
                asked.iter().map(|field| field.key.as_str()).collect();
            keys.len() == asked.len()
        })
}

/// Each node's object of the fields asked, built field by field across
/// all the nodes, so that a relation is asked of its loader for every node
/// at once: one batch per relation and level, as on the general path.
fn objects<'a>(
    nodes: &'a [&'a dyn Plain],
    asked: &'a [Asked<'a>],
    typename: &'a str,
    access: &'a Access,
    loaders: &'a Loaders,
) -> BoxFuture<'a, Option<Vec<Value>>> {
    Box::pin(async move {
        let mut built: Vec<IndexMap<Name, Value>> = nodes
            .iter()
            .map(|_| IndexMap::with_capacity(asked.len()))
            .collect();
        for field in asked {
            let values = match (&field.fields, field.name) {
                // Known of a page's own nodes; of a node a relation reached,
                // only to the general path.
                (None, "__typename") if !typename.is_empty() => {
                    vec![Value::String(typename.to_owned()); nodes.len()]
                }
                (None, name) => nodes
                    .iter()
                    .map(|node| node.plain(name, access))
                    .collect::<Option<Vec<_>>>()?,
                (Some(fields), name) => {
                    let loads = nodes
                        .iter()
                        .map(|node| node.related(name, loaders))
                        .collect::<Option<Vec<_>>>()?;
                    let related = futures_util::future::try_join_all(loads).await.ok()?;
                    let found: Vec<&dyn Plain> =
                        related.iter().flatten().map(|node| &**node).collect();
                    let mut shown = objects(&found, fields, "", access, loaders)
                        .await?
                        .into_iter();
                    related
                        .iter()
                        .map(|node| match node {
                            Some(_) => shown.next(),
                            None => Some(Value::Null),
                        })
                        .collect::<Option<Vec<_>>>()?
                }
            };
            for (object, value) in built.iter_mut().zip(values) {
                object.insert(field.key.clone(), value);
            }
        }
        Some(built.into_iter().map(Value::Object).collect())
    })
}
