//! One read per event per replica. Every subscriber of a replica hears the
//! same [`Arrived`](super::Arrived) event; the first of them to read what
//! it names (after a check of the event's grid, where the subscription
//! has one) reads the row, unscoped, and the others wait for that read and
//! check the row against their own scope in memory, by the same rule their
//! query would have applied. A change seen by a thousand screens costs one
//! statement, not a thousand. The row lives as long as the event does in
//! the channel's buffer: a subscriber far behind is told of it as it was
//! read, and checked against its scope as it stands.

use std::any::Any;
use std::future::Future;
use std::sync::Arc;

use tokio::sync::OnceCell;

use crate::error::{ApiError, ApiResult};

type Row = Option<Arc<dyn Any + Send + Sync>>;

/// The row an event names, once read.
#[derive(Default)]
pub struct SharedRead(OnceCell<Row>);

impl std::fmt::Debug for SharedRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.initialized() {
            "SharedRead(read)"
        } else {
            "SharedRead(not yet)"
        })
    }
}

impl SharedRead {
    /// The row `read` finds (`None` when it is gone), read by the first
    /// caller; the others wait for it. A failed read is not kept: the next
    /// caller tries again.
    pub async fn get_or_read<T, F, Fut>(&self, read: F) -> ApiResult<Option<Arc<T>>>
    where
        T: Any + Send + Sync,
        F: FnOnce() -> Fut,
        Fut: Future<Output = ApiResult<Option<T>>>,
    {
        let row = self
            .0
            .get_or_try_init(|| async {
                let row: Row = read()
                    .await?
                    .map(|row| Arc::new(row) as Arc<dyn Any + Send + Sync>);
                ApiResult::Ok(row)
            })
            .await?;
        match row {
            None => Ok(None),
            Some(row) => row.clone().downcast::<T>().map(Some).map_err(|_| {
                ApiError::Internal(anyhow::anyhow!(
                    "an event's row was read as two different types"
                ))
            }),
        }
    }
}
