//! The DAO: genesis hands every config to it; proposals change real parameters of every
//! program of the suite, signed by the DAO PDA after quorum, approval, the voting period
//! and the timelock; every bad input is refused by name with no account changed
//! (`Harness::expect_dao_error` compares the governance, staking, treasury and registry
//! accounts before and after).

use io_emissions::{EmissionParams, EmissionsError};
use io_governance::{GovernanceError, GovernanceParams, ProposalStatus, VoteChoice};
use io_registry::{CudaVersion, GpuCatalogue, GpuModelArgs, RegistryConfig, RegistryError, Tier};
use io_sdk::client::{fetch, Chain};
use io_sdk::governance::{self as gx, actions};
use io_sdk::pda;
use io_staking::{SlashDestination, SlashProposal, SlashStatus, StakingError, StakingParams};
use io_tests::Harness;
use io_treasury::{Asset, TreasuryError};
use solana_sdk::instruction::{AccountMeta, Instruction};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

const IO: u64 = 1_000_000;
const DAY: i64 = 86_400;
/// The reference genesis' proposal threshold: 10,000 IO bonded.
const THRESHOLD: u64 = 10_000 * IO;

/// `execute_proposal` for proposal `id`, with the accounts its stored instructions name.
fn execute_ix(h: &mut Harness, id: u64) -> Instruction {
    let p = h.proposal(id);
    gx::execute_proposal(id, &p.instructions)
}

/// `create_proposal` for the next id, as `proposer`, carrying `actions`.
fn create_ix(h: &mut Harness, proposer: &Keypair, actions: &[Instruction]) -> Instruction {
    let id = h.governance_config().unwrap().proposal_count;
    let payer = h.net.payer();
    gx::create_proposal(&payer, &proposer.pubkey(), id, gx::description_hash("text"), "https://gov.io.example/p", actions)
}

fn now(h: &mut Harness) -> i64 {
    h.net.unix_time().unwrap()
}

/// Moves the clock to exactly `ts` (which must not be in the past).
fn advance_to(h: &mut Harness, ts: i64) {
    let now = now(h);
    assert!(ts >= now, "cannot move the clock back from {now} to {ts}");
    h.net.advance_clock(ts - now);
}

// ---------------------------------------------------------------------------------------
// Genesis hands over.
// ---------------------------------------------------------------------------------------

#[test]
fn genesis_leaves_every_config_to_the_dao() {
    let mut h = Harness::with_dao();
    let dao = pda::dao();
    let registry: RegistryConfig = fetch(&mut h.net, &pda::registry_config()).unwrap();
    assert_eq!((registry.authority, registry.pending_authority), (dao, None));
    let staking = h.staking_config();
    assert_eq!((staking.authority, staking.pending_authority), (dao, None));
    let emissions = h.emissions_config();
    assert_eq!((emissions.authority, emissions.pending_authority), (dao, None));
    let treasury = h.treasury_config();
    assert_eq!((treasury.authority, treasury.pending_authority), (dao, None));
    assert_eq!(treasury.params.gateway, h.gateway.pubkey(), "the gateway genesis names keeps its role");
    let governance: io_governance::GovernanceConfig = fetch(&mut h.net, &pda::governance_config()).unwrap();
    assert_eq!(governance.authority, dao);
    assert_eq!(governance.params, h.genesis.governance_params().unwrap(), "the DAO opens with genesis.toml's parameters");
    assert_eq!(governance.proposal_count, 1, "only the bootstrap proposal exists");
    // The bootstrap proposal ran once, with no vote, and only accepted the four authorities.
    let bootstrap = h.proposal(0);
    assert_eq!(bootstrap.status, ProposalStatus::Executed);
    assert_eq!((bootstrap.yes, bootstrap.no, bootstrap.abstain, bootstrap.voters), (0, 0, 0, 0));
    assert_eq!(bootstrap.instructions, gx::bootstrap_instructions());
    // The mints answer to programs, not to people.
    let io_mint = h.io_mint;
    let io = io_sdk::token::unpack_mint(&h.net.account_data(&io_mint).unwrap().unwrap()).unwrap();
    assert_eq!(io.mint_authority, Some(pda::emissions_config()).into());
    let iosd = io_sdk::token::unpack_mint(&h.net.account_data(&pda::iosd_mint()).unwrap().unwrap()).unwrap();
    assert_eq!(iosd.mint_authority, Some(pda::treasury_config()).into());
}

/// A genesis that names no IOSD gateway leaves the role with the genesis key only until
/// the handover: the treasury passes it to the DAO with its authority, so the human key
/// mints no IOSD after the DAO takes over (before, it stayed the gateway for good).
#[test]
fn genesis_hands_the_iosd_gateway_to_the_dao_with_the_treasury() {
    let mut net = io_localnet::Localnet::start();
    let authority = Keypair::new();
    net.airdrop(&authority.pubkey(), 10_000_000_000).unwrap();
    let oracles: Vec<Pubkey> = (0..3).map(|_| Pubkey::new_unique()).collect();
    let genesis = io_migrations::Genesis::reference();
    assert_eq!(genesis.treasury.gateway, None, "the reference genesis names no gateway");
    io_migrations::run_genesis(&mut net, &genesis, &authority, &oracles).unwrap();
    let treasury: io_treasury::TreasuryConfig = fetch(&mut net, &pda::treasury_config()).unwrap();
    assert_eq!((treasury.authority, treasury.params.gateway), (pda::dao(), pda::dao()));

    let holder = Keypair::new();
    let account = Keypair::new();
    let rent = net.rent_exempt_balance(io_sdk::token::account_len()).unwrap();
    let payer = net.payer();
    net.send(&io_sdk::token::create_account(&payer, &account.pubkey(), &pda::iosd_mint(), &holder.pubkey(), rent), &[&account]).unwrap();
    let err = net.send(&[io_sdk::treasury::mint_iosd(&authority.pubkey(), &account.pubkey(), 1)], &[&authority]).unwrap_err();
    assert_eq!(io_sdk::client::Refusal::of(&err), Some(TreasuryError::NotGateway.into()));
    let iosd = io_sdk::token::unpack_mint(&net.account_data(&pda::iosd_mint()).unwrap().unwrap()).unwrap();
    assert_eq!(iosd.supply, 0, "nothing was minted");
}

#[test]
fn the_bootstrap_proposal_cannot_run_again() {
    let mut h = Harness::with_dao();
    h.expect_dao_error(&[gx::execute_proposal(0, &gx::bootstrap_instructions())], &[], GovernanceError::AlreadyExecuted);
    // Not even voted on or queued again.
    let voter = h.staker_with_bond(THRESHOLD);
    h.expect_dao_error(&[gx::cast_vote(&voter.pubkey(), 0, VoteChoice::Yes)], &[&voter], GovernanceError::ProposalNotVoting);
    h.expect_dao_error(&[gx::queue_proposal(0)], &[], GovernanceError::ProposalNotVoting);
}

