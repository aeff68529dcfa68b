//! Starting and stopping the server.

use std::net::SocketAddr;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::jwt::JwtKeys;
use crate::auth::passwords::PasswordChecker;
use crate::auth::policy_store;
use crate::auth::sessions::Lifetimes;
use crate::config::ServeConfig;
use crate::domain::registries::matching::{self, MatchKey};
use crate::graphql::{AppState, build_schema};
use crate::{db, http, seed};

/// Threads that check passwords (each keeps 19 MiB for good), and how
/// many sign-ins may wait for one before further ones are refused.
const PASSWORD_WORKERS: usize = 2;
const PASSWORD_QUEUE: usize = 64;
/// How often the audit chain is extended: a row is linked within about
/// this long of being written.
const CHAIN_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// A server running in the background, for tests and embedders.
pub struct RunningServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    watcher: Background,
}

impl RunningServer {
    /// Stops accepting, lets requests in flight finish, and waits.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await??;
        self.watcher.abort();
        Ok(())
    }
}

/// What `prepare` sets up: the bound socket, the app, and the task that
/// keeps the policies in step with the database.
struct Prepared {
    listener: TcpListener,
    router: axum::Router,
    watcher: Background,
    /// Whether the demo city was built on this start.
    seeded: bool,
}

/// Refuses a match key other than the one the stored hashes were made
/// with, and hashes the residents not hashed yet (a new demo city, numbers
/// corrected since the last start).
async fn prepare_matching(db: &DatabaseConnection, key: &MatchKey) -> anyhow::Result<()> {
    let problem = |err: crate::error::ApiError| anyhow::anyhow!("the match key: {}", err.message());
    if !matching::same_key(db, key).await.map_err(problem)? {
        anyhow::bail!(
            "the residents' ID numbers were hashed with another match key: give every replica \
             the same --match-key (or the same data directory's match-hmac.key)"
        );
    }
    let filled = matching::fill_missing(db, key).await.map_err(problem)?;
    if filled > 0 {
        tracing::info!(residents = filled, "hashed ID numbers for matching");
    }
    Ok(())
}

