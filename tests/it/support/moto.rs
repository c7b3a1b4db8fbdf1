//! moto server for the collector tests: one per test binary, on a free loopback port, from the
//! venv that `scripts/moto-venv.sh` builds (created on first use; a failure to create it fails
//! the tests loudly rather than skipping them).

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Moto {
    child: Child,
    pub endpoint: String,
    /// moto's stdout and stderr: one access-log line per request served.
    pub log: PathBuf,
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The venv's python, creating the venv when it is missing.
fn venv_python() -> PathBuf {
    let venv = manifest_dir().join("target").join("moto-venv");
    let python = venv.join("bin").join("python");
    let script = manifest_dir().join("scripts").join("moto-venv.sh");
    // The script is idempotent and fast when the venv is already right.
    let status = Command::new("bash")
        .arg(&script)
        .arg(&venv)
        .status()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        status.success() && python.exists(),
        "{} failed ({status}); moto server is required for the collector tests",
        script.display()
    );
    python
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral loopback port");
    listener.local_addr().expect("local address").port()
}

impl Moto {
    /// Starts moto on a free loopback port. The port is probed free and then handed to moto, so
    /// another process may take it in between: moto then exits with "Address already in use"
    /// and is started again on another port. Ready means moto itself logged that it listens on
    /// the port, not merely that something accepts connections there.
    pub fn start() -> Moto {
        const ATTEMPTS: usize = 5;
        let mut last_log = String::new();
        for _ in 0..ATTEMPTS {
            match Self::start_on(free_port()) {
                Ok(moto) => return moto,
                Err(log) if log.contains("Address already in use") => last_log = log,
                Err(log) => panic!("moto server exited during startup:\n{log}"),
            }
        }
        panic!("moto found no free port in {ATTEMPTS} attempts:\n{last_log}");
    }

    /// moto on `port`, or its log when it exited before listening.
    pub fn start_on(port: u16) -> Result<Moto, String> {
        let python = venv_python();
        let launcher = manifest_dir()
            .join("tests")
            .join("it")
            .join("support")
            .join("moto_launch.py");
        // Under target/tmp, so logs of past runs go away with `cargo clean`.
        let log = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("moto-{port}.log"));
        let log_file = std::fs::File::create(&log).expect("create moto log file");
        let child = Command::new(&python)
            // AWS-managed policies (AdministratorAccess ...) exist only with this set.
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .arg(&launcher)
            .arg("--parent-pid")
            .arg(std::process::id().to_string())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("clone log handle"))
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start moto with {}: {e}", python.display()));
        let mut moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            log,
        };
        moto.wait_ready(port)?;
        Ok(moto)
    }

    /// Requests moto has answered so far, counted from its access log (one line per request,
    /// `127.0.0.1 - - [date] "GET /path HTTP/1.1" 200 -`; werkzeug colors the request part of
    /// non-2xx lines with ANSI codes, so only the frame of the line is matched).
    pub fn requests_served(&self) -> usize {
        std::fs::read_to_string(&self.log).map_or(0, |text| {
            text.lines()
                .filter(|l| l.starts_with("127.0.0.1 - - [") && l.contains(" HTTP/1.1"))
                .count()
        })
    }

    fn log_text(&self) -> String {
        let mut text = String::new();
        let _ = std::fs::File::open(&self.log).and_then(|mut f| f.read_to_string(&mut text));
        text
    }

    fn wait_ready(&mut self, port: u16) -> Result<(), String> {
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        // werkzeug's startup line: printed once moto's own socket is bound.
        let listening = format!("Running on http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exit {status}:\n{}", self.log_text()));
            }
            if self.log_text().contains(&listening)
                && TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok()
            {
                return Ok(());
            }
            assert!(
                Instant::now() < deadline,
                "moto server did not listen on port {port} within 60 s:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
