//! `posture health` against moto (every AWS service it probes), a local fake Bedrock Runtime
//! endpoint (Converse wire format: an answer, a slow answer, an error), and an endpoint that
//! accepts connections but never answers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::moto_endpoint;
use serde_json::Value;

fn posture(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_posture"));
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .args(args)
        .output()
        .expect("run posture")
}

fn json_results(out: &Output) -> Vec<Value> {
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)))
        .as_array()
        .cloned()
        .expect("a list of results")
}

#[test]
fn every_service_answers_from_moto() {
    let moto = moto_endpoint();
    let out = posture(&[
        "health",
        "--endpoint-url",
        &moto,
        "--region",
        "us-east-1",
        "--format",
        "json",
        "--samples",
        "2",
        // This test is about every service answering, not speed: moto loads each backend on its
        // first request, which is slow on a loaded machine.
        "--degraded-ms",
        "60000",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let results = json_results(&out);
    let services: Vec<&str> = results
        .iter()
        .map(|r| r["service"].as_str().unwrap())
        .collect();
    assert_eq!(
        services,
        ["s3", "kms", "dynamodb", "ssm", "lambda", "events", "sfn"]
    );
    for r in &results {
        assert_eq!(r["status"], "HEALTHY", "{r}");
        assert_eq!(r["samples"], 2);
        assert!(r["median_ms"].as_f64().unwrap() > 0.0);
    }
}

/// Every call `posture health` makes is in the policy `posture iam-policy --health` prints, and
/// that policy's read statement holds reads only.
#[test]
fn iam_policy_health_covers_every_probe() {
    let proxy = crate::support::fault_proxy::FaultProxy::start(&moto_endpoint());
    let out = posture(&[
        "health",
        "--endpoint-url",
        &proxy.endpoint(),
        "--region",
        "us-east-1",
        "--format",
        "json",
        "--samples",
        "1",
        "--degraded-ms",
        "60000",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let policy = posture(&["iam-policy", "--health"]);
    assert_eq!(policy.status.code(), Some(0));
    let policy: Value = serde_json::from_slice(&policy.stdout).expect("policy JSON");
    let granted: Vec<&str> = policy["Statement"][0]["Action"]
        .as_array()
        .expect("actions")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let called: std::collections::BTreeSet<String> = proxy
        .requests()
        .iter()
        .map(|r| {
            r.iam_action()
                .unwrap_or_else(|| panic!("no IAM action for {}", r.describe()))
        })
        .collect();
    assert!(called.len() >= 7, "{called:?}");
    let missing: Vec<&String> = called
        .iter()
        .filter(|a| !granted.contains(&a.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "`iam-policy --health` lacks {missing:?}"
    );
    for action in &granted {
        let (_, name) = action.split_once(':').expect("service:Action");
        assert!(
            ["List", "Get", "Describe"]
                .iter()
                .any(|p| name.starts_with(p)),
            "not a read: {action}"
        );
    }
    // The Bedrock probe's inference is granted apart, on models only.
    assert_eq!(
        policy["Statement"][1]["Action"],
        serde_json::json!(["bedrock:InvokeModel"])
    );
}

#[test]
fn a_silent_endpoint_is_unavailable_within_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    // Accept and hold connections without ever answering.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let started = Instant::now();
    let out = posture(&[
        "health",
        "--endpoint-url",
        &endpoint,
        "--region",
        "us-east-1",
        "--services",
        "kms",
        "--samples",
        "1",
        "--timeout",
        "2",
        "--format",
        "json",
    ]);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(1));
    let results = json_results(&out);
    assert_eq!(results[0]["status"], "UNAVAILABLE");
    assert_eq!(results[0]["error_code"], "Timeout", "{}", results[0]);
}

/// A one-connection-at-a-time HTTP server answering Bedrock Runtime Converse requests.
fn fake_bedrock(
    delay: Duration,
    status: u16,
    body: &'static str,
    error_type: Option<&'static str>,
) -> (String, std::sync::mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let (paths, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line.trim().is_empty() {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut request_body = vec![0; length];
            reader.read_exact(&mut request_body).unwrap();
            let _ = paths.send(format!(
                "{} {}",
                request_line.trim(),
                String::from_utf8_lossy(&request_body)
            ));
            std::thread::sleep(delay);
            let mut stream = stream;
            let extra = error_type
                .map(|t| format!("x-amzn-ErrorType: {t}\r\n"))
                .unwrap_or_default();
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{extra}content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (endpoint, received)
}

const CONVERSE_OK: &str = r#"{"output":{"message":{"role":"assistant","content":[{"text":"."}]}},"stopReason":"max_tokens","usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2},"metrics":{"latencyMs":3}}"#;
const MODEL: &str = "anthropic.claude-3-haiku-20240307-v1:0";

#[test]
fn bedrock_probe_uses_converse_with_one_token() {
    let (endpoint, requests) = fake_bedrock(Duration::ZERO, 200, CONVERSE_OK, None);
    let out = posture(&[
        "health",
        "--endpoint-url",
        &endpoint,
        "--region",
        "us-east-1",
        "--services",
        "bedrock",
        "--bedrock-model",
        MODEL,
        "--samples",
        "1",
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let request = requests.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(
        request.starts_with("POST /model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"),
        "{request}"
    );
    assert!(request.contains(r#""maxTokens":1"#), "{request}");
}

#[test]
fn a_slow_bedrock_model_is_degraded() {
    let (endpoint, _requests) = fake_bedrock(Duration::from_millis(700), 200, CONVERSE_OK, None);
    let out = posture(&[
        "health",
        "--endpoint-url",
        &endpoint,
        "--region",
        "us-east-1",
        "--services",
        "bedrock",
        "--bedrock-model",
        MODEL,
        "--samples",
        "1",
        "--degraded-ms",
        "300",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_results(&out)[0]["status"], "DEGRADED");
}

#[test]
fn bedrock_access_denied_is_unavailable_with_its_code() {
    let body = r#"{"message":"You don't have access to the model with the specified model ID."}"#;
    let (endpoint, _requests) =
        fake_bedrock(Duration::ZERO, 403, body, Some("AccessDeniedException"));
    let out = posture(&[
        "health",
        "--endpoint-url",
        &endpoint,
        "--region",
        "us-east-1",
        "--services",
        "bedrock",
        "--bedrock-model",
        MODEL,
        "--samples",
        "1",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let result = &json_results(&out)[0];
    assert_eq!(result["status"], "UNAVAILABLE");
    assert_eq!(result["error_code"], "AccessDeniedException");
}

#[test]
fn bedrock_without_a_model_is_refused() {
    let out = posture(&["health", "--region", "us-east-1", "--services", "bedrock"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--bedrock-model"));
}

fn example_report(dir: &std::path::Path) -> String {
    let path = dir.join("report.json");
    let out = Command::new(env!("CARGO_BIN_EXE_posture"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "scan",
            "--inventory",
            "fixtures/example-account.json",
            "--format",
            "json",
            "--output",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    path.display().to_string()
}

const SUMMARY_ANSWER: &str = r#"{"output":{"message":{"role":"assistant","content":[{"text":"Summary\nNine critical failures."}]}},"stopReason":"end_turn","usage":{"inputTokens":900,"outputTokens":12,"totalTokens":912},"metrics":{"latencyMs":40}}"#;

#[test]
fn summarize_sends_aggregates_only_by_default() {
    let tmp = tempfile::tempdir().unwrap();
    let report = example_report(tmp.path());
    let (endpoint, requests) = fake_bedrock(Duration::ZERO, 200, SUMMARY_ANSWER, None);
    let out = posture(&[
        "summarize",
        &report,
        "--bedrock-model",
        MODEL,
        "--region",
        "us-east-1",
        "--endpoint-url",
        &endpoint,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Summary\nNine critical failures.\n"
    );
    let request = requests.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(request.contains("/converse"), "{request}");
    assert!(
        request.contains("s3-audit-bucket-object-lock"),
        "rule ids are sent"
    );
    assert!(
        request.contains("fsbp S3.15"),
        "framework controls are sent"
    );
    assert!(
        !request.contains("arn:aws"),
        "no ARN leaves the machine by default: {request}"
    );
    assert!(
        !request.contains("acme-"),
        "no resource name leaves the machine by default"
    );
}

#[test]
fn summarize_takes_the_output_flags_scan_takes() {
    let tmp = tempfile::tempdir().unwrap();
    let report = example_report(tmp.path());
    let run = |flags: &[&str]| {
        let (endpoint, _requests) = fake_bedrock(Duration::ZERO, 200, SUMMARY_ANSWER, None);
        let mut args = vec![
            "summarize",
            report.as_str(),
            "--bedrock-model",
            MODEL,
            "--region",
            "us-east-1",
            "--endpoint-url",
            endpoint.as_str(),
        ];
        args.extend(flags);
        let out = posture(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let dir = tmp.path().join("out");
    assert_eq!(run(&["-o", dir.to_str().unwrap()]), "");
    assert_eq!(
        std::fs::read_to_string(dir.join("summary.md")).unwrap(),
        "Summary\nNine critical failures.\n"
    );
    assert_eq!(
        run(&["--output", "-"]),
        "Summary\nNine critical failures.\n"
    );
}

#[test]
fn summarize_sends_resources_only_when_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let report = example_report(tmp.path());
    let (endpoint, requests) = fake_bedrock(Duration::ZERO, 200, SUMMARY_ANSWER, None);
    let output = tmp.path().join("summary.md");
    let out = posture(&[
        "summarize",
        &report,
        "--bedrock-model",
        MODEL,
        "--region",
        "us-east-1",
        "--endpoint-url",
        &endpoint,
        "--include-resources",
        "--output",
        output.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::fs::read_to_string(&output)
            .unwrap()
            .starts_with("Summary")
    );
    let request = requests.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(
        request.contains("arn:aws:s3:::acme-audit-legacy"),
        "{request}"
    );
}

#[test]
fn summarize_errors_are_clear() {
    let tmp = tempfile::tempdir().unwrap();
    let report = example_report(tmp.path());
    let out = posture(&["summarize", &report, "--region", "us-east-1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no Bedrock model configured"));
    let body = r#"{"message":"You don't have access to the model with the specified model ID."}"#;
    let (endpoint, _requests) =
        fake_bedrock(Duration::ZERO, 403, body, Some("AccessDeniedException"));
    let out = posture(&[
        "summarize",
        &report,
        "--bedrock-model",
        MODEL,
        "--region",
        "us-east-1",
        "--endpoint-url",
        &endpoint,
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("AccessDeniedException") && stderr.contains("request access to the model"),
        "{stderr}"
    );
    let throttled = r#"{"message":"Too many requests, please wait before trying again."}"#;
    let (endpoint, requests) =
        fake_bedrock(Duration::ZERO, 429, throttled, Some("ThrottlingException"));
    let out = posture(&[
        "summarize",
        &report,
        "--bedrock-model",
        MODEL,
        "--region",
        "us-east-1",
        "--endpoint-url",
        &endpoint,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("throttled after 3 attempts"));
    assert_eq!(
        requests.try_iter().count(),
        3,
        "throttling is retried, then reported"
    );
}
