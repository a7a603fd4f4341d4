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

    let listed = run(&mut h.net, RegistryCommand::Nodes { operator: Some(operator.pubkey()) }).unwrap();
    assert_eq!(listed.lines().count(), 1, "{listed}");
    let out = run(&mut h.net, RegistryCommand::Retire { operator: op_file, node: node.pubkey() }).unwrap();
    assert!(out.contains("retired"), "{out}");

    let status = run(&mut h.net, RegistryCommand::Status).unwrap();
    assert!(status.contains("2 of 3") && status.contains("trees opened     1"), "{status}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn the_demo_runs_end_to_end() {
    let report = io_cli::demo::run(io_cli::demo::DemoOptions {
        nodes: 40,
        operators: 4,
        genesis: io_migrations::Genesis::reference(),
    })
    .unwrap();
    for expected in ["enterprise", "mid-market", "consumer", "matches the tree account", "1000000", "staking:", "burned"] {
        assert!(report.contains(expected), "missing {expected:?} in\n{report}");
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
    assert_eq!(io_sdk::client::failure_code(&err), Some(u32::from(io_staking::StakingError::ChallengeWindowOpen)));
    h.net.warp_seconds(15 * 24 * 3600);
    let out = run_slash(&mut h.net, SlashCommand::Execute { id: 1 }).unwrap();
    assert!(out.contains("#1 executed 200 IO"), "{out}");
    let listed = run_slash(&mut h.net, SlashCommand::List).unwrap();
    assert_eq!(listed.lines().count(), 2, "{listed}");
    let out = run_stake(&mut h.net, StakeCommand::Withdraw { operator: op_file, tokens }).unwrap();
    assert!(out.contains("withdrew entry 0: 1000.5 IO"), "{out}");
    let status = run_stake(&mut h.net, StakeCommand::Status { operator: Some(operator.pubkey()) }).unwrap();
    assert!(status.contains("slashed     200 IO") && status.contains("bonded    2799.5 IO"), "{status}");
    h.check_invariants();
    std::fs::remove_dir_all(dir).ok();
}
