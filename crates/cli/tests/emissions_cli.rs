//! `io emissions ...` and `io rewards ...` against the embedded bank: one operator with a
//! verified H100 node and its bond, the crank, the status, pending rewards through a live
//! and a lapsed lease, and claims.

use io_cli::emissions_cmd::{group_io, run_emissions, EmissionsCommand};
use io_cli::rewards_cmd::{run_rewards, RewardsCommand};
use io_emissions::EmissionsConfig;
use io_localnet::Localnet;
use io_migrations::{run_genesis, Genesis};
use io_registry::{CudaVersion, HardwareSpec, NodeMetrics, RegistryConfig, Verdict};
use io_sdk::client::{fetch, Chain};
use io_sdk::{pda, staking as sx, token};
use io_staking::{OperatorStake, StakingConfig};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

struct Network {
    net: Localnet,
    /// The operator is the bank's fee payer, as it is the --keypair of `io rewards claim`.
    operator: Pubkey,
    tokens: Pubkey,
    epoch_secs: i64,
    /// What the oracle quorum needs to attest the node again.
    quorum: Quorum,
}

struct Quorum {
    registry: io_sdk::network::RegistryClient,
    oracles: Vec<Keypair>,
    node: Pubkey,
    metrics: NodeMetrics,
}

impl Quorum {
    /// The quorum's attestation transaction: the node verified again, with its operator's
    /// weight renewed in the same transaction.
    fn reattest(&mut self, net: &mut Localnet) {
        let config: RegistryConfig = fetch(net, &pda::registry_config()).unwrap();
        let epoch = config.current_epoch(net.unix_time().unwrap()).unwrap();
        let leaf = self.registry.proven_leaf(&self.node).unwrap();
        let subject = io_sdk::registry::verdict_subject(&leaf, epoch, Verdict::Verified, false, io_sdk::gpu_ids(&gpu_uuids()));
        let votes: Vec<(&Keypair, NodeMetrics)> = self.oracles.iter().map(|k| (k, self.metrics)).collect();
        let refresh = [sx::refresh_weight(&leaf.record.operator)];
        let attested = io_sdk::network::attest_by_quorum(net, &leaf, &votes, &subject, &refresh).unwrap();
        self.registry.ingest(&attested.attestation).unwrap();
    }
}

/// The node's eight GPUs.
fn gpu_uuids() -> Vec<String> {
    (0..8).map(|g| format!("GPU-a-{g}")).collect()
}

fn balance(net: &mut Localnet, account: &Pubkey) -> u64 {
    token::balance(&net.account_data(account).unwrap().unwrap()).unwrap()
}

