//! The HTML report in a real browser (headless Chromium, Debian package `chromium`): the page
//! loads with its own script allowed by the Content-Security-Policy, the filters read the URL's
//! hash and hide exactly the rows they should, and a screenshot shows a page, not a blank.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::posture;

/// The Chromium binary: `POSTURE_CHROMIUM`, else the first on PATH; installed with apt when
/// missing and allowed, as the test harness installs moto. No browser is a failure, not a skip.
fn chromium() -> &'static Path {
    static FOUND: OnceLock<PathBuf> = OnceLock::new();
    FOUND.get_or_init(|| {
        let find = || {
            if let Some(path) = std::env::var_os("POSTURE_CHROMIUM") {
                return Some(PathBuf::from(path));
            }
            ["chromium", "chromium-browser", "google-chrome"]
                .iter()
                .find_map(|name| {
                    std::env::var_os("PATH").and_then(|paths| {
                        std::env::split_paths(&paths)
                            .map(|dir| dir.join(name))
                            .find(|p| p.is_file())
                    })
                })
        };
        if let Some(path) = find() {
            return path;
        }
        let install = Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends", "chromium"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status();
        find().unwrap_or_else(|| {
            panic!(
                "headless Chromium is needed for the HTML report tests and `apt-get install chromium` did not provide it ({install:?}); install it or set POSTURE_CHROMIUM"
            )
        })
    })
}

/// Runs Chromium headless with `args`, killed after a minute; returns its stdout.
fn browse(args: &[String]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromium starts");
    // Read stdout while the browser runs: a DOM larger than the pipe would block it.
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).map(|_| text)
    });
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("chromium did not finish within a minute");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "chromium failed: {status:?}");
    reader.join().unwrap().unwrap()
}

/// The example account's HTML report, PASS findings included.
fn html_report(dir: &Path) -> PathBuf {
    let path = dir.join("report.html");
    let run = posture()
        .args(["scan", "--inventory", "fixtures/example-account.json"])
        .args(["--include-pass", "--format", "html", "--output"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1), "{run:?}");
    path
}

fn url(path: &Path, hash: &str) -> String {
    format!("file://{}{hash}", path.display())
}

#[test]
fn the_page_is_self_contained_and_names_every_section() {
    let dir = tempfile::tempdir().unwrap();
    let html = std::fs::read_to_string(html_report(dir.path())).unwrap();
    for section in [
        "Framework controls",
        "Findings",
        "Rules",
        "SOC 2 Trust Services",
    ] {
        assert!(html.contains(section), "missing {section}");
    }
    assert!(
        !html.contains(" src=") && !html.contains("<link"),
        "the page loads nothing"
    );
    assert!(html.contains("Content-Security-Policy"));
}

#[test]
fn filters_from_the_url_hide_exactly_the_other_rows_in_a_browser() {
    let dir = tempfile::tempdir().unwrap();
    let path = html_report(dir.path());
    let dom = browse(&[
        "--dump-dom".into(),
        url(&path, "#status=FAIL&severity=high"),
    ]);
    let row =
        regex::Regex::new(r#"<tr data-severity="(\w+)" data-status="(\w+)"[^>]*?( hidden="")?>"#)
            .unwrap();
    let rows: Vec<(String, String, bool)> = row
        .captures_iter(&dom)
        .map(|c| (c[1].to_string(), c[2].to_string(), c.get(3).is_some()))
        .collect();
    assert!(rows.len() > 20, "the findings rows: {}", rows.len());
    let wanted = rows
        .iter()
        .filter(|(sev, status, _)| sev == "high" && status == "FAIL")
        .count();
    assert!(wanted > 0 && wanted < rows.len(), "{rows:?}");
    for (sev, status, hidden) in &rows {
        let shown = sev == "high" && status == "FAIL";
        assert_eq!(!hidden, shown, "{sev} {status} hidden={hidden}");
    }
    // The count line is the script's too: it ran, under the page's own policy.
    assert!(
        dom.contains(&format!("<span id=\"shown\">{wanted}</span>")),
        "the shown count is {wanted}"
    );
}

#[test]
fn a_screenshot_of_the_report_is_a_page_not_a_blank() {
    let dir = tempfile::tempdir().unwrap();
    let path = html_report(dir.path());
    let shot = dir.path().join("shot.png");
    browse(&[
        format!("--screenshot={}", shot.display()),
        "--window-size=1280,1600".into(),
        url(&path, ""),
    ]);
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((frame.width, frame.height), (1280, 1600));
    let channels = frame.color_type.samples();
    let colours: std::collections::HashSet<&[u8]> =
        pixels[..frame.buffer_size()].chunks(channels).collect();
    // Text, badges and rules antialiased: hundreds of colours; a blank or error page has few.
    assert!(colours.len() > 64, "{} colours", colours.len());
    // The badges' colours are there: a red FAIL badge's background (#fee4e2) somewhere.
    assert!(
        colours.iter().any(|c| c[..3] == [0xfe, 0xe4, 0xe2]),
        "no FAIL badge rendered"
    );
}
