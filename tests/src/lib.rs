//! The harness of the end-to-end tests: start the real server on a fresh
//! database of each backend, talk to it over HTTP, tear it down.
//!
//! SQLite always runs. PostgreSQL runs when a server answers at
//! `GRIDGOV_TEST_POSTGRES_URL` (default
//! `postgres://gridgov:gridgov@127.0.0.1:5432/postgres`); each test gets a
//! database of its own, dropped afterwards. With
//! `GRIDGOV_TEST_REQUIRE_POSTGRES=1` (as `.ci/run` sets) a missing server
//! fails the test instead of skipping its PostgreSQL half.

pub mod browser;
mod draw;
pub use draw::Draw;
pub mod model;

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use gridgov::config::{
    AdmissionConfig, AuthConfig, DatabaseConfig, LimitsConfig, SeedConfig, ServeConfig,
};
use gridgov::server::{self, RunningServer};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

/// Residents in a test city: enough for every grid to have people, small
/// enough to seed in about a second.
pub const TEST_RESIDENTS: u32 = 3_000;
pub const TEST_SEED: u64 = 20_261_126;
pub const DEMO_PASSWORD: &str = "gridgov-demo";

const DEFAULT_POSTGRES: &str = "postgres://gridgov:gridgov@127.0.0.1:5432/postgres";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

static NEXT_DATABASE: AtomicUsize = AtomicUsize::new(0);

/// A database made for one test, removed when the test is done.
pub struct TestDatabase {
    pub backend: Backend,
    pub config: DatabaseConfig,
    cleanup: Cleanup,
}

enum Cleanup {
    Nothing,
    Directory(PathBuf),
    /// The database, and the data directory its keys and demo registry
    /// files were kept in.
    PostgresDatabase {
        admin_url: String,
        name: String,
        dir: PathBuf,
    },
}

impl Cleanup {
    /// Removes the test's directory now, leaving nothing to clean up; the
    /// PostgreSQL database still to drop (its server, its name), if any.
    fn take_directory(&mut self) -> Option<(String, String)> {
        match std::mem::replace(self, Cleanup::Nothing) {
            Cleanup::Nothing => None,
            Cleanup::Directory(dir) => {
                let _ = std::fs::remove_dir_all(dir);
                None
            }
            Cleanup::PostgresDatabase {
                admin_url,
                name,
                dir,
            } => {
                let _ = std::fs::remove_dir_all(dir);
                Some((admin_url, name))
            }
        }
    }
}

impl TestDatabase {
    /// A fresh, empty database; `None` when the backend is PostgreSQL and no
    /// server answers (and none is required).
    pub async fn create(backend: Backend) -> Option<TestDatabase> {
        let unique = format!(
            "{}_{}",
            std::process::id(),
            NEXT_DATABASE.fetch_add(1, Ordering::SeqCst)
        );
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("gridgov-test-{unique}"));
                let _ = std::fs::remove_dir_all(&dir);
                Some(TestDatabase {
                    backend,
                    config: database_config(None, dir.clone()),
                    cleanup: Cleanup::Directory(dir),
                })
            }
            Backend::Postgres => {
                let admin_url = std::env::var("GRIDGOV_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned());
                let admin = match Database::connect(&admin_url).await {
                    Ok(admin) => admin,
                    Err(err) => {
                        if postgres_required() {
                            panic!(
                                "GRIDGOV_TEST_REQUIRE_POSTGRES is set but PostgreSQL at {} does not answer: {err}",
                                gridgov::config::redact_password(&admin_url)
                            );
                        }
                        say_postgres_is_skipped(&admin_url, &err);
                        return None;
                    }
                };
                let name = format!("gridgov_test_{unique}");
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}"))
                    .await
                    .expect("drop an old test database");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create a test database");
                let _ = admin.close().await;
                let url = replace_database(&admin_url, &name);
                let dir = std::env::temp_dir().join(format!("gridgov-test-{unique}"));
                let _ = std::fs::remove_dir_all(&dir);
                Some(TestDatabase {
                    backend,
                    config: database_config(Some(url), dir.clone()),
                    cleanup: Cleanup::PostgresDatabase {
                        admin_url,
                        name,
                        dir,
                    },
                })
            }
        }
    }

    /// The database another test server already uses, without taking
    /// charge of removing it: for a second replica.
    pub fn share(server: &TestServer) -> TestDatabase {
        TestDatabase {
            backend: server.backend,
            config: server.database.config.clone(),
            cleanup: Cleanup::Nothing,
        }
    }

    pub async fn connect(&self) -> DatabaseConnection {
        gridgov::db::connect(&self.config)
            .await
            .expect("connect to the test database")
    }

    /// Removes what the test made, now (dropping does the same).
    pub async fn drop_database(mut self) {
        // On this runtime, not a blocked thread: a stopped server's pool may
        // still be reconnecting, and PostgreSQL's DROP DATABASE waits for
        // every backend to pass a barrier, which one still authenticating
        // does not until the client answers (or for a minute).
        if let Some((admin_url, name)) = self.cleanup.take_directory() {
            drop_postgres(&admin_url, &name).await;
        }
    }
}

