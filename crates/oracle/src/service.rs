//! The oracle's gRPC service, the peer side of the co-signing exchange (`daemon.rs` has
//! the lead side) and the door workers enroll through.

use crate::daemon::{from_proto, OracleDaemon, ReviewKind};
use crate::metrics::OracleMetrics;
use crate::policy::{check_message, metrics_agree, Expectation};
use crate::view::ChainView;
use io_poc::handshake::enrollment_bytes;
use io_proto::v1::{self as pb, oracle_server::Oracle, worker_client::WorkerClient};
use io_registry::{NodeStatus, Verdict};
use solana_sdk::message::Message;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Signature, Signer};
use std::time::Duration;
use tonic::{Request, Response, Status};

fn refuse(reason: impl Into<String>) -> pb::ReviewReply {
    pb::ReviewReply { agreed: false, reason: reason.into() }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

impl OracleDaemon {
    /// Forms this oracle's own view of the lead's verdict; remembers it when it agrees.
    async fn review(&self, request: pb::ReviewRequest) -> Result<pb::ReviewReply, Status> {
        let node: Pubkey = request.node.parse().map_err(|_| Status::invalid_argument("node is not a base58 key"))?;
        let kind = ReviewKind::from_proto(request.kind).ok_or_else(|| Status::invalid_argument("unknown review kind"))?;
        let lead_metrics = request.metrics.as_ref().and_then(from_proto).ok_or_else(|| Status::invalid_argument("missing or malformed metrics"))?;
        let view = ChainView::read(&self.shared.port).await.map_err(|e| Status::unavailable(format!("chain: {e:#}")))?;
        let Some(record) = view.record(&node).copied() else { return Ok(refuse("the node is not in the registry")) };
        if request.epoch != view.epoch {
            return Ok(refuse(format!("epoch {} is not the current epoch {}", request.epoch, view.epoch)));
        }
        // Prefer the endpoint the worker itself enrolled with here.
        let endpoint = self.endpoint_of(&node).unwrap_or_else(|| request.worker_endpoint.clone());
        let expectation = match kind {
            ReviewKind::Audit => {
                if record.last_attested_epoch >= request.epoch {
                    return Ok(refuse("the node is already attested in this epoch"));
                }
                let own = self.own_audit(&view, &record, &endpoint, request.epoch).await.map_err(|e| Status::internal(format!("{e:#}")))?;
                let disagreement = if own.verified != request.verified {
                    let mine = if own.verified { "verified".to_string() } else { format!("failed: {}", own.findings.replace('\n', "; ")) };
                    Some(format!("my audit disagrees ({mine})"))
                } else if own.verified {
                    metrics_agree(&lead_metrics, &own.metrics, &self.shared.settings.tolerance).err().map(|why| format!("metrics out of tolerance: {why}"))
                } else {
                    None
                };
                if let Some(why) = disagreement {
                    // The next review of this node epoch audits afresh.
                    let _ = self.shared.history.discard_unattested(&node, request.epoch);
                    return Ok(refuse(why));
                }
                let slash = match own.slash {
                    Some(reason) => Some((reason, self.slash_amount(record.operator).await.map_err(|e| Status::unavailable(format!("{e:#}")))?)),
                    None => None,
                };
                let verdict = if own.verified { Verdict::Verified } else { Verdict::Suspended };
                Expectation { me: self.key(), node, operator: record.operator, epoch: request.epoch, verdict, metrics: lead_metrics, slash }
            }
            ReviewKind::Liveness => {
                if record.status != NodeStatus::Verified || record.last_attested_epoch != request.epoch {
                    return Ok(refuse("only a node verified in this epoch is suspended for missed heartbeats"));
                }
                if lead_metrics != record.metrics {
                    return Ok(refuse("a liveness suspension keeps the record's metrics"));
                }
                if worker_answers(&endpoint).await {
                    return Ok(refuse("the worker answers my calls"));
                }
                Expectation { me: self.key(), node, operator: record.operator, epoch: request.epoch, verdict: Verdict::Suspended, metrics: record.metrics, slash: None }
            }
        };
        self.shared.agreed.lock().expect("agreed lock").insert((node, request.epoch, kind), expectation);
        Ok(pb::ReviewReply { agreed: true, reason: String::new() })
    }

    /// Signs the message if every instruction in it is one this oracle agreed to.
    fn co_sign(&self, request: &pb::CoSignRequest) -> Result<pb::CoSignReply, Status> {
        let node: Pubkey = request.node.parse().map_err(|_| Status::invalid_argument("node is not a base58 key"))?;
        let kind = ReviewKind::from_proto(request.kind).ok_or_else(|| Status::invalid_argument("unknown review kind"))?;
        let refuse = |reason: String| pb::CoSignReply { agreed: false, signature: vec![], reason };
        let Some(expectation) = self.shared.agreed.lock().expect("agreed lock").get(&(node, request.epoch, kind)).cloned() else {
            return Ok(refuse("I have not agreed to a verdict on this node epoch".into()));
        };
        let message: Message = match bincode::deserialize(&request.message) {
            Ok(message) => message,
            Err(e) => return Ok(refuse(format!("undecodable message: {e}"))),
        };
        if message.serialize() != request.message {
            return Ok(refuse("the message does not re-encode to the bytes sent".into()));
        }
        if let Err(why) = check_message(&message, &expectation) {
            return Ok(refuse(why));
        }
        let signature = self.shared.key.sign_message(&request.message);
        Ok(pb::CoSignReply { agreed: true, signature: signature.as_ref().to_vec(), reason: String::new() })
    }

    fn enroll(&self, request: &pb::EnrollRequest, view: &ChainView) -> Result<(), Status> {
        let node: Pubkey = request.node.parse().map_err(|_| Status::invalid_argument("node is not a base58 key"))?;
        let signature = Signature::try_from(request.signature.as_slice()).map_err(|_| Status::invalid_argument("signature is not 64 bytes"))?;
        if !signature.verify(node.as_ref(), &enrollment_bytes(&node, &request.endpoint, request.signed_at)) {
            return Err(Status::unauthenticated("the enrollment is not signed by the node key"));
        }
        let age = unix_now() - request.signed_at;
        if age.abs() > self.shared.settings.enroll_max_age_secs {
            return Err(Status::failed_precondition(format!("the enrollment was signed {age} s from now")));
        }
        tonic::transport::Endpoint::from_shared(request.endpoint.clone()).map_err(|_| Status::invalid_argument("the endpoint is not a URI"))?;
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

#[tonic::async_trait]
impl Oracle for OracleDaemon {
    async fn enroll(&self, request: Request<pb::EnrollRequest>) -> Result<Response<pb::EnrollReply>, Status> {
        let view = ChainView::read(&self.shared.port).await.map_err(|e| Status::unavailable(format!("chain: {e:#}")))?;
        OracleDaemon::enroll(self, request.get_ref(), &view)?;
        Ok(Response::new(pb::EnrollReply { oracle: self.key().to_string() }))
    }

    async fn review(&self, request: Request<pb::ReviewRequest>) -> Result<Response<pb::ReviewReply>, Status> {
        let reply = OracleDaemon::review(self, request.into_inner()).await?;
        let m = &self.shared.metrics;
        OracleMetrics::inc(if reply.agreed { &m.reviews_agreed } else { &m.reviews_refused });
        Ok(Response::new(reply))
    }

    async fn co_sign(&self, request: Request<pb::CoSignRequest>) -> Result<Response<pb::CoSignReply>, Status> {
        let reply = OracleDaemon::co_sign(self, request.get_ref())?;
        let m = &self.shared.metrics;
        OracleMetrics::inc(if reply.agreed { &m.cosigned } else { &m.cosign_refused });
        Ok(Response::new(reply))
    }
}