#[test]
fn the_former_genesis_authority_can_change_no_config() {
    let mut h = Harness::with_dao();
    let human = h.authority.insecure_clone();
    let me = human.pubkey();
    let mint = h.io_mint;
    let treasury = h.treasury;
    // Things the human would act on: a pending slash, a treasury recipient.
    let accused = h.staker_with_bond(20_000 * IO);
    let slash = h.oracle_slash(&accused.pubkey(), 1_000 * IO);
    let recipient = h.iosd_account(&me, 0);
    h.pay_cluster_in_iosd(10_000 * IO);

    // Registry.
    let model = GpuModelArgs {
        name: "B200".into(),
        tier: Tier::Enterprise,
        expected_centi_tflops: 8_000,
        min_cuda: CudaVersion { major: 12, minor: 0 },
    };
    let (oracles, threshold) = h.oracle_set();
    let first = h.model_args(0);
    for ix in [
        io_sdk::registry::set_oracles(&me, (&oracles, threshold), (&[me], 1)),
        io_sdk::registry::set_oracles(&me, (&oracles, threshold), (&oracles, 1)),
        io_sdk::registry::add_gpu_model(&me, model.clone()),
        io_sdk::registry::update_gpu_model(&me, 0, first, model),
        io_sdk::registry::retire_gpu_model(&me, 0),
        io_sdk::registry::propose_authority(&me, &me),
    ] {
        h.expect_dao_error(&[ix], &[&human], RegistryError::Unauthorized);
    }
    let tree = Keypair::new();
    let shape = io_sdk::tree::TreeShape { max_depth: 3, max_buffer_size: 8, canopy_depth: 0 };
    let lamports = h.net.rent_exempt_balance(shape.account_size()).unwrap();
    let payer = h.net.payer();
    let create = io_sdk::registry::create_tree(&payer, &me, &tree.pubkey(), shape, lamports);
    h.expect_dao_error(&create, &[&human, &tree], RegistryError::Unauthorized);
    assert!(h.net.account_data(&tree.pubkey()).unwrap().is_none());

    // Staking.
    let params = h.staking_config().params;
    let lax = StakingParams { max_slash_bps: 10_000, ..params };
    for ix in [
        io_sdk::staking::set_params(&me, Some(&treasury), &params, &lax),
        io_sdk::staking::set_params(&me, Some(&treasury), &params, &params),
        io_sdk::staking::veto_slash(&me, &accused.pubkey(), slash),
        io_sdk::staking::propose_authority(&me, &me),
    ] {
        h.expect_dao_error(&[ix], &[&human], StakingError::Unauthorized);
    }
    let pending: SlashProposal = fetch(&mut h.net, &pda::slash_proposal(slash)).unwrap();
    assert_eq!(pending.status, SlashStatus::Pending);

    // Emissions.
    let emission = h.emissions_config().params;
    for ix in [
        io_sdk::emissions::set_emission_params(&me, &emission, &EmissionParams { yearly_share_bps: 10_000, ..emission }),
        io_sdk::emissions::propose_authority(&me, &me),
    ] {
        h.expect_dao_error(&[ix], &[&human], EmissionsError::Unauthorized);
    }

    // Treasury.
    let fees = h.treasury_config().params;
    for ix in [
        io_sdk::treasury::set_treasury_params(&me, &fees, &io_treasury::TreasuryParams { fee_bps: 0, ..fees }),
        io_sdk::treasury::grant(&me, &mint, Asset::Iosd, &recipient, IO),
        io_sdk::treasury::propose_authority(&me, &me),
    ] {
        h.expect_dao_error(&[ix], &[&human], TreasuryError::Unauthorized);
    }

    // Governance: its own parameters answer only to the DAO PDA.
    let own = h.governance_config().unwrap().params;
    let mut set = gx::set_governance_params(&own, &GovernanceParams { proposal_threshold: 1, ..own });
    set.accounts[0] = AccountMeta::new_readonly(me, true);
    h.expect_dao_error(&[set], &[&human], GovernanceError::Unauthorized);

    // Nobody was proposed as a successor anywhere, so nobody can accept.
    h.expect_dao_error(&[io_sdk::registry::accept_authority(&me)], &[&human], RegistryError::NoPendingAuthority);
    h.expect_dao_error(&[io_sdk::staking::accept_authority(&me)], &[&human], StakingError::NoPendingAuthority);
    h.expect_dao_error(&[io_sdk::emissions::accept_authority(&me)], &[&human], EmissionsError::NoPendingAuthority);
    h.expect_dao_error(&[io_sdk::treasury::accept_authority(&me)], &[&human], TreasuryError::NoPendingAuthority);
    assert_eq!(h.token_balance(&recipient), 0);
}

#[test]
fn only_the_registry_authority_opens_the_dao() {
    let mut h = Harness::with_genesis(io_migrations::Genesis::reference());
    assert!(h.governance_config().is_none(), "this genesis keeps the configs and opens no DAO");
    let params = h.genesis.governance_params().unwrap();
    let squatter = h.operator();
    let payer = h.net.payer();
    h.expect_dao_error(
        &[gx::initialize_governance(&payer, &payer, &squatter.pubkey(), params)],
        &[&squatter],
        GovernanceError::NotRegistryAuthority,
    );
    assert!(h.governance_config().is_none());
    assert!(h.net.account_data(&pda::proposal(0)).unwrap().is_none());
    // The registry's authority can.
    let authority = h.authority.insecure_clone();
    h.ok(&[gx::initialize_governance(&payer, &payer, &authority.pubkey(), params)], &[&authority]);
    assert_eq!(h.governance_config().unwrap().authority, pda::dao());
    assert_eq!(h.proposal(0).status, ProposalStatus::Queued);
}

// ---------------------------------------------------------------------------------------
// Proposals change real parameters of the suite.
// ---------------------------------------------------------------------------------------

#[test]
fn a_proposal_lowers_the_fee_after_vote_and_timelock() {
    let mut h = Harness::with_dao();
    let a = h.staker_with_bond(60_000 * IO);
    let b = h.staker_with_bond(40_000 * IO);
    let current = h.treasury_config().params;
    let id = h.propose(&a, &[actions::set_fee_bps(current.fee_bps, 150)]);
    h.vote(&a, id, VoteChoice::Yes);
    h.vote(&b, id, VoteChoice::No);
    let p = h.end_vote_and_queue(id);
    assert_eq!(p.status, ProposalStatus::Queued);
    assert_eq!(h.treasury_config().params.fee_bps, 200, "nothing changes before execution");
    h.execute(id);
    assert_eq!(h.treasury_config().params.fee_bps, 150);
    let p = h.proposal(id);
    assert_eq!(p.status, ProposalStatus::Executed);
    assert_eq!(p.executed_at, p.executable_at);
    // The next payment is split at the new fee.
    assert_eq!(h.pay_cluster_in_iosd(10_000 * IO), 150 * IO);
}