/// Genesis, one verified 8-GPU H100 node, and a bond that covers it.
fn network() -> Network {
    let mut net = Localnet::start();
    let genesis = Genesis::reference();
    let authority = Keypair::new();
    let oracles: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    net.airdrop(&authority.pubkey(), 10_000_000_000).unwrap();
    let oracle_keys: Vec<Pubkey> = oracles.iter().map(|k| k.pubkey()).collect();
    let deployment = run_genesis(&mut net, &genesis, &authority, &oracle_keys).unwrap();
    let mut registry = deployment.registry;
    let operator = Keypair::try_from(&net.payer_keypair().to_bytes()[..]).unwrap();

    let catalogue: io_registry::GpuCatalogue = fetch(&mut net, &pda::gpu_catalogue()).unwrap();
    let h100 = catalogue.models.iter().find(|m| m.name == "H100").unwrap();
    let spec = HardwareSpec {
        gpu_model: h100.id,
        gpu_count: 8,
        cuda: CudaVersion { major: 12, minor: 4 },
        region: 0x8928308280fffff,
        gpu_uuids_hash: io_sdk::gpu_uuids_hash(&gpu_uuids()),
    };
    let node = Keypair::new();
    registry.register(&mut net, &operator, &node, spec).unwrap();
    net.warp_seconds(i64::from(genesis.registry.epoch_length_secs));
    let config: RegistryConfig = fetch(&mut net, &pda::registry_config()).unwrap();
    let epoch = config.current_epoch(net.unix_time().unwrap()).unwrap();
    let metrics =
        NodeMetrics { verified_centi_tflops: h100.expected_centi_tflops, rtt_us: 9_000, bandwidth_mbps: 10_000, packet_loss_bps: 1 };
    registry
        .attest(&mut net, &[&oracles[0], &oracles[1]], &node.pubkey(), epoch, Verdict::Verified, metrics, io_sdk::gpu_ids(&gpu_uuids()))
        .unwrap();

    // Bond 80,000 IO from the genesis allocation (8 Enterprise GPUs x 10,000 IO).
    let tokens = Keypair::new();
    let rent = net.rent_exempt_balance(token::account_len()).unwrap();
    let payer = net.payer();
    let bond = 80_000 * 1_000_000;
    let mut ixs = token::create_account(&payer, &tokens.pubkey(), &deployment.io_mint, &operator.pubkey(), rent).to_vec();
    ixs.push(token::transfer(&deployment.genesis_tokens, &tokens.pubkey(), &authority.pubkey(), bond));
    net.send(&ixs, &[&tokens, &authority]).unwrap();
    net.send(&[sx::deposit(&operator.pubkey(), &deployment.io_mint, &tokens.pubkey(), bond)], &[]).unwrap();
    let quorum = Quorum { registry, oracles: oracles.into_iter().take(2).collect(), node: node.pubkey(), metrics };
    Network { net, operator: operator.pubkey(), tokens: tokens.pubkey(), epoch_secs: i64::from(genesis.emissions.epoch_secs), quorum }
}

