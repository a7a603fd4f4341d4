//! Stage 2, the hardware handshake. The oracle sends a fresh challenge; the worker signs it
//! with its node key (the key in its registry record) together with its GPU UUIDs and
//! driver facts; the oracle checks the signature, that the challenge is its own, fresh and
//! used once, and that the UUIDs hash to the `gpu_uuids_hash` of the node's record.

use io_gpu_id::gpu_uuids_hash;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signature, Signer};
use std::collections::HashMap;
use thiserror::Error;

/// Domain separation: a handshake signature can never be mistaken for a transaction's.
const DOMAIN: &[u8] = b"io-poc handshake v1\0";

/// What the oracle sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandshakeChallenge {
    pub nonce: [u8; 32],
    pub oracle: Pubkey,
    pub node: Pubkey,
    /// Unix seconds, the oracle's clock.
    pub issued_at: i64,
}

/// What the worker answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeReply {
    pub gpu_uuids: Vec<String>,
    pub driver_version: String,
    /// CUDA (major, minor); (0, 0) without CUDA.
    pub cuda: (u8, u8),
    pub signature: Signature,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum HandshakeError {
    #[error("the signature is not the node key's over this challenge and these facts")]
    BadSignature,
    #[error("the challenge was issued {age_secs} s ago, beyond its {ttl_secs} s lifetime")]
    Expired { age_secs: i64, ttl_secs: i64 },
    #[error("this challenge was not issued by this oracle, or not for this node")]
    UnknownChallenge,
    #[error("this challenge was already answered (replay)")]
    Replayed,
    #[error("the reported GPU UUIDs do not hash to the node record's gpu_uuids_hash")]
    UuidMismatch,
}

/// The bytes the node key signs.
pub fn signing_bytes(challenge: &HandshakeChallenge, gpu_uuids: &[String], driver_version: &str, cuda: (u8, u8)) -> Vec<u8> {
    let mut bytes = DOMAIN.to_vec();
    bytes.extend_from_slice(&challenge.nonce);
    bytes.extend_from_slice(challenge.oracle.as_ref());
    bytes.extend_from_slice(challenge.node.as_ref());
    bytes.extend_from_slice(&challenge.issued_at.to_le_bytes());
    bytes.extend_from_slice(&gpu_uuids_hash(gpu_uuids));
    bytes.extend_from_slice(&(driver_version.len() as u32).to_le_bytes());
    bytes.extend_from_slice(driver_version.as_bytes());
    bytes.extend_from_slice(&[cuda.0, cuda.1]);
    bytes
}

const ENROLL_DOMAIN: &[u8] = b"io-poc enroll v1";

/// The bytes a worker signs with its node key to tell an oracle where it serves. The
/// timestamp bounds a replay (an old enrollment names an old endpoint).
pub fn enrollment_bytes(node: &Pubkey, endpoint: &str, signed_at: i64) -> Vec<u8> {
    let mut bytes = ENROLL_DOMAIN.to_vec();
    bytes.extend_from_slice(node.as_ref());
    bytes.extend_from_slice(&signed_at.to_le_bytes());
    bytes.extend_from_slice(&(endpoint.len() as u32).to_le_bytes());
    bytes.extend_from_slice(endpoint.as_bytes());
    bytes
}

/// The worker's answer, signed with its node key.
pub fn answer(
    challenge: &HandshakeChallenge,
    node_key: &Keypair,
    gpu_uuids: Vec<String>,
    driver_version: String,
    cuda: (u8, u8),
) -> HandshakeReply {
    let signature = node_key.sign_message(&signing_bytes(challenge, &gpu_uuids, &driver_version, cuda));
    HandshakeReply { gpu_uuids, driver_version, cuda, signature }
}

/// The oracle's open challenges: each is answered at most once, and only while fresh.
#[derive(Debug, Default)]
pub struct ChallengeLedger {
    open: HashMap<[u8; 32], HandshakeChallenge>,
    answered: HashMap<[u8; 32], i64>,
}

impl ChallengeLedger {
    /// Records a challenge this oracle issues.
    pub fn issue(&mut self, challenge: HandshakeChallenge) {
        self.open.insert(challenge.nonce, challenge);
    }

