//! Staking and slashing with real SPL Token movements: every step re-checks the vault
//! invariant (through `Harness::ok` / `expect_error`).

use anchor_lang::error::ErrorCode as AnchorError;
use io_math::{reward_weight, VerifiedHardware};
use io_registry::{NodeStatus, Verdict};
use io_sdk::client::Chain;
use io_sdk::client::Refusal;
use io_sdk::pda;
use io_sdk::staking as sx;
use io_staking::*;
use io_tests::Harness;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

const IO: u64 = 1_000_000;
const DAY: i64 = 24 * 3600;

/// An operator with `io` whole IO in a token account and one verified node of `gpus` H100s.
fn verified_operator(h: &mut Harness, io: u64, gpus: u16) -> (Keypair, Pubkey, Keypair) {
    let op = h.operator();
    let tokens = h.fund_io(&op.pubkey(), io * IO);
    let spec = h.spec("H100", gpus, 1);
    let (node, _) = h.register(&op, spec);
    h.next_epoch();
    h.verify(&node.pubkey());
    (op, tokens, node)
}

fn expected_weight(h: &mut Harness, operator: &Pubkey) -> u64 {
    let counted = h.counted(operator);
    let hardware = VerifiedHardware { gpus: counted.gpus_by_tier, score_gpus: counted.score_gpus_by_tier };
    let stake = h.stake(operator);
    let params = h.staking_config().params;
    reward_weight(stake.bonded, &hardware, &params.tiers()).unwrap()
}

#[test]
fn deposit_bond_requirement_unstake_and_withdraw() {
    let mut h = Harness::new();
    let (op, tokens, _) = verified_operator(&mut h, 100_000, 8);
    let mint = h.io_mint;

    // Half the 80k bond: half the weight.
    h.ok(&[sx::deposit(&op.pubkey(), &mint, &tokens, 40_000 * IO)], &[&op]);
    assert_eq!(h.token_balance(&tokens), 60_000 * IO);
    let half = h.stake(&op.pubkey()).weight;
    assert!(half > 0);
    assert_eq!(half, expected_weight(&mut h, &op.pubkey()));
    h.expect_error(&[sx::request_unstake(&op.pubkey(), IO)], &[&op], StakingError::BondStillNeeded);

    h.ok(&[sx::deposit(&op.pubkey(), &mint, &tokens, 60_000 * IO)], &[&op]);
    let full = h.stake(&op.pubkey()).weight;
    // 100k bonded against an 80k requirement: the weight is capped at the full bond.
    assert_eq!(full, expected_weight(&mut h, &op.pubkey()));
    assert!(full >= 2 * half - 1 && full <= 2 * half + 1);

    // 20k is above the requirement and may leave; one more IO may not.
    h.ok(&[sx::request_unstake(&op.pubkey(), 20_000 * IO)], &[&op]);
    assert_eq!(h.stake(&op.pubkey()).weight, full, "excess stake earned nothing, so losing it costs nothing");
    h.expect_error(&[sx::request_unstake(&op.pubkey(), IO)], &[&op], StakingError::BondStillNeeded);
    h.expect_error(&[sx::request_unstake(&op.pubkey(), 0)], &[&op], StakingError::ZeroAmount);

    // Not before the release time.
    h.expect_error(&[sx::withdraw(&op.pubkey(), &mint, &tokens, 0)], &[&op], StakingError::StillUnbonding);
    h.expect_error(&[sx::withdraw(&op.pubkey(), &mint, &tokens, 1)], &[&op], StakingError::NoSuchUnbondingEntry);
    h.net.warp_seconds(14 * DAY);
    h.ok(&[sx::withdraw(&op.pubkey(), &mint, &tokens, 0)], &[&op]);
    assert_eq!(h.token_balance(&tokens), 20_000 * IO);
    let stake = h.stake(&op.pubkey());
    assert_eq!((stake.bonded, stake.unbonding_total().unwrap()), (80_000 * IO, 0));
    h.expect_error(&[sx::withdraw(&op.pubkey(), &mint, &tokens, 0)], &[&op], StakingError::NoSuchUnbondingEntry);
}

