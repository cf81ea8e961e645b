//! The real worker under `wrangler dev`, with a throwaway `--persist-to`
//! directory that the D1 migrations were applied to first.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::process::{Group, free_port};

const READY_TIMEOUT: Duration = Duration::from_secs(120);
const READY_POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Set once the project is built so that neither the harness nor wrangler's
/// `[build] command` builds it again.
const PREBUILT_VARIABLE: &str = "EWALLET_PREBUILT";

/// Attempts of a read that finds the database locked, and the growing
/// pause between them.
const D1_BUSY_ATTEMPTS_MAX: u32 = 8;
const D1_BUSY_BACKOFF: Duration = Duration::from_millis(150);

/// Each party's D1 database, migrated before the worker starts.
const D1_DATABASES: [&str; 3] = ["STORE_DB", "ISSUER_DB", "GATEWAY_DB"];

pub struct Server {
    pub base_url: String,
    pub persist_dir: PathBuf,
    group: Group,
}

fn wrangler() -> Command {
    let mut command = Command::new(crate::workspace_root().join("node_modules/.bin/wrangler"));
    command
        .current_dir(crate::workspace_root())
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env(PREBUILT_VARIABLE, "1")
        .env("CI", "true");
    command
}

/// Builds the project and writes missing local secrets, unless the caller
/// (`cargo xtask test`) already did.
fn build_once() {
    if std::env::var_os(PREBUILT_VARIABLE).is_some_and(|value| value == "1") {
        return;
    }
    for step in ["build", "secrets"] {
        // The local worker, with the operator routes the journeys use.
        let status = Command::new("cargo")
            .args(["xtask", step])
            .env("EWALLET_OPERATOR", "1")
            .current_dir(crate::workspace_root())
            .status()
            .expect("run cargo xtask");
        assert!(status.success(), "cargo xtask {step} failed");
    }
}

/// Writes `wrangler.toml` as the journeys run it into `run_dir` and returns
/// its path: without `[build]`, and with its paths made absolute.
///
/// With a `[build]` command, `wrangler dev` watches its `watch_dir` and runs
/// the command again once that watcher is ready, then restarts the worker;
/// on a slow machine that restart comes after the worker first answered,
/// and each request in flight then gets a 503 ("Your worker restarted
/// mid-request"). The journeys run what the harness already built, so
/// nothing needs the watcher. `.dev.vars` is read beside the configuration:
/// a link to the project's own.
fn config_without_build(run_dir: &std::path::Path) -> PathBuf {
    let root = crate::workspace_root();
    let text = std::fs::read_to_string(root.join("wrangler.toml")).expect("read wrangler.toml");
    let mut config: toml::Table = text.parse().expect("wrangler.toml parses");
    config.remove("build");
    let absolute = |value: &mut toml::Value| {
        let relative = value.as_str().expect("a path is a string");
        *value = toml::Value::String(root.join(relative).display().to_string());
    };
    absolute(config.get_mut("main").expect("wrangler.toml names main"));
    if let Some(assets) = config.get_mut("assets").and_then(toml::Value::as_table_mut) {
        absolute(
            assets
                .get_mut("directory")
                .expect("[assets] names a directory"),
        );
    }
    for database in config
        .get_mut("d1_databases")
        .and_then(toml::Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Some(directory) = database.get_mut("migrations_dir") {
            absolute(directory);
        }
    }
    let path = run_dir.join("wrangler.toml");
    std::fs::write(&path, config.to_string()).expect("write the journeys' wrangler.toml");
    let vars = run_dir.join(".dev.vars");
    if vars.symlink_metadata().is_err() {
        std::os::unix::fs::symlink(root.join(".dev.vars"), &vars).expect("link .dev.vars");
    }
    path
}

