//! Configuration, from flags and the environment. Every setting has a
//! default that runs the embedded trial: SQLite under `./data`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

/// Where the data lives.
#[derive(Args, Debug, Clone)]
pub struct DatabaseConfig {
    /// Database to use: `sqlite://PATH` or `postgres://USER:PASSWORD@HOST/DB`.
    /// Defaults to a SQLite file in the data directory.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Directory for the embedded database and generated keys.
    #[arg(long, env = "GRIDGOV_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Database connections for requests, opened at start and kept. On
    /// PostgreSQL a second pool of this size serves statements planned once
    /// (rows by id, unfiltered pages, residents by a key). The server's own work (the audit
    /// chain, policy reloads, the listeners for live events and policy
    /// changes) has four more of its own.
    #[arg(long, env = "GRIDGOV_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,

    /// Longest a request waits for a database connection, in milliseconds;
    /// past it (a lost database, a pool used up) the request fails fast as
    /// UNAVAILABLE, to be retried.
    #[arg(long, env = "GRIDGOV_DB_ACQUIRE_TIMEOUT_MS", default_value_t = 2_000)]
    pub db_acquire_timeout_ms: u64,

    /// Key (32 bytes or more) the audit log's rows and chain are sealed
    /// with, shared by all replicas and by `gridgov audit verify`. Without
    /// it a key is made and kept in the data directory.
    #[arg(long, env = "GRIDGOV_AUDIT_KEY", hide_env_values = true)]
    pub audit_key: Option<String>,

    /// Key (32 bytes or more) ID numbers are hashed under to compare the
    /// record with outside registries, shared by all replicas and the
    /// command line. Without it a key is made and kept in the data
    /// directory (match-hmac.key). Another key matches nothing, so the
    /// server refuses to start with one.
    #[arg(long, env = "GRIDGOV_MATCH_KEY", hide_env_values = true)]
    pub match_key: Option<String>,
}

impl DatabaseConfig {
    /// The URL to connect to: the configured one, or the embedded SQLite file.
    pub fn url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("gridgov.db").display()
            ),
        }
    }

    /// The key audit rows are sealed with.
    pub fn seal(&self) -> Result<crate::audit::Seal, crate::auth::secret::KeptSecretError> {
        crate::audit::Seal::from_config(self.audit_key.as_deref(), &self.data_dir)
    }

    /// The key ID numbers are hashed under for matching.
    pub fn match_key(
        &self,
    ) -> Result<crate::domain::registries::matching::MatchKey, crate::auth::secret::KeptSecretError>
    {
        crate::domain::registries::matching::MatchKey::from_config(
            self.match_key.as_deref(),
            &self.data_dir,
        )
    }

    /// The URL with any password replaced, fit to print or log.
    pub fn url_for_display(&self) -> String {
        redact_password(&self.url())
    }
}

/// How the demo city is built.
#[derive(Args, Debug, Clone)]
pub struct SeedConfig {
    /// Number of residents in the demo city: by default the full city, at
    /// the density of real grids (about 535 people each).
    #[arg(
        long = "residents",
        env = "GRIDGOV_SEED_RESIDENTS",
        default_value_t = 600_000
    )]
    pub residents: u32,

    /// Seed of the generator: the same number builds the same city.
    #[arg(long = "seed", env = "GRIDGOV_SEED", default_value_t = 20_261_126)]
    pub seed: u64,

    /// Rows per INSERT statement while bulk loading.
    #[arg(long, env = "GRIDGOV_SEED_BATCH", default_value_t = 500, hide = true)]
    pub batch: usize,

    /// Do not write the demo's registry files (DATA_DIR/registries/*.csv,
    /// with planted discrepancies), import them and compare the city with
    /// them after seeding.
    #[arg(long, env = "GRIDGOV_SEED_NO_REGISTRIES")]
    pub no_registries: bool,
}