#[test]
fn the_dao_vetoes_a_pending_slash_inside_the_challenge_window() {
    let mut h = Harness::with_dao();
    let voter = h.staker_with_bond(50_000 * IO);
    let accused = h.staker_with_bond(20_000 * IO);
    let slash = h.oracle_slash(&accused.pubkey(), 5_000 * IO);
    assert_eq!(h.stake(&accused.pubkey()).pending_slash, 5_000 * IO);
    let id = h.passed_proposal(&voter, &[actions::veto_slash(&accused.pubkey(), slash)]);
    h.execute(id);
    let vetoed: SlashProposal = fetch(&mut h.net, &pda::slash_proposal(slash)).unwrap();
    assert_eq!(vetoed.status, SlashStatus::Vetoed);
    assert!(now(&mut h) < vetoed.executable_at, "the DAO acted inside the 7-day challenge window");
    assert_eq!(h.stake(&accused.pubkey()).pending_slash, 0);
    // Once the window is over, the slash cannot be carried out.
    advance_to(&mut h, vetoed.executable_at);
    let (mint, treasury) = (h.io_mint, h.treasury);
    h.expect_dao_error(&[io_sdk::staking::execute_slash(&accused.pubkey(), slash, &mint, &treasury)], &[], StakingError::SlashNotPending);
    assert_eq!(h.stake(&accused.pubkey()).bonded, 20_000 * IO);
    assert_eq!(h.staking_config().total_slashed, 0);
}

#[test]
fn the_dao_grants_iosd_from_the_treasury_fees() {
    let mut h = Harness::with_dao();
    let proposer = h.staker_with_bond(THRESHOLD);
    assert_eq!(h.pay_cluster_in_iosd(10_000 * IO), 200 * IO, "2% of the payment is the treasury's");
    let grantee = h.operator();
    let to = h.iosd_account(&grantee.pubkey(), 0);
    let mint = h.io_mint;
    let id = h.passed_proposal(&proposer, &[actions::grant(&mint, Asset::Iosd, &to, 150 * IO)]);
    assert_eq!(h.token_balance(&to), 0, "nothing is paid before execution");
    h.execute(id);
    assert_eq!(h.token_balance(&to), 150 * IO);
    assert_eq!(h.token_balance(&pda::treasury_iosd_vault()), 50 * IO);
    assert_eq!(h.treasury_config().totals.iosd_granted, 150 * IO);
}

#[test]
fn the_dao_adds_a_gpu_model_that_operators_can_then_register() {
    let mut h = Harness::with_dao();
    let proposer = h.staker_with_bond(THRESHOLD);
    let catalogue: GpuCatalogue = fetch(&mut h.net, &pda::gpu_catalogue()).unwrap();
    let models = catalogue.models.len();
    let args = GpuModelArgs {
        name: "B200".into(),
        tier: Tier::Enterprise,
        expected_centi_tflops: 8_000,
        min_cuda: CudaVersion { major: 12, minor: 0 },
    };
    let id = h.passed_proposal(&proposer, &[actions::add_gpu_model(args)]);
    h.execute(id);
    let catalogue: GpuCatalogue = fetch(&mut h.net, &pda::gpu_catalogue()).unwrap();
    assert_eq!(catalogue.models.len(), models + 1);
    let added = catalogue.models.last().unwrap();
    assert_eq!((usize::from(added.id), added.name.as_str(), added.tier, added.active), (models, "B200", Tier::Enterprise, true));
    assert_eq!(added.expected_centi_tflops, 8_000);
    // Operators register the new model at once; its tier comes from the catalogue.
    let operator = h.operator();
    let spec = h.spec("B200", 8, 1);
    let (_, record) = h.register(&operator, spec);
    assert_eq!((record.gpu_model, record.tier), (added.id, Tier::Enterprise));
}

#[test]
fn the_dao_replaces_the_oracle_set_and_only_the_new_quorum_can_slash() {
    let mut h = Harness::with_dao();
    let proposer = h.staker_with_bond(30_000 * IO);
    let accused = h.staker_with_bond(THRESHOLD);
    let new: Vec<Keypair> = (0..4).map(|_| Keypair::new()).collect();
    let keys: Vec<Pubkey> = new.iter().map(|k| k.pubkey()).collect();
    let (before, threshold) = h.oracle_set();
    let id = h.passed_proposal(&proposer, &[actions::set_oracles((&before, threshold), (&keys, 3))]);
    h.execute(id);
    let config = h.config();
    assert_eq!((config.oracles, config.threshold), (keys.clone(), 3));

    let payer = h.net.payer();
    let next = h.staking_config().next_slash_id;
    let slash = |signers: &[&Keypair]| {
        let keys: Vec<Pubkey> = signers.iter().map(|k| k.pubkey()).collect();
        io_sdk::staking::propose_slash(&payer, &accused.pubkey(), next, IO, io_staking::SlashReason::Downtime, [1; 32], &keys)
    };
    let (old_a, old_b) = (h.oracles[0].insecure_clone(), h.oracles[1].insecure_clone());
    h.expect_dao_error(&[slash(&[&old_a, &old_b])], &[&old_a, &old_b], StakingError::NotAnOracle);
    h.expect_dao_error(&[slash(&[&new[0], &new[1]])], &[&new[0], &new[1]], StakingError::InsufficientQuorum);
    h.ok(&[slash(&[&new[0], &new[1], &new[3]])], &[&new[0], &new[1], &new[3]]);
    assert_eq!(h.stake(&accused.pubkey()).pending_slash, IO);
}

#[test]
fn the_dao_sets_the_staking_params() {
    let mut h = Harness::with_dao();
    let proposer = h.staker_with_bond(30_000 * IO);
    let before = h.staking_config().params;
    let new = StakingParams {
        min_stake_per_gpu: [12_000 * IO, 2_500 * IO, 250 * IO],
        multiplier_bps: [16_000, 12_500, 10_000],
        unbonding_secs: 21 * DAY as u32,
        max_slash_bps: 3_000,
        challenge_secs: 10 * DAY as u32,
        slash_destination: SlashDestination::Treasury,
    };
    assert_ne!(before, new);
    let treasury = h.treasury;
    let id = h.passed_proposal(&proposer, &[actions::set_staking_params(Some(&treasury), &before, &new)]);
    h.execute(id);
    assert_eq!(h.staking_config().params, new);
    // An unstake requested now releases after the new 21 days.
    h.ok(&[io_sdk::staking::request_unstake(&proposer.pubkey(), IO)], &[&proposer]);
    let entry = h.stake(&proposer.pubkey()).unbonding[0];
    assert_eq!((entry.amount, entry.release_at), (IO, now(&mut h) + 21 * DAY));
    // And a slash above the new 30% cap is refused.
    let accused = h.staker_with_bond(THRESHOLD);
    let next = h.staking_config().next_slash_id;
    let (a, b) = (h.oracles[0].insecure_clone(), h.oracles[1].insecure_clone());
    let payer = h.net.payer();
    let over = io_sdk::staking::propose_slash(
        &payer,
        &accused.pubkey(),
        next,
        THRESHOLD * 3 / 10 + 1,
        io_staking::SlashReason::Downtime,
        [1; 32],
        &[a.pubkey(), b.pubkey()],
    );
    h.expect_dao_error(&[over], &[&a, &b], StakingError::SlashAboveCap);
}

