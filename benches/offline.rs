//! Offline evaluation benchmark: generates inventories of N resources from the example
//! account's documents, runs `posture scan --inventory` with the whole bundled pack on each,
//! and prints wall time and peak memory. No AWS and no emulator: this measures the engine
//! (loading, checking, evaluating every rule, building and writing the JSON report).
//!
//!     cargo bench --bench offline                                   # N = 10k, 100k, 1M
//!     POSTURE_BENCH_SIZES=10000,50000 cargo bench --bench offline
//!     POSTURE_BENCH_BIN=target/debug/posture cargo bench --bench offline
//!
//! The generated estate repeats the example account's documents (79 of 27 types) with a copy
//! number in every ARN and name; Lambda functions, trails and state machines keep referring to
//! the roles, keys and functions of the first copy, so every `references` and `allowed_by_role`
//! rule has real work. The account document is not repeated: an estate has one per account.

#[path = "common/peak.rs"]
mod peak;

use std::process::Stdio;
use std::time::Instant;

use serde_json::Value;

fn sizes() -> Vec<usize> {
    std::env::var("POSTURE_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000,1000000".into())
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .unwrap_or_else(|_| panic!("POSTURE_BENCH_SIZES: `{s}` is not a number"))
        })
        .collect()
}

/// An inventory of about `n` resources, as JSON text.
fn generate(example: &Value, n: usize) -> String {
    let docs = example["resources"].as_array().expect("resources");
    let (accounts, repeated): (Vec<&Value>, Vec<&Value>) =
        docs.iter().partition(|d| d["type"] == "aws.account");
    let mut resources: Vec<Value> = accounts.into_iter().cloned().collect();
    let mut copy = 0;
    while resources.len() < n {
        for doc in &repeated {
            if resources.len() >= n {
                break;
            }
            let mut doc = (*doc).clone();
            if copy > 0 {
                for key in ["arn", "name"] {
                    if let Some(text) = doc[key].as_str() {
                        doc[key] = Value::String(format!("{text}-{copy}"));
                    }
                }
            }
            resources.push(doc);
        }
        copy += 1;
    }
    let mut inventory = example.clone();
    inventory["resources"] = Value::Array(resources);
    inventory.to_string()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let binary =
        std::env::var("POSTURE_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_posture").into());
    let root = env!("CARGO_MANIFEST_DIR");
    let example: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{root}/fixtures/example-account.json"))
            .expect("example account"),
    )
    .expect("example account JSON");
    let dir = tempfile::tempdir().expect("temp dir");

    println!();
    println!("posture offline evaluation benchmark ({binary}, every bundled rule)");
    println!();
    println!("| resources | inventory MiB | findings | wall s | peak RSS MiB |");
    println!("|---:|---:|---:|---:|---:|");
    for n in sizes() {
        let text = generate(&example, n);
        let inventory = dir.path().join(format!("inventory-{n}.json"));
        std::fs::write(&inventory, &text).expect("write inventory");
        let megabytes = text.len() as f64 / (1024.0 * 1024.0);
        drop(text);
        let report = dir.path().join(format!("report-{n}.json"));
        let started = Instant::now();
        let child = std::process::Command::new(&binary)
            .current_dir(root)
            .args(["scan", "--inventory"])
            .arg(&inventory)
            .args(["--format", "json", "--output"])
            .arg(&report)
            .arg("-q")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {binary}: {e}"));
        let cost = peak::wait_sampling(child, started);
        let code = cost.status.code().unwrap_or(-1);
        assert!(
            code == 0 || code == 1,
            "posture exited with {code} on {n} resources"
        );
        let findings = serde_json::from_str::<Value>(
            &std::fs::read_to_string(&report).expect("the scan wrote its report"),
        )
        .expect("JSON report")["findings"]
            .as_array()
            .map_or(0, Vec::len);
        println!(
            "| {n} | {megabytes:.0} | {findings} | {:.2} | {:.0} |",
            cost.wall_seconds, cost.peak_mib
        );
        let _ = std::fs::remove_file(&inventory);
        let _ = std::fs::remove_file(&report);
    }
}
