//! The economy's events through the indexer, on both backends: an operator's stake
//! position, slashes, emission cranks, payments, burns, proposals and votes, each equal to
//! what the chain's accounts say after a run of the real programs; and the events of the
//! suite's programs that cannot be read, or were cut from the logs, stop ingestion by name
//! with the store unchanged, while look-alike events of other programs are ignored.

use common::Backend;
use io_indexer::api::economy_views::{proposal, slashes, StakeView};
use io_indexer::economy::{proposal_subject, EventQuery, StoredEvent, PROPOSAL_KINDS, SLASH_KINDS, STAKE_KINDS};
use io_indexer::source::MemorySource;
use io_indexer::{Indexer, IndexerError, Source, Store};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signer;
mod common;
use common::{economy, IO};

fn all(store: &impl Store, kinds: &[&'static str], subject: Option<&str>) -> Vec<StoredEvent> {
    store.events(&EventQuery { kinds, subject, after: None, limit: 10_000 }).unwrap()
}

fn stake_view(store: &impl Store, operator: &Pubkey) -> StakeView {
    let mut view = StakeView::default();
    all(store, STAKE_KINDS, Some(&operator.to_string())).iter().filter_map(StoredEvent::event).for_each(|e| view.apply(&e));
    view
}

fn the_economy_indexed_equals_the_chain(b: &Backend) {
    let mut e = economy();
    let mut indexer = Indexer::open(b.open("economy")).unwrap();
    indexer.batch_size = 7; // several batches, each committed with its cursor
    let report = indexer.sync(&mut e.h.net).unwrap();
    assert!(report.economy > 0 && report.batches > 1, "{report:?}");
    let store = indexer.store();

    // Stake positions: the fold of each operator's events is its account on chain.
    for operator in [&e.a, &e.b] {
        let chain = e.h.stake(&operator.pubkey());
        let view = stake_view(store, &operator.pubkey());
        let unbonding: u64 = chain.unbonding.iter().map(|entry| entry.amount).sum();
        assert_eq!(
            (view.bonded, view.unbonding, view.weight, view.claimed_rewards),
            (chain.bonded, unbonding, chain.weight, chain.claimed_rewards),
            "{view:?}"
        );
    }
    let a = stake_view(store, &e.a.pubkey());
    // Hand computation: 350,000 bonded, 25,000 requested out, 20,000 of it withdrawn.
    assert_eq!((a.bonded, a.unbonding, a.withdrawn, a.slashed), (325_000 * IO, 5_000 * IO, 20_000 * IO, 0));
    assert!(a.claimed_rewards > 0, "A earned two epochs and claimed");
    let b_view = stake_view(store, &e.b.pubkey());
    assert_eq!((b_view.bonded, b_view.slashed), (80_000 * IO, 20_000 * IO));
    assert_eq!(e.h.staking_config().total_slashed, 20_000 * IO);

    // Slashes: one vetoed by the DAO, one executed to the burn.
    let slashes = slashes(&all(store, SLASH_KINDS, Some(&e.b.pubkey().to_string())));
    let outcome: Vec<(u64, &str, u64)> = slashes.iter().map(|s| (s.id, s.status.as_str(), s.amount)).collect();
    assert_eq!(outcome, [(e.vetoed, "Vetoed", 10_000 * IO), (e.executed, "Executed", 20_000 * IO)]);
    assert_eq!(slashes[1].destination.as_deref(), Some("Burn"));

    // The proposal: tally and status as on chain, both votes with their weights.
    let detail = proposal(&all(store, PROPOSAL_KINDS, Some(&proposal_subject(e.proposal)))).expect("indexed");
    let chain = e.h.proposal(e.proposal);
    let p = &detail.proposal;
    assert_eq!((p.yes, p.no, p.abstain, p.status.as_str()), (chain.yes, chain.no, chain.abstain, "Executed"));
    assert_eq!((p.executed_at, p.stake_at_open, p.proposer.clone()), (chain.executed_at, chain.stake_at_open, e.a.pubkey().to_string()));
    let votes: Vec<(String, &str)> = detail.votes.iter().map(|v| (v.voter.clone(), v.choice.as_str())).collect();
    assert_eq!(votes, [(e.a.pubkey().to_string(), "Yes"), (e.b.pubkey().to_string(), "No")]);
    assert_eq!(detail.votes.iter().map(|v| v.weight).sum::<u64>(), chain.yes + chain.no);

    // Emissions: the last crank's total is the config's, and what the cranks minted, less
    // what payments and slashes burned, is how the supply moved.
    let cranks: Vec<io_emissions::EpochAdvanced> = all(store, &["EpochAdvanced"], None)
        .iter()
        .filter_map(|s| match s.event() {
            Some(io_indexer::economy::EconomyEvent::EpochAdvanced(e)) => Some(e),
            _ => None,
        })
        .collect();
    assert!(cranks.len() >= 2);
    assert_eq!(cranks.last().unwrap().total_minted, e.h.emissions_config().total_minted);
    let minted: u64 = cranks.iter().map(|c| c.minted).sum();
    let payments = all(store, &["PaymentReceived"], None);
    assert_eq!(payments.len(), 2, "one payment in IO, one in IOSD");
    let in_io = all(store, &["PaymentReceived"], Some(&e.enterprise.pubkey().to_string()));
    let Some(io_indexer::economy::EconomyEvent::PaymentReceived(paid)) = in_io[0].event() else { panic!("a payment") };
    // 2% of 10,000 IO to the treasury, 98% burned.
    assert_eq!((paid.amount, paid.fee, paid.rest), (10_000 * IO, 200 * IO, 9_800 * IO));
    let burned = 9_800 * IO + 20_000 * IO;
    assert_eq!(e.h.io_supply(), e.supply_before + minted - burned);

    // A store reopened holds the same events; nothing new arrives on a second sync.
    let cursor = indexer.store().cursor().unwrap();
    let again = indexer.sync(&mut e.h.net).unwrap();
    assert_eq!((again.transactions, again.economy, again.cursor), (0, 0, cursor));
    let before = all(indexer.store(), io_indexer::economy::KINDS, None);
    drop(indexer);
    let reopened = Indexer::open(b.open("economy")).unwrap();
    assert_eq!(all(reopened.store(), io_indexer::economy::KINDS, None), before);

    // Paging: events after a position, a page at a time, are the whole list.
    let mut paged: Vec<StoredEvent> = vec![];
    loop {
        let after = paged.last().map(|e| (e.seq, e.ordinal));
        let page = reopened.store().events(&EventQuery { kinds: io_indexer::economy::KINDS, subject: None, after, limit: 3 }).unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 3);
        paged.extend(page);
    }
    assert_eq!(paged, before);
}

