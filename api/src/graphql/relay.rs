//! Relay conventions: opaque global IDs, `node(id)`, and connections.

use std::borrow::Cow;

use async_graphql::connection::{CursorType, Edge, EmptyFields, PageInfo};
use async_graphql::{ID, Object, OutputType, Result, TypeName};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::plain::{OnePass, Plain};
use crate::domain::count::LazyCount;
use crate::domain::page::{Listing, PageRequest, Paging, encode_cursor};
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
    Department,
    ApiToken,
    Policy,
    RoleAssignment,
    Transfer,
    Visit,
    Finding,
    ComparisonJob,
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
            NodeKind::Department => "Department",
            NodeKind::ApiToken => "ApiToken",
            NodeKind::Policy => "Policy",
            NodeKind::RoleAssignment => "RoleAssignment",
            NodeKind::Transfer => "Transfer",
            NodeKind::Visit => "Visit",
            NodeKind::Finding => "Finding",
            NodeKind::ComparisonJob => "ComparisonJob",
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
            NodeKind::Department,
            NodeKind::ApiToken,
            NodeKind::Policy,
            NodeKind::RoleAssignment,
            NodeKind::Transfer,
            NodeKind::Visit,
            NodeKind::Finding,
            NodeKind::ComparisonJob,
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

/// A page of a list (a Relay connection): its edges, its nodes, where it
/// stands in the whole list, and how long the whole list is.
pub struct Page<N: OutputType + Plain + 'static> {
    edges: Vec<Edge<String, N, EmptyFields>>,
    page_info: PageInfo,
    total: LazyCount,
}

/// A page of a list (a Relay connection), in the order the list runs: its
/// items with their cursors, where it stands in the whole list, and the
/// whole list's length.
#[Object(name_type)]
impl<N: OutputType + Plain + 'static> Page<N> {
    /// Where this page stands in the whole list, and the cursors to page on.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }

    /// The items of this page, each with its cursor.
    // The wrappers cost nothing of their own: a page costs its items.
    #[graphql(complexity = "child_complexity")]
    async fn edges(&self) -> OnePass<'_, &[Edge<String, N, EmptyFields>]> {
        let items = self.edges.iter().map(|edge| edge as &dyn Plain).collect();
        OnePass::new(self.edges.as_slice(), items)
    }

    /// The items of this page, without cursors.
    #[graphql(complexity = "child_complexity")]
    async fn nodes(&self) -> OnePass<'_, Vec<&N>> {
        let nodes: Vec<&N> = self.edges.iter().map(|edge| &edge.node).collect();
        let items = nodes.iter().map(|node| *node as &dyn Plain).collect();
        OnePass::new(nodes, items)
    }

    /// The number of items in the whole list (not just this page), counted
    /// under the same filter.
    async fn total_count(&self) -> Result<u64> {
        Ok(self.total.get().await.map_err(ApiError::from)?)
    }
}

impl<N: OutputType + Plain + 'static> TypeName for Page<N> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Connection", N::type_name()).into()
    }
}

/// The page a connection field asks for, with its total asked for or
/// not (a keyset page then counts it in the same statement).
pub fn page_request(
    ctx: &async_graphql::Context<'_>,
    paging: Paging,
    kind: &str,
) -> crate::error::ApiResult<PageRequest> {
    Ok(PageRequest::new(paging, kind)?.counting(ctx.look_ahead().field("totalCount").exists()))
}

/// Turns a listing into a Relay connection, wrapping each row as a node.
pub fn connection<T, N>(kind: &str, listing: Listing<T>, node: impl Fn(T) -> N) -> Page<N>
where
    N: OutputType + Plain + 'static,
{
    let edges = listing
        .page
        .rows
        .into_iter()
        .map(|(key, row)| Edge::new(encode_cursor(kind, &key), node(row)));
    let edges: Vec<_> = edges.collect();
    let page_info = PageInfo {
        has_previous_page: listing.page.has_previous_page,
        has_next_page: listing.page.has_next_page,
        start_cursor: edges.first().map(|edge| edge.cursor.encode_cursor()),
        end_cursor: edges.last().map(|edge| edge.cursor.encode_cursor()),
    };
    Page {
        edges,
        page_info,
        total: listing.total,
    }
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
pub(super) fn page_complexity(
    first: Option<i32>,
    last: Option<i32>,
    child_complexity: usize,
) -> usize {
    Paging::size_bound(first, last).saturating_mul(child_complexity.max(1))
}

/// A page of a short list held whole (a household's members, a dwelling's
/// residents, a case's timeline) costs what the whole list did: such lists
/// are tens of rows, loaded for a whole page of parents in one statement,
/// so asking for more of them adds no work. Lists that can run to hundreds
/// (a building's dwellings) cost their page size like any list.
pub(super) fn held_page_complexity(
    first: Option<i32>,
    last: Option<i32>,
    child_complexity: usize,
) -> usize {
    Paging::size_bound(first, last)
        .min(super::limits::LIST_COST)
        .saturating_mul(child_complexity.max(1))
}

/// A page of a short list the request already holds whole (a dwelling's
/// residents, a case's timeline), ordered by `key`, paged like any list.
pub fn page_of_all<T, N, K>(
    kind: &str,
    rows: Vec<T>,
    paging: Paging,
    key: impl Fn(&T) -> K,
    node: impl Fn(T) -> N,
) -> crate::error::ApiResult<Page<N>>
where
    N: OutputType + Plain + 'static,
    K: Ord + ToString + std::str::FromStr,
{
    let request = PageRequest::new(paging, kind)?;
    let total = rows.len() as u64;
    let page = crate::domain::page::Page::of_all(rows, &request, key)?;
    let listing = Listing {
        page,
        total: LazyCount::known(total),
    };
    Ok(connection(kind, listing, node))
}
