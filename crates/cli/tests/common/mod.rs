//! What the treasury and keeper tests share: a bank after genesis with the genesis key
//! keeping the configs and a Pyth feed id set, token accounts, and price updates.

use io_localnet::Localnet;
use io_migrations::{run_genesis_with, Deployment, Genesis, Handover};
use io_sdk::client::{fetch, Chain};
use io_sdk::{pda, token, treasury as tx};
use io_treasury::{TreasuryConfig, PYTH_RECEIVER_ID};
use solana_sdk::account::Account;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

pub const FEED: [u8; 32] = [7; 32];

/// The reference genesis on a fresh bank; the genesis key keeps the treasury config and
/// sets the price feed id to [`FEED`], without a vote.
pub fn treasury_net() -> (Localnet, Deployment, Keypair) {
    let mut net = Localnet::start();
    let authority = Keypair::new();
    net.airdrop(&authority.pubkey(), 10_000_000_000).unwrap();
    let oracles = [Keypair::new().pubkey(), Keypair::new().pubkey(), Keypair::new().pubkey()];
    let deployment = run_genesis_with(&mut net, &Genesis::reference(), &authority, &oracles, Handover::KeepGenesisAuthority).unwrap();
    let config: TreasuryConfig = fetch(&mut net, &pda::treasury_config()).unwrap();
    let wanted = io_treasury::TreasuryParams { price_feed_id: FEED, ..config.params };
    net.send(&[tx::set_treasury_params(&authority.pubkey(), &config.params, &wanted)], &[&authority]).unwrap();
    (net, deployment, authority)
}

pub fn token_account(net: &mut Localnet, mint: &Pubkey, owner: &Pubkey) -> Pubkey {
    let account = Keypair::new();
    let rent = net.rent_exempt_balance(token::account_len()).unwrap();
    let payer = net.payer();
    net.send(&token::create_account(&payer, &account.pubkey(), mint, owner, rent), &[&account]).unwrap();
    account.pubkey()
}

/// A PriceUpdateV2 of [`FEED`] at $0.25 per IO (confidence 0.1%) published at
/// `publish_time`, written at `address`.
pub fn publish_price(net: &mut Localnet, address: &Pubkey, publish_time: i64) {
    let data = tx::price_update_data(FEED, 25_000_000, 25_000, -8, publish_time, true);
    let lamports = net.rent_exempt_balance(data.len()).unwrap();
    net.set_account(address, Account { lamports, data, owner: PYTH_RECEIVER_ID, executable: false, rent_epoch: 0 });
}
