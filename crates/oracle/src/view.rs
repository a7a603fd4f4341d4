//! What the oracle reads from the chain before it leads or reviews: the registry (every
//! tree rebuilt from its noop history here, or kept up to date from an indexer's change
//! feed by `registry_feed.rs`), its config and catalogue, and the chain's clock.

use crate::port::ChainPort;
use io_registry::{GpuCatalogue, GpuModel, NodeRecord, NodeStatus, RegistryConfig};
use io_sdk::client::fetch;
use io_sdk::network::RegistryClient;
use io_sdk::pda;
use solana_sdk::pubkey::Pubkey;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct ChainView {
    pub config: RegistryConfig,
    pub catalogue: GpuCatalogue,
    /// Shared, not copied: a view is cheap to hand around, and a daemon following an
    /// indexer keeps one registry that each read brings up to date.
    pub registry: Arc<RegistryClient>,
    /// The chain's unix time and the attestation epoch it falls in.
    pub now: i64,
    pub epoch: u64,
}

impl ChainView {
    pub async fn read(port: &ChainPort) -> anyhow::Result<Self> {
        port.call(|chain| {
            let mut chain = chain;
            let config: RegistryConfig = fetch(&mut chain, &pda::registry_config())?;
            let catalogue: GpuCatalogue = fetch(&mut chain, &pda::gpu_catalogue())?;
            let registry = RegistryClient::sync(&mut chain, &config.trees)?;
            let now = chain.unix_time()?;
            let epoch = config.current_epoch(now).map_err(|e| anyhow::anyhow!("epoch: {e}"))?;
            Ok(ChainView { config, catalogue, registry: Arc::new(registry), now, epoch })
        })
        .await
    }

    pub fn record(&self, node: &Pubkey) -> Option<&NodeRecord> {
        self.registry.record(node)
    }

    pub fn model(&self, record: &NodeRecord) -> Option<&GpuModel> {
        self.catalogue.models.get(usize::from(record.gpu_model))
    }

    /// Seconds since the current epoch began.
    pub fn into_epoch(&self) -> i64 {
        let start = self.config.epoch_origin + (self.epoch.saturating_sub(1) as i64) * i64::from(self.config.epoch_length_secs);
        self.now - start
    }

    /// This oracle's rank for leading `node`'s audit this epoch: 0 leads; rank r takes
    /// over once r x `takeover_secs` of the epoch have passed without an attestation, so
    /// a dead lead delays the audit but does not stop it. `None` outside the oracle set.
    pub fn lead_rank(&self, me: &Pubkey, node: &Pubkey) -> Option<u64> {
        let oracles = &self.config.oracles;
        let mine = oracles.iter().position(|o| o == me)? as u64;
        let n = oracles.len() as u64;
        let seed = u64::from_le_bytes(node.to_bytes()[..8].try_into().expect("8 bytes")) ^ self.epoch;
        Some((mine + n - seed % n) % n)
    }

    /// Whether `record` is due for its audit this epoch. Pending and suspended records are
    /// audited every epoch. A verified record is re-audited once per half lease, in the
    /// epochs its leaf position picks (so the work spreads evenly over the epochs), and
    /// in any case in the last epoch of its lease or once it has ended: each verified
    /// leaf gets two tries per lease before its verified status stops counting.
    pub fn audit_due(&self, record: &NodeRecord) -> bool {
        if record.status == NodeStatus::Retired || record.last_attested_epoch >= self.epoch {
            return false;
        }
        if record.status != NodeStatus::Verified {
            return true;
        }
        let round = (self.config.lease_epochs / 2).max(1);
        let last_chance = record.lease_end_epoch <= self.epoch + 1;
        last_chance || (self.epoch % round == u64::from(record.leaf_index) % round)
    }