#[test]
fn the_crank_status_and_rewards_commands_follow_the_chain() {
    let Network { mut net, operator, tokens, epoch_secs, mut quorum } = network();

    let status = run_emissions(&mut net, EmissionsCommand::Status).unwrap();
    for expected in [
        "year       1 of the schedule",
        "this epoch 2,517.12328",
        "100,000,000 of 800,000,000 IO cap",
        "held back  0 IO",
        "0 IO distributed",
    ] {
        assert!(status.contains(expected), "missing {expected:?} in\n{status}");
    }

    // The attestation epoch already ended emission epoch 0, which began before the bond:
    // nobody earned it, and the crank returns it to the reserve.
    let out = run_emissions(&mut net, EmissionsCommand::Crank).unwrap();
    let config: EmissionsConfig = fetch(&mut net, &pda::emissions_config()).unwrap();
    assert_eq!(config.total_minted, config.genesis_supply, "{out}");
    let epoch_0 = io_math::epoch_emission(config.cursor.year_total, config.epochs_per_year, 0);
    assert!(out.contains("epochs 0..=0 (1 epochs)") && out.contains("minted     0 IO"), "{out}");
    assert!(out.contains(&format!("returned   {} IO to the reserve", group_io(epoch_0))), "{out}");
    // Nothing more has ended: the program refuses, and the CLI passes the refusal on.
    assert!(run_emissions(&mut net, EmissionsCommand::Crank).is_err());
    // The bond arrived during epoch 1, so it too began before any weight earned...
    net.warp_seconds(epoch_secs);
    let out = run_emissions(&mut net, EmissionsCommand::Crank).unwrap();
    let epoch_1 = io_math::epoch_emission(config.cursor.year_total, config.epochs_per_year, 1);
    assert!(out.contains("epochs 1..=1 (1 epochs)") && out.contains(&format!("returned   {} IO", group_io(epoch_1))), "{out}");
    // ...and epoch 2, which began with the weight earning, is minted.
    net.warp_seconds(epoch_secs);
    let out = run_emissions(&mut net, EmissionsCommand::Crank).unwrap();
    let config: EmissionsConfig = fetch(&mut net, &pda::emissions_config()).unwrap();
    let minted = config.total_minted - config.genesis_supply;
    assert_eq!(minted, io_math::epoch_emission(config.cursor.year_total, config.epochs_per_year, 2), "{out}");
    assert!(out.contains(&format!("minted     {} IO", group_io(minted))), "{out}");
    assert!(out.contains("epochs 2..=2 (1 epochs)") && out.contains("held back  0 IO") && !out.contains("returned"), "{out}");

    // The only earner is owed all of it, to rounding.
    let pending = run_rewards(&mut net, RewardsCommand::Pending { operator: Some(operator) }).unwrap();
    assert!(pending.contains("lease live") && pending.contains("100.00% of the earning weight"), "{pending}");
    let staking: StakingConfig = fetch(&mut net, &pda::staking_config()).unwrap();
    let stake: OperatorStake = fetch(&mut net, &pda::operator_stake(&operator)).unwrap();
    let owed = io_sdk::rewards::pending_rewards(&staking, &stake);
    assert!(owed <= minted && minted - owed < 10, "owed {owed} of {minted}");
    assert!(pending.contains(&format!("pending   {} IO", group_io(owed))), "{pending}");

    // Without a new attestation the node's verification lease (24 epochs in the
    // reference genesis), and with it the weight's, ends: the crank once past its end
    // lapses the weight, and the one after finds no earner.
    let mut last = String::new();
    for _ in 0..24 {
        net.warp_seconds(epoch_secs);
        last = run_emissions(&mut net, EmissionsCommand::Crank).unwrap();
    }
    let pending = run_rewards(&mut net, RewardsCommand::Pending { operator: None }).unwrap();
    assert!(pending.contains("lease lapsed"), "{pending}");
    let status = run_emissions(&mut net, EmissionsCommand::Status).unwrap();
    assert!(status.contains("weight     0 earning") && status.contains("held back  0 IO"), "{status}");
    assert!(last.contains("minted     0 IO") && last.contains("returned "), "with no earner the crank returns the emission:\n{last}");

    // Claiming pays what pending said; with nothing verified counting, the weight is zero.
    let staking: StakingConfig = fetch(&mut net, &pda::staking_config()).unwrap();
    let stake: OperatorStake = fetch(&mut net, &pda::operator_stake(&operator)).unwrap();
    let owed = io_sdk::rewards::pending_rewards(&staking, &stake);
    let before = balance(&mut net, &tokens);
    let out = run_rewards(&mut net, RewardsCommand::Claim { tokens }).unwrap();
    assert_eq!(balance(&mut net, &tokens) - before, owed);
    assert!(out.contains(&format!("claimed {} IO into {tokens}", group_io(owed))) && out.contains("no weight earns"), "{out}");
    let err = run_rewards(&mut net, RewardsCommand::Claim { tokens }).unwrap_err();
    assert!(err.to_string().contains("nothing to claim yet"), "{err}");

    // The quorum attests the node again; the held-back emission is minted by the next
    // crank, now that weight earns again.
    quorum.reattest(&mut net);
    net.warp_seconds(epoch_secs);
    let out = run_emissions(&mut net, EmissionsCommand::Crank).unwrap();
    assert!(out.contains("held back  0 IO"), "{out}");
    let status = run_emissions(&mut net, EmissionsCommand::Status).unwrap();
    let staking: StakingConfig = fetch(&mut net, &pda::staking_config()).unwrap();
    let expected = format!(
        "rewards    {} IO distributed, {} IO claimed",
        group_io(staking.rewards.total_distributed),
        group_io(staking.rewards.total_claimed)
    );
    assert!(status.contains(&expected), "{status}");
}

#[test]
fn the_schedule_command_needs_no_cluster() {
    let svg = std::env::temp_dir().join(format!("io-cli-schedule-{}.svg", std::process::id()));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_io"))
        .args(["emissions", "schedule", "--years", "4", "--keypair", "/nonexistent/id.json", "--svg"])
        .arg(&svg)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("22,050,000") && stdout.contains("2,756,250") && stdout.contains("chart written"), "{stdout}");
    let chart = std::fs::read_to_string(&svg).unwrap();
    assert_eq!(chart.matches("class=\"bar\"").count(), 4);
    std::fs::remove_file(svg).ok();
}
