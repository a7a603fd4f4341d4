//! Proposals that outlive each other and proposals larger than a transaction (issue 16,
//! flaw 6): a parameter action names only the fields it changes, each with the value it
//! was written against, so proposals about different fields compose and a stale one is
//! refused by the program that owns the parameters instead of reverting a newer
//! decision; and a proposal is drafted, appended to and opened over several
//! transactions, so the eight-action maximum is reachable.

use io_emissions::EmissionParams;
use io_governance::{GovernanceError, ProposalStatus, VoteChoice, MAX_PROPOSAL_INSTRUCTIONS};
use io_registry::{CudaVersion, GpuCatalogue, GpuModelArgs, RegistrationParams, RegistryError, Tier};
use io_sdk::client::{fetch, Chain};
use io_sdk::governance::{self as gx, actions};
use io_sdk::pda;
use io_staking::StakingParams;
use io_tests::Harness;
use io_treasury::{TreasuryError, TreasuryParams};
use solana_sdk::instruction::Instruction;
use solana_sdk::packet::PACKET_DATA_SIZE;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

const IO: u64 = 1_000_000;

/// Opens a proposal and votes it through (the proposer alone holds the quorum), without
/// queueing it: several can then be queued and executed in any order.
fn voted(h: &mut Harness, proposer: &Keypair, actions: &[Instruction]) -> u64 {
    let id = h.propose(proposer, actions);
    h.vote(proposer, id, VoteChoice::Yes);
    id
}

fn queue_all(h: &mut Harness, ids: &[u64]) {
    for id in ids {
        assert_eq!(h.end_vote_and_queue(*id).status, ProposalStatus::Queued, "proposal {id} passes");
    }
}

fn tx_bytes(h: &Harness, ix: &Instruction, signers: &[&Keypair]) -> usize {
    bincode::serialize(&h.net.transaction(std::slice::from_ref(ix), signers)).unwrap().len()
}

#[test]
fn an_older_proposal_executed_later_changes_only_what_it_names() {
    let mut h = Harness::with_dao();
    let proposer = h.staker_with_bond(30_000 * IO);
    let fees = h.treasury_config().params;
    assert_eq!(fees.fee_bps, 200, "the reference fee");
    // Opened first: the fee. Opened second: the largest buyback fill.
    let older = voted(&mut h, &proposer, &[actions::set_fee_bps(200, 150)]);
    let wider = TreasuryParams { max_fill: fees.max_fill * 2, ..fees };
    let newer = voted(&mut h, &proposer, &[actions::set_treasury_params(&fees, &wider)]);
    queue_all(&mut h, &[older, newer]);
    h.execute(newer);
    h.execute(older);
    // Both decisions stand: the older proposal did not put the old fill limit back.
    let now = h.treasury_config().params;
    assert_eq!((now.fee_bps, now.max_fill), (150, fees.max_fill * 2));
    assert_eq!(TreasuryParams { fee_bps: 200, max_fill: fees.max_fill, ..now }, fees, "nothing else moved");

    // Two oracles proposed by two proposals are both added.
    let (oracles, threshold) = h.oracle_set();
    let (x, y) = (Pubkey::new_unique(), Pubkey::new_unique());
    let with_x = [oracles.clone(), vec![x]].concat();
    let with_y = [oracles.clone(), vec![y]].concat();
    let add_x = voted(&mut h, &proposer, &[actions::set_oracles((&oracles, threshold), (&with_x, threshold))]);
    let add_y = voted(&mut h, &proposer, &[actions::set_oracles((&oracles, threshold), (&with_y, threshold))]);
    queue_all(&mut h, &[add_x, add_y]);
    h.execute(add_x);
    h.execute(add_y);
    assert_eq!(h.oracle_set(), ([oracles, vec![x, y]].concat(), threshold));
}

