//! Ties the committed IDL to the Rust encoding: this test writes (with UPDATE_FIXTURES=1)
//! or checks `tests/fixtures/registry.json`, the bytes the SDK builders and account types
//! produce, with the values they encode. `tests/idl-client/check.mjs` decodes the same
//! bytes with @coral-xyz/anchor and the committed IDL, and must find the same values.

use anchor_lang::{AccountSerialize, Discriminator};
use io_registry::*;
use io_tests::ix;
use serde_json::{json, Value};
use solana_sdk::pubkey::Pubkey;

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn key(n: u8) -> Pubkey {
    Pubkey::new_from_array([n; 32])
}

pub(crate) fn pk(p: &Pubkey) -> Value {
    json!(p.to_string())
}

fn cuda(c: CudaVersion) -> Value {
    json!({"major": c.major, "minor": c.minor})
}

/// Enum values as the TypeScript coder decodes them: `{ variant: {} }`, lower-cased.
pub(crate) fn variant(name: &str) -> Value {
    json!({ name.to_lowercase(): {} })
}

fn metrics(m: NodeMetrics) -> Value {
    json!({"verified_centi_tflops": m.verified_centi_tflops, "rtt_us": m.rtt_us, "bandwidth_mbps": m.bandwidth_mbps, "packet_loss_bps": m.packet_loss_bps})
}

fn spec_json(s: &HardwareSpec) -> Value {
    json!({"gpu_model": s.gpu_model, "gpu_count": s.gpu_count, "cuda": cuda(s.cuda), "region": s.region.to_string(), "gpu_uuids_hash": s.gpu_uuids_hash.to_vec()})
}

fn record_json(r: &NodeRecord) -> Value {
    json!({
        "version": r.version, "node_id": pk(&r.node_id), "operator": pk(&r.operator), "leaf_index": r.leaf_index,
        "gpu_model": r.gpu_model, "gpu_count": r.gpu_count, "tier": variant(&format!("{:?}", r.tier)), "cuda": cuda(r.cuda),
        "region": r.region.to_string(), "gpu_uuids_hash": r.gpu_uuids_hash.to_vec(), "status": variant(&format!("{:?}", r.status)),
        "metrics": metrics(r.metrics), "last_attested_epoch": r.last_attested_epoch.to_string(), "score": r.score,
        "registered_at": r.registered_at.to_string(), "deposit_lamports": r.deposit_lamports.to_string(),
        "lease_end_epoch": r.lease_end_epoch.to_string(),
    })
}

fn capacity_json(c: &VerifiedCapacity) -> Value {
    json!({
        "nodes_by_tier": c.nodes_by_tier, "gpus_by_tier": c.gpus_by_tier,
        "score_gpus_by_tier": c.score_gpus_by_tier.iter().map(|v| v.to_string()).collect::<Vec<_>>(),
    })
}

/// `{expected, change}` as the TypeScript coder decodes a parameter change: every field of
/// the parameters (`from`, all of them), `null` but for the `named` ones, which hold their
/// value in `from` (expected) and in `to` (the change).
pub(crate) fn change_json(from: &Value, to: &Value, named: &[&str]) -> Value {
    let sparse = |values: &Value| -> Value {
        let fields = from.as_object().expect("a struct").keys();
        Value::Object(fields.map(|k| (k.clone(), if named.contains(&k.as_str()) { values[k].clone() } else { Value::Null })).collect())
    };
    json!({"expected": sparse(from), "change": sparse(to)})
}

fn registration_json(p: &RegistrationParams) -> Value {
    json!({
        "deposit_lamports": p.deposit_lamports.to_string(), "max_pending_per_operator": p.max_pending_per_operator,
        "tree_max_depth": p.tree_max_depth, "tree_max_buffer_size": p.tree_max_buffer_size,
        "tree_canopy_depth": p.tree_canopy_depth, "open_tree_fill_bps": p.open_tree_fill_bps
    })
}

/// An instruction's fixture: its data, the values it encodes (`args`, as the TypeScript
/// coder decodes them), its account metas in order, and the builder's other inputs
/// (`inputs`: the keys and ids the builder takes besides `args`, named as the TypeScript
/// builder in `clients/ts` names them), so the TypeScript builder can be called with the
/// same inputs and must produce the same instruction.
pub(crate) fn instruction_json(name: &str, ix: &solana_sdk::instruction::Instruction, args: Value, inputs: Value) -> Value {
    json!({"name": name, "data": hex(&ix.data), "args": args, "accounts": metas_json(&ix.accounts), "inputs": inputs})
}

pub(crate) fn metas_json(metas: &[solana_sdk::instruction::AccountMeta]) -> Value {
    metas.iter().map(|a| json!({"pubkey": pk(&a.pubkey), "is_signer": a.is_signer, "is_writable": a.is_writable})).collect()
}

/// The inputs of a builder taking a proven leaf: the tree and the proof nodes (as keys,
/// the way they travel), plus `extra`.
fn leaf_inputs(leaf: &ix::ProvenLeaf, extra: Value) -> Value {
    let mut inputs = json!({
        "merkleTree": pk(&leaf.merkle_tree),
        "proof": leaf.proof.iter().map(|n| pk(&Pubkey::new_from_array(*n))).collect::<Vec<_>>(),
    });
    for (k, v) in extra.as_object().expect("an object") {
        inputs[k] = v.clone();
    }
    inputs
}

