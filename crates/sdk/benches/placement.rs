//! `cargo bench -p io-sdk --bench placement`: the placement query over 200,000 indexed
//! nodes (the bar: p50 under 1 ms, and at least 100 times the scan over the same
//! records, measured in the same run), and the cluster query's p50. Prints figures;
//! asserts only that both paths give the same answers.
//!
//! The network is synthetic and seeded: 8 GPU models, 1 to 8 GPUs, CUDA 11.8 to 12.6, RTT
//! 0.5 to 150 ms, 1 to 100 Gbps, 80% verified, cells spread over 400 resolution-7 cells
//! around Europe (so groups of nearby nodes exist). Requests take the 10 best.

use h3o::{CellIndex, LatLng, Resolution};
use io_registry::{CudaVersion, GpuCatalogue, GpuModel, NodeMetrics, NodeRecord, NodeStatus, Tier, NODE_RECORD_VERSION};
use io_sdk::placement::{place_records, PlacementRequest};
use io_sdk::placement_index::PlacementIndex;
use solana_sdk::pubkey::Pubkey;
use std::time::Instant;

const NODES: u32 = 200_000;
const MODELS: u16 = 8;
const CUDA: [(u8, u8); 6] = [(11, 8), (12, 0), (12, 2), (12, 4), (12, 5), (12, 6)];

/// A small deterministic generator (xorshift*), so each run measures the same network.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn catalogue() -> GpuCatalogue {
    let models = (0..MODELS)
        .map(|id| GpuModel {
            id,
            name: format!("GPU-{id}"),
            tier: Tier::Enterprise,
            expected_centi_tflops: 5_000,
            min_cuda: CudaVersion { major: 11, minor: 0 },
            active: true,
        })
        .collect();
    GpuCatalogue { models, bump: 255 }
}

fn cells(rng: &mut Rng) -> Vec<CellIndex> {
    (0..400)
        .map(|_| {
            let lat = 40.0 + rng.below(15_000) as f64 / 1_000.0;
            let lng = -5.0 + rng.below(25_000) as f64 / 1_000.0;
            LatLng::new(lat, lng).expect("coordinates").to_cell(Resolution::Seven)
        })
        .collect()
}

fn network(rng: &mut Rng, cells: &[CellIndex]) -> Vec<NodeRecord> {
    (0..NODES)
        .map(|i| {
            let (major, minor) = CUDA[rng.below(CUDA.len() as u64) as usize];
            let verified = rng.below(10) < 8;
            NodeRecord {
                version: NODE_RECORD_VERSION,
                node_id: Pubkey::new_unique(),
                operator: Pubkey::new_from_array([(i % 251) as u8; 32]),
                leaf_index: i,
                gpu_model: rng.below(u64::from(MODELS)) as u16,
                gpu_count: 1 << rng.below(4),
                tier: Tier::Enterprise,
                cuda: CudaVersion { major, minor },
                region: u64::from(cells[rng.below(cells.len() as u64) as usize]),
                gpu_uuids_hash: [0; 32],
                status: if verified { NodeStatus::Verified } else { NodeStatus::Pending },
                metrics: NodeMetrics {
                    verified_centi_tflops: 5_000,
                    rtt_us: 500 + rng.below(150_000) as u32,
                    bandwidth_mbps: 1_000 + rng.below(99_000) as u32,
                    packet_loss_bps: 0,
                },
                last_attested_epoch: 1,
                score: 9_000,
                registered_at: 0,
                deposit_lamports: 0,
                lease_end_epoch: 10,
            }
        })
        .collect()
}

fn request(rng: &mut Rng) -> PlacementRequest {
    let (major, minor) = CUDA[rng.below(CUDA.len() as u64) as usize];
    PlacementRequest {
        model: rng.below(u64::from(MODELS)) as u16,
        min_cuda: CudaVersion { major, minor },
        min_gpus: 1 << rng.below(4),
        limit: Some(10),
    }
}

fn p50(mut micros: Vec<f64>) -> f64 {
    micros.sort_by(f64::total_cmp);
    micros[micros.len() / 2]
}

fn main() {
    let mut rng = Rng(0x1d8e_4e27_c47d_124f);
    let catalogue = catalogue();
    let cells = cells(&mut rng);
    let records = network(&mut rng, &cells);
    let tree = Pubkey::new_unique();

    let started = Instant::now();
    let index = PlacementIndex::from_records(records.iter().map(|r| (&tree, r)));
    println!("placement index: {} verified of {NODES} nodes indexed in {:.2} s", index.len(), started.elapsed().as_secs_f64());

    let requests: Vec<PlacementRequest> = (0..400).map(|_| request(&mut rng)).collect();
    let (mut indexed, mut scanned) = (vec![], vec![]);
    for request in &requests {
        let t = Instant::now();
        let fast = index.place(&catalogue, request).expect("query");
        indexed.push(t.elapsed().as_secs_f64() * 1e6);
        let t = Instant::now();
        let slow = place_records(records.iter().map(|r| (&tree, r)), &catalogue, request).expect("scan");
        scanned.push(t.elapsed().as_secs_f64() * 1e6);
        assert_eq!(fast, slow, "the index and the scan disagree on {request:?}");
    }
    let (fast, slow) = (p50(indexed), p50(scanned));
    println!(
        "placement over {NODES} nodes, {} requests (10 best): index p50 {fast:.1} µs, scan p50 {slow:.1} µs, {:.0}x",
        requests.len(),
        slow / fast
    );

    let mut clustered = vec![];
    let mut found = 0;
    for request in requests.iter().take(200) {
        let t = Instant::now();
        let group = index.cluster(&catalogue, request, 4, 2).expect("cluster");
        clustered.push(t.elapsed().as_secs_f64() * 1e6);
        found += usize::from(group.is_some());
    }
    println!("cluster of 4 within 2 grid steps: p50 {:.1} µs over {} requests, {found} found a group", p50(clustered), 200);
}
