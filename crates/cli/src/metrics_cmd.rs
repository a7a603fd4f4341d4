//! `io metrics`: the network's health numbers from an indexer (D/E ratio, minted and burned
//! per period, break-even demand, spacing and operator concentration, payback and attrition
//! per tier), as a table, JSON or plots; `io metrics project`: emission against burn ahead
//! under the schedule in force, for a given demand and price.

use crate::emissions_cmd::group_io;
use anyhow::{ensure, Context};
use clap::{Args, Subcommand, ValueEnum};
use io_emissions::EmissionsConfig;
use io_indexer::client::ApiClient;
use io_math::ScheduleCursor;
use io_metrics::{HardwareTable, NetworkParams, NetworkReport, Projection, Tier, DEFAULT_ELECTRICITY_USD_PER_KWH, PAYBACK_TARGET_MONTHS};
use io_migrations::Genesis;
use io_sdk::client::{fetch, Chain};
use io_sdk::pda;
use io_staking::StakingConfig;
use io_treasury::TreasuryConfig;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

/// The H3 resolution spacing is compared at by default: res 7 cells are about 5 km², a town
/// district, so two machines in one building or campus share a cell.
pub const DEFAULT_SPACING_RESOLUTION: u8 = 7;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Output {
    #[default]
    Table,
    Json,
}

#[derive(Args, Debug, Default)]
pub struct MetricsArgs {
    #[command(subcommand)]
    pub command: Option<MetricsCommand>,
    /// The indexer's HTTP API.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub indexer: String,
    /// USD per IO (default: the indexer's configured price, else its newest buyback's).
    #[arg(long)]
    pub io_usd: Option<f64>,
    #[arg(long, value_enum, default_value_t)]
    pub output: Output,
    /// Also draw the plots (SVG) into this folder.
    #[arg(long, value_name = "DIR")]
    pub plots: Option<PathBuf>,
    /// Read a saved report (the route's JSON, or `--output json`) instead of asking an
    /// indexer: print it again, or draw its plots.
    #[arg(long, value_name = "FILE", conflicts_with = "io_usd")]
    pub report: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum MetricsCommand {
    /// Emission against burn and D/E for the coming years, and when the network turns
    /// net-deflationary, at a demand level and price.
    Project(ProjectArgs),
}

#[derive(Args, Debug)]
pub struct ProjectArgs {
    /// Annual demand (ARR), USD.
    #[arg(long)]
    pub arr: f64,
    /// USD per IO.
    #[arg(long)]
    pub price: f64,
    #[arg(long, default_value_t = 10)]
    pub years: u32,
    /// Yearly demand growth, percent (may be negative).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub growth_pct: f64,
    /// Read the schedule in force (and the fee) from this cluster's accounts instead of a
    /// genesis file.
    #[arg(long, value_name = "RPC_URL")]
    pub cluster: Option<String>,
    /// Genesis parameters (default: the reference network's, migrations/genesis.toml).
    #[arg(long)]
    pub genesis: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t)]
    pub output: Output,
}

/// The options an indexer's metrics take beyond the chain: the reader's assumptions.
#[derive(Args, Debug, Clone)]
pub struct MetricsOptions {
    /// USD per IO for the network metrics (default: the newest buyback's Pyth price).
    #[arg(long)]
    pub io_usd: Option<f64>,
    /// Hardware costs per GPU model (TOML shaped like crates/metrics/hardware.toml).
    #[arg(long, value_name = "FILE")]
    pub hardware: Option<PathBuf>,
    /// Electricity price for the attrition price, USD per kWh.
    #[arg(long, default_value_t = DEFAULT_ELECTRICITY_USD_PER_KWH)]
    pub electricity_usd_per_kwh: f64,
    /// H3 resolution the spacing coefficient compares cells at (0-15).
    #[arg(long, default_value_t = DEFAULT_SPACING_RESOLUTION)]
    pub spacing_resolution: u8,
}

