use io_registry::*;
use io_sdk::client::{fetch, Chain};
use io_sdk::pda;
use io_tests::{ix, Harness};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;

#[test]
fn authority_moves_only_in_two_steps() {
    let mut h = Harness::new();
    let authority = h.authority.insecure_clone();
    let successor = h.operator();
    let stranger = h.operator();

    h.expect_error(&[ix::propose_authority(&stranger.pubkey(), &stranger.pubkey())], &[&stranger], RegistryError::Unauthorized);
    h.expect_error(&[ix::accept_authority(&successor.pubkey())], &[&successor], RegistryError::NoPendingAuthority);

    h.net.send(&[ix::propose_authority(&authority.pubkey(), &successor.pubkey())], &[&authority]).unwrap();
    assert_eq!(h.config().pending_authority, Some(successor.pubkey()));
    assert_eq!(h.config().authority, authority.pubkey(), "proposing does not hand over");
    h.expect_error(&[ix::accept_authority(&stranger.pubkey())], &[&stranger], RegistryError::NotPendingAuthority);

    h.net.send(&[ix::accept_authority(&successor.pubkey())], &[&successor]).unwrap();
    let config = h.config();
    assert_eq!(config.authority, successor.pubkey());
    assert_eq!(config.pending_authority, None);

    // The old authority has lost every power.
    let (oracles, threshold) = h.oracle_set();
    let current = (oracles.as_slice(), threshold);
    h.expect_error(&[ix::set_oracles(&authority.pubkey(), current, (&oracles, 1))], &[&authority], RegistryError::Unauthorized);
    h.expect_error(&[ix::retire_gpu_model(&authority.pubkey(), 0)], &[&authority], RegistryError::Unauthorized);
    h.net.send(&[ix::set_oracles(&successor.pubkey(), current, (&oracles, 3))], &[&successor]).unwrap();
    assert_eq!(h.config().threshold, 3);
}

#[test]
fn a_bad_oracle_set_is_refused() {
    let mut h = Harness::new();
    let authority = h.authority.insecure_clone();
    let keys: Vec<Pubkey> = (0..MAX_ORACLES + 1).map(|_| Pubkey::new_unique()).collect();
    let cases: Vec<(Vec<Pubkey>, u8)> = vec![
        (vec![], 1),
        (keys[..3].to_vec(), 0),
        (keys[..3].to_vec(), 4),
        (keys[..8].to_vec(), MAX_QUORUM + 1),
        (keys.clone(), 2),
        (vec![keys[0], keys[1], keys[0]], 2),
        (vec![keys[0], Pubkey::default()], 1),
    ];
    let (current, threshold_now) = h.oracle_set();
    for (oracles, threshold) in cases {
        let ix = ix::set_oracles(&authority.pubkey(), (&current, threshold_now), (&oracles, threshold));
        h.expect_error(&[ix], &[&authority], RegistryError::InvalidOracleSet);
    }
    // A difference naming a key twice is refused by name too.
    let twice = io_sdk::registry::set_oracles(&authority.pubkey(), (&[], threshold_now), (&[keys[0], keys[0]], threshold_now));
    h.expect_error(&[twice], &[&authority], RegistryError::InvalidOracleSet);
    let ix = ix::set_oracles(&authority.pubkey(), (&current, threshold_now), (&keys[..MAX_ORACLES], MAX_QUORUM));
    h.net.send(&[ix], &[&authority]).unwrap();
    assert_eq!(h.config().oracles, keys[..MAX_ORACLES].to_vec());
}

