//! A worker agent in a runtime of its own, as if it were its own process: the demo and
//! the tests run several on loopback beside the oracles, and `kill` ends one with every
//! connection it holds (its heartbeat streams included), like a machine going dark.

use crate::WorkerAgent;
use io_proto::v1::worker_server::WorkerServer;
use std::net::SocketAddr;
use tokio_stream::wrappers::TcpListenerStream;

pub struct AgentProcess {
    /// The agent's gRPC endpoint, http://ip:port.
    pub endpoint: String,
    runtime: Option<tokio::runtime::Runtime>,
}

impl AgentProcess {
    /// Serves `agent` on `listen` (port 0 picks one) from a new one-thread runtime.
    pub fn start(agent: WorkerAgent, listen: SocketAddr) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).thread_name("worker-agent").enable_all().build()?;
        let listener = runtime.block_on(tokio::net::TcpListener::bind(listen))?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        runtime.spawn(async move {
            let _ = tonic::transport::Server::builder()
                .add_service(WorkerServer::new(agent))
                .serve_with_incoming(TcpListenerStream::new(listener))
                .await;
        });
        Ok(AgentProcess { endpoint, runtime: Some(runtime) })
    }

    /// Stops the agent at once; callable from async code.
    pub fn kill(mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