#[test]
fn weight_follows_the_registry_and_is_zero_without_verified_nodes() {
    let mut h = Harness::new();
    let op = h.operator();
    let tokens = h.fund_io(&op.pubkey(), 50_000 * IO);
    let mint = h.io_mint;
    // Staking before any node: no weight, and the whole stake may leave.
    h.ok(&[sx::deposit(&op.pubkey(), &mint, &tokens, 50_000 * IO)], &[&op]);
    assert_eq!(h.stake(&op.pubkey()).weight, 0);

    let spec = h.spec("RTX 4090", 4, 1);
    let (node, _) = h.register(&op, spec);
    h.next_epoch();
    h.verify(&node.pubkey());
    // The registry changed; the weight catches up when anyone refreshes it.
    assert_eq!(h.stake(&op.pubkey()).weight, 0);
    h.ok(&[sx::refresh_weight(&op.pubkey())], &[]);
    let weight = h.stake(&op.pubkey()).weight;
    assert!(weight > 0);
    assert_eq!(weight, expected_weight(&mut h, &op.pubkey()));
    assert_eq!(h.stake(&op.pubkey()).registry_version, h.operator_stats(&op.pubkey()).verified_version);

    // A suspension takes the weight away at the next refresh.
    h.next_epoch();
    let epoch = h.current_epoch();
    let oracles: Vec<Keypair> = h.oracle_refs(2).into_iter().map(|k| k.insecure_clone()).collect();
    let refs: Vec<&Keypair> = oracles.iter().collect();
    let record = h.registry.attest(&mut h.net, &refs, &node.pubkey(), epoch, Verdict::Suspended, Default::default(), vec![]).unwrap();
    assert_eq!(record.status, NodeStatus::Suspended);
    h.ok(&[sx::refresh_weight(&op.pubkey())], &[]);
    assert_eq!(h.stake(&op.pubkey()).weight, 0);
    h.ok(&[sx::request_unstake(&op.pubkey(), 50_000 * IO)], &[&op]);
}

fn propose(h: &mut Harness, operator: &Pubkey, amount: u64, signers: &[&Keypair]) -> (solana_sdk::instruction::Instruction, u64) {
    let id = h.staking_config().next_slash_id;
    let keys: Vec<Pubkey> = signers.iter().map(|k| k.pubkey()).collect();
    (sx::propose_slash(&h.net.payer(), operator, id, amount, SlashReason::SpoofedHardware, [9; 32], &keys), id)
}

#[test]
fn the_slash_lifecycle_with_veto_window_and_burn() {
    let mut h = Harness::new();
    let (op, tokens, _) = verified_operator(&mut h, 100_000, 8);
    let mint = h.io_mint;
    let treasury = h.treasury;
    h.ok(&[sx::deposit(&op.pubkey(), &mint, &tokens, 100_000 * IO)], &[&op]);
    let (a, b) = (h.oracles[0].insecure_clone(), h.oracles[1].insecure_clone());
    let authority = h.authority.insecure_clone();

    // Proposals that are refused by name.
    let stranger = Keypair::new();
    let (ix, _) = propose(&mut h, &op.pubkey(), 10_000 * IO, &[&a, &stranger]);
    h.expect_error(&[ix], &[&a, &stranger], StakingError::NotAnOracle);
    let (ix, _) = propose(&mut h, &op.pubkey(), 10_000 * IO, &[&a]);
    h.expect_error(&[ix], &[&a], StakingError::InsufficientQuorum);
    let (ix, _) = propose(&mut h, &op.pubkey(), 50_000 * IO + 1, &[&a, &b]);
    h.expect_error(&[ix], &[&a, &b], StakingError::SlashAboveCap);

    // Proposed, then vetoed by the DAO inside the window.
    let (ix, vetoed) = propose(&mut h, &op.pubkey(), 30_000 * IO, &[&a, &b]);
    h.ok(&[ix], &[&a, &b]);
    assert_eq!(h.stake(&op.pubkey()).pending_slash, 30_000 * IO);
    h.expect_error(&[sx::veto_slash(&op.pubkey(), &op.pubkey(), vetoed)], &[&op], StakingError::Unauthorized);
    h.ok(&[sx::veto_slash(&authority.pubkey(), &op.pubkey(), vetoed)], &[&authority]);
    assert_eq!(h.stake(&op.pubkey()).pending_slash, 0);
    h.expect_error(&[sx::veto_slash(&authority.pubkey(), &op.pubkey(), vetoed)], &[&authority], StakingError::SlashNotPending);
    h.net.warp_seconds(i64::from(h.genesis.staking.challenge_secs));
    h.expect_error(&[sx::execute_slash(&op.pubkey(), vetoed, &mint, &treasury)], &[], StakingError::SlashNotPending);

    // Proposed and executed after the window: burned from bonded stake.
    let (ix, id) = propose(&mut h, &op.pubkey(), 40_000 * IO, &[&a, &b]);
    h.ok(&[ix], &[&a, &b]);
    h.expect_error(&[sx::execute_slash(&op.pubkey(), id, &mint, &treasury)], &[], StakingError::ChallengeWindowOpen);
    let supply = h.io_supply();
    h.net.warp_seconds(i64::from(h.genesis.staking.challenge_secs));
    h.expect_error(&[sx::veto_slash(&authority.pubkey(), &op.pubkey(), id)], &[&authority], StakingError::ChallengeWindowClosed);
    // The oracles kept re-auditing the node through the weeks.
    h.reattest_all();
    h.ok(&[sx::execute_slash(&op.pubkey(), id, &mint, &treasury)], &[]);
    assert_eq!(h.io_supply(), supply - 40_000 * IO, "slashed IO is burned");
    let stake = h.stake(&op.pubkey());
    assert_eq!((stake.bonded, stake.pending_slash), (60_000 * IO, 0));
    assert_eq!(stake.weight, expected_weight(&mut h, &op.pubkey()), "the weight follows the smaller bond");
    assert_eq!(h.staking_config().total_slashed, 40_000 * IO);
    h.expect_error(&[sx::execute_slash(&op.pubkey(), id, &mint, &treasury)], &[], StakingError::SlashNotPending);
}