impl Drop for TestDatabase {
    /// A test that failed never reached [`TestDatabase::drop_database`]:
    /// what it made is removed anyway, so that failures do not pile up
    /// databases on the server. On a thread of its own, since the test's
    /// runtime may be the one unwinding.
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.cleanup.take_directory() {
            let _ = std::thread::spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(drop_postgres(&admin_url, &name));
            })
            .join();
        }
    }
}

/// Drops a test database, whoever is still connected to it. Tried a few
/// times: a busy server may refuse a connection for a moment (its slots
/// taken by the suite's pools), and a refusal left databases behind
/// unseen. What still fails is said on stderr.
async fn drop_postgres(admin_url: &str, name: &str) {
    let mut last = None;
    for attempt in 0..5 {
        if attempt > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
        let admin = match Database::connect(admin_url).await {
            Ok(admin) => admin,
            Err(err) => {
                last = Some(err);
                continue;
            }
        };
        let dropped = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
        let _ = admin.close().await;
        match dropped {
            Ok(_) => return,
            Err(err) => last = Some(err),
        }
    }
    if let Some(err) = last {
        eprintln!("DROPPING TEST DATABASE {name} FAILED: {err}");
    }
}

/// Says once per test binary, outside the harness's capture (so that it
/// shows in the normal output), that the PostgreSQL half is skipped and why.
fn say_postgres_is_skipped(admin_url: &str, err: &sea_orm::DbErr) {
    use std::io::Write;
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "\nPOSTGRESQL HALF SKIPPED: {} did not accept a connection: {err}\n\
             (set GRIDGOV_TEST_POSTGRES_URL to a role that may create databases; \
             GRIDGOV_TEST_REQUIRE_POSTGRES=1 makes this a failure)\n",
            gridgov::config::redact_password(admin_url)
        );
    });
}

fn postgres_required() -> bool {
    std::env::var("GRIDGOV_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1" || v == "true")
}

/// Requests' connections of a test server on SQLite, where every read and
/// write shares one pool: with one, a request that holds a connection (a
/// transaction) and asks the pool for another waits for itself and fails
/// as UNAVAILABLE in every run, not only when a busy server's pool runs
/// dry. PostgreSQL's servers keep several, so that concurrent writers
/// really race in the database.
pub const SQLITE_POOL: u32 = 1;
pub const POSTGRES_POOL: u32 = 5;

fn database_config(url: Option<String>, data_dir: PathBuf) -> DatabaseConfig {
    DatabaseConfig {
        db_max_connections: if url.is_some() {
            POSTGRES_POOL
        } else {
            SQLITE_POOL
        },
        database_url: url,
        data_dir,
        db_acquire_timeout_ms: 2_000,
        audit_key: None,
        match_key: None,
    }
}