#[test]
fn a_proposal_written_against_a_value_changed_since_is_refused_by_its_program() {
    let mut h = Harness::with_dao();
    let proposer = h.staker_with_bond(30_000 * IO);
    // Two proposals about the same fee, both written against 200 bps.
    let lower = voted(&mut h, &proposer, &[actions::set_fee_bps(200, 100)]);
    let higher = voted(&mut h, &proposer, &[actions::set_fee_bps(200, 250)]);
    queue_all(&mut h, &[lower, higher]);
    h.execute(higher);
    assert_eq!(h.treasury_config().params.fee_bps, 250);
    // The other one expects 200 and finds 250: the treasury refuses it inside the DAO's
    // call, the whole execution rolls back and the proposal stays queued.
    let p = h.proposal(lower);
    assert!(h.net.unix_time().unwrap() >= p.executable_at, "queued first, so executable already");
    h.expect_dao_error(&[gx::execute_proposal(lower, &p.instructions)], &[], TreasuryError::StaleParams);
    assert_eq!(h.treasury_config().params.fee_bps, 250);
    assert_eq!(h.proposal(lower).status, ProposalStatus::Queued);

    // The same for a lease written against another length, and for an oracle removal
    // whose oracle is already gone.
    let lease = h.config().lease_epochs;
    let (oracles, threshold) = h.oracle_set();
    let without_first = oracles[1..].to_vec();
    let first_change = voted(&mut h, &proposer, &[actions::set_verification_lease(lease, lease - 1)]);
    let second_change = voted(&mut h, &proposer, &[actions::set_verification_lease(lease, lease - 2)]);
    let remove_a = voted(&mut h, &proposer, &[actions::set_oracles((&oracles, threshold), (&without_first, threshold))]);
    let remove_b = voted(&mut h, &proposer, &[actions::set_oracles((&oracles, threshold), (&without_first, threshold))]);
    queue_all(&mut h, &[first_change, second_change, remove_a, remove_b]);
    h.execute(first_change);
    h.execute(remove_a);
    for id in [second_change, remove_b] {
        let p = h.proposal(id);
        h.expect_dao_error(&[gx::execute_proposal(id, &p.instructions)], &[], RegistryError::StaleParams);
    }
    assert_eq!(h.config().lease_epochs, lease - 1);
    assert_eq!(h.oracle_set(), (without_first, threshold));
}

#[test]
fn a_change_must_name_each_field_with_its_expected_value() {
    let mut h = Harness::new();
    let authority = h.authority.insecure_clone();
    let fees = h.treasury_config().params;
    let change = io_treasury::TreasuryParamsChange { fee_bps: Some(100), ..Default::default() };
    let refused = [
        // A new value without the value it expects, and the reverse.
        (io_treasury::TreasuryParamsChange::default(), change.clone()),
        (change.clone(), io_treasury::TreasuryParamsChange::default()),
        // Nothing named at all.
        (io_treasury::TreasuryParamsChange::default(), io_treasury::TreasuryParamsChange::default()),
    ];
    for (expected, change) in refused {
        let ix = io_sdk::treasury::set_treasury_params_change(&authority.pubkey(), expected, change);
        h.expect_error(&[ix], &[&authority], TreasuryError::InvalidParamsChange);
    }
    assert_eq!(h.treasury_config().params, fees);
}

/// Eight actions across the five programs: more than one transaction can carry.
fn eight_actions(h: &mut Harness) -> (Vec<Instruction>, Pubkey) {
    let model = |name: &str, centi_tflops: u32| GpuModelArgs {
        name: name.into(),
        tier: Tier::Enterprise,
        expected_centi_tflops: centi_tflops,
        min_cuda: CudaVersion { major: 12, minor: 0 },
    };
    let emission = h.emissions_config().params;
    let staking = h.staking_config().params;
    let registration = h.config().registration;
    let lease = h.config().lease_epochs;
    let (oracles, threshold) = h.oracle_set();
    let new_oracle = Pubkey::new_unique();
    let actions = vec![
        actions::set_fee_bps(200, 150),
        actions::add_gpu_model(model("MI300X", 16_300)),
        actions::add_gpu_model(model("Gaudi 3", 14_000)),
        actions::set_emission_params(&emission, &EmissionParams { yearly_share_bps: 4_500, ..emission }),
        actions::set_oracles((&oracles, threshold), (&[oracles.clone(), vec![new_oracle]].concat(), threshold)),
        actions::set_staking_params(None, &staking, &StakingParams { max_slash_bps: 3_000, ..staking }),
        actions::set_verification_lease(lease, 12),
        actions::set_registration_params(&registration, &RegistrationParams { max_pending_per_operator: 100, ..registration }),
    ];
    assert_eq!(actions.len(), MAX_PROPOSAL_INSTRUCTIONS);
    (actions, new_oracle)
}

