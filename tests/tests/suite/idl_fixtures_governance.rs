//! The governance program's IDL fixture (see `idl_fixtures.rs`): instruction and account
//! bytes from the SDK builders and account types, with the values the TypeScript client
//! must decode from them through `idl/governance.json`.

use crate::idl_fixtures::{account_bytes, change_json, check_fixture, key, pk, variant};
use anchor_lang::Discriminator;
use io_governance::*;
use io_sdk::governance as gx;
use serde_json::{json, Value};

fn params_json() -> Value {
    json!({
        "voting_period_secs": 259200, "quorum_bps": 1000, "approval_bps": 6000, "timelock_secs": 86400,
        "execution_window_secs": 604800, "proposal_threshold": "10000000000"
    })
}

fn stored_json(ix: &ProposalInstruction) -> Value {
    json!({
        "program_id": pk(&ix.program_id),
        "accounts": ix.accounts.iter().map(|a| json!({"pubkey": pk(&a.pubkey), "is_signer": a.is_signer, "is_writable": a.is_writable})).collect::<Vec<_>>(),
        "data": ix.data.clone(),
    })
}

fn governance_fixtures() -> Value {
    let params = GovernanceParams {
        voting_period_secs: 259_200,
        quorum_bps: 1_000,
        approval_bps: 6_000,
        timelock_secs: 86_400,
        execution_window_secs: 604_800,
        proposal_threshold: 10_000_000_000,
    };
    let action = gx::to_proposal_instruction(&io_sdk::staking::veto_slash(&io_sdk::pda::dao(), &key(5), 3));
    let bootstrap: Vec<Value> = gx::bootstrap_instructions().iter().map(stored_json).collect();
    let hash = [0x42; 32];
    let create = gx::create_proposal(
        &key(1),
        &key(2),
        7,
        hash,
        "https://gov.example/7",
        &[io_sdk::staking::veto_slash(&io_sdk::pda::dao(), &key(5), 3)],
    );
    // Each with its values, and the builder inputs the TypeScript client is called with.
    let instructions: Vec<(&str, solana_sdk::instruction::Instruction, Value, Value)> = vec![
        (
            "initialize_governance",
            gx::initialize_governance(&key(1), &key(5), &key(2), params),
            json!({"params": params_json(), "bootstrap": bootstrap}),
            json!({"payer": pk(&key(1)), "deployer": pk(&key(5)), "genesisAuthority": pk(&key(2))}),
        ),
        (
            "create_proposal",
            create,
            json!({"args": {"description_hash": hash.to_vec(), "link": "https://gov.example/7", "instructions": [stored_json(&action)]}}),
            json!({"payer": pk(&key(1)), "proposer": pk(&key(2)), "id": "7"}),
        ),
        (
            "cast_vote",
            gx::cast_vote(&key(3), 7, VoteChoice::Abstain),
            json!({"choice": variant("Abstain")}),
            json!({"voter": pk(&key(3)), "id": "7"}),
        ),
        ("close_vote_record", gx::close_vote_record(&key(3), 7), json!({}), json!({"voter": pk(&key(3)), "id": "7"})),
        ("cancel_proposal", gx::cancel_proposal(&key(2), 7), json!({}), json!({"proposer": pk(&key(2)), "id": "7"})),
        ("queue_proposal", gx::queue_proposal(7), json!({}), json!({"id": "7"})),
        (
            "execute_proposal",
            gx::execute_proposal(7, std::slice::from_ref(&action)),
            json!({}),
            json!({"id": "7", "instructions": [stored_json(&action)]}),
        ),
        (
            "set_governance_params",
            gx::set_governance_params(&params, &GovernanceParams { proposal_threshold: 5, ..params }),
            change_json(&params_json(), &json!({"proposal_threshold": "5"}), &["proposal_threshold"]),
            json!({}),
        ),
        (
            "draft_proposal",
            gx::draft_proposal(&key(1), &key(2), 8, hash, "https://gov.example/8", &[]),
            json!({"args": {"description_hash": hash.to_vec(), "link": "https://gov.example/8", "instructions": []}}),
            json!({"payer": pk(&key(1)), "proposer": pk(&key(2)), "id": "8"}),
        ),
        (
            "append_to_proposal",
            gx::append_to_proposal(&key(1), &key(2), 8, &[io_sdk::staking::veto_slash(&io_sdk::pda::dao(), &key(5), 3)]),
            json!({"instructions": [stored_json(&action)]}),
            json!({"payer": pk(&key(1)), "proposer": pk(&key(2)), "id": "8"}),
        ),
        ("open_proposal", gx::open_proposal(&key(2), 8), json!({}), json!({"proposer": pk(&key(2)), "id": "8"})),
    ];
    let config = GovernanceConfig { authority: key(9), params, proposal_count: 8, bump: 254, dao_bump: 253 };
    let proposal = Proposal {
        id: 7,
        proposer: key(2),
        description_hash: hash,
        link: "https://gov.example/7".into(),
        status: ProposalStatus::Queued,
        opened_at: 1_790_000_000,
        voting_ends_at: 1_790_259_200,
        stake_at_open: 123_456_789,
        params,
        yes: 60,
        no: 30,
        abstain: 10,
        voters: 3,
        executable_at: 1_790_345_600,
        expires_at: 1_790_950_400,
        executed_at: 0,
        bump: 252,
        instructions: vec![action.clone()],
    };
    let vote = VoteRecord { proposal: key(10), voter: key(3), choice: VoteChoice::No, weight: 30, bump: 251 };
    json!({
        "program": io_governance::ID.to_string(),
        "idl": "idl/governance.json",
        "instructions": instructions.into_iter().map(|(name, i, args, inputs)| {
            assert_eq!(i.program_id, io_governance::ID);
            crate::idl_fixtures::instruction_json(name, &i, args, inputs)
        }).collect::<Vec<_>>(),
        "accounts": [
            {
                "name": "GovernanceConfig",
                "discriminator": GovernanceConfig::DISCRIMINATOR.to_vec(),
                "data": account_bytes(&config),
                "fields": {"authority": pk(&key(9)), "params": params_json(), "proposal_count": "8", "bump": 254, "dao_bump": 253}
            },
            {
                "name": "Proposal",
                "discriminator": Proposal::DISCRIMINATOR.to_vec(),
                "data": account_bytes(&proposal),
                "fields": {
                    "id": "7", "proposer": pk(&key(2)), "description_hash": hash.to_vec(), "link": "https://gov.example/7",
                    "status": variant("Queued"), "opened_at": "1790000000", "voting_ends_at": "1790259200",
                    "stake_at_open": "123456789", "params": params_json(), "yes": "60", "no": "30", "abstain": "10",
                    "voters": "3", "executable_at": "1790345600", "expires_at": "1790950400", "executed_at": "0",
                    "bump": 252, "instructions": [stored_json(&action)]
                }
            },
            {
                "name": "VoteRecord",
                "discriminator": VoteRecord::DISCRIMINATOR.to_vec(),
                "data": account_bytes(&vote),
                "fields": {"proposal": pk(&key(10)), "voter": pk(&key(3)), "choice": variant("No"), "weight": "30", "bump": 251}
            }
        ],
    })
}

#[test]
fn the_governance_idl_fixture_matches_the_rust_encoding() {
    check_fixture("governance", governance_fixtures());
}
