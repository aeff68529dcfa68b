//! A real browser for the pages the server serves: Debian's headless
//! Chromium, started afresh for each page, for which every host but this
//! machine does not exist. A page that reaches for another origin (a CDN, a
//! font) then breaks as it would on a city network cut off from the
//! internet.
//!
//! Pages are driven through ChromeDriver over the W3C WebDriver protocol
//! ([`Browser`]: typing, clicking at a point, running a script, reading the
//! console, screenshots), spoken here with the HTTP client the tests
//! already have.
//!
//! Without Chromium (and ChromeDriver) the page tests say so and pass, as
//! the PostgreSQL half does without a server;
//! `GRIDGOV_TEST_REQUIRE_BROWSER=1` (set by `.ci/run`, which installs them)
//! makes that a failure.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub struct Chromium {
    program: PathBuf,
    driver: PathBuf,
}

/// The switches every start of the browser gets.
const SWITCHES: [&str; 10] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    // Every name but the server's own resolves to nothing.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
];

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

impl Chromium {
    /// `GRIDGOV_TEST_CHROMIUM` and `GRIDGOV_TEST_CHROMEDRIVER`, or Debian's
    /// `chromium` and `chromedriver` on the `PATH`.
    pub fn find() -> Option<Chromium> {
        let program = std::env::var_os("GRIDGOV_TEST_CHROMIUM")
            .map(PathBuf::from)
            .or_else(|| on_path("chromium"));
        let driver = std::env::var_os("GRIDGOV_TEST_CHROMEDRIVER")
            .map(PathBuf::from)
            .or_else(|| on_path("chromedriver"));
        match (program, driver) {
            (Some(program), Some(driver)) => Some(Chromium { program, driver }),
            _ if required() => {
                panic!(
                    "GRIDGOV_TEST_REQUIRE_BROWSER is set but chromium or chromedriver is not installed"
                )
            }
            _ => {
                // Past the test harness's capture, as the PostgreSQL half's.
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "\nBROWSER TEST SKIPPED: no chromium and chromedriver on the PATH \
                     (apt-get install chromium chromium-driver; \
                     GRIDGOV_TEST_REQUIRE_BROWSER=1 makes this a failure)\n"
                );
                None
            }
        }
    }

    /// A browser window of `width` × `height` driven through ChromeDriver.
    pub async fn open(&self, width: u32, height: u32) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        // In a process group of its own, so that the browser it starts goes
        // with it, whatever way the test ends.
        let driver = Command::new(&self.driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        let profile = std::env::temp_dir().join(format!(
            "gridgov-test-chromium-{}-{}",
            std::process::id(),
            NEXT_PROFILE.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ));
        let mut browser = Browser {
            http: reqwest::Client::new(),
            base: format!("http://127.0.0.1:{port}"),
            session: String::new(),
            driver,
            profile,
        };
        let started = Instant::now();
        loop {
            let ready = browser
                .http
                .get(format!("{}/status", browser.base))
                .send()
                .await
                .ok();
            if let Some(answer) = ready
                && let Ok(status) = answer.json::<Value>().await
                && status["value"]["ready"] == true
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut args: Vec<String> = SWITCHES.iter().map(|s| (*s).to_owned()).collect();
        args.push(format!("--user-data-dir={}", browser.profile.display()));
        args.push(format!("--window-size={width},{height}"));
        let created = browser
            .call(
                reqwest::Method::POST,
                "/session",
                json!({"capabilities": {"alwaysMatch": {
                    "goog:chromeOptions": {"binary": self.program, "args": args},
                    // The console's errors are read back: a blocked or
                    // failed load of another origin shows up there.
                    "goog:loggingPrefs": {"browser": "ALL"},
                }}}),
            )
            .await;
        browser.session = created["sessionId"]
            .as_str()
            .expect("a session id")
            .to_owned();
        browser
    }
}

/// One browser window, driven over WebDriver; closed when dropped.
pub struct Browser {
    http: reqwest::Client,
    base: String,
    session: String,
    driver: Child,
    profile: PathBuf,
}

/// How WebDriver names an element in its answers.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let path = if path == "/session" {
            path.to_owned()
        } else {
            format!("/session/{}{path}", self.session)
        };
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if method == reqwest::Method::POST {
            request = request.json(&body);
        }
        let answer: Value = request
            .send()
            .await
            .expect("chromedriver answers")
            .json()
            .await
            .expect("WebDriver JSON");
        assert!(
            answer["value"]["error"].is_null(),
            "WebDriver {path}: {}",
            answer["value"]
        );
        answer["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({"url": url}))
            .await;
    }

    async fn element(&self, css: &str) -> String {
        let found = self
            .call(
                reqwest::Method::POST,
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await;
        found[ELEMENT].as_str().expect("an element").to_owned()
    }

    /// Types `text` into the field `css` names.
    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.element(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            json!({"text": text}),
        )
        .await;
    }

    /// Clicks the element `css` names, as a user would.
    pub async fn click(&self, css: &str) {
        let element = self.element(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            json!({}),
        )
        .await;
    }

    /// A real pointer click at `(x, y)` pixels from the top left corner of
    /// the element `css` names.
    pub async fn click_at(&self, css: &str, x: i64, y: i64) {
        let element = self.element(css).await;
        let rect = self
            .call(
                reqwest::Method::GET,
                &format!("/element/{element}/rect"),
                Value::Null,
            )
            .await;
        let half = |key: &str| (rect[key].as_f64().expect("a size") / 2.0).floor() as i64;
        let pointer = json!({"actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [
                {"type": "pointerMove", "duration": 0,
                 "origin": {ELEMENT: element}, "x": x - half("width"), "y": y - half("height")},
                {"type": "pointerDown", "button": 0},
                {"type": "pointerUp", "button": 0},
            ],
        }]});
        self.call(reqwest::Method::POST, "/actions", pointer).await;
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the
    /// page and returns what it returns.
    pub async fn run(&self, script: &str, args: Value) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            json!({"script": script, "args": args}),
        )
        .await
    }

    /// Polls `script` until it returns something other than null or
    /// false, and returns that; panics after `limit`, saying `what`.
    pub async fn wait_for(&self, what: &str, script: &str, args: Value, limit: Duration) -> Value {
        let started = Instant::now();
        loop {
            let value = self.run(script, args.clone()).await;
            if !value.is_null() && value != false {
                return value;
            }
            assert!(started.elapsed() < limit, "waited {limit:?} for {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The console's errors since the last call: blocked loads (CSP),
    /// failed ones (an unresolvable host), script errors.
    pub async fn console_errors(&self) -> Vec<String> {
        let entries = self
            .call(reqwest::Method::POST, "/se/log", json!({"type": "browser"}))
            .await;
        entries
            .as_array()
            .expect("log entries")
            .iter()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// The window as a PNG, written to `path`.
    pub async fn screenshot(&self, path: &Path) {
        use base64::Engine;
        let picture = self
            .call(reqwest::Method::GET, "/screenshot", Value::Null)
            .await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(picture.as_str().expect("base64"))
            .expect("a PNG");
        std::fs::write(path, bytes).expect("write the screenshot");
    }

    /// Ends the session and the driver.
    pub async fn close(mut self) {
        self.call(reqwest::Method::DELETE, "", Value::Null).await;
        self.stop();
    }

    fn stop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.stop();
    }
}

static NEXT_PROFILE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn required() -> bool {
    std::env::var("GRIDGOV_TEST_REQUIRE_BROWSER").is_ok_and(|v| v == "1" || v == "true")
}
