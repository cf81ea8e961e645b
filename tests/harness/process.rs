//! Child processes in their own process groups, stopped group-wide.
//!
//! workerd outlives node when only node is killed, and a test binary killed
//! by a signal runs no `Drop`: every group id is recorded in a file, and
//! [`sweep_stale_groups`] kills what an earlier run left behind.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const STOP_GRACE: Duration = Duration::from_secs(5);

fn groups_dir() -> PathBuf {
    crate::output_dir().join("groups")
}

/// Kills process groups recorded by earlier runs that did not stop them.
pub fn sweep_stale_groups() {
    let Ok(entries) = std::fs::read_dir(groups_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        if let Some(group) = entry.file_name().to_str() {
            signal_group(group, "KILL");
        }
        let _ = std::fs::remove_file(entry.path());
    }
}

fn signal_group(group: &str, signal: &str) {
    let _ = Command::new("kill")
        .args([format!("-{signal}"), "--".to_owned(), format!("-{group}")])
        .stderr(Stdio::null())
        .status();
}

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener
        .local_addr()
        .expect("read the bound address")
        .port()
}

/// A child running in its own process group, with output in a log file.
pub struct Group {
    child: Child,
    record: PathBuf,
    pub log: PathBuf,
}

impl Group {
    pub fn spawn(mut command: Command, log: &Path) -> Group {
        let log_file = std::fs::File::create(log).expect("create the log file");
        let log_err = log_file.try_clone().expect("clone the log file");
        command
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(log_err)
            .process_group(0);
        let child = command
            .spawn()
            .unwrap_or_else(|error| panic!("start {command:?}: {error}"));
        std::fs::create_dir_all(groups_dir()).expect("create the groups directory");
        let record = groups_dir().join(child.id().to_string());
        std::fs::write(&record, "").expect("record the process group");
        Group {
            child,
            record,
            log: log.to_path_buf(),
        }
    }

    /// True while the child has not exited.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The last lines of the log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        let group = self.child.id().to_string();
        signal_group(&group, "TERM");
        let deadline = Instant::now() + STOP_GRACE;
        while Instant::now() < deadline && self.is_running() {
            std::thread::sleep(Duration::from_millis(100));
        }
        // Children of the group (workerd) may outlive the leader: always KILL.
        signal_group(&group, "KILL");
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.record);
    }
}