impl MetricsOptions {
    /// The flags' defaults (what `io indexer run` uses when none is given).
    pub fn default_values() -> Self {
        Self {
            io_usd: None,
            hardware: None,
            electricity_usd_per_kwh: DEFAULT_ELECTRICITY_USD_PER_KWH,
            spacing_resolution: DEFAULT_SPACING_RESOLUTION,
        }
    }
}

/// The metrics' parameters from a genesis file and the reader's options.
pub fn params_from_genesis(genesis: &Genesis, options: &MetricsOptions) -> anyhow::Result<NetworkParams> {
    let staking = genesis.staking_params()?;
    let hardware = match &options.hardware {
        Some(path) => HardwareTable::from_toml(&std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?)?,
        None => HardwareTable::defaults(),
    };
    Ok(NetworkParams {
        period_secs: genesis.treasury.demand_period_secs,
        fee_bps: genesis.treasury.fee_bps,
        min_stake_io: staking.min_stake_per_gpu.map(|b| b as f64 / 1e6),
        multiplier_bps: staking.multiplier_bps,
        spacing_resolution: options.spacing_resolution,
        electricity_usd_per_kwh: options.electricity_usd_per_kwh,
        hardware,
    })
}

/// The same with the values the chain holds now (the DAO may have changed the fee and
/// the tier parameters since genesis).
pub fn params_from_chain(chain: &mut impl Chain, mut params: NetworkParams) -> anyhow::Result<NetworkParams> {
    let staking: StakingConfig = fetch(chain, &pda::staking_config()).context("staking config")?;
    let treasury: TreasuryConfig = fetch(chain, &pda::treasury_config()).context("treasury config")?;
    params.fee_bps = treasury.params.fee_bps;
    params.period_secs = treasury.demand_period_secs;
    params.min_stake_io = staking.params.min_stake_per_gpu.map(|b| b as f64 / 1e6);
    params.multiplier_bps = staking.params.multiplier_bps;
    Ok(params)
}

pub fn run(args: MetricsArgs) -> anyhow::Result<String> {
    if let Some(MetricsCommand::Project(project)) = &args.command {
        return run_project(project);
    }
    let report: NetworkReport = match &args.report {
        Some(file) => serde_json::from_str(&std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?)
            .with_context(|| format!("{} is not a network report", file.display()))?,
        None => {
            let client = ApiClient::new(&args.indexer, Duration::from_secs(30))?;
            let path = match args.io_usd {
                Some(price) => format!("/v1/network/metrics?io_usd={price}"),
                None => "/v1/network/metrics".to_string(),
            };
            client.get(&path)?
        }
    };
    let mut out = match args.output {
        Output::Json => serde_json::to_string_pretty(&report)? + "\n",
        Output::Table => render(&report)?,
    };
    if let Some(dir) = &args.plots {
        for path in crate::metrics_plot::write_all(&report, dir)? {
            writeln!(out, "plot written to {}", path.display())?;
        }
    }
    Ok(out)
}

fn usd(value: f64) -> String {
    let whole = format!("{:.0}", value.abs());
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{}${grouped}", if value < 0.0 { "-" } else { "" })
}

/// Whole IO with grouping, rounded to the base unit.
fn io(value: f64) -> String {
    let base = (value.abs() * 1e6).round() as u64;
    format!("{}{}", if value < 0.0 { "-" } else { "" }, group_io(base))
}

fn opt(value: Option<f64>, digits: usize) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{v:.digits$}"))
}

fn yes(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "not met"
    }
}

