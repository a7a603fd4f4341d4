//! 500 random deposit / unstake / withdraw / slash sequences, one fresh operator each
//! with a verified H100 (so its bond requirement, 10,000 IO, binds an unstake), on one
//! bank: after every step the vault holds exactly bonded + unbonding, the totals equal the
//! operators' sums, and pending slashes never exceed a stake. Several slashes are proposed
//! and executed per sequence; the counts of what each path reached are asserted.

use io_sdk::client::Chain;
use io_sdk::client::Refusal;
use io_sdk::staking as sx;
use io_staking::{SlashReason, StakingError};
use io_tests::figures::figure;
use io_tests::Harness;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
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
    /// Executes a proposal: the first whose challenge window is over and that is still
    /// pending, as a keeper would pick, or else the one at this index (to be refused).
    Execute(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => (1u64..15_000).prop_map(|io| Op::Deposit(io * IO)),
        2 => (1u64..15_000).prop_map(|io| Op::Unstake(io * IO)),
        1 => (0u8..9).prop_map(Op::Withdraw),
        // Inside the 7-day challenge window, or past it (and past the 14-day unbonding).
        3 => prop::sample::select(vec![1i64, 2, 8, 8, 15]).prop_map(|days| Op::Wait(days * 24 * 3600)),
        4 => (1u16..3_000).prop_map(Op::Propose),
        1 => Just(Op::Veto),
        4 => (0u8..8).prop_map(Op::Execute),
    ]
}

#[test]
fn vault_invariant_holds_over_random_sequences_with_verified_hardware_and_slashes() {
    let harness = RefCell::new(Harness::new());
    let (mint, treasury, a, b, authority) = {
        let h = harness.borrow();
        (h.io_mint, h.treasury, h.oracles[0].insecure_clone(), h.oracles[1].insecure_clone(), h.authority.insecure_clone())
    };
    // A fixed seed (PROPTEST_RNG_SEED picks another): with a random one, the sequences with
    // two slashes (about 10 of 500) once fell to 3, and the path-coverage bound below
    // failed a correct build.
    let seeded = Config::default();
    let rng_seed = if std::env::var_os("PROPTEST_RNG_SEED").is_some() { seeded.rng_seed } else { RngSeed::Fixed(0x10_5eed) };
    let mut runner = TestRunner::new(Config { cases: 500, failure_persistence: None, rng_seed, ..seeded });
    let outcomes = RefCell::new([0u32; 2]);
    let cases = RefCell::new(0u32);
    // Slashes executed, sequences with two or more, and unstakes refused because the
    // verified hardware still needs the bond.
    let (executed, multi, bond_binds) = (RefCell::new(0u32), RefCell::new(0u32), RefCell::new(0u32));
    runner
        .run(&prop::collection::vec(op(), 1..14), |ops| {
            let h = &mut *harness.borrow_mut();
            let operator: Keypair = h.operator();
            let tokens = h.fund_io(&operator.pubkey(), 32_000 * IO);
            let seed = u64::from(*cases.borrow());
            let spec = h.spec("H100", 1, seed);
            let (node, _) = h.register(&operator, spec);
            h.next_epoch();
            h.verify(&node.pubkey());
            // Bonded from the start (above the H100's 10,000 IO), so a slash can be proposed
            // at once and an unstake soon meets the requirement.
            h.ok(&[sx::deposit(&operator.pubkey(), &mint, &tokens, 12_000 * IO)], &[&operator]);
            let mut proposals: Vec<u64> = vec![];
            let mut executed_here = 0;
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
                    Op::Execute(i) if !proposals.is_empty() => {
                        let now = h.net.unix_time().unwrap();
                        let ready = proposals.iter().copied().find(|id| {
                            io_sdk::client::fetch_opt::<io_staking::SlashProposal>(&mut h.net, &io_sdk::pda::slash_proposal(*id))
                                .unwrap()
                                .is_some_and(|p| p.status == io_staking::SlashStatus::Pending && p.executable_at <= now)
                        });
                        let id = ready.unwrap_or(proposals[usize::from(i) % proposals.len()]);
                        (vec![sx::execute_slash(&operator.pubkey(), id, &mint, &treasury)], vec![])
                    }
                    Op::Execute(_) => continue,
                };
                // Refusals are part of the game; the invariants must hold either way.
                let is_execute = matches!(op, Op::Execute(_));
                let result = h.net.send(&ixs, &signers);
                outcomes.borrow_mut()[usize::from(result.is_ok())] += 1;
                match &result {
                    Ok(_) if is_execute => executed_here += 1,
                    Err(e) if Refusal::of(e) == Some(StakingError::BondStillNeeded.into()) => *bond_binds.borrow_mut() += 1,
                    _ => {}
                }
                h.check_vault_invariant();
                let stake =
                    io_sdk::client::fetch_opt::<io_staking::OperatorStake>(&mut h.net, &io_sdk::pda::operator_stake(&operator.pubkey()))
                        .unwrap();
                if let Some(stake) = stake {
                    prop_assert!(stake.pending_slash <= stake.slashable().unwrap());
                }
            }
            *executed.borrow_mut() += executed_here;
            *multi.borrow_mut() += u32::from(executed_here >= 2);
            *cases.borrow_mut() += 1;
            if cases.borrow().is_multiple_of(100) {
                h.check_staking_invariants();
            }
            Ok(())
        })
        .unwrap();
    harness.borrow_mut().check_staking_invariants();
    let outcomes = outcomes.into_inner();
    let section = "Property test: staking (500 sequences with verified hardware)";
    figure(section, "operations accepted / refused", format!("{} / {}", outcomes[1], outcomes[0]));
    assert!(outcomes[1] >= 500 && outcomes[0] >= 500, "the sequences must exercise both paths: {outcomes:?}");
    let (executed, multi, bond_binds) = (executed.into_inner(), multi.into_inner(), bond_binds.into_inner());
    figure(section, "slashes executed", executed);
    figure(section, "sequences with two or more slashes", multi);
    figure(section, "unstakes refused with BondStillNeeded", bond_binds);
    // About 75 / 10 / 130 in a run: half of that at least, or the sequences stopped
    // reaching the slash and bond paths.
    assert!(executed >= 40 && multi >= 5 && bond_binds >= 60, "{executed} / {multi} / {bond_binds}");
}
