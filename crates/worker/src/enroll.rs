//! Enrollment: the worker tells each oracle of the set where its agent serves, signed by
//! its node key, so the oracles can audit it and follow its heartbeats.

use io_poc::handshake::enrollment_bytes;
use io_proto::v1::{oracle_client::OracleClient, EnrollRequest};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum EnrollError {
    #[error("oracle at {0} unreachable: {1}")]
    Unreachable(String, String),
    #[error("oracle at {0} refused the enrollment: {1}")]
    Refused(String, String),
}

/// Enrolls the agent serving at `endpoint` with the oracle at `oracle`; returns the
/// oracle's key.
pub async fn enroll(node_key: &Keypair, endpoint: &str, oracle: &str) -> Result<Pubkey, EnrollError> {
    let unreachable = |e: &dyn std::fmt::Display| EnrollError::Unreachable(oracle.to_string(), e.to_string());
    let channel = tonic::transport::Endpoint::from_shared(oracle.to_string())
        .map_err(|e| unreachable(&e))?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60))
        .connect()
        .await
        .map_err(|e| unreachable(&e))?;
    let node = node_key.pubkey();
    let signed_at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    let signature = node_key.sign_message(&enrollment_bytes(&node, endpoint, signed_at));
    let request =
        EnrollRequest { node: node.to_string(), endpoint: endpoint.to_string(), signed_at, signature: signature.as_ref().to_vec() };
    let reply = OracleClient::new(channel)
        .enroll(request)
        .await
        .map_err(|status| EnrollError::Refused(oracle.to_string(), status.message().to_string()))?
        .into_inner();
    reply.oracle.parse().map_err(|_| EnrollError::Refused(oracle.to_string(), "the oracle's key is not base58".into()))
}

/// Enrolls with `oracle` until it accepts, and returns its key. A refusal or an oracle out
/// of reach is reported to `on_failure` with the wait before the next try: the wait doubles
/// from `first_wait` up to `max_wait`. An oracle reads the registry at finalized commitment
/// (or from its indexer), so a worker started just after its node's registration is
/// refused ("the node is not in the registry") for some seconds; an oracle that restarts
/// is out of reach for a while. Neither may leave the node unaudited for good.
pub async fn enroll_until_accepted(
    node_key: &Keypair,
    endpoint: &str,
    oracle: &str,
    first_wait: Duration,
    max_wait: Duration,
    mut on_failure: impl FnMut(&EnrollError, Duration),
) -> Pubkey {
    let mut wait = first_wait;
    loop {
        match enroll(node_key, endpoint, oracle).await {
            Ok(key) => return key,
            Err(e) => {
                on_failure(&e, wait);
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(max_wait.max(first_wait));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use io_proto::v1::oracle_server::{Oracle, OracleServer};
    use io_proto::v1::{CoSignReply, CoSignRequest, EnrollReply, ReviewReply, ReviewRequest};
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    use tonic::{Request, Response, Status};

    /// An oracle's enrollment endpoint that refuses the first `refusals` requests as an
    /// oracle that has not seen the node yet does, then accepts.
    struct LateOracle {
        key: Pubkey,
        refusals: u32,
        requests: Arc<AtomicU32>,
    }

    #[tonic::async_trait]
    impl Oracle for LateOracle {
        async fn enroll(&self, _: Request<EnrollRequest>) -> Result<Response<EnrollReply>, Status> {
            if self.requests.fetch_add(1, Ordering::SeqCst) < self.refusals {
                return Err(Status::failed_precondition("the node is not in the registry"));
            }
            Ok(Response::new(EnrollReply { oracle: self.key.to_string() }))
        }
        async fn review(&self, _: Request<ReviewRequest>) -> Result<Response<ReviewReply>, Status> {
            Err(Status::unimplemented("not part of this test"))
        }
        async fn co_sign(&self, _: Request<CoSignRequest>) -> Result<Response<CoSignReply>, Status> {
            Err(Status::unimplemented("not part of this test"))
        }
    }

    #[tokio::test]
    async fn a_worker_keeps_enrolling_through_an_oracle_out_of_reach_then_refusing_until_it_accepts() {
        // A port nobody serves yet: the first try finds the oracle out of reach.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let oracle = format!("http://{address}");
        let key = Pubkey::new_unique();
        let requests = Arc::new(AtomicU32::new(0));
        let mut service = Some(LateOracle { key, refusals: 2, requests: requests.clone() });
        let mut server = None;
        let mut failures: Vec<(String, Duration)> = vec![];
        let node = Keypair::new();
        let accepted = enroll_until_accepted(
            &node,
            "http://127.0.0.1:7700",
            &oracle,
            Duration::from_millis(50),
            Duration::from_millis(120),
            |e, wait| {
                failures.push((e.to_string(), wait));
                // The oracle comes up after the first failure, bound before the next try.
                if let Some(service) = service.take() {
                    let listener = std::net::TcpListener::bind(address).expect("the port is still free");
                    listener.set_nonblocking(true).unwrap();
                    let incoming = tokio_stream::wrappers::TcpListenerStream::new(tokio::net::TcpListener::from_std(listener).unwrap());
                    server = Some(tokio::spawn(
                        tonic::transport::Server::builder().add_service(OracleServer::new(service)).serve_with_incoming(incoming),
                    ));
                }
            },
        )
        .await;
        server.expect("the oracle was started").abort();
        assert_eq!(accepted, key);
        // Out of reach once, refused twice, accepted on the fourth try; the waits double
        // from 50 ms and stop at the 120 ms ceiling.
        assert_eq!(requests.load(Ordering::SeqCst), 3);
        let waits: Vec<u128> = failures.iter().map(|(_, w)| w.as_millis()).collect();
        assert_eq!(waits, [50, 100, 120]);
        assert!(failures[0].0.starts_with(&format!("oracle at {oracle} unreachable")), "{}", failures[0].0);
        for (text, _) in &failures[1..] {
            assert_eq!(text, &format!("oracle at {oracle} refused the enrollment: the node is not in the registry"));
        }
    }
}
