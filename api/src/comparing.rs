//! Running comparison jobs in the background of a server: one started
//! through the API, and those a stopped process left running, which any
//! replica resumes once their runner has gone silent.

use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::task::JoinHandle;

use crate::audit::Seal;
use crate::domain::comparisons::jobs::{self, OnChunk};
use crate::events::{Event, Events};

/// How often a replica looks for interrupted comparisons.
const LOOK_EVERY: Duration = Duration::from_secs(30);

/// Tells every replica's subscribers of the urgent findings each chunk
/// opened, without holding the job up.
fn publisher(events: Events) -> OnChunk {
    Box::new(move |_, raised| {
        for raised in raised {
            let events = events.clone();
            tokio::spawn(async move {
                events
                    .publish(Event::FindingRaised {
                        finding_id: raised.finding_id,
                        grid_code: raised.grid_code,
                    })
                    .await;
            });
        }
    })
}

/// Runs job `id` to its end in the background.
pub fn spawn(db: DatabaseConnection, seal: Seal, events: Events, id: i64) {
    tokio::spawn(async move {
        if let Err(err) = jobs::run(&db, &seal, id, publisher(events)).await {
            tracing::error!(job = id, error = ?err, "a comparison could not be run");
        }
    });
}

/// Resumes, one at a time, the comparisons whose runner went silent (a
/// process stopped mid-way), until the server stops.
pub fn spawn_resumer(db: DatabaseConnection, seal: Seal, events: Events) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match jobs::claim_interrupted(&db).await {
                Ok(Some(id)) => {
                    tracing::info!(job = id, "resuming an interrupted comparison");
                    if let Err(err) = jobs::run(&db, &seal, id, publisher(events.clone())).await {
                        tracing::error!(job = id, error = ?err, "a comparison could not be resumed");
                    }
                    continue;
                }
                Ok(None) => {}
                Err(err) => tracing::warn!(error = ?err, "cannot look for interrupted comparisons"),
            }
            tokio::time::sleep(LOOK_EVERY).await;
        }
    })
}
