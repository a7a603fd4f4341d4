//! The lead's way to the chain: a verdict becomes one vote per quorum member (each peer
//! co-signs its own, so every vote is that oracle's word), then the attestation, which
//! anyone may send once the ballot holds a quorum; a slash proposal is co-signed by the
//! whole quorum in one transaction.

use crate::daemon::{OracleDaemon, Peer, ReviewKind};
use crate::metrics::OracleMetrics;
use crate::peer_auth;
use anyhow::{anyhow, bail, Context};
use io_proto::v1 as pb;
use io_registry::{Ballot, NodeMetrics, VerdictSubject};
use io_sdk::client::{fetch_opt, Chain};
use io_sdk::pda;
use io_sdk::registry::ProvenLeaf;
use solana_sdk::instruction::Instruction;
use solana_sdk::message::Message;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Signature, Signer};
use solana_sdk::transaction::Transaction;

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

impl OracleDaemon {
    /// Brings `subject` about `leaf` to the chain: each peer's vote with its own metrics
    /// (co-signed by that peer), this oracle's with `own`, then the attestation with the
    /// operator's weight refresh in its transaction. Votes already in the ballot (sent
    /// before a crash) are not sent again. Returns the attestation's signature.
    pub(crate) async fn commit_verdict(
        &self,
        leaf: &ProvenLeaf,
        subject: VerdictSubject,
        own: NodeMetrics,
        peers: &[(Peer, NodeMetrics)],
        kind: ReviewKind,
    ) -> anyhow::Result<Signature> {
        let (node, epoch) = (leaf.record.node_id, subject.epoch);
        let address = pda::ballot(&leaf.merkle_tree, leaf.record.leaf_index);
        let (payer, ballot) = self
            .shared
            .port
            .call(move |chain| {
                let mut chain = chain;
                Ok((chain.payer(), fetch_opt::<Ballot>(&mut chain, &address)?))
            })
            .await?;
        let voted = ballot.map_or_else(Vec::new, |b| b.votes_for(&subject));
        for (peer, metrics) in peers {
            if !voted.contains(&peer.key) {
                let vote = io_sdk::registry::submit_verdict(&payer, &peer.key, leaf, subject.clone(), *metrics);
                self.co_signed_send(vec![vote], std::slice::from_ref(peer), &[], node, epoch, kind)
                    .await
                    .with_context(|| format!("{}'s vote", peer.key))?;
            }
        }
        if !voted.contains(&self.key()) {
            let vote = io_sdk::registry::submit_verdict(&payer, &self.key(), leaf, subject, own);
            self.co_signed_send(vec![vote], &[], &[], node, epoch, kind).await.context("my vote")?;
        }
        let leaf = leaf.clone();
        let outcome = self
            .shared
            .port
            .call(move |chain| {
                let mut chain = chain;
                let operator = leaf.record.operator;
                let rent_payer = io_sdk::network::ballot_rent_payer(&mut chain, &leaf)?;
                let mut instructions = vec![io_sdk::registry::attest_node(&leaf, &rent_payer)];
                // The attestation renews the operator's reward-weight lease in the same
                // transaction, so no keeper has to.
                if chain.account_data(&pda::operator_stake(&operator))?.is_some() {
                    instructions.push(io_sdk::staking::refresh_weight(&operator));
                }
                chain.send(&instructions, &[])
            })
            .await
            .inspect_err(|_| OracleMetrics::inc(&self.shared.metrics.chain_errors))
            .context("attestation")?;
        Ok(outcome.signature)
    }

    /// Builds the message of `instructions` (paid by the chain's payer), has every peer
    /// in `peers` co-sign it (with the quorum's signed `measurements`, which a slash's
    /// co-signers check), signs it when this oracle is a signer, and sends it.
    pub(crate) async fn co_signed_send(
        &self,
        instructions: Vec<Instruction>,
        peers: &[Peer],
        measurements: &[pb::Measurement],
        node: Pubkey,
        epoch: u64,
        kind: ReviewKind,
    ) -> anyhow::Result<Signature> {
        let (payer, blockhash) = self.shared.port.call(|chain| Ok((chain.payer(), chain.latest_blockhash()?))).await?;
        let message = Message::new_with_blockhash(&instructions, Some(&payer), &blockhash);
        let bytes = message.serialize();
        let mut tx = Transaction::new_unsigned(message);
        let signers = usize::from(tx.message.header.num_required_signatures);
        let mut place = |key: &Pubkey, signature: Signature| -> anyhow::Result<()> {
            let index = tx.message.account_keys[..signers]
                .iter()
                .position(|k| k == key)
                .ok_or_else(|| anyhow!("{key} is not a signer of the message"))?;
            tx.signatures[index] = signature;
            Ok(())
        };
        for peer in peers {
            let mut request = pb::CoSignRequest {
                node: node.to_string(),
                epoch,
                kind: kind.to_proto(),
                message: bytes.clone(),
                measurements: measurements.to_vec(),
                auth: None,
            };
            peer_auth::sign(&mut request, &self.shared.key, unix_now(), peer_auth::LIFETIME_SECS);
            let reply = self.peer_client(peer).await?.co_sign(request).await?.into_inner();
            if !reply.agreed {
                bail!("{} refused to co-sign: {}", peer.key, reply.reason);
            }
            let signature =
                Signature::try_from(reply.signature.as_slice()).map_err(|_| anyhow!("{} sent a malformed signature", peer.key))?;
            if !signature.verify(peer.key.as_ref(), &bytes) {
                bail!("{} sent a signature that does not verify", peer.key);
            }
            place(&peer.key, signature)?;
        }
        let me = self.key();
        if tx.message.account_keys[..signers].contains(&me) {
            place(&me, self.shared.key.sign_message(&bytes))?;
        }
        let outcome = self
            .shared
            .port
            .call(move |chain| {
                let mut chain = chain;
                Chain::submit(&mut chain, tx)
            })
            .await
            .inspect_err(|_| OracleMetrics::inc(&self.shared.metrics.chain_errors))?;
        Ok(outcome.signature)
    }
}