#[test]
fn the_dao_sets_the_emission_params() {
    let mut h = Harness::with_dao();
    let proposer = h.staker_with_bond(THRESHOLD);
    let new = EmissionParams { yearly_share_bps: 4_000, breaker_window_secs: 43_200, breaker_max_mint: 1_500_000 * IO };
    let before = h.emissions_config().params;
    assert_ne!(before, new);
    let id = h.passed_proposal(&proposer, &[actions::set_emission_params(&before, &new)]);
    h.execute(id);
    assert_eq!(h.emissions_config().params, new);
}

#[test]
fn one_proposal_carries_several_actions_executed_in_order() {
    let mut h = Harness::with_dao();
    let proposer = h.staker_with_bond(30_000 * IO);
    let current = h.treasury_config().params;
    let emission_before = h.emissions_config().params;
    let emission = EmissionParams { yearly_share_bps: 4_500, ..emission_before };
    let model = GpuModelArgs {
        name: "MI300X".into(),
        tier: Tier::Enterprise,
        expected_centi_tflops: 16_300,
        min_cuda: CudaVersion { major: 0, minor: 0 },
    };
    let (oracles, threshold) = h.oracle_set();
    let id = h.passed_proposal(
        &proposer,
        &[
            actions::set_fee_bps(current.fee_bps, 120),
            actions::add_gpu_model(model),
            actions::set_emission_params(&emission_before, &emission),
            actions::set_oracles((&oracles, threshold), (&oracles, 3)),
            // The same parameter twice: each change is written against the one before.
            actions::set_fee_bps(120, 180),
        ],
    );
    assert_eq!(h.proposal(id).instructions.len(), 5);
    h.execute(id);
    assert_eq!(h.treasury_config().params.fee_bps, 180);
    assert_eq!(h.model_id("MI300X") as usize + 1, fetch::<GpuCatalogue>(&mut h.net, &pda::gpu_catalogue()).unwrap().models.len());
    assert_eq!(h.emissions_config().params, emission);
    let config = h.config();
    assert_eq!((config.oracles, config.threshold), (oracles, 3));
    assert_eq!(h.proposal(id).status, ProposalStatus::Executed);
}

#[test]
fn new_governance_params_apply_only_to_proposals_opened_afterwards() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let big = h.staker_with_bond(60_000 * IO);
    let mid = h.staker_with_bond(15_000 * IO);
    let old = h.governance_config().unwrap().params;
    let new = GovernanceParams {
        voting_period_secs: DAY as u32,
        quorum_bps: 2_000,
        approval_bps: 7_000,
        timelock_secs: 7_200,
        execution_window_secs: 3 * DAY as u32,
        proposal_threshold: 20_000 * IO,
    };
    let change = h.passed_proposal(&big, &[actions::set_governance_params(&old, &new)]);
    // Opened while the change is queued: keeps the old parameters throughout.
    let in_flight = h.propose(&big, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    let by_mid = h.propose(&mid, &[actions::set_fee_bps(fees.fee_bps, 160)]);
    assert_eq!(h.proposal(by_mid).proposer, mid.pubkey(), "15,000 IO was enough under the old threshold");
    h.execute(change);
    assert_eq!(h.governance_config().unwrap().params, new);
    assert_eq!(h.proposal(in_flight).params, old);
    // The new threshold refuses the mid-sized staker now.
    let refused = create_ix(&mut h, &mid, &[actions::set_fee_bps(fees.fee_bps, 170)]);
    h.expect_dao_error(&[refused], &[&mid], GovernanceError::BelowProposalThreshold);
    // A proposal opened now runs on the new parameters.
    let fresh = h.propose(&big, &[actions::set_fee_bps(fees.fee_bps, 170)]);
    let f = h.proposal(fresh);
    assert_eq!((f.params, f.voting_ends_at - f.opened_at), (new, DAY));
    h.vote(&big, fresh, VoteChoice::Yes);
    h.vote(&big, in_flight, VoteChoice::Yes);
    let f = h.end_vote_and_queue(fresh);
    assert_eq!(f.status, ProposalStatus::Queued);
    assert_eq!((f.executable_at - f.voting_ends_at, f.expires_at - f.executable_at), (7_200, 3 * DAY));
    let i = h.proposal(in_flight);
    assert!(now(&mut h) < i.voting_ends_at, "the in-flight proposal still votes for its full 3 days");
    assert_eq!(i.voting_ends_at - i.opened_at, i64::from(old.voting_period_secs));
    let i = h.end_vote_and_queue(in_flight);
    assert_eq!((i.executable_at - i.voting_ends_at, i.expires_at - i.executable_at), (DAY, 7 * DAY));
    // Its timelock is still a day: the new two hours do not shorten it.
    advance_to(&mut h, i.voting_ends_at + 7_200);
    let early = execute_ix(&mut h, in_flight);
    h.expect_dao_error(&[early], &[], GovernanceError::TimelockNotElapsed);
    h.execute(in_flight);
    assert_eq!(h.treasury_config().params.fee_bps, 150);
}

#[test]
fn out_of_range_governance_params_fail_at_execution_and_change_nothing() {
    let mut h = Harness::with_dao();
    let proposer = h.staker_with_bond(THRESHOLD);
    let params = h.governance_config().unwrap().params;
    // A timelock below the compiled-in minimum of an hour.
    let bad = GovernanceParams { timelock_secs: 60, ..params };
    let id = h.passed_proposal(&proposer, &[actions::set_governance_params(&params, &bad)]);
    let executable_at = h.proposal(id).executable_at;
    advance_to(&mut h, executable_at);
    let ix = execute_ix(&mut h, id);
    h.expect_dao_error(&[ix], &[], GovernanceError::InvalidParams);
    assert_eq!(h.governance_config().unwrap().params, params);
    assert_eq!(h.proposal(id).status, ProposalStatus::Queued);
}

// ---------------------------------------------------------------------------------------
// Tally: quorum, approval, abstentions.
// ---------------------------------------------------------------------------------------

#[test]
fn quorum_is_ten_percent_of_the_stake_at_opening_inclusive() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let proposer = h.staker_with_bond(THRESHOLD);
    let silent = h.staker_with_bond(90_000 * IO);
    // 10,000 of 100,000 IO: exactly the quorum.
    let met = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.vote(&proposer, met, VoteChoice::Yes);
    // One base unit more bonded elsewhere: 10,000 IO is now just short of 10%.
    h.top_up(&silent, 1);
    h.net.advance_clock(1);
    let short = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.vote(&proposer, short, VoteChoice::Yes);
    assert_eq!((h.proposal(met).stake_at_open, h.proposal(short).stake_at_open), (100_000 * IO, 100_000 * IO + 1));
    assert_eq!(h.end_vote_and_queue(met).status, ProposalStatus::Queued);
    let p = h.end_vote_and_queue(short);
    assert_eq!((p.status, p.yes, p.no), (ProposalStatus::Defeated, THRESHOLD, 0), "unanimous, but without quorum");
    let ix = execute_ix(&mut h, short);
    h.expect_dao_error(&[ix], &[], GovernanceError::ProposalNotQueued);
}

