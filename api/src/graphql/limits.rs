//! Limits async-graphql does not have built in: aliases and root fields per
//! operation. Refusals, and the built-in depth and complexity refusals, carry
//! `extensions.code = QUERY_TOO_COMPLEX`.

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, Field, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, ValidationResult, Variables};

pub struct QueryLimits {
    max_aliases: usize,
    max_root_fields: usize,
}

impl QueryLimits {
    pub fn new(max_aliases: usize, max_root_fields: usize) -> QueryLimits {
        QueryLimits {
            max_aliases,
            max_root_fields,
        }
    }
}

impl ExtensionFactory for QueryLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(QueryLimits {
            max_aliases: self.max_aliases,
            max_root_fields: self.max_root_fields,
        })
    }
}

pub fn too_complex(message: impl Into<String>) -> ServerError {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", "QUERY_TOO_COMPLEX");
    error
}

#[async_trait::async_trait]
impl Extension for QueryLimits {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let counter = Counter {
            document: &document,
        };
        let mut aliases = 0;
        for (_, operation) in document.operations.iter() {
            let mut seen = HashSet::new();
            let root_fields = counter.fields(&operation.node.selection_set.node, &mut seen);
            if root_fields > self.max_root_fields {
                return Err(too_complex(format!(
                    "an operation may ask for at most {} top-level fields",
                    self.max_root_fields
                )));
            }
            let mut seen = HashSet::new();
            aliases += counter.aliases(&operation.node.selection_set.node, &mut seen);
        }
        if aliases > self.max_aliases {
            return Err(too_complex(format!(
                "a query may use at most {} aliases",
                self.max_aliases
            )));
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|mut error| {
                    let code = if error.message.contains("too complex")
                        || error.message.contains("nested too deep")
                    {
                        "QUERY_TOO_COMPLEX"
                    } else {
                        "GRAPHQL_VALIDATION_FAILED"
                    };
                    error
                        .extensions
                        .get_or_insert_with(Default::default)
                        .set("code", code);
                    error
                })
                .collect()
        })
    }
}

/// Walks selection sets through fragments, each fragment once per walk so
/// that a cycle cannot loop (validation reports cycles separately).
struct Counter<'a> {
    document: &'a ExecutableDocument,
}

impl Counter<'_> {
    /// Sums `on_field` over the fields of this selection set, with fragments
    /// spread in place.
    fn sum<F>(&self, set: &SelectionSet, seen: &mut HashSet<String>, on_field: &F) -> usize
    where
        F: Fn(&Self, &Field, &mut HashSet<String>) -> usize,
    {
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(field) => on_field(self, &field.node, seen),
                Selection::InlineFragment(inline) => {
                    self.sum(&inline.node.selection_set.node, seen, on_field)
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    match self.document.fragments.get(name) {
                        Some(fragment) if seen.insert(name.to_owned()) => {
                            self.sum(&fragment.node.selection_set.node, seen, on_field)
                        }
                        _ => 0,
                    }
                }
            })
            .sum()
    }

    /// Fields of this selection set.
    fn fields(&self, set: &SelectionSet, seen: &mut HashSet<String>) -> usize {
        self.sum(set, seen, &|_, _, _| 1)
    }

    /// Aliased fields anywhere below this selection set.
    fn aliases(&self, set: &SelectionSet, seen: &mut HashSet<String>) -> usize {
        self.sum(set, seen, &|counter, field, seen| {
            usize::from(field.alias.is_some()) + counter.aliases(&field.selection_set.node, seen)
        })
    }
}