/// The report as the terminal shows it.
pub fn render(report: &NetworkReport) -> anyhow::Result<String> {
    let mut out = String::new();
    let price = &report.price;
    writeln!(out, "price          ${:.6} per IO ({})", price.io_usd, price.source)?;
    match &report.trailing {
        Some(t) => {
            let days = report.params.period_secs / 86_400;
            writeln!(out, "trailing       {} period(s) of {days} days, annualised", t.periods)?;
            writeln!(out, "  demand       {} a year", usd(t.annual_demand_usd))?;
            writeln!(out, "  emission     {} IO a year ({})", io(t.annual_emission_io), usd(t.annual_emission_usd))?;
            writeln!(
                out,
                "  D/E          {} (self-sustaining at 0.60: {})",
                opt(t.de_ratio, 3),
                if t.self_sustaining { "yes" } else { "no" }
            )?;
            writeln!(
                out,
                "  minted       {} IO a year, burned {} IO a year, net {} IO",
                io(t.annual_minted_io),
                io(t.annual_burned_io),
                io(t.annual_minted_io - t.annual_burned_io)
            )?;
            let fee = f64::from(report.params.fee_bps) / 100.0;
            match t.break_even_demand_usd {
                Some(b) => writeln!(out, "  break-even   {} a year of demand burns what is emitted ({fee}% fee)", usd(b))?,
                None => writeln!(out, "  break-even   none: the fee takes all demand")?,
            }
        }
        None => writeln!(out, "trailing       no emission, payment or burn indexed yet")?,
    }
    if report.untimed_flows > 0 {
        writeln!(out, "untimed        {} flow(s) without a block time left out of the periods", report.untimed_flows)?;
    }
    if !report.periods.is_empty() {
        writeln!(out, "periods")?;
        writeln!(out, "  {:>4} {:>20} {:>20} {:>20} {:>16} {:>8}", "#", "minted IO", "burned IO", "net IO", "demand", "D/E")?;
        for p in &report.periods {
            writeln!(
                out,
                "  {:>4} {:>20} {:>20} {:>20} {:>16} {:>8}",
                p.index,
                io(p.minted_io),
                io(p.burned_io),
                io(p.net_io),
                usd(p.demand_usd),
                opt(p.de_ratio, 3)
            )?;
        }
    }
    let d = &report.decentralization;
    let spacing: Vec<String> = d
        .spacing
        .iter()
        .map(|s| format!("{} {}", s.tier.map_or_else(|| "all".to_string(), |t| t.to_string()), opt(s.coefficient, 3)))
        .collect();
    let overall = d.spacing.first().is_some_and(|s| s.meets_target);
    writeln!(out, "spacing        {} (H3 res {}; target 0.85: {})", spacing.join(", "), d.resolution, yes(overall))?;
    let c = &d.concentration;
    writeln!(
        out,
        "operators      {}; largest {:.1}% (no entity above 20%: {}); Herfindahl {:.4}",
        c.operators,
        c.largest_share * 100.0,
        yes(c.within_cap()),
        c.herfindahl
    )?;
    let occupancy: Vec<String> = d.occupancy.iter().map(|o| format!("{} cell(s) x {} node(s)", o.cells, o.nodes)).collect();
    writeln!(out, "cells          {}", if occupancy.is_empty() { "no verified node".to_string() } else { occupancy.join(", ") })?;
    writeln!(out, "tiers")?;
    writeln!(
        out,
        "  {:<11} {:>6} {:>7} {:>6} {:>10} {:>6} {:>12} {:>10} {:>12}",
        "tier", "nodes", "active", "GPUs", "$ per GPU", "W", "IO/GPU/day", "payback", "attrition"
    )?;
    for tier in Tier::ALL {
        let mix = &report.tier_mix[tier.index()];
        let hw = &report.hardware[tier.index()];
        let payback = hw.payback_months.map_or_else(|| "-".to_string(), |m| format!("{m:.1} mo"));
        writeln!(
            out,
            "  {:<11} {:>6} {:>7} {:>6} {:>10} {:>6} {:>12} {:>10} {:>12}",
            tier.to_string(),
            mix.nodes,
            mix.active_nodes,
            mix.active_gpus,
            hw.avg_cost_usd.map_or_else(|| "-".to_string(), usd),
            opt(hw.avg_power_watts, 0),
            opt(hw.daily_yield_io, 3),
            payback,
            hw.attrition_price_usd.map_or_else(|| "-".to_string(), |p| format!("${p:.4}"))
        )?;
        if !hw.unpriced_models.is_empty() {
            writeln!(out, "  {:<11} not priced (add them to --hardware): {}", "", hw.unpriced_models.join(", "))?;
        }
    }
    writeln!(
        out,
        "  (payback = GPU + shipping over a day's rewards, target {PAYBACK_TARGET_MONTHS} months; attrition = the IO price below which a GPU's rewards no longer pay its power at ${}/kWh)",
        report.params.electricity_usd_per_kwh
    )?;
    Ok(out)
}

