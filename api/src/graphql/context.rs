//! What every resolver reaches through its context: the app's state, the
//! request's [`Access`] (the one door to the domain), its loaders, and a
//! permit for work that scans.

use std::sync::Arc;

use async_graphql::Context;

use super::loaders::Loaders;
use crate::caller::Caller;
use crate::domain::access::Access;
use crate::error::{ApiError, ApiResult};

/// What the whole server shares.
#[derive(Clone)]
pub struct AppState {
    pub db: sea_orm::DatabaseConnection,
    /// The pool whose plans are made once (`db::connect_planned_once`);
    /// `db` on SQLite.
    pub planned_once: sea_orm::DatabaseConnection,
    pub authorizer: Arc<policies::Authorizer>,
    pub keys: crate::auth::jwt::JwtKeys,
    pub lifetimes: crate::auth::sessions::Lifetimes,
    pub metrics: crate::metrics::Metrics,
    pub admission: crate::admission::Admission,
    /// Groups of counts smaller than this are suppressed for callers who may
    /// not list the rows behind them.
    pub suppress_below: u32,
    pub events: crate::events::Events,
    /// The pool that checks passwords, with its memory kept for reuse.
    pub passwords: crate::auth::passwords::PasswordChecker,
    /// Where case photos are kept.
    pub photos: crate::photos::PhotoStore,
    /// The key audit rows are sealed with.
    pub seal: crate::audit::Seal,
    /// Where full reads' audit rows are written, together under load.
    pub audit_batches: Arc<crate::audit::batch::Batches>,
    /// The key ID numbers are hashed under to match registries.
    pub match_key: crate::domain::registries::matching::MatchKey,
}

impl AppState {
    /// The door for one request or one live connection of `caller`.
    pub fn access(&self, caller: Option<Caller>) -> Arc<Access> {
        Arc::new(Access::new(
            crate::db::Pools {
                general: self.db.clone(),
                planned_once: self.planned_once.clone(),
            },
            self.authorizer.clone(),
            caller,
            self.suppress_below,
            self.seal.clone(),
            self.audit_batches.clone(),
            self.match_key.clone(),
        ))
    }
}

/// Attaches what one request needs: its access and loaders that batch
/// lookups within the request through it. Loaders must not outlive the
/// request, or one caller's rows could serve another.
pub fn attach(mut request: async_graphql::Request, access: &Arc<Access>) -> async_graphql::Request {
    request.data.insert(Loaders::for_request(access.clone()));
    request.data.insert(access.clone());
    request
}

/// What a live connection needs, for the caller its `connection_init`
/// named: its access (which follows policy changes) and loaders that read
/// afresh for every event.
pub fn connection_data(access: Arc<Access>) -> async_graphql::Data {
    let mut data = async_graphql::Data::default();
    data.insert(Loaders::for_connection(access.clone()));
    data.insert(access);
    data
}

pub(super) trait ContextExt {
    fn state(&self) -> &AppState;
    /// The request's door to the domain.
    fn access(&self) -> ApiResult<&Arc<Access>>;
    /// The authenticated caller; UNAUTHENTICATED for anyone else.
    fn caller(&self) -> ApiResult<&Caller> {
        self.access()?.caller()
    }
    fn loaders(&self) -> ApiResult<&Loaders>;
    /// A permit for work that scans (statistics, indicators), held while it
    /// runs.
    async fn scan_permit(&self) -> ApiResult<tokio::sync::OwnedSemaphorePermit>;
}

impl ContextExt for Context<'_> {
    fn state(&self) -> &AppState {
        // build_schema always registers the state.
        self.data_unchecked::<AppState>()
    }

    fn access(&self) -> ApiResult<&Arc<Access>> {
        self.data::<Arc<Access>>()
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("a request without its access")))
    }

    fn loaders(&self) -> ApiResult<&Loaders> {
        self.data::<Loaders>()
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("a request without its loaders")))
    }

    async fn scan_permit(&self) -> ApiResult<tokio::sync::OwnedSemaphorePermit> {
        self.state().admission.heavy().await
    }
}
