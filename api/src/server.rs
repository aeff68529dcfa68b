//! Starting and stopping the server.

use std::net::SocketAddr;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::ServeConfig;
use crate::graphql::{AppState, build_schema};
use crate::{db, http, seed};

/// A server running in the background, for tests and embedders.
pub struct RunningServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// Stops accepting, lets requests in flight finish, and waits.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await??;
        Ok(())
    }
}

/// Connects, migrates, seeds an empty database unless told not to, and binds.
async fn prepare(config: &ServeConfig) -> anyhow::Result<(TcpListener, axum::Router)> {
    let db = db::connect(&config.database).await?;
    db::migrate(&db).await?;
    if !config.no_seed && db::is_empty(&db).await? {
        tracing::info!(
            residents = config.seed.residents,
            "empty database: building the demo city"
        );
        seed::run(&db, &config.seed, seed::Progress::from_terminal()).await?;
    }
    let state = AppState { db };
    let schema = build_schema(state.clone(), &config.limits);
    let router = http::router(schema, state, &config.limits, config.graphiql);
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    Ok((listener, router))
}

/// Serves until SIGTERM or Ctrl-C, then drains and returns.
pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let (listener, router) = prepare(&config).await?;
    let addr = listener.local_addr()?;
    println!("gridgov is serving");
    println!("  GraphQL   http://{addr}{}", http::GRAPHQL_PATH);
    if config.graphiql {
        println!(
            "  GraphiQL  http://{addr}{} (open in a browser)",
            http::GRAPHQL_PATH
        );
    }
    println!("  probes    http://{addr}/healthz  http://{addr}/readyz");
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("stopped");
    Ok(())
}

/// Starts serving in the background; `listen` may use port 0.
pub async fn spawn(config: ServeConfig) -> anyhow::Result<RunningServer> {
    let (listener, router) = prepare(&config).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    Ok(RunningServer {
        addr,
        stop: Some(stop),
        task,
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
