//! The harness for emissions: the crank, its epochs, and the re-attestations that keep
//! weights earning.

use super::*;

impl Harness {
    pub fn emissions_config(&mut self) -> EmissionsConfig {
        fetch(&mut self.net, &pda::emissions_config()).unwrap()
    }

    /// Moves the clock to the end of the emission epoch in progress (plus `extra` epochs).
    pub fn end_emission_epochs(&mut self, epochs: u64) {
        let config = self.emissions_config();
        let now = self.net.unix_time().unwrap();
        let length = i64::from(config.epoch_secs);
        let into = (now - config.start_ts).rem_euclid(length);
        self.net.warp_seconds(length - into + (epochs as i64 - 1) * length);
    }

    /// The emissions crank, which must succeed.
    pub fn crank(&mut self) {
        let mint = self.io_mint;
        self.ok(&[emissions_ix::advance_epoch(&mint)], &[]);
    }

    /// What the oracle quorum does within every lease: attests each verified node again
    /// (with the metrics it was last measured at) unless it was attested this epoch, each
    /// attestation followed by its operator's `refresh_weight` in the same transaction.
    pub fn reattest_all(&mut self) {
        let epoch = self.current_epoch();
        let due: Vec<NodeRecord> = self
            .registry
            .records()
            .map(|(_, r)| *r)
            .filter(|r| r.status == NodeStatus::Verified && r.last_attested_epoch < epoch)
            // A key's newest leaf only (an older leaf of a re-registered key is the
            // oracles' to suspend).
            .filter(|r| self.registry.record(&r.node_id) == Some(r))
            .collect();
        for record in due {
            let mut after = vec![];
            if self.net.account_data(&pda::operator_stake(&record.operator)).unwrap().is_some() {
                after.push(io_sdk::staking::refresh_weight(&record.operator));
            }
            self.attest(2, &record.node_id, Verdict::Verified, record.metrics, &after);
        }
    }

    /// Keeps every verified node's lease (`reattest_all`) and renews every staked
    /// operator's weight lease.
    pub fn refresh_all(&mut self) {
        self.reattest_all();
        for operator in self.operators.clone() {
            if self.net.account_data(&pda::operator_stake(&operator)).unwrap().is_some() {
                self.ok(&[io_sdk::staking::refresh_weight(&operator)], &[]);
            }
        }
    }

    /// Ends the epoch in progress, renews every lease and cranks.
    pub fn pay_epoch(&mut self) {
        self.end_emission_epochs(1);
        self.refresh_all();
        self.crank();
    }
}
