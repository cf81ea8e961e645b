//! Running programs: one small wrapper so that every failure names the
//! command that failed, and the workspace's paths in one place.

use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Why an xtask step stopped.
#[derive(Debug)]
pub struct Failure(String);

impl Failure {
    pub fn usage(text: &str) -> Failure {
        Failure(text.to_owned())
    }

    pub fn new(text: impl Into<String>) -> Failure {
        Failure(text.into())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Failure {
        Failure(error.to_string())
    }
}

impl From<serde_json::Error> for Failure {
    fn from(error: serde_json::Error) -> Failure {
        Failure(format!("unexpected JSON: {error}"))
    }
}

/// The workspace root: the parent of this crate's directory.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or(manifest_dir)
}

/// The shared cargo target directory.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// Where `cargo install` puts binaries.
pub fn cargo_bin_dir() -> PathBuf {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"));
    cargo_home.join("bin")
}

/// `PATH` with cargo's binaries and the pinned npm tools first, so that
/// every child (wasm-pack, wrangler's build command, ...) finds the
/// versions that setup installed.
fn tool_path() -> std::ffi::OsString {
    let mut directories = vec![
        cargo_bin_dir(),
        workspace_root().join("node_modules").join(".bin"),
    ];
    if let Some(path) = std::env::var_os("PATH") {
        directories.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(directories).unwrap_or_default()
}

/// A command about to run from the workspace root.
pub struct Cmd {
    command: Command,
    shown: String,
}

pub fn cmd(program: impl AsRef<OsStr>) -> Cmd {
    let program = program.as_ref();
    let mut command = Command::new(program);
    command.current_dir(workspace_root());
    command.env("PATH", tool_path());
    Cmd {
        command,
        shown: program.to_string_lossy().into_owned(),
    }
}

impl Cmd {
    pub fn args<I, S>(mut self, arguments: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for argument in arguments {
            let argument = argument.as_ref();
            self.shown.push(' ');
            self.shown.push_str(&argument.to_string_lossy());
            self.command.arg(argument);
        }
        self
    }

    pub fn env(mut self, name: &str, value: impl AsRef<OsStr>) -> Cmd {
        self.command.env(name, value);
        self
    }

    pub fn current_dir(mut self, directory: &Path) -> Cmd {
        self.command.current_dir(directory);
        self
    }

    /// Runs to completion with inherited output; a non-zero exit fails.
    pub fn run(mut self) -> Result<(), Failure> {
        println!("xtask: $ {}", self.shown);
        let status = self
            .command
            .status()
            .map_err(|error| Failure::new(format!("could not start `{}`: {error}", self.shown)))?;
        if status.success() {
            Ok(())
        } else {
            Err(Failure::new(format!("`{}` failed ({status})", self.shown)))
        }
    }

    /// Runs to completion, showing its output as it comes and answering
    /// its standard output too; a non-zero exit fails.
    pub fn run_and_keep(mut self) -> Result<String, Failure> {
        use std::io::BufRead;
        println!("xtask: $ {}", self.shown);
        let mut child = self
            .command
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|error| Failure::new(format!("could not start `{}`: {error}", self.shown)))?;
        let mut kept = String::new();
        if let Some(stdout) = child.stdout.take() {
            for line in std::io::BufReader::new(stdout).lines() {
                let line = line?;
                println!("{line}");
                kept.push_str(&line);
                kept.push('\n');
            }
        }
        let status = child.wait()?;
        if status.success() {
            Ok(kept)
        } else {
            Err(Failure::new(format!("`{}` failed ({status})", self.shown)))
        }
    }

    /// Runs quietly and returns standard output, or `None` if the program is
    /// missing or fails (used to probe installed versions).
    pub fn probe(mut self) -> Option<String> {
        let output = self
            .command
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Runs quietly and returns standard output; a failure is an error.
    pub fn read(mut self) -> Result<String, Failure> {
        let output = self
            .command
            .stdin(Stdio::null())
            .output()
            .map_err(|error| Failure::new(format!("could not start `{}`: {error}", self.shown)))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(Failure::new(format!(
                "`{}` failed ({}): {}",
                self.shown,
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            )))
        }
    }
}