/// Connects, migrates, installs the default policies on first start, seeds
/// an empty database unless told not to, loads the authorizer, and binds.
async fn prepare(config: &ServeConfig) -> anyhow::Result<Prepared> {
    let keys = JwtKeys::from_config(
        config.auth.jwt_secret.as_deref(),
        config.auth.jwt_private_key_file.as_deref(),
        config.auth.jwt_public_key_file.as_deref(),
        &config.database.data_dir,
    )?;
    let seal = config.database.seal()?;
    let match_key = config.database.match_key()?;
    let db = db::connect(&config.database).await?;
    db::migrate(&db).await?;
    if !crate::audit::chain::same_key(&db, &seal)
        .await
        .map_err(|err| anyhow::anyhow!("checking the audit key: {}", err.message()))?
    {
        anyhow::bail!(
            "the audit log was sealed with another key: give every replica the same \
             --audit-key (or the same data directory's audit-hmac.key)"
        );
    }
    if policy_store::install_defaults_if_empty(&db, &seal)
        .await
        .map_err(|err| anyhow::anyhow!("installing the default policies: {}", err.message()))?
    {
        tracing::info!("installed the default policies");
    }
    let seeded = !config.no_seed && db::is_empty(&db).await?;
    if seeded {
        tracing::info!(
            residents = config.seed.residents,
            "empty database: building the demo city"
        );
        let progress = seed::Progress::from_terminal();
        seed::run(&db, &config.seed, &match_key, progress).await?;
        seed::demo_registries(
            &db,
            &config.seed,
            &seal,
            &match_key,
            &config.database.data_dir,
            &seed::Progress::from_terminal(),
        )
        .await?;
    }
    prepare_matching(&db, &match_key).await?;
    // Rules that lapsed while no server ran go, audited, before any request.
    policy_store::remove_lapsed(&db, &seal)
        .await
        .map_err(|err| anyhow::anyhow!("removing lapsed rules: {err:?}"))?;
    let authorizer = Arc::new(policy_store::authorizer(&db).await?);
    tracing::info!(
        version = authorizer.version(),
        rules = authorizer.rule_count(),
        "policies loaded"
    );
    // The server's own work runs on its own connections, which the
    // statement counter (requests' statements) does not see.
    let background = db::connect_background(&config.database).await?;
    let watcher = policy_store::spawn_watcher(background.clone(), authorizer.clone(), seal.clone());
    let metrics = crate::metrics::Metrics::default();
    let chainer = {
        let metrics = metrics.clone();
        tokio::spawn(crate::audit::chain::run(
            background.clone(),
            seal.clone(),
            CHAIN_EVERY,
            move |head| metrics.audit_chained(head),
        ))
    };
    let mut db = db;
    metrics.sql.attach(&mut db, config.log_sql);
    let mut planned_once = db::connect_planned_once(&config.database, &db).await?;
    metrics.sql.attach(&mut planned_once, config.log_sql);
    db::warm(&db, config.database.db_max_connections).await;
    // On SQLite the kept-plan pool is the same pool.
    if planned_once.get_database_backend() == sea_orm::DbBackend::Postgres {
        db::warm(&planned_once, config.database.db_max_connections).await;
    }
    let admission = crate::admission::Admission::new(
        config.admission.limits(config.database.db_max_connections),
    );
    let events = crate::events::Events::new(db.clone());
    let listener_tasks = events.spawn_listener(background.clone()).await;
    let resumer = crate::comparing::spawn_resumer(background, seal.clone(), events.clone());
    let state = AppState {
        passwords: PasswordChecker::start(PASSWORD_WORKERS, PASSWORD_QUEUE),
        events,
        audit_batches: crate::audit::batch::Batches::new(db.clone()),
        db,
        planned_once,
        metrics,
        admission: admission.clone(),
        suppress_below: config.suppress_below,
        photos: crate::photos::PhotoStore::new(config.photo_dir()),
        seal,
        match_key,
        authorizer,
        keys,
        lifetimes: Lifetimes {
            access_seconds: config.auth.access_token_seconds,
            refresh_seconds: config.auth.refresh_token_days * 86_400,
        },
    };
    let schema = build_schema(state.clone(), &config.limits);
    let router = http::router(schema, state, &config.limits, config.graphiql, admission);
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    Ok(Prepared {
        listener,
        router,
        watcher: Background(
            [watcher, chainer, resumer]
                .into_iter()
                .chain(listener_tasks)
                .collect(),
        ),
        seeded,
    })
}

/// Serves until SIGTERM or Ctrl-C, then drains and returns.
pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let Prepared {
        listener,
        router,
        watcher,
        seeded,
    } = prepare(&config).await?;
    let addr = listener.local_addr()?;
    println!("gridgov is serving");
    if seeded {
        println!(
            "  demo      sign in as admin (or operator, analyst, community-420502003001, \
             worker-420502003001001, …) with the password gridgov-demo"
        );
    }
    println!("  GraphQL   http://{addr}{}", http::GRAPHQL_PATH);
    if config.graphiql {
        println!(
            "  GraphiQL  http://{addr}{} (open in a browser)",
            http::GRAPHQL_PATH
        );
    }
    println!(
        "  screen    http://{addr}{} (the command centre's screen, in a browser)",
        http::SCREEN_PATH
    );
    println!("  probes    http://{addr}/healthz  http://{addr}/readyz  http://{addr}/metrics");
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    watcher.abort();
    tracing::info!("stopped");
    Ok(())
}

/// Starts serving in the background; `listen` may use port 0.
pub async fn spawn(config: ServeConfig) -> anyhow::Result<RunningServer> {
    let Prepared {
        listener,
        router,
        watcher,
        ..
    } = prepare(&config).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .await
    });
    Ok(RunningServer {
        addr,
        stop: Some(stop),
        task,
        watcher,
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

/// The tasks that keep a replica in step with the others: the policy
/// watcher and the event listener.
struct Background(Vec<JoinHandle<()>>);

impl Background {
    fn abort(&self) {
        for task in &self.0 {
            task.abort();
        }
    }
}
