//! What the oracle reads from the chain before it leads or reviews: the registry (every
//! tree rebuilt from its noop history), its config and catalogue, and the chain's clock.

use crate::port::ChainPort;
use io_registry::{GpuCatalogue, GpuModel, NodeRecord, RegistryConfig};
use io_sdk::client::fetch;
use io_sdk::network::RegistryClient;
use io_sdk::pda;
use solana_sdk::pubkey::Pubkey;

#[derive(Clone, Debug)]
pub struct ChainView {
    pub config: RegistryConfig,
    pub catalogue: GpuCatalogue,
    pub registry: RegistryClient,
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
            Ok(ChainView { config, catalogue, registry, now, epoch })
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

    pub fn may_lead(&self, me: &Pubkey, node: &Pubkey, takeover_secs: i64) -> bool {
        match self.lead_rank(me, node) {
            Some(0) => true,
            Some(rank) => self.into_epoch() >= rank as i64 * takeover_secs,
            None => false,
        }
    }
}
