//! Prometheus metrics of the oracle daemon, served as text on `GET /metrics` by a small
//! HTTP/1.1 responder (one request per connection; Prometheus needs nothing more).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Counters and gauges; every field is one series.
#[derive(Debug, Default)]
pub struct OracleMetrics {
    pub audits_verified: AtomicU64,
    pub audits_failed: AtomicU64,
    /// Audits that measured nothing (the worker busy with other audits): no verdict.
    pub audits_inconclusive: AtomicU64,
    pub attestations_verified: AtomicU64,
    pub attestations_suspended: AtomicU64,
    pub liveness_suspensions: AtomicU64,
    /// Shadowed leaves of re-registered node keys suspended by quorums this oracle led.
    pub duplicate_suspensions: AtomicU64,
    pub slash_proposals: AtomicU64,
    pub reviews_agreed: AtomicU64,
    pub reviews_refused: AtomicU64,
    pub cosigned: AtomicU64,
    pub cosign_refused: AtomicU64,
    pub quorum_missed: AtomicU64,
    pub chain_errors: AtomicU64,
    pub heartbeats: AtomicU64,
    pub enrollments: AtomicU64,
    pub enrolled_workers: AtomicI64,
    /// Review and co-sign requests refused before any work: unsigned, not from an oracle,
    /// expired or replayed.
    pub peer_requests_refused: AtomicU64,
    /// Groups of nodes (one operator, one host, one GPU set) audited in one shared window.
    pub group_audits: AtomicU64,
    /// Bytes of stress-test payload received in the last audit (roots and openings).
    pub last_stress_bytes: AtomicU64,
    /// Milliseconds the last audit took, all four stages.
    pub last_audit_ms: AtomicU64,
    /// Last measured speed, centi-TFLOPS.
    pub last_measured_centi_tflops: AtomicU64,
}

impl OracleMetrics {
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Relaxed);
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut family = |name: &str, kind: &str, help: &str, series: &[(&str, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for (labels, value) in series {
                let _ = writeln!(out, "{name}{labels} {value}");
            }
        };
        let get = |c: &AtomicU64| c.load(Relaxed);
        family(
            "io_oracle_audits_total",
            "counter",
            "Audits this oracle finished, led or reviewed.",
            &[
                ("{result=\"verified\"}", get(&self.audits_verified)),
                ("{result=\"failed\"}", get(&self.audits_failed)),
                ("{result=\"inconclusive\"}", get(&self.audits_inconclusive)),
            ],
        );
        family(
            "io_oracle_attestations_total",
            "counter",
            "Attestations this oracle led that landed on-chain.",
            &[
                ("{verdict=\"verified\"}", get(&self.attestations_verified)),
                ("{verdict=\"suspended\"}", get(&self.attestations_suspended)),
                ("{verdict=\"liveness_suspended\"}", get(&self.liveness_suspensions)),
                ("{verdict=\"duplicate_suspended\"}", get(&self.duplicate_suspensions)),
            ],
        );
        family(
            "io_oracle_slash_proposals_total",
            "counter",
            "Slash proposals this oracle led that landed.",
            &[("", get(&self.slash_proposals))],
        );
        family(
            "io_oracle_reviews_total",
            "counter",
            "Peer reviews this oracle answered.",
            &[("{result=\"agreed\"}", get(&self.reviews_agreed)), ("{result=\"refused\"}", get(&self.reviews_refused))],
        );
        family(
            "io_oracle_cosign_total",
            "counter",
            "Transaction messages this oracle was asked to co-sign.",
            &[("{result=\"signed\"}", get(&self.cosigned)), ("{result=\"refused\"}", get(&self.cosign_refused))],
        );
        family(
            "io_oracle_peer_requests_refused_total",
            "counter",
            "Review and co-sign requests refused unread: unsigned, not from an oracle, expired or replayed.",
            &[("", get(&self.peer_requests_refused))],
        );
        family(
            "io_oracle_group_audits_total",
            "counter",
            "Groups of nodes that could share hardware (one operator, host or GPU set) audited in one timed window.",
            &[("", get(&self.group_audits))],
        );
        family("io_oracle_quorum_missed_total", "counter", "Verdicts no quorum of peers agreed with.", &[("", get(&self.quorum_missed))]);
        family("io_oracle_chain_errors_total", "counter", "Chain reads or transactions that failed.", &[("", get(&self.chain_errors))]);
        family("io_oracle_heartbeats_total", "counter", "Worker heartbeats received.", &[("", get(&self.heartbeats))]);
        family("io_oracle_enrollments_total", "counter", "Worker enrollments accepted.", &[("", get(&self.enrollments))]);
        let workers = self.enrolled_workers.load(Relaxed).max(0) as u64;
        family("io_oracle_enrolled_workers", "gauge", "Worker agents this oracle follows.", &[("", workers)]);
        family("io_oracle_last_audit_milliseconds", "gauge", "Duration of the last audit, all stages.", &[("", get(&self.last_audit_ms))]);
        family(
            "io_oracle_last_measured_centi_tflops",
            "gauge",
            "Speed measured by the last stress test, hundredths of a TFLOPS.",
            &[("", get(&self.last_measured_centi_tflops))],
        );
        family(
            "io_oracle_last_stress_bytes",
            "gauge",
            "Stress-test payload the last audit received from the worker (roots and opened blocks).",
            &[("", get(&self.last_stress_bytes))],
        );
        out
    }
}

/// Serves `metrics` on `listener` until the task is dropped.
pub async fn serve_metrics(listener: TcpListener, metrics: Arc<OracleMetrics>) {
    loop {
        let Ok((mut socket, _)) = listener.accept().await else { continue };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let mut request = vec![0u8; 2048];
            let mut read = 0;
            // Read the request head (a scrape has no body).
            while read < request.len() {
                match socket.read(&mut request[read..]).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => read += n,
                }
                if request[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            let head = String::from_utf8_lossy(&request[..read]);
            let path = head.split_whitespace().nth(1).unwrap_or("");
            let (status, body) = if head.starts_with("GET ") && (path == "/metrics" || path.starts_with("/metrics?")) {
                ("200 OK", metrics.render())
            } else {
                ("404 Not Found", "not found: try /metrics\n".to_string())
            };
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
            let _ = socket.shutdown().await;
        });
    }
}
