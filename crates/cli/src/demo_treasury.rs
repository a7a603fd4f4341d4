//! The demo's treasury phase: the DAO names an IO/USD feed through a voted proposal,
//! the gateway mints IOSD to enterprises, they pay for clusters in IOSD and in $IO, and a
//! keeper holding $IO bought on the market drains the buyback pool fill by fill against a
//! simulated Pyth price. The summary reconciles every flow with the chain.

use crate::dao_view::span;
use crate::demo_dao::Dao;
use crate::demo_support::fund;
use crate::emissions_cmd::{group_io, percent};
use crate::treasury_cmd::{keeper_step, payment_reference, KeeperAccounts, KeeperOutcome};
use anyhow::{bail, ensure, Context};
use io_emissions::EmissionsConfig;
use io_localnet::Localnet;
use io_sdk::client::{fetch, Chain};
use io_sdk::treasury as tx;
use io_sdk::{pda, token};
use io_treasury::{TreasuryConfig, TreasuryTotals, PYTH_RECEIVER_ID};
use solana_sdk::account::Account;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use std::fmt::Write as _;

/// The demo's IO/USD feed id (any fixed value: the price account is simulated).
const DEMO_FEED_ID: [u8; 32] = *b"IO/USD demo feed, simulated Pyth";
/// The reference network's price, $1.00 per IO (migrations/genesis.toml's calibration):
/// 100,000,000 x 10^-8, with a confidence of 0.01% of the price.
const PRICE: i64 = 100_000_000;
const EXPONENT: i32 = -8;
const CONF: u64 = 10_000;
/// Cluster payments in whole IOSD and whole IO.
const IOSD_PAYMENTS: [u64; 3] = [40_000, 25_000, 60_000];
const IO_PAYMENTS: [u64; 2] = [30_000, 12_500];
/// $IO the keeper bought on the market, whole IO (more than the pool will cost).
const KEEPER_IO: u64 = 300_000;
const UNIT: u64 = 1_000_000;

fn balance(net: &mut Localnet, account: &Pubkey) -> anyhow::Result<u64> {
    token::balance(&net.account_data(account)?.context("token account")?).context("not a token account")
}

fn supply(net: &mut Localnet, mint: &Pubkey) -> anyhow::Result<u64> {
    token::supply(&net.account_data(mint)?.context("mint")?).context("not a mint")
}

/// (Re)writes the simulated Pyth account with a price published now, as the receiver would
/// after each update.
fn publish_price(net: &mut Localnet, address: &Pubkey) -> anyhow::Result<()> {
    let now = net.unix_time()?;
    let data = tx::price_update_data(DEMO_FEED_ID, PRICE, CONF, EXPONENT, now, true);
    let lamports = net.rent_exempt_balance(data.len())?;
    net.set_account(address, Account { lamports, data, owner: PYTH_RECEIVER_ID, executable: false, rent_epoch: 0 });
    Ok(())
}

fn new_token_account(net: &mut Localnet, mint: &Pubkey, owner: &Pubkey) -> anyhow::Result<Pubkey> {
    let account = Keypair::new();
    let rent = net.rent_exempt_balance(token::account_len())?;
    let payer = net.payer();
    net.send(&token::create_account(&payer, &account.pubkey(), mint, owner, rent), &[&account])?;
    Ok(account.pubkey())
}

fn delta(after: &TreasuryTotals, before: &TreasuryTotals, field: fn(&TreasuryTotals) -> u64) -> u64 {
    field(after) - field(before)
}

