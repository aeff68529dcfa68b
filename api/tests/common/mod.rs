//! Starting the real binary for a test, as a supervisor would.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub const BINARY: &str = env!("CARGO_BIN_EXE_gridgov");

/// A server process serving on a fresh data directory, and what it printed
/// before saying where it serves.
pub struct Serving {
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    pub printed: Vec<String>,
}

/// Starts `gridgov` with `args` on `data_dir` (no `DATABASE_URL`), reads
/// its output up to the line that says where it serves, and keeps reading
/// the rest in the background.
pub fn serve(args: &[&str], data_dir: &Path) -> Serving {
    let mut child = Command::new(BINARY)
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("gridgov starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut printed = Vec::new();
    let mut address = None;
    for line in lines.by_ref() {
        let line = line.expect("readable output");
        if let Some(url) = line.trim().strip_prefix("GraphQL") {
            address = Some(url.trim().trim_end_matches("/graphql").to_owned());
            break;
        }
        printed.push(line);
    }
    std::thread::spawn(move || lines.for_each(drop));
    Serving {
        child,
        address: address.expect("the server prints where it serves"),
        printed,
    }
}
