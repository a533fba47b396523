//! Options of the load generator (flags or `LOADGEN_*` environment variables).

use std::path::PathBuf;

use clap::Parser;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "loadgen",
    about = "Drives concurrent simulated browsers through the whole FranceConnect journey \
             (the README's journey) and reports journeys/s, per-step latency, errors and per-program CPU/RSS"
)]
pub struct Config {
    /// The service provider the journeys start from.
    #[arg(long, env = "LOADGEN_SP_URL", default_value = "http://localhost:3000")]
    pub sp_url: String,
    /// Concurrent simulated browsers (each with its own cookie jar and test person).
    #[arg(long, short = 'c', env = "LOADGEN_BROWSERS", default_value_t = 16)]
    pub browsers: usize,
    /// Measured journeys, in all (the run stops at this count or at --duration-secs).
    #[arg(long, short = 'n', env = "LOADGEN_JOURNEYS", default_value_t = 1000)]
    pub journeys: u64,
    /// Upper bound on the measured part of the run.
    #[arg(long, env = "LOADGEN_DURATION_SECS", default_value_t = 60.0)]
    pub duration_secs: f64,
    /// Journeys run before measuring (connections opened, caches warm), not counted.
    #[arg(long, env = "LOADGEN_WARMUP", default_value_t = 0)]
    pub warmup: u64,
    /// Spread the browsers' first requests over this many milliseconds.
    #[arg(long, env = "LOADGEN_RAMP_MS", default_value_t = 0)]
    pub ramp_ms: u64,
    /// Start every journey with an empty cookie jar (a new visitor each time) instead of the
    /// browser's jar from its previous journeys (a returning visitor: the SP's session, and its
    /// journal of exchanges, carry over).
    #[arg(long, env = "LOADGEN_NEW_JAR_PER_JOURNEY")]
    pub new_jar_per_journey: bool,
    /// Timeout of one HTTP request.
    #[arg(long, env = "LOADGEN_TIMEOUT_SECS", default_value_t = 30)]
    pub timeout_secs: u64,
    /// IdP users folder to take the test people from (must be the one the IdP reads).
    #[arg(long, env = "LOADGEN_USERS_DIR", default_value_os_t = fc_plumbing::fixture_path("idp/users"))]
    pub users_dir: PathBuf,
    /// DP records file matching --users-dir (must be the one the DP reads).
    #[arg(long, env = "LOADGEN_RECORDS", default_value_os_t = fc_plumbing::fixture_path("dp/dgfip.csv"))]
    pub records: PathBuf,
    /// Generate this many test people into --work-dir (users/ and dgfip.csv), use them, and
    /// exit after writing them unless --spawn starts the programs with them.
    #[arg(long, env = "LOADGEN_GENERATE")]
    pub generate: Option<usize>,
    /// Where generated people and the spawned programs' logs go.
    #[arg(long, env = "LOADGEN_WORK_DIR", default_value = "target/loadgen")]
    pub work_dir: PathBuf,
    /// Start the four programs from this folder of release binaries (e.g. target/release) on
    /// their default ports with generated people, measure their startup, and stop them at the end.
    #[arg(long, env = "LOADGEN_SPAWN")]
    pub spawn: Option<PathBuf>,
    /// Extra KEY=VALUE environment variables for the spawned programs (repeatable).
    #[arg(long = "spawn-env", value_name = "KEY=VALUE")]
    pub spawn_env: Vec<String>,
    /// Programs to measure, by program name (looked up in /proc) or name=PID, comma-separated;
    /// with --spawn, measured besides the four spawned ones (e.g. `redis-server`).
    #[arg(long, env = "LOADGEN_WATCH", value_delimiter = ',')]
    pub watch: Vec<String>,
    /// After the run, wait this long and read the programs' RSS again (memory back to idle?).
    #[arg(long, env = "LOADGEN_SETTLE_SECS", default_value_t = 0.0)]
    pub settle_secs: f64,
    /// Also write the report as JSON here.
    #[arg(long, env = "LOADGEN_JSON")]
    pub json: Option<PathBuf>,
    /// Instead of the whole journey, drive a bare OpenID Connect code flow against the identity
    /// provider of this issuer (authorize → its login form → code → token → userinfo), as the hub
    /// does; any provider with a login form `id="login-form"` (ours, node-oidc-provider's
    /// benchmark set-up in loadgen/bench). With --spawn, only our IdP is started.
    #[arg(long, env = "LOADGEN_IDP_FLOW", value_name = "ISSUER")]
    pub idp_flow: Option<String>,
    /// The client of --idp-flow (default: the hub's registration at our IdP).
    #[arg(long, env = "LOADGEN_IDP_CLIENT_ID", default_value = identity_provider_example::config::DEFAULT_CLIENT_ID)]
    pub idp_client_id: String,
    #[arg(long, env = "LOADGEN_IDP_CLIENT_SECRET", default_value = identity_provider_example::config::DEFAULT_CLIENT_SECRET, hide_default_value = true)]
    pub idp_client_secret: String,
    #[arg(long, env = "LOADGEN_IDP_REDIRECT_URI", default_value = identity_provider_example::config::DEFAULT_REDIRECT_URI)]
    pub idp_redirect_uri: String,
    /// Log in as this person in --idp-flow, `LOGIN:PASSWORD` (default: each browser its own
    /// test person).
    #[arg(long, env = "LOADGEN_IDP_PERSON", value_name = "LOGIN:PASSWORD")]
    pub idp_person: Option<String>,
    /// Soak test: while journeys run, kill and restart the IdP, the DP and the hub (needs
    /// --spawn) every this many seconds, in turn; the report classifies the failures and gives
    /// each restart's recovery time (BENCHMARKS.md, "Faults").
    #[arg(long, env = "LOADGEN_FAULTS_EVERY_SECS", value_name = "SECS")]
    pub faults: Option<f64>,
    /// Flood this program (hub, sp, idp or dp) with cookie-less requests at full speed for
    /// --duration-secs, while one user stays logged in and one journey waits half-way; both
    /// must survive (needs --spawn).
    #[arg(long, env = "LOADGEN_FLOOD", value_name = "PROGRAM")]
    pub flood: Option<String>,
}

impl Config {
    /// Against the local demo (`cargo run`), 16 browsers, 1000 journeys, fixture people.
    pub fn local() -> Self {
        Self {
            sp_url: "http://localhost:3000".into(),
            browsers: 16,
            journeys: 1000,
            duration_secs: 60.0,
            warmup: 0,
            ramp_ms: 0,
            new_jar_per_journey: false,
            timeout_secs: 30,
            users_dir: fc_plumbing::fixture_path("idp/users"),
            records: fc_plumbing::fixture_path("dp/dgfip.csv"),
            generate: None,
            work_dir: "target/loadgen".into(),
            spawn: None,
            spawn_env: Vec::new(),
            watch: Vec::new(),
            settle_secs: 0.0,
            json: None,
            idp_flow: None,
            idp_client_id: identity_provider_example::config::DEFAULT_CLIENT_ID.into(),
            idp_client_secret: identity_provider_example::config::DEFAULT_CLIENT_SECRET.into(),
            idp_redirect_uri: identity_provider_example::config::DEFAULT_REDIRECT_URI.into(),
            idp_person: None,
            faults: None,
            flood: None,
        }
    }
}
