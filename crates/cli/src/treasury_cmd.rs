//! `io pay`, `io treasury status` and `io keeper run`: cluster payments, what the treasury
//! holds and has recorded, and the buyback keeper.

use crate::emissions_cmd::{group_io, percent};
use crate::stake_cmd::{format_io, parse_io};
use anchor_lang::AnchorDeserialize;
use anyhow::{bail, ensure, Context};
use clap::{Args, Subcommand};
use io_emissions::EmissionsConfig;
use io_math::{fee_split, min_io_for_fill, UsdPrice};
use io_sdk::client::{failure_code, fetch, Chain};
use io_sdk::treasury as tx;
use io_sdk::{pda, token};
use io_treasury::price::{PriceUpdateV2, VerificationLevel, PRICE_UPDATE_V2_DISCRIMINATOR};
use io_treasury::{TreasuryConfig, DEMAND_HISTORY};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Keypair;
use std::fmt::Write as _;

const SECONDS_PER_YEAR: f64 = 365.0 * 86_400.0;

#[derive(Args, Debug, Clone)]
#[command(group(clap::ArgGroup::new("asset").required(true).args(["iosd", "io"])))]
pub struct PayArgs {
    /// Pay this many IOSD (98% goes to the buyback pool at the reference fee).
    #[arg(long)]
    pub iosd: Option<String>,
    /// Pay this many $IO (all but the fee is burned).
    #[arg(long)]
    pub io: Option<String>,
    /// The payer's token account of the paid asset (owned by --keypair).
    #[arg(long)]
    pub from: Pubkey,
    /// Free text identifying the payment (an invoice, a cluster id); hashed to 32 bytes.
    #[arg(long)]
    pub reference: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum TreasuryCommand {
    /// Fee, gateway, price guard, vaults, totals, demand per period, supply and the D/E ratio.
    Status(StatusArgs),
}

#[derive(Args, Debug, Clone, Default)]
pub struct StatusArgs {
    /// IO price in USD, to value emissions for the demand-to-emission ratio.
    #[arg(long)]
    pub io_price: Option<f64>,
}

#[derive(Subcommand, Debug)]
pub enum KeeperCommand {
    /// Convert the buyback pool: hand in $IO (burned) for IOSD at the oracle's price.
    Run(KeeperArgs),
}

#[derive(Args, Debug, Clone)]
pub struct KeeperArgs {
    /// The Pyth PriceUpdateV2 account of the IO/USD feed.
    #[arg(long)]
    pub price_account: Pubkey,
    /// The keeper's $IO token account (IO bought on the market), owned by --keypair.
    #[arg(long)]
    pub market_io: Pubkey,
    /// Where the IOSD taken from the pool goes.
    #[arg(long)]
    pub iosd_to: Pubkey,
    /// One iteration, then exit.
    #[arg(long)]
    pub once: bool,
    /// Seconds between iterations.
    #[arg(long, default_value_t = 30)]
    pub interval_secs: u64,
    /// Longest wait after failed iterations (the wait doubles from the interval).
    #[arg(long, default_value_t = 600)]
    pub max_backoff_secs: u64,
    /// Serve Prometheus metrics here (`GET /metrics`), e.g. 0.0.0.0:9465.
    #[arg(long)]
    pub metrics_listen: Option<std::net::SocketAddr>,
}

/// The 32-byte reference of a payment: keccak-256 of its text, zeros for none.
pub fn payment_reference(text: Option<&str>) -> [u8; 32] {
    text.map_or([0; 32], |t| anchor_lang::solana_program::keccak::hash(t.as_bytes()).to_bytes())
}

fn balance(chain: &mut impl Chain, account: &Pubkey) -> anyhow::Result<u64> {
    let data = chain.account_data(account)?.with_context(|| format!("account {account} not found"))?;
    token::balance(&data).with_context(|| format!("{account} is not a token account"))
}

fn supply(chain: &mut impl Chain, mint: &Pubkey) -> anyhow::Result<u64> {
    let data = chain.account_data(mint)?.with_context(|| format!("mint {mint} not found"))?;
    token::supply(&data).with_context(|| format!("{mint} is not a mint"))
}

/// `io pay`: one cluster payment from the keypair's account, and the split the program made
/// (computed with the same function and the on-chain fee, then checked against the totals).
pub fn run_pay(chain: &mut impl Chain, args: PayArgs) -> anyhow::Result<String> {
    let config: TreasuryConfig = fetch(chain, &pda::treasury_config())?;
    let fee_bps = config.params.fee_bps;
    let reference = payment_reference(args.reference.as_deref());
    let payer = chain.payer();
    let before = config.totals;
    let mut out = String::new();
    match (&args.iosd, &args.io) {
        (Some(amount), None) => {
            let amount = parse_io(amount)?;
            let (fee, pool) = fee_split(amount, fee_bps).context("fee above 100%")?;
            chain.send(&[tx::pay_with_iosd(&payer, &args.from, amount, reference)], &[]).context("pay_with_iosd")?;
            let after: TreasuryConfig = fetch(chain, &pda::treasury_config())?;
            ensure!(
                after.totals.iosd_fee - before.iosd_fee == fee && after.totals.iosd_to_pool - before.iosd_to_pool == pool,
                "the program split differently"
            );
            writeln!(
                out,
                "paid {} IOSD: fee {} IOSD to the treasury ({} bps), {} IOSD to the buyback pool",
                format_io(amount),
                format_io(fee),
                fee_bps,
                format_io(pool)
            )?;
        }
        (None, Some(amount)) => {
            let amount = parse_io(amount)?;
            let (fee, burned) = fee_split(amount, fee_bps).context("fee above 100%")?;
            chain.send(&[tx::pay_with_io(&payer, &config.io_mint, &args.from, amount, reference)], &[]).context("pay_with_io")?;
            let after: TreasuryConfig = fetch(chain, &pda::treasury_config())?;
            ensure!(
                after.totals.io_fee - before.io_fee == fee
                    && after.totals.io_burned_from_payments - before.io_burned_from_payments == burned,
                "the program split differently"
            );
            writeln!(
                out,
                "paid {} IO: fee {} IO to the treasury ({} bps), {} IO burned",
                format_io(amount),
                format_io(fee),
                fee_bps,
                format_io(burned)
            )?;
        }
        _ => bail!("pass exactly one of --iosd and --io"),
    }
    writeln!(out, "reference {}", hex(&reference))?;
    Ok(out)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Annualised IOSD demand in USD: what the kept periods recorded, scaled from the time they
/// cover (since the treasury's origin, at most the ring's span) to a year.
pub fn annual_iosd_demand_usd(config: &TreasuryConfig, now: i64) -> Option<f64> {
    let period = i64::from(config.demand_period_secs);
    let elapsed = now.saturating_sub(config.origin_ts);
    let current = (elapsed.max(0) / period) as u64;
    let oldest = current.saturating_sub(DEMAND_HISTORY as u64 - 1);
    let paid: u64 = config.periods.iter().filter(|p| p.index >= oldest && p.index <= current).map(|p| p.iosd_paid).sum();
    let covered = elapsed.min(period * DEMAND_HISTORY as i64);
    (covered > 0).then(|| paid as f64 / 1e6 * SECONDS_PER_YEAR / covered as f64)
}

/// `io treasury status`.
pub fn run_status(chain: &mut impl Chain, args: &StatusArgs) -> anyhow::Result<String> {
    let config: TreasuryConfig = fetch(chain, &pda::treasury_config())?;
    let now = chain.unix_time()?;
    let p = config.params;
    let mut out = String::new();
    writeln!(out, "treasury {}", pda::treasury_config())?;
    writeln!(out, "authority         {}", config.authority)?;
    writeln!(out, "fee               {} bps ({:.2}%)", p.fee_bps, f64::from(p.fee_bps) / 100.0)?;
    let used = io_math::RollingCap::from(config.gateway_minted).used_at(now, p.gateway_period_secs);
    writeln!(
        out,
        "gateway           {}: {} of {} IOSD minted in the last {} s (rolling)",
        p.gateway,
        group_io(used),
        group_io(p.gateway_cap),
        p.gateway_period_secs
    )?;
    writeln!(out, "price feed        {}", hex(&p.price_feed_id))?;
    writeln!(
        out,
        "price guard       age <= {} s, confidence <= {} bps, slippage <= {} bps, fill <= {} IOSD",
        p.max_price_age_secs,
        p.max_conf_bps,
        p.max_slippage_bps,
        group_io(p.max_fill)
    )?;
    let pool = balance(chain, &config.pool_vault)?;
    let iosd_vault = balance(chain, &config.iosd_vault)?;
    let io_vault = balance(chain, &config.io_vault)?;
    writeln!(out, "buyback pool      {} IOSD", group_io(pool))?;
    writeln!(out, "treasury vaults   {} IOSD, {} IO", group_io(iosd_vault), group_io(io_vault))?;

    let t = config.totals;
    writeln!(out, "\ntotals")?;
    for (name, value, unit) in [
        ("iosd_minted", t.iosd_minted, "IOSD"),
        ("iosd_redeemed", t.iosd_redeemed, "IOSD"),
        ("iosd_paid", t.iosd_paid, "IOSD"),
        ("iosd_fee", t.iosd_fee, "IOSD"),
        ("iosd_to_pool", t.iosd_to_pool, "IOSD"),
        ("iosd_spent_on_buybacks", t.iosd_spent_on_buybacks, "IOSD"),
        ("io_bought_and_burned", t.io_bought_and_burned, "IO"),
        ("io_paid", t.io_paid, "IO"),
        ("io_fee", t.io_fee, "IO"),
        ("io_burned_from_payments", t.io_burned_from_payments, "IO"),
        ("iosd_granted", t.iosd_granted, "IOSD"),
        ("io_granted", t.io_granted, "IO"),
    ] {
        writeln!(out, "  {name:<24} {:>24} {unit}", group_io(value))?;
    }

    let mut periods: Vec<_> = config.periods.iter().filter(|p| p.iosd_paid + p.io_paid + p.io_burned > 0).collect();
    periods.sort_by_key(|p| p.index);
    writeln!(out, "\ndemand per {}-day period", config.demand_period_secs / 86_400)?;
    writeln!(out, "{:>8} {:>20} {:>20} {:>20}", "period", "IOSD paid", "IO paid", "IO burned")?;
    for period in &periods {
        writeln!(
            out,
            "{:>8} {:>20} {:>20} {:>20}",
            period.index,
            group_io(period.iosd_paid),
            group_io(period.io_paid),
            group_io(period.io_burned)
        )?;
    }
    if periods.is_empty() {
        writeln!(out, "  (no payments yet)")?;
    }

    let io_supply = supply(chain, &config.io_mint)?;
    let emissions: Option<EmissionsConfig> = io_sdk::client::fetch_opt(chain, &pda::emissions_config())?;
    writeln!(out)?;
    match &emissions {
        Some(e) => writeln!(
            out,
            "IO supply         {} IO; minted {} IO, burned {} IO ({:.4}% of minted)",
            group_io(io_supply),
            group_io(e.total_minted),
            group_io(e.total_minted.saturating_sub(io_supply)),
            percent(e.total_minted.saturating_sub(io_supply), e.total_minted)
        )?,
        None => writeln!(out, "IO supply         {} IO", group_io(io_supply))?,
    }
    let demand = annual_iosd_demand_usd(&config, now);
    let year_total = emissions.as_ref().map_or(0, |e| e.cursor.year_total);
    match (demand, args.io_price) {
        (Some(demand), Some(price)) if year_total > 0 && price > 0.0 => {
            let emission_usd = year_total as f64 / 1e6 * price;
            writeln!(
                out,
                "demand/emission   {:.4} (IOSD demand {:.2} USD/yr vs {} IO/yr emitted at {} USD = {:.2} USD/yr)",
                demand / emission_usd,
                demand,
                group_io(year_total),
                price,
                emission_usd
            )?;
        }
        (Some(demand), None) => writeln!(out, "demand/emission   n/a: IOSD demand {demand:.2} USD/yr; pass --io-price to value emissions")?,
        _ => writeln!(out, "demand/emission   n/a (no elapsed demand period or no emission this year)")?,
    }
    Ok(out)
}

/// The keeper's accounts.
#[derive(Clone, Copy, Debug)]
pub struct KeeperAccounts {
    pub price_account: Pubkey,
    pub market_io: Pubkey,
    pub iosd_to: Pubkey,
}

/// What one keeper iteration did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeeperOutcome {
    Filled {
        iosd: u64,
        io: u64,
        price: i64,
        exponent: i32,
    },
    /// Nothing sent, and why.
    Skipped(String),
}

impl std::fmt::Display for KeeperOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeeperOutcome::Filled { iosd, io, price, exponent } => write!(
                f,
                "filled: {} IOSD from the pool for {} IO burned at {} USD/IO",
                format_io(*iosd),
                format_io(*io),
                *price as f64 * 10f64.powi(*exponent)
            ),
            KeeperOutcome::Skipped(why) => write!(f, "no fill: {why}"),
        }
    }
}