#[test]
fn approval_needs_sixty_percent_of_yes_and_no() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let proposer = h.staker_with_bond(THRESHOLD);
    let yes = h.staker_with_bond(30_000 * IO);
    let no = h.staker_with_bond(20_000 * IO);
    // 30,000 yes to 20,000 no: exactly 60%.
    let exact = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.vote(&yes, exact, VoteChoice::Yes);
    h.vote(&no, exact, VoteChoice::No);
    // 30,000 yes to 20,000 IO + 1 base unit no: just below.
    h.top_up(&no, 1);
    h.net.advance_clock(1);
    let below = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.vote(&yes, below, VoteChoice::Yes);
    h.vote(&no, below, VoteChoice::No);
    assert_eq!(h.end_vote_and_queue(exact).status, ProposalStatus::Queued);
    let p = h.end_vote_and_queue(below);
    assert_eq!((p.status, p.yes, p.no), (ProposalStatus::Defeated, 30_000 * IO, 20_000 * IO + 1));
    let executable_at = h.proposal(exact).executable_at;
    advance_to(&mut h, executable_at);
    let ix = execute_ix(&mut h, below);
    h.expect_dao_error(&[ix], &[], GovernanceError::ProposalNotQueued);
    h.execute(exact);
}

#[test]
fn abstentions_count_for_quorum_but_not_for_approval() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let abstainer = h.staker_with_bond(THRESHOLD);
    let yes = h.staker_with_bond(600 * IO);
    let no = h.staker_with_bond(400 * IO);
    h.staker_with_bond(50_000 * IO); // silent
                                     // 61,000 IO at opening: quorum 6,100. Yes + no alone (1,000) would miss it; with the
                                     // abstention it is met, and approval is 600 of 1,000 = 60%, the abstention diluting nothing.
    let id = h.propose(&abstainer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.vote(&abstainer, id, VoteChoice::Abstain);
    h.vote(&yes, id, VoteChoice::Yes);
    h.vote(&no, id, VoteChoice::No);
    let only_abstain = h.propose(&abstainer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.vote(&abstainer, only_abstain, VoteChoice::Abstain);
    let p = h.end_vote_and_queue(id);
    assert_eq!((p.stake_at_open, p.yes, p.no, p.abstain, p.voters), (61_000 * IO, 600 * IO, 400 * IO, THRESHOLD, 3));
    assert_eq!(p.status, ProposalStatus::Queued);
    // Quorum with nobody saying yes passes nothing.
    let q = h.end_vote_and_queue(only_abstain);
    assert_eq!((q.status, q.abstain, q.yes), (ProposalStatus::Defeated, THRESHOLD, 0));
}

// ---------------------------------------------------------------------------------------
// Votes: the snapshot, once per position, inside the period.
// ---------------------------------------------------------------------------------------

#[test]
fn votes_count_once_and_only_during_the_voting_period() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let proposer = h.staker_with_bond(20_000 * IO);
    let on_time = h.staker_with_bond(5_000 * IO);
    let late = h.staker_with_bond(5_000 * IO);
    let id = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.vote(&proposer, id, VoteChoice::Yes);
    for choice in [VoteChoice::Yes, VoteChoice::No, VoteChoice::Abstain] {
        h.expect_dao_error(&[gx::cast_vote(&proposer.pubkey(), id, choice)], &[&proposer], GovernanceError::AlreadyVoted);
    }
    let ends = h.proposal(id).voting_ends_at;
    advance_to(&mut h, ends - 1);
    h.vote(&on_time, id, VoteChoice::No);
    h.net.advance_clock(1);
    h.expect_dao_error(&[gx::cast_vote(&late.pubkey(), id, VoteChoice::No)], &[&late], GovernanceError::VotingClosed);
    let p = h.proposal(id);
    assert_eq!((p.yes, p.no, p.voters), (20_000 * IO, 5_000 * IO, 2));
    h.ok(&[gx::queue_proposal(id)], &[]);
    h.expect_dao_error(&[gx::cast_vote(&late.pubkey(), id, VoteChoice::No)], &[&late], GovernanceError::ProposalNotVoting);
}

#[test]
fn vote_weight_is_the_bond_before_the_opening_second() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let proposer = h.staker_with_bond(30_000 * IO);
    let topped = h.staker_with_bond(10_000 * IO);
    let unstaker = h.staker_with_bond(10_000 * IO);
    // Bonds in the opening second itself do not count, for the voter nor for the quorum base.
    let same_second = h.operator();
    let tokens = h.fund_io(&same_second.pubkey(), 40_000 * IO);
    let mint = h.io_mint;
    h.ok(&[io_sdk::staking::deposit(&same_second.pubkey(), &mint, &tokens, 40_000 * IO)], &[&same_second]);
    let id = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.top_up(&topped, 5_000 * IO);
    assert_eq!(h.proposal(id).stake_at_open, 50_000 * IO);
    // Later changes do not count either: more stake, less stake, a new position.
    h.net.advance_clock(60);
    h.top_up(&topped, 20_000 * IO);
    h.ok(&[io_sdk::staking::request_unstake(&unstaker.pubkey(), 9_000 * IO)], &[&unstaker]);
    let newcomer = h.staker_with_bond(100_000 * IO);
    h.vote(&topped, id, VoteChoice::Yes);
    h.vote(&unstaker, id, VoteChoice::No);
    let record: io_governance::VoteRecord = fetch(&mut h.net, &pda::vote_record(&pda::proposal(id), &topped.pubkey())).unwrap();
    assert_eq!((record.weight, record.choice), (10_000 * IO, VoteChoice::Yes));
    let p = h.proposal(id);
    assert_eq!((p.yes, p.no), (10_000 * IO, 10_000 * IO), "the old weights, not the bonds of now");
    assert_eq!(h.stake(&topped.pubkey()).bonded, 35_000 * IO);
    for voter in [&same_second, &newcomer] {
        h.expect_dao_error(&[gx::cast_vote(&voter.pubkey(), id, VoteChoice::Yes)], &[voter], GovernanceError::NoVotingWeight);
    }
    // A wallet that never staked has no position at all.
    let stranger = h.operator();
    h.expect_dao_error(&[gx::cast_vote(&stranger.pubkey(), id, VoteChoice::Yes)], &[&stranger], GovernanceError::NoVotingWeight);
    // A proposal opened now sees the new bonds.
    let next = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.vote(&newcomer, next, VoteChoice::Yes);
    h.vote(&topped, next, VoteChoice::Yes);
    let n = h.proposal(next);
    assert_eq!((n.yes, n.stake_at_open), (135_000 * IO, 206_000 * IO));
}

#[test]
fn a_position_changed_eight_times_since_opening_has_lost_its_snapshot() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let proposer = h.staker_with_bond(30_000 * IO);
    let steady = h.staker_with_bond(10_000 * IO);
    let busy = h.staker_with_bond(10_000 * IO);
    let early = h.staker_with_bond(10_000 * IO);
    let id = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.vote(&early, id, VoteChoice::No);
    // Seven bond changes in seven later seconds: the ring of eight still holds the bond
    // from before the opening. An eighth overwrites it.
    for _ in 0..7 {
        h.net.advance_clock(1);
        for staker in [&steady, &busy, &early] {
            h.top_up(staker, IO);
        }
    }
    h.net.advance_clock(1);
    h.top_up(&busy, IO);
    assert_eq!(h.stake(&steady.pubkey()).bond_checkpoints, 8);
    assert_eq!(h.stake(&busy.pubkey()).bond_checkpoints, 9);
    h.vote(&steady, id, VoteChoice::Yes);
    h.expect_dao_error(&[gx::cast_vote(&busy.pubkey(), id, VoteChoice::Yes)], &[&busy], GovernanceError::SnapshotUnavailable);
    // A vote cast before the changes stands.
    let p = h.proposal(id);
    assert_eq!((p.yes, p.no, p.voters), (10_000 * IO, 10_000 * IO, 2));
}

