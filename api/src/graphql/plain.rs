//! A page's nodes (or edges) answered without async-graphql's per-field
//! machinery when every field asked of them is plain: a value of the row
//! and the request's [`Access`] alone, or a relation to one node whose own
//! fields asked are plain, read through the request's loaders as its
//! resolver reads it; no arguments, no directives, no fragments. The whole
//! list is then built in one pass, instead of a boxed future, a context and
//! an extension chain for each field of each row: 400 of them on a worker's
//! page of 50 with their households, a third of the server's time on it
//! (BENCHMARKS.md). Anything else takes the general path, and so does any
//! error, so that both paths answer alike (tested field by field). A type
//! without plain fields implements [`Plain`] empty.

use std::borrow::Cow;
use std::collections::HashSet;
use std::future::Future;
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
    /// The type's name in the schema, for `__typename`; `None` leaves it
    /// to the general path.
    fn typename(&self) -> Option<Cow<'static, str>> {
        None
    }

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

impl<T: Plain + ?Sized> Plain for &T {
    fn typename(&self) -> Option<Cow<'static, str>> {
        (**self).typename()
    }

    fn plain(&self, name: &str, access: &Access) -> Option<Value> {
        (**self).plain(name, access)
    }

    fn related<'a>(&'a self, name: &str, loaders: &'a Loaders) -> Option<Related<'a>> {
        (**self).related(name, loaders)
    }
}

/// The relation `load` reads: one node of a plain type, or none.
pub fn one<'a, T: Plain + 'a>(
    load: impl Future<Output = async_graphql::Result<Option<T>>> + Send + 'a,
) -> Option<Related<'a>> {
    Some(Box::pin(async move {
        Ok(load
            .await?
            .map(|node| Box::new(node) as Box<dyn Plain + 'a>))
    }))
}

/// An edge: its cursor, and its node as a relation already loaded.
impl<N: OutputType + Plain> Plain for Edge<String, N, EmptyFields> {
    fn typename(&self) -> Option<Cow<'static, str>> {
        Some(<Self as OutputType>::type_name())
    }

    fn plain(&self, name: &str, _access: &Access) -> Option<Value> {
        (name == "cursor").then(|| Value::String(self.cursor.clone()))
    }

    fn related<'a>(&'a self, name: &str, _loaders: &'a Loaders) -> Option<Related<'a>> {
        match name {
            "node" => one(async move { Ok(Some(&self.node)) }),
            _ => None,
        }
    }
}

/// A page's list (its nodes or its edges), in the schema exactly as the
/// list async-graphql would resolve, `general`; `items` are its elements.
pub struct OnePass<'a, L> {
    general: L,
    items: Vec<&'a dyn Plain>,
}

impl<'a, L> OnePass<'a, L> {
    pub fn new(general: L, items: Vec<&'a dyn Plain>) -> Self {
        OnePass { general, items }
    }
}

impl<L: OutputType> OutputType for OnePass<'_, L> {
    fn type_name() -> Cow<'static, str> {
        L::type_name()
    }

    fn qualified_type_name() -> String {
        L::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        L::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        if let Some(list) = plainly(&self.items, ctx).await {
            if let Some(state) = ctx.data_opt::<AppState>() {
                state.metrics.plain_list();
            }
            return Ok(list);
        }
        self.general.resolve(ctx, field).await
    }
}

/// The list, when every field asked is plain for every item. Not over a
/// live connection, whose loaders read afresh: a relation found not plain
/// below another would have been read for nothing.
async fn plainly(items: &[&dyn Plain], ctx: &ContextSelectionSet<'_>) -> Option<Value> {
    let access = ctx.data_opt::<Arc<Access>>()?;
    let loaders = ctx
        .data_opt::<Loaders>()
        .filter(|loaders| loaders.remember())?;
    let selected = selected(&ctx.item.node.items)?;
    let objects = objects(items, &selected, access, loaders).await?;
    Some(Value::List(objects))
}

/// A field selected, by its response key and its name, with the fields
/// selected of what it leads to.
struct Selected<'d> {
    key: Name,
    name: &'d str,
    fields: Option<Vec<Selected<'d>>>,
}

/// The fields selected, when all are plain in form.
fn selected(items: &[Positioned<Selection>]) -> Option<Vec<Selected<'_>>> {
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
            let items = &field.selection_set.node.items;
            Some(Selected {
                key: field.response_key().node.clone(),
                name: field.name.node.as_str(),
                fields: match items.is_empty() {
                    true => None,
                    false => Some(selected(items)?),
                },
            })
        })
        .collect::<Option<Vec<_>>>()
        // Fields selected twice under one key are merged by the general path.
        .filter(|selected| {
            let keys: HashSet<&str> = selected.iter().map(|field| field.key.as_str()).collect();
            keys.len() == selected.len()
        })
}

/// Each node's object of the fields selected, built field by field across
/// all the nodes, so that a relation is asked of its loader for every node
/// at once: one batch per relation and level, as on the general path.
fn objects<'a>(
    nodes: &'a [&'a dyn Plain],
    selected: &'a [Selected<'a>],
    access: &'a Access,
    loaders: &'a Loaders,
) -> BoxFuture<'a, Option<Vec<Value>>> {
    Box::pin(async move {
        let mut built: Vec<IndexMap<Name, Value>> = nodes
            .iter()
            .map(|_| IndexMap::with_capacity(selected.len()))
            .collect();
        for field in selected {
            let values = match (&field.fields, field.name) {
                (None, "__typename") => nodes
                    .iter()
                    .map(|node| Some(Value::String(node.typename()?.into_owned())))
                    .collect::<Option<Vec<_>>>()?,
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
                    let mut shown = objects(&found, fields, access, loaders).await?.into_iter();
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