    pub fn may_lead(&self, me: &Pubkey, node: &Pubkey, takeover_secs: i64) -> bool {
        match self.lead_rank(me, node) {
            Some(0) => true,
            Some(rank) => self.into_epoch() >= rank as i64 * takeover_secs,
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(oracles: Vec<Pubkey>, now: i64) -> ChainView {
        let config = RegistryConfig {
            authority: Pubkey::new_unique(),
            pending_authority: None,
            oracles,
            threshold: 2,
            epoch_origin: 1_000,
            epoch_length_secs: 3_600,
            active_tree: Pubkey::default(),
            trees: vec![],
            registration: Default::default(),
            forfeited_lamports: 0,
            lease_epochs: 24,
            bump: 255,
        };
        let epoch = config.current_epoch(now).unwrap();
        ChainView { config, catalogue: GpuCatalogue { models: vec![], bump: 255 }, registry: Arc::new(RegistryClient::new()), now, epoch }
    }

    #[test]
    fn every_node_has_one_lead_and_backups_take_over_in_rank_order() {
        let oracles: Vec<Pubkey> = (0..3).map(|_| Pubkey::new_unique()).collect();
        // 100 s into epoch 3.
        let v = view(oracles.clone(), 1_000 + 2 * 3_600 + 100);
        assert_eq!((v.epoch, v.into_epoch()), (3, 100));
        let mut leads = [0; 3];
        for _ in 0..300 {
            let node = Pubkey::new_unique();
            let mut ranks: Vec<u64> = oracles.iter().map(|o| v.lead_rank(o, &node).unwrap()).collect();
            leads[ranks.iter().position(|r| *r == 0).unwrap()] += 1;
            ranks.sort();
            assert_eq!(ranks, vec![0, 1, 2], "the ranks are a permutation");
            // Rank 1 may lead from 1 x takeover into the epoch, rank 2 from 2 x.
            let by_rank = |r: u64| oracles.iter().find(|o| v.lead_rank(o, &node) == Some(r)).unwrap();
            assert!(v.may_lead(by_rank(0), &node, 600));
            assert!(v.may_lead(by_rank(1), &node, 100) && !v.may_lead(by_rank(1), &node, 101));
            assert!(!v.may_lead(by_rank(2), &node, 60) && v.may_lead(by_rank(2), &node, 50));
        }
        // The load spreads over the set.
        assert!(leads.iter().all(|l| *l > 50), "{leads:?}");
        assert_eq!(v.lead_rank(&Pubkey::new_unique(), &Pubkey::new_unique()), None, "not an oracle");
    }

    fn verified(leaf_index: u32, last: u64, lease_end: u64) -> NodeRecord {
        use io_registry::{CudaVersion, NodeMetrics, Tier, NODE_RECORD_VERSION};
        NodeRecord {
            version: NODE_RECORD_VERSION,
            node_id: Pubkey::new_unique(),
            operator: Pubkey::new_unique(),
            leaf_index,
            gpu_model: 0,
            gpu_count: 1,
            tier: Tier::Consumer,
            cuda: CudaVersion::default(),
            region: 0,
            gpu_uuids_hash: [1; 32],
            status: NodeStatus::Verified,
            metrics: NodeMetrics::default(),
            last_attested_epoch: last,
            score: 5_000,
            registered_at: 0,
            deposit_lamports: 0,
            lease_end_epoch: lease_end,
        }
    }

    #[test]
    fn a_verified_leaf_is_audited_once_per_half_lease_by_position_and_before_its_lease_ends() {
        // A 24-epoch lease: a round of 12 epochs; epoch e audits the leaves at e mod 12.
        let at = |epoch: u64| view(vec![], 1_000 + (epoch as i64 - 1) * 3_600);
        let mut audits_per_leaf = [0u32; 36];
        for epoch in 13..=36u64 {
            let v = at(epoch);
            for (i, count) in audits_per_leaf.iter_mut().enumerate() {
                // Attested long enough ago that the lease is far from its end.
                if v.audit_due(&verified(i as u32, epoch - 1, epoch + 20)) {
                    *count += 1;
                }
            }
        }
        // Over 24 epochs (two rounds) every leaf is due exactly twice: once per half lease.
        assert!(audits_per_leaf.iter().all(|c| *c == 2), "{audits_per_leaf:?}");
        // Leaf 5 is due in epoch 17 (17 mod 12 = 5) and not in 18.
        assert!(at(17).audit_due(&verified(5, 16, 30)) && !at(18).audit_due(&verified(5, 17, 30)));
        // Whatever its position, a leaf in the last epoch of its lease, or past it, is due.
        assert!(at(18).audit_due(&verified(5, 17, 19)) && at(18).audit_due(&verified(5, 1, 10)));
        // Attested this epoch: not again. Pending: every epoch. Retired: never.
        assert!(!at(17).audit_due(&verified(5, 17, 41)));
        let mut pending = verified(5, 3, 0);
        pending.status = NodeStatus::Pending;
        assert!(at(18).audit_due(&pending));
        pending.status = NodeStatus::Retired;
        assert!(!at(18).audit_due(&pending));
    }
}