// ---------------------------------------------------------------------------------------
// Lifecycle: queue, timelock, execution window, cancel.
// ---------------------------------------------------------------------------------------

#[test]
fn a_proposal_is_queued_only_after_its_vote_ends() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let proposer = h.staker_with_bond(THRESHOLD);
    let id = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.vote(&proposer, id, VoteChoice::Yes);
    h.expect_dao_error(&[gx::queue_proposal(id)], &[], GovernanceError::VotingNotEnded);
    let ends = h.proposal(id).voting_ends_at;
    advance_to(&mut h, ends - 1);
    h.expect_dao_error(&[gx::queue_proposal(id)], &[], GovernanceError::VotingNotEnded);
    h.net.advance_clock(1);
    h.ok(&[gx::queue_proposal(id)], &[]);
    let p = h.proposal(id);
    assert_eq!((p.status, p.executable_at, p.expires_at), (ProposalStatus::Queued, ends + DAY, ends + 8 * DAY));
    h.expect_dao_error(&[gx::queue_proposal(id)], &[], GovernanceError::ProposalNotVoting);
}

#[test]
fn execution_waits_for_the_timelock_and_happens_once() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let proposer = h.staker_with_bond(THRESHOLD);
    let id = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    // Not while voting.
    let ix = execute_ix(&mut h, id);
    h.expect_dao_error(std::slice::from_ref(&ix), &[], GovernanceError::ProposalNotQueued);
    h.vote(&proposer, id, VoteChoice::Yes);
    let p = h.end_vote_and_queue(id);
    h.expect_dao_error(std::slice::from_ref(&ix), &[], GovernanceError::TimelockNotElapsed);
    advance_to(&mut h, p.executable_at - 1);
    h.expect_dao_error(std::slice::from_ref(&ix), &[], GovernanceError::TimelockNotElapsed);
    assert_eq!(h.treasury_config().params.fee_bps, 200);
    h.net.advance_clock(1);
    h.ok(std::slice::from_ref(&ix), &[]);
    assert_eq!(h.treasury_config().params.fee_bps, 150);
    h.expect_dao_error(std::slice::from_ref(&ix), &[], GovernanceError::AlreadyExecuted);
    // Still refused later, and inside the window or not.
    advance_to(&mut h, p.expires_at + DAY);
    h.expect_dao_error(&[ix], &[], GovernanceError::AlreadyExecuted);
}

#[test]
fn a_defeated_proposal_cannot_be_executed() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let proposer = h.staker_with_bond(20_000 * IO);
    let against = h.staker_with_bond(30_000 * IO);
    let id = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.vote(&proposer, id, VoteChoice::Yes);
    h.vote(&against, id, VoteChoice::No);
    let p = h.end_vote_and_queue(id);
    assert_eq!(p.status, ProposalStatus::Defeated);
    let ix = execute_ix(&mut h, id);
    h.expect_dao_error(std::slice::from_ref(&ix), &[], GovernanceError::ProposalNotQueued);
    h.net.advance_clock(2 * DAY);
    h.expect_dao_error(&[ix], &[], GovernanceError::ProposalNotQueued);
    h.expect_dao_error(&[gx::queue_proposal(id)], &[], GovernanceError::ProposalNotVoting);
    assert_eq!(h.treasury_config().params.fee_bps, 200);
}

#[test]
fn a_queued_proposal_expires_after_its_execution_window() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let proposer = h.staker_with_bond(THRESHOLD);
    let id = h.passed_proposal(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    let p = h.proposal(id);
    assert_eq!(p.expires_at - p.executable_at, 7 * DAY);
    advance_to(&mut h, p.expires_at);
    assert_eq!(gx::stage(&p, now(&mut h)), gx::Stage::Expired);
    let ix = execute_ix(&mut h, id);
    h.expect_dao_error(&[ix], &[], GovernanceError::ProposalExpired);
    assert_eq!(h.proposal(id).status, ProposalStatus::Queued);
    assert_eq!(h.treasury_config().params.fee_bps, 200);
}

#[test]
fn the_execution_window_is_fixed_by_the_end_of_the_vote_not_by_when_it_is_queued() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let proposer = h.staker_with_bond(THRESHOLD);
    let late = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    let stale = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 120)]);
    h.vote(&proposer, late, VoteChoice::Yes);
    h.vote(&proposer, stale, VoteChoice::Yes);
    let ends = h.proposal(late).voting_ends_at;

    // Queued two days after the vote: the one-day timelock is already over.
    advance_to(&mut h, ends + 2 * DAY);
    h.ok(&[gx::queue_proposal(late)], &[]);
    let p = h.proposal(late);
    assert_eq!((p.executable_at, p.expires_at), (ends + DAY, ends + 8 * DAY));
    let ix = execute_ix(&mut h, late);
    h.ok(&[ix], &[]);
    assert_eq!(h.treasury_config().params.fee_bps, 150);

    // Queued after its window closed: recorded as passed, but it can never run.
    advance_to(&mut h, ends + 8 * DAY);
    h.ok(&[gx::queue_proposal(stale)], &[]);
    assert_eq!(h.proposal(stale).status, ProposalStatus::Queued);
    let ix = execute_ix(&mut h, stale);
    h.expect_dao_error(&[ix], &[], GovernanceError::ProposalExpired);
    assert_eq!(h.treasury_config().params.fee_bps, 150);
}