/// `distribute_rewards` has no SDK builder (only the emissions program sends it, by CPI):
/// its accounts as the program declares them.
fn distribute_rewards(amount: u64, reclaimed: u64) -> solana_sdk::instruction::Instruction {
    use anchor_lang::{InstructionData, ToAccountMetas};
    solana_sdk::instruction::Instruction {
        program_id: io_staking::ID,
        accounts: io_staking::accounts::DistributeRewards {
            distributor: io_sdk::pda::emissions_config(),
            config: io_sdk::pda::staking_config(),
            reward_vault: io_sdk::pda::staking_reward_vault(),
        }
        .to_account_metas(None),
        data: io_staking::instruction::DistributeRewards { amount, reclaimed }.data(),
    }
}

pub(crate) fn account_bytes<T: AccountSerialize>(account: &T) -> String {
    let mut data = vec![];
    account.try_serialize(&mut data).unwrap();
    hex(&data)
}

fn fixtures() -> Value {
    let registration = RegistrationParams {
        deposit_lamports: 10_000_000,
        max_pending_per_operator: 256,
        tree_max_depth: 20,
        tree_max_buffer_size: 64,
        tree_canopy_depth: 14,
        open_tree_fill_bps: 9_000,
    };
    let raised = RegistrationParams { deposit_lamports: 20_000_000, open_tree_fill_bps: 9_500, ..registration };
    let spec = HardwareSpec {
        gpu_model: 4,
        gpu_count: 2,
        cuda: CudaVersion { major: 12, minor: 4 },
        region: 0x8928308280fffff,
        gpu_uuids_hash: [0xab; 32],
    };
    let record = NodeRecord {
        version: NODE_RECORD_VERSION,
        node_id: key(7),
        operator: key(8),
        leaf_index: 1_000_001,
        gpu_model: 4,
        gpu_count: 2,
        tier: Tier::MidMarket,
        cuda: CudaVersion { major: 12, minor: 4 },
        region: 0x8928308280fffff,
        gpu_uuids_hash: [0xab; 32],
        status: NodeStatus::Verified,
        metrics: NodeMetrics { verified_centi_tflops: 8_012, rtt_us: 9_500, bandwidth_mbps: 2_500, packet_loss_bps: 3 },
        last_attested_epoch: 41,
        score: 9_731,
        registered_at: 1_790_000_000,
        deposit_lamports: 10_000_000,
        lease_end_epoch: 65,
    };
    let leaf = ix::ProvenLeaf { merkle_tree: key(9), root: [5; 32], record, proof: vec![[1; 32]; 6] };
    let model = GpuModelArgs {
        name: "H100".into(),
        tier: Tier::Enterprise,
        expected_centi_tflops: 6_690,
        min_cuda: CudaVersion { major: 11, minor: 8 },
    };
    let model_json =
        json!({"name": "H100", "tier": variant("Enterprise"), "expected_centi_tflops": 6690, "min_cuda": cuda(model.min_cuda)});
    let init = InitializeArgs { authority: key(1), oracles: vec![key(2), key(3)], threshold: 2, epoch_length_secs: 3600 };
    let measured = NodeMetrics { verified_centi_tflops: 6_400, rtt_us: 12_000, bandwidth_mbps: 20_000, packet_loss_bps: 0 };
    let shape = io_sdk::tree::TreeShape::MAINNET;
    let subject = ix::verdict_subject(&leaf, 42, Verdict::Verified, false, vec![[1; 16], [2; 16]]);

    let instructions: Vec<(&str, solana_sdk::instruction::Instruction, Value, Value)> = vec![
        (
            "initialize",
            ix::initialize(&key(1), &key(5), init),
            json!({"args": {"authority": pk(&key(1)), "oracles": [pk(&key(2)), pk(&key(3))], "threshold": 2, "epoch_length_secs": 3600}}),
            json!({"payer": pk(&key(1)), "deployer": pk(&key(5))}),
        ),
        (
            "propose_authority",
            ix::propose_authority(&key(1), &key(4)),
            json!({"new_authority": pk(&key(4))}),
            json!({"authority": pk(&key(1))}),
        ),
        ("accept_authority", ix::accept_authority(&key(4)), json!({}), json!({"newAuthority": pk(&key(4))})),
        (
            "set_oracles",
            ix::set_oracles(&key(1), (&[key(2), key(3)], 2), (&[key(2), key(5)], 1)),
            json!({"remove": [pk(&key(3))], "add": [pk(&key(5))], "expected_threshold": 2, "threshold": 1}),
            json!({"authority": pk(&key(1))}),
        ),
        ("add_gpu_model", ix::add_gpu_model(&key(1), model.clone()), json!({"args": model_json}), json!({"authority": pk(&key(1))})),
        (
            "update_gpu_model",
            ix::update_gpu_model(&key(1), 3, model.clone(), model),
            json!({"model_id": 3, "expected": model_json, "args": model_json}),
            json!({"authority": pk(&key(1))}),
        ),
        ("retire_gpu_model", ix::retire_gpu_model(&key(1), 3), json!({"model_id": 3}), json!({"authority": pk(&key(1))})),
        (
            "create_tree",
            ix::create_tree(&key(1), &key(1), &key(9), shape, 1)[1].clone(),
            json!({"max_depth": 20, "max_buffer_size": 64}),
            json!({"payer": pk(&key(1)), "authority": pk(&key(1)), "merkleTree": pk(&key(9))}),
        ),
        (
            "register_node",
            ix::register_node(&key(8), &key(7), &key(9), spec),
            json!({"spec": spec_json(&spec)}),
            json!({"operator": pk(&key(8)), "node": pk(&key(7)), "merkleTree": pk(&key(9))}),
        ),
        (
            "update_node",
            ix::update_node(&leaf, spec),
            json!({"root": vec![5u8; 32], "current": record_json(&record), "spec": spec_json(&spec)}),
            leaf_inputs(&leaf, json!({})),
        ),
        (
            "retire_node",
            ix::retire_node(&leaf),
            json!({"root": vec![5u8; 32], "current": record_json(&record)}),
            leaf_inputs(&leaf, json!({})),
        ),
        (
            "submit_verdict",
            ix::submit_verdict(&key(8), &key(2), &leaf, subject.clone(), measured),
            json!({"args": {
                "leaf_index": record.leaf_index,
                "subject": {
                    "epoch": "42",
                    "record_hash": record.leaf_hash().to_vec(),
                    "verdict": variant("Verified"),
                    "forfeit_deposit": false,
                    "gpu_ids": [vec![1u8; 16], vec![2u8; 16]],
                },
                "metrics": metrics(measured),
            }}),
            json!({"payer": pk(&key(8)), "oracle": pk(&key(2)), "merkleTree": pk(&key(9))}),
        ),
        ("close_ballot", ix::close_ballot(&key(4), &key(8)), json!({}), json!({"ballot": pk(&key(4)), "rentPayer": pk(&key(8))})),
        (
            "attest_node",
            ix::attest_node(&leaf, &key(8)),
            json!({"args": {"root": vec![5u8; 32], "current": record_json(&record)}}),
            leaf_inputs(&leaf, json!({"rentPayer": pk(&key(8))})),
        ),
        (
            "open_tree",
            ix::open_tree(&key(1), &key(9), &key(6), shape, 1)[1].clone(),
            json!({}),
            json!({"payer": pk(&key(1)), "activeTree": pk(&key(9)), "merkleTree": pk(&key(6))}),
        ),
        (
            "set_registration_params",
            ix::set_registration_params(&key(1), &registration, &raised),
            change_json(&registration_json(&registration), &registration_json(&raised), &["deposit_lamports", "open_tree_fill_bps"]),
            json!({"authority": pk(&key(1))}),
        ),
        (
            "sweep_forfeited_deposits",
            ix::sweep_forfeited_deposits(&key(1), &key(5)),
            json!({}),
            json!({"authority": pk(&key(1)), "destination": pk(&key(5))}),
        ),
        (
            "set_verification_lease",
            ix::set_verification_lease(&key(1), 12, 24),
            json!({"expected_lease_epochs": "12", "lease_epochs": "24"}),
            json!({"authority": pk(&key(1))}),
        ),
    ];

    let config = RegistryConfig {
        authority: key(1),
        pending_authority: Some(key(4)),
        oracles: vec![key(2), key(3), key(5)],
        threshold: 2,
        epoch_origin: 1_790_000_000,
        epoch_length_secs: 3600,
        active_tree: key(9),
        trees: vec![key(9)],
        registration,
        forfeited_lamports: 30_000_000,
        lease_epochs: 24,
        bump: 254,
    };
    let mut lapses = [LeaseLapse::default(); LEASE_RING];
    lapses[1] = LeaseLapse {
        end_epoch: 65,
        capacity: VerifiedCapacity { nodes_by_tier: [0, 1, 0], gpus_by_tier: [0, 2, 0], score_gpus_by_tier: [0, 19_462, 0] },
    };
    lapses[31] = LeaseLapse {
        end_epoch: 63,
        capacity: VerifiedCapacity { nodes_by_tier: [5, 5, 7], gpus_by_tier: [40, 10, 7], score_gpus_by_tier: [390_000, 90_538, 70_000] },
    };
    let lapses_json: Vec<Value> =
        lapses.iter().map(|l| json!({"end_epoch": l.end_epoch.to_string(), "capacity": capacity_json(&l.capacity)})).collect();
    let stats = OperatorStats {
        operator: key(8),
        nodes_by_status: [1, 2, 3, 4],
        verified: VerifiedCapacity { nodes_by_tier: [5, 6, 7], gpus_by_tier: [40, 12, 7], score_gpus_by_tier: [390_000, 110_000, 70_000] },
        settled_epoch: 41,
        lapses: Box::new(lapses),
        nodes_registered: 10,
        deposits_lamports: 70_000_000,
        verified_version: 11,
        epoch_origin: 1_790_000_000,
        epoch_length_secs: 3600,
        bump: 253,
    };
    let instructions: Vec<Value> = instructions
        .into_iter()
        .map(|(name, instruction, args, inputs)| {
            assert_eq!(instruction.program_id, io_registry::ID);
            instruction_json(name, &instruction, args, inputs)
        })
        .collect();
    // A node change as the registry logs it through the noop program (after its 8-byte
    // tag), which the IDL does not describe: the TypeScript client decodes it by hand.
    let node_event = NodeEvent {
        change: NodeChange::Attested,
        tree: key(9),
        record,
        epoch: 42,
        oracles: vec![key(2), key(3)],
        gpu_ids: vec![[1; GPU_ID_LEN], [2; GPU_ID_LEN]],
    };
    let proposed = AuthorityProposed { current: key(1), proposed: key(4) };
    json!({
        "program": io_registry::ID.to_string(),
        "idl": "idl/registry.json",
        "instructions": instructions,
        "node_events": [{
            "tag": hex(&NODE_EVENT_TAG),
            "data": hex(&anchor_lang::AnchorSerialize::try_to_vec(&node_event).unwrap()),
            "fields": {
                "change": variant("Attested"), "tree": pk(&key(9)), "record": record_json(&record), "epoch": "42",
                "oracles": [pk(&key(2)), pk(&key(3))], "gpu_ids": [vec![1u8; GPU_ID_LEN], vec![2u8; GPU_ID_LEN]]
            }
        }],
        "events": [{
            "name": "AuthorityProposed",
            "data": hex(&anchor_lang::Event::data(&proposed)),
            "fields": {"current": pk(&key(1)), "proposed": pk(&key(4))}
        }],
        "accounts": [
            {
                "name": "RegistryConfig",
                "discriminator": RegistryConfig::DISCRIMINATOR.to_vec(),
                "data": account_bytes(&config),
                "fields": {
                    "authority": pk(&key(1)), "pending_authority": pk(&key(4)), "oracles": [pk(&key(2)), pk(&key(3)), pk(&key(5))],
                    "threshold": 2, "epoch_origin": "1790000000", "epoch_length_secs": 3600, "active_tree": pk(&key(9)),
                    "trees": [pk(&key(9))], "registration": registration_json(&registration),
                    "forfeited_lamports": "30000000", "lease_epochs": "24", "bump": 254
                }
            },
            {
                "name": "OperatorStats",
                "discriminator": OperatorStats::DISCRIMINATOR.to_vec(),
                "data": account_bytes(&stats),
                "fields": {
                    "operator": pk(&key(8)), "nodes_by_status": [1, 2, 3, 4], "verified": capacity_json(&stats.verified),
                    "settled_epoch": "41", "lapses": lapses_json, "nodes_registered": "10",
                    "deposits_lamports": "70000000", "verified_version": "11", "epoch_origin": "1790000000",
                    "epoch_length_secs": 3600, "bump": 253
                }
            }
        ],
    })
}

