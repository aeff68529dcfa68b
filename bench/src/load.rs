//! The load: N clients for T seconds (or at a fixed arrival rate), each
//! sending its scenarios' requests one after another, every latency kept.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::client::Api;
use crate::scenarios::Scenario;

/// How hard to push.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub clients: usize,
    pub duration: Duration,
    /// Requests per second over all clients; `None`: as fast as answered.
    pub rate: Option<f64>,
}

/// What one scenario did in a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub scenario: String,
    pub account: String,
    pub requests: u64,
    pub errors: u64,
    pub error_codes: BTreeMap<String, u64>,
    pub rps: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub mean_ms: f64,
}

#[derive(Default)]
struct Samples {
    micros: Vec<u32>,
    errors: BTreeMap<String, u64>,
}

/// The `q`-quantile of sorted samples, in milliseconds.
pub fn quantile(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    f64::from(sorted[index.min(sorted.len() - 1)]) / 1000.0
}

/// A tiny deterministic generator, so a mixed run's choices repeat.
struct Draw(u64);

impl Draw {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Runs `scenarios` (picked by `weights` when there are several) under
/// `shape`, and returns one line per scenario.
pub async fn run(api: &Api, scenarios: &[(Arc<Scenario>, u32)], shape: Shape) -> Vec<Stats> {
    let total_weight: u64 = scenarios.iter().map(|(_, w)| u64::from(*w)).sum();
    let started = Instant::now();
    let deadline = started + shape.duration;
    let mut tasks = Vec::new();
    for client in 0..shape.clients {
        let api = api.clone();
        let scenarios: Vec<(Arc<Scenario>, u32)> = scenarios.to_vec();
        // With a fixed rate, each client sends every `interval`, staggered.
        let interval = shape
            .rate
            .map(|rate| Duration::from_secs_f64(shape.clients as f64 / rate.max(0.001)));
        tasks.push(tokio::spawn(async move {
            let mut samples: Vec<Samples> = scenarios.iter().map(|_| Samples::default()).collect();
            let mut draw = Draw(0x9E37_79B9_7F4A_7C15 ^ (client as u64 + 1));
            let mut next_at =
                interval.map(|i| started + i.mul_f64(client as f64 / shape.clients as f64));
            while Instant::now() < deadline {
                if let (Some(at), Some(interval)) = (next_at, interval) {
                    tokio::time::sleep_until(at.into()).await;
                    next_at = Some(at + interval);
                    if Instant::now() >= deadline {
                        break;
                    }
                }
                let pick = if scenarios.len() == 1 {
                    0
                } else {
                    let mut roll = draw.next() % total_weight.max(1);
                    scenarios
                        .iter()
                        .position(|(_, weight)| {
                            let hit = roll < u64::from(*weight);
                            roll = roll.saturating_sub(u64::from(*weight));
                            hit
                        })
                        .unwrap_or(0)
                };
                let scenario = &scenarios[pick].0;
                let variables = scenario.variables();
                let outcome = api
                    .send(Some(&scenario.token), &scenario.query, &variables)
                    .await;
                let sample = &mut samples[pick];
                sample
                    .micros
                    .push(u32::try_from(outcome.elapsed.as_micros()).unwrap_or(u32::MAX));
                if let Some(code) = outcome.error {
                    *sample.errors.entry(code).or_default() += 1;
                }
            }
            samples
        }));
    }
    let mut merged: Vec<Samples> = scenarios.iter().map(|_| Samples::default()).collect();
    for task in tasks {
        if let Ok(samples) = task.await {
            for (into, from) in merged.iter_mut().zip(samples) {
                into.micros.extend(from.micros);
                for (code, n) in from.errors {
                    *into.errors.entry(code).or_default() += n;
                }
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    scenarios
        .iter()
        .zip(merged)
        .map(|((scenario, _), mut samples)| {
            samples.micros.sort_unstable();
            let requests = samples.micros.len() as u64;
            let mean = if requests == 0 {
                0.0
            } else {
                samples.micros.iter().map(|&m| f64::from(m)).sum::<f64>() / requests as f64 / 1000.0
            };
            Stats {
                scenario: scenario.name.to_owned(),
                account: scenario.account.to_owned(),
                requests,
                errors: samples.errors.values().sum(),
                error_codes: samples.errors,
                rps: requests as f64 / seconds,
                p50_ms: quantile(&samples.micros, 0.50),
                p95_ms: quantile(&samples.micros, 0.95),
                p99_ms: quantile(&samples.micros, 0.99),
                mean_ms: mean,
            }
        })
        .collect()
}

/// The table a terminal shows.
pub fn table(title: &str, stats: &[Stats]) -> String {
    let mut out = format!(
        "{title}\n{:<30} {:>8} {:>9} {:>9} {:>9} {:>9} {:>7}\n",
        "scenario", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors"
    );
    for line in stats {
        out.push_str(&format!(
            "{:<30} {:>8} {:>9.1} {:>9.2} {:>9.2} {:>9.2} {:>7}\n",
            line.scenario,
            line.requests,
            line.rps,
            line.p50_ms,
            line.p95_ms,
            line.p99_ms,
            line.errors
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_pick_from_sorted_samples() {
        let samples: Vec<u32> = (1..=100).map(|ms| ms * 1000).collect();
        assert_eq!(quantile(&samples, 0.5), 51.0);
        assert_eq!(quantile(&samples, 0.99), 99.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }
}
