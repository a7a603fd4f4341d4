//! 1,000 random deposit / unstake / withdraw / slash sequences, one fresh operator each,
//! on one bank: after every step the vault holds exactly bonded + unbonding, the totals
//! equal the operators' sums, and pending slashes never exceed a stake.

use io_sdk::client::Chain;
use io_sdk::staking as sx;
use io_staking::SlashReason;
use io_tests::Harness;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use solana_sdk::signature::{Keypair, Signer};
use std::cell::RefCell;

const IO: u64 = 1_000_000;

#[derive(Clone, Debug)]
enum Op {
    Deposit(u64),
    Unstake(u64),
    Withdraw(u8),
    Wait(i64),
    Propose(u16),
    Veto,
    Execute,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1u64..15_000).prop_map(|io| Op::Deposit(io * IO)),
        2 => (1u64..15_000).prop_map(|io| Op::Unstake(io * IO)),
        2 => (0u8..9).prop_map(Op::Withdraw),
        2 => (1i64..20).prop_map(|days| Op::Wait(days * 24 * 3600)),
        2 => (1u16..6_000).prop_map(Op::Propose),
        1 => Just(Op::Veto),
        2 => Just(Op::Execute),
    ]
}

#[test]
fn vault_invariant_holds_over_a_thousand_random_sequences() {
    let harness = RefCell::new(Harness::new());
    let (mint, treasury, a, b, authority) = {
        let h = harness.borrow();
        (h.io_mint, h.treasury, h.oracles[0].insecure_clone(), h.oracles[1].insecure_clone(), h.authority.insecure_clone())
    };
    let mut runner = TestRunner::new(Config { cases: 1_000, failure_persistence: None, ..Config::default() });
    let outcomes = RefCell::new([0u32; 2]);
    let cases = RefCell::new(0u32);
    runner
        .run(&prop::collection::vec(op(), 1..8), |ops| {
            let h = &mut *harness.borrow_mut();
            let operator: Keypair = h.operator();
            let tokens = h.fund_io(&operator.pubkey(), 20_000 * IO);
            let mut proposals: Vec<u64> = vec![];
            for op in ops {
                let (ixs, signers): (Vec<_>, Vec<&Keypair>) = match op {
                    Op::Deposit(amount) => (vec![sx::deposit(&operator.pubkey(), &mint, &tokens, amount)], vec![&operator]),
                    Op::Unstake(amount) => (vec![sx::request_unstake(&operator.pubkey(), amount)], vec![&operator]),
                    Op::Withdraw(entry) => (vec![sx::withdraw(&operator.pubkey(), &mint, &tokens, entry)], vec![&operator]),
                    Op::Wait(seconds) => {
                        h.net.warp_seconds(seconds);
                        continue;
                    }
                    Op::Propose(bps) => {
                        let config = h.staking_config();
                        let Ok(stake) = io_sdk::client::fetch::<io_staking::OperatorStake>(
                            &mut h.net,
                            &io_sdk::pda::operator_stake(&operator.pubkey()),
                        ) else {
                            continue;
                        };
                        let amount = (u128::from(stake.slashable().unwrap()) * u128::from(bps) / 10_000) as u64;
                        let keys = [a.pubkey(), b.pubkey()];
                        let payer = h.net.payer();
                        proposals.push(config.next_slash_id);
                        (
                            vec![sx::propose_slash(
                                &payer,
                                &operator.pubkey(),
                                config.next_slash_id,
                                amount,
                                SlashReason::Downtime,
                                [1; 32],
                                &keys,
                            )],
                            vec![&a, &b],
                        )
                    }
                    Op::Veto => match proposals.last() {
                        Some(id) => (vec![sx::veto_slash(&authority.pubkey(), &operator.pubkey(), *id)], vec![&authority]),
                        None => continue,
                    },
                    Op::Execute => match proposals.first() {
                        Some(id) => (vec![sx::execute_slash(&operator.pubkey(), *id, &mint, &treasury)], vec![]),
                        None => continue,
                    },
                };
                // Refusals are part of the game; the invariants must hold either way.
                let result = h.net.send(&ixs, &signers);
                outcomes.borrow_mut()[usize::from(result.is_ok())] += 1;
                h.check_vault_invariant();
                let stake =
                    io_sdk::client::fetch_opt::<io_staking::OperatorStake>(&mut h.net, &io_sdk::pda::operator_stake(&operator.pubkey()))
                        .unwrap();
                if let Some(stake) = stake {
                    prop_assert!(stake.pending_slash <= stake.slashable().unwrap());
                }
            }
            *cases.borrow_mut() += 1;
            if cases.borrow().is_multiple_of(100) {
                h.check_staking_invariants();
            }
            Ok(())
        })
        .unwrap();
    harness.borrow_mut().check_staking_invariants();
    let outcomes = outcomes.into_inner();
    println!("{} accepted and {} refused operations over 1,000 sequences", outcomes[1], outcomes[0]);
    assert!(outcomes[1] >= 500 && outcomes[0] >= 500, "the sequences must exercise both paths: {outcomes:?}");
}
