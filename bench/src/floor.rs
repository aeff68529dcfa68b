//! The floor under the API: the SQL the server really sends for a list
//! scenario (read from its `--log-sql` log), run straight against the same
//! PostgreSQL with pgbench at the same concurrency.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Serialize;

use crate::client::Api;
use crate::load::quantile;
use crate::scenarios::Scenario;

#[derive(Debug, Clone, Serialize)]
pub struct Floor {
    pub scenario: String,
    pub statements: usize,
    pub transactions: u64,
    pub tps: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
}

/// Drops terminal colour codes from a log line.
fn plain(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for next in chars.by_ref() {
                if next.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The statements logged for one request of `scenario`.
pub async fn capture(api: &Api, scenario: &Scenario, log: &Path) -> anyhow::Result<Vec<String>> {
    let before = std::fs::metadata(log)
        .with_context(|| format!("the server's log {}", log.display()))?
        .len();
    let outcome = api
        .send(
            Some(&scenario.token),
            &scenario.query,
            &scenario.variables(),
        )
        .await;
    if let Some(error) = outcome.error {
        bail!("{}: {error}", scenario.name);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let text = std::fs::read(log)?;
    let appended = String::from_utf8_lossy(&text[usize::try_from(before).unwrap_or(0)..]);
    let marker = "gridgov::sql: ";
    Ok(appended
        .lines()
        .map(plain)
        .filter_map(|line| {
            line.split_once(marker)
                .map(|(_, sql)| sql.trim().to_owned())
        })
        .filter(|sql| !sql.is_empty())
        .collect())
}

/// Runs `statements` as one pgbench transaction script.
pub fn pgbench(
    scenario: &str,
    statements: &[String],
    postgres_url: &str,
    clients: usize,
    duration: Duration,
    workdir: &Path,
) -> anyhow::Result<Floor> {
    std::fs::create_dir_all(workdir)?;
    let script = workdir.join(format!("{scenario}.sql"));
    let body: String = statements
        .iter()
        .map(|sql| format!("{};\n", sql.trim_end_matches(';')))
        .collect();
    std::fs::write(&script, body)?;
    let prefix = workdir.join(format!("{scenario}.log"));
    for old in transaction_logs(workdir, &prefix)? {
        let _ = std::fs::remove_file(old);
    }
    let threads = clients.clamp(1, 2);
    let status = Command::new("pgbench")
        .arg("-n")
        .args(["-c", &clients.to_string()])
        .args(["-j", &threads.to_string()])
        .args(["-T", &duration.as_secs().max(1).to_string()])
        .arg("-f")
        .arg(&script)
        .arg("-l")
        .arg(format!("--log-prefix={}", prefix.display()))
        .arg(postgres_url)
        .output()
        .context("running pgbench (is it installed?)")?;
    if !status.status.success() {
        bail!(
            "pgbench failed for {scenario}: {}",
            String::from_utf8_lossy(&status.stderr)
        );
    }
    let mut micros: Vec<u32> = Vec::new();
    for file in transaction_logs(workdir, &prefix)? {
        for line in std::fs::read_to_string(file)?.lines() {
            // client transaction latency_us script epoch epoch_us
            if let Some(latency) = line.split_whitespace().nth(2)
                && let Ok(latency) = latency.parse::<u32>()
            {
                micros.push(latency);
            }
        }
    }
    micros.sort_unstable();
    let transactions = micros.len() as u64;
    Ok(Floor {
        scenario: scenario.to_owned(),
        statements: statements.len(),
        transactions,
        tps: transactions as f64 / duration.as_secs_f64(),
        p50_ms: quantile(&micros, 0.5),
        p95_ms: quantile(&micros, 0.95),
    })
}

fn transaction_logs(workdir: &Path, prefix: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let stem = prefix
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(std::fs::read_dir(workdir)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with(&format!("{stem}.")))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_codes_are_dropped() {
        assert_eq!(
            plain("\u{1b}[32m INFO\u{1b}[0m \u{1b}[2mgridgov::sql\u{1b}[0m: SELECT 1"),
            " INFO gridgov::sql: SELECT 1"
        );
    }
}