/// The same server URL with another database name.
fn replace_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let without_db = match base.rfind('/') {
        Some(slash) if slash > base.find("://").map_or(0, |i| i + 2) => &base[..slash],
        _ => base,
    };
    match query {
        Some(query) => format!("{without_db}/{database}?{query}"),
        None => format!("{without_db}/{database}"),
    }
}

pub fn test_serve_config(database: DatabaseConfig) -> ServeConfig {
    ServeConfig {
        listen: "127.0.0.1:0".parse().expect("valid address"),
        no_seed: false,
        suppress_below: 5,
        log_sql: false,
        graphiql: true,
        photo_dir: None,
        database,
        seed: SeedConfig {
            residents: TEST_RESIDENTS,
            seed: TEST_SEED,
            batch: 500,
            no_registries: false,
        },
        limits: LimitsConfig {
            max_depth: 12,
            max_complexity: 5_000,
            max_body_bytes: 256 * 1024,
            request_timeout_secs: 30,
            upload_timeout_secs: 600,
            introspection: true,
            max_aliases: 30,
            max_root_fields: 20,
            max_batch: 10,
            max_tokens: 10_000,
            max_nesting: 32,
            max_directives: 50,
            max_fields: 2_000,
        },
        // The defaults, but for the rate (tests walk hundreds of pages as
        // one user as fast as the server answers) and the wait: with four
        // tests on two cores a slot can take longer to free than a user
        // would wait for it. The fairness tests set their own.
        admission: AdmissionConfig {
            caller_rate: 0.0,
            caller_burst: 100.0,
            caller_concurrency: 8,
            // Not four per connection: one SQLite connection would leave
            // room for four operations, too few for the concurrency tests.
            max_running: Some(4 * POSTGRES_POOL as usize),
            max_scans: None,
            queue_wait_ms: 10_000,
        },
        auth: AuthConfig {
            jwt_secret: Some("a test secret of at least thirty-two bytes".to_owned()),
            jwt_private_key_file: None,
            jwt_public_key_file: None,
            access_token_seconds: 900,
            refresh_token_days: 30,
        },
    }
}

/// A running server on its own seeded database, and a client for it.
pub struct TestServer {
    pub backend: Backend,
    pub base_url: String,
    pub client: reqwest::Client,
    server: RunningServer,
    database: TestDatabase,
}

impl TestServer {
    pub async fn start(backend: Backend) -> Option<TestServer> {
        let database = TestDatabase::create(backend).await?;
        Some(Self::start_on(database, |_| {}).await)
    }

    /// Starts on `database` with the test configuration, adjusted by `adjust`.
    pub async fn start_on(
        database: TestDatabase,
        adjust: impl FnOnce(&mut ServeConfig),
    ) -> TestServer {
        let mut config = test_serve_config(database.config.clone());
        adjust(&mut config);
        let server = server::spawn(config).await.expect("server starts");
        TestServer {
            backend: database.backend,
            base_url: format!("http://{}", server.addr),
            client: reqwest::Client::new(),
            server,
            database,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// POSTs a GraphQL request without credentials and returns the whole
    /// response body.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        self.anonymous().graphql(query, variables).await
    }

    /// A client without credentials.
    pub fn anonymous(&self) -> Client<'_> {
        Client {
            server: self,
            bearer: None,
        }
    }

