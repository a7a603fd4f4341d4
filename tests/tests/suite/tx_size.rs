//! Every transaction must fit one 1232-byte packet: the registry's at the reference tree shape
//! (2^20 leaves, canopy 12) with 200 bytes to spare, whatever the quorum.

use io_registry::*;
use io_sdk::client::Chain;
use io_tests::figures::figure;
use io_tests::{ix, Harness};
use solana_sdk::packet::PACKET_DATA_SIZE;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

/// What the largest registry transaction may take: 200 bytes of the packet stay free.
const REGISTRY_TX_LIMIT: usize = PACKET_DATA_SIZE - 200;

#[test]
fn the_largest_registry_transaction_leaves_200_bytes_of_the_packet() {
    let mut h = Harness::new();
    assert_eq!((h.genesis.tree_shape().max_depth, h.genesis.tree_shape().canopy_depth), (20, 12));
    let authority = h.authority.insecure_clone();

    // The largest quorum the program accepts, every member voting.
    let oracles: Vec<Keypair> = (0..MAX_QUORUM).map(|_| Keypair::new()).collect();
    let keys: Vec<Pubkey> = oracles.iter().map(|k| k.pubkey()).collect();
    let (before, threshold) = h.oracle_set();
    h.net.send(&[ix::set_oracles(&authority.pubkey(), (&before, threshold), (&keys, MAX_QUORUM))], &[&authority]).unwrap();

    // The largest node: MAX_GPUS_PER_NODE GPUs, each named in every vote.
    let op = h.operator();
    let node = Keypair::new();
    let spec = h.spec("H100", MAX_GPUS_PER_NODE, 1);
    let register = h.net.send(&[ix::register_node(&op.pubkey(), &node.pubkey(), &h.first_tree, spec)], &[&op, &node]).unwrap();
    h.registry.ingest(&register).unwrap();
    // Fill some leaves so the proof is made of real nodes.
    for i in 2..40 {
        let spec = h.spec("H100", 8, i);
        h.register(&op, spec);
    }
    h.next_epoch();
    let epoch = h.current_epoch();
    // A stake, so the attestation carries the operator's weight renewal.
    let tokens = h.fund_io(&op.pubkey(), 1_000_000);
    let mint = h.io_mint;
    h.ok(&[io_sdk::staking::deposit(&op.pubkey(), &mint, &tokens, 1_000_000)], &[&op]);

    let leaf = h.registry.proven_leaf(&node.pubkey()).unwrap();
    assert_eq!(leaf.proof.len(), 8);
    let gpus = h.gpu_ids(&leaf.record);
    assert_eq!(gpus.len(), usize::from(MAX_GPUS_PER_NODE));
    let subject = ix::verdict_subject(&leaf, epoch, Verdict::Verified, false, gpus);
    let metrics = NodeMetrics { verified_centi_tflops: u32::MAX, rtt_us: u32::MAX, bandwidth_mbps: u32::MAX, packet_loss_bps: 0 };
    let votes: Vec<(&Keypair, NodeMetrics)> = oracles.iter().map(|k| (k, metrics)).collect();
    let refresh = [io_sdk::staking::refresh_weight(&op.pubkey())];
    let attested = io_sdk::network::attest_by_quorum(&mut h.net, &leaf, &votes, &subject, &refresh).unwrap();
    h.registry.ingest(&attested.attestation).unwrap();
    assert_eq!(h.registry.record(&node.pubkey()).unwrap().status, NodeStatus::Verified);
    let vote = attested.votes.iter().map(|v| v.size).max().unwrap();

    let leaf = h.registry.proven_leaf(&node.pubkey()).unwrap();
    let update = h.net.send(&[ix::update_node(&leaf, HardwareSpec { gpu_count: 4, ..spec })], &[&op]).unwrap();
    h.registry.ingest(&update).unwrap();
    let leaf = h.registry.proven_leaf(&node.pubkey()).unwrap();
    let retire = h.net.send(&[ix::retire_node(&leaf)], &[&op]).unwrap();
    h.registry.ingest(&retire).unwrap();
    h.check_invariants();

    for (name, size) in [
        ("register_node", register.size),
        ("update_node", update.size),
        ("retire_node", retire.size),
        ("submit_verdict (MAX_GPUS_PER_NODE GPUs named)", vote),
        ("attest_node + refresh_weight (any quorum)", attested.attestation.size),
    ] {
        let section =
            format!("Registry transaction sizes, tree depth 20 / canopy 12 (limit {REGISTRY_TX_LIMIT} of {PACKET_DATA_SIZE} bytes)");
        figure(&section, name, format!("{size} bytes"));
        assert!(size <= REGISTRY_TX_LIMIT, "{name} is {size} bytes");
    }
}