#[test]
fn a_failing_action_fails_the_whole_execution_and_leaves_it_queued_until_expiry() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let proposer = h.staker_with_bond(THRESHOLD);
    h.pay_cluster_in_iosd(10_000 * IO); // 200 IOSD of fees
    let grantee = h.operator();
    let to = h.iosd_account(&grantee.pubkey(), 0);
    let mint = h.io_mint;
    // Each proposal lowers the fee, then grants 300 IOSD: more than the vault holds.
    let plan = |fee| [actions::set_fee_bps(fees.fee_bps, fee), actions::grant(&mint, Asset::Iosd, &to, 300 * IO)];
    let retried = h.propose(&proposer, &plan(150));
    let abandoned = h.propose(&proposer, &plan(120));
    for id in [retried, abandoned] {
        h.vote(&proposer, id, VoteChoice::Yes);
    }
    h.end_vote_and_queue(retried);
    h.end_vote_and_queue(abandoned);
    let p = h.proposal(retried);
    advance_to(&mut h, p.executable_at);
    // Raised by the token program, two CPIs down (governance -> treasury -> token).
    let insufficient_funds = io_sdk::client::Refusal::new(
        anchor_spl::token::spl_token::ID,
        anchor_spl::token::spl_token::error::TokenError::InsufficientFunds as u32,
    );
    for id in [retried, abandoned] {
        // The grant fails, so the fee change before it is undone too.
        let ix = execute_ix(&mut h, id);
        h.expect_dao_error(&[ix], &[], insufficient_funds);
        assert_eq!(h.proposal(id).status, ProposalStatus::Queued);
    }
    assert_eq!((h.treasury_config().params.fee_bps, h.token_balance(&to)), (200, 0));
    // Fund the vault: the same proposal now executes.
    h.pay_cluster_in_iosd(10_000 * IO);
    h.execute(retried);
    assert_eq!((h.treasury_config().params.fee_bps, h.token_balance(&to)), (150, 300 * IO));
    assert_eq!(h.token_balance(&pda::treasury_iosd_vault()), 100 * IO);
    // The other waits out its window and can never run.
    h.pay_cluster_in_iosd(20_000 * IO);
    let q = h.proposal(abandoned);
    advance_to(&mut h, q.expires_at);
    let ix = execute_ix(&mut h, abandoned);
    h.expect_dao_error(&[ix], &[], GovernanceError::ProposalExpired);
    assert_eq!(h.treasury_config().params.fee_bps, 150);
}

#[test]
fn only_the_author_cancels_and_only_before_any_vote() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let author = h.staker_with_bond(20_000 * IO);
    let other = h.staker_with_bond(20_000 * IO);
    let id = h.propose(&author, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.expect_dao_error(&[gx::cancel_proposal(&other.pubkey(), id)], &[&other], GovernanceError::NotProposer);
    h.ok(&[gx::cancel_proposal(&author.pubkey(), id)], &[&author]);
    assert_eq!(h.proposal(id).status, ProposalStatus::Cancelled);
    // A cancelled proposal is over: no vote, no queue, no execution, no second cancel.
    h.expect_dao_error(&[gx::cast_vote(&other.pubkey(), id, VoteChoice::Yes)], &[&other], GovernanceError::ProposalNotVoting);
    h.expect_dao_error(&[gx::cancel_proposal(&author.pubkey(), id)], &[&author], GovernanceError::ProposalNotVoting);
    h.net.advance_clock(4 * DAY);
    h.expect_dao_error(&[gx::queue_proposal(id)], &[], GovernanceError::ProposalNotVoting);
    let ix = execute_ix(&mut h, id);
    h.expect_dao_error(&[ix], &[], GovernanceError::ProposalNotQueued);

    let voted = h.propose(&author, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.vote(&other, voted, VoteChoice::No);
    h.expect_dao_error(&[gx::cancel_proposal(&author.pubkey(), voted)], &[&author], GovernanceError::VotesAlreadyCast);
    assert_eq!(h.proposal(voted).status, ProposalStatus::Voting);
}

// ---------------------------------------------------------------------------------------
// What a proposal may be and carry.
// ---------------------------------------------------------------------------------------

#[test]
fn proposing_needs_the_threshold_bonded_before_the_opening_second() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let fee = actions::set_fee_bps(fees.fee_bps, 150);
    let short = h.staker_with_bond(THRESHOLD - 1);
    let ix = create_ix(&mut h, &short, std::slice::from_ref(&fee));
    h.expect_dao_error(&[ix], &[&short], GovernanceError::BelowProposalThreshold);
    // A wallet with no position at all.
    let nobody = h.operator();
    let ix = create_ix(&mut h, &nobody, std::slice::from_ref(&fee));
    h.expect_dao_error(&[ix], &[&nobody], GovernanceError::BelowProposalThreshold);
    // Nor may it name another staker's position (checked with the bump that position
    // stores), nor an empty account that is not its own position's address.
    let whale = h.staker_with_bond(2 * THRESHOLD);
    let mut borrowed = create_ix(&mut h, &nobody, std::slice::from_ref(&fee));
    borrowed.accounts[3].pubkey = pda::operator_stake(&whale.pubkey());
    h.expect_dao_error(&[borrowed], &[&nobody], GovernanceError::WrongStakingAccount);
    let mut stray = create_ix(&mut h, &nobody, std::slice::from_ref(&fee));
    stray.accounts[3].pubkey = Pubkey::new_unique();
    h.expect_dao_error(&[stray], &[&nobody], GovernanceError::WrongStakingAccount);
    // Topping up to the threshold counts from the next second on, not in this one...
    h.top_up(&short, 1);
    let ix = create_ix(&mut h, &short, std::slice::from_ref(&fee));
    h.expect_dao_error(&[ix], &[&short], GovernanceError::BelowProposalThreshold);
    // ...nor when the deposit rides in the same transaction as the proposal.
    let fresh = h.operator();
    let tokens = h.fund_io(&fresh.pubkey(), 50_000 * IO);
    let mint = h.io_mint;
    let deposit = io_sdk::staking::deposit(&fresh.pubkey(), &mint, &tokens, 50_000 * IO);
    let ix = create_ix(&mut h, &fresh, std::slice::from_ref(&fee));
    h.expect_dao_error(&[deposit, ix], &[&fresh], GovernanceError::BelowProposalThreshold);
    assert!(h.net.account_data(&pda::operator_stake(&fresh.pubkey())).unwrap().is_none(), "the deposit was rolled back");
    // One second later, exactly the threshold is enough.
    h.net.advance_clock(1);
    let id = h.propose(&short, &[fee]);
    assert_eq!(h.proposal(id).proposer, short.pubkey());
}

#[test]
fn a_proposal_may_call_the_governance_program_only_to_set_its_params() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let proposer = h.staker_with_bond(THRESHOLD);
    let dao = pda::dao();
    let params = h.governance_config().unwrap().params;
    let open = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    for forbidden in [
        gx::cast_vote(&dao, open, VoteChoice::Yes),
        gx::execute_proposal(open, &h.proposal(open).instructions),
        gx::execute_proposal(0, &gx::bootstrap_instructions()),
        gx::queue_proposal(open),
        gx::cancel_proposal(&dao, open),
        gx::initialize_governance(&dao, &dao, &dao, params),
        gx::draft_proposal(&dao, &dao, 99, [0; 32], "", &[]),
        gx::append_to_proposal(&dao, &dao, open, &[]),
        gx::open_proposal(&dao, open),
    ] {
        let lower = GovernanceParams { proposal_threshold: params.proposal_threshold - 1, ..params };
        let with_allowed = [actions::set_governance_params(&params, &lower), forbidden.clone()];
        for body in [&[forbidden.clone()][..], &with_allowed[..]] {
            let ix = create_ix(&mut h, &proposer, body);
            h.expect_dao_error(&[ix], &[&proposer], GovernanceError::ForbiddenGovernanceCall);
        }
    }
    // Setting the parameters is allowed.
    let lower = GovernanceParams { proposal_threshold: params.proposal_threshold - 1, ..params };
    let ix = create_ix(&mut h, &proposer, &[actions::set_governance_params(&params, &lower)]);
    h.ok(&[ix], &[&proposer]);
}

