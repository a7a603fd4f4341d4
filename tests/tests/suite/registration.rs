//! What registering costs: the refundable deposit (paid, refunded at retirement,
//! forfeited by a slashing attestation, swept by the authority, each to the lamport), the
//! per-operator cap on pending nodes, and the permissionless opening of the next tree,
//! which nobody can block.

use io_registry::*;
use io_sdk::client::Chain;
use io_sdk::pda;
use io_tests::{ix, Harness};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};

/// The reference deposit: 0.01 SOL (migrations/genesis.toml).
const DEPOSIT: u64 = 10_000_000;

fn lamports(h: &mut Harness, address: &Pubkey) -> u64 {
    h.net.account(address).unwrap().map_or(0, |a| a.lamports)
}

#[test]
fn a_deposit_is_paid_at_registration_and_refunded_exactly_at_retirement() {
    let mut h = Harness::new();
    assert_eq!(h.config().registration.deposit_lamports, DEPOSIT);
    let operator = h.operator();
    // The first registration also pays the aggregates account's rent; the second shows
    // the deposit alone (the bank's payer pays the fees).
    let spec = h.spec("RTX 4090", 2, 1);
    h.register(&operator, spec);
    let before = lamports(&mut h, &operator.pubkey());
    let spec = h.spec("RTX 4090", 2, 2);
    let (node, record) = h.register(&operator, spec);
    assert_eq!(before - lamports(&mut h, &operator.pubkey()), DEPOSIT);
    assert_eq!(record.deposit_lamports, DEPOSIT);
    assert_eq!(h.operator_stats(&operator.pubkey()).deposits_lamports, 2 * DEPOSIT);
    h.check_invariants();

    let before = lamports(&mut h, &operator.pubkey());
    let retired = h.registry.retire(&mut h.net, &operator, &node.pubkey()).unwrap();
    assert_eq!(lamports(&mut h, &operator.pubkey()) - before, DEPOSIT, "the deposit comes back, to the lamport");
    assert_eq!((retired.status, retired.deposit_lamports), (NodeStatus::Retired, 0));
    assert_eq!(h.operator_stats(&operator.pubkey()).deposits_lamports, DEPOSIT);
    h.check_invariants();
}

#[test]
fn a_slashing_attestation_forfeits_the_deposit_and_the_authority_sweeps_it() {
    let mut h = Harness::new();
    let operator = h.operator();
    let spec = h.spec("H100", 8, 3);
    let (node, _) = h.register(&operator, spec);
    let node = node.pubkey();
    h.next_epoch();
    let epoch = h.current_epoch();

    // (Forfeiting beside a verified verdict is refused by name: `quorum.rs`.)
    let leaf = h.registry.proven_leaf(&node).unwrap();
    let config_before = lamports(&mut h, &pda::registry_config());
    let stats_before = lamports(&mut h, &pda::operator_stats(&operator.pubkey()));
    let forfeiting = ix::verdict_subject(&leaf, epoch, Verdict::Suspended, true, vec![]);
    h.attest_subject(2, &leaf, &forfeiting, NodeMetrics::default(), &[]);
    let record = *h.registry.record(&node).unwrap();
    assert_eq!((record.status, record.deposit_lamports), (NodeStatus::Suspended, 0));
    assert_eq!(lamports(&mut h, &pda::registry_config()) - config_before, DEPOSIT);
    assert_eq!(stats_before - lamports(&mut h, &pda::operator_stats(&operator.pubkey())), DEPOSIT);
    assert_eq!(h.config().forfeited_lamports, DEPOSIT);
    h.check_invariants();
    // Retiring the node now refunds nothing: the deposit is gone.
    let before = lamports(&mut h, &operator.pubkey());
    h.registry.retire(&mut h.net, &operator, &node).unwrap();
    assert_eq!(lamports(&mut h, &operator.pubkey()), before);

    // Only the authority sweeps, and only what was forfeited.
    let stranger = h.operator();
    let destination = Keypair::new().pubkey();
    h.expect_error(&[ix::sweep_forfeited_deposits(&stranger.pubkey(), &destination)], &[&stranger], RegistryError::Unauthorized);
    let authority = h.authority.insecure_clone();
    h.ok(&[ix::sweep_forfeited_deposits(&authority.pubkey(), &destination)], &[&authority]);
    assert_eq!(lamports(&mut h, &destination), DEPOSIT);
    assert_eq!(h.config().forfeited_lamports, 0);
    h.expect_error(&[ix::sweep_forfeited_deposits(&authority.pubkey(), &destination)], &[&authority], RegistryError::NothingToSweep);
    h.check_invariants();
}

