//! `io keeper run`'s loop against the embedded bank: it cranks due epochs and fills the
//! buyback, and it keeps running through RPC errors, backing off and recovering, with the
//! Prometheus series counting what happened.

mod common;

use common::{publish_price, token_account, treasury_net};
use io_cli::keeper::{run_loop, serve_metrics, Backoff, KeeperMetrics};
use io_cli::treasury_cmd::KeeperAccounts;
use io_emissions::EmissionsConfig;
use io_localnet::Localnet;
use io_sdk::client::{fetch, Chain, TxOutcome};
use io_sdk::{pda, token, treasury as tx};
use solana_sdk::hash::Hash;
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use solana_sdk::transaction::Transaction;
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

/// A chain whose reads fail (as an RPC node that is down answers) while `down` > 0.
struct FlakyChain<'a> {
    inner: &'a mut Localnet,
    down: u32,
}

impl FlakyChain<'_> {
    fn outage(&mut self) -> anyhow::Result<()> {
        if self.down > 0 {
            self.down -= 1;
            anyhow::bail!("error sending request for url (http://127.0.0.1:8899/): connection refused");
        }
        Ok(())
    }
}

impl Chain for FlakyChain<'_> {
    fn payer(&self) -> Pubkey {
        self.inner.payer()
    }
    fn rent_exempt_balance(&mut self, size: usize) -> anyhow::Result<u64> {
        self.inner.rent_exempt_balance(size)
    }
    fn send(&mut self, instructions: &[Instruction], signers: &[&Keypair]) -> anyhow::Result<TxOutcome> {
        self.outage()?;
        self.inner.send(instructions, signers)
    }
    fn account_data(&mut self, address: &Pubkey) -> anyhow::Result<Option<Vec<u8>>> {
        self.outage()?;
        self.inner.account_data(address)
    }
    fn unix_time(&mut self) -> anyhow::Result<i64> {
        self.inner.unix_time()
    }
    fn noop_history(&mut self, address: &Pubkey) -> anyhow::Result<Vec<Vec<u8>>> {
        self.inner.noop_history(address)
    }
    fn latest_blockhash(&mut self) -> anyhow::Result<Hash> {
        self.inner.latest_blockhash()
    }
    fn submit(&mut self, tx: Transaction) -> anyhow::Result<TxOutcome> {
        self.inner.submit(tx)
    }
}

fn scrape(addr: std::net::SocketAddr) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text
}

fn series(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

#[test]
fn the_keeper_cranks_and_fills_and_rides_out_an_rpc_outage() {
    let (mut net, deployment, authority) = treasury_net();
    let me = net.payer();
    // 1,000 IOSD paid in: 980 IOSD in the buyback pool. The keeper holds IO to burn.
    let my_iosd = token_account(&mut net, &pda::iosd_mint(), &me);
    net.send(&[tx::mint_iosd(&authority.pubkey(), &my_iosd, 1_000_000_000)], &[&authority]).unwrap();
    net.send(&[tx::pay_with_iosd(&me, &my_iosd, 1_000_000_000, [0; 32])], &[]).unwrap();
    let market_io = token_account(&mut net, &deployment.io_mint, &me);
    net.send(&[token::transfer(&deployment.genesis_tokens, &market_io, &authority.pubkey(), 10_000_000_000)], &[&authority]).unwrap();
    let iosd_to = token_account(&mut net, &pda::iosd_mint(), &me);
    // Two emission epochs (or more) are due.
    let emissions: EmissionsConfig = fetch(&mut net, &pda::emissions_config()).unwrap();
    net.advance_clock(2 * i64::from(emissions.epoch_secs) + 1);
    let price = Keypair::new().pubkey();
    let now = net.unix_time().unwrap();
    let due = io_sdk::emissions::preview(&emissions, now).epochs_due;
    assert!(due >= 2, "{due} epochs due");
    publish_price(&mut net, &price, now);

    let metrics = Arc::new(KeeperMetrics::default());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    serve_metrics(listener, metrics.registry());
    let accounts = KeeperAccounts { price_account: price, market_io, iosd_to };
    // The RPC node is down for the first three reads: three iterations fail, each waiting
    // twice as long, then the keeper catches up; the wait is the interval again.
    let mut chain = FlakyChain { inner: &mut net, down: 3 };
    let mut waits = vec![];
    run_loop(&mut chain, &accounts, &metrics, Backoff::new(Duration::from_secs(30), Duration::from_secs(90)), Some(5), |d| {
        waits.push(d.as_secs())
    });
    assert_eq!(waits, [60, 90, 90, 30], "backoff after each failure, the interval after the success");

    let after: EmissionsConfig = fetch(&mut net, &pda::emissions_config()).unwrap();
    assert_eq!(after.next_epoch, emissions.next_epoch + due, "the due epochs were cranked");
    assert_eq!(token::balance(&net.account_data(&iosd_to).unwrap().unwrap()), Some(980_000_000), "the pool was bought back");
    let text = scrape(addr);
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    assert_eq!(series(&text, "io_keeper_iterations_total"), 5);
    assert_eq!(series(&text, "io_keeper_errors_total"), 3);
    assert_eq!(series(&text, "io_keeper_cranks_total"), 1);
    assert_eq!(series(&text, "io_keeper_epochs_advanced_total"), due);
    assert_eq!(series(&text, "io_keeper_fills_total"), 1);
    assert_eq!(series(&text, "io_keeper_iosd_spent_base_units_total"), 980_000_000);
    assert_eq!(series(&text, "io_keeper_io_burned_base_units_total"), 3_880_800_000);
    assert_eq!(series(&text, "io_keeper_skipped_fills_total"), 1, "the last iteration finds the pool empty");
    assert_eq!(series(&text, "io_keeper_consecutive_errors"), 0);
}