#[test]
fn a_proposal_cannot_carry_any_signer_but_the_dao() {
    let mut h = Harness::with_dao();
    let fees = h.treasury_config().params;
    let proposer = h.staker_with_bond(THRESHOLD);
    let human = h.authority.insecure_clone();
    let params = h.treasury_config().params;
    let mint = h.io_mint;
    let victim_tokens = h.fund_io(&proposer.pubkey(), IO);
    for smuggled in [
        // The former authority's signature on a config change...
        io_sdk::treasury::set_treasury_params(&human.pubkey(), &params, &io_treasury::TreasuryParams { fee_bps: 100, ..params }),
        // ...or a staker's on a movement of its tokens.
        io_sdk::staking::deposit(&proposer.pubkey(), &mint, &victim_tokens, IO),
    ] {
        let ix = create_ix(&mut h, &proposer, &[actions::set_fee_bps(fees.fee_bps, 150), smuggled]);
        h.expect_dao_error(&[ix], &[&proposer], GovernanceError::UnexpectedSigner);
    }
}

#[test]
fn a_proposal_must_be_well_formed() {
    let mut h = Harness::with_dao();
    let proposer = h.staker_with_bond(THRESHOLD);
    let empty = Instruction { program_id: Pubkey::new_unique(), accounts: vec![], data: vec![] };
    let ix = create_ix(&mut h, &proposer, &[]);
    h.expect_dao_error(&[ix], &[&proposer], GovernanceError::InvalidInstructionCount);
    let nine = vec![empty.clone(); io_governance::MAX_PROPOSAL_INSTRUCTIONS + 1];
    let ix = create_ix(&mut h, &proposer, &nine);
    h.expect_dao_error(&[ix], &[&proposer], GovernanceError::InvalidInstructionCount);
    let big_data = Instruction { data: vec![7; io_governance::MAX_INSTRUCTION_DATA + 1], ..empty.clone() };
    let ix = create_ix(&mut h, &proposer, &[big_data]);
    h.expect_dao_error(&[ix], &[&proposer], GovernanceError::InstructionTooLarge);
    let many_accounts = Instruction {
        accounts: (0..=io_governance::MAX_INSTRUCTION_ACCOUNTS).map(|_| AccountMeta::new_readonly(Pubkey::new_unique(), false)).collect(),
        ..empty.clone()
    };
    let ix = create_ix(&mut h, &proposer, &[many_accounts]);
    h.expect_dao_error(&[ix], &[&proposer], GovernanceError::InstructionTooLarge);
    let id = h.governance_config().unwrap().proposal_count;
    let payer = h.net.payer();
    let link = "x".repeat(io_governance::MAX_LINK_LEN + 1);
    let ix = gx::create_proposal(&payer, &proposer.pubkey(), id, [0; 32], &link, std::slice::from_ref(&empty));
    h.expect_dao_error(&[ix], &[&proposer], GovernanceError::LinkTooLong);
    // At the limits, it opens.
    let eight = vec![empty; io_governance::MAX_PROPOSAL_INSTRUCTIONS];
    let ix = gx::create_proposal(&payer, &proposer.pubkey(), id, [0; 32], &"x".repeat(io_governance::MAX_LINK_LEN), &eight);
    h.ok(&[ix], &[&proposer]);
    assert_eq!(h.proposal(id).instructions.len(), 8);
}

#[test]
fn the_dao_opens_a_new_tree_paying_its_rent_from_its_own_lamports() {
    let mut h = Harness::with_dao();
    let proposer = h.staker_with_bond(THRESHOLD);
    let dao = pda::dao();
    // Anyone allocates the (zeroed) tree account for the compression program, and funds the
    // DAO PDA for the rent of the registry's tree config.
    let tree = Keypair::new();
    let shape = io_sdk::tree::TreeShape { max_depth: 3, max_buffer_size: 8, canopy_depth: 0 };
    let lamports = h.net.rent_exempt_balance(shape.account_size()).unwrap();
    let payer = h.net.payer();
    let [allocate, open] = io_sdk::registry::create_tree(&dao, &dao, &tree.pubkey(), shape, lamports);
    let allocate = Instruction { accounts: vec![AccountMeta::new(payer, true), allocate.accounts[1].clone()], ..allocate };
    h.ok(&[allocate], &[&tree]);
    h.net.airdrop(&dao, 1_000_000_000).unwrap();
    let id = h.passed_proposal(&proposer, &[open]);
    let executable_at = h.proposal(id).executable_at;
    advance_to(&mut h, executable_at);
    // The DAO pays, so the SDK passes it writable (read-only, the runtime would refuse the
    // inner call as a privilege escalation).
    let execute = execute_ix(&mut h, id);
    assert!(execute.accounts.iter().any(|m| m.pubkey == dao && m.is_writable));
    h.ok(&[execute], &[]);
    let config = h.config();
    assert_eq!((config.active_tree, config.trees.len()), (tree.pubkey(), 2));
    let operator = h.operator();
    let spec = h.spec("H100", 1, 5);
    h.register(&operator, spec);
    assert_eq!(h.registry.trees[&tree.pubkey()].mirror.len(), 1);
}

#[test]
fn a_vote_record_returns_its_rent_to_the_voter_once_voting_is_over() {
    use anchor_lang::error::ErrorCode as AnchorError;
    let mut h = Harness::with_dao();
    let proposer = h.staker_with_bond(THRESHOLD);
    let voter = h.staker_with_bond(THRESHOLD);
    let fees = h.treasury_config().params;
    let id = h.propose(&proposer, &[actions::set_fee_bps(fees.fee_bps, 150)]);
    h.vote(&voter, id, VoteChoice::Yes);
    let record = pda::vote_record(&pda::proposal(id), &voter.pubkey());
    let rent = h.net.account(&record).unwrap().unwrap().lamports;
    // While votes are open the record is what refuses a second vote: it stays.
    h.expect_dao_error(&[gx::close_vote_record(&voter.pubkey(), id)], &[], GovernanceError::VotingNotEnded);
    let tally = h.end_vote_and_queue(id);
    // Anyone may close it once voting is over; the rent goes back to the voter, who paid it.
    let before = h.net.account(&voter.pubkey()).unwrap().unwrap().lamports;
    h.ok(&[gx::close_vote_record(&voter.pubkey(), id)], &[]);
    assert!(h.net.account(&record).unwrap().is_none());
    assert_eq!(h.net.account(&voter.pubkey()).unwrap().unwrap().lamports - before, rent);
    // The tally stands, and the voter cannot vote again.
    let after = h.proposal(id);
    assert_eq!((after.yes, after.no, after.voters), (tally.yes, tally.no, tally.voters));
    h.expect_dao_error(&[gx::cast_vote(&voter.pubkey(), id, VoteChoice::No)], &[&voter], GovernanceError::ProposalNotVoting);
    // Gone is gone: a second close finds no record.
    let missing = io_sdk::client::Refusal::new(io_governance::ID, AnchorError::AccountNotInitialized as u32);
    h.expect_dao_error(&[gx::close_vote_record(&voter.pubkey(), id)], &[], missing);
    // The proposal still executes.
    h.execute(id);
    assert_eq!(h.treasury_config().params.fee_bps, 150);
}
