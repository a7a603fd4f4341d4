//! What the demo's phases share. The phases (`demo_dao`, `demo_poc`, `demo_rewards`,
//! `demo_treasury`) and the orchestrator (`demo`) depend on this module and never on one
//! another's internals the other way round, so no phase imports the orchestrator.

use io_localnet::Localnet;
use io_sdk::client::Chain;
use io_sdk::token;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

/// A new $IO account for `owner` with `amount` moved in from the genesis allocation
/// (`from`, owned by `authority`).
pub(crate) fn fund(
    net: &mut Localnet,
    (mint, from, authority): (&Pubkey, &Pubkey, &Keypair),
    owner: &Keypair,
    amount: u64,
) -> anyhow::Result<Pubkey> {
    let account = Keypair::new();
    let rent = net.rent_exempt_balance(token::account_len())?;
    let payer = net.payer();
    let mut ixs = token::create_account(&payer, &account.pubkey(), mint, &owner.pubkey(), rent).to_vec();
    ixs.push(token::transfer(from, &account.pubkey(), &authority.pubkey(), amount));
    net.send(&ixs, &[&account, authority])?;
    Ok(account.pubkey())
}
