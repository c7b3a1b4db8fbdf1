//! A small HTTP/1.1 proxy between the SDK and moto that records every request and injects the
//! faults moto cannot produce: an error status for chosen requests (`AccessDenied` on one call,
//! throttling for N attempts, 500 forever) and hangs (attempt timeouts).
//!
//! Hand-rolled on std threads so the tests add no dependency (and no feature unification that
//! would rebuild the SDK). One upstream connection per request, `Connection: close`; the answer
//! is re-framed with a Content-Length so the SDK can keep its client connection alive.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A request as the SDK sent it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, as on the request line.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }

    /// Whether the request only reads: a List/Get/Describe operation that does not return a
    /// secret's value, or a GET/HEAD of a REST API (S3, Lambda).
    pub fn is_read(&self) -> bool {
        match self.operation() {
            // How `--role-arn` reaches another account: it changes nothing in either.
            Some(op) if op == "AssumeRole" && self.service().as_deref() == Some("sts") => true,
            Some(op) => {
                ["List", "Get", "Describe"]
                    .iter()
                    .any(|p| op.starts_with(p))
                    && !SECRET_READS.contains(&op.as_str())
            }
            // REST protocols: reads are GET and HEAD, and the few reads AWS defines as a POST.
            None => {
                self.method == "GET"
                    || self.method == "HEAD"
                    || (self.method == "POST"
                        && self.iam_action().as_deref() == Some("es:DescribeDomains"))
            }
        }
    }

    /// Method, target, service and operation, for assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "{} {} {:?} {:?}",
            self.method,
            self.target,
            self.service(),
            self.operation()
        )
    }

    /// The signing name from the `SigV4` credential scope (`s3`, `iam`, `kms`, ...).
    pub fn service(&self) -> Option<String> {
        let auth = self.header("authorization")?;
        let credential = auth.split("Credential=").nth(1)?;
        let scope = credential.split([',', ' ']).next()?;
        scope.split('/').nth(3).map(str::to_string)
    }

    /// The operation of RPC-style protocols: `X-Amz-Target: Service.Operation` (JSON) or
    /// `Action=Operation` (query). REST protocols (S3, Lambda) have none.
    pub fn operation(&self) -> Option<String> {
        if let Some(target) = self.header("x-amz-target") {
            return target.rsplit('.').next().map(str::to_string);
        }
        let body = String::from_utf8_lossy(&self.body);
        body.split('&')
            .find_map(|pair| pair.strip_prefix("Action=").map(str::to_string))
    }
}

impl Request {
    /// The IAM action this request needs (`kms:ListKeys`), for comparing what posture calls
    /// with the policy `posture iam-policy` prints. RPC protocols name the operation; for the
    /// REST protocols posture uses (S3, Lambda) the path and query say which it is.
    pub fn iam_action(&self) -> Option<String> {
        let service = self.service()?;
        let prefix = match service.as_str() {
            "tagging" => "tag",
            other => other,
        };
        if let Some(op) = self.operation() {
            return Some(format!("{prefix}:{op}"));
        }
        let (path, query) = self.target.split_once('?').unwrap_or((&self.target, ""));
        let action = match service.as_str() {
            "s3" => s3_action(path, query)?,
            "lambda" => lambda_action(path)?,
            "es" => opensearch_action(path)?,
            "glacier" => glacier_action(path)?,
            "bedrock" if path.ends_with("/logging/modelinvocations") => {
                "GetModelInvocationLoggingConfiguration"
            }
            _ => return None,
        };
        Some(format!("{prefix}:{action}"))
    }
}

/// S3 reads by subresource (virtual-host or path-style bucket addressing both end up here).
fn s3_action(path: &str, query: &str) -> Option<&'static str> {
    let keys: Vec<&str> = query
        .split('&')
        .map(|pair| pair.split('=').next().unwrap_or(""))
        .collect();
    let has = |key: &str| keys.contains(&key);
    Some(if has("encryption") {
        "GetEncryptionConfiguration"
    } else if has("versioning") {
        "GetBucketVersioning"
    } else if has("policy") {
        "GetBucketPolicy"
    } else if has("lifecycle") {
        "GetLifecycleConfiguration"
    } else if has("logging") {
        "GetBucketLogging"
    } else if has("tagging") {
        "GetBucketTagging"
    } else if has("object-lock") {
        "GetBucketObjectLockConfiguration"
    } else if has("publicAccessBlock") {
        "GetBucketPublicAccessBlock"
    } else if has("location") {
        "GetBucketLocation"
    } else if has("ownershipControls") {
        "GetBucketOwnershipControls"
    } else if has("acl") {
        "GetBucketAcl"
    } else if has("replication") {
        "GetReplicationConfiguration"
    } else if has("notification") {
        "GetBucketNotification"
    } else if path == "/" {
        "ListAllMyBuckets"
    } else {
        return None;
    })
}