/// A settled slash proposal (vetoed or executed) closes and its rent goes back to
/// whoever paid it; a pending one, which still reserves stake, stays. (Before, every slash
/// proposal kept its rent for good.)
#[test]
fn settled_slash_proposals_close_and_return_their_rent_to_the_payer() {
    let mut h = Harness::new();
    let (op, tokens, _) = verified_operator(&mut h, 100_000, 8);
    let (mint, treasury) = (h.io_mint, h.treasury);
    h.ok(&[sx::deposit(&op.pubkey(), &mint, &tokens, 100_000 * IO)], &[&op]);
    let (a, b) = (h.oracles[0].insecure_clone(), h.oracles[1].insecure_clone());
    let authority = h.authority.insecure_clone();
    let sponsor = Keypair::new();
    const FUNDS: u64 = 1_000_000_000;
    h.net.airdrop(&sponsor.pubkey(), FUNDS).unwrap();
    let lamports = |h: &mut Harness, key: &Pubkey| h.net.account(key).unwrap().map_or(0, |a| a.lamports);
    let oracles = [a.pubkey(), b.pubkey()];
    let propose_paid_by_sponsor = |h: &mut Harness| {
        let id = h.staking_config().next_slash_id;
        let ix = sx::propose_slash(&sponsor.pubkey(), &op.pubkey(), id, 10_000 * IO, SlashReason::FailedAudit, [3; 32], &oracles);
        h.ok(&[ix], &[&sponsor, &a, &b]);
        id
    };
    let vetoed = propose_paid_by_sponsor(&mut h);
    let executed = propose_paid_by_sponsor(&mut h);
    let rent = lamports(&mut h, &pda::slash_proposal(vetoed));
    assert!(rent > 0);
    assert_eq!(lamports(&mut h, &sponsor.pubkey()), FUNDS - 2 * rent, "the sponsor paid both rents");

    // Pending: it still reserves stake, so it stays.
    h.expect_error(&[sx::close_slash_proposal(vetoed, &sponsor.pubkey())], &[], StakingError::SlashStillPending);
    h.ok(&[sx::veto_slash(&authority.pubkey(), &op.pubkey(), vetoed)], &[&authority]);
    // Settled, but the rent goes only to its payer.
    h.expect_error(&[sx::close_slash_proposal(vetoed, &op.pubkey())], &[], StakingError::NotRentPayer);
    h.ok(&[sx::close_slash_proposal(vetoed, &sponsor.pubkey())], &[]);
    assert_eq!(lamports(&mut h, &sponsor.pubkey()), FUNDS - rent);
    assert!(h.net.account(&pda::slash_proposal(vetoed)).unwrap().is_none());

    h.net.warp_seconds(i64::from(h.genesis.staking.challenge_secs));
    h.reattest_all();
    h.ok(&[sx::execute_slash(&op.pubkey(), executed, &mint, &treasury)], &[]);
    h.ok(&[sx::close_slash_proposal(executed, &sponsor.pubkey())], &[]);
    assert_eq!(lamports(&mut h, &sponsor.pubkey()), FUNDS, "both rents came back");
    // A closed proposal is gone for good: it cannot be executed again.
    let err = h.net.send(&[sx::execute_slash(&op.pubkey(), executed, &mint, &treasury)], &[]).unwrap_err();
    assert_eq!(Refusal::of(&err), Some(Refusal::new(io_staking::ID, AnchorError::AccountNotInitialized as u32)));
    assert_eq!(h.stake(&op.pubkey()).bonded, 90_000 * IO, "one slash of 10,000 IO, once");
    h.check_staking_invariants();
}

