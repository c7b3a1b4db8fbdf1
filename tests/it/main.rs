//! posture's integration tests, in one binary so the SDK crates are linked once and one moto
//! server serves every test that needs one (tests keep apart by resource names of their own).
//!
//! - `cli`: the binary without AWS: rules, offline scans, reports, exit codes.
//! - `collect`: every collector against moto, by service, plus faults and accounts.
//! - `coverage`: checks whose data was not collected, or whose listing failed, are ERROR.
//! - `e2e`: the real binary scans a seeded moto account; every rule's verdicts.
//! - `faults`: the real binary behind a fault-injecting proxy (`AccessDenied`, throttling, 500s).
//! - `fuzz`: proptest over the parsers of untrusted files (`POSTURE_FUZZ_CASES` cases each).
//! - `health`: `posture health` and the Bedrock probe.
//! - `harness`: the test harness itself (moto startup).

// Helpers outside #[test] functions unwrap too: a broken fixture should stop the test at once.
#![allow(clippy::unwrap_used, clippy::format_push_string)]

mod cli;
mod collect;
mod coverage;
mod e2e;
mod faults;
mod fuzz;
mod harness;
mod health;
mod support;