/// Limits on what one GraphQL request may ask for.
#[derive(Args, Debug, Clone)]
pub struct LimitsConfig {
    /// Deepest nesting of selections a query may have.
    #[arg(long, env = "GRIDGOV_MAX_DEPTH", default_value_t = 12)]
    pub max_depth: usize,

    /// Highest complexity (roughly: fields times page sizes) a query may have.
    #[arg(long, env = "GRIDGOV_MAX_COMPLEXITY", default_value_t = 5_000)]
    pub max_complexity: usize,

    /// Largest request body, in bytes.
    #[arg(long, env = "GRIDGOV_MAX_BODY_BYTES", default_value_t = 256 * 1024)]
    pub max_body_bytes: usize,

    /// Longest a request may run, in seconds.
    #[arg(long, env = "GRIDGOV_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Longest a multipart request's files may take to arrive, and a
    /// request sending a file over 5 MiB (a registry's, read as it arrives)
    /// may run, in seconds; at most an hour, after which an import still
    /// loading is taken for abandoned.
    #[arg(long, env = "GRIDGOV_UPLOAD_TIMEOUT_SECS", default_value_t = 600,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub upload_timeout_secs: u64,

    /// Most aliased fields a query may use.
    #[arg(long, env = "GRIDGOV_MAX_ALIASES", default_value_t = 30)]
    pub max_aliases: usize,

    /// Most top-level fields one operation may ask for.
    #[arg(long, env = "GRIDGOV_MAX_ROOT_FIELDS", default_value_t = 20)]
    pub max_root_fields: usize,

    /// Most operations one batched request may carry.
    #[arg(long, env = "GRIDGOV_MAX_BATCH", default_value_t = 10)]
    pub max_batch: usize,

    /// Allow schema introspection (GraphiQL needs it).
    #[arg(long, env = "GRIDGOV_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub introspection: bool,

    /// Most lexical tokens a document may hold, checked before it is parsed.
    #[arg(long, env = "GRIDGOV_MAX_TOKENS", default_value_t = 10_000)]
    pub max_tokens: usize,

    /// Most brackets a document may have open at once: selections, lists
    /// and objects in input values, and arguments together.
    #[arg(long, env = "GRIDGOV_MAX_NESTING", default_value_t = 32)]
    pub max_nesting: usize,

    /// Most directives a document may use.
    #[arg(long, env = "GRIDGOV_MAX_DIRECTIVES", default_value_t = 50)]
    pub max_directives: usize,

    /// Most fields an operation may select, each fragment counted every
    /// time it is spread.
    #[arg(long, env = "GRIDGOV_MAX_FIELDS", default_value_t = 2_000)]
    pub max_fields: usize,
}

impl LimitsConfig {
    /// The bounds every document is checked against before any work that
    /// grows with it.
    pub fn bounds(&self) -> crate::graphql::bounds::Bounds {
        crate::graphql::bounds::Bounds {
            max_tokens: self.max_tokens,
            max_nesting: self.max_nesting,
            max_directives: self.max_directives,
            max_fields: self.max_fields,
            max_aliases: self.max_aliases,
            max_root_fields: self.max_root_fields,
        }
    }
}

/// How much one caller, and the server as a whole, may take on at once.
/// The limits hold per replica.
#[derive(Args, Debug, Clone)]
pub struct AdmissionConfig {
    /// Operations one caller (a user, a token, an anonymous address) may
    /// start per second on average; 0 for no limit. Past it: RATE_LIMITED
    /// with Retry-After.
    #[arg(long, env = "GRIDGOV_CALLER_RATE", default_value_t = 50.0)]
    pub caller_rate: f64,

    /// Operations a caller may start at once after a quiet spell.
    #[arg(long, env = "GRIDGOV_CALLER_BURST", default_value_t = 100.0)]
    pub caller_burst: f64,

    /// Operations one caller may run at once; more wait briefly, then get
    /// RATE_LIMITED.
    #[arg(long, env = "GRIDGOV_CALLER_CONCURRENCY", default_value_t = 8)]
    pub caller_concurrency: usize,

