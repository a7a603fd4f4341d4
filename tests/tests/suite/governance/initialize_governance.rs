//! Genesis hands every config to the DAO: `initialize_governance`, the bootstrap proposal
//! and the former authority refused everywhere.

use super::*;

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
