//! `cargo bench -p io-sdk --bench registry`: rent per node of the compressed registry
//! against one account per node, and the off-chain mirror's speed (rebuild, proof).
//! Prints figures; asserts nothing about time.

use io_registry::{CudaVersion, NodeMetrics, NodeRecord, NodeStatus, Tier, NODE_RECORD_VERSION};
use io_sdk::mirror::TreeMirror;
use io_sdk::rent::{compare_rent, record_size, sol};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::rent::Rent;
use std::time::Instant;

fn record(i: u32) -> NodeRecord {
    NodeRecord {
        version: NODE_RECORD_VERSION,
        node_id: Pubkey::new_unique(),
        operator: Pubkey::new_from_array([(i % 251) as u8; 32]),
        leaf_index: i,
        gpu_model: (i % 23) as u16,
        gpu_count: 8,
        tier: Tier::Enterprise,
        cuda: CudaVersion { major: 12, minor: 4 },
        region: 0x8928308280fffff,
        gpu_uuids_hash: [(i % 256) as u8; 32],
        status: NodeStatus::Verified,
        metrics: NodeMetrics { verified_centi_tflops: 6_500, rtt_us: 12_000, bandwidth_mbps: 10_000, packet_loss_bps: 1 },
        last_attested_epoch: 7,
        score: 9_800,
        registered_at: 1_700_000_000,
        deposit_lamports: 0,
        lease_end_epoch: 0,
    }
}

fn main() {
    let rent = Rent::default();
    println!("rent per node (mainnet rent: {} lamports/byte-year, 2-year exemption)", rent.lamports_per_byte_year);
    println!("one account per node holds 8 + {} bytes", record_size());
    println!(
        "{:>9}  {:>13}  {:>24}  {:>16}  {:>16}  {:>7}",
        "nodes", "tree shape", "tree + config (SOL)", "compressed/node", "account/node", "ratio"
    );
    for nodes in [10_000u64, 1_000_000] {
        let c = compare_rent(nodes, &rent).expect("a supported shape");
        println!(
            "{:>9}  d{} b{} c{:<5}  {:>24.6}  {:>16.9}  {:>16.9}  {:>6.0}x",
            nodes,
            c.shape.max_depth,
            c.shape.max_buffer_size,
            c.shape.canopy_depth,
            sol(c.compressed_lamports),
            c.per_node_compressed() / 1e9,
            c.per_node_accounts() / 1e9,
            c.ratio()
        );
    }

    println!("\noff-chain mirror (depth 20)");
    for nodes in [10_000u32, 1_000_000] {
        let records: Vec<NodeRecord> = (0..nodes).map(record).collect();
        let mut mirror = TreeMirror::new(Pubkey::new_unique(), 20);
        let start = Instant::now();
        for r in &records {
            mirror.set(*r).expect("in order");
        }
        let rebuild = start.elapsed();
        let start = Instant::now();
        let bulk = TreeMirror::from_records(mirror.tree, 20, records.clone()).expect("in order");
        let bulk_time = start.elapsed();
        assert_eq!(bulk.root(), mirror.root());
        let start = Instant::now();
        let proofs = 10_000u32;
        let mut checksum = 0u8;
        for i in 0..proofs {
            checksum ^= mirror.proof_below_canopy(i * 7 % nodes, 12).expect("proof")[0][0];
        }
        let proof_time = start.elapsed();
        println!(
            "{:>9} leaves: leaf by leaf {:>8.1} ms, bulk rebuild {:>7.1} ms ({:>9.0} leaves/s), proof {:>5.2} us each (checksum {checksum})",
            nodes,
            rebuild.as_secs_f64() * 1e3,
            bulk_time.as_secs_f64() * 1e3,
            f64::from(nodes) / bulk_time.as_secs_f64(),
            proof_time.as_secs_f64() * 1e6 / f64::from(proofs)
        );
    }
}
