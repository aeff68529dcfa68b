//! Outside registries as the API shows them: importing a file (a GraphQL
//! multipart upload) and the snapshots imported. The rules are
//! `domain::registries`'.

use std::sync::Arc;

use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject};
use entities::registry_snapshot;

use super::ContextExt;
use super::ordering::{RegistrySnapshotOrder, RegistrySnapshotOrderField};
use super::payload::{RegistryUserError, settle};
use super::relay::{Page, connection};
use super::scalars::DateTime;
use super::upload::Upload;
use crate::domain::page::Paging;
use crate::domain::registries::import::{Import, ImportError, RowFault};
use crate::domain::registries::{self, SNAPSHOT_CURSOR, SnapshotFilter};
use crate::error::ApiError;

/// An outside registry compared with the record.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::registry_snapshot::RegistryKind")]
pub enum RegistryKind {
    /// 户籍: the household registry (`id_number,name,sex,birth_date,address`).
    Household,
    /// The death register (`id_number,name,death_date`).
    Deaths,
    /// The pension payment roster (`id_number,name,paid_from,paid_to`).
    Pensions,
    /// Wanted persons (`id_number,name,listed_on`).
    Wanted,
    /// Business licences (`credit_code,name,address,issued_on,expires_on`).
    Licences,
    /// Food business permits
    /// (`permit_number,credit_code,name,address,expires_on`).
    FoodPermits,
}

/// How far an import got.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entities::registry_snapshot::SnapshotState")]
pub enum SnapshotState {
    /// Its rows are being stored; comparisons do not see it yet.
    Loading,
    /// The snapshot of its kind that comparisons use.
    Current,
    /// Replaced by a newer one; its rows are gone.
    Superseded,
    /// Interrupted while loading; its rows are gone.
    Failed,
}

/// One import of an outside registry.
pub struct RegistrySnapshot(registry_snapshot::Model);

impl crate::graphql::plain::Plain for RegistrySnapshot {}

/// One import of an outside registry: what, from which file, by whom, and
/// how far it got.
#[Object]
impl RegistrySnapshot {
    /// Its number, in the order imports started.
    async fn number(&self) -> i64 {
        self.0.id
    }

    /// Which registry.
    async fn kind(&self) -> RegistryKind {
        self.0.kind.into()
    }

    /// How far its import got.
    async fn state(&self) -> SnapshotState {
        self.0.state.into()
    }

    /// The file's name as it was sent.
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }

    /// Its rows (the header not counted); 0 while it loads, or when it
    /// failed.
    async fn rows(&self) -> i64 {
        self.0.rows
    }

    /// SHA-256 of the file's bytes, in hex: which file it was, to compare
    /// with the sender's copy; empty while it loads, or when it failed.
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }

    /// Who imported it, as the audit log names them (`cli` from the
    /// command line).
    async fn imported_by(&self) -> &str {
        &self.0.imported_by_name
    }

    /// When its import started.
    async fn started_at(&self) -> DateTime {
        self.0.started_at.into()
    }

    /// When it became current; null before.
    async fn accepted_at(&self) -> Option<DateTime> {
        self.0.accepted_at.map(Into::into)
    }
}

/// A fault of a refused registry file.
#[derive(SimpleObject)]
pub struct RegistryRowFault {
    /// The file's line (the header is line 1).
    line: u64,
    /// The column at fault (`header` or `row` for the whole line).
    column: String,
    /// What is wrong.
    reason: String,
}

impl From<RowFault> for RegistryRowFault {
    fn from(fault: RowFault) -> Self {
        RegistryRowFault {
            line: fault.line,
            column: fault.column,
            reason: fault.reason,
        }
    }
}

/// A registry file to import.
#[derive(InputObject)]
pub struct ImportRegistryInput {
    /// Which registry the file is.
    kind: RegistryKind,
    /// The CSV file (UTF-8, a header row naming the kind's columns), as a
    /// file of a GraphQL multipart request: up to 1 GiB, read as it
    /// arrives; one over 5 MiB must be the request's last part.
    file: Upload,
}

/// The answer of `importRegistry`.
#[derive(SimpleObject)]
pub struct ImportRegistryPayload {
    /// The new snapshot, now current; null when the file was refused.
    snapshot: Option<RegistrySnapshot>,
    /// The first faults of a refused file, in file order (at most 20).
    faults: Vec<RegistryRowFault>,
    /// How many faults a refused file has in all; 0 when it was stored.
    fault_count: u64,
    /// What the user can put right; empty when the snapshot was stored.
    user_errors: Vec<RegistryUserError>,
}

