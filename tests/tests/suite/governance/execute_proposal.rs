//! Proposals change real parameters of every program of the suite, signed by the DAO PDA
//! in `execute_proposal`.

use super::*;

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