#[test]
fn a_proposal_of_the_maximum_eight_actions_is_drafted_appended_and_opened() {
    let mut h = Harness::with_dao();
    let proposer = h.staker_with_bond(30_000 * IO);
    let stranger = h.staker_with_bond(30_000 * IO);
    let (actions, new_oracle) = eight_actions(&mut h);
    let before = (h.emissions_config().params, h.staking_config().params, h.config().registration);
    let id = h.governance_config().unwrap().proposal_count;
    let payer = h.net.payer();
    let hash = gx::description_hash("eight actions");
    let link = "https://gov.io.example/eight";

    // Not as one transaction: create_proposal with all eight is over the packet size.
    let whole = gx::create_proposal(&payer, &proposer.pubkey(), id, hash, link, &actions);
    assert!(tx_bytes(&h, &whole, &[&proposer]) > PACKET_DATA_SIZE, "eight actions fit one transaction: nothing to test");
    let steps = gx::propose(&payer, &proposer.pubkey(), id, hash, link, &actions).unwrap();
    assert!(steps.len() >= 3, "a draft, at least one append and the opening");
    for step in &steps {
        assert!(tx_bytes(&h, step, &[&proposer]) <= PACKET_DATA_SIZE, "every step fits a packet");
    }
    let (draft, appends, open) = (&steps[0], &steps[1..steps.len() - 1], steps.last().unwrap());

    h.ok(std::slice::from_ref(draft), &[&proposer]);
    assert_eq!(h.proposal(id).status, ProposalStatus::Draft);
    // Nobody votes on a draft, and only its author extends or opens it.
    h.expect_dao_error(&[gx::cast_vote(&proposer.pubkey(), id, VoteChoice::Yes)], &[&proposer], GovernanceError::ProposalNotVoting);
    let by_stranger = gx::append_to_proposal(&payer, &stranger.pubkey(), id, &actions[..1]);
    h.expect_dao_error(&[by_stranger], &[&stranger], GovernanceError::NotProposer);
    h.expect_dao_error(&[gx::open_proposal(&stranger.pubkey(), id)], &[&stranger], GovernanceError::NotProposer);
    for append in appends {
        h.ok(std::slice::from_ref(append), &[&proposer]);
    }
    // Eight it is: a ninth is refused.
    let ninth = gx::append_to_proposal(&payer, &proposer.pubkey(), id, &[actions::set_fee_bps(150, 140)]);
    h.expect_dao_error(&[ninth], &[&proposer], GovernanceError::InvalidInstructionCount);
    h.ok(std::slice::from_ref(open), &[&proposer]);
    let p = h.proposal(id);
    assert_eq!(p.status, ProposalStatus::Voting);
    assert_eq!(p.instructions, actions.iter().map(gx::to_proposal_instruction).collect::<Vec<_>>(), "all eight, in order");
    let late = gx::append_to_proposal(&payer, &proposer.pubkey(), id, &[actions::set_fee_bps(150, 140)]);
    h.expect_dao_error(&[late], &[&proposer], GovernanceError::ProposalNotDraft);

    h.vote(&proposer, id, VoteChoice::Yes);
    queue_all(&mut h, &[id]);
    let execute = gx::execute_proposal(id, &h.proposal(id).instructions);
    assert!(tx_bytes(&h, &execute, &[]) <= PACKET_DATA_SIZE, "the execution fits a packet too");
    h.execute(id);
    assert_eq!(h.proposal(id).status, ProposalStatus::Executed);
    // Every action took effect.
    assert_eq!(h.treasury_config().params.fee_bps, 150);
    let catalogue: GpuCatalogue = fetch(&mut h.net, &pda::gpu_catalogue()).unwrap();
    let names: Vec<&str> = catalogue.models.iter().rev().take(2).map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["Gaudi 3", "MI300X"]);
    assert_eq!(h.emissions_config().params, EmissionParams { yearly_share_bps: 4_500, ..before.0 });
    assert!(h.oracle_set().0.contains(&new_oracle));
    assert_eq!(h.staking_config().params, StakingParams { max_slash_bps: 3_000, ..before.1 });
    assert_eq!(h.config().lease_epochs, 12);
    assert_eq!(h.config().registration, RegistrationParams { max_pending_per_operator: 100, ..before.2 });
}

#[test]
fn a_draft_is_withdrawn_by_its_author_and_opens_only_with_the_threshold() {
    let mut h = Harness::with_dao();
    let proposer = h.staker_with_bond(30_000 * IO);
    let small = h.staker_with_bond(IO);
    let payer = h.net.payer();
    let hash = gx::description_hash("draft");
    // An empty draft cannot open.
    let id = h.governance_config().unwrap().proposal_count;
    h.ok(&[gx::draft_proposal(&payer, &proposer.pubkey(), id, hash, "", &[])], &[&proposer]);
    h.expect_dao_error(&[gx::open_proposal(&proposer.pubkey(), id)], &[&proposer], GovernanceError::InvalidInstructionCount);
    h.ok(&[gx::cancel_proposal(&proposer.pubkey(), id)], &[&proposer]);
    assert_eq!(h.proposal(id).status, ProposalStatus::Cancelled);
    h.expect_dao_error(&[gx::open_proposal(&proposer.pubkey(), id)], &[&proposer], GovernanceError::ProposalNotDraft);

    // Anyone may draft; opening needs the threshold, counted when it opens.
    let id = h.governance_config().unwrap().proposal_count;
    h.ok(&[gx::draft_proposal(&payer, &small.pubkey(), id, hash, "", &[actions::set_fee_bps(200, 150)])], &[&small]);
    h.expect_dao_error(&[gx::open_proposal(&small.pubkey(), id)], &[&small], GovernanceError::BelowProposalThreshold);
    h.top_up(&small, 10_000 * IO);
    h.net.advance_clock(1);
    h.ok(&[gx::open_proposal(&small.pubkey(), id)], &[&small]);
    let p = h.proposal(id);
    assert_eq!(p.status, ProposalStatus::Voting);
    assert_eq!(p.opened_at, h.net.unix_time().unwrap(), "voting opens when the draft does");
}