#[test]
fn unbonding_stake_is_slashable_and_cannot_escape_a_pending_slash() {
    let mut h = Harness::new();
    let op = h.operator();
    let tokens = h.fund_io(&op.pubkey(), 100_000 * IO);
    let mint = h.io_mint;
    let treasury = h.treasury;
    h.ok(&[sx::deposit(&op.pubkey(), &mint, &tokens, 100_000 * IO)], &[&op]);
    h.ok(&[sx::request_unstake(&op.pubkey(), 70_000 * IO)], &[&op]);
    h.net.warp_seconds(DAY);
    h.ok(&[sx::request_unstake(&op.pubkey(), 20_000 * IO)], &[&op]);
    let (a, b) = (h.oracles[0].insecure_clone(), h.oracles[1].insecure_clone());

    // Two proposals may not together take more than the operator has left.
    let (ix, first) = propose(&mut h, &op.pubkey(), 50_000 * IO, &[&a, &b]);
    h.ok(&[ix], &[&a, &b]);
    let (ix, second) = propose(&mut h, &op.pubkey(), 45_000 * IO, &[&a, &b]);
    h.ok(&[ix], &[&a, &b]);
    let (ix, _) = propose(&mut h, &op.pubkey(), 5_000 * IO + 1, &[&a, &b]);
    h.expect_error(&[ix], &[&a, &b], StakingError::SlashExceedsStake);

    // The unbonding entries mature, but 95k is reserved for the slashes: nothing may leave.
    h.net.warp_seconds(15 * DAY);
    h.expect_error(&[sx::withdraw(&op.pubkey(), &mint, &tokens, 0)], &[&op], StakingError::SlashPending);
    h.expect_error(&[sx::withdraw(&op.pubkey(), &mint, &tokens, 1)], &[&op], StakingError::SlashPending);

    // Bonded first (10k), then the soonest unbonding entry.
    h.ok(&[sx::execute_slash(&op.pubkey(), first, &mint, &treasury)], &[]);
    let stake = h.stake(&op.pubkey());
    assert_eq!(stake.bonded, 0);
    assert_eq!(stake.unbonding[0].amount, 30_000 * IO);
    assert_eq!(stake.unbonding[1].amount, 20_000 * IO);
    h.ok(&[sx::execute_slash(&op.pubkey(), second, &mint, &treasury)], &[]);
    let stake = h.stake(&op.pubkey());
    assert_eq!(stake.slashable().unwrap(), 5_000 * IO);
    h.ok(&[sx::withdraw(&op.pubkey(), &mint, &tokens, 1)], &[&op]);
    assert_eq!(h.token_balance(&tokens), 5_000 * IO);
}

