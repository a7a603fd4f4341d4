//! The lead's slashes: how much its policy proposes, and the outbox that proposes an
//! agreed slash once its attestation has landed, across crashes and restarts, once.

use crate::daemon::{CycleReport, OracleDaemon, Peer, ReviewKind};
use crate::metrics::OracleMetrics;
use crate::view::ChainView;
use anyhow::{anyhow, Context};
use io_sdk::client::{fetch, fetch_opt};
use io_sdk::pda;
use io_staking::{OperatorStake, SlashProposal, SlashReason, StakingConfig};
use solana_sdk::pubkey::Pubkey;

impl OracleDaemon {
    /// The slash this oracle's policy proposes for `operator`: its share of the slashable
    /// stake, capped by the program's maximum and what other pending slashes left.
    pub(crate) async fn slash_amount(&self, operator: Pubkey) -> anyhow::Result<u64> {
        let bps = u128::from(self.shared.settings.slash_bps);
        self.shared
            .port
            .call(move |chain| {
                let mut chain = chain;
                let Some(stake) = fetch_opt::<OperatorStake>(&mut chain, &pda::operator_stake(&operator))? else { return Ok(0) };
                let config: StakingConfig = fetch(&mut chain, &pda::staking_config())?;
                let slashable = stake.slashable().map_err(|e| anyhow!("{e}"))?;
                let share = u128::from(slashable) * bps.min(u128::from(config.params.max_slash_bps)) / 10_000;
                Ok((share as u64).min(slashable.saturating_sub(stake.pending_slash)))
            })
            .await
    }

    /// Proposes the outbox's slash of `node` in `epoch` (its attestation has landed) and
    /// clears it once the proposal is on-chain. A proposal sent before a crash is found by
    /// its id and evidence and not sent again.
    pub(crate) async fn propose_pending(&self, node: Pubkey, epoch: u64) -> anyhow::Result<Option<(SlashReason, u64)>> {
        let Some(mut pending) =
            self.shared.history.pending_slashes()?.into_iter().find(|(n, e, _)| *n == node && *e == epoch).map(|(_, _, p)| p)
        else {
            return Ok(None);
        };
        let amount = pending.amount.min(self.slash_amount(pending.operator).await?);
        if amount == 0 {
            self.shared.history.clear_pending_slash(&node, epoch)?;
            return Ok(None);
        }
        let sent = pending.id;
        let evidence = pending.evidence;
        let (payer, landed, next_id) = self
            .shared
            .port
            .call(move |chain| {
                let mut chain = chain;
                let landed = match sent {
                    Some(id) => {
                        fetch_opt::<SlashProposal>(&mut chain, &pda::slash_proposal(id))?.is_some_and(|p| p.evidence_hash == evidence)
                    }
                    None => false,
                };
                Ok((chain.payer(), landed, fetch::<StakingConfig>(&mut chain, &pda::staking_config())?.next_slash_id))
            })
            .await?;
        if landed {
            self.shared.history.clear_pending_slash(&node, epoch)?;
            return Ok(Some((pending.reason, amount)));
        }
        // The id goes to disk before the transaction does.
        pending.id = Some(next_id);
        self.shared.history.save_pending_slash(&node, epoch, &pending)?;
        let quorum: Vec<Peer> = pending
            .peers
            .iter()
            .map(|key| {
                self.shared
                    .peers
                    .iter()
                    .find(|p| p.key == *key)
                    .cloned()
                    .ok_or_else(|| anyhow!("peer {key} of the slash's quorum is not configured"))
            })
            .collect::<anyhow::Result<_>>()?;
        let signers: Vec<Pubkey> = std::iter::once(self.key()).chain(pending.peers.iter().copied()).collect();
        let ix = io_sdk::staking::propose_slash(&payer, &pending.operator, next_id, amount, pending.reason, pending.evidence, &signers);
        self.co_signed_send(vec![ix], &quorum, &pending.measurements, node, epoch, ReviewKind::Audit).await.context("slash proposal")?;
        self.shared.history.clear_pending_slash(&node, epoch)?;
        OracleMetrics::inc(&self.shared.metrics.slash_proposals);
        Ok(Some((pending.reason, amount)))
    }

    /// Proposes every slash left in the outbox whose attestation landed (a crash or a
    /// failed proposal in an earlier cycle); drops intents whose attestation never did
    /// and whose epoch has passed.
    pub(crate) async fn drain_outbox(&self, view: &ChainView, report: &mut CycleReport) {
        let pending = match self.shared.history.pending_slashes() {
            Ok(pending) => pending,
            Err(e) => return report.failed.push((self.key(), format!("outbox: {e}"))),
        };
        for (node, epoch, _) in pending {
            // Peers forget agreements older than the previous epoch: a slash that could not
            // land by then is given up, and said so.
            if epoch.saturating_add(1) < view.epoch {
                let _ = self.shared.history.clear_pending_slash(&node, epoch);
                report
                    .failed
                    .push((node, format!("the slash agreed in epoch {epoch} did not land before the peers' agreements lapsed; given up")));
                continue;
            }
            let attested = view.record(&node).is_some_and(|r| r.last_attested_epoch >= epoch);
            if !attested {
                if epoch < view.epoch {
                    let _ = self.shared.history.clear_pending_slash(&node, epoch);
                }
                continue;
            }
            match self.propose_pending(node, epoch).await {
                Ok(Some((reason, amount))) => report.slashed.push((node, reason, amount)),
                Ok(None) => {}
                Err(e) => report.failed.push((node, format!("outbox slash: {e:#}"))),
            }
        }
    }
}
