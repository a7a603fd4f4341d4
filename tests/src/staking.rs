//! The harness for staking: configs, positions, stakers and oracle slashes.

use super::*;

impl Harness {
    pub fn staking_config(&mut self) -> StakingConfig {
        fetch(&mut self.net, &pda::staking_config()).unwrap()
    }

    pub fn stake(&mut self, operator: &Pubkey) -> OperatorStake {
        fetch(&mut self.net, &pda::operator_stake(operator)).unwrap()
    }

    /// A new tracked operator with `amount` base units of $IO bonded (no hardware), and
    /// the clock one second on, so the bond counts for proposals opened from now.
    pub fn staker_with_bond(&mut self, amount: u64) -> Keypair {
        let key = self.operator();
        let tokens = self.fund_io(&key.pubkey(), amount);
        let mint = self.io_mint;
        self.ok(&[io_sdk::staking::deposit(&key.pubkey(), &mint, &tokens, amount)], &[&key]);
        self.net.advance_clock(1);
        key
    }

    /// Bonds `amount` more for an existing staker (from a new funded token account), in
    /// the current second: no clock move.
    pub fn top_up(&mut self, staker: &Keypair, amount: u64) {
        let tokens = self.fund_io(&staker.pubkey(), amount);
        let mint = self.io_mint;
        self.ok(&[io_sdk::staking::deposit(&staker.pubkey(), &mint, &tokens, amount)], &[staker]);
    }

    /// A slash of `amount` against `operator` co-signed by the first two oracles; its id.
    pub fn oracle_slash(&mut self, operator: &Pubkey, amount: u64) -> u64 {
        let id = self.staking_config().next_slash_id;
        let (a, b) = (self.oracles[0].insecure_clone(), self.oracles[1].insecure_clone());
        let payer = self.net.payer();
        let ix = io_sdk::staking::propose_slash(
            &payer,
            operator,
            id,
            amount,
            io_staking::SlashReason::Downtime,
            [7; 32],
            &[a.pubkey(), b.pubkey()],
        );
        self.ok(&[ix], &[&a, &b]);
        id
    }
}
