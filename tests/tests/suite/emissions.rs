//! The emissions program against the real SPL Token program: the mint handover, the
//! crank, the schedule on-chain, the breaker, and lazy rewards through staking.

use io_emissions::*;
use io_sdk::client::Chain;
use io_sdk::emissions as ex;
use io_sdk::pda;
use io_sdk::staking as sx;
use io_staking::StakingError;
use io_tests::Harness;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

const IO: u64 = 1_000_000;

/// An operator with one verified node of `gpus` GPUs of `model` and its full bond staked.
fn staked_operator(h: &mut Harness, model: &str, gpus: u16, bond_io: u64, seed: u64) -> (Keypair, Pubkey) {
    let op = h.operator();
    let tokens = h.fund_io(&op.pubkey(), bond_io * IO);
    let spec = h.spec(model, gpus, seed);
    let (node, _) = h.register(&op, spec);
    h.next_epoch();
    h.verify(&node.pubkey());
    let mint = h.io_mint;
    h.ok(&[sx::deposit(&op.pubkey(), &mint, &tokens, bond_io * IO)], &[&op]);
    (op, tokens)
}

#[test]
fn genesis_hands_the_mint_to_the_emissions_program() {
    let mut h = Harness::new();
    let config = h.emissions_config();
    assert_eq!(config.genesis_supply, 100_000_000 * IO);
    assert_eq!(config.total_minted, config.genesis_supply);
    assert_eq!(config.cursor.unscheduled, 700_000_000 * IO);
    let mint_data = h.net.account_data(&h.io_mint).unwrap().unwrap();
    let mint = io_sdk::token::unpack_mint(&mint_data).unwrap();
    assert_eq!(mint.mint_authority, Some(pda::emissions_config()).into());
    assert!(mint.freeze_authority.is_none());
    // The genesis key can no longer mint.
    let (mint_key, tokens, authority) = (h.io_mint, h.genesis_tokens, h.authority.insecure_clone());
    let err = h.net.send(&[io_sdk::token::mint_to(&mint_key, &tokens, &authority.pubkey(), 1)], &[&authority]).unwrap_err();
    assert!(format!("{err:?}").contains("custom program error: 0x4"), "{err:?}");
}

#[test]
fn the_crank_pays_an_ended_epoch_and_refuses_an_early_call() {
    let mut h = Harness::new();
    let _a = staked_operator(&mut h, "H100", 8, 80_000, 1);
    h.end_emission_epochs(1);
    h.refresh_all();
    let before = h.emissions_config();
    let mint = h.io_mint;
    h.crank();
    let after = h.emissions_config();
    assert_eq!(after.next_epoch, before.epochs_ended(h.net.unix_time().unwrap()));
    assert!(after.total_minted > before.total_minted);
    h.expect_error(&[ex::advance_epoch(&mint)], &[], EmissionsError::EpochNotOver);
}