    /// A client presenting `bearer` (an access token or an API token).
    pub fn with_bearer(&self, bearer: &str) -> Client<'_> {
        Client {
            server: self,
            bearer: Some(bearer.to_owned()),
        }
    }

    /// Signs in as a demo account and returns a client carrying its token.
    pub async fn as_user(&self, username: &str) -> Client<'_> {
        let token = self.token_for(username).await;
        self.with_bearer(&token)
    }

    /// Signs in as a demo account and returns its access token.
    pub async fn token_for(&self, username: &str) -> String {
        let data = self
            .anonymous()
            .data(
                "mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) { session { accessToken } } }",
                json!({"u": username, "p": DEMO_PASSWORD}),
            )
            .await;
        data["login"]["session"]["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("{username} signs in: {data}"))
            .to_owned()
    }

    /// Opens a graphql-ws (graphql-transport-ws) connection on the GraphQL
    /// endpoint, authenticated in `connection_init`, and starts `query`.
    pub async fn subscribe(&self, token: &str, query: &str, variables: Value) -> Live {
        self.try_subscribe(token, query, variables)
            .await
            .expect("the server acknowledges the connection")
    }

    /// A graphql-ws (`graphql-transport-ws`) socket on the GraphQL
    /// endpoint, before anything is said on it.
    pub async fn open_socket(&self) -> Socket {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let url = self.url("/graphql").replacen("http://", "ws://", 1);
        let mut request = url.into_client_request().expect("a websocket request");
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-transport-ws".parse().expect("a header value"),
        );
        tokio_tungstenite::connect_async(request)
            .await
            .expect("the websocket opens")
            .0
    }

    /// What `/metrics` says.
    pub async fn metrics(&self) -> String {
        self.client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    }

    /// SQL statements the server has sent, from /metrics.
    pub async fn statements(&self) -> u64 {
        self.metrics()
            .await
            .lines()
            .find_map(|line| line.strip_prefix("gridgov_sql_statements_total "))
            .and_then(|n| n.trim().parse().ok())
            .expect("the statement counter")
    }

    /// Like [`TestServer::subscribe`], but `None` when the server refuses
    /// the connection.
    pub async fn try_subscribe(&self, token: &str, query: &str, variables: Value) -> Option<Live> {
        use futures_util::SinkExt;
        let mut socket = self.open_socket().await;
        let send =
            |value: Value| tokio_tungstenite::tungstenite::Message::Text(value.to_string().into());
        socket
            .send(send(json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}})))
            .await
            .expect("connection_init");
        let mut live = Live { socket };
        let ack = live.message(Duration::from_secs(10)).await?;
        if ack["type"] != "connection_ack" {
            return None;
        }
        live.socket
            .send(send(json!({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}})))
            .await
            .expect("subscribe");
        Some(live)
    }

    /// Opens a second connection to the server's database, for checks that
    /// look beneath the API.
    pub async fn db(&self) -> DatabaseConnection {
        self.database.connect().await
    }

    /// The key this server seals its audit rows with (kept in its data
    /// directory), as `gridgov audit verify` would read it.
    pub fn seal(&self) -> gridgov::audit::Seal {
        self.database.config.seal().expect("the audit key")
    }

    /// The directory this server keeps its keys in (`match-hmac.key`,
    /// `audit-hmac.key`).
    pub fn data_dir(&self) -> &std::path::Path {
        &self.database.config.data_dir
    }

    pub async fn stop(self) {
        self.server.shutdown().await.expect("server stops cleanly");
        self.database.drop_database().await;
    }

    /// Stops a replica that shares another server's database.
    pub async fn stop_keeping_database(self) {
        self.server.shutdown().await.expect("server stops cleanly");
    }

    /// Stops this server and, `pause` later, starts another on its database
    /// (which the new one cleans up when it stops), as after a restart.
    pub async fn restart(
        self,
        pause: std::time::Duration,
        adjust: impl FnOnce(&mut ServeConfig),
    ) -> TestServer {
        self.server.shutdown().await.expect("server stops cleanly");
        tokio::time::sleep(pause).await;
        TestServer::start_on(self.database, adjust).await
    }
}

/// Talks to a test server, with or without credentials.
pub struct Client<'a> {
    server: &'a TestServer,
    bearer: Option<String>,
}

impl Client<'_> {
    /// POSTs any JSON body to /graphql and returns the status and body.
    pub async fn post(&self, body: &Value) -> (reqwest::StatusCode, Value) {
        let mut request = self
            .server
            .client
            .post(self.server.url("/graphql"))
            .json(body);
        if let Some(bearer) = &self.bearer {
            request = request.bearer_auth(bearer);
        }
        let response = request.send().await.expect("request reaches the server");
        let status = response.status();
        (status, response.json().await.expect("a JSON body"))
    }

    /// POSTs a GraphQL request and returns the whole response body.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        self.post(&json!({"query": query, "variables": variables}))
            .await
            .1
    }

    /// POSTs a GraphQL request that must succeed (no errors, and no user
    /// errors in a mutation's payload), and returns its `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.graphql(query, variables).await;
        assert!(
            body.get("errors").is_none()
                && user_error(&body).is_none()
                && !refused_unseen(query, &body),
            "[{:?}] unexpected errors: {body:#}",
            self.server.backend
        );
        body["data"].clone()
    }
}