/// The emissions, reward and treasury transactions people send most, built as a wallet
/// would send them (separate fee payer), fit a packet with room to spare.
#[test]
fn the_crank_claim_payment_and_buyback_transactions_fit_a_packet() {
    use io_sdk::{emissions as ex, pda, staking as sx, treasury as tx};
    let h = Harness::new();
    let (mint, operator, tokens, keeper) = (h.io_mint, Keypair::new(), Pubkey::new_unique(), Keypair::new());
    let sized = |ixs: &[solana_sdk::instruction::Instruction], signers: &[&Keypair]| {
        bincode::serialize(&h.net.transaction(ixs, signers)).unwrap().len()
    };
    let rows = [
        ("advance_epoch (the crank)", sized(&[ex::advance_epoch(&mint)], &[])),
        ("refresh_weight", sized(&[sx::refresh_weight(&operator.pubkey())], &[])),
        ("claim_rewards", sized(&[sx::claim_rewards(&operator.pubkey(), &mint, &tokens)], &[&operator])),
        ("pay_with_iosd", sized(&[tx::pay_with_iosd(&operator.pubkey(), &tokens, 1, [7; 32])], &[&operator])),
        ("pay_with_io", sized(&[tx::pay_with_io(&operator.pubkey(), &mint, &tokens, 1, [7; 32])], &[&operator])),
        (
            "buyback_and_burn",
            sized(&[tx::buyback_and_burn(&keeper.pubkey(), &mint, &tokens, &pda::buyback_pool(), &Pubkey::new_unique(), 1, 1)], &[&keeper]),
        ),
    ];
    for (name, size) in rows {
        figure(
            &format!("Emissions, reward and treasury transaction sizes (limit {PACKET_DATA_SIZE} bytes)"),
            name,
            format!("{size} bytes"),
        );
        assert!(size <= PACKET_DATA_SIZE / 2, "{name} is {size} bytes");
    }
}

/// DAO transactions with the actions the issue names: each proposal, with its creation and
/// its execution, fits one packet (the proposer pays; a keeper executes).
#[test]
fn proposal_creation_votes_and_execution_fit_a_packet() {
    use io_registry::{CudaVersion, GpuModelArgs, Tier};
    use io_sdk::governance::{self as gx, actions};
    use io_sdk::pda;
    let h = Harness::new();
    let proposer = Keypair::new();
    let sized = |ixs: &[solana_sdk::instruction::Instruction], signers: &[&Keypair]| {
        bincode::serialize(&h.net.transaction(ixs, signers)).unwrap().len()
    };
    let treasury = io_treasury::TreasuryParams {
        fee_bps: 200,
        gateway: Pubkey::new_unique(),
        gateway_cap: 1,
        gateway_period_secs: 1,
        price_feed_id: [1; 32],
        max_price_age_secs: 60,
        max_conf_bps: 200,
        max_slippage_bps: 100,
        max_fill: 1,
    };
    let model = GpuModelArgs {
        name: "RTX 5090 Founders Edition".into(),
        tier: Tier::MidMarket,
        expected_centi_tflops: 10_480,
        min_cuda: CudaVersion { major: 12, minor: 8 },
    };
    let fee = actions::set_fee_bps(treasury.fee_bps, 150);
    let veto = actions::veto_slash(&Pubkey::new_unique(), 3);
    let grant = actions::grant(&h.io_mint, io_treasury::Asset::Iosd, &Pubkey::new_unique(), 10_000_000_000);
    let add_model = actions::add_gpu_model(model);
    let link = "https://gov.io.example/proposals/0042-lower-the-protocol-fee";
    let proposals: [(&str, Vec<solana_sdk::instruction::Instruction>); 5] = [
        ("set fee to 150 bps", vec![fee.clone()]),
        ("veto slash", vec![veto.clone()]),
        ("grant 10,000 IOSD", vec![grant.clone()]),
        ("add GPU model", vec![add_model.clone()]),
        ("fee + veto + grant", vec![fee, veto, grant]),
    ];
    for (name, acts) in &proposals {
        let create = gx::create_proposal(&proposer.pubkey(), &proposer.pubkey(), 42, [9; 32], link, acts);
        let stored: Vec<_> = acts.iter().map(gx::to_proposal_instruction).collect();
        let execute = gx::execute_proposal(42, &stored);
        for (step, size) in [("create", sized(&[create], &[&proposer])), ("execute", sized(&[execute], &[]))] {
            figure(&format!("DAO transaction sizes (limit {PACKET_DATA_SIZE} bytes)"), &format!("{step} {name}"), format!("{size} bytes"));
            assert!(size <= PACKET_DATA_SIZE, "{step} {name} is {size} bytes");
        }
    }
    let vote = sized(&[gx::cast_vote(&proposer.pubkey(), 42, io_governance::VoteChoice::Yes)], &[&proposer]);
    let queue = sized(&[gx::queue_proposal(42)], &[]);
    figure(&format!("DAO transaction sizes (limit {PACKET_DATA_SIZE} bytes)"), "cast_vote", format!("{vote} bytes"));
    figure(&format!("DAO transaction sizes (limit {PACKET_DATA_SIZE} bytes)"), "queue_proposal", format!("{queue} bytes"));
    assert!(vote <= PACKET_DATA_SIZE / 2 && queue <= PACKET_DATA_SIZE / 2);
    assert_eq!(pda::proposal(42), gx::queue_proposal(42).accounts[0].pubkey);
}