fn staking_fixtures() -> Value {
    use io_sdk::staking as sx;
    use io_staking::{OperatorStake, RewardPool, SlashDestination, SlashReason, StakingConfig, StakingParams, UnbondingEntry};
    let params = StakingParams {
        min_stake_per_gpu: [10_000_000_000, 2_000_000_000, 200_000_000],
        multiplier_bps: [15_000, 12_000, 10_000],
        unbonding_secs: 1_209_600,
        max_slash_bps: 5_000,
        challenge_secs: 259_200,
        slash_destination: SlashDestination::Burn,
    };
    let params_json = json!({
        "min_stake_per_gpu": ["10000000000", "2000000000", "200000000"], "multiplier_bps": [15000, 12000, 10000],
        "unbonding_secs": 1209600, "max_slash_bps": 5000, "challenge_secs": 259200, "slash_destination": variant("Burn")
    });
    let instructions: Vec<(&str, solana_sdk::instruction::Instruction, Value, Value)> = vec![
        (
            "initialize_staking",
            sx::initialize_staking(&key(1), &key(5), &key(2), &key(3), &key(4), params),
            json!({"authority": pk(&key(2)), "reward_distributor": pk(&io_sdk::pda::emissions_config()), "params": params_json}),
            json!({"payer": pk(&key(1)), "deployer": pk(&key(5)), "ioMint": pk(&key(3)), "treasury": pk(&key(4))}),
        ),
        (
            "propose_authority",
            sx::propose_authority(&key(2), &key(9)),
            json!({"new_authority": pk(&key(9))}),
            json!({"authority": pk(&key(2))}),
        ),
        ("accept_authority", sx::accept_authority(&key(9)), json!({}), json!({"newAuthority": pk(&key(9))})),
        ("distribute_rewards", distribute_rewards(77, 5), json!({"amount": "77", "reclaimed": "5"}), json!({})),
        (
            "set_params",
            sx::set_params(&key(2), Some(&key(4)), &params, &StakingParams { max_slash_bps: 4_000, ..params }),
            change_json(&params_json, &json!({"max_slash_bps": 4000}), &["max_slash_bps"]),
            json!({"authority": pk(&key(2)), "treasury": pk(&key(4))}),
        ),
        (
            "set_params",
            sx::set_params(&key(2), None, &params, &StakingParams { max_slash_bps: 4_000, ..params }),
            change_json(&params_json, &json!({"max_slash_bps": 4000}), &["max_slash_bps"]),
            json!({"authority": pk(&key(2)), "treasury": null}),
        ),
        (
            "deposit",
            sx::deposit(&key(5), &key(3), &key(6), 12_345_678),
            json!({"amount": "12345678"}),
            json!({"operator": pk(&key(5)), "ioMint": pk(&key(3)), "operatorTokens": pk(&key(6))}),
        ),
        ("request_unstake", sx::request_unstake(&key(5), 1_000), json!({"amount": "1000"}), json!({"operator": pk(&key(5))})),
        (
            "withdraw",
            sx::withdraw(&key(5), &key(3), &key(6), 7),
            json!({"entry": 7}),
            json!({"operator": pk(&key(5)), "ioMint": pk(&key(3)), "operatorTokens": pk(&key(6))}),
        ),
        ("refresh_weight", sx::refresh_weight(&key(5)), json!({}), json!({"operator": pk(&key(5))})),
        (
            "claim_rewards",
            sx::claim_rewards(&key(5), &key(3), &key(6)),
            json!({}),
            json!({"operator": pk(&key(5)), "ioMint": pk(&key(3)), "operatorTokens": pk(&key(6))}),
        ),
        (
            "propose_slash",
            sx::propose_slash(&key(1), &key(5), 9, 5_000, SlashReason::FailedAudit, [3; 32], &[key(7), key(8)]),
            json!({"args": {"operator": pk(&key(5)), "amount": "5000", "reason": variant("FailedAudit"), "evidence_hash": vec![3u8; 32], "oracle_signers": 2}}),
            json!({"payer": pk(&key(1)), "id": "9", "oracles": [pk(&key(7)), pk(&key(8))]}),
        ),
        (
            "veto_slash",
            sx::veto_slash(&key(2), &key(5), 9),
            json!({}),
            json!({"authority": pk(&key(2)), "operator": pk(&key(5)), "id": "9"}),
        ),
        (
            "execute_slash",
            sx::execute_slash(&key(5), 9, &key(3), &key(4)),
            json!({}),
            json!({"operator": pk(&key(5)), "id": "9", "ioMint": pk(&key(3)), "treasury": pk(&key(4))}),
        ),
        ("close_slash_proposal", sx::close_slash_proposal(9, &key(6)), json!({}), json!({"id": "9", "rentPayer": pk(&key(6))})),
    ];
    let mut expiring = [io_staking::WeightLapse::default(); io_staking::WEIGHT_LEASE_RING];
    expiring[4] = io_staking::WeightLapse { end_epoch: 36, weight: 150, unpaid: 41 };
    expiring[31] = io_staking::WeightLapse { end_epoch: 63, weight: 250, unpaid: 0 };
    let mut lapse_history = [io_staking::LapseMark::default(); io_staking::LAPSE_HISTORY];
    lapse_history[3] = io_staking::LapseMark { epoch: 3, accumulator: u128::MAX - 5, unpaid: u64::MAX };
    lapse_history[63] = io_staking::LapseMark { epoch: 63, accumulator: 1 << 100, unpaid: 2 };
    let pool = RewardPool {
        accumulator: (1u128 << 90) + 7,
        distributions: 35,
        earning_weight: 400,
        lapsed_through_epoch: 33,
        expiring: Box::new(expiring),
        lapse_history: Box::new(lapse_history),
        total_distributed: 1_000,
        total_claimed: 600,
        earning_since: 1_790_000_042,
        forfeited: 13,
        total_reclaimed: 21,
    };
    let pool_json = json!({
        "accumulator": pool.accumulator.to_string(), "distributions": "35", "earning_weight": "400",
        "lapsed_through_epoch": "33",
        "expiring": expiring.iter().map(|b| json!({"end_epoch": b.end_epoch.to_string(), "weight": b.weight.to_string(), "unpaid": b.unpaid.to_string()})).collect::<Vec<_>>(),
        "lapse_history": lapse_history.iter().map(|m| json!({"epoch": m.epoch.to_string(), "accumulator": m.accumulator.to_string(), "unpaid": m.unpaid.to_string()})).collect::<Vec<_>>(),
        "total_distributed": "1000", "total_claimed": "600", "earning_since": "1790000042",
        "forfeited": "13", "total_reclaimed": "21"
    });
    let config = StakingConfig {
        authority: key(2),
        pending_authority: None,
        io_mint: key(3),
        vault: key(10),
        treasury: key(4),
        params,
        total_bonded: 7,
        total_unbonding: 8,
        total_weight: 9,
        total_slashed: 10,
        next_slash_id: 11,
        reward_vault: key(12),
        reward_distributor: key(13),
        rewards: pool,
        registry_epoch_origin: 1_790_000_000,
        registry_epoch_length_secs: 3600,
        total_bonded_since: 1_700_000_123,
        total_bonded_prior: 6,
        bump: 250,
        vault_bump: 251,
        reward_vault_bump: 252,
    };
    let mut bond_history = [io_staking::BondCheckpoint::default(); io_staking::BOND_HISTORY];
    bond_history[0] = io_staking::BondCheckpoint { since: 1_700_000_000, bonded: 100 };
    bond_history[7] = io_staking::BondCheckpoint { since: -5, bonded: u64::MAX };
    let mut unbonding = [UnbondingEntry::default(); io_staking::MAX_UNBONDING_ENTRIES];
    unbonding[1] = UnbondingEntry { amount: 500, release_at: 1_800_000_000 };
    let stake = OperatorStake {
        operator: key(5),
        bonded: 100,
        unbonding,
        pending_slash: 20,
        weight: 150,
        registry_version: 3,
        reward_checkpoint: (1u128 << 80) + 3,
        lease_end: 36,
        accrued_rewards: 44,
        claimed_rewards: 55,
        bond_history,
        bond_checkpoints: 9,
        bump: 249,
    };
    let history_json: Vec<Value> =
        bond_history.iter().map(|c| json!({"since": c.since.to_string(), "bonded": c.bonded.to_string()})).collect();
    let unbonding_json: Vec<Value> =
        unbonding.iter().map(|e| json!({"amount": e.amount.to_string(), "release_at": e.release_at.to_string()})).collect();
    json!({
        "program": io_staking::ID.to_string(),
        "idl": "idl/staking.json",
        "instructions": instructions.into_iter().map(|(name, i, args, inputs)| {
            assert_eq!(i.program_id, io_staking::ID);
            instruction_json(name, &i, args, inputs)
        }).collect::<Vec<_>>(),
        "accounts": [
            {
                "name": "StakingConfig",
                "discriminator": StakingConfig::DISCRIMINATOR.to_vec(),
                "data": account_bytes(&config),
                "fields": {
                    "authority": pk(&key(2)), "pending_authority": null, "io_mint": pk(&key(3)), "vault": pk(&key(10)), "treasury": pk(&key(4)),
                    "params": params_json, "total_bonded": "7", "total_unbonding": "8", "total_weight": "9", "total_slashed": "10",
                    "next_slash_id": "11", "reward_vault": pk(&key(12)), "reward_distributor": pk(&key(13)), "rewards": pool_json,
                    "registry_epoch_origin": "1790000000", "registry_epoch_length_secs": 3600,
                    "total_bonded_since": "1700000123", "total_bonded_prior": "6",
                    "bump": 250, "vault_bump": 251, "reward_vault_bump": 252
                }
            },
            {
                "name": "OperatorStake",
                "discriminator": OperatorStake::DISCRIMINATOR.to_vec(),
                "data": account_bytes(&stake),
                "fields": {
                    "operator": pk(&key(5)), "bonded": "100", "unbonding": unbonding_json, "pending_slash": "20", "weight": "150",
                    "registry_version": "3", "reward_checkpoint": ((1u128 << 80) + 3).to_string(), "lease_end": "36",
                    "accrued_rewards": "44", "claimed_rewards": "55", "bond_history": history_json,
                    "bond_checkpoints": "9", "bump": 249
                }
            }
        ],
    })
}