    /// Operations the server runs at once; more wait briefly, then get
    /// UNAVAILABLE (busy). Defaults to four per pooled connection.
    #[arg(long, env = "GRIDGOV_MAX_RUNNING")]
    pub max_running: Option<usize>,

    /// Statistics, indicators and campaign roll-ups (they scan) run at once;
    /// defaults to a quarter of the pool, leaving the rest to page reads.
    #[arg(long, env = "GRIDGOV_MAX_SCANS")]
    pub max_scans: Option<usize>,

    /// Longest an operation waits for a slot before it is refused, in
    /// milliseconds.
    #[arg(long, env = "GRIDGOV_QUEUE_WAIT_MS", default_value_t = 2_000)]
    pub queue_wait_ms: u64,
}

impl AdmissionConfig {
    pub fn limits(&self, pool: u32) -> crate::admission::Limits {
        let pool = pool.max(1) as usize;
        crate::admission::Limits {
            rate_per_caller: self.caller_rate.max(0.0),
            burst_per_caller: self.caller_burst.max(1.0),
            concurrent_per_caller: self.caller_concurrency.max(1),
            concurrent: self.max_running.unwrap_or(pool * 4).max(1),
            heavy: self.max_scans.unwrap_or((pool / 4).max(1)).max(1),
            queue_wait: std::time::Duration::from_millis(self.queue_wait_ms),
        }
    }
}

/// How callers prove who they are.
#[derive(Args, Debug, Clone)]
pub struct AuthConfig {
    /// HS256 secret for access tokens (32 bytes or more), shared by all
    /// replicas. Without it (and without an EdDSA key pair) a secret is made
    /// and kept in the data directory, which suits a single process.
    #[arg(long, env = "GRIDGOV_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// Ed25519 private key (PKCS#8 PEM) to sign access tokens with EdDSA.
    #[arg(
        long,
        env = "GRIDGOV_JWT_PRIVATE_KEY_FILE",
        requires = "jwt_public_key_file"
    )]
    pub jwt_private_key_file: Option<PathBuf>,

    /// Ed25519 public key (PEM) that checks them.
    #[arg(
        long,
        env = "GRIDGOV_JWT_PUBLIC_KEY_FILE",
        requires = "jwt_private_key_file"
    )]
    pub jwt_public_key_file: Option<PathBuf>,

    /// Lifetime of an access token, in seconds.
    #[arg(long, env = "GRIDGOV_ACCESS_TOKEN_SECONDS", default_value_t = 900)]
    pub access_token_seconds: i64,

    /// Lifetime of a refresh token, in days.
    #[arg(long, env = "GRIDGOV_REFRESH_TOKEN_DAYS", default_value_t = 30)]
    pub refresh_token_days: i64,
}

impl AuthConfig {
    pub fn describe(&self) -> String {
        let keys = if self.jwt_private_key_file.is_some() {
            "EdDSA key pair from files"
        } else if self.jwt_secret.is_some() {
            "HS256, configured secret"
        } else {
            "HS256, secret kept in the data dir"
        };
        format!(
            "{keys}; access tokens {} s, refresh tokens {} days",
            self.access_token_seconds, self.refresh_token_days
        )
    }
}

