//! What a query asks of a page's rows, whether it reads them as `nodes` or
//! as `edges { node }`: a list resolver plans its statements from it, one
//! per relation level, before the rows resolve.

use async_graphql::{Context, Lookahead};

/// The selections of one place in the rows of a page, under every path
/// that leads there.
pub struct Asked<'a>(Vec<Lookahead<'a>>);

impl<'a> Asked<'a> {
    /// The rows of the connection being resolved.
    pub fn rows(ctx: &'a Context<'_>) -> Asked<'a> {
        Asked::page_of(ctx.look_ahead())
    }

    fn page_of(page: Lookahead<'a>) -> Asked<'a> {
        Asked(vec![page.field("nodes"), page.field("edges").field("node")])
    }

    /// A field of these rows.
    pub fn field(&self, name: &str) -> Asked<'a> {
        Asked(self.0.iter().map(|asked| asked.field(name)).collect())
    }

    /// The rows of a connection field of these rows (a household's
    /// `members`).
    pub fn page(&self, name: &str) -> Asked<'a> {
        Asked(
            self.0
                .iter()
                .flat_map(|asked| Asked::page_of(asked.field(name)).0)
                .collect(),
        )
    }

    /// The names of the fields asked of these rows, fragments followed
    /// (a field under `@skip` or `@include` counts as asked).
    pub fn names(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.0
            .iter()
            .flat_map(Lookahead::selection_fields)
            .flat_map(|field| {
                field
                    .selection_set()
                    .map(|asked| asked.name())
                    .collect::<Vec<_>>()
            })
    }

    /// Whether the query asks for it at all.
    pub fn exists(&self) -> bool {
        self.0.iter().any(Lookahead::exists)
    }
}
