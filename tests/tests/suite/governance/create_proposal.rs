//! `create_proposal`: what a proposal may be and carry.

use super::*;

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