/// OpenSearch Service reads by path (`/2021-01-01/...`).
fn opensearch_action(path: &str) -> Option<&'static str> {
    if path.ends_with("/opensearch/domain-info") {
        Some("DescribeDomains")
    } else if path.ends_with("/domain") {
        Some("ListDomainNames")
    } else if path.contains("/tags") {
        Some("ListTags")
    } else {
        None
    }
}

/// Glacier reads by path (`/-/vaults[/NAME[/tags|/lock-policy]]`).
fn glacier_action(path: &str) -> Option<&'static str> {
    if path.ends_with("/tags") {
        Some("ListTagsForVault")
    } else if path.ends_with("/lock-policy") {
        Some("GetVaultLock")
    } else if path.ends_with("/vaults") {
        Some("ListVaults")
    } else {
        None
    }
}

/// Lambda reads by path: `/2015-03-31/functions/` lists, `/2017-03-31/tags/ARN` lists tags.
fn lambda_action(path: &str) -> Option<&'static str> {
    if path.contains("/tags/") {
        Some("ListTags")
    } else if path.ends_with("/functions") || path.ends_with("/functions/") {
        Some("ListFunctions")
    } else if path.ends_with("/policy") {
        Some("GetPolicy")
    } else if path.ends_with("/configuration") {
        Some("GetFunctionConfiguration")
    } else if path.contains("/event-source-mappings") {
        Some("ListEventSourceMappings")
    } else if path.contains("/functions/") {
        Some("GetFunction")
    } else {
        None
    }
}

/// Services a full scan reads, each of which must show up among its requests.
pub const SCANNED_SERVICES: [&str; 20] = [
    "s3",
    "iam",
    "kms",
    "dynamodb",
    "logs",
    "lambda",
    "ssm",
    "events",
    "states",
    "cloudtrail",
    "kinesis",
    "secretsmanager",
    "sqs",
    "sns",
    "rds",
    "elasticache",
    "es",
    "bedrock",
    "glacier",
    "sts",
];

/// The proof a full scan is read-only: more than `at_least` requests were seen, none of them
/// writes or reads a secret, and every scanned service was asked.
pub fn assert_only_reads(requests: &[Request], at_least: usize) {
    assert!(
        requests.len() > at_least,
        "suspiciously few requests: {}",
        requests.len()
    );
    let not_reads: Vec<String> = requests
        .iter()
        .filter(|r| !r.is_read())
        .map(Request::describe)
        .collect();
    assert!(
        not_reads.is_empty(),
        "requests that are not reads: {not_reads:#?}"
    );
    let services: std::collections::BTreeSet<String> =
        requests.iter().filter_map(Request::service).collect();
    for service in SCANNED_SERVICES {
        assert!(
            services.contains(service),
            "no {service} request: {services:?}"
        );
    }
}

/// Operations that return a secret's value: a scan must never call them.
pub const SECRET_READS: [&str; 5] = [
    "GetSecretValue",
    "BatchGetSecretValue",
    "GetParameter",
    "GetParameters",
    "GetParametersByPath",
];

/// What to do with a matching request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this HTTP status and AWS error code instead of forwarding.
    Status {
        status: u16,
        code: String,
        message: String,
    },
    /// Read the request, then say nothing for this long and close the connection.
    Hang(Duration),
    /// Answer 200 with this JSON body: only for APIs moto does not implement at all
    /// (account:ListRegions), so the code that reads them still meets a real HTTP answer.
    Json(String),
}

type Matcher = Box<dyn Fn(&Request) -> bool + Send + Sync>;

struct Rule {
    matcher: Matcher,
    fault: Fault,
    /// How many more matching requests get the fault; `None` for every one.
    remaining: Option<u32>,
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    requests: Vec<Request>,
    /// Added before forwarding each request: models a real round trip to AWS.
    latency: Duration,
    in_flight: usize,
    max_in_flight: usize,
}

