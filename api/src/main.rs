//! The `gridgov` command line.

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use gridgov::audit::Actor;
use gridgov::auth::policy_store;
use gridgov::config::{DatabaseConfig, SeedConfig, ServeConfig};
use gridgov::domain::page::{PageRequest, Paging};
use gridgov::domain::registries;
use gridgov::domain::scoped::Order;
use gridgov::domain::tokens::{self as api_tokens, IssueRequest, TokenFor};
use gridgov::{db, graphql, seed, server};
use tracing_subscriber::EnvFilter;

mod cli;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// gridgov: a GraphQL platform for community grid governance.
///
/// With no command, `gridgov` serves: it creates ./data, migrates, builds the
/// demo city if the database is empty, and serves GraphQL and GraphiQL at
/// http://127.0.0.1:8080/graphql.
#[derive(Parser, Debug)]
#[command(
    name = "gridgov",
    version,
    propagate_version = true,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    serve: ServeConfig,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve GraphQL (the default): migrate, seed an empty database, listen.
    Serve(Box<ServeConfig>),
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
    /// Count every grid's statistics afresh from the record, in one
    /// transaction, and name the grids whose kept counts differed (after a
    /// backup is restored or the database edited by hand).
    Recount {
        /// Compare only, change nothing; exit with status 1 when any grid
        /// differs.
        #[arg(long)]
        check: bool,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Print the GraphQL schema (SDL), as committed in schema.graphql.
    Schema,
    /// Issue, list and revoke scoped API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Check the audit log's chain, export the log, or report who looked
    /// at a person.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Import outside registries for comparison with the record (信息比对),
    /// and list what was imported.
    #[command(subcommand)]
    Registry(RegistryCommand),
    /// Compare the record with a registry's current snapshot (信息比对),
    /// and list the comparisons run.
    #[command(subcommand)]
    Compare(CompareCommand),
    /// List, edit, explain and try the policies and role assignments, with
    /// the validation, audit and propagation of the API's edits.
    #[command(subcommand)]
    Policy(cli::policy::PolicyCommand),
}

