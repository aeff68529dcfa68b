//! Relay conventions: opaque global IDs, `node(id)`, and connections.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{ID, Object, OutputType, Result};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::domain::count::LazyCount;
use crate::domain::page::Listing;
use crate::domain::page::encode_cursor;
use crate::error::ApiError;

/// The kinds of object a global ID can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Area,
    Grid,
    Resident,
    Household,
    Dwelling,
    Building,
    Organisation,
    Case,
    Task,
    TaskAssignment,
}

impl NodeKind {
    fn name(self) -> &'static str {
        match self {
            NodeKind::Area => "Area",
            NodeKind::Grid => "Grid",
            NodeKind::Resident => "Resident",
            NodeKind::Household => "Household",
            NodeKind::Dwelling => "Dwelling",
            NodeKind::Building => "Building",
            NodeKind::Organisation => "Organisation",
            NodeKind::Case => "Case",
            NodeKind::Task => "Task",
            NodeKind::TaskAssignment => "TaskAssignment",
        }
    }

    fn from_name(name: &str) -> Option<NodeKind> {
        [
            NodeKind::Area,
            NodeKind::Grid,
            NodeKind::Resident,
            NodeKind::Household,
            NodeKind::Dwelling,
            NodeKind::Building,
            NodeKind::Organisation,
            NodeKind::Case,
            NodeKind::Task,
            NodeKind::TaskAssignment,
        ]
        .into_iter()
        .find(|kind| kind.name() == name)
    }
}

pub fn global_id(kind: NodeKind, key: &str) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{key}", kind.name())))
}

/// Splits a global ID into its kind and key; `None` for anything that is not
/// one of ours, which callers answer like a missing object.
pub fn parse_global_id(id: &ID) -> Option<(NodeKind, String)> {
    let bytes = URL_SAFE_NO_PAD.decode(id.as_str()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (kind, key) = text.split_once(':')?;
    Some((NodeKind::from_name(kind)?, key.to_owned()))
}

/// Fields every connection has beside its edges.
pub struct ConnectionTotals {
    total: LazyCount,
}

#[Object]
impl ConnectionTotals {
    /// The number of items in the whole list (not just this page), counted
    /// under the same filter.
    async fn total_count(&self) -> Result<u64> {
        Ok(self.total.get().await.map_err(ApiError::from)?)
    }
}

pub type Page<N> = Connection<String, N, ConnectionTotals, EmptyFields>;

/// Turns a listing into a Relay connection, wrapping each row as a node.
pub fn connection<T, N>(kind: &str, listing: Listing<T>, node: impl Fn(T) -> N) -> Page<N>
where
    N: OutputType,
{
    let mut connection = Connection::with_additional_fields(
        listing.page.has_previous_page,
        listing.page.has_next_page,
        ConnectionTotals {
            total: listing.total,
        },
    );
    connection.edges.extend(
        listing
            .page
            .rows
            .into_iter()
            .map(|(key, row)| Edge::new(encode_cursor(kind, &key), node(row))),
    );
    connection
}

/// The numeric key of a global ID that an input field must hold, naming the
/// field when it holds anything else.
pub fn key_of(field: &str, id: &ID, kind: NodeKind) -> crate::error::ApiResult<i64> {
    match parse_global_id(id) {
        Some((found, key)) if found == kind => key
            .parse()
            .map_err(|_| ApiError::bad_input(field, format!("not a {} ID", kind.name()))),
        _ => Err(ApiError::bad_input(
            field,
            format!("not a {} ID", kind.name()),
        )),
    }
}

/// A page costs its size times what each item costs.
pub(super) fn page_complexity(first: Option<i32>, child_complexity: usize) -> usize {
    let size = first.map_or(crate::domain::page::DEFAULT_PAGE_SIZE as usize, |n| {
        n.max(0) as usize
    });
    size.saturating_mul(child_complexity.max(1))
}

/// Which way a list runs.
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum SortDirection {
    #[default]
    Asc,
    Desc,
}
