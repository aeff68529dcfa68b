//! gridgov-bench: load a running gridgov with named GraphQL scenarios, price
//! the raw SQL under them with pgbench, and check the performance budget.
//! `bench/run.sh` does all of it on a fresh machine.

mod client;
mod fanout;
mod floor;
mod load;
mod scenarios;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use serde_json::{Value, json};

use crate::client::Api;
use crate::load::{Shape, Stats};

#[derive(Parser)]
#[command(
    name = "gridgov-bench",
    about = "Load a running gridgov with named GraphQL scenarios, measure the raw-SQL floor \
             under them, and check the performance budget.",
    long_about = None
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Target {
    /// The server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Seconds per scenario.
    #[arg(long, default_value_t = 10)]
    duration: u64,
}

#[derive(Subcommand)]
enum Command {
    /// Runs scenarios and prints a table (and JSON with --json).
    Run {
        #[command(flatten)]
        target: Target,
        /// Scenarios to run, one after another; `mixed` is the morning's
        /// mix; `all` every single scenario. Repeatable.
        #[arg(long = "scenario", default_value = "all")]
        scenarios: Vec<String>,
        /// A fixed arrival rate (requests per second over all clients)
        /// instead of as fast as answers come.
        #[arg(long)]
        rate: Option<f64>,
        /// Assignments to prepare for `worker_acknowledges_task`.
        #[arg(long, default_value_t = 30_000)]
        acknowledgements: usize,
        /// Sample this process's resident memory during the run.
        #[arg(long)]
        server_pid: Option<u32>,
        /// A name for the run in the JSON.
        #[arg(long, default_value = "run")]
        label: String,
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Captures the SQL of every list scenario from the server's
    /// `--log-sql` log and runs it with pgbench at the same concurrency.
    Floor {
        #[command(flatten)]
        target: Target,
        /// The log file the server (started with --log-sql) writes.
        #[arg(long)]
        sql_log: PathBuf,
        /// The PostgreSQL the server uses.
        #[arg(long)]
        postgres_url: String,
        /// Where pgbench's scripts and logs go.
        #[arg(long, default_value = "target/bench/floor")]
        workdir: PathBuf,
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Subscribes grid workers to `taskAssigned` (several connections each
    /// when there are more subscribers than workers), sends campaigns to
    /// the whole city, and times each subscriber's event from the request
    /// and from its answer.
    Fanout {
        /// The server's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// Live subscriptions to open, one connection each.
        #[arg(long, default_value_t = 1_120)]
        subscribers: usize,
        /// Campaigns timed, after one that is not.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Who sends the campaigns (a demo account allowed to send to
        /// every grid).
        #[arg(long, default_value = "operator")]
        sender: String,
        /// What each subscriber asks of its assignment.
        #[arg(long, default_value = "id state task { id title }")]
        selection: String,
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Reads the JSON of the runs and prints the three ratios against the
    /// budget, as Markdown.
    Budget {
        /// The scenarios on the full city.
        #[arg(long)]
        large: PathBuf,
        /// The same scenarios on the small city.
        #[arg(long)]
        small: PathBuf,
        /// The floor.
        #[arg(long)]
        floor: PathBuf,
        /// The mixed workload at 64 clients.
        #[arg(long)]
        mixed: PathBuf,
    },
}

/// The highest resident memory (MiB) seen of `pid` while `running` holds.
fn watch_memory(pid: u32) -> (Arc<AtomicU64>, tokio::task::JoinHandle<()>) {
    let peak = Arc::new(AtomicU64::new(0));
    let seen = peak.clone();
    let task = tokio::spawn(async move {
        loop {
            if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status"))
                && let Some(kib) = status
                    .lines()
                    .find_map(|line| line.strip_prefix("VmRSS:"))
                    .and_then(|rest| rest.split_whitespace().next())
                    .and_then(|kib| kib.parse::<u64>().ok())
            {
                seen.fetch_max(kib, Ordering::Relaxed);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    (peak, task)
}

async fn run(
    target: &Target,
    names: &[String],
    rate: Option<f64>,
    acknowledgements: usize,
    server_pid: Option<u32>,
) -> anyhow::Result<(Vec<(String, Vec<Stats>)>, Option<f64>)> {
    let api = Api::new(&target.url)?;
    let all = scenarios::all(&api, acknowledgements).await?;
    let by_name = |name: &str| all.iter().find(|s| s.name == name).cloned();
    let shape = Shape {
        clients: target.clients,
        duration: Duration::from_secs(target.duration),
        rate,
    };
    let memory = server_pid.map(watch_memory);
    let mut runs = Vec::new();
    for name in names {
        let (title, mix): (String, Vec<_>) = match name.as_str() {
            "all" => {
                for scenario in &all {
                    let stats = load::run(&api, &[(scenario.clone(), 1)], shape).await;
                    eprint!("{}", load::table("", &stats));
                    runs.push((scenario.name.to_owned(), stats));
                }
                continue;
            }
            "mixed" => (
                "mixed".to_owned(),
                scenarios::MIXED
                    .iter()
                    .filter_map(|(name, weight)| by_name(name).map(|s| (s, *weight)))
                    .collect(),
            ),
            single => (
                single.to_owned(),
                vec![(
                    by_name(single).with_context(|| format!("no scenario {single}"))?,
                    1,
                )],
            ),
        };
        let stats = load::run(&api, &mix, shape).await;
        eprint!("{}", load::table(&format!("[{title}]"), &stats));
        runs.push((title, stats));
    }
    let peak = memory.map(|(peak, task)| {
        task.abort();
        peak.load(Ordering::Relaxed) as f64 / 1024.0
    });
    Ok((runs, peak))
}

fn read_json(path: &PathBuf) -> anyhow::Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(serde_json::from_str(&text)?)
}

/// p50 of `scenario` in a run file (the line of its own single run).
fn p50(run: &Value, scenario: &str) -> Option<f64> {
    stat(run, scenario, "p50_ms")
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "**missed**" }
}

/// One figure of a scenario's run.
fn stat(run: &Value, scenario: &str, figure: &str) -> Option<f64> {
    run["runs"]
        .as_array()?
        .iter()
        .find(|r| r["name"] == scenario)?["stats"]
        .as_array()?
        .iter()
        .find(|s| s["scenario"] == scenario)?[figure]
        .as_f64()
}

fn budget(large: &Value, small: &Value, floor: &Value, mixed: &Value) -> String {
    const LISTS: [(&str, &str); 5] = [
        ("worker_first_page", "admin_first_page"),
        ("worker_next_page", "admin_next_page"),
        ("resident_by_id_number", "admin_resident_by_id_number"),
        ("community_open_cases", "admin_community_open_cases"),
        ("department_cases", "admin_department_cases"),
    ];
    let floors: BTreeMap<String, f64> = floor["floors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| Some((f["scenario"].as_str()?.to_owned(), f["p50_ms"].as_f64()?)))
        .collect();
    let mut out = String::from(
        "| list scenario | p50 scoped ms | p50 admin ms | auth ratio (≤ 1.10) | raw SQL p50 ms | API / SQL (≤ 2.0) | p50 at 60k ms | 600k / 60k (≤ 1.2) |\n|---|---|---|---|---|---|---|---|\n",
    );
    for (scoped, admin) in LISTS {
        let (Some(user), Some(root)) = (p50(large, scoped), p50(large, admin)) else {
            continue;
        };
        let auth = user / root;
        let sql = floors.get(scoped).copied();
        let api_over_sql = sql.map(|sql| user / sql);
        let small_p50 = p50(small, scoped);
        let flat = small_p50.map(|small| user / small);
        out.push_str(&format!(
            "| {scoped} | {user:.2} | {root:.2} | {auth:.2} {} | {} | {} | {} | {} |\n",
            verdict(auth <= 1.10),
            sql.map_or("–".into(), |v| format!("{v:.2}")),
            api_over_sql.map_or("–".into(), |r| format!("{r:.2} {}", verdict(r <= 2.0))),
            small_p50.map_or("–".into(), |v| format!("{v:.2}")),
            flat.map_or("–".into(), |r| format!("{r:.2} {}", verdict(r <= 1.2))),
        ));
    }
    // What the audit log costs: the same page with and without the fields
    // whose full reading it records.
    if let (Some(plain), Some(audited), Some(plain_p99), Some(audited_p99)) = (
        stat(large, "police_page", "rps"),
        stat(large, "police_page_audited", "rps"),
        stat(large, "police_page", "p99_ms"),
        stat(large, "police_page_audited", "p99_ms"),
    ) {
        let cost = plain / audited;
        out.push_str(&format!(
            "\nAudited page (police, 50 residents with ID numbers and phones): {audited:.0} req/s, \
             p99 {audited_p99:.1} ms, against {plain:.0} req/s, p99 {plain_p99:.1} ms without them: \
             throughput cost {cost:.2}× ({}), p99 {:.2}× ({}).\n",
            verdict(cost <= 1.15),
            audited_p99 / plain_p99,
            verdict(audited_p99 <= plain_p99 * 1.15),
        ));
        if let (Some(masked), Some(masked_p99)) = (
            stat(large, "manager_page_masked", "rps"),
            stat(large, "manager_page_masked", "p99_ms"),
        ) {
            out.push_str(&format!(
                "The same page shown masked (the community's manager: the same rows and bytes, \
                 no audit row): {masked:.0} req/s, p99 {masked_p99:.1} ms. The two fields \
                 alone cost {:.2}×; the audit's own cost is {:.2}× in throughput, {:.2}× at p99.\n",
                plain / masked,
                masked / audited,
                audited_p99 / masked_p99,
            ));
        }
    }
    let errors: u64 = mixed["runs"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|run| run["stats"].as_array().into_iter().flatten())
        .filter_map(|s| s["errors"].as_u64())
        .sum();
    let rss = mixed["server_max_rss_mb"].as_f64();
    out.push_str(&format!(
        "\nMixed workload at {} clients: {errors} errors ({}), server peak RSS {} ({}).\n",
        mixed["shape"]["clients"],
        verdict(errors == 0),
        rss.map_or("not sampled".into(), |mb| format!("{mb:.0} MiB")),
        rss.map_or("–", |mb| verdict(mb < 250.0)),
    ));
    out
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            target,
            scenarios,
            rate,
            acknowledgements,
            server_pid,
            label,
            json,
        } => {
            let (runs, peak) = run(&target, &scenarios, rate, acknowledgements, server_pid).await?;
            if let Some(path) = json {
                let value = json!({
                    "label": label,
                    "shape": {"clients": target.clients, "duration_s": target.duration, "rate": rate},
                    "server_max_rss_mb": peak,
                    "runs": runs.iter().map(|(name, stats)| json!({"name": name, "stats": stats})).collect::<Vec<_>>(),
                });
                std::fs::write(&path, serde_json::to_string_pretty(&value)?)?;
            }
            if let Some(peak) = peak {
                eprintln!("server peak RSS: {peak:.0} MiB");
            }
        }
        Command::Floor {
            target,
            sql_log,
            postgres_url,
            workdir,
            json,
        } => {
            let api = Api::new(&target.url)?;
            let all = scenarios::all(&api, 1).await?;
            let mut floors = Vec::new();
            for scenario in all.iter().filter(|s| s.list && s.twin.is_some()) {
                let statements = floor::capture(&api, scenario, &sql_log).await?;
                if statements.is_empty() {
                    bail!(
                        "no SQL logged for {}: is the server running with --log-sql?",
                        scenario.name
                    );
                }
                let measured = floor::pgbench(
                    scenario.name,
                    &statements,
                    &postgres_url,
                    target.clients,
                    Duration::from_secs(target.duration),
                    &workdir,
                )?;
                eprintln!(
                    "{:<30} {} statements  {:>8.1} tps  p50 {:.2} ms  p95 {:.2} ms",
                    measured.scenario,
                    measured.statements,
                    measured.tps,
                    measured.p50_ms,
                    measured.p95_ms
                );
                floors.push(measured);
            }
            if let Some(path) = json {
                std::fs::write(
                    &path,
                    serde_json::to_string_pretty(
                        &json!({"clients": target.clients, "floors": floors}),
                    )?,
                )?;
            }
        }
        Command::Fanout {
            url,
            subscribers,
            rounds,
            sender,
            selection,
            json,
        } => {
            let results = fanout::run(&url, subscribers, rounds, &sender, &selection).await?;
            if let Some(path) = json {
                std::fs::write(&path, serde_json::to_string_pretty(&results)?)?;
            }
        }
        Command::Budget {
            large,
            small,
            floor,
            mixed,
        } => {
            print!(
                "{}",
                budget(
                    &read_json(&large)?,
                    &read_json(&small)?,
                    &read_json(&floor)?,
                    &read_json(&mixed)?
                )
            );
        }
    }
    Ok(())
}