/// The price a fill may use at `now`, checked as the program will (but the account's
/// owner, which `Chain` does not expose; the program checks it).
pub fn checked_price(data: &[u8], params: &io_treasury::TreasuryParams, now: i64) -> Result<UsdPrice, String> {
    if data.len() <= 8 || data[..8] != PRICE_UPDATE_V2_DISCRIMINATOR {
        return Err("the price account is not a PriceUpdateV2".into());
    }
    let update = PriceUpdateV2::deserialize(&mut &data[8..]).map_err(|e| format!("the price account does not decode: {e}"))?;
    let m = update.price_message;
    if m.feed_id != params.price_feed_id {
        return Err(format!("price feed {} is not the configured {}", hex(&m.feed_id), hex(&params.price_feed_id)));
    }
    if update.verification_level != VerificationLevel::Full {
        return Err("the price update is only partially verified".into());
    }
    let age = now - m.publish_time;
    if age > i64::from(params.max_price_age_secs) {
        return Err(format!("the price is {age} s old (at most {} s)", params.max_price_age_secs));
    }
    if m.price <= 0 {
        return Err(format!("non-positive price {}", m.price));
    }
    let price = UsdPrice { price: m.price, conf: m.conf, exponent: m.exponent };
    if !price.confidence_within(params.max_conf_bps) {
        return Err(format!("confidence {} wider than {} bps of price {}", m.conf, params.max_conf_bps, m.price));
    }
    Ok(price)
}