/// Which snapshots to list.
#[derive(InputObject, Default)]
pub struct RegistrySnapshotFilter {
    /// Any of these kinds.
    kinds: Option<Vec<RegistryKind>>,
    /// Any of these states.
    states: Option<Vec<SnapshotState>>,
}

#[derive(Default)]
pub struct RegistriesQuery;

#[Object]
impl RegistriesQuery {
    /// The snapshots of the registries you may read (`read` on
    /// `registry.KIND` at the city), newest first unless `orderBy` says
    /// otherwise.
    #[graphql(complexity = "super::relay::page_complexity(first, last, child_complexity)")]
    // Each parameter is one of the field's GraphQL arguments.
    #[allow(clippy::too_many_arguments)]
    async fn registry_snapshots(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which snapshots.")] filter: Option<RegistrySnapshotFilter>,
        #[graphql(
            desc = "Their order.",
            default_with = "RegistrySnapshotOrder::desc(RegistrySnapshotOrderField::Number)"
        )]
        order_by: RegistrySnapshotOrder,
        #[graphql(desc = "At most this many items from the start (default 20, at most 100).")]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "At most this many items from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "The `startCursor` of the page after.")] before: Option<String>,
    ) -> Result<Page<RegistrySnapshot>> {
        let filter = filter.unwrap_or_default();
        let filter = SnapshotFilter {
            kinds: filter
                .kinds
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            states: filter
                .states
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
        };
        let (order, kind) = order_by.resolve(SNAPSHOT_CURSOR);
        let request = super::relay::page_request(
            ctx,
            Paging {
                first,
                after,
                last,
                before,
            },
            &kind,
        )?;
        let listing = registries::snapshots(ctx.access()?, &filter, order, &request).await?;
        Ok(connection(&kind, listing, RegistrySnapshot))
    }
}

#[derive(Default)]
pub struct RegistriesMutation;

#[Object]
impl RegistriesMutation {
    /// Imports a registry file as the new snapshot of its kind; needs
    /// `write` on `registry.KIND` at the city. The file is read once, as it
    /// arrives (the full city's household registry included: send it as
    /// the request's last part), and every row is checked: a file with any
    /// bad row is refused, with its first faults and their count, and
    /// nothing of it is kept; the previous snapshot stays current until the
    /// new one is stored whole. ID numbers are kept only as their keyed
    /// hash.
    ///
    /// User errors: `INVALID` (a refused file: see `faults`), `REQUIRED`
    /// (no file in the request).
    async fn import_registry(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The kind and the file.")] input: ImportRegistryInput,
    ) -> Result<ImportRegistryPayload> {
        let access = ctx.access()?;
        // Refused before any of the file is read; `import_as` checks again,
        // as every path into the domain does.
        access.require_city(
            registries::object(input.kind.into()),
            policies::Action::Write,
        )?;
        let Some(upload) = input.file.reader(ctx, "file")? else {
            let (_, user_errors) = settle::<(), RegistryUserError>(Err(ApiError::required(
                "file",
                "send the file as a file of the multipart request",
            )))?;
            return Ok(ImportRegistryPayload {
                snapshot: None,
                faults: Vec::new(),
                fault_count: 0,
                user_errors,
            });
        };
        let file = Import {
            kind: input.kind.into(),
            source: upload.bytes,
            file_name: upload.file_name,
        };
        let outcome =
            registries::import_as(access, &ctx.state().match_key, file, Arc::new(|_| {})).await;
        match outcome {
            Ok(snapshot) => Ok(ImportRegistryPayload {
                snapshot: Some(RegistrySnapshot(snapshot)),
                faults: Vec::new(),
                fault_count: 0,
                user_errors: Vec::new(),
            }),
            Err(ImportError::Refused { faults, count }) => {
                let (_, user_errors) = settle::<(), RegistryUserError>(Err(ApiError::bad_input(
                    "file",
                    format!("the file has {count} faults (see `faults`); nothing of it was kept"),
                )))?;
                Ok(ImportRegistryPayload {
                    snapshot: None,
                    faults: faults.into_iter().map(Into::into).collect(),
                    fault_count: count,
                    user_errors,
                })
            }
            Err(ImportError::Api(err)) => {
                let (_, user_errors) = settle::<(), RegistryUserError>(Err(err))?;
                Ok(ImportRegistryPayload {
                    snapshot: None,
                    faults: Vec::new(),
                    fault_count: 0,
                    user_errors,
                })
            }
        }
    }
}