/// Everything `gridgov serve` needs.
#[derive(Args, Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "GRIDGOV_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Do not build the demo city when the database is empty.
    #[arg(long, env = "GRIDGOV_NO_SEED")]
    pub no_seed: bool,

    /// Statistics groups smaller than this are suppressed (shown as null) for
    /// callers who may see statistics but not residents, such as analysts.
    #[arg(long, env = "GRIDGOV_SUPPRESS_BELOW", default_value_t = 5)]
    pub suppress_below: u32,

    /// Serve GraphiQL to browsers at the GraphQL address.
    #[arg(long, env = "GRIDGOV_GRAPHIQL", default_value_t = true, action = clap::ArgAction::Set)]
    pub graphiql: bool,

    /// Log every SQL statement sent for a request, values inlined, at info
    /// level under the target `gridgov::sql` (for the load harness's raw-SQL
    /// floor, and for debugging; it logs personal data, so never in
    /// production).
    #[arg(long, env = "GRIDGOV_LOG_SQL")]
    pub log_sql: bool,

    /// Directory for case photos; replicas must share it. Defaults to
    /// `photos` in the data directory.
    #[arg(long, env = "GRIDGOV_PHOTO_DIR")]
    pub photo_dir: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub database: DatabaseConfig,

    #[command(flatten)]
    pub seed: SeedConfig,

    #[command(flatten)]
    pub limits: LimitsConfig,

    #[command(flatten)]
    pub admission: AdmissionConfig,

    #[command(flatten)]
    pub auth: AuthConfig,
}

impl ServeConfig {
    /// Where case photos are kept.
    pub fn photo_dir(&self) -> std::path::PathBuf {
        self.photo_dir
            .clone()
            .unwrap_or_else(|| self.database.data_dir.join("photos"))
    }

    /// The settings in force, one per line, without secrets.
    pub fn describe(&self) -> String {
        let limits = &self.limits;
        [
            format!("listen              {}", self.listen),
            format!("database            {}", self.database.url_for_display()),
            format!("data dir            {}", self.database.data_dir.display()),
            format!("photo dir           {}", self.photo_dir().display()),
            format!("db max connections  {}", self.database.db_max_connections),
            format!(
                "demo seed           {}",
                if self.no_seed {
                    "off".to_owned()
                } else {
                    format!(
                        "{} residents when empty{}",
                        self.seed.residents,
                        if self.seed.no_registries {
                            ""
                        } else {
                            ", with demo registries compared"
                        }
                    )
                }
            ),
            format!("graphiql            {}", on_off(self.graphiql)),
            format!("sql log             {}", on_off(self.log_sql)),
            format!("suppress below      {} (statistics for analysts)", self.suppress_below),
            format!("tokens              {}", self.auth.describe()),
            format!("introspection       {}", on_off(limits.introspection)),
            format!(
                "limits              depth {}, complexity {}, aliases {}, root fields {}, batch {}, body {} bytes, timeout {} s ({} s sending a large file)",
                limits.max_depth,
                limits.max_complexity,
                limits.max_aliases,
                limits.max_root_fields,
                limits.max_batch,
                limits.max_body_bytes,
                limits.request_timeout_secs,
                limits.upload_timeout_secs
            ),
            format!(
                "document bounds     {} tokens, nesting {}, {} directives, {} fields expanded",
                limits.max_tokens, limits.max_nesting, limits.max_directives, limits.max_fields
            ),
            {
                let admission = self.admission.limits(self.database.db_max_connections);
                format!(
                    "admission           per caller {} /s (burst {}), {} at once; server {} at once, {} scans; wait {} ms",
                    admission.rate_per_caller,
                    admission.burst_per_caller,
                    admission.concurrent_per_caller,
                    admission.concurrent,
                    admission.heavy,
                    admission.queue_wait.as_millis()
                )
            },
        ]
        .join("\n")
    }
}

fn on_off(flag: bool) -> &'static str {
    if flag { "on" } else { "off" }
}

/// Replaces the password of `scheme://user:password@host` with `***`.
pub fn redact_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:***{}",
            &url[..scheme_end + 3],
            &authority[..colon],
            &rest[at..]
        ),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_password;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_password("postgres://grid:s3cret@db.local:5432/gridgov"),
            "postgres://grid:***@db.local:5432/gridgov"
        );
        assert_eq!(
            redact_password("postgres://grid@db.local/gridgov"),
            "postgres://grid@db.local/gridgov"
        );
        assert_eq!(
            redact_password("sqlite://./data/gridgov.db?mode=rwc"),
            "sqlite://./data/gridgov.db?mode=rwc"
        );
    }
}
