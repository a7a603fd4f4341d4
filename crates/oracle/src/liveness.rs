//! Liveness: the daemon keeps a heartbeat stream open to every enrolled worker and
//! stamps each beat; a verified node whose stamp grows older than `missed_beats`
//! intervals is suspended by the quorum (`daemon::run_cycle`).

use crate::daemon::{OracleDaemon, Shared};
use crate::metrics::OracleMetrics;
use io_proto::v1::{self as pb, worker_client::WorkerClient};
use solana_sdk::pubkey::Pubkey;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A worker this oracle follows.
pub(crate) struct Follow {
    pub endpoint: String,
    pub last_beat: Instant,
    pub follower: Option<tokio::task::JoinHandle<()>>,
}

impl OracleDaemon {
    /// Starts (or restarts) following `node`'s worker at `endpoint`: heartbeats from now.
    /// Needs a tokio runtime.
    pub fn follow(&self, node: Pubkey, endpoint: String) {
        let mut workers = self.shared.workers.lock().expect("workers lock");
        if let Some(old) = workers.remove(&node) {
            if let Some(task) = old.follower {
                task.abort();
            }
        }
        let follower = tokio::runtime::Handle::try_current()
            .ok()
            .map(|rt| rt.spawn(follow_heartbeats(Arc::downgrade(&self.shared), node, endpoint.clone())));
        workers.insert(node, Follow { endpoint, last_beat: Instant::now(), follower });
        self.shared.metrics.enrolled_workers.store(workers.len() as i64, Relaxed);
    }

    /// The endpoint `node`'s worker enrolled with, if any.
    pub fn endpoint_of(&self, node: &Pubkey) -> Option<String> {
        self.shared.workers.lock().expect("workers lock").get(node).map(|f| f.endpoint.clone())
    }

    /// Whole heartbeat intervals since `node`'s last beat (or since it was followed).
    pub fn missed_beats(&self, node: &Pubkey) -> Option<u32> {
        let workers = self.shared.workers.lock().expect("workers lock");
        let since = workers.get(node)?.last_beat.elapsed();
        Some((since.as_millis() / self.shared.settings.heartbeat_interval.as_millis().max(1)) as u32)
    }

    /// Stops following every worker (before the daemon is dropped).
    pub fn stop_following(&self) {
        for (_, follow) in self.shared.workers.lock().expect("workers lock").drain() {
            if let Some(task) = follow.follower {
                task.abort();
            }
        }
    }
}

/// Keeps a heartbeat stream open to the worker, reconnecting after a pause, and stamps
/// every beat. Ends when the daemon is gone.
async fn follow_heartbeats(shared: std::sync::Weak<Shared>, node: Pubkey, endpoint: String) {
    loop {
        let Some(interval) = shared.upgrade().map(|s| s.settings.heartbeat_interval) else { return };
        if let Ok(endpoint) = tonic::transport::Endpoint::from_shared(endpoint.clone()) {
            if let Ok(channel) = endpoint.connect_timeout(Duration::from_secs(3)).connect().await {
                let request = pb::HeartbeatRequest { interval_ms: interval.as_millis().min(60_000) as u32 };
                if let Ok(reply) = WorkerClient::new(channel).heartbeat(request).await {
                    let mut beats = reply.into_inner();
                    while let Ok(Some(_)) = beats.message().await {
                        let Some(alive) = shared.upgrade() else { return };
                        OracleMetrics::inc(&alive.metrics.heartbeats);
                        let mut workers = alive.workers.lock().expect("workers lock");
                        if let Some(follow) = workers.get_mut(&node) {
                            follow.last_beat = Instant::now();
                        }
                    }
                }
            }
        }
        tokio::time::sleep(interval).await;
    }
}