/// Runs the phase and returns its report, the invariants checked (an error if one fails).
/// `authority` is the genesis authority, owner of the genesis allocation `genesis_tokens`;
/// `dao` votes the price feed and the fiat gateway in (the handover gave the DAO the
/// gateway role: the genesis key mints no IOSD).
pub(crate) fn run(net: &mut Localnet, dao: &Dao, authority: &Keypair, io_mint: &Pubkey, genesis_tokens: &Pubkey) -> anyhow::Result<String> {
    // Only the DAO may name the feed and the gateway: a proposal every operator votes for,
    // the voting period, the timelock, then the DAO PDA signs set_treasury_params.
    let config: TreasuryConfig = fetch(net, &pda::treasury_config())?;
    ensure!(config.params.gateway == pda::dao(), "genesis left the IOSD gateway with {}", config.params.gateway);
    let gateway = Keypair::new();
    let mut params = config.params;
    params.price_feed_id = DEMO_FEED_ID;
    params.gateway = gateway.pubkey();
    let opened = net.unix_time()?;
    let feed_proposal = dao
        .enact(
            net,
            "name the IO/USD Pyth feed for buybacks and the fiat gateway",
            &[tx::set_treasury_params(&pda::dao(), &config.params, &params)],
        )
        .context("the DAO names the price feed and the gateway")?;
    let named: TreasuryConfig = fetch(net, &pda::treasury_config())?;
    ensure!(named.params == params, "the DAO's proposal did not set the price feed");
    let price_account = Keypair::new().pubkey();

    let before: TreasuryConfig = fetch(net, &pda::treasury_config())?;
    let supply_before = supply(net, io_mint)?;
    let iosd_mint = pda::iosd_mint();

    // Enterprises: the gateway mints each the IOSD it pays with; the others pay in $IO
    // from the genesis allocation.
    for (i, amount) in IOSD_PAYMENTS.iter().map(|a| a * UNIT).enumerate() {
        let enterprise = Keypair::new();
        let iosd = new_token_account(net, &iosd_mint, &enterprise.pubkey())?;
        net.send(&[tx::mint_iosd(&gateway.pubkey(), &iosd, amount)], &[&gateway]).context("mint IOSD")?;
        let reference = payment_reference(Some(&format!("cluster-iosd-{i}")));
        net.send(&[tx::pay_with_iosd(&enterprise.pubkey(), &iosd, amount, reference)], &[&enterprise]).context("pay in IOSD")?;
    }
    for (i, amount) in IO_PAYMENTS.iter().map(|a| a * UNIT).enumerate() {
        let enterprise = Keypair::new();
        let io = fund(net, (io_mint, genesis_tokens, authority), &enterprise, amount)?;
        let reference = payment_reference(Some(&format!("cluster-io-{i}")));
        net.send(&[tx::pay_with_io(&enterprise.pubkey(), io_mint, &io, amount, reference)], &[&enterprise]).context("pay in IO")?;
    }
    let paid: TreasuryConfig = fetch(net, &pda::treasury_config())?;
    let pool_after_payments = balance(net, &paid.pool_vault)?;

    // The market: a keeper holding $IO bought elsewhere (here from the genesis allocation)
    // fills until the pool is empty, each fill at most max_fill, the price refreshed first.
    let keeper = Keypair::new();
    let market_io = fund(net, (io_mint, genesis_tokens, authority), &keeper, KEEPER_IO * UNIT)?;
    let iosd_to = new_token_account(net, &iosd_mint, &keeper.pubkey())?;
    let accounts = KeeperAccounts { price_account, market_io, iosd_to };
    let mut fills = Vec::new();
    for _ in 0..100 {
        net.advance_clock(2);
        publish_price(net, &price_account)?;
        match keeper_step(net, &keeper.pubkey(), &[&keeper], &accounts)? {
            KeeperOutcome::Filled { iosd, io, .. } => fills.push((iosd, io)),
            KeeperOutcome::Skipped(why) if why.contains("pool is empty") => break,
            other => bail!("the keeper stopped with the pool not empty: {other}"),
        }
    }

    let after: TreasuryConfig = fetch(net, &pda::treasury_config())?;
    let supply_after = supply(net, io_mint)?;
    let pool_after = balance(net, &after.pool_vault)?;
    let emissions: EmissionsConfig = fetch(net, &pda::emissions_config())?;
    let (b, a) = (&before.totals, &after.totals);
    let iosd_paid = delta(a, b, |t| t.iosd_paid);
    let iosd_fee = delta(a, b, |t| t.iosd_fee);
    let iosd_pool = delta(a, b, |t| t.iosd_to_pool);
    let io_paid = delta(a, b, |t| t.io_paid);
    let io_fee = delta(a, b, |t| t.io_fee);
    let io_burned_paid = delta(a, b, |t| t.io_burned_from_payments);
    let spent = delta(a, b, |t| t.iosd_spent_on_buybacks);
    let bought = delta(a, b, |t| t.io_bought_and_burned);

    let mut out = String::new();
    writeln!(
        out,
        "\ntreasury: {} IOSD payments, {} IO payments, {} keeper fills at {} USD/IO (fee {} bps)",
        IOSD_PAYMENTS.len(),
        IO_PAYMENTS.len(),
        fills.len(),
        PRICE as f64 * 10f64.powi(EXPONENT),
        params.fee_bps
    )?;
    writeln!(
        out,
        "price feed        and the IOSD gateway named by DAO proposal #{} (genesis handed the gateway role to the DAO): yes {} IO from {} operators, {} from proposal to execution",
        feed_proposal.id,
        group_io(feed_proposal.yes),
        feed_proposal.voters,
        span(feed_proposal.executed_at - opened)
    )?;
    writeln!(
        out,
        "IOSD paid         {} IOSD: fee {} ({:.2}%), buyback pool {} ({:.2}%)",
        group_io(iosd_paid),
        group_io(iosd_fee),
        percent(iosd_fee, iosd_paid),
        group_io(iosd_pool),
        percent(iosd_pool, iosd_paid)
    )?;
    writeln!(
        out,
        "IO paid           {} IO: fee {} ({:.2}%), burned {} ({:.2}%)",
        group_io(io_paid),
        group_io(io_fee),
        percent(io_fee, io_paid),
        group_io(io_burned_paid),
        percent(io_burned_paid, io_paid)
    )?;
    let fill_sizes: Vec<String> = fills.iter().map(|(iosd, _)| group_io(*iosd)).collect();
    writeln!(
        out,
        "buybacks          {} IOSD spent in fills of [{}] (max {}); {} IO bought and burned",
        group_io(spent),
        fill_sizes.join(", "),
        group_io(params.max_fill),
        group_io(bought)
    )?;
    writeln!(
        out,
        "buyback pool      {} IOSD after payments, {} IOSD after the keeper",
        group_io(pool_after_payments),
        group_io(pool_after)
    )?;
    writeln!(
        out,
        "IO supply         {} -> {} IO (-{} IO); minted ever {} of {} IO cap ({:.4}%)",
        group_io(supply_before),
        group_io(supply_after),
        group_io(supply_before - supply_after),
        group_io(emissions.total_minted),
        group_io(emissions.supply_cap),
        percent(emissions.total_minted, emissions.supply_cap)
    )?;

    ensure!(iosd_fee + iosd_pool == iosd_paid, "IOSD fee {iosd_fee} + pool {iosd_pool} != paid {iosd_paid}");
    ensure!(io_fee + io_burned_paid == io_paid, "IO fee {io_fee} + burned {io_burned_paid} != paid {io_paid}");
    ensure!(pool_after == a.iosd_to_pool - a.iosd_spent_on_buybacks, "pool vault {pool_after} != to_pool - spent");
    ensure!(fills.iter().all(|(iosd, _)| *iosd <= params.max_fill), "a fill above max_fill");
    ensure!(fills.iter().map(|f| f.1).sum::<u64>() == bought, "fills' IO != io_bought_and_burned");
    // No slash executes in this phase, so payments and buybacks are the only burns.
    let slash_burns = 0;
    ensure!(
        supply_before - supply_after == io_burned_paid + bought + slash_burns,
        "supply fell {} != burned from payments {io_burned_paid} + bought {bought}",
        supply_before - supply_after
    );
    ensure!(supply_after <= emissions.total_minted && emissions.total_minted <= emissions.supply_cap, "supply <= minted <= cap broken");
    writeln!(
        out,
        "invariants        fee + pool == paid (both assets), pool == to_pool - spent, fills <= max_fill, supply drop == IO burned: ok"
    )?;
    Ok(out)
}
