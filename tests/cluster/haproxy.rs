//! HAProxy from the distribution (Debian `haproxy`) in front of the replicas: loopback only,
//! round robin, WebSockets kept open (`timeout tunnel`), its configuration in a temp dir,
//! started in the foreground and stopped by its pid.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::WAIT;

/// The haproxy program: `HAPROXY_BIN`, else `haproxy` on `PATH`, else Debian's
/// `/usr/sbin/haproxy` (not on a non-root user's `PATH`); None when there is none.
pub fn haproxy_bin() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("HAPROXY_BIN").filter(|b| !b.is_empty()) {
        return Some(PathBuf::from(bin));
    }
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("haproxy"))
            .find(|candidate| candidate.is_file())
    });
    on_path.or_else(|| {
        let debian = PathBuf::from("/usr/sbin/haproxy");
        debian.is_file().then_some(debian)
    })
}

/// A running HAProxy; stopped (SIGTERM, then SIGKILL) by its pid when dropped.
pub struct HaProxy {
    pub addr: SocketAddr,
    child: Child,
    log: PathBuf,
}

/// The configuration: one frontend on `listen`, the replicas as one round-robin backend.
/// Each replica is health-checked on its readiness answer (`/api/v1/health/ready`): it
/// leaves the rotation after two checks that fail to connect or say `shutting_down` (it
/// drains), and comes back with the next good one. Other reasons for a 503 (`pool_empty`
/// for the second a create takes to refill the pool) do not take it out: the replica can
/// still serve its sessions and create cold or elsewhere. A refused connection is retried
/// on another replica (`option redispatch`). `timeout tunnel` keeps an idle WebSocket open
/// (the server pings every 5 s anyway).
pub fn config(listen: SocketAddr, replicas: &[(String, SocketAddr)]) -> String {
    let mut cfg = format!(
        "global\n\
         \x20   maxconn 512\n\
         defaults\n\
         \x20   mode http\n\
         \x20   log global\n\
         \x20   option redispatch\n\
         \x20   retries 3\n\
         \x20   timeout connect 2s\n\
         \x20   timeout client 60s\n\
         \x20   timeout server 60s\n\
         \x20   timeout tunnel 1h\n\
         \x20   timeout http-request 10s\n\
         \x20   timeout check 5s\n\
         frontend replicas_in\n\
         \x20   bind {listen}\n\
         \x20   default_backend replicas\n\
         backend replicas\n\
         \x20   balance roundrobin\n\
         \x20   option httpchk GET /api/v1/health/ready\n\
         \x20   http-check expect ! string shutting_down\n\
         \x20   default-server inter 500ms fall 2 rise 1\n"
    );
    for (name, addr) in replicas {
        cfg.push_str(&format!("    server {name} {addr} check\n"));
    }
    cfg
}

impl HaProxy {
    /// Writes the configuration into `dir`, starts haproxy in the foreground and waits
    /// (bounded) until it accepts connections.
    pub fn start(bin: &Path, dir: &Path, replicas: &[(String, SocketAddr)]) -> HaProxy {
        let addr = SocketAddr::from(([127, 0, 0, 1], crate::harness::free_port()));
        let cfg_path = dir.join("haproxy.cfg");
        std::fs::write(&cfg_path, config(addr, replicas)).unwrap();
        let log = dir.join("haproxy.log");
        let out = std::fs::File::create(&log).unwrap();
        // -db: stay in the foreground (no daemon), so the pid is haproxy's own.
        let child = Command::new(bin)
            .arg("-db")
            .arg("-f")
            .arg(&cfg_path)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let mut lb = HaProxy { addr, child, log };
        let deadline = Instant::now() + WAIT;
        while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Ok(Some(status)) = lb.child.try_wait() {
                panic!("haproxy exited ({status}):\n{}", lb.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "haproxy did not listen on {addr} within {WAIT:?}:\n{}",
                lb.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        lb
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for HaProxy {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(5);
            while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if matches!(self.child.try_wait(), Ok(None)) {
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
    }
}
