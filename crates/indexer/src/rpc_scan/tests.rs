//! The scan against a chain held in the test: programs whose transactions share slots,
//! pages of a few signatures, a chain that finalizes more slots while the scan runs, and
//! RPC calls that fail at random. Whatever happens, the transactions handed out in order
//! must be exactly the chain's successful ones, once each, in the chain's order.

use super::*;
use proptest::prelude::*;
use std::cell::Cell;

struct Tx {
    slot: u64,
    index: u64,
    signature: Signature,
    /// Which of the programs it invokes (one transaction can invoke several).
    programs: Vec<usize>,
    failed: bool,
}

/// A chain in the test, in the order it applied its transactions.
struct Chain {
    programs: Vec<Pubkey>,
    txs: Vec<Tx>,
    finalized: Cell<u64>,
    /// A call finalizes one more slot with this chance in 256.
    grow: u8,
    /// A call fails with this chance in 256.
    fail: u8,
    rng: Cell<u64>,
    failures: Cell<usize>,
    block_orders: Cell<usize>,
    grew: Cell<usize>,
}

impl Chain {
    fn random(&self) -> u8 {
        // xorshift64: reproducible from the case's seed.
        let mut x = self.rng.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng.set(x);
        (x >> 56) as u8
    }

    /// Every call may finalize a slot, then may fail.
    fn call(&self) -> anyhow::Result<()> {
        if self.random() < self.grow && self.finalized.get() < self.last_slot() {
            self.finalized.set(self.finalized.get() + 1);
            self.grew.set(self.grew.get() + 1);
        }
        if self.random() < self.fail {
            self.failures.set(self.failures.get() + 1);
            anyhow::bail!("the RPC node timed out");
        }
        Ok(())
    }

    fn last_slot(&self) -> u64 {
        self.txs.last().map_or(0, |t| t.slot)
    }
}

impl History for Chain {
    fn page(&self, program: &Pubkey, before: Option<Signature>, until: Option<Signature>, limit: usize) -> anyhow::Result<Vec<Listed>> {
        self.call()?;
        let p = self.programs.iter().position(|k| k == program).expect("one of the chain's programs");
        // Newest first, as getSignaturesForAddress lists them: finalized slots only.
        let mut listed = self.txs.iter().rev().filter(|t| t.slot <= self.finalized.get() && t.programs.contains(&p));
        if let Some(before) = before {
            listed.by_ref().find(|t| t.signature == before).expect("a page starts at a listed signature");
        }
        Ok(listed.take_while(|t| Some(t.signature) != until).take(limit).map(|t| (t.slot, t.signature, t.failed)).collect())
    }

    fn finalized_slot(&self) -> anyhow::Result<u64> {
        self.call()?;
        Ok(self.finalized.get())
    }

    fn block_order(&self, slot: u64, signatures: &[Signature]) -> anyhow::Result<Vec<(u64, Signature)>> {
        self.call()?;
        self.block_orders.set(self.block_orders.get() + 1);
        Ok(signatures
            .iter()
            .map(|s| {
                let tx = self.txs.iter().find(|t| t.signature == *s).expect("a listed signature");
                assert_eq!(tx.slot, slot);
                (tx.index, *s)
            })
            .collect())
    }
}

/// Transactions in slots 1.., `per_slot[i]` of them in slot i + 1, each invoking the
/// programs of its mask (at least one), failed when its flag says so.
fn chain(per_slot: &[u8], masks: &[u8], failed: &[bool], programs: usize) -> Vec<Tx> {
    let mut txs = vec![];
    for (i, &count) in per_slot.iter().enumerate() {
        for index in 0..u64::from(count) {
            let n = txs.len();
            let mask = masks[n % masks.len()] % (1 << programs);
            let invoked: Vec<usize> = (0..programs).filter(|p| mask & (1 << p) != 0).collect();
            let mut bytes = [0u8; 64];
            bytes[..8].copy_from_slice(&(n as u64 + 1).to_le_bytes());
            txs.push(Tx {
                slot: i as u64 + 1,
                index,
                signature: Signature::from(bytes),
                programs: if invoked.is_empty() { vec![n % programs] } else { invoked },
                failed: failed[n % failed.len()],
            });
        }
    }
    txs
}