impl Server {
    /// Builds if needed, migrates a fresh local D1, starts `wrangler dev` on
    /// a free loopback port and waits until `/api/health` answers.
    pub fn start(run_dir: &std::path::Path) -> Server {
        build_once();
        let persist_dir = run_dir.join("state");
        for database in D1_DATABASES {
            let migrate = wrangler()
                .args([
                    "d1",
                    "migrations",
                    "apply",
                    database,
                    "--local",
                    "--persist-to",
                ])
                .arg(&persist_dir)
                .output()
                .expect("run wrangler d1 migrations apply");
            assert!(
                migrate.status.success(),
                "migrations of {database} failed: {}{}",
                String::from_utf8_lossy(&migrate.stdout),
                String::from_utf8_lossy(&migrate.stderr)
            );
        }
        // The demo's merchant onboarding: the store's key, at the gateway.
        let provision = Command::new("cargo")
            .args(["xtask", "provision", "--persist-to"])
            .arg(&persist_dir)
            .current_dir(crate::workspace_root())
            .output()
            .expect("run cargo xtask provision");
        assert!(
            provision.status.success(),
            "provisioning failed: {}{}",
            String::from_utf8_lossy(&provision.stdout),
            String::from_utf8_lossy(&provision.stderr)
        );
        let port = free_port();
        let inspector_port = free_port();
        let mut command = wrangler();
        command
            .arg("--config")
            .arg(config_without_build(run_dir))
            .args(["dev", "--ip", "127.0.0.1", "--port", &port.to_string()])
            .args(["--inspector-port", &inspector_port.to_string()])
            .arg("--persist-to")
            .arg(&persist_dir);
        let group = Group::spawn(command, &run_dir.join("wrangler.log"));
        let mut server = Server {
            base_url: format!("http://127.0.0.1:{port}"),
            persist_dir,
            group,
        };
        server.wait_until_ready();
        server
    }

    fn wait_until_ready(&mut self) {
        let agent = crate::api::agent();
        let deadline = Instant::now() + READY_TIMEOUT;
        let health = self.url("/api/health");
        loop {
            // Any answer means the worker runs; whether it is healthy is
            // for the journeys to check.
            if agent.get(&health).call().is_ok() {
                return;
            }
            assert!(
                self.group.is_running(),
                "wrangler dev exited before it was ready:\n{}",
                self.group.log_tail()
            );
            assert!(
                Instant::now() < deadline,
                "wrangler dev was not ready within {READY_TIMEOUT:?}:\n{}",
                self.group.log_tail()
            );
            std::thread::sleep(READY_POLL_INTERVAL);
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// The same address named `localhost`: WebAuthn refuses an IP address
    /// as the relying party, so pages that use passkeys are opened here.
    pub fn localhost_url(&self, path: &str) -> String {
        format!(
            "{}{path}",
            self.base_url.replacen("127.0.0.1", "localhost", 1)
        )
    }

    /// Runs SQL against the same local D1 database the worker uses, through
    /// wrangler, and returns the result rows. wrangler locks the database
    /// file while it runs, so a worker write at that moment fails with
    /// SQLITE_BUSY: only journeys that run alone may call this (`main.rs`,
    /// `runs_alone`); the others read stored rows through the operator's
    /// dumps. A busy database on this side is retried.
    pub fn d1_query(&self, database: &str, sql: &str) -> Vec<serde_json::Value> {
        static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _turn = ONE_AT_A_TIME
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut attempt = 0;
        let output = loop {
            attempt += 1;
            let output = wrangler()
                .args([
                    "d1",
                    "execute",
                    database,
                    "--local",
                    "--json",
                    "--persist-to",
                ])
                .arg(&self.persist_dir)
                .args(["--command", sql])
                .output()
                .expect("run wrangler d1 execute");
            let busy = String::from_utf8_lossy(&output.stderr).contains("SQLITE_BUSY")
                || String::from_utf8_lossy(&output.stdout).contains("SQLITE_BUSY");
            if output.status.success() || !busy || attempt >= D1_BUSY_ATTEMPTS_MAX {
                break output;
            }
            std::thread::sleep(D1_BUSY_BACKOFF * attempt);
        };
        assert!(
            output.status.success(),
            "d1 execute failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let answers: Vec<serde_json::Value> =
            serde_json::from_slice(&output.stdout).expect("d1 execute prints JSON");
        answers
            .into_iter()
            .flat_map(|answer| answer["results"].as_array().cloned().unwrap_or_default())
            .collect()
    }

    /// The operator token the worker was started with (from `.dev.vars`).
    pub fn operator_token(&self) -> String {
        let vars = std::fs::read_to_string(crate::workspace_root().join(".dev.vars"))
            .expect("read .dev.vars");
        vars.lines()
            .find_map(|line| line.strip_prefix("OPERATOR_TOKEN="))
            .expect(".dev.vars holds OPERATOR_TOKEN")
            .trim()
            .to_owned()
    }

    /// The worker's log so far (for scans of what it printed).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.group.log).unwrap_or_default()
    }
}
