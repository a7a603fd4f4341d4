//! The harness for the treasury: its config, IOSD accounts and cluster payments.

use super::*;

impl Harness {
    pub fn treasury_config(&mut self) -> io_treasury::TreasuryConfig {
        fetch(&mut self.net, &pda::treasury_config()).unwrap()
    }

    /// A new IOSD token account of `owner` holding `amount`, minted by the gateway.
    pub fn iosd_account(&mut self, owner: &Pubkey, amount: u64) -> Pubkey {
        let account = self.token_account(&pda::iosd_mint(), owner, 0);
        if amount > 0 {
            let gateway = self.gateway.insecure_clone();
            self.ok(&[io_sdk::treasury::mint_iosd(&gateway.pubkey(), &account, amount)], &[&gateway]);
        }
        account
    }

    /// A customer pays `amount` IOSD for a cluster: the fee share lands in the treasury's
    /// IOSD vault (what grants are paid from). Returns the fee.
    pub fn pay_cluster_in_iosd(&mut self, amount: u64) -> u64 {
        let customer = self.operator();
        let account = self.iosd_account(&customer.pubkey(), amount);
        let before = self.token_balance(&pda::treasury_iosd_vault());
        self.ok(&[io_sdk::treasury::pay_with_iosd(&customer.pubkey(), &account, amount, [0xC5; 32])], &[&customer]);
        self.token_balance(&pda::treasury_iosd_vault()) - before
    }
}
