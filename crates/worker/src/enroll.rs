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