/// Runs `test` against a fresh server on SQLite, then on PostgreSQL when one
/// is reachable.
pub async fn on_each_backend<F, Fut>(test: F)
where
    F: Fn(TestServer) -> Fut,
    Fut: Future<Output = TestServer>,
{
    on_each_backend_with(|_| {}, test).await;
}

/// [`on_each_backend`], each server's configuration adjusted by `adjust`.
pub async fn on_each_backend_with<F, Fut>(adjust: fn(&mut ServeConfig), test: F)
where
    F: Fn(TestServer) -> Fut,
    Fut: Future<Output = TestServer>,
{
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if let Some(database) = TestDatabase::create(backend).await {
            let server = TestServer::start_on(database, adjust).await;
            let server = test(server).await;
            server.stop().await;
        }
    }
}

/// Runs `test` against a fresh, empty database of each backend.
pub async fn on_each_database<F, Fut>(test: F)
where
    F: Fn(TestDatabase) -> Fut,
    Fut: Future<Output = TestDatabase>,
{
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if let Some(database) = TestDatabase::create(backend).await {
            let database = test(database).await;
            database.drop_database().await;
        }
    }
}

/// Every node of a connection, all pages walked, `select` asked of each;
/// `totalCount` must count exactly what the pages hold. `within` is an
/// object field the list hangs from (`task(id: "…")`), or empty for a
/// top-level list.
pub async fn walk(client: &Client<'_>, within: &str, list: &str, select: &str) -> Vec<Value> {
    let page = format!(
        "{list}(first: 100, after: $after) {{ totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {select} }} }} }}"
    );
    let query = if within.is_empty() {
        format!("query($after: String) {{ {page} }}")
    } else {
        format!("query($after: String) {{ outer: {within} {{ {page} }} }}")
    };
    let mut nodes = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = client.data(&query, json!({"after": after})).await;
        let connection = if within.is_empty() {
            &data[list]
        } else {
            &data["outer"][list]
        };
        for edge in connection["edges"].as_array().expect("edges") {
            nodes.push(edge["node"].clone());
        }
        if connection["pageInfo"]["hasNextPage"] != true {
            assert_eq!(
                connection["totalCount"].as_u64(),
                Some(nodes.len() as u64),
                "{within} {list}: totalCount counts visible rows only"
            );
            return nodes;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
}

/// The global ID of the department with `code`, as inputs name departments.
pub async fn department_id(client: &Client<'_>, code: &str) -> String {
    let data = client.data("{ departments { id code } }", json!({})).await;
    data["departments"]
        .as_array()
        .expect("departments")
        .iter()
        .find(|department| department["code"] == code)
        .and_then(|department| department["id"].as_str())
        .unwrap_or_else(|| panic!("no department {code}"))
        .to_owned()
}

/// The worker's pending assignment of the task `task` picks out (its
/// `task { id title }` is asked), with `fields` besides `id version task`.
pub async fn pending_assignment(
    worker: &Client<'_>,
    fields: &str,
    task: impl Fn(&Value) -> bool,
) -> Value {
    let query = format!(
        "{{ myAssignments(filter: {{states: [PENDING]}}, first: 100) {{ nodes {{ id version task {{ id title }} {fields} }} }} }}"
    );
    let mine = worker.data(&query, json!({})).await;
    mine["myAssignments"]["nodes"]
        .as_array()
        .expect("assignments")
        .iter()
        .find(|assignment| task(&assignment["task"]))
        .unwrap_or_else(|| panic!("no pending assignment of that task: {mine}"))
        .clone()
}

/// A token input naming its department by code (as a reader of the test
/// thinks of it) turned into the form the API takes, by ID.
pub async fn by_department_id(client: &Client<'_>, mut input: Value) -> Value {
    if let Some(code) = input["departmentCode"].as_str().map(str::to_owned) {
        let id = department_id(client, &code).await;
        if let Some(fields) = input.as_object_mut() {
            fields.remove("departmentCode");
            fields.insert("departmentId".to_owned(), json!(id));
        }
    }
    input
}

/// The global ID of a stored row (`Kind:key`, base64), as the API names it.
pub fn global_key(kind: &str, key: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{key}"))
}

/// The stored key of a global ID (`Kind:key`, base64), as a test compares
/// it with rows read from the database.
pub fn stored_key(global: &Value) -> i64 {
    use base64::Engine;
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(global.as_str().expect("an id"))
        .expect("base64");
    String::from_utf8(text)
        .expect("utf-8")
        .rsplit(':')
        .next()
        .and_then(|key| key.parse().ok())
        .expect("a numeric key")
}

/// A role subject as an input names it, from the policy store's form
/// (`user:NAME`, `dept:CODE`).
pub fn subject(stored: &str) -> Value {
    match stored.split_once(':') {
        Some(("user", name)) => json!({"kind": "USER", "name": name}),
        Some(("dept", code)) => json!({"kind": "DEPARTMENT", "name": code}),
        _ => panic!("not a subject: {stored}"),
    }
}

/// A file of a GraphQL multipart request: where in the operations it goes
/// (`variables.input.file`; several places for a batch), its name, type
/// and bytes.
pub struct UploadFile<'a> {
    pub paths: &'a [&'a str],
    pub name: &'a str,
    pub kind: &'a str,
    pub bytes: &'a [u8],
}