#[test]
fn the_catalogue_is_changed_by_the_authority_only_and_attestations_follow_it() {
    let mut h = Harness::new();
    let authority = h.authority.insecure_clone();
    let stranger = h.operator();
    let args = GpuModelArgs {
        name: "B200".into(),
        tier: Tier::Enterprise,
        expected_centi_tflops: 8_000,
        min_cuda: CudaVersion { major: 12, minor: 8 },
    };
    h.expect_error(&[ix::add_gpu_model(&stranger.pubkey(), args.clone())], &[&stranger], RegistryError::Unauthorized);
    let duplicate = GpuModelArgs { name: "h100".into(), ..args.clone() };
    h.expect_error(&[ix::add_gpu_model(&authority.pubkey(), duplicate)], &[&authority], RegistryError::InvalidGpuModelName);
    let too_long = GpuModelArgs { name: "X".repeat(MAX_GPU_MODEL_NAME_LEN + 1), ..args.clone() };
    h.expect_error(&[ix::add_gpu_model(&authority.pubkey(), too_long)], &[&authority], RegistryError::InvalidGpuModelName);
    let no_speed = GpuModelArgs { expected_centi_tflops: 0, ..args.clone() };
    h.expect_error(&[ix::add_gpu_model(&authority.pubkey(), no_speed)], &[&authority], RegistryError::InvalidExpectedTflops);
    h.expect_error(
        &[ix::update_gpu_model(&authority.pubkey(), 500, args.clone(), args.clone())],
        &[&authority],
        RegistryError::UnknownGpuModel,
    );

    h.net.send(&[ix::add_gpu_model(&authority.pubkey(), args.clone())], &[&authority]).unwrap();
    let catalogue: GpuCatalogue = fetch(&mut h.net, &pda::gpu_catalogue()).unwrap();
    let b200 = catalogue.models.last().unwrap().clone();
    assert_eq!((b200.name.as_str(), b200.tier, b200.active), ("B200", Tier::Enterprise, true));

    // A node of a re-tiered model takes the new tier at its next attestation.
    let op = h.operator();
    let spec = h.spec("RTX 3090", 2, 1);
    let (node, record) = h.register(&op, spec);
    assert_eq!(record.tier, Tier::MidMarket);
    let demoted = GpuModelArgs {
        name: "RTX 3090".into(),
        tier: Tier::Consumer,
        expected_centi_tflops: 3_560,
        min_cuda: CudaVersion { major: 11, minor: 1 },
    };
    let before = h.model_args(spec.gpu_model);
    h.net.send(&[ix::update_gpu_model(&authority.pubkey(), spec.gpu_model, before.clone(), demoted.clone())], &[&authority]).unwrap();
    // A change written against the entry as it was before is stale now: refused, not
    // applied over the newer one.
    let stale = ix::update_gpu_model(&authority.pubkey(), spec.gpu_model, before, GpuModelArgs { expected_centi_tflops: 1, ..demoted });
    h.expect_error(&[stale], &[&authority], RegistryError::StaleParams);
    h.next_epoch();
    let record = h.verify(&node.pubkey());
    assert_eq!(record.tier, Tier::Consumer);
    assert_eq!(h.counted(&op.pubkey()).gpus_by_tier, [0, 0, 2]);
    h.check_invariants();

    h.net.send(&[ix::retire_gpu_model(&authority.pubkey(), b200.id)], &[&authority]).unwrap();
    h.expect_error(&[ix::retire_gpu_model(&authority.pubkey(), b200.id)], &[&authority], RegistryError::GpuModelRetired);
}

#[test]
fn the_registry_cannot_be_initialised_twice() {
    let mut h = Harness::new();
    // Even the deployer, the one key initialize accepts, cannot open it a second time.
    let deployer = h.net.payer();
    let args = InitializeArgs { authority: deployer, oracles: vec![deployer], threshold: 1, epoch_length_secs: 3600 };
    let before = h.snapshot();
    let err = h.net.send(&[ix::initialize(&deployer, &deployer, args)], &[]).unwrap_err();
    let failure = err.downcast_ref::<io_sdk::client::TxFailure>().expect("a transaction failure");
    // The config PDA exists: the system program refuses to create it again.
    assert_eq!(failure.raised_by(), Some(solana_sdk::system_program::ID), "{:#?}", failure.logs);
    assert!(h.snapshot() == before);
}

#[test]
fn a_region_only_update_after_a_re_tiering_needs_an_audit() {
    let mut h = Harness::new();
    let authority = h.authority.insecure_clone();
    let op = h.operator();
    let spec = h.spec("RTX 3090", 2, 1);
    let (node, _) = h.register(&op, spec);
    h.next_epoch();
    let record = h.verify(&node.pubkey());
    assert_eq!((record.status, record.tier), (NodeStatus::Verified, Tier::MidMarket));
    assert_eq!(h.counted(&op.pubkey()).gpus_by_tier, [0, 2, 0]);

    // The DAO moves the model to the enterprise tier: the node was audited against the
    // mid-market minimums only.
    let promoted = GpuModelArgs {
        name: "RTX 3090".into(),
        tier: Tier::Enterprise,
        expected_centi_tflops: 3_560,
        min_cuda: CudaVersion { major: 11, minor: 1 },
    };
    let before = h.model_args(spec.gpu_model);
    h.net.send(&[ix::update_gpu_model(&authority.pubkey(), spec.gpu_model, before, promoted)], &[&authority]).unwrap();

    // A region-only update takes the new tier, but not as verified: it waits for an audit.
    let leaf = h.registry.proven_leaf(&node.pubkey()).unwrap();
    let moved = HardwareSpec { region: h.spec("RTX 3090", 2, 77).region, ..spec };
    assert_ne!(moved.region, spec.region);
    let outcome = h.ok(&[ix::update_node(&leaf, moved)], &[&op]);
    h.registry.ingest(&outcome).unwrap();
    let record = *h.registry.record(&node.pubkey()).unwrap();
    assert_eq!((record.status, record.tier, record.region), (NodeStatus::Pending, Tier::Enterprise, moved.region));
    assert_eq!(h.counted(&op.pubkey()).gpus_by_tier, [0, 0, 0], "nothing counts until the audit");
    h.check_invariants();

    // The next audit verifies it in its new tier.
    h.next_epoch();
    let record = h.verify(&node.pubkey());
    assert_eq!((record.status, record.tier), (NodeStatus::Verified, Tier::Enterprise));
    assert_eq!(h.counted(&op.pubkey()).gpus_by_tier, [2, 0, 0]);

    // Within one tier a region-only update still keeps the node verified.
    let leaf = h.registry.proven_leaf(&node.pubkey()).unwrap();
    let outcome = h.ok(&[ix::update_node(&leaf, spec)], &[&op]);
    h.registry.ingest(&outcome).unwrap();
    assert_eq!(h.registry.record(&node.pubkey()).unwrap().status, NodeStatus::Verified);
    h.check_invariants();
}
