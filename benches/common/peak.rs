//! Runs a child process to completion while sampling its peak memory (Linux `VmHWM`).

use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// What a finished child cost: wall time and peak resident memory.
pub struct Cost {
    pub status: ExitStatus,
    pub wall_seconds: f64,
    pub peak_mib: f64,
}

/// Waits for `child`, sampling /proc/<pid>/status every 5 ms. VmHWM is the high-water mark
/// so far, so the last sample before exit is the peak.
pub fn wait_sampling(mut child: Child, started: Instant) -> Cost {
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    let status = loop {
        if let Some(kib) = read_vm_hwm(&status_file) {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Cost {
        status,
        wall_seconds: started.elapsed().as_secs_f64(),
        peak_mib: peak_kib as f64 / 1024.0,
    }
}

fn read_vm_hwm(path: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