/// The yearly emissions ahead, whole IO: from the chain's cursor (the year in progress's
/// total, then the halvings of what is unscheduled), or from a genesis file.
fn years_ahead(args: &ProjectArgs) -> anyhow::Result<(Vec<f64>, u16, String)> {
    if let Some(url) = &args.cluster {
        let mut chain = crate::placement_cmd::read_only_chain(url, "");
        let config: EmissionsConfig = fetch(&mut chain, &pda::emissions_config()).context("emissions config")?;
        let treasury: TreasuryConfig = fetch(&mut chain, &pda::treasury_config()).context("treasury config")?;
        let schedule = config.schedule();
        let mut cursor: ScheduleCursor = config.cursor.into();
        let mut years = vec![];
        if cursor.year > 0 && cursor.epoch_in_year < schedule.epochs_per_year {
            years.push(cursor.year_total as f64 / 1e6);
            cursor.advance(u64::from(schedule.epochs_per_year - cursor.epoch_in_year), &schedule);
        }
        while years.len() < args.years as usize && !cursor.is_finished(schedule.epochs_per_year) {
            years.push(cursor.advance(u64::from(schedule.epochs_per_year), &schedule) as f64 / 1e6);
        }
        return Ok((years, treasury.params.fee_bps, format!("the schedule in force on {url}")));
    }
    let genesis = match &args.genesis {
        Some(path) => Genesis::load(path)?,
        None => Genesis::reference(),
    };
    let (_, years) = crate::emissions_cmd::projection(&genesis, args.years)?;
    Ok((years.iter().map(|y| y.emission as f64 / 1e6).collect(), genesis.treasury.fee_bps, "the genesis schedule".into()))
}

pub fn run_project(args: &ProjectArgs) -> anyhow::Result<String> {
    ensure!(args.years > 0, "--years must be at least 1");
    ensure!(args.growth_pct.is_finite(), "--growth-pct must be a number");
    let (years, fee_bps, source) = years_ahead(args)?;
    let growth_bps = (args.growth_pct * 100.0).round() as i32;
    let projection: Projection = io_metrics::project(&years, args.arr, growth_bps, args.price, fee_bps)?;
    if args.output == Output::Json {
        return Ok(serde_json::to_string_pretty(&projection)? + "\n");
    }
    let mut out = String::new();
    writeln!(
        out,
        "{} a year of demand{} at ${} per IO, {}% fee, under {source}:",
        usd(args.arr),
        if growth_bps == 0 { String::new() } else { format!(" growing {}% a year", args.growth_pct) },
        args.price,
        f64::from(fee_bps) / 100.0
    )?;
    writeln!(out, "{:>5} {:>20} {:>16} {:>20} {:>20} {:>8}", "year", "emission IO", "demand", "burn IO", "net IO", "D/E")?;
    for y in &projection.years {
        writeln!(
            out,
            "{:>5} {:>20} {:>16} {:>20} {:>20} {:>8}",
            y.year,
            io(y.emission_io),
            usd(y.demand_usd),
            io(y.burn_io),
            io(y.net_io),
            opt(y.de_ratio, 3)
        )?;
    }
    if let Some(first) = projection.years.first() {
        if let Some(break_even) = io_metrics::break_even_demand_usd(first.emission_io, args.price, fee_bps) {
            writeln!(out, "break-even demand in year 1: {} a year (its buyback burns the year's emission)", usd(break_even))?;
        }
    }
    match projection.first_deflationary_year {
        Some(year) => writeln!(out, "net-deflationary from year {year}: the buyback burns more IO than is emitted")?,
        None => writeln!(out, "not net-deflationary within {} years", projection.years.len())?,
    }
    Ok(out)
}
