//! Only oracles drive oracles: every `Review` and `CoSign` request carries a [`pb::PeerAuth`]
//! signed by a member of the on-chain oracle set, over the request's own bytes (the
//! request encoded without its auth), a fresh nonce and a near expiry. The peer checks it
//! against the oracle set it last read, before any audit, history change or chain read:
//! a stranger cannot make a peer audit, discard audits or read the registry, nor replay a
//! real oracle's request.

use io_proto::v1 as pb;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signature, Signer};
use std::collections::HashMap;
use std::sync::Mutex;
use thiserror::Error;

const DOMAIN: &[u8] = b"io-oracle peer request v1\0";
/// A request may expire at most this far ahead: the window a replay could be tried in,
/// and how long a nonce is remembered.
pub const MAX_LIFETIME_SECS: i64 = 120;
/// How long an oracle's own requests live: half the most a peer accepts, so clocks
/// apart by up to a minute still agree.
pub const LIFETIME_SECS: i64 = 60;

/// Why a peer request is refused.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("the request is not signed by an oracle (no auth)")]
    Missing,
    #[error("malformed auth: {0}")]
    Malformed(&'static str),
    #[error("{0} is not in the on-chain oracle set")]
    NotAnOracle(Pubkey),
    #[error("this oracle has not read the oracle set yet")]
    SetUnknown,
    #[error("the request expired {0} s ago")]
    Expired(i64),
    #[error("the request expires {0} s from now, beyond the {MAX_LIFETIME_SECS} s allowed")]
    TooLong(i64),
    #[error("this request's nonce was already used (replay)")]
    Replayed,
    #[error("the signature is not the caller's over this request")]
    BadSignature,
}

/// The bytes the caller signs: the method, the caller, the nonce, the expiry, and the
/// BLAKE3 hash of the request's encoding without its auth.
fn signing_bytes(method: &str, caller: &Pubkey, nonce: &[u8], expires_at: i64, body: &[u8]) -> Vec<u8> {
    let mut bytes = DOMAIN.to_vec();
    bytes.extend_from_slice(method.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(caller.as_ref());
    bytes.extend_from_slice(nonce);
    bytes.extend_from_slice(&expires_at.to_le_bytes());
    bytes.extend_from_slice(blake3::hash(body).as_bytes());
    bytes
}

/// A request that carries a `PeerAuth` in one of its fields.
pub trait Authenticated: io_proto::prost::Message + Clone + Default {
    const METHOD: &'static str;
    fn auth(&self) -> Option<&pb::PeerAuth>;
    fn set_auth(&mut self, auth: Option<pb::PeerAuth>);

    /// The request's bytes without its auth.
    fn body(&self) -> Vec<u8> {
        let mut bare = self.clone();
        bare.set_auth(None);
        bare.encode_to_vec()
    }
}

impl Authenticated for pb::ReviewRequest {
    const METHOD: &'static str = "Review";
    fn auth(&self) -> Option<&pb::PeerAuth> {
        self.auth.as_ref()
    }
    fn set_auth(&mut self, auth: Option<pb::PeerAuth>) {
        self.auth = auth;
    }
}

impl Authenticated for pb::CoSignRequest {
    const METHOD: &'static str = "CoSign";
    fn auth(&self) -> Option<&pb::PeerAuth> {
        self.auth.as_ref()
    }
    fn set_auth(&mut self, auth: Option<pb::PeerAuth>) {
        self.auth = auth;
    }
}

/// Signs `request` as `key`, expiring `lifetime_secs` after `now`.
pub fn sign<R: Authenticated>(request: &mut R, key: &Keypair, now: i64, lifetime_secs: i64) {
    let mut nonce = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut nonce);
    let expires_at = now + lifetime_secs;
    let caller = key.pubkey();
    let signature = key.sign_message(&signing_bytes(R::METHOD, &caller, &nonce, expires_at, &request.body()));
    request.set_auth(Some(pb::PeerAuth {
        caller: caller.to_string(),
        nonce: nonce.to_vec(),
        expires_at,
        signature: signature.as_ref().to_vec(),
    }));
}

/// What a peer remembers to check requests: the oracle set it last read and the nonces
/// of requests not yet expired.
#[derive(Default)]
pub struct PeerGate {
    oracles: Mutex<Option<Vec<Pubkey>>>,
    /// nonce -> expiry, per caller.
    seen: Mutex<HashMap<(Pubkey, [u8; 16]), i64>>,
}

impl PeerGate {
    /// The oracle set as last read from the chain (each cycle, and at start).
    pub fn set_oracles(&self, oracles: Vec<Pubkey>) {
        *self.oracles.lock().expect("oracle set lock") = Some(oracles);
    }