/// What one case reached, counted over all cases.
#[derive(Default, Debug)]
struct Reached {
    cases: usize,
    several_pages: usize,
    failed_calls: usize,
    finalized_while_scanning: usize,
    shared_slots: usize,
    restarts: usize,
}

#[test]
fn scans_hand_out_every_successful_transaction_once_in_chain_order() {
    let strategy = (
        prop::collection::vec(0u8..4, 0..60),
        prop::collection::vec(any::<u8>(), 1..16),
        prop::collection::vec(prop::bool::weighted(0.15), 1..8),
        1usize..=5,
        1usize..6,
        (0u8..64, 0u8..48, 1u64..),
        prop::option::of(0usize..4),
    );
    let reached = std::cell::RefCell::new(Reached::default());
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(256));
    runner
        .run(&strategy, |(per_slot, masks, failed, programs, page_size, (grow, fail, seed), restart_before)| {
            let keys: Vec<Pubkey> = (0..programs).map(|_| Pubkey::new_unique()).collect();
            let txs = chain(&per_slot, &masks, &failed, programs);
            let first = txs.get(txs.len() / 3).map_or(0, |t| t.slot);
            let c = Chain {
                programs: keys.clone(),
                finalized: Cell::new(first),
                txs,
                grow,
                fail,
                rng: Cell::new(seed),
                failures: Cell::new(0),
                block_orders: Cell::new(0),
                grew: Cell::new(0),
            };
            // The indexer's loop: scans one after the other, a cursor past each transaction
            // handed out, and maybe a restart that keeps only the cursor.
            let mut handed: Vec<(u64, Signature)> = vec![];
            let mut newest = HashMap::new();
            let (mut scans, mut steps, mut most_held) = (0usize, 0usize, 0usize);
            loop {
                if restart_before == Some(scans) {
                    newest.clear();
                }
                let covers_all = c.finalized.get() >= c.last_slot();
                let mut scan = Scan::new(&keys, &newest, handed.last().map(|h| h.0), page_size);
                let mut pending = BTreeMap::new();
                loop {
                    steps += 1;
                    prop_assert!(steps < 100_000, "the scans never finish");
                    let Ok(done) = scan.advance(&c, &mut pending) else { continue };
                    most_held = most_held.max(scan.held());
                    handed.extend(std::mem::take(&mut pending));
                    if done {
                        break;
                    }
                }
                newest = scan.newest().clone();
                scans += 1;
                if covers_all {
                    break;
                }
                c.finalized.set((c.finalized.get() + 1).min(c.last_slot()));
            }
            let expected: Vec<Signature> = c.txs.iter().filter(|t| !t.failed).map(|t| t.signature).collect();
            prop_assert_eq!(handed.iter().map(|h| h.1).collect::<Vec<_>>(), expected);
            prop_assert!(handed.windows(2).all(|w| w[0].0 < w[1].0), "positions increase");
            for (seq, signature) in &handed {
                let tx = c.txs.iter().find(|t| t.signature == *signature).unwrap();
                prop_assert_eq!(slot_of(*seq), tx.slot, "the position's slot");
            }
            // What a scan holds is a few pages per program, not the history.
            prop_assert!(most_held <= programs * (3 * page_size + 4), "held {} signatures", most_held);

            let mut r = reached.borrow_mut();
            r.cases += 1;
            let per_program = (0..programs).map(|p| c.txs.iter().filter(|t| t.programs.contains(&p)).count()).max().unwrap_or(0);
            r.several_pages += usize::from(per_program > 2 * page_size);
            r.failed_calls += usize::from(c.failures.get() > 0);
            r.finalized_while_scanning += usize::from(c.grew.get() > 0);
            r.shared_slots += usize::from(c.block_orders.get() > 0);
            r.restarts += usize::from(restart_before.is_some_and(|r| r < scans) && !handed.is_empty());
            Ok(())
        })
        .unwrap();
    let r = reached.into_inner();
    eprintln!("{r:?}");
    for (what, count) in [
        ("several pages", r.several_pages),
        ("failed calls repeated", r.failed_calls),
        ("slots finalized while scanning", r.finalized_while_scanning),
        ("slots shared by transactions (getBlock)", r.shared_slots),
        ("restarts from the cursor", r.restarts),
    ] {
        assert!(count * 5 >= r.cases, "{what}: reached in {count} of {} cases", r.cases);
    }
}