/// Where in a transaction's events the first of `kind` is.
fn event_of(tx: &io_indexer::SourceTx, kind: &str) -> Option<usize> {
    tx.program_data.events.iter().position(|(program, data)| {
        io_indexer::economy::EconomyEvent::decode(program, data).ok().flatten().is_some_and(|event| event.kind() == kind)
    })
}

/// The recorded ledger of the economy, and the position of the first transaction with an
/// event of `kind`.
fn recorded_with(kind: &str) -> (MemorySource, usize) {
    let mut e = economy();
    let transactions = e.h.net.after(None, usize::MAX).unwrap();
    let source = MemorySource { transactions };
    let at = source.transactions.iter().position(|tx| event_of(tx, kind).is_some()).expect("the run has the kind");
    (source, at)
}

/// Ingests `source`; the error it stops with, after checking the store kept only the
/// batches before the bad transaction.
fn stops(b: &Backend, name: &str, source: &mut MemorySource, at: usize) -> IndexerError {
    let mut indexer = Indexer::open(b.open(name)).unwrap();
    indexer.batch_size = 1;
    let error = indexer.sync(source).unwrap_err();
    let expected = at.checked_sub(1).map(|i| source.transactions[i].seq);
    assert_eq!(indexer.store().cursor().unwrap(), expected, "the store holds every transaction before the bad one, and no more");
    let kept = all(indexer.store(), io_indexer::economy::KINDS, None);
    assert!(kept.iter().all(|e| Some(e.seq) <= expected));
    error
}

fn an_unreadable_event_of_the_suite_stops_ingestion_by_name(b: &Backend) {
    let (mut source, at) = recorded_with("Deposited");
    let tx = &mut source.transactions[at];
    let i = event_of(tx, "Deposited").unwrap();
    assert_eq!(tx.program_data.events[i].0, io_staking::ID);
    tx.program_data.events[i].1.pop(); // a byte short of the layout
    match stops(b, "unreadable", &mut source, at) {
        IndexerError::BadProgramEvent { program, kind, .. } => assert_eq!((program, kind), (io_staking::ID, "Deposited")),
        other => panic!("expected BadProgramEvent, got {other}"),
    }
}

fn truncated_logs_stop_ingestion_by_name(b: &Backend) {
    let (mut source, at) = recorded_with("VoteCast");
    source.transactions[at].program_data.truncated = true;
    let seq = source.transactions[at].seq;
    match stops(b, "truncated", &mut source, at) {
        IndexerError::LogsTruncated { seq: at_seq, .. } => assert_eq!(at_seq, seq),
        other => panic!("expected LogsTruncated, got {other}"),
    }
}

fn a_look_alike_event_of_another_program_is_ignored(b: &Backend) {
    let (mut source, at) = recorded_with("RewardsClaimed");
    // A copy of the claim, as another program would log it: same bytes, another program.
    let tx = &mut source.transactions[at];
    let claim = tx.program_data.events[event_of(tx, "RewardsClaimed").unwrap()].1.clone();
    let forger = Pubkey::new_unique();
    tx.program_data.events.push((forger, claim.clone()));
    let mut indexer = Indexer::open(b.open("lookalike")).unwrap();
    indexer.sync(&mut source).unwrap();
    let claims = all(indexer.store(), &["RewardsClaimed"], None);
    assert_eq!(claims.len(), 1, "only the staking program's claim is kept");
}

common::on_both_backends!(
    the_economy_indexed_equals_the_chain,
    an_unreadable_event_of_the_suite_stops_ingestion_by_name,
    truncated_logs_stop_ingestion_by_name,
    a_look_alike_event_of_another_program_is_ignored,
);
