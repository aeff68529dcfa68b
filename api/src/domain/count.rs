//! A count that runs only if the caller asks for it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use sea_orm::{DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, Select};

type CountFuture = Pin<Box<dyn Future<Output = Result<u64, DbErr>> + Send>>;

/// The total number of rows of a list, under the same filter and scope as the
/// list itself, counted on demand.
#[derive(Clone)]
pub struct LazyCount(Arc<dyn Fn() -> CountFuture + Send + Sync>);

impl LazyCount {
    pub fn of<E>(db: &DatabaseConnection, select: Select<E>) -> LazyCount
    where
        E: EntityTrait,
        E::Model: Sync,
    {
        let db = db.clone();
        LazyCount(Arc::new(move || {
            let db = db.clone();
            let select = select.clone();
            Box::pin(async move { select.count(&db).await })
        }))
    }

    /// A list known to be empty, e.g. one the caller may see nothing of.
    pub fn zero() -> LazyCount {
        Self::known(0)
    }

    /// A list whose length is already known, e.g. one held whole.
    pub fn known(total: u64) -> LazyCount {
        LazyCount(Arc::new(move || Box::pin(async move { Ok(total) })))
    }

    pub async fn get(&self) -> Result<u64, DbErr> {
        (self.0)().await
    }
}