#[derive(Subcommand, Debug)]
enum CompareCommand {
    /// Compare the city (or an area) with KIND's current snapshot, street
    /// by street, with a progress bar; findings are opened, kept and
    /// cleared as when the API starts a comparison (urgent ones are told to
    /// live subscribers on PostgreSQL once it ends). Exit status 1 when the
    /// comparison fails, or another process took it over.
    Run {
        /// household, deaths, pensions, wanted, licences or food_permits.
        #[arg(long, value_parser = registry_kind)]
        kind: entities::registry_snapshot::RegistryKind,
        /// The area to compare (a district, street, community or grid
        /// code); the whole city when left out.
        #[arg(long)]
        area: Option<String>,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// List the comparisons run, newest first: registry, area, state,
    /// progress, who started them, when, and what they found by kind.
    List {
        /// At most this many.
        #[arg(long, default_value_t = 20)]
        limit: u64,
        #[command(flatten)]
        database: DatabaseConfig,
    },
}

#[derive(Subcommand, Debug)]
enum RegistryCommand {
    /// Import a registry file (CSV, UTF-8, a header row; the layouts are in
    /// the README) as the new snapshot of its kind, reading it once. Every
    /// row is checked: a file with a bad row is refused with a report (line,
    /// column, reason) and nothing of it is kept; the previous snapshot
    /// stays until the new one is stored whole. Exit status 1 when refused.
    Import {
        /// household, deaths, pensions, wanted, licences or food_permits.
        #[arg(long, value_parser = registry_kind)]
        kind: entities::registry_snapshot::RegistryKind,
        /// The CSV file.
        file: std::path::PathBuf,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// List the snapshots, newest first: kind, state, rows, SHA-256, who
    /// imported them and when.
    List {
        #[command(flatten)]
        database: DatabaseConfig,
    },
}

fn registry_kind(name: &str) -> Result<entities::registry_snapshot::RegistryKind, String> {
    registries::kind_named(name).ok_or_else(|| {
        let names: Vec<&str> = registries::KINDS
            .iter()
            .map(|k| registries::name(*k))
            .collect();
        format!("one of {}", names.join(", "))
    })
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Walk the chain from its start, recompute every link and seal, and
    /// name the first row that does not verify (exit status 1); print the
    /// head (length and hash) to compare with a copy kept elsewhere.
    Verify {
        /// Rows younger than this many seconds may still wait for a link.
        #[arg(long, default_value_t = 120)]
        settle_secs: i64,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Write the log as JSON Lines (oldest first, seals included) for an
    /// archive or a SIEM; resume an interrupted export with --after.
    Export {
        /// Entries at or after this instant (RFC 3339, or a date).
        #[arg(long)]
        from: Option<String>,
        /// Entries before this instant (RFC 3339, or a date).
        #[arg(long)]
        to: Option<String>,
        /// Entries numbered above this one (the last number an interrupted
        /// export reported).
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// File to write (appended to); standard output if not given.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Move the entries older than the retention period to a file (JSON
    /// Lines, with their links), record its SHA-256 in the log, and remove
    /// them from the database; run it daily.
    Archive {
        /// Days entries are kept in the database (1 to 36,500).
        #[arg(long, default_value_t = 1095, value_parser = clap::value_parser!(u16).range(1..=36_500))]
        retention_days: u16,
        /// Directory for the archive files; `audit-archive` in the data
        /// directory if not given.
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Every change and full read of one person's record, by whom and
    /// when, as a file a clerk can hand over (PIPL Art. 45).
    AccessReport {
        /// The person's ID or other document number.
        id_number: String,
        /// File to write; standard output if not given.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        #[command(flatten)]
        database: DatabaseConfig,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Issue a token for a department or an application; prints its secret,
    /// which is shown this once.
    Issue {
        /// What the token is for.
        #[arg(long)]
        name: String,
        /// The department it acts for (its policies apply), e.g. market-420502.
        #[arg(long, conflicts_with = "user", required_unless_present = "user")]
        department: Option<String>,
        /// Or: the user an application acts as.
        #[arg(long)]
        user: Option<String>,
        /// An object:action pair it may use, e.g. case:read (repeatable).
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// An area code it is limited to, or * (repeatable).
        #[arg(long = "area", required = true)]
        areas: Vec<String>,
        /// Days until it expires (at most 366).
        #[arg(long, default_value_t = 90)]
        days: i64,
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// List tokens (never their secrets).
    List {
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Revoke a token at once.
    Revoke {
        /// The token's id, as `token list` shows it.
        id: i64,
        #[command(flatten)]
        database: DatabaseConfig,
    },
}

/// Writes a listing to stdout. A reader that stops early (`| head`) ends
/// the listing quietly, where `println!` would panic on the closed pipe.
fn print_lines(lines: impl IntoIterator<Item = String>) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for line in lines {
        match writeln!(out, "{line}") {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            Err(err) => return Err(err.into()),
        }
    }
    match out.flush() {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(err.into()),
        _ => Ok(()),
    }
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
        Some(Command::Serve(config)) => serve(*config).await,
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
            if reset {
                db::reset(&database).await?;
            }
            let seal = database.seal()?;
            let db = db::connect(&database).await?;
            db::migrate(&db).await?;
            policy_store::install_defaults_if_empty(&db, &seal)
                .await
                .map_err(|err| {
                    anyhow::anyhow!("installing the default policies: {}", err.message())
                })?;
            let key = database.match_key()?;
            let report =
                seed::run(&db, &seed_config, &key, seed::Progress::from_terminal()).await?;
            seed::demo_registries(
                &db,
                &seed_config,
                &seal,
                &key,
                &database.data_dir,
                &seed::Progress::from_terminal(),
            )
            .await?;
            println!(
                "{} ({}): {report}",
                database.url_for_display(),
                db::backend_name(&db)
            );
            Ok(())
        }
        Some(Command::Recount { check, database }) => recount(check, &database).await,
        Some(Command::Schema) => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Some(Command::Token(command)) => token(command).await,
        Some(Command::Policy(command)) => cli::policy::run(command).await,
        Some(Command::Audit(command)) => audit_command(command).await,
        Some(Command::Registry(command)) => registry_command(command).await,
        Some(Command::Compare(command)) => compare_command(command).await,
    }
}

async fn recount(check: bool, database: &DatabaseConfig) -> anyhow::Result<()> {
    let db = db::connect_current(database).await?;
    let found = gridgov::domain::stats::recount(&db, !check)
        .await
        .map_err(failed)
        .context("recounting")?;
    let day = found
        .counted_on
        .map_or_else(|| "today".to_owned(), |day| day.to_string());
    let verb = if check {
        "differ"
    } else {
        "differed and were corrected"
    };
    println!(
        "{} grids counted as of {day}; {} {verb}{}",
        found.grids,
        found.differed.len(),
        if found.differed.is_empty() {
            String::new()
        } else {
            format!(": {}", found.differed.join(" "))
        }
    );
    if check && !found.differed.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}

async fn registry_command(command: RegistryCommand) -> anyhow::Result<()> {
    use gridgov::domain::registries::import::{self, Import, ImportError};
    use gridgov::domain::registries::matching;
    match command {
        RegistryCommand::Import {
            kind,
            file,
            database,
        } => {
            let seal = database.seal()?;
            let key = database.match_key()?;
            let db = db::connect_current(&database).await?;
            if !matching::same_key(&db, &key).await.map_err(failed)? {
                anyhow::bail!(
                    "the residents' ID numbers were hashed with another match key: give the \
                     same --match-key as the server (or its data directory)"
                );
            }
            let size = std::fs::metadata(&file)
                .with_context(|| format!("cannot read {}", file.display()))?
                .len();
            let bar = indicatif::ProgressBar::new(size);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "importing [{bar:40}] {binary_bytes}/{binary_total_bytes} ({eta} left)",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let shown = bar.clone();
            let progress: import::Progress =
                std::sync::Arc::new(move |read| shown.set_position(read));
            let source = std::fs::File::open(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let file_name = file
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            let actor = Actor::system("cli", &seal);
            let outcome = import::import(
                &db,
                &actor,
                &key,
                Import {
                    kind,
                    source: Box::new(source),
                    file_name,
                },
                progress,
            )
            .await;
            bar.finish_and_clear();
            match outcome {
                Ok(snapshot) => println!(
                    "snapshot {} of {}: {} rows, sha256 {}; it is the current one",
                    snapshot.id,
                    registries::name(snapshot.kind),
                    snapshot.rows,
                    snapshot.sha256
                ),
                Err(ImportError::Refused { faults, count }) => {
                    eprintln!("refused: {count} faults, nothing stored");
                    for fault in &faults {
                        eprintln!("line {}, {}: {}", fault.line, fault.column, fault.reason);
                    }
                    if count > faults.len() as u64 {
                        eprintln!("… and {} more", count - faults.len() as u64);
                    }
                    std::process::exit(1);
                }
                Err(ImportError::Api(err)) => return Err(failed(err)),
            }
        }
        RegistryCommand::List { database } => {
            let db = db::connect_current(&database).await?;
            let snapshots = registries::all_snapshots(&db).await.map_err(failed)?;
            let header = "id\tkind\tstate\trows\tsha256\timported by\tstarted\taccepted";
            let rows = snapshots.into_iter().map(|s| {
                format!(
                    "{}\t{}\t{:?}\t{}\t{}\t{}\t{}\t{}",
                    s.id,
                    registries::name(s.kind),
                    s.state,
                    s.rows,
                    s.sha256,
                    s.imported_by_name,
                    s.started_at.to_rfc3339(),
                    s.accepted_at.map(|at| at.to_rfc3339()).unwrap_or_default()
                )
            });
            print_lines(std::iter::once(header.to_owned()).chain(rows))?;
        }
    }
    Ok(())
}

async fn compare_command(command: CompareCommand) -> anyhow::Result<()> {
    use gridgov::domain::comparisons::jobs;
    match command {
        CompareCommand::Run {
            kind,
            area,
            database,
        } => {
            let seal = database.seal()?;
            let db = db::connect_current(&database).await?;
            let area = area
                .as_deref()
                .map(policies::AreaCode::parse)
                .transpose()
                .map_err(|err| anyhow::anyhow!("--area: {err}"))?;
            let actor = Actor::system("cli", &seal);
            let job = jobs::start(&db, &actor, kind, area.as_ref())
                .await
                .map_err(failed)?;
            let bar = indicatif::ProgressBar::new(u64::try_from(job.total).unwrap_or(0));
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "comparing [{bar:40}] {human_pos}/{human_len} ({per_sec}, {eta} left)",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            // Urgent findings are told to the servers' subscribers once the
            // comparison ends (on PostgreSQL, where replicas listen).
            let raised = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let on_chunk: jobs::OnChunk = {
                let (bar, raised) = (bar.clone(), raised.clone());
                Box::new(move |job, found| {
                    bar.set_position(u64::try_from(job.compared).unwrap_or(0));
                    if let Ok(mut raised) = raised.lock() {
                        raised.extend(found);
                    }
                })
            };
            let job = jobs::run(&db, &seal, job.id, on_chunk)
                .await
                .map_err(failed)?;
            bar.finish_and_clear();
            let events = gridgov::events::Events::new(db.clone());
            // Announced before and after, so that listeners miss none of
            // this process's events unawares.
            events.announce().await;
            let found = raised
                .lock()
                .map(|mut r| std::mem::take(&mut *r))
                .unwrap_or_default();
            for raised in found {
                events
                    .publish(gridgov::events::Event::FindingRaised {
                        finding_id: raised.finding_id,
                        grid_code: raised.grid_code,
                    })
                    .await;
            }
            events.announce().await;
            println!("{}", jobs::describe(&job));
            if job.state != entities::comparison_job::JobState::Finished {
                std::process::exit(1);
            }
        }
        CompareCommand::List { limit, database } => {
            let db = db::connect_current(&database).await?;
            let recent = jobs::recent(&db, limit).await.map_err(failed)?;
            print_lines(recent.iter().map(jobs::describe))?;
        }
    }
    Ok(())
}

/// An instant from the command line: RFC 3339, or a date (its midnight,
/// UTC+8, as the city reads dates).
fn instant(raw: &str) -> anyhow::Result<chrono::DateTime<chrono::Utc>> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Ok(at.with_timezone(&chrono::Utc));
    }
    let day = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| anyhow::anyhow!("{raw:?} is neither RFC 3339 nor YYYY-MM-DD"))?;
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default() - chrono::Duration::hours(8);
    Ok(midnight.and_utc())
}

/// Where a report goes: a file, or standard output.
fn output(path: Option<&std::path::Path>, append: bool) -> anyhow::Result<Box<dyn std::io::Write>> {
    Ok(match path {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(append)
                .write(true)
                .truncate(!append)
                .open(path)
                .map_err(|err| anyhow::anyhow!("cannot open {}: {err}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    })
}

async fn audit_command(command: AuditCommand) -> anyhow::Result<()> {
    use gridgov::audit::{chain, report};
    match command {
        AuditCommand::Verify {
            settle_secs,
            database,
        } => {
            let seal = database.seal()?;
            let db = db::connect_current(&database).await?;
            let progress = indicatif::ProgressBar::new_spinner();
            let found = chain::verify(
                &db,
                &seal,
                chrono::Utc::now(),
                chrono::Duration::seconds(settle_secs),
                |links| progress.set_message(format!("{links} links verified")),
            )
            .await
            .map_err(failed)?;
            progress.finish_and_clear();
            println!(
                "head    {} links, {}\npending {} rows not yet linked",
                found.head.length, found.head.hash, found.pending
            );
            if let Some(problem) = found.problem {
                println!("FAILED  {problem}");
                std::process::exit(1);
            }
            println!("ok      every link and seal verifies");
        }
        AuditCommand::Export {
            from,
            to,
            after,
            out,
            database,
        } => {
            let range = (
                from.as_deref().map(instant).transpose()?,
                to.as_deref().map(instant).transpose()?,
            );
            let seal = database.seal()?;
            let db = db::connect_current(&database).await?;
            let mut sink = output(out.as_deref(), true)?;
            let actor = Actor::system("cli", &seal);
            let written = report::export(&db, &actor, range, after, &mut sink, |last, written| {
                eprintln!("{written} entries written; resume with --after {last}");
            })
            .await?;
            eprintln!("{written} entries exported");
        }
        AuditCommand::Archive {
            retention_days,
            dir,
            database,
        } => {
            let dir = dir.unwrap_or_else(|| database.data_dir.join("audit-archive"));
            let seal = database.seal()?;
            let db = db::connect_current(&database).await?;
            let actor = Actor::system("cli", &seal);
            let older_than = chrono::Utc::now() - chrono::Duration::days(i64::from(retention_days));
            match gridgov::audit::archive::archive(&db, &actor, older_than, &dir).await? {
                Some(done) => println!(
                    "{} entries (links {}..{}) moved to {}, sha256 {}",
                    done.rows,
                    done.from_seq,
                    done.seq_until,
                    done.path.display(),
                    done.sha256
                ),
                None => println!("nothing older than {retention_days} days to archive"),
            }
        }
        AuditCommand::AccessReport {
            id_number,
            out,
            database,
        } => {
            let seal = database.seal()?;
            let db = db::connect_current(&database).await?;
            let mut sink = output(out.as_deref(), false)?;
            let actor = Actor::system("cli", &seal);
            let entries = report::access_report(&db, &actor, &id_number, &mut sink).await?;
            eprintln!("{entries} entries reported");
        }
    }
    Ok(())
}

async fn token(command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Issue {
            name,
            department,
            user,
            scopes,
            areas,
            days,
            database,
        } => {
            let db = db::connect_current(&database).await?;
            let cli = Actor::system("cli", &database.seal()?);
            let subject = match (department, user) {
                (Some(code), _) => TokenFor::DepartmentCode(code),
                (None, Some(username)) => TokenFor::Application { username },
                (None, None) => anyhow::bail!("name a --department or a --user"),
            };
            let request = IssueRequest {
                name,
                subject,
                scopes,
                areas,
                expires_at: chrono::Utc::now() + chrono::Duration::days(days),
            };
            let (secret, token) = api_tokens::issue_as_operator(&db, &cli, request)
                .await
                .map_err(failed)?;
            eprintln!(
                "token {} issued, expires {}; the secret is shown only now:",
                token.id, token.expires_at
            );
            println!("{secret}");
        }
        TokenCommand::List { database } => {
            let db = db::connect_current(&database).await?;
            let mut after = None;
            print_lines([format!(
                "{:>5}  {:<12}  {:<24}  {:<20}  {:<20}  name",
                "id", "prefix", "expires", "last used", "revoked"
            )])?;
            loop {
                let paging = Paging::forward(Some(100), after.take());
                let request = PageRequest::new(paging, api_tokens::TOKEN_CURSOR).map_err(failed)?;
                let by_id = Order::ascending(entities::api_token::Column::Id);
                let listing =
                    api_tokens::list_as_operator(&db, &Default::default(), by_id, &request)
                        .await
                        .map_err(failed)?;
                let when = |at: Option<chrono::DateTime<chrono::Utc>>| {
                    at.map_or("-".to_owned(), |at| at.format("%Y-%m-%d %H:%M").to_string())
                };
                print_lines(listing.page.rows.iter().map(|(_, token)| {
                    format!(
                        "{:>5}  {:<12}  {:<24}  {:<20}  {:<20}  {}",
                        token.id,
                        token.prefix,
                        token.expires_at.format("%Y-%m-%d %H:%M UTC"),
                        when(token.last_used_at),
                        when(token.revoked_at),
                        token.name
                    )
                }))?;
                match listing.page.rows.last() {
                    Some((key, _)) if listing.page.has_next_page => {
                        after = Some(gridgov::domain::page::encode_cursor(
                            api_tokens::TOKEN_CURSOR,
                            key,
                        ));
                    }
                    _ => break,
                }
            }
        }
        TokenCommand::Revoke { id, database } => {
            let cli = Actor::system("cli", &database.seal()?);
            let db = db::connect_current(&database).await?;
            let token = api_tokens::revoke_as_operator(&db, &cli, id)
                .await
                .map_err(failed)?;
            println!("token {} ({}) revoked", token.id, token.name);
        }
    }
    Ok(())
}

/// An API error as the operator at the terminal reads it: unlike a GraphQL
/// client, they may see an internal error's cause.
fn failed(err: gridgov::error::ApiError) -> anyhow::Error {
    match err {
        gridgov::error::ApiError::Internal(detail) => detail.context("internal error"),
        other => anyhow::anyhow!("{}", other.message()),
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

#[cfg(test)]
mod tests {
    /// Clap checks a command's definition only when it is parsed: every
    /// subcommand's, here, before a user meets a clash.
    #[test]
    fn every_subcommand_is_well_formed() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
