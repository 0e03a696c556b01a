//! The container engine (docker or podman) driven through its command line, every call
//! bounded in time; and the names this test creates, removed on drop even when it fails.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Upper bound for one engine command that is not a stop or restart.
const COMMAND_BOUND: Duration = Duration::from_secs(60);

/// What a command printed and how it ended.
pub struct Output {
    pub code: Option<i32>,
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }
}

#[derive(Clone)]
pub struct Engine {
    /// `docker` or `podman`.
    pub bin: String,
}

impl Engine {
    /// From `CONTAINER_ENGINE` (what `make test-container` detected).
    pub fn from_env() -> Engine {
        let bin = std::env::var("CONTAINER_ENGINE")
            .ok()
            .filter(|e| !e.is_empty())
            .expect("CONTAINER_ENGINE (docker or podman) is set by `make test-container`");
        Engine { bin }
    }

    pub fn is_podman(&self) -> bool {
        self.bin.ends_with("podman")
    }

    /// Runs `bin args…`, killed after `bound` (then `timed_out`).
    pub fn run_bounded(&self, args: &[&str], bound: Duration) -> Output {
        let mut child = Command::new(&self.bin)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.bin));
        let mut out = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let out_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = out.read_to_string(&mut s);
            s
        });
        let err_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        let deadline = Instant::now() + bound;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Output {
            code: status.and_then(|s| s.code()),
            timed_out: status.is_none(),
            stdout: out_reader.join().unwrap_or_default(),
            stderr: err_reader.join().unwrap_or_default(),
        }
    }

    /// Runs `bin args…`; fails the test if it takes longer than `bound`.
    pub fn run_within(&self, args: &[&str], bound: Duration) -> Output {
        let out = self.run_bounded(args, bound);
        assert!(
            !out.timed_out,
            "`{} {}` did not finish within {}s; stderr: {}",
            self.bin,
            args.join(" "),
            bound.as_secs(),
            out.stderr
        );
        out
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_within(args, COMMAND_BOUND)
    }

    /// Runs and requires exit 0; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.ok(),
            "`{} {}` failed ({:?}): {}{}",
            self.bin,
            args.join(" "),
            out.code,
            out.stdout,
            out.stderr
        );
        out.stdout
    }

    /// `exec` in the container, as the image's user; stdout, trimmed.
    pub fn exec(&self, container: &str, cmd: &[&str]) -> String {
        let mut args = vec!["exec", container];
        args.extend_from_slice(cmd);
        self.ok(&args).trim().to_string()
    }

    pub fn inspect(&self, container: &str, format: &str) -> String {
        self.ok(&["inspect", "--format", format, container])
            .trim()
            .to_string()
    }

    /// Everything the container wrote to stdout and stderr.
    pub fn logs(&self, container: &str) -> String {
        let out = self.run(&["logs", container]);
        format!("{}{}", out.stdout, out.stderr)
    }
}

/// Containers and volumes made by this test, force-removed on drop.
pub struct Created {
    pub engine: Engine,
    pub containers: Vec<String>,
    pub volumes: Vec<String>,
}

impl Drop for Created {
    fn drop(&mut self) {
        for c in &self.containers {
            let args: &[&str] = if self.engine.is_podman() {
                &["rm", "-f", "-t", "0", c]
            } else {
                &["rm", "-f", c]
            };
            let _ = self.engine.run_bounded(args, COMMAND_BOUND);
        }
        for v in &self.volumes {
            let _ = self
                .engine
                .run_bounded(&["volume", "rm", "-f", v], COMMAND_BOUND);
        }
    }
}