    /// Whether `key` is in the oracle set last read.
    pub fn is_oracle(&self, key: &Pubkey) -> bool {
        self.oracles.lock().expect("oracle set lock").as_ref().is_some_and(|set| set.contains(key))
    }

    /// The caller of `request` if its auth holds at `now`; the nonce is then spent.
    pub fn check<R: Authenticated>(&self, request: &R, now: i64) -> Result<Pubkey, AuthError> {
        let auth = request.auth().ok_or(AuthError::Missing)?;
        let caller: Pubkey = auth.caller.parse().map_err(|_| AuthError::Malformed("caller is not a base58 key"))?;
        let nonce: [u8; 16] = auth.nonce.as_slice().try_into().map_err(|_| AuthError::Malformed("nonce is not 16 bytes"))?;
        let signature = Signature::try_from(auth.signature.as_slice()).map_err(|_| AuthError::Malformed("signature is not 64 bytes"))?;
        match self.oracles.lock().expect("oracle set lock").as_ref() {
            None => return Err(AuthError::SetUnknown),
            Some(set) if !set.contains(&caller) => return Err(AuthError::NotAnOracle(caller)),
            Some(_) => {}
        }
        if auth.expires_at < now {
            return Err(AuthError::Expired(now - auth.expires_at));
        }
        if auth.expires_at - now > MAX_LIFETIME_SECS {
            return Err(AuthError::TooLong(auth.expires_at - now));
        }
        if !signature.verify(caller.as_ref(), &signing_bytes(R::METHOD, &caller, &nonce, auth.expires_at, &request.body())) {
            return Err(AuthError::BadSignature);
        }
        let mut seen = self.seen.lock().expect("nonce lock");
        seen.retain(|_, expires| *expires >= now);
        if seen.insert((caller, nonce), auth.expires_at).is_some() {
            return Err(AuthError::Replayed);
        }
        Ok(caller)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review() -> pb::ReviewRequest {
        pb::ReviewRequest { node: Pubkey::new_unique().to_string(), epoch: 7, verified: true, ..Default::default() }
    }

    #[test]
    fn an_oracles_request_passes_once_and_every_other_is_refused_by_name() {
        let (oracle, stranger) = (Keypair::new(), Keypair::new());
        let gate = PeerGate::default();
        let mut request = review();
        sign(&mut request, &oracle, 1_000, 60);
        assert_eq!(gate.check(&request, 1_000), Err(AuthError::SetUnknown));
        gate.set_oracles(vec![oracle.pubkey(), Pubkey::new_unique()]);
        assert_eq!(gate.check(&request, 1_000), Ok(oracle.pubkey()));
        assert_eq!(gate.check(&request, 1_001), Err(AuthError::Replayed));
        // A caller whose clock runs 45 s ahead (or behind) still gets through.
        for skew in [45, -45] {
            let mut skewed = review();
            sign(&mut skewed, &oracle, 1_000 + skew, LIFETIME_SECS);
            assert_eq!(gate.check(&skewed, 1_000), Ok(oracle.pubkey()), "skew {skew} s");
        }

        assert_eq!(gate.check(&review(), 1_000), Err(AuthError::Missing));
        let mut foreign = review();
        sign(&mut foreign, &stranger, 1_000, 60);
        assert_eq!(gate.check(&foreign, 1_000), Err(AuthError::NotAnOracle(stranger.pubkey())));
        let mut late = review();
        sign(&mut late, &oracle, 1_000, 60);
        assert_eq!(gate.check(&late, 1_061), Err(AuthError::Expired(1)));
        let mut long = review();
        sign(&mut long, &oracle, 1_000, MAX_LIFETIME_SECS + 1);
        assert_eq!(gate.check(&long, 1_000), Err(AuthError::TooLong(MAX_LIFETIME_SECS + 1)));
        // The signature covers the body: a changed verdict, epoch or method fails.
        let mut changed = review();
        sign(&mut changed, &oracle, 1_000, 60);
        changed.verified = false;
        assert_eq!(gate.check(&changed, 1_000), Err(AuthError::BadSignature));
        let mut as_cosign = pb::CoSignRequest { node: request.node.clone(), epoch: 7, ..Default::default() };
        as_cosign.auth = review().auth.or_else(|| {
            let mut r = review();
            sign(&mut r, &oracle, 1_000, 60);
            r.auth
        });
        assert_eq!(gate.check(&as_cosign, 1_000), Err(AuthError::BadSignature));
        let mut garbled = review();
        sign(&mut garbled, &oracle, 1_000, 60);
        garbled.auth.as_mut().unwrap().nonce.pop();
        assert_eq!(gate.check(&garbled, 1_000), Err(AuthError::Malformed("nonce is not 16 bytes")));
    }
}