/// One keeper iteration: the largest fill allowed (the pool, at most `max_fill`), the IO
/// the program will demand for it at the oracle's price less the allowed slippage (the
/// keeper hands in exactly that), the same price checks as the program, then the fill.
/// `keeper` owns `market_io`; `signers` holds its keypair unless it is the chain's payer.
pub fn keeper_step(
    chain: &mut impl Chain,
    keeper: &Pubkey,
    signers: &[&Keypair],
    accounts: &KeeperAccounts,
) -> anyhow::Result<KeeperOutcome> {
    let config: TreasuryConfig = fetch(chain, &pda::treasury_config())?;
    let params = config.params;
    let pool = balance(chain, &config.pool_vault)?;
    let iosd = pool.min(params.max_fill);
    if iosd == 0 {
        return Ok(KeeperOutcome::Skipped("the buyback pool is empty".into()));
    }
    let Some(data) = chain.account_data(&accounts.price_account)? else {
        return Ok(KeeperOutcome::Skipped(format!("price account {} not found", accounts.price_account)));
    };
    let now = chain.unix_time()?;
    let price = match checked_price(&data, &params, now) {
        Ok(price) => price,
        Err(why) => return Ok(KeeperOutcome::Skipped(why)),
    };
    let io = min_io_for_fill(iosd, &price, params.max_slippage_bps).context("fill bound overflows")?;
    if io == 0 {
        return Ok(KeeperOutcome::Skipped("the fill rounds to 0 IO".into()));
    }
    let held = balance(chain, &accounts.market_io)?;
    if held < io {
        return Ok(KeeperOutcome::Skipped(format!(
            "a {} IOSD fill needs {} IO, the keeper holds {}",
            format_io(iosd),
            format_io(io),
            format_io(held)
        )));
    }
    let ix = tx::buyback_and_burn(keeper, &config.io_mint, &accounts.market_io, &accounts.iosd_to, &accounts.price_account, iosd, io);
    match chain.send(&[ix], signers) {
        Ok(_) => Ok(KeeperOutcome::Filled { iosd, io, price: price.price, exponent: price.exponent }),
        Err(e) => match failure_code(&e) {
            // A rejection the local checks did not foresee (the price moved, another keeper
            // filled first): report it and let the next iteration retry.
            Some(code) => Ok(KeeperOutcome::Skipped(format!("the program refused the fill (error {code})"))),
            None => Err(e.context("buyback_and_burn")),
        },
    }
}

/// `io keeper run`: iterations until stopped (or one with --once), each logged on its own
/// line; the emission crank when epochs are due and a buyback each time; errors are
/// logged, counted and waited out with a growing backoff (`crate::keeper`).
pub fn run_keeper(chain: &mut impl Chain, args: KeeperArgs) -> anyhow::Result<()> {
    use crate::keeper::{run_loop, serve_metrics, Backoff, KeeperMetrics};
    let accounts = KeeperAccounts { price_account: args.price_account, market_io: args.market_io, iosd_to: args.iosd_to };
    let metrics = std::sync::Arc::new(KeeperMetrics::default());
    if let Some(addr) = args.metrics_listen {
        let listener = std::net::TcpListener::bind(addr).with_context(|| format!("metrics on {addr}"))?;
        serve_metrics(listener, metrics.registry());
        println!("keeper metrics on http://{addr}/metrics");
    }
    let backoff =
        Backoff::new(std::time::Duration::from_secs(args.interval_secs.max(1)), std::time::Duration::from_secs(args.max_backoff_secs));
    run_loop(chain, &accounts, &metrics, backoff, args.once.then_some(1), std::thread::sleep);
    Ok(())
}
