//! The `gridgov` command line.

use clap::{Parser, Subcommand};
use gridgov::config::{DatabaseConfig, SeedConfig, ServeConfig};
use gridgov::{db, graphql, seed, server};
use tracing_subscriber::EnvFilter;

/// gridgov: a GraphQL platform for community grid governance.
///
/// With no command, `gridgov` serves: it creates ./data, migrates, builds the
/// demo city if the database is empty, and serves GraphQL and GraphiQL at
/// http://127.0.0.1:8080/graphql.
#[derive(Parser, Debug)]
#[command(name = "gridgov", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    serve: ServeConfig,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve GraphQL (the default): migrate, seed an empty database, listen.
    Serve(ServeConfig),
    /// Apply pending migrations, or list them with --status.
    Migrate {
        /// List applied and pending migrations without applying any.
        #[arg(long)]
        status: bool,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Build the demo city (Yichang: 5 districts, 121 communities, 1,120 grids)
    /// into an empty database.
    Seed {
        /// Drop every table and migrate afresh before seeding.
        #[arg(long)]
        reset: bool,
        #[command(flatten)]
        database: DatabaseConfig,
        #[command(flatten)]
        seed: SeedConfig,
    },
    /// Print the GraphQL schema (SDL), as committed in schema.graphql.
    Schema,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(config)) => serve(config).await,
        Some(Command::Migrate { status, database }) => {
            let db = db::connect(&database).await?;
            if status {
                let (applied, pending) = db::migration_status(&db).await?;
                for name in applied {
                    println!("applied  {name}");
                }
                for name in pending {
                    println!("pending  {name}");
                }
            } else {
                db::migrate(&db).await?;
                println!("{}: schema up to date", database.url_for_display());
            }
            Ok(())
        }
        Some(Command::Seed {
            reset,
            database,
            seed: seed_config,
        }) => {
            let db = db::connect(&database).await?;
            if reset {
                db::reset(&db).await?;
            } else {
                db::migrate(&db).await?;
            }
            let report = seed::run(&db, &seed_config, seed::Progress::from_terminal()).await?;
            println!(
                "{} ({}): {report}",
                database.url_for_display(),
                db::backend_name(&db)
            );
            Ok(())
        }
        Some(Command::Schema) => {
            print!("{}", graphql::sdl());
            Ok(())
        }
    }
}

async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    println!(
        "gridgov {}\n{}",
        env!("CARGO_PKG_VERSION"),
        config.describe()
    );
    server::serve(config).await
}