/// Sends `operations` with `files` as a GraphQL multipart request
/// (operations, map, files), as `token` sends it: the status and the body.
pub async fn upload(
    server: &TestServer,
    token: Option<&str>,
    operations: &Value,
    files: &[UploadFile<'_>],
) -> (u16, Value) {
    const BOUNDARY: &str = "gridgov-test-boundary";
    let map: serde_json::Map<String, Value> = files
        .iter()
        .enumerate()
        .map(|(n, file)| (n.to_string(), json!(file.paths)))
        .collect();
    let mut body = Vec::new();
    let mut part = |headers: String, content: &[u8]| {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n{headers}\r\n\r\n").as_bytes());
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    };
    part(
        "Content-Disposition: form-data; name=\"operations\"".to_owned(),
        operations.to_string().as_bytes(),
    );
    part(
        "Content-Disposition: form-data; name=\"map\"".to_owned(),
        Value::Object(map).to_string().as_bytes(),
    );
    for (n, file) in files.iter().enumerate() {
        part(
            format!(
                "Content-Disposition: form-data; name=\"{n}\"; filename=\"{}\"\r\nContent-Type: {}",
                file.name, file.kind
            ),
            file.bytes,
        );
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    let mut request = server
        .client
        .post(server.url("/graphql"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// GB 11643's check character of an ID number's first 17 digits, written
/// again here.
pub fn check_character(first17: &str) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][(sum % 11) as usize]
}

/// The `extensions.code` of the first error of a response.
pub fn error_code(body: &Value) -> Option<&str> {
    body["errors"][0]["extensions"]["code"].as_str()
}

/// The first of a mutation's `userErrors` in a response, whichever
/// mutation answered.
fn first_user_error(body: &Value) -> Option<&Value> {
    body["data"]
        .as_object()?
        .values()
        .find_map(|payload| payload["userErrors"].as_array()?.first())
}

/// Whether a mutation that did not ask for its `userErrors` was refused:
/// every field of its payload came back null.
fn refused_unseen(query: &str, body: &Value) -> bool {
    if !query.trim_start().starts_with("mutation") {
        return false;
    }
    body["data"].as_object().is_some_and(|data| {
        data.values().any(|payload| {
            payload.as_object().is_some_and(|fields| {
                !fields.contains_key("userErrors")
                    && !fields.is_empty()
                    && fields.values().all(Value::is_null)
            })
        })
    })
}

/// The code of the first of a mutation's `userErrors` in a response.
pub fn user_error(body: &Value) -> Option<&str> {
    first_user_error(body)?["code"].as_str()
}

/// The message of the first of a mutation's `userErrors`; empty when none.
pub fn user_message(body: &Value) -> &str {
    first_user_error(body)
        .and_then(|error| error["message"].as_str())
        .unwrap_or_default()
}

/// The field path of the first of a mutation's `userErrors`, joined by
/// dots (`input.idNumber`).
pub fn user_error_field(body: &Value) -> Option<String> {
    let path = first_user_error(body)?["field"].as_array()?;
    Some(
        path.iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// A graphql-ws socket.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A live graphql-ws subscription.
pub struct Live {
    socket: Socket,
}

impl Live {
    /// The next protocol message, answering pings; `None` when the socket
    /// closes or nothing comes within `wait`.
    async fn message(&mut self, wait: Duration) -> Option<Value> {
        use futures_util::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::Message;
        loop {
            let received = tokio::time::timeout(wait, self.socket.next())
                .await
                .ok()??;
            match received.ok()? {
                Message::Text(text) => {
                    let message: Value = serde_json::from_str(&text).ok()?;
                    if message["type"] == "ping" {
                        let pong = Message::Text(json!({"type": "pong"}).to_string().into());
                        self.socket.send(pong).await.ok()?;
                        continue;
                    }
                    return Some(message);
                }
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// Starts a second subscription, `query`, on the same connection; its
    /// events come through [`Live::next`] with the first's.
    pub async fn also(&mut self, query: &str) {
        use futures_util::SinkExt;
        let subscribe = json!({"id": "2", "type": "subscribe", "payload": {"query": query}});
        self.socket
            .send(tokio_tungstenite::tungstenite::Message::Text(
                subscribe.to_string().into(),
            ))
            .await
            .expect("subscribe");
    }

    /// Waits until the server really listens: the subscribe message is
    /// answered by nothing, so `poke` (anything that sends this subscription
    /// an event) is repeated until an event comes, and every event the pokes
    /// caused is then drained.
    pub async fn until_live<F, Fut>(&mut self, mut poke: F)
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = ()>,
    {
        for _ in 0..40 {
            poke().await;
            if self.next(Duration::from_millis(250)).await.is_some() {
                while self.next(Duration::from_millis(500)).await.is_some() {}
                return;
            }
        }
        panic!("the subscription never went live");
    }

    /// The data of the next event, or `None` when the stream completes, the
    /// socket closes, or nothing comes within `wait`. An error message is a
    /// panic.
    pub async fn next(&mut self, wait: Duration) -> Option<Value> {
        Some(self.next_payload(wait).await?["data"].clone())
    }

    /// Whether the server completes the stream (or closes the socket)
    /// within `wait`, before any other message.
    pub async fn completes(&mut self, wait: Duration) -> bool {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        match tokio::time::timeout(wait, self.socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => serde_json::from_str::<Value>(&text)
                .is_ok_and(|message| message["type"] == "complete"),
            Ok(Some(Ok(Message::Close(_))) | None) => true,
            _ => false,
        }
    }

    /// The next event whole (`data` and `errors`), or `None` when the
    /// stream completes, the socket closes, or nothing comes within `wait`.
    pub async fn next_payload(&mut self, wait: Duration) -> Option<Value> {
        let message = self.message(wait).await?;
        match message["type"].as_str() {
            Some("next") => Some(message["payload"].clone()),
            Some("complete") => None,
            _ => panic!("unexpected subscription message: {message}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn database_names_are_replaced() {
        assert_eq!(
            replace_database("postgres://u:p@h:5432/postgres", "t1"),
            "postgres://u:p@h:5432/t1"
        );
        assert_eq!(
            replace_database("postgres://u:p@h/postgres?sslmode=disable", "t1"),
            "postgres://u:p@h/t1?sslmode=disable"
        );
    }
}
