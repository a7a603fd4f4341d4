//! The oracle's gRPC service, the peer side of the co-signing exchange (`daemon.rs` has
//! the lead side) and the door workers enroll through.

use crate::daemon::{from_proto, OracleDaemon, ReviewKind};
use crate::metrics::OracleMetrics;
use crate::peer_auth::{AuthError, Authenticated};
use crate::policy::{check_message, metrics_agree, open_measurement, sign_measurement, Expectation};
use crate::view::ChainView;
use anchor_lang::Discriminator;
use io_poc::handshake::enrollment_bytes;
use io_proto::v1::{self as pb, oracle_server::Oracle, worker_client::WorkerClient};
use io_registry::{NodeStatus, Verdict};
use solana_sdk::message::Message;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Signature, Signer};
use std::time::Duration;
use tonic::{Request, Response, Status};

fn refuse(reason: impl Into<String>) -> pb::ReviewReply {
    pb::ReviewReply { agreed: false, reason: reason.into(), measurement: None }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

impl OracleDaemon {
    /// The caller of a peer request, or its refusal by name; nothing else has run yet.
    fn admit<R: Authenticated>(&self, request: &R) -> Result<Pubkey, Status> {
        self.shared.gate.check(request, unix_now()).map_err(|e: AuthError| {
            OracleMetrics::inc(&self.shared.metrics.peer_requests_refused);
            Status::unauthenticated(format!("{}: {e}", R::METHOD))
        })
    }

    /// Forms this oracle's own view of the lead's verdict; remembers it when it agrees.
    async fn review(&self, request: pb::ReviewRequest) -> Result<pb::ReviewReply, Status> {
        let node: Pubkey = request.node.parse().map_err(|_| Status::invalid_argument("node is not a base58 key"))?;
        let kind = ReviewKind::from_proto(request.kind).ok_or_else(|| Status::invalid_argument("unknown review kind"))?;
        let lead_metrics =
            request.metrics.as_ref().and_then(from_proto).ok_or_else(|| Status::invalid_argument("missing or malformed metrics"))?;
        let view = self.shared.view().await.map_err(|e| Status::unavailable(format!("chain: {e:#}")))?;
        let Some(record) = view.record(&node).copied() else { return Ok(refuse("the node is not in the registry")) };
        if request.epoch != view.epoch {
            return Ok(refuse(format!("epoch {} is not the current epoch {}", request.epoch, view.epoch)));
        }
        // Prefer the endpoint the worker itself enrolled with here.
        let endpoint = self.endpoint_of(&node).unwrap_or_else(|| request.worker_endpoint.clone());
        let newest = view.registry.position(&node);
        let expectation = match kind {
            ReviewKind::Audit => {
                if record.last_attested_epoch >= request.epoch {
                    return Ok(refuse("the node is already attested in this epoch"));
                }
                // The node's group (nodes that could be the same hardware) in one window,
                // as its lead audited them.
                let enrolled: Vec<(io_registry::NodeRecord, String)> = {
                    let workers = self.shared.workers.lock().expect("workers lock");
                    workers.iter().filter_map(|(k, f)| Some((*view.record(k)?, f.endpoint.clone()))).collect()
                };
                self.audit_groups_together(&view, &enrolled, Some(node)).await;
                let own = self.own_audit(&view, &record, &endpoint, request.epoch).await.map_err(|e| Status::internal(format!("{e:#}")))?;
                let disagreement = if own.verified != request.verified {
                    let mine = if own.verified { "verified".to_string() } else { format!("failed: {}", own.findings.replace('\n', "; ")) };
                    Some(format!("my audit disagrees ({mine})"))
                } else if own.verified {
                    metrics_agree(&lead_metrics, &own.metrics, &self.shared.settings.tolerance)
                        .err()
                        .map(|why| format!("metrics out of tolerance: {why}"))
                } else {
                    None
                };
                if let Some(why) = disagreement {
                    // The next review of this node epoch audits afresh.
                    let _ = self.shared.history.discard_unattested(&node, request.epoch);
                    return Ok(refuse(why));
                }
                let slash = match own.slash {
                    Some(reason) => {
                        Some((reason, self.slash_amount(record.operator).await.map_err(|e| Status::unavailable(format!("{e:#}")))?))
                    }
                    None => None,
                };
                let verdict = if own.verified { Verdict::Verified } else { Verdict::Suspended };
                // The metrics are settled at co-signing: the median of the quorum's own.
                let mine = sign_measurement(&self.shared.key, &node, request.epoch, kind, own.verified, &own.metrics);
                Expectation {
                    me: self.key(),
                    node,
                    operator: record.operator,
                    epoch: request.epoch,
                    verdict,
                    metrics: own.metrics,
                    slash,
                    measurement: Some(mine),
                    leaf: newest,
                    record_hash: record.leaf_hash(),
                    gpu_ids: own.gpu_ids.clone(),
                }
            }
            ReviewKind::Liveness => {
                if record.status != NodeStatus::Verified || !crate::suspensions::attestable_now(&record, request.epoch) {
                    return Ok(refuse("only a verified node is suspended for missed heartbeats, once per epoch"));
                }
                if lead_metrics != record.metrics {
                    return Ok(refuse("a liveness suspension keeps the record's metrics"));
                }
                if worker_answers(&endpoint).await {
                    return Ok(refuse("the worker answers my calls"));
                }
                Expectation {
                    me: self.key(),
                    node,
                    operator: record.operator,
                    epoch: request.epoch,
                    verdict: Verdict::Suspended,
                    metrics: record.metrics,
                    slash: None,
                    measurement: None,
                    leaf: newest,
                    record_hash: record.leaf_hash(),
                    gpu_ids: vec![],
                }
            }
            ReviewKind::Duplicate => {
                // The chain is the evidence: in my own view the leaf is live, has this node
                // key, and is not the key's newest leaf.
                let Ok(tree) = request.tree.parse::<Pubkey>() else { return Ok(refuse("the tree is not a base58 key")) };
                let Ok(leaf) = view.registry.proven_leaf_at(&tree, request.leaf_index) else {
                    return Ok(refuse("no such leaf in my view of the registry"));
                };
                let shadowed = leaf.record;
                if shadowed.node_id != node || newest == Some((tree, request.leaf_index)) {
                    return Ok(refuse("that leaf is the node key's newest, or another key's"));
                }
                if matches!(shadowed.status, NodeStatus::Retired | NodeStatus::Suspended)
                    || !crate::suspensions::attestable_now(&shadowed, request.epoch)
                {
                    return Ok(refuse("that leaf is not live, or cannot be attested in this epoch"));
                }
                if lead_metrics != shadowed.metrics {
                    return Ok(refuse("a duplicate suspension keeps the leaf's metrics"));
                }
                Expectation {
                    me: self.key(),
                    node,
                    operator: shadowed.operator,
                    epoch: request.epoch,
                    verdict: Verdict::Suspended,
                    metrics: shadowed.metrics,
                    slash: None,
                    measurement: None,
                    leaf: Some((tree, request.leaf_index)),
                    record_hash: shadowed.leaf_hash(),
                    gpu_ids: vec![],
                }
            }
        };
        let measurement = expectation.measurement.clone();
        // On disk before the reply: a restart between the review and the co-signing
        // keeps the agreement.
        self.shared.history.save_agreement(kind, &expectation).map_err(|e| Status::internal(e.to_string()))?;
        self.shared.agreed.lock().expect("agreed lock").insert((node, request.epoch, kind), expectation);
        Ok(pb::ReviewReply { agreed: true, reason: String::new(), measurement })
    }

    /// Signs the message if every instruction in it is one this oracle agreed to.
    fn co_sign(&self, request: &pb::CoSignRequest) -> Result<pb::CoSignReply, Status> {
        let node: Pubkey = request.node.parse().map_err(|_| Status::invalid_argument("node is not a base58 key"))?;
        let kind = ReviewKind::from_proto(request.kind).ok_or_else(|| Status::invalid_argument("unknown review kind"))?;
        let refuse = |reason: String| pb::CoSignReply { agreed: false, signature: vec![], reason };
        let remembered = self.shared.agreed.lock().expect("agreed lock").get(&(node, request.epoch, kind)).cloned();
        let stored = match remembered {
            Some(e) => Some(e),
            None => self.shared.history.agreement(&node, request.epoch, kind).map_err(|e| Status::internal(e.to_string()))?,
        };
        let Some(expectation) = stored else {
            return Ok(refuse("I have not agreed to a verdict on this node epoch".into()));
        };
        let message: Message = match bincode::deserialize(&request.message) {
            Ok(message) => message,
            Err(e) => return Ok(refuse(format!("undecodable message: {e}"))),
        };
        if message.serialize() != request.message {
            return Ok(refuse("the message does not re-encode to the bytes sent".into()));
        }
        // A vote carries this oracle's own metrics (`check_message` pins them); a slash
        // comes with the quorum's signed measurements, each of which must hold.
        let is_vote = message.instructions.iter().any(|ix| ix.data.starts_with(io_registry::instruction::SubmitVerdict::DISCRIMINATOR));
        if let (false, Some(mine)) = (is_vote, &expectation.measurement) {
            if let Err(why) = self.quorum_metrics(request, mine, &expectation) {
                return Ok(refuse(why));
            }
        }
        if let Err(why) = check_message(&message, &expectation) {
            return Ok(refuse(why));
        }
        let signature = self.shared.key.sign_message(&request.message);
        Ok(pb::CoSignReply { agreed: true, signature: signature.as_ref().to_vec(), reason: String::new() })
    }

    /// Checks the quorum's signed measurements in `request`: every one valid for
    /// this node epoch, from distinct members of the oracle set that sign the message,
    /// with the verdict agreed, this oracle's own among them unchanged, and each within
    /// tolerance of this oracle's own figures.
    fn quorum_metrics(&self, request: &pb::CoSignRequest, mine: &pb::Measurement, expect: &Expectation) -> Result<(), String> {
        let kind = ReviewKind::from_proto(request.kind).ok_or("unknown review kind")?;
        let message: Message = bincode::deserialize(&request.message).map_err(|e| format!("undecodable message: {e}"))?;
        let signers = &message.account_keys[..usize::from(message.header.num_required_signatures).min(message.account_keys.len())];
        let verified = expect.verdict == Verdict::Verified;
        let mut seen = vec![];
        for m in &request.measurements {
            let (oracle, their_verdict, metrics) = open_measurement(m, &expect.node, expect.epoch, kind)?;
            if seen.contains(&oracle) {
                return Err(format!("{oracle} measured twice"));
            }
            if !self.shared.gate.is_oracle(&oracle) || !signers.contains(&oracle) {
                return Err(format!("{oracle}'s measurement is not from an oracle signing this message"));
            }
            if their_verdict != verified {
                return Err(format!("{oracle} measured another verdict"));
            }
            if verified {
                metrics_agree(&metrics, &expect.metrics, &self.shared.settings.tolerance)
                    .map_err(|why| format!("{oracle}'s metrics are out of tolerance: {why}"))?;
            }
            seen.push(oracle);
        }
        if !request.measurements.iter().any(|m| m == mine) {
            return Err("my own measurement is not among the quorum's".into());
        }
        Ok(())
    }

    /// The node of a well-signed, fresh enrollment: checked before any chain read.
    fn admit_enrollment(&self, request: &pb::EnrollRequest) -> Result<Pubkey, Status> {
        let node: Pubkey = request.node.parse().map_err(|_| Status::invalid_argument("node is not a base58 key"))?;
        let signature =
            Signature::try_from(request.signature.as_slice()).map_err(|_| Status::invalid_argument("signature is not 64 bytes"))?;
        if !signature.verify(node.as_ref(), &enrollment_bytes(&node, &request.endpoint, request.signed_at)) {
            return Err(Status::unauthenticated("the enrollment is not signed by the node key"));
        }
        let age = unix_now() - request.signed_at;
        if age.abs() > self.shared.settings.enroll_max_age_secs {
            return Err(Status::failed_precondition(format!("the enrollment was signed {age} s from now")));
        }
        tonic::transport::Endpoint::from_shared(request.endpoint.clone())
            .map_err(|_| Status::invalid_argument("the endpoint is not a URI"))?;
        // One enrollment per node per interval: a signed enrollment replayed in a loop
        // cannot make this oracle read the registry in a loop.
        let mut last = self.shared.last_enrollment.lock().expect("enrollment lock");
        let now = std::time::Instant::now();
        if last.get(&node).is_some_and(|at| now.duration_since(*at) < ENROLL_INTERVAL) {
            return Err(Status::resource_exhausted(format!("node {node} enrolled less than {} s ago", ENROLL_INTERVAL.as_secs())));
        }
        last.insert(node, now);
        Ok(node)
    }

    fn enroll(&self, request: &pb::EnrollRequest, view: &ChainView) -> Result<(), Status> {
        let node: Pubkey = request.node.parse().map_err(|_| Status::invalid_argument("node is not a base58 key"))?;
        match view.record(&node) {
            None => return Err(Status::not_found("the node is not in the registry")),
            Some(record) if record.status == NodeStatus::Retired => return Err(Status::failed_precondition("the node is retired")),
            Some(_) => {}
        }
        self.shared.history.save_worker(&node, &request.endpoint).map_err(|e| Status::internal(e.to_string()))?;
        self.follow(node, request.endpoint.clone());
        OracleMetrics::inc(&self.shared.metrics.enrollments);
        Ok(())
    }
}

/// Whether the worker at `endpoint` answers an inventory call within a few seconds.
async fn worker_answers(endpoint: &str) -> bool {
    let Ok(endpoint) = tonic::transport::Endpoint::from_shared(endpoint.to_string()) else { return false };
    let attempt = async {
        let channel = endpoint.connect_timeout(Duration::from_secs(2)).connect().await.ok()?;
        WorkerClient::new(channel).inventory(pb::InventoryRequest {}).await.ok()
    };
    matches!(tokio::time::timeout(Duration::from_secs(3), attempt).await, Ok(Some(_)))
}

/// How often one node may enroll with one oracle.
const ENROLL_INTERVAL: Duration = Duration::from_secs(5);
/// Reviews one peer may have running here at once (each runs a whole audit).
const REVIEWS_PER_CALLER: usize = 2;

/// A review slot of one caller, given back on drop.
struct ReviewSlot<'a> {
    daemon: &'a OracleDaemon,
    caller: Pubkey,
}