#[test]
fn slashes_can_go_to_the_treasury_and_params_are_guarded() {
    let mut h = Harness::new();
    let authority = h.authority.insecure_clone();
    let treasury = h.treasury;
    let mint = h.io_mint;
    let before = h.staking_config().params;
    let params = StakingParams { slash_destination: SlashDestination::Treasury, ..before };
    let stranger = h.operator();
    h.expect_error(&[sx::set_params(&stranger.pubkey(), Some(&treasury), &before, &params)], &[&stranger], StakingError::Unauthorized);
    for bad in [
        StakingParams { max_slash_bps: 0, ..params },
        StakingParams { max_slash_bps: 10_001, ..params },
        StakingParams { multiplier_bps: [0, 10_000, 10_000], ..params },
        StakingParams { min_stake_per_gpu: [1, 0, 1], ..params },
        StakingParams { unbonding_secs: params.challenge_secs - 1, ..params },
    ] {
        h.expect_error(&[sx::set_params(&authority.pubkey(), Some(&treasury), &before, &bad)], &[&authority], StakingError::InvalidParams);
    }
    h.ok(&[sx::set_params(&authority.pubkey(), Some(&treasury), &before, &params)], &[&authority]);

    let op = h.operator();
    let tokens = h.fund_io(&op.pubkey(), 10_000 * IO);
    h.ok(&[sx::deposit(&op.pubkey(), &mint, &tokens, 10_000 * IO)], &[&op]);
    let (a, b) = (h.oracles[0].insecure_clone(), h.oracles[1].insecure_clone());
    let (ix, id) = propose(&mut h, &op.pubkey(), 5_000 * IO, &[&a, &b]);
    h.ok(&[ix], &[&a, &b]);
    h.net.warp_seconds(i64::from(h.genesis.staking.challenge_secs));
    let (supply, before) = (h.io_supply(), h.token_balance(&treasury));
    // Only the configured treasury may receive it.
    let elsewhere = h.fund_io(&op.pubkey(), 0);
    h.expect_error(&[sx::execute_slash(&op.pubkey(), id, &mint, &elsewhere)], &[], StakingError::WrongTreasury);
    h.ok(&[sx::execute_slash(&op.pubkey(), id, &mint, &treasury)], &[]);
    assert_eq!(h.token_balance(&treasury), before + 5_000 * IO);
    assert_eq!(h.io_supply(), supply, "nothing burned");
}

#[test]
fn wrong_mint_vault_stake_account_and_signer_are_refused() {
    let mut h = Harness::new();
    let op = h.operator();
    let other = h.operator();
    let tokens = h.fund_io(&op.pubkey(), 10_000 * IO);
    let other_tokens = h.fund_io(&other.pubkey(), 10_000 * IO);
    let mint = h.io_mint;
    h.ok(&[sx::deposit(&other.pubkey(), &mint, &other_tokens, 1_000 * IO)], &[&other]);

    // A token account of another mint.
    let fake_mint = Keypair::new();
    let rent = h.net.rent_exempt_balance(io_sdk::token::mint_len()).unwrap();
    let payer = h.net.payer();
    let ixs = io_sdk::token::create_mint(&payer, &fake_mint.pubkey(), &op.pubkey(), 6, rent);
    h.ok(&ixs, &[&fake_mint]);
    let fake_tokens = h.token_account(&fake_mint.pubkey(), &op.pubkey(), 0);
    h.expect_error(&[sx::deposit(&op.pubkey(), &mint, &fake_tokens, IO)], &[&op], StakingError::WrongMint);
    h.expect_error(&[sx::deposit(&op.pubkey(), &fake_mint.pubkey(), &tokens, IO)], &[&op], StakingError::WrongMint);

    // Another token account posing as the vault.
    let mut deposit = sx::deposit(&op.pubkey(), &mint, &tokens, IO);
    deposit.accounts[5].pubkey = other_tokens;
    h.expect_error(&[deposit], &[&op], StakingError::WrongVault);

    // Someone else's token account as the source.
    h.expect_error(&[sx::deposit(&op.pubkey(), &mint, &other_tokens, IO)], &[&op], StakingError::WrongTokenOwner);

    // Another operator's stake account.
    let mut unstake = sx::request_unstake(&op.pubkey(), IO);
    unstake.accounts[2].pubkey = io_sdk::pda::operator_stake(&other.pubkey());
    h.expect_error(&[unstake], &[&op], Refusal::new(io_staking::ID, AnchorError::ConstraintSeeds as u32));

    // The operator's signature is required.
    let mut deposit = sx::deposit(&op.pubkey(), &mint, &tokens, IO);
    deposit.accounts[0].is_signer = false;
    let before = h.snapshot();
    let err = h.net.send(&[deposit], &[]).unwrap_err();
    assert_eq!(Refusal::of(&err), Some(Refusal::new(io_staking::ID, AnchorError::AccountNotSigner as u32)));
    assert!(h.snapshot() == before);

    // The registry account must be the operator's own aggregate.
    let mut deposit = sx::deposit(&op.pubkey(), &mint, &tokens, IO);
    deposit.accounts[6].pubkey = io_sdk::pda::operator_stats(&other.pubkey());
    h.expect_error(&[deposit], &[&op], StakingError::WrongRegistryAccount);
}