#[test]
fn the_pending_cap_refuses_a_registration_beyond_it_until_an_audit_clears_one() {
    let mut h = Harness::new();
    let authority = h.authority.insecure_clone();
    let before = h.config().registration;
    let params = RegistrationParams { max_pending_per_operator: 2, ..before };
    h.ok(&[ix::set_registration_params(&authority.pubkey(), &before, &params)], &[&authority]);
    let operator = h.operator();
    let mut nodes = vec![];
    for seed in 0..2 {
        let spec = h.spec("RTX 4090", 1, seed);
        nodes.push(h.register(&operator, spec).0);
    }
    let third = Keypair::new();
    let spec = h.spec("RTX 4090", 1, 9);
    let active = h.config().active_tree;
    let register = ix::register_node(&operator.pubkey(), &third.pubkey(), &active, spec);
    h.expect_error(std::slice::from_ref(&register), &[&operator, &third], RegistryError::TooManyPendingNodes);
    // One audit later the operator has one pending node: the third registers.
    h.next_epoch();
    h.verify(&nodes[0].pubkey());
    h.registry.register(&mut h.net, &operator, &third, spec).unwrap();
    assert_eq!(h.operator_stats(&operator.pubkey()).nodes_by_status[NodeStatus::Pending.index()], 2);
    h.check_invariants();
}

#[test]
fn registration_parameters_out_of_range_or_from_a_stranger_are_refused() {
    let mut h = Harness::new();
    let authority = h.authority.insecure_clone();
    let good = h.config().registration;
    let refused = [
        RegistrationParams { max_pending_per_operator: 0, ..good },
        RegistrationParams { deposit_lamports: 10_000_000_001, ..good },
        RegistrationParams { open_tree_fill_bps: 10_001, ..good },
        RegistrationParams { tree_max_depth: 31, ..good },
        RegistrationParams { tree_canopy_depth: 20, ..good },
    ];
    for params in refused {
        h.expect_error(
            &[ix::set_registration_params(&authority.pubkey(), &good, &params)],
            &[&authority],
            RegistryError::InvalidRegistrationParams,
        );
    }
    let shallow = RegistrationParams { tree_canopy_depth: 11, ..good };
    h.expect_error(&[ix::set_registration_params(&authority.pubkey(), &good, &shallow)], &[&authority], RegistryError::CanopyTooShallow);
    let stranger = h.operator();
    let lower = RegistrationParams { max_pending_per_operator: 1, ..good };
    h.expect_error(&[ix::set_registration_params(&stranger.pubkey(), &good, &lower)], &[&stranger], RegistryError::Unauthorized);
    assert_eq!(h.config().registration, good, "refused changes change nothing");
}

#[test]
fn anyone_opens_the_next_tree_once_the_active_one_is_nearly_full_and_nobody_earlier() {
    // An 8-leaf tree; the next opens at 90% full, i.e. with all 8 leaves used.
    let mut h = Harness::with_tree(3, 8, 0);
    let first = h.config().active_tree;
    let operator = h.operator();
    for seed in 0..7 {
        let spec = h.spec("RTX 4090", 1, seed);
        h.register(&operator, spec);
    }
    // The bank's payer is nobody in particular: not the authority, not an operator.
    let opener = h.net.payer();
    assert_ne!(opener, h.authority.pubkey());
    let shape = io_sdk::tree::TreeShape { max_depth: 3, max_buffer_size: 8, canopy_depth: 0 };
    let early = Keypair::new();
    let rent = h.net.rent_exempt_balance(shape.account_size()).unwrap();
    h.expect_error(&ix::open_tree(&opener, &first, &early.pubkey(), shape, rent), &[&early], RegistryError::ActiveTreeNotFull);
    let spec = h.spec("RTX 4090", 1, 7);
    h.register(&operator, spec);

    // Another shape than the configured one is refused (a canopy the config did not name).
    let other = io_sdk::tree::TreeShape { canopy_depth: 1, ..shape };
    let wrong = Keypair::new();
    let rent_other = h.net.rent_exempt_balance(other.account_size()).unwrap();
    let mut open_other = ix::open_tree(&opener, &first, &wrong.pubkey(), other, rent_other);
    open_other[1] = ix::open_tree(&opener, &first, &wrong.pubkey(), shape, rent)[1].clone();
    h.expect_error(&open_other, &[&wrong], RegistryError::TreeShapeMismatch);

    // The right one opens, in one transaction with its allocation: nobody can get between.
    let second = h.registry.open_tree(&mut h.net).unwrap();
    let config = h.config();
    assert_eq!((config.active_tree, config.trees.clone()), (second, vec![first, second]));
    // The new tree is empty: opening yet another is refused until it fills up.
    let third = Keypair::new();
    h.expect_error(&ix::open_tree(&opener, &second, &third.pubkey(), shape, rent), &[&third], RegistryError::ActiveTreeNotFull);
    // New nodes land in the new tree.
    let spec = h.spec("RTX 4090", 1, 8);
    let (node, record) = h.register(&operator, spec);
    assert_eq!(h.registry.proven_leaf(&node.pubkey()).unwrap().merkle_tree, second);
    assert_eq!(record.leaf_index, 0);
    h.check_invariants();
}