impl Drop for ReviewSlot<'_> {
    fn drop(&mut self) {
        let mut running = self.daemon.shared.reviews_running.lock().expect("reviews lock");
        if let Some(count) = running.get_mut(&self.caller) {
            *count = count.saturating_sub(1);
        }
    }
}

impl OracleDaemon {
    fn review_slot(&self, caller: Pubkey) -> Result<ReviewSlot<'_>, Status> {
        let mut running = self.shared.reviews_running.lock().expect("reviews lock");
        let count = running.entry(caller).or_default();
        if *count >= REVIEWS_PER_CALLER {
            return Err(Status::resource_exhausted(format!("{caller} has {REVIEWS_PER_CALLER} reviews running here")));
        }
        *count += 1;
        Ok(ReviewSlot { daemon: self, caller })
    }
}

#[tonic::async_trait]
impl Oracle for OracleDaemon {
    async fn enroll(&self, request: Request<pb::EnrollRequest>) -> Result<Response<pb::EnrollReply>, Status> {
        self.admit_enrollment(request.get_ref())?;
        let view = self.shared.view().await.map_err(|e| Status::unavailable(format!("chain: {e:#}")))?;
        OracleDaemon::enroll(self, request.get_ref(), &view)?;
        Ok(Response::new(pb::EnrollReply { oracle: self.key().to_string() }))
    }

    async fn review(&self, request: Request<pb::ReviewRequest>) -> Result<Response<pb::ReviewReply>, Status> {
        let caller = self.admit(request.get_ref())?;
        let _slot = self.review_slot(caller)?;
        let reply = OracleDaemon::review(self, request.into_inner()).await?;
        let m = &self.shared.metrics;
        OracleMetrics::inc(if reply.agreed { &m.reviews_agreed } else { &m.reviews_refused });
        Ok(Response::new(reply))
    }

    async fn co_sign(&self, request: Request<pb::CoSignRequest>) -> Result<Response<pb::CoSignReply>, Status> {
        self.admit(request.get_ref())?;
        let reply = OracleDaemon::co_sign(self, request.get_ref())?;
        let m = &self.shared.metrics;
        OracleMetrics::inc(if reply.agreed { &m.cosigned } else { &m.cosign_refused });
        Ok(Response::new(reply))
    }
}
