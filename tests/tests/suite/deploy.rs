//! Initialisation is bound to the deployer. Between a deploy and genesis every program
//! is open to its first `initialize_*`, so each one checks that its signer is the
//! program's upgrade authority (named by the program's ProgramData). On the SBF lane the
//! programs are real upgradeable-loader deployments; natively each has the same
//! ProgramData account beside its builtin, so both lanes run the same checks.

use anchor_lang::error::ErrorCode as AnchorError;
use io_emissions::{EmissionsError, InitializeEmissionsArgs};
use io_governance::GovernanceError;
use io_localnet::Localnet;
use io_migrations::{run_genesis, Genesis};
use io_registry::{InitializeArgs, RegistryError};
use io_sdk::client::{Chain, Refusal};
use io_sdk::{emissions, governance, pda, registry, staking, token, treasury};
use io_staking::StakingError;
use io_treasury::TreasuryError;
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

/// Sends `ix` expecting `program` to refuse it with `code`.
fn assert_refused(net: &mut Localnet, ix: Instruction, signers: &[&Keypair], program: Pubkey, code: u32) {
    let err = net.send(&[ix], signers).expect_err("the instruction should be refused");
    assert_eq!(Refusal::of(&err), Some(Refusal::new(program, code)), "{err:?}");
}

/// Every `initialize_*` a stranger could send, signed by the stranger as deployer, with
/// `mint` and `token_account` for the accounts that must be real: the program, its error
/// and the config it would have opened.
fn stranger_attempts(genesis: &Genesis, s: Pubkey, mint: Pubkey, token_account: Pubkey) -> [(Instruction, Pubkey, u32, Pubkey); 5] {
    let registry_args =
        InitializeArgs { authority: s, oracles: vec![s], threshold: 1, epoch_length_secs: genesis.registry.epoch_length_secs };
    let emissions_args = InitializeEmissionsArgs {
        authority: s,
        params: genesis.emission_params().unwrap(),
        epoch_secs: genesis.emissions.epoch_secs,
        epochs_per_year: genesis.emissions.epochs_per_year,
        start_ts: 0,
        reserve: genesis.emission_reserve().unwrap(),
    };
    [
        (registry::initialize(&s, &s, registry_args), io_registry::ID, RegistryError::NotUpgradeAuthority.into(), pda::registry_config()),
        (
            treasury::initialize_treasury(&s, &s, &s, &mint, genesis.treasury_params(s).unwrap(), genesis.treasury.demand_period_secs),
            io_treasury::ID,
            TreasuryError::NotUpgradeAuthority.into(),
            pda::treasury_config(),
        ),
        (
            staking::initialize_staking(&s, &s, &s, &mint, &token_account, genesis.staking_params().unwrap()),
            io_staking::ID,
            StakingError::NotUpgradeAuthority.into(),
            pda::staking_config(),
        ),
        (
            governance::initialize_governance(&s, &s, &s, genesis.governance_params().unwrap()),
            io_governance::ID,
            GovernanceError::NotUpgradeAuthority.into(),
            pda::governance_config(),
        ),
        (
            emissions::initialize_emissions(&s, &s, &s, &mint, emissions_args),
            io_emissions::ID,
            EmissionsError::NotUpgradeAuthority.into(),
            pda::emissions_config(),
        ),
    ]
}

#[test]
fn a_stranger_is_refused_by_every_initialize_before_and_after_genesis() {
    let mut net = Localnet::start();
    let genesis = Genesis::reference();
    let stranger = Keypair::new();
    net.airdrop(&stranger.pubkey(), 10_000_000_000).unwrap();
    let s = stranger.pubkey();
    // The stranger brings a well-formed $IO look-alike and a token account of it. The
    // deployer check comes first anyway (the emissions program would otherwise stop at the
    // staking config genesis has not opened yet).
    let (mint, account) = (Keypair::new(), Keypair::new());
    let mint_rent = net.rent_exempt_balance(token::mint_len()).unwrap();
    let account_rent = net.rent_exempt_balance(token::account_len()).unwrap();
    let mut ixs = token::create_mint(&s, &mint.pubkey(), &s, 6, mint_rent).to_vec();
    ixs.extend(token::create_account(&s, &account.pubkey(), &mint.pubkey(), &s, account_rent));
    net.send(&ixs, &[&stranger, &mint, &account]).unwrap();

    // Between the deploy and genesis: the front-running window.
    for (ix, program, code, config) in stranger_attempts(&genesis, s, mint.pubkey(), account.pubkey()) {
        assert_refused(&mut net, ix, &[&stranger], program, code);
        assert!(net.account_data(&config).unwrap().is_none(), "a refused initialize created {config}");
    }

    // Another program's ProgramData names the deployer too, but it is not this program's:
    // the seeds refuse it.
    let deployer = net.payer();
    let args = InitializeArgs { authority: deployer, oracles: vec![deployer], threshold: 1, epoch_length_secs: 3600 };
    let mut borrowed = registry::initialize(&deployer, &deployer, args);
    assert_eq!(borrowed.accounts[2].pubkey, pda::program_data(&io_registry::ID));
    borrowed.accounts[2].pubkey = pda::program_data(&io_staking::ID);
    assert_refused(&mut net, borrowed, &[], io_registry::ID, AnchorError::ConstraintSeeds.into());
    assert!(net.account_data(&pda::registry_config()).unwrap().is_none());

    // The deployer (the bank's payer, as the CLI keypair is on a cluster) runs genesis to
    // its end: every program opens and the DAO takes every config.
    let authority = Keypair::new();
    net.airdrop(&authority.pubkey(), 10_000_000_000).unwrap();
    let oracles: Vec<Pubkey> = (0..3).map(|_| Pubkey::new_unique()).collect();
    let deployment = run_genesis(&mut net, &genesis, &authority, &oracles).expect("the deployer runs genesis");
    assert_eq!(deployment.dao, Some(pda::dao()));

    // After genesis the deployer check still comes first, with the real mint and treasury.
    let configs: Vec<(Pubkey, Option<Vec<u8>>)> = stranger_attempts(&genesis, s, deployment.io_mint, deployment.treasury)
        .iter()
        .map(|a| (a.3, net.account_data(&a.3).unwrap()))
        .collect();
    for (ix, program, code, _) in stranger_attempts(&genesis, s, deployment.io_mint, deployment.treasury) {
        assert_refused(&mut net, ix, &[&stranger], program, code);
    }
    for (config, before) in configs {
        assert!(before.is_some(), "{config} not opened by genesis");
        assert_eq!(net.account_data(&config).unwrap(), before, "a refused initialize changed {config}");
    }
}
