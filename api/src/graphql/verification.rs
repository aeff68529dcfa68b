//! The police's sign-off loop as the schema shows it: where each grid's
//! records stand, the three steps (sign off, return, resubmit), and a
//! record's verification timeline. The rules are `domain::verification`'s.

use async_graphql::{Context, ID, InputObject, Object, Result};

use super::ContextExt;
use super::payload::{ResidentUserError, payload};
use super::record::{Grid, Resident};
use super::relay::{NodeKind, key_of};
use crate::domain::areas::parse_code;
use crate::domain::verification::{self, GridCounts};
use crate::events::Event;

/// Where one grid's records stand in the comparison.
pub struct GridVerification(GridCounts);

/// Where one grid's records stand in the comparison, counted over the
/// records you may see.
#[Object]
impl GridVerification {
    /// The grid's 15-digit code.
    async fn grid_code(&self) -> &str {
        &self.0.grid_code
    }

    /// The grid; null when it is not on your map.
    async fn grid(&self, ctx: &Context<'_>) -> Result<Option<Grid>> {
        Grid::load(ctx, &self.0.grid_code).await
    }

    /// Records waiting for the police (`PENDING`).
    async fn pending(&self) -> i64 {
        self.0.pending
    }

    /// Records returned to the grid worker (`RETURNED`).
    async fn returned(&self) -> i64 {
        self.0.returned
    }

    /// Records signed off (`SIGNED_OFF`).
    async fn signed_off(&self) -> i64 {
        self.0.signed_off
    }
}

#[derive(Default)]
pub struct VerificationQuery;

#[Object]
impl VerificationQuery {
    /// For each grid holding records you may see (inside `within`, if
    /// given), how many are pending, returned and signed off, in grid code
    /// order: the police's queue and the grid workers' returns at a glance.
    /// Each number is the `totalCount` of `residents` filtered by that
    /// verification and grid.
    async fn verification_counts(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only grids inside this area (any level), or this grid.")] within: Option<
            String,
        >,
    ) -> Result<Vec<GridVerification>> {
        let area = within.map(|code| parse_code("within", &code)).transpose()?;
        let counts = verification::counts_by_grid(ctx.access()?, area.as_ref()).await?;
        Ok(counts.into_iter().map(GridVerification).collect())
    }
}

/// A record to sign off.
#[derive(InputObject)]
pub struct SignOffResidentInput {
    /// The resident's global ID.
    id: ID,
    /// The version you read; a stale one is a `CONFLICT`.
    version: i32,
}

/// A record to send back to its grid.
#[derive(InputObject)]
pub struct ReturnResidentInput {
    /// The resident's global ID.
    id: ID,
    /// The version you read; a stale one is a `CONFLICT`.
    version: i32,
    /// What disagrees with the registry, for the grid worker to re-check
    /// (1 to 500 characters).
    reason: String,
}

/// A returned record, re-checked, for the police again.
#[derive(InputObject)]
pub struct ResubmitResidentInput {
    /// The resident's global ID.
    id: ID,
    /// The version you read; a stale one is a `CONFLICT`.
    version: i32,
    /// What was re-checked or corrected (up to 500 characters).
    note: Option<String>,
}

payload!(
    /// The answer of `signOffResident`.
    SignOffResidentPayload {
        /// The record, now `SIGNED_OFF`; null when `userErrors` says why not.
        resident: Resident
    },
    ResidentUserError
);
payload!(
    /// The answer of `returnResident`.
    ReturnResidentPayload {
        /// The record, now `RETURNED`; null when `userErrors` says why not.
        resident: Resident
    },
    ResidentUserError
);
payload!(
    /// The answer of `resubmitResident`.
    ResubmitResidentPayload {
        /// The record, `PENDING` again; null when `userErrors` says why not.
        resident: Resident
    },
    ResidentUserError
);

/// Tells every replica's subscribers that a record moved in the loop.
async fn reviewed(ctx: &Context<'_>, row: &entities::resident::Model) {
    ctx.state()
        .events
        .publish(Event::ResidentReviewed {
            resident_id: row.id,
            grid_code: row.grid_code.clone(),
        })
        .await;
}

#[derive(Default)]
pub struct VerificationChanges;

#[Object]
impl VerificationChanges {
    /// 签收: the police sign off a `PENDING` record that agrees with the
    /// household registry. Needs `sign_off` on `resident` in its grid.
    ///
    /// User errors: `NOT_FOUND` (`id`), `CONFLICT` (a stale `version`),
    /// `INVALID_STATE` (the record is not pending).
    async fn sign_off_resident(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record and the version read.")] input: SignOffResidentInput,
    ) -> Result<SignOffResidentPayload> {
        let outcome = async {
            let id = key_of("id", &input.id, NodeKind::Resident)?;
            verification::sign_off(ctx.access()?, id, input.version).await
        }
        .await;
        if let Ok(row) = &outcome {
            reviewed(ctx, row).await;
        }
        Ok(SignOffResidentPayload::of(outcome.map(Resident))?)
    }

    /// 退回: the police return a `PENDING` record that disagrees with the
    /// registry to its grid worker, saying what to re-check. Needs `return`
    /// on `resident` in its grid.
    ///
    /// User errors: `NOT_FOUND` (`id`), `CONFLICT`, `INVALID_STATE` (not
    /// pending), `INVALID` (an empty or too long reason).
    async fn return_resident(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record, the version read, and why.")] input: ReturnResidentInput,
    ) -> Result<ReturnResidentPayload> {
        let outcome = async {
            let id = key_of("id", &input.id, NodeKind::Resident)?;
            verification::send_back(ctx.access()?, id, input.version, &input.reason).await
        }
        .await;
        if let Ok(row) = &outcome {
            reviewed(ctx, row).await;
        }
        Ok(ReturnResidentPayload::of(outcome.map(Resident))?)
    }

    /// Sends a `RETURNED` record, re-checked (and corrected with
    /// `updateResident` where needed), to the police again as `PENDING`.
    /// Needs `write` on `resident` in its grid: the record's keeper.
    ///
    /// User errors: `NOT_FOUND` (`id`), `CONFLICT`, `INVALID_STATE` (not
    /// returned), `INVALID` (a too long note).
    async fn resubmit_resident(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The record, the version read, and a note.")] input: ResubmitResidentInput,
    ) -> Result<ResubmitResidentPayload> {
        let outcome = async {
            let id = key_of("id", &input.id, NodeKind::Resident)?;
            verification::resubmit(ctx.access()?, id, input.version, input.note.as_deref()).await
        }
        .await;
        if let Ok(row) = &outcome {
            reviewed(ctx, row).await;
        }
        Ok(ResubmitResidentPayload::of(outcome.map(Resident))?)
    }
}