    /// Verifies `reply` to the challenge `nonce` against the node record's UUID hash; the
    /// challenge is consumed whether or not the reply is good, so nothing can be retried
    /// on it. `now` is the oracle's clock.
    pub fn verify(
        &mut self,
        nonce: &[u8; 32],
        reply: &HandshakeReply,
        record_uuids_hash: &[u8; 32],
        now: i64,
        ttl_secs: i64,
    ) -> Result<HandshakeChallenge, HandshakeError> {
        if self.answered.contains_key(nonce) {
            return Err(HandshakeError::Replayed);
        }
        let challenge = self.open.remove(nonce).ok_or(HandshakeError::UnknownChallenge)?;
        self.answered.insert(*nonce, now);
        let age_secs = now - challenge.issued_at;
        if !(0..=ttl_secs).contains(&age_secs) {
            return Err(HandshakeError::Expired { age_secs, ttl_secs });
        }
        let message = signing_bytes(&challenge, &reply.gpu_uuids, &reply.driver_version, reply.cuda);
        if !reply.signature.verify(challenge.node.as_ref(), &message) {
            return Err(HandshakeError::BadSignature);
        }
        if gpu_uuids_hash(&reply.gpu_uuids) != *record_uuids_hash {
            return Err(HandshakeError::UuidMismatch);
        }
        Ok(challenge)
    }

    /// Forgets answered challenges older than `horizon` (they are expired anyway).
    pub fn prune(&mut self, now: i64, horizon_secs: i64) {
        self.answered.retain(|_, at| now - *at <= horizon_secs);
        self.open.retain(|_, c| now - c.issued_at <= horizon_secs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (ChallengeLedger, Keypair, HandshakeChallenge, Vec<String>) {
        let node = Keypair::new();
        let challenge = HandshakeChallenge { nonce: [7; 32], oracle: Pubkey::new_unique(), node: node.pubkey(), issued_at: 1_000 };
        let mut ledger = ChallengeLedger::default();
        ledger.issue(challenge);
        (ledger, node, challenge, vec!["GPU-aaaa".into(), "GPU-bbbb".into()])
    }

    #[test]
    fn an_honest_worker_passes() {
        let (mut ledger, node, challenge, uuids) = setup();
        let reply = answer(&challenge, &node, uuids.clone(), "550.54.15".into(), (12, 4));
        assert_eq!(ledger.verify(&challenge.nonce, &reply, &gpu_uuids_hash(&uuids), 1_010, 60), Ok(challenge));
    }

    #[test]
    fn a_replayed_handshake_is_refused() {
        let (mut ledger, node, challenge, uuids) = setup();
        let reply = answer(&challenge, &node, uuids.clone(), "550".into(), (12, 4));
        let hash = gpu_uuids_hash(&uuids);
        ledger.verify(&challenge.nonce, &reply, &hash, 1_010, 60).unwrap();
        assert_eq!(ledger.verify(&challenge.nonce, &reply, &hash, 1_011, 60), Err(HandshakeError::Replayed));
        // The old answer to a new challenge: the signature covers the nonce.
        let fresh = HandshakeChallenge { nonce: [8; 32], issued_at: 1_020, ..challenge };
        ledger.issue(fresh);
        assert_eq!(ledger.verify(&fresh.nonce, &reply, &hash, 1_021, 60), Err(HandshakeError::BadSignature));
    }

    #[test]
    fn stale_forged_and_mismatched_answers_are_refused_by_name() {
        let (mut ledger, node, challenge, uuids) = setup();
        let hash = gpu_uuids_hash(&uuids);
        let reply = answer(&challenge, &node, uuids.clone(), "550".into(), (12, 4));
        assert_eq!(ledger.verify(&challenge.nonce, &reply, &hash, 1_061, 60), Err(HandshakeError::Expired { age_secs: 61, ttl_secs: 60 }));

        let (mut ledger, _, challenge, uuids) = setup();
        let impostor = Keypair::new();
        let forged = answer(&challenge, &impostor, uuids.clone(), "550".into(), (12, 4));
        assert_eq!(ledger.verify(&challenge.nonce, &forged, &hash, 1_001, 60), Err(HandshakeError::BadSignature));

        let (mut ledger, node, challenge, _) = setup();
        let other = vec!["GPU-cccc".to_string()];
        let reply = answer(&challenge, &node, other, "550".into(), (12, 4));
        assert_eq!(ledger.verify(&challenge.nonce, &reply, &hash, 1_001, 60), Err(HandshakeError::UuidMismatch));

        // Facts changed after signing.
        let (mut ledger, node, challenge, uuids) = setup();
        let mut reply = answer(&challenge, &node, uuids, "550".into(), (12, 4));
        reply.cuda = (12, 8);
        assert_eq!(ledger.verify(&challenge.nonce, &reply, &hash, 1_001, 60), Err(HandshakeError::BadSignature));
        assert_eq!(ledger.verify(&[9; 32], &reply, &hash, 1_001, 60), Err(HandshakeError::UnknownChallenge));
    }
}
