use io_registry::*;
use io_sdk::client::Chain;
use io_sdk::network::RegistryClient;
use io_tests::{ix, Harness};
use solana_sdk::signature::{Keypair, Signer};

#[test]
fn two_hundred_nodes_rebuild_from_noop_events_to_the_onchain_root() {
    let mut h = Harness::new();
    let config: TreeConfig = io_sdk::client::fetch(&mut h.net, &io_sdk::pda::tree_config(&h.first_tree)).unwrap();
    assert!(config.capacity >= 1_000_000, "tree holds {} nodes", config.capacity);
    assert_eq!(config.canopy_depth, 12);

    let operators: Vec<Keypair> = (0..4).map(|_| h.operator()).collect();
    let models = ["H100", "RTX 4090", "Apple M2 Max", "A100", "RTX A5000"];
    for i in 0..210u64 {
        let model = models[i as usize % models.len()];
        let spec = h.spec(model, 1 + (i % 8) as u16, i);
        h.register(&operators[i as usize % operators.len()], spec);
    }
    h.check_invariants();

    // A client that saw none of these transactions rebuilds the tree from the noop history alone.
    let rebuilt = RegistryClient::sync(&mut h.net, &[h.first_tree]).unwrap();
    let mirror = &rebuilt.trees[&h.first_tree].mirror;
    assert_eq!(mirror.len(), 210);
    let first_tree = h.first_tree;
    assert_eq!(mirror.root(), h.onchain_root(&first_tree));
    assert_eq!(mirror.records(), h.registry.trees[&h.first_tree].mirror.records());

    // Tiers come from the catalogue: the operator never chose them.
    let tiers: Vec<Tier> = mirror.records().iter().take(5).map(|r| r.tier).collect();
    assert_eq!(tiers, [Tier::Enterprise, Tier::MidMarket, Tier::Consumer, Tier::Enterprise, Tier::MidMarket]);
    assert!(mirror.records().iter().all(|r| r.status == NodeStatus::Pending));
}

#[test]
fn a_full_tree_refuses_nodes_until_a_new_tree_is_opened() {
    let mut h = Harness::with_tree(3, 8, 0);
    let op = h.operator();
    let mut nodes = vec![];
    for i in 0..8 {
        let spec = h.spec("H100", 1, i);
        nodes.push(h.register(&op, spec).0);
    }
    let node = Keypair::new();
    let spec = h.spec("H100", 1, 99);
    let register = ix::register_node(&op.pubkey(), &node.pubkey(), &h.first_tree, spec);
    h.expect_error(&[register], &[&op, &node], RegistryError::TreeFull);

    // Only the authority opens trees.
    let outsider = h.operator();
    let err = h.registry.create_tree(&mut h.net, &outsider, h.genesis.tree_shape()).unwrap_err();
    assert_eq!(io_sdk::client::Refusal::of(&err), Some(RegistryError::Unauthorized.into()));

    let authority = h.authority.insecure_clone();
    // A canopy too shallow for proofs to fit a transaction is refused by the program.
    let shallow = io_sdk::tree::TreeShape { max_depth: 14, max_buffer_size: 64, canopy_depth: 5 };
    let tree = Keypair::new();
    let payer = h.net.payer();
    let lamports = h.net.rent_exempt_balance(shallow.account_size()).unwrap();
    let ixs = ix::create_tree(&payer, &authority.pubkey(), &tree.pubkey(), shallow, lamports);
    h.expect_error(&ixs, &[&authority, &tree], RegistryError::CanopyTooShallow);

    let second = h.registry.create_tree(&mut h.net, &authority, h.genesis.tree_shape()).unwrap();
    let config = h.config();
    assert_eq!(config.active_tree, second);
    assert_eq!(config.trees, vec![h.first_tree, second]);

    // New nodes land in the new tree; the old tree refuses them but keeps serving its nodes.
    let (_, record) = h.register(&op, spec);
    assert_eq!(record.leaf_index, 0);
    assert_eq!(h.registry.trees[&second].mirror.len(), 1);
    let stale = ix::register_node(&op.pubkey(), &node.pubkey(), &h.first_tree, spec);
    h.expect_error(&[stale], &[&op, &node], RegistryError::NotActiveTree);
    h.next_epoch();
    let verified = h.verify(&nodes[3].pubkey());
    assert_eq!(verified.status, NodeStatus::Verified);
    h.check_invariants();
    assert_eq!(h.net.payer(), h.net.payer_keypair().pubkey());
}