pub(crate) fn check_fixture(name: &str, value: Value) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/{name}.json"));
    let text = serde_json::to_string_pretty(&value).unwrap() + "\n";
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("tests/fixtures/{name}.json (UPDATE_FIXTURES=1 writes it)"));
    assert!(committed == text, "tests/fixtures/{name}.json is stale: run with UPDATE_FIXTURES=1 and commit");
}

fn emissions_fixtures() -> Value {
    use io_emissions::{Cursor, EmissionParams, EmissionsConfig, InitializeEmissionsArgs};
    use io_sdk::emissions as ex;
    let params = EmissionParams { yearly_share_bps: 5_000, breaker_window_secs: 86_400, breaker_max_mint: 2_000_000_000_000 };
    let params_json = json!({"yearly_share_bps": 5000, "breaker_window_secs": 86400, "breaker_max_mint": "2000000000000"});
    let args = InitializeEmissionsArgs {
        authority: key(2),
        params,
        epoch_secs: 3_600,
        epochs_per_year: 8_760,
        start_ts: 1_790_000_000,
        reserve: 700_000_000_000_000,
    };
    let instructions: Vec<(&str, solana_sdk::instruction::Instruction, Value, Value)> = vec![
        (
            "initialize_emissions",
            ex::initialize_emissions(&key(1), &key(5), &key(2), &key(3), args),
            json!({"args": {"authority": pk(&key(2)), "params": params_json, "epoch_secs": 3600, "epochs_per_year": 8760, "start_ts": "1790000000", "reserve": "700000000000000"}}),
            json!({"payer": pk(&key(1)), "deployer": pk(&key(5)), "mintAuthority": pk(&key(2)), "ioMint": pk(&key(3))}),
        ),
        (
            "propose_authority",
            ex::propose_authority(&key(2), &key(9)),
            json!({"new_authority": pk(&key(9))}),
            json!({"authority": pk(&key(2))}),
        ),
        ("accept_authority", ex::accept_authority(&key(9)), json!({}), json!({"newAuthority": pk(&key(9))})),
        (
            "set_emission_params",
            ex::set_emission_params(&key(2), &params, &EmissionParams { breaker_max_mint: 7, ..params }),
            change_json(&params_json, &json!({"breaker_max_mint": "7"}), &["breaker_max_mint"]),
            json!({"authority": pk(&key(2))}),
        ),
        (
            "extend_reserve",
            ex::extend_reserve(&key(2), 700_000_000_000_000, 5),
            json!({"expected_reserve": "700000000000000", "amount": "5"}),
            json!({"authority": pk(&key(2))}),
        ),
        ("advance_epoch", ex::advance_epoch(&key(3)), json!({}), json!({"ioMint": pk(&key(3))})),
    ];
    let config = EmissionsConfig {
        authority: key(2),
        pending_authority: Some(key(9)),
        io_mint: key(3),
        staking_config: key(4),
        reward_vault: key(5),
        params,
        epoch_secs: 3_600,
        epochs_per_year: 8_760,
        start_ts: 1_790_000_000,
        supply_cap: 800_000_000_000_000,
        genesis_supply: 100_000_000_000_000,
        reserve: 700_000_000_000_000,
        total_minted: 100_000_039_954_337,
        next_epoch: 1,
        cursor: Cursor { year: 1, epoch_in_year: 1, year_total: 350_000_000_000_000, unscheduled: 350_000_000_000_000 },
        held_back: 12,
        reclaimed: 5,
        breaker: io_emissions::RollingWindow { slot_secs: 3_600, newest_slot: 497_222, amounts: rolling_amounts(39_954_337) },
        bump: 253,
    };
    json!({
        "program": io_emissions::ID.to_string(),
        "idl": "idl/emissions.json",
        "instructions": instructions.into_iter().map(|(name, i, args, inputs)| {
            assert_eq!(i.program_id, io_emissions::ID);
            instruction_json(name, &i, args, inputs)
        }).collect::<Vec<_>>(),
        "accounts": [{
            "name": "EmissionsConfig",
            "discriminator": EmissionsConfig::DISCRIMINATOR.to_vec(),
            "data": account_bytes(&config),
            "fields": {
                "authority": pk(&key(2)), "pending_authority": pk(&key(9)), "io_mint": pk(&key(3)), "staking_config": pk(&key(4)),
                "reward_vault": pk(&key(5)), "params": params_json, "epoch_secs": 3600, "epochs_per_year": 8760,
                "start_ts": "1790000000", "supply_cap": "800000000000000", "genesis_supply": "100000000000000",
                "reserve": "700000000000000", "total_minted": "100000039954337", "next_epoch": "1",
                "cursor": {"year": 1, "epoch_in_year": 1, "year_total": "350000000000000", "unscheduled": "350000000000000"},
                "held_back": "12", "reclaimed": "5",
                "breaker": {"slot_secs": 3600, "newest_slot": "497222", "amounts": rolling_amounts_json(39_954_337)}, "bump": 253
            }
        }],
    })
}

