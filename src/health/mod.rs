//! Service health: one cheap read-only call per service and region, sampled several times, with
//! latency and a status. The probes live in `probes.rs`; this file classifies and renders.

mod probes;

use serde::{Deserialize, Serialize};

use crate::inventory::CollectionError;

pub use probes::{HealthOptions, READ_ACTIONS, SERVICES, canonical_service, run};

/// How a service answered its probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HealthStatus {
    /// Answered every sample quickly.
    Healthy,
    /// Answered, but slower than the threshold or throttled.
    Degraded,
    /// Did not answer successfully; the error code says why (`AccessDenied` is not unreachable).
    Unavailable,
}

impl HealthStatus {
    /// The serialized form, e.g. `DEGRADED`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Healthy => "HEALTHY",
            HealthStatus::Degraded => "DEGRADED",
            HealthStatus::Unavailable => "UNAVAILABLE",
        }
    }
}

/// The outcome of one call.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Round-trip time of the call, in milliseconds.
    pub millis: f64,
    /// None on success; else the failure, whose code (`AccessDenied`, `ThrottlingException`,
    /// `Timeout`, `DispatchFailure`, ...) and message the table shows.
    pub error: Option<CollectionError>,
}

/// The probe result of one service in one region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceHealth {
    /// Service key, e.g. `s3`.
    pub service: String,
    /// AWS region probed.
    pub region: String,
    /// The API action probed.
    pub action: String,
    /// The service's classified health.
    pub status: HealthStatus,
    /// Number of calls made.
    pub samples: usize,
    /// Number of calls that failed.
    pub failures: usize,
    /// Median latency of the calls, in milliseconds (one decimal).
    pub median_ms: f64,
    /// Slowest call, in milliseconds (one decimal).
    pub max_ms: f64,
    /// Error code of the failure that decided the status; absent when none failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Error message of that failure; absent when none failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

/// Classifies the samples of one probe. Any non-throttling failure makes the service
/// UNAVAILABLE (with the first such error); throttling or a slow median or maximum makes it
/// DEGRADED.
pub fn classify(
    service: &str,
    region: &str,
    action: &str,
    samples: &[Sample],
    degraded_ms: f64,
) -> ServiceHealth {
    let mut times: Vec<f64> = samples.iter().map(|s| s.millis).collect();
    times.sort_by(f64::total_cmp);
    let median = match times.len() {
        0 => 0.0,
        n if n % 2 == 1 => times[n / 2],
        n => f64::midpoint(times[n / 2 - 1], times[n / 2]),
    };
    let max = times.last().copied().unwrap_or(0.0);
    let failures: Vec<&CollectionError> = samples.iter().filter_map(|s| s.error.as_ref()).collect();
    let hard = failures.iter().find(|e| !e.is_throttling());
    let throttled = failures.iter().find(|e| e.is_throttling());
    let no_samples = CollectionError::new(action, "NoSamples", "no call was made");
    let (status, error) = if samples.is_empty() {
        (HealthStatus::Unavailable, Some(&no_samples))
    } else if let Some(e) = hard {
        (HealthStatus::Unavailable, Some(*e))
    } else if let Some(e) = throttled {
        (HealthStatus::Degraded, Some(*e))
    } else if median > degraded_ms || max > degraded_ms {
        (HealthStatus::Degraded, None)
    } else {
        (HealthStatus::Healthy, None)
    };
    ServiceHealth {
        service: service.to_string(),
        region: region.to_string(),
        action: action.to_string(),
        status,
        samples: samples.len(),
        failures: failures.len(),
        median_ms: (median * 10.0).round() / 10.0,
        max_ms: (max * 10.0).round() / 10.0,
        error_code: error.map(|e| e.code.clone()),
        error_message: error.map(|e| e.message.clone()),
    }
}

/// Renders the results as a text table, one row per service and region.
#[must_use]
pub fn render_table(results: &[ServiceHealth]) -> String {
    use tabled::builder::Builder;
    use tabled::settings::Style;
    let mut builder = Builder::default();
    builder.push_record([
        "SERVICE",
        "REGION",
        "CALL",
        "STATUS",
        "MEDIAN ms",
        "MAX ms",
        "ERROR",
    ]);
    for r in results {
        builder.push_record([
            r.service.clone(),
            r.region.clone(),
            r.action.clone(),
            r.status.as_str().to_string(),
            format!("{:.1}", r.median_ms),
            format!("{:.1}", r.max_ms),
            r.error_code
                .clone()
                .map(|c| format!("{c}: {}", r.error_message.clone().unwrap_or_default()))
                .unwrap_or_default(),
        ]);
    }
    let mut table = builder.build();
    table.with(Style::sharp()).with(
        tabled::settings::Modify::new(tabled::settings::object::Columns::new(6..7))
            .with(tabled::settings::Width::wrap(60).keep_words(true)),
    );
    format!("{table}\n")
}

/// 0 when every service is healthy, 1 otherwise.
#[must_use]
pub fn exit_code(results: &[ServiceHealth]) -> u8 {
    u8::from(!results.iter().all(|r| r.status == HealthStatus::Healthy))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(ms: f64) -> Sample {
        Sample {
            millis: ms,
            error: None,
        }
    }

    fn err(code: &str) -> Sample {
        Sample {
            millis: 3.0,
            error: Some(CollectionError::new("kms:ListKeys", code, "m")),
        }
    }

    #[test]
    fn statuses() {
        let h = classify(
            "s3",
            "eu-west-1",
            "s3:ListBuckets",
            &[ok(10.0), ok(30.0), ok(20.0)],
            1000.0,
        );
        assert_eq!(
            (h.status, h.median_ms, h.max_ms),
            (HealthStatus::Healthy, 20.0, 30.0)
        );
        let slow = classify("s3", "r", "a", &[ok(10.0), ok(1500.0), ok(20.0)], 1000.0);
        assert_eq!(slow.status, HealthStatus::Degraded);
        let throttled = classify(
            "kms",
            "r",
            "a",
            &[ok(10.0), err("ThrottlingException")],
            1000.0,
        );
        assert_eq!(
            (throttled.status, throttled.error_code.as_deref()),
            (HealthStatus::Degraded, Some("ThrottlingException"))
        );
        let denied = classify(
            "kms",
            "r",
            "a",
            &[err("AccessDeniedException"), ok(5.0)],
            1000.0,
        );
        assert_eq!(
            (denied.status, denied.error_code.as_deref()),
            (HealthStatus::Unavailable, Some("AccessDeniedException"))
        );
        assert_eq!(exit_code(std::slice::from_ref(&h)), 0);
        assert_eq!(exit_code(&[h, denied]), 1);
    }
}
