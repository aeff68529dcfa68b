//! A real browser for the pages the server serves: Debian's headless
//! Chromium, started afresh for each page, for which every host but this
//! machine does not exist. A page that reaches for another origin (a CDN, a
//! font) then breaks as it would on a city network cut off from the
//! internet.
//!
//! Without Chromium the page tests say so and pass, as the PostgreSQL half
//! does without a server; `GRIDGOV_TEST_REQUIRE_BROWSER=1` (set by
//! `.ci/run`, which installs it) makes that a failure.

use std::path::PathBuf;
use std::process::Command;

pub struct Chromium {
    program: PathBuf,
}

impl Chromium {
    /// `GRIDGOV_TEST_CHROMIUM`, or Debian's `chromium` on the `PATH`.
    pub fn find() -> Option<Chromium> {
        let program = std::env::var_os("GRIDGOV_TEST_CHROMIUM")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("PATH").and_then(|path| {
                    std::env::split_paths(&path)
                        .map(|dir| dir.join("chromium"))
                        .find(|candidate| candidate.is_file())
                })
            });
        match program {
            Some(program) => Some(Chromium { program }),
            None if required() => {
                panic!("GRIDGOV_TEST_REQUIRE_BROWSER is set but no chromium is installed")
            }
            None => {
                // Past the test harness's capture, as the PostgreSQL half's.
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "\nBROWSER TEST SKIPPED: no chromium on the PATH \
                     (apt-get install chromium; GRIDGOV_TEST_REQUIRE_BROWSER=1 makes this a failure)\n"
                );
                None
            }
        }
    }

    /// The page at `url` as the browser has built it once its scripts have
    /// run and gone quiet (up to `budget_ms` of the page's own time).
    pub async fn rendered(&self, url: &str, budget_ms: u32) -> String {
        let profile = std::env::temp_dir().join(format!(
            "gridgov-test-chromium-{}-{}",
            std::process::id(),
            NEXT_PROFILE.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ));
        let mut command = Command::new(&self.program);
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                // Every name but the server's own resolves to nothing.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!("--virtual-time-budget={budget_ms}"))
            .arg("--dump-dom")
            .arg(url);
        let output = tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("the browser's task")
            .expect("chromium starts");
        let _ = std::fs::remove_dir_all(&profile);
        assert!(
            output.status.success(),
            "chromium failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

static NEXT_PROFILE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn required() -> bool {
    std::env::var("GRIDGOV_TEST_REQUIRE_BROWSER").is_ok_and(|v| v == "1" || v == "true")
}
