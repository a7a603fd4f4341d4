//! The DAO: genesis hands every config to it; proposals change real parameters.

use io_sdk::client::fetch;
use io_sdk::pda;
use io_tests::Harness;

#[test]
fn genesis_leaves_every_config_to_the_dao() {
    let mut h = Harness::with_dao();
    let dao = pda::dao();
    let registry: io_registry::RegistryConfig = fetch(&mut h.net, &pda::registry_config()).unwrap();
    assert_eq!((registry.authority, registry.pending_authority), (dao, None));
    let staking = h.staking_config();
    assert_eq!((staking.authority, staking.pending_authority), (dao, None));
    let emissions = h.emissions_config();
    assert_eq!((emissions.authority, emissions.pending_authority), (dao, None));
    let treasury = h.treasury_config();
    assert_eq!((treasury.authority, treasury.pending_authority), (dao, None));
    let governance: io_governance::GovernanceConfig = fetch(&mut h.net, &pda::governance_config()).unwrap();
    assert_eq!(governance.authority, dao);
}

#[test]
fn a_proposal_lowers_the_fee_after_vote_and_timelock() {
    use io_governance::VoteChoice;
    let mut h = Harness::with_dao();
    let io = 1_000_000u64;
    let a = h.staker_with_bond(60_000 * io);
    let b = h.staker_with_bond(40_000 * io);
    let current = h.treasury_config().params;
    let id = h.propose(&a, &[io_sdk::governance::actions::set_fee_bps(&current, 150)]);
    h.vote(&a, id, VoteChoice::Yes);
    h.vote(&b, id, VoteChoice::No);
    let p = h.end_vote_and_queue(id);
    assert_eq!(p.status, io_governance::ProposalStatus::Queued);
    h.execute(id);
    assert_eq!(h.treasury_config().params.fee_bps, 150);
    assert_eq!(h.proposal(id).status, io_governance::ProposalStatus::Executed);
}
