//! The `io` command line against the embedded bank: what an operator and an oracle
//! operator type, end to end.

use io_cli::registry_cmd::{run, AttestArgs, HardwareArgs, RegisterArgs, RegistryCommand, UpdateArgs};
use io_registry::*;
use io_tests::Harness;
use solana_sdk::signature::{write_keypair_file, Keypair, Signer};
use std::path::PathBuf;

fn keyfile(dir: &std::path::Path, name: &str, key: &Keypair) -> String {
    let path: PathBuf = dir.join(format!("{name}.json"));
    write_keypair_file(key, &path).unwrap();
    path.to_string_lossy().into_owned()
}

fn hardware(model: &str, gpus: u16, cuda: &str) -> HardwareArgs {
    HardwareArgs {
        model: model.into(),
        gpus,
        cuda: cuda.into(),
        region: "8928308280fffff".into(),
        gpu_uuids: (0..gpus).map(|i| format!("GPU-{i}-b1e2")).collect(),
    }
}

#[test]
fn an_operator_and_the_oracles_drive_a_node_through_the_cli() {
    let mut h = Harness::new();
    let dir = std::env::temp_dir().join(format!("io-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let operator = h.operator();
    let node = Keypair::new();
    let op_file = keyfile(&dir, "operator", &operator);
    let node_file = keyfile(&dir, "node", &node);
    let oracle_files: Vec<String> = h.oracles.iter().take(2).enumerate().map(|(i, k)| keyfile(&dir, &format!("oracle{i}"), k)).collect();

    let catalogue = run(&mut h.net, RegistryCommand::Catalogue).unwrap();
    assert!(catalogue.contains("H100") && catalogue.contains("enterprise") && catalogue.contains("Apple M4 Max"), "{catalogue}");

    let out = run(
        &mut h.net,
        RegistryCommand::Register(RegisterArgs { operator: op_file.clone(), node: node_file, hardware: hardware("h100", 8, "12.4") }),
    )
    .unwrap();
    assert!(out.contains("pending"), "{out}");
    // A model outside the catalogue is refused before anything is sent.
    let err = run(
        &mut h.net,
        RegistryCommand::Register(RegisterArgs {
            operator: op_file.clone(),
            node: keyfile(&dir, "node2", &Keypair::new()),
            hardware: hardware("Voodoo 2", 1, "12.4"),
        }),
    )
    .unwrap_err();
    assert!(err.to_string().contains("no GPU model"), "{err}");

    h.next_epoch();
    let out = run(
        &mut h.net,
        RegistryCommand::Attest(AttestArgs {
            oracles: oracle_files.clone(),
            node: node.pubkey(),
            verdict: "verified".into(),
            epoch: None,
            tflops: "64.5".into(),
            rtt_us: 9_000,
            bandwidth_mbps: 25_000,
            loss_bps: 2,
            gpu_uuids: hardware("H100", 8, "12.4").gpu_uuids,
        }),
    )
    .unwrap();
    assert!(out.contains("verified"), "{out}");

    // The chain agrees with what the CLI printed.
    let client = io_sdk::network::RegistryClient::sync(&mut h.net, &[h.first_tree]).unwrap();
    let record = *client.record(&node.pubkey()).unwrap();
    assert_eq!(record.status, NodeStatus::Verified);
    assert_eq!(record.metrics.verified_centi_tflops, 6_450);
    assert_eq!(record.gpu_uuids_hash, io_sdk::gpu_uuids_hash(&hardware("H100", 8, "12.4").gpu_uuids));

    let out = run(
        &mut h.net,
        RegistryCommand::Update(UpdateArgs { operator: op_file.clone(), node: node.pubkey(), hardware: hardware("H100", 8, "12.6") }),
    )
    .unwrap();
    assert!(out.contains("pending"), "a driver change sends the node back to pending: {out}");

    let listed = run(&mut h.net, RegistryCommand::Nodes { operator: Some(operator.pubkey()), indexer: None }).unwrap();
    assert_eq!(listed.lines().count(), 1, "{listed}");
    let out = run(&mut h.net, RegistryCommand::Retire { operator: op_file, node: node.pubkey() }).unwrap();
    assert!(out.contains("retired"), "{out}");
    // A second node, registered by a command that holds no mirror of the tree, is leaf 1
    // (the command once applied its event to an empty mirror, so only leaf 0 registered).
    let second = h.operator();
    let out = run(
        &mut h.net,
        RegistryCommand::Register(RegisterArgs {
            operator: keyfile(&dir, "operator2", &second),
            node: keyfile(&dir, "node3", &Keypair::new()),
            hardware: hardware("h100", 8, "12.4"),
        }),
    )
    .unwrap();
    assert!(out.contains("leaf 1 "), "{out}");

    let status = run(&mut h.net, RegistryCommand::Status).unwrap();
    assert!(status.contains("2 of 3") && status.contains("trees opened     1"), "{status}");
    assert!(status.contains("deposit 0.01 SOL per node (refunded at retirement), at most 256 pending nodes per operator"), "{status}");
    assert!(status.contains("anyone, once the active tree is 90% full: depth 20, buffer 64, canopy 12"), "{status}");
    // The first tree is far from full: nobody may open the next one yet, by name.
    let err = run(&mut h.net, RegistryCommand::OpenTree).unwrap_err();
    assert_eq!(io_sdk::client::Refusal::of(&err), Some(RegistryError::ActiveTreeNotFull.into()), "{err:#}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn the_demo_runs_end_to_end() {
    let report = io_cli::demo::run(io_cli::demo::DemoOptions {
        nodes: 40,
        operators: 4,
        genesis: io_migrations::Genesis::reference(),
        record_ledger: None,
        metrics_out: None,
    })
    .unwrap();
    for expected in [
        "enterprise",
        "mid-market",
        "consumer",
        "matches the tree account",
        "1000000",
        "staking:",
        "burned",
        "indexer: ",
        "GET /v1/placement?model=",
        "/proof: ",
    ] {
        assert!(report.contains(expected), "missing {expected:?} in\n{report}");
    }
    // On SBF (`io demo --sbf`, or the SBF lane) the summary ends with the metered compute
    // units per instruction, every one within its budget; natively nothing is metered.
    let metered = report.contains("compute units on SBF");
    assert_eq!(metered, io_localnet::runs_as_sbf("io_registry"), "{report}");
    if metered {
        for expected in ["attest_node", "register_node", "advance_epoch", "every instruction within its budget"] {
            assert!(report.contains(expected), "missing {expected:?} in\n{report}");
        }
    }
}

#[test]
fn an_operator_stakes_and_the_oracles_slash_through_the_cli() {
    use io_cli::stake_cmd::{run_slash, run_stake, SlashCommand, StakeCommand};
    let mut h = Harness::new();
    let dir = std::env::temp_dir().join(format!("io-cli-stake-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let operator = h.operator();
    let tokens = h.fund_io(&operator.pubkey(), 5_000_000_000);
    let op_file = keyfile(&dir, "operator", &operator);
    let authority_file = keyfile(&dir, "authority", &h.authority);
    let oracle_files: Vec<String> = h.oracles.iter().take(2).enumerate().map(|(i, k)| keyfile(&dir, &format!("oracle{i}"), k)).collect();

    let out = run_stake(&mut h.net, StakeCommand::Deposit { operator: op_file.clone(), tokens, amount: "4000".into() }).unwrap();
    assert!(out.contains("bonded    4000 IO"), "{out}");
    let out = run_stake(&mut h.net, StakeCommand::Unstake { operator: op_file.clone(), amount: "1000.5".into() }).unwrap();
    assert!(out.contains("unbonding #0: 1000.5 IO"), "{out}");
    let err = run_stake(&mut h.net, StakeCommand::Withdraw { operator: op_file.clone(), tokens }).unwrap_err();
    assert!(err.to_string().contains("no unbonding entry is released"), "{err}");

    let evidence = "ab".repeat(32);
    let propose = |amount: &str| SlashCommand::Propose {
        oracles: oracle_files.clone(),
        operator: operator.pubkey(),
        amount: amount.into(),
        reason: "downtime".into(),
        evidence: evidence.clone(),
    };
    let out = run_slash(&mut h.net, propose("100")).unwrap();
    assert!(out.contains("#0 pending"), "{out}");
    let out = run_slash(&mut h.net, SlashCommand::Veto { authority: authority_file, id: 0 }).unwrap();
    assert!(out.contains("#0 vetoed"), "{out}");
    run_slash(&mut h.net, propose("200")).unwrap();
    // Too early: the chain refuses with the program's named error.
    let err = run_slash(&mut h.net, SlashCommand::Execute { id: 1 }).unwrap_err();
    assert_eq!(io_sdk::client::Refusal::of(&err), Some(io_staking::StakingError::ChallengeWindowOpen.into()));
    h.net.warp_seconds(15 * 24 * 3600);
    let out = run_slash(&mut h.net, SlashCommand::Execute { id: 1 }).unwrap();
    assert!(out.contains("#1 executed 200 IO"), "{out}");
    let listed = run_slash(&mut h.net, SlashCommand::List).unwrap();
    assert_eq!(listed.lines().count(), 2, "{listed}");
    // Settled proposals close and return their rent to the payer (the CLI's wallet).
    let out = run_slash(&mut h.net, SlashCommand::Close { id: 0 }).unwrap();
    assert!(out.contains(&format!("closed slash #0: rent returned to {}", io_sdk::client::Chain::payer(&h.net))), "{out}");
    let listed = run_slash(&mut h.net, SlashCommand::List).unwrap();
    assert!(listed.starts_with("#0 closed") && listed.contains("#1 executed"), "{listed}");
    let err = run_slash(&mut h.net, SlashCommand::Close { id: 0 }).unwrap_err();
    assert!(format!("{err:#}").contains("already closed"), "{err:#}");
    let out = run_stake(&mut h.net, StakeCommand::Withdraw { operator: op_file, tokens }).unwrap();
    assert!(out.contains("withdrew entry 0: 1000.5 IO"), "{out}");
    let status = run_stake(&mut h.net, StakeCommand::Status { operator: Some(operator.pubkey()) }).unwrap();
    assert!(status.contains("slashed     200 IO") && status.contains("bonded    2799.5 IO"), "{status}");
    h.check_invariants();
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn stakers_govern_through_the_dao_cli() {
    use io_cli::dao_cmd::{run_dao, Choice, DaoCommand, ProposeArgs};
    use io_governance::GovernanceError;
    use io_sdk::client::{fetch, Chain};
    use io_sdk::pda;
    let mut h = Harness::with_dao();
    let dir = std::env::temp_dir().join(format!("io-cli-dao-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let io = 1_000_000u64;
    let a = h.staker_with_bond(60_000 * io);
    let b = h.staker_with_bond(30_000 * io);
    let c = h.staker_with_bond(10_000 * io);
    let (a_file, b_file, c_file) = (keyfile(&dir, "a", &a), keyfile(&dir, "b", &b), keyfile(&dir, "c", &c));
    let code = |e: GovernanceError| Some(io_sdk::client::Refusal::from(e));

    // The oracles propose to slash c; an enterprise pays in $IO, so the treasury holds fees.
    let oracles = h.oracle_refs(2).into_iter().map(|k| k.insecure_clone()).collect::<Vec<_>>();
    let keys: Vec<_> = oracles.iter().map(|k| k.pubkey()).collect();
    let payer = h.net.payer();
    let slash = io_sdk::staking::propose_slash(&payer, &c.pubkey(), 0, 1_000 * io, io_staking::SlashReason::Downtime, [9; 32], &keys);
    h.ok(&[slash], &oracles.iter().collect::<Vec<_>>());
    let enterprise = h.operator();
    let paid_from = h.fund_io(&enterprise.pubkey(), 10_000 * io);
    let mint = h.io_mint;
    h.ok(&[io_sdk::treasury::pay_with_io(&enterprise.pubkey(), &mint, &paid_from, 10_000 * io, [0; 32])], &[&enterprise]);
    let recipient = h.token_account(&mint, &enterprise.pubkey(), 0);

    // #1: the fee, the veto and a GPU model in one proposal.
    let out = run_dao(
        &mut h.net,
        DaoCommand::Propose(ProposeArgs {
            proposer: a_file.clone(),
            description: "Lower the fee to 1.5%, veto slash #0, add the B200".into(),
            link: "https://gov.io.example/p/1".into(),
            set_fee_bps: Some(150),
            veto_slash: vec![0],
            add_gpu_model: Some("B200".into()),
            tier: Some("enterprise".into()),
            tflops: Some("80".into()),
            min_cuda: Some("12.8".into()),
            ..Default::default()
        }),
    )
    .unwrap();
    for expected in [
        "proposed #1",
        "proposal #1: voting",
        "https://gov.io.example/p/1",
        "treasury.set_treasury_params",
        "fee 200 -> 150 bps",
        "staking.veto_slash",
        "slash #0 of 1,000 IO",
        "registry.add_gpu_model",
        "B200 (enterprise, 80.00 TFLOPS, CUDA >= 12.8)",
        "turnout 0.0% of 10.0% quorum",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    // #2: a grant of the treasury's $IO fees, and 1,000,000 IO more of emission reserve;
    // the recipient's mint picks the asset, so an IOSD grant to a $IO account is refused
    // before anything is sent.
    let grant = |asset: &str| ProposeArgs {
        proposer: b_file.clone(),
        description: "A grant to the enterprise; extend the emission reserve".into(),
        grant_io: (asset == "io").then(|| "50".into()),
        grant_iosd: (asset == "iosd").then(|| "50".into()),
        to: vec![recipient],
        extend_emission_reserve: Some("1000000".into()),
        ..Default::default()
    };
    let err = run_dao(&mut h.net, DaoCommand::Propose(grant("iosd"))).unwrap_err();
    assert!(err.to_string().contains("no --to account of the IOSD mint"), "{err}");
    let out = run_dao(&mut h.net, DaoCommand::Propose(grant("io"))).unwrap();
    assert!(out.contains("proposed #2") && out.contains(&format!("50 IO to {recipient}")), "{out}");
    assert!(
        out.contains("emissions.extend_reserve") && out.contains("adds 1,000,000 IO to the emission reserve of 44,100,000 IO"),
        "{out}"
    );
    // More than the cap's unminted rest (800M - 100M genesis - 44.1M reserve) is refused
    // before anything is sent.
    let err = run_dao(&mut h.net, DaoCommand::Propose(ProposeArgs { extend_emission_reserve: Some("655900001".into()), ..grant("io") }))
        .unwrap_err();
    assert!(err.to_string().contains("the reserve can grow by 0.000001 to 655,900,000 IO"), "{err}");
    // #3: withdrawn before any vote.
    let out = run_dao(
        &mut h.net,
        DaoCommand::Propose(ProposeArgs {
            proposer: c_file.clone(),
            description: "Two of two oracles".into(),
            set_oracles: keys.clone(),
            threshold: Some(2),
            ..Default::default()
        }),
    )
    .unwrap();
    assert!(out.contains("proposed #3") && out.contains("registry.set_oracles") && out.contains("2 of 2"), "{out}");
    let out = run_dao(&mut h.net, DaoCommand::Cancel { proposer: c_file.clone(), id: 3 }).unwrap();
    assert!(out.contains("cancelled #3"), "{out}");

    // Votes: 60k yes and 30k no on #1 (turnout 90% of 100k, yes 66.7% of 60% needed).
    let vote = |voter: &str, id, choice| DaoCommand::Vote { voter: voter.to_string(), id, choice };
    let out = run_dao(&mut h.net, vote(&a_file, 1, Choice::Yes)).unwrap();
    assert!(out.contains("voted yes on #1 with 60,000 IO"), "{out}");
    let out = run_dao(&mut h.net, vote(&b_file, 1, Choice::No)).unwrap();
    assert!(out.contains("voted no on #1 with 30,000 IO") && out.contains("yes 60,000 IO, no 30,000 IO, abstain 0 IO (2 voters)"), "{out}");
    run_dao(&mut h.net, vote(&a_file, 2, Choice::Yes)).unwrap();
    run_dao(&mut h.net, vote(&c_file, 2, Choice::Abstain)).unwrap();
    // A second vote is refused by the program, with its named error.
    let err = run_dao(&mut h.net, vote(&a_file, 1, Choice::No)).unwrap_err();
    assert_eq!(io_sdk::client::Refusal::of(&err), code(GovernanceError::AlreadyVoted), "{err:?}");
    assert!(format!("{err:#}").contains("AlreadyVoted"), "{err:#}");
    let show = run_dao(&mut h.net, DaoCommand::Show { id: 1 }).unwrap();
    for expected in [
        "proposal #1: voting",
        "voting ends   in 3d 0h",
        "turnout 90.0% of 10.0% quorum",
        "yes 66.7% of 60.0% needed",
        "timelock      1d 0h after queueing",
    ] {
        assert!(show.contains(expected), "missing {expected:?} in\n{show}");
    }
    let err = run_dao(&mut h.net, DaoCommand::Queue { id: 1 }).unwrap_err();
    assert_eq!(io_sdk::client::Refusal::of(&err), code(GovernanceError::VotingNotEnded), "{err:?}");

    // The voting period ends: both passed; queue them; the timelock holds them a day.
    h.net.advance_clock(i64::from(h.genesis.governance.voting_period_secs));
    let list = run_dao(&mut h.net, DaoCommand::List).unwrap();
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 4, "{list}");
    assert!(lines[0].starts_with("#0   executed") && lines[0].contains("bootstrap"), "{list}");
    assert!(lines[1].starts_with("#1   succeeded") && lines[1].contains("yes         60,000 IO  no         30,000 IO"), "{list}");
    assert!(lines[2].starts_with("#2   succeeded") && lines[2].contains("abstain         10,000 IO"), "{list}");
    assert!(lines[3].starts_with("#3   cancelled"), "{list}");
    for id in [1, 2] {
        let out = run_dao(&mut h.net, DaoCommand::Queue { id }).unwrap();
        assert!(out.contains(&format!("queued #{id}: executable in 1d 0h")) && out.contains(&format!("proposal #{id}: queued")), "{out}");
    }
    // Voting is over: anyone returns a vote record's rent to its voter.
    let record = io_sdk::pda::vote_record(&io_sdk::pda::proposal(1), &a.pubkey());
    let rent = h.net.account(&record).unwrap().expect("a voted on #1").lamports;
    let out = run_dao(&mut h.net, DaoCommand::CloseVote { voter: a.pubkey(), id: 1 }).unwrap();
    assert!(out.contains(&format!("closed {}'s vote record on #1: {} SOL back to the voter", a.pubkey(), rent as f64 / 1e9)), "{out}");
    assert!(h.net.account(&record).unwrap().is_none());
    let err = run_dao(&mut h.net, DaoCommand::Execute { id: 1 }).unwrap_err();
    assert_eq!(io_sdk::client::Refusal::of(&err), code(GovernanceError::TimelockNotElapsed), "{err:?}");
    h.net.advance_clock(i64::from(h.genesis.governance.timelock_secs));
    let list = run_dao(&mut h.net, DaoCommand::List).unwrap();
    assert!(list.contains("#1   executable") && list.contains("expires in 7d 0h"), "{list}");

    let out = run_dao(&mut h.net, DaoCommand::Execute { id: 1 }).unwrap();
    assert!(out.contains("executed #1: 3 instructions") && out.contains("proposal #1: executed"), "{out}");
    let out = run_dao(&mut h.net, DaoCommand::Execute { id: 2 }).unwrap();
    assert!(out.contains("executed #2: 2 instructions signed"), "{out}");
    let err = run_dao(&mut h.net, DaoCommand::Execute { id: 2 }).unwrap_err();
    assert_eq!(io_sdk::client::Refusal::of(&err), code(GovernanceError::AlreadyExecuted), "{err:?}");

    // The chain agrees.
    assert_eq!(h.treasury_config().params.fee_bps, 150);
    let vetoed: io_staking::SlashProposal = fetch(&mut h.net, &pda::slash_proposal(0)).unwrap();
    assert_eq!(vetoed.status, io_staking::SlashStatus::Vetoed);
    assert_eq!(h.stake(&c.pubkey()).pending_slash, 0);
    assert_eq!(h.stake(&c.pubkey()).bonded, 10_000 * io);
    let catalogue: GpuCatalogue = fetch(&mut h.net, &pda::gpu_catalogue()).unwrap();
    assert!(catalogue.models.iter().any(|m| m.name == "B200" && m.tier == Tier::Enterprise && m.expected_centi_tflops == 8_000));
    assert_eq!(h.token_balance(&recipient), 50 * io);
    assert_eq!(h.treasury_config().totals.io_granted, 50 * io);
    assert_eq!(h.emissions_config().reserve, 45_100_000 * io, "the DAO extended the 44.1M IO reserve by 1M");
    h.check_invariants();
    std::fs::remove_dir_all(dir).ok();
}

/// `io placement` and `io registry nodes` give the same table through an indexer's API as
/// by replaying the history; an unreachable indexer falls back to the replay, and an
/// indexer's refusal is the command's error.
#[test]
fn placement_and_listings_through_an_indexer_are_the_replays() {
    use io_cli::placement_cmd::{run_placement, PlacementArgs};
    use io_indexer::api::{self, DynStore, IndexerService};

    let mut h = Harness::new();
    let operator = h.operator();
    let mut nodes = vec![];
    for (i, (model, gpus)) in [("H100", 8), ("H100", 4), ("A100", 8), ("H100", 2)].into_iter().enumerate() {
        let spec = h.spec(model, gpus, i as u64 + 1);
        nodes.push(h.register(&operator, spec).0.pubkey());
    }
    h.next_epoch();
    for node in &nodes[..3] {
        h.verify(node);
    }

    let dir = tempfile::tempdir().unwrap();
    let store: DynStore = Box::new(io_indexer::RedbStore::open(&dir.path().join("index.redb")).unwrap());
    let service = std::sync::Arc::new(IndexerService::new(io_indexer::Indexer::open(store).unwrap()));
    service.sync(&mut h.net).unwrap();
    service.set_catalogue(io_sdk::client::fetch(&mut h.net, &io_sdk::pda::gpu_catalogue()).unwrap());
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(api::serve(listener, service, std::future::pending()));

    // A bank with no genesis: a command that fell back to replaying it would fail, so an
    // answer proves it came from the indexer.
    let mut bare = io_localnet::Localnet::start();
    let args = PlacementArgs { model: "h100".into(), min_cuda: "12.0".into(), gpus: 2, limit: None, indexer: None };
    let replayed = run_placement(&mut h.net, &args).unwrap();
    // Two verified H100 nodes (8 and 4 GPUs); the third H100 was never audited.
    assert!(replayed.contains(": 2 candidates"), "{replayed}");
    let indexed = run_placement(&mut bare, &PlacementArgs { indexer: Some(url.clone()), ..args.clone() }).unwrap();
    assert_eq!(indexed, replayed);
    let one = PlacementArgs { limit: Some(1), indexer: Some(url.clone()), ..args.clone() };
    assert_eq!(
        run_placement(&mut bare, &one).unwrap(),
        run_placement(&mut h.net, &PlacementArgs { indexer: None, ..one.clone() }).unwrap()
    );

    let listing = |net: &mut io_localnet::Localnet, indexer: Option<String>| {
        run(net, RegistryCommand::Nodes { operator: Some(operator.pubkey()), indexer }).unwrap()
    };
    let replayed = listing(&mut h.net, None);
    assert_eq!(replayed.lines().count(), 4, "{replayed}");
    assert_eq!(listing(&mut bare, Some(url.clone())), replayed);

    // An indexer that refuses: the command fails with the indexer's reason, by name.
    let err = run_placement(&mut bare, &PlacementArgs { model: "K9000".into(), indexer: Some(url.clone()), ..args.clone() }).unwrap_err();
    assert!(format!("{err:#}").contains("400 UnknownModel"), "{err:#}");

    // An indexer that is not there: the replay answers.
    let gone = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    assert_eq!(
        run_placement(&mut h.net, &PlacementArgs { indexer: Some(gone.clone()), ..args.clone() }).unwrap(),
        run_placement(&mut h.net, &args).unwrap()
    );
    assert_eq!(listing(&mut h.net, Some(gone)), replayed);
}

/// `io metrics` against an indexer over a network run here: the table's figures by hand
/// (three verified enterprise nodes of one operator, a payment of 5,000 IOSD), the JSON is
/// the API's report, and the four plots are drawn.
#[test]
fn io_metrics_prints_the_indexers_report_and_draws_it() {
    use io_cli::metrics_cmd::{params_from_genesis, run as run_metrics, MetricsArgs, MetricsOptions, Output};
    use io_indexer::api::{self, DynStore, IndexerService};

    let mut h = Harness::new();
    let operator = h.staker_with_bond(200_000 * 1_000_000);
    let mut nodes = vec![];
    for (i, gpus) in [8u16, 4, 8].into_iter().enumerate() {
        let spec = h.spec("H100", gpus, i as u64 + 1);
        nodes.push(h.register(&operator, spec).0.pubkey());
    }
    h.next_epoch();
    for node in &nodes {
        h.verify(node);
    }
    h.ok(&[io_sdk::staking::refresh_weight(&operator.pubkey())], &[]);
    h.pay_epoch();
    h.pay_epoch();
    h.pay_cluster_in_iosd(5_000 * 1_000_000);

    let dir = tempfile::tempdir().unwrap();
    let store: DynStore = Box::new(io_indexer::RedbStore::open(&dir.path().join("index.redb")).unwrap());
    let service = std::sync::Arc::new(IndexerService::new(io_indexer::Indexer::open(store).unwrap()));
    service.sync(&mut h.net).unwrap();
    service.set_catalogue(io_sdk::client::fetch(&mut h.net, &io_sdk::pda::gpu_catalogue()).unwrap());
    service.set_network_params(params_from_genesis(&h.genesis, &MetricsOptions::default_values()).unwrap());
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(api::serve(listener, service.clone(), std::future::pending()));

    let plots = dir.path().join("plots");
    let args = |output, plots: Option<std::path::PathBuf>| MetricsArgs {
        command: None,
        indexer: url.clone(),
        io_usd: Some(1.0),
        output,
        plots,
        report: None,
    };
    let table = run_metrics(args(Output::Table, Some(plots.clone()))).unwrap();
    for expected in [
        "price          $1.000000 per IO (query)",
        // 5,000 IOSD of demand; one operator holds all three verified nodes.
        "operators      1; largest 100.0% (no entity above 20%: not met); Herfindahl 1.0000",
        "2% fee",
    ] {
        assert!(table.contains(expected), "missing {expected:?} in\n{table}");
    }
    let enterprise = table.lines().find(|l| l.trim_start().starts_with("enterprise")).unwrap();
    let columns: Vec<&str> = enterprise.split_whitespace().collect();
    // 3 nodes, 3 verified, 20 GPUs, all H100: $25,000 + $250 shipping, 700 W.
    assert_eq!(&columns[..6], ["enterprise", "3", "3", "20", "$25,250", "700"], "{enterprise}");
    let report = service.network_report(Some(1.0)).unwrap();
    let demand: f64 = report.periods.iter().map(|p| p.demand_usd).sum();
    assert!((demand - 5_000.0).abs() < 1e-9, "{demand}");

    let json = run_metrics(args(Output::Json, None)).unwrap();
    let parsed: io_metrics::NetworkReport = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed.tier_mix, report.tier_mix);
    assert_eq!(parsed.decentralization.occupancy, report.decentralization.occupancy);
    // A saved report prints the same table again, with no indexer.
    let saved = dir.path().join("report.json");
    std::fs::write(&saved, &json).unwrap();
    let again =
        run_metrics(MetricsArgs { indexer: "http://127.0.0.1:1".into(), io_usd: None, report: Some(saved), ..args(Output::Table, None) })
            .unwrap();
    assert_eq!(again, io_cli::metrics_cmd::render(&parsed).unwrap());

    for (file, text) in [
        ("emission-vs-burn.svg", "IO minted and burned per period"),
        ("de-ratio.svg", "0.60: self-sustaining"),
        ("tier-mix.svg", "mid-market"),
        ("nodes-per-cell.svg", "H3 cells (resolution 7)"),
    ] {
        let svg = std::fs::read_to_string(plots.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(svg.starts_with("<svg") && svg.contains(text), "{file} lacks {text:?}");
        assert!(table.contains(&format!("plot written to {}", plots.join(file).display())), "{table}");
    }
    // An indexer that cannot price IO says so by name through the command.
    let err = run_metrics(MetricsArgs { io_usd: None, ..args(Output::Table, None) }).unwrap_err();
    assert!(format!("{err:#}").contains("400 NoPrice"), "{err:#}");
}
