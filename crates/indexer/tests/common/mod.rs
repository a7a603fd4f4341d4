//! The network both the ingestion and the API tests index.

use io_registry::HardwareSpec;
use io_tests::Harness;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

/// A small network: two operators, five nodes; verified, updated, suspended and retired.
pub struct Network {
    pub h: Harness,
    pub operators: Vec<Keypair>,
    pub nodes: Vec<Pubkey>,
}

pub fn network() -> Network {
    let mut h = Harness::new();
    let operators: Vec<Keypair> = (0..2).map(|_| h.operator()).collect();
    let mut nodes = vec![];
    for i in 0..5u64 {
        let spec = h.spec("H100", 1 + i as u16, i);
        let (node, _) = h.register(&operators[(i % 2) as usize], spec);
        nodes.push(node.pubkey());
    }
    h.next_epoch();
    for node in &nodes[..4] {
        h.verify(node);
    }
    let record = *h.registry.record(&nodes[1]).unwrap();
    let spec = HardwareSpec { gpu_count: record.gpu_count + 1, ..h.spec("H100", 1, 1) };
    h.registry.update(&mut h.net, &operators[1], &nodes[1], spec).unwrap();
    h.next_epoch();
    h.attest(2, &nodes[2], io_registry::Verdict::Suspended, Default::default(), &[]);
    h.registry.retire(&mut h.net, &operators[1], &nodes[3]).unwrap();
    Network { h, operators, nodes }
}