fn treasury_fixtures() -> Value {
    use io_sdk::treasury as tx;
    use io_treasury::{Asset, DemandPeriod, TreasuryConfig, TreasuryParams, TreasuryTotals, DEMAND_HISTORY};
    let params = TreasuryParams {
        fee_bps: 200,
        gateway: key(7),
        gateway_cap: 1_000_000_000_000,
        gateway_period_secs: 86_400,
        price_feed_id: [0x10; 32],
        max_price_age_secs: 60,
        max_conf_bps: 200,
        max_slippage_bps: 100,
        max_fill: 50_000_000_000,
    };
    let params_json = json!({
        "fee_bps": 200, "gateway": pk(&key(7)), "gateway_cap": "1000000000000", "gateway_period_secs": 86400,
        "price_feed_id": vec![0x10u8; 32], "max_price_age_secs": 60, "max_conf_bps": 200, "max_slippage_bps": 100,
        "max_fill": "50000000000"
    });
    let r = [0xAB; 32];
    let instructions: Vec<(&str, solana_sdk::instruction::Instruction, Value, Value)> = vec![
        (
            "initialize_treasury",
            tx::initialize_treasury(&key(1), &key(5), &key(2), &key(3), params, 2_592_000),
            json!({"authority": pk(&key(2)), "params": params_json, "demand_period_secs": 2592000}),
            json!({"payer": pk(&key(1)), "deployer": pk(&key(5)), "ioMint": pk(&key(3))}),
        ),
        (
            "propose_authority",
            tx::propose_authority(&key(2), &key(9)),
            json!({"new_authority": pk(&key(9))}),
            json!({"authority": pk(&key(2))}),
        ),
        ("accept_authority", tx::accept_authority(&key(9)), json!({}), json!({"newAuthority": pk(&key(9))})),
        (
            "set_treasury_params",
            tx::set_treasury_params(&key(2), &params, &TreasuryParams { fee_bps: 150, gateway: key(8), ..params }),
            change_json(&params_json, &json!({"fee_bps": 150, "gateway": pk(&key(8))}), &["fee_bps", "gateway"]),
            json!({"authority": pk(&key(2))}),
        ),
        (
            "mint_iosd",
            tx::mint_iosd(&key(7), &key(8), 5_000),
            json!({"amount": "5000"}),
            json!({"gateway": pk(&key(7)), "to": pk(&key(8))}),
        ),
        (
            "redeem_iosd",
            tx::redeem_iosd(&key(8), &key(6), 4_000, r),
            json!({"amount": "4000", "reference": r.to_vec()}),
            json!({"holder": pk(&key(8)), "holderIosd": pk(&key(6))}),
        ),
        (
            "pay_with_iosd",
            tx::pay_with_iosd(&key(8), &key(6), 1_000_000, r),
            json!({"amount": "1000000", "reference": r.to_vec()}),
            json!({"payer": pk(&key(8)), "payerIosd": pk(&key(6))}),
        ),
        (
            "pay_with_io",
            tx::pay_with_io(&key(8), &key(3), &key(6), 2_000_000, r),
            json!({"amount": "2000000", "reference": r.to_vec()}),
            json!({"payer": pk(&key(8)), "ioMint": pk(&key(3)), "payerIo": pk(&key(6))}),
        ),
        (
            "buyback_and_burn",
            tx::buyback_and_burn(&key(8), &key(3), &key(5), &key(6), &key(4), 10_000, 19_800),
            json!({"iosd_amount": "10000", "io_amount": "19800"}),
            json!({"keeper": pk(&key(8)), "ioMint": pk(&key(3)), "keeperIo": pk(&key(5)), "keeperIosd": pk(&key(6)), "priceUpdate": pk(&key(4))}),
        ),
        (
            "grant",
            tx::grant(&key(2), &key(3), Asset::Iosd, &key(6), 77),
            json!({"asset": variant("Iosd"), "amount": "77"}),
            json!({"authority": pk(&key(2)), "ioMint": pk(&key(3)), "recipient": pk(&key(6))}),
        ),
        (
            "grant",
            tx::grant(&key(2), &key(3), Asset::Io, &key(6), 78),
            json!({"asset": variant("Io"), "amount": "78"}),
            json!({"authority": pk(&key(2)), "ioMint": pk(&key(3)), "recipient": pk(&key(6))}),
        ),
    ];
    let totals = TreasuryTotals {
        iosd_minted: 1,
        iosd_redeemed: 2,
        iosd_paid: 3,
        iosd_fee: 4,
        iosd_to_pool: 5,
        iosd_spent_on_buybacks: 6,
        io_bought_and_burned: 7,
        io_paid: 8,
        io_fee: 9,
        io_burned_from_payments: 10,
        iosd_granted: 11,
        io_granted: 12,
    };
    let totals_json = json!({
        "iosd_minted": "1", "iosd_redeemed": "2", "iosd_paid": "3", "iosd_fee": "4", "iosd_to_pool": "5", "iosd_spent_on_buybacks": "6",
        "io_bought_and_burned": "7", "io_paid": "8", "io_fee": "9", "io_burned_from_payments": "10", "iosd_granted": "11", "io_granted": "12"
    });
    let mut periods = [DemandPeriod::default(); DEMAND_HISTORY];
    periods[2] = DemandPeriod { index: 14, iosd_paid: 100, io_paid: 200, io_burned: 300 };
    let periods_json: Vec<Value> = periods
        .iter()
        .map(|p| json!({"index": p.index.to_string(), "iosd_paid": p.iosd_paid.to_string(), "io_paid": p.io_paid.to_string(), "io_burned": p.io_burned.to_string()}))
        .collect();
    let config = TreasuryConfig {
        authority: key(2),
        pending_authority: None,
        io_mint: key(3),
        iosd_mint: key(11),
        iosd_vault: key(12),
        io_vault: key(13),
        pool_vault: key(14),
        params,
        origin_ts: 1_790_000_000,
        demand_period_secs: 2_592_000,
        gateway_minted: io_treasury::RollingWindow { slot_secs: 3_600, newest_slot: 497_222, amounts: rolling_amounts(42) },
        totals,
        periods,
        bump: 254,
    };
    json!({
        "program": io_treasury::ID.to_string(),
        "idl": "idl/treasury.json",
        "instructions": instructions.into_iter().map(|(name, i, args, inputs)| {
            assert_eq!(i.program_id, io_treasury::ID);
            instruction_json(name, &i, args, inputs)
        }).collect::<Vec<_>>(),
        "accounts": [{
            "name": "TreasuryConfig",
            "discriminator": TreasuryConfig::DISCRIMINATOR.to_vec(),
            "data": account_bytes(&config),
            "fields": {
                "authority": pk(&key(2)), "pending_authority": null, "io_mint": pk(&key(3)), "iosd_mint": pk(&key(11)),
                "iosd_vault": pk(&key(12)), "io_vault": pk(&key(13)), "pool_vault": pk(&key(14)), "params": params_json,
                "origin_ts": "1790000000", "demand_period_secs": 2592000, "gateway_minted": {"slot_secs": 3600, "newest_slot": "497222", "amounts": rolling_amounts_json(42)},
                "totals": totals_json, "periods": periods_json, "bump": 254
            }
        }],
    })
}

#[test]
fn the_treasury_idl_fixture_matches_the_rust_encoding() {
    check_fixture("treasury", treasury_fixtures());
}

#[test]
fn the_emissions_idl_fixture_matches_the_rust_encoding() {
    check_fixture("emissions", emissions_fixtures());
}

#[test]
fn the_staking_idl_fixture_matches_the_rust_encoding() {
    check_fixture("staking", staking_fixtures());
}

#[test]
fn the_idl_client_fixture_matches_the_rust_encoding() {
    check_fixture("registry", fixtures());
}

/// A rolling window's ring with `newest` in slot 497,222 (and a smaller amount two slots
/// before, so the encoding of more than one slot is checked).
fn rolling_amounts(newest: u64) -> [u64; io_math::RATE_SLOTS] {
    let mut amounts = [0u64; io_math::RATE_SLOTS];
    amounts[497_222 % io_math::RATE_SLOTS] = newest;
    amounts[497_220 % io_math::RATE_SLOTS] = 7;
    amounts
}

fn rolling_amounts_json(newest: u64) -> Value {
    rolling_amounts(newest).iter().map(|a| Value::String(a.to_string())).collect()
}