pub struct FaultProxy {
    port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    /// Starts the proxy on a free loopback port, forwarding to `upstream` (`http://host:port`).
    pub fn start(upstream: &str) -> FaultProxy {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy port");
        let port = listener.local_addr().expect("proxy address").port();
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_state, thread_stop) = (state.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if thread_stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (state, upstream) = (thread_state.clone(), upstream.clone());
                std::thread::spawn(move || serve(stream, &upstream, &state));
            }
        });
        FaultProxy { port, state, stop }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Injects `fault` into the next `times` requests that match (every one with `None`).
    pub fn inject(
        &self,
        matcher: impl Fn(&Request) -> bool + Send + Sync + 'static,
        fault: Fault,
        times: Option<u32>,
    ) {
        self.lock().rules.push(Rule {
            matcher: Box::new(matcher),
            fault,
            remaining: times,
        });
    }

    /// Delays every forwarded request, so that concurrency becomes observable.
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    /// The most requests that were being answered at one time.
    pub fn max_in_flight(&self) -> usize {
        self.lock().max_in_flight
    }

    /// Every request received so far, faulted or forwarded.
    pub fn requests(&self) -> Vec<Request> {
        self.lock().requests.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(stream: TcpStream, upstream: &str, state: &Mutex<State>) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut writer = stream;
    // One client connection carries many requests (the SDK keeps connections alive).
    while let Some(request) = read_request(&mut reader) {
        let (fault, latency) = {
            let mut state = state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            state.requests.push(request.clone());
            state.in_flight += 1;
            state.max_in_flight = state.max_in_flight.max(state.in_flight);
            let mut chosen = None;
            for rule in &mut state.rules {
                if rule.remaining != Some(0) && (rule.matcher)(&request) {
                    if let Some(n) = rule.remaining.as_mut() {
                        *n -= 1;
                    }
                    chosen = Some(rule.fault.clone());
                    break;
                }
            }
            (chosen, state.latency)
        };
        let response = match fault {
            Some(Fault::Hang(duration)) => {
                std::thread::sleep(duration);
                None
            }
            Some(Fault::Status {
                status,
                code,
                message,
            }) => Some(error_response(&request, status, &code, &message)),
            Some(Fault::Json(body)) => Some(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
                .into_bytes(),
            ),
            None => {
                std::thread::sleep(latency);
                forward(&request, upstream)
            }
        };
        // Done before the answer leaves: once the client has it, it may send its next
        // request at once, which must not be counted as overlapping this one.
        state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .in_flight -= 1;
        let written =
            response.is_some_and(|r| writer.write_all(&r).and_then(|()| writer.flush()).is_ok());
        if !written {
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.trim_end().splitn(3, ' ');
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let mut request = Request {
        method,
        target,
        headers,
        body: Vec::new(),
    };
    if request
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        request.body = read_chunked(reader)?;
    } else {
        let length: usize = request
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body).ok()?;
        request.body = body;
    }
    Some(request)
}

fn read_chunked(reader: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        reader.read_line(&mut size_line).ok()?;
        let size = usize::from_str_radix(size_line.trim().split(';').next()?, 16).ok()?;
        if size == 0 {
            // Trailers end with an empty line.
            loop {
                let mut trailer = String::new();
                if reader.read_line(&mut trailer).ok()? == 0 || trailer.trim().is_empty() {
                    return Some(body);
                }
            }
        }
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk).ok()?;
        chunk.truncate(size);
        body.extend(chunk);
    }
}

fn forward(request: &Request, upstream: &str) -> Option<Vec<u8>> {
    let mut connection = TcpStream::connect(upstream).ok()?;
    let mut head = format!("{} {} HTTP/1.1\r\n", request.method, request.target);
    for (name, value) in &request.headers {
        let skip = ["connection", "transfer-encoding", "content-length"];
        if !skip.iter().any(|s| name.eq_ignore_ascii_case(s)) {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        request.body.len()
    ));
    connection.write_all(head.as_bytes()).ok()?;
    connection.write_all(&request.body).ok()?;
    let mut raw = Vec::new();
    connection.read_to_end(&mut raw).ok()?;

    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let status = status_line.split_once(' ')?.1;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = read_chunked(&mut BufReader::new(&body[..]))?;
    }
    let mut out = format!("HTTP/1.1 {status}\r\n");
    let mut length_header = None;
    for (name, value) in &headers {
        if name.eq_ignore_ascii_case("content-length") {
            length_header = Some(value.clone());
            continue;
        }
        if ["connection", "transfer-encoding"]
            .iter()
            .any(|s| name.eq_ignore_ascii_case(s))
        {
            continue;
        }
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    // A HEAD answer announces the length of a body it does not carry.
    let length = if request.method == "HEAD" {
        length_header.unwrap_or_else(|| "0".into())
    } else {
        body.len().to_string()
    };
    out.push_str(&format!("Content-Length: {length}\r\n\r\n"));
    let mut bytes = out.into_bytes();
    if request.method != "HEAD" {
        bytes.extend(body);
    }
    Some(bytes)
}

/// An error in the shape of the request's protocol, so the SDK parses its code.
fn error_response(request: &Request, status: u16, code: &str, message: &str) -> Vec<u8> {
    let (content_type, body, extra) = if request.header("x-amz-target").is_some() {
        let body = format!(r#"{{"__type":"{code}","message":"{message}"}}"#);
        (
            "application/x-amz-json-1.1",
            body,
            format!("x-amzn-ErrorType: {code}\r\n"),
        )
    } else if String::from_utf8_lossy(&request.body).contains("Action=") {
        let body = format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
        );
        ("text/xml", body, String::new())
    } else if request.service().as_deref() == Some("s3") {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault</RequestId></Error>"
        );
        ("application/xml", body, String::new())
    } else {
        let body = format!(r#"{{"message":"{message}"}}"#);
        (
            "application/json",
            body,
            format!("x-amzn-ErrorType: {code}\r\n"),
        )
    };
    let reason = match status {
        403 => "Forbidden",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
