//! `io emissions ...`: where the halving schedule stands, what it will emit, and the crank.

use crate::chart;
use crate::stake_cmd::{format_io, IO_DECIMALS};
use anchor_lang::{AnchorDeserialize, Discriminator};
use anyhow::{ensure, Context};
use base64::Engine as _;
use clap::{Args, Subcommand};
use io_emissions::{EmissionsConfig, EpochAdvanced, SUPPLY_CAP_IO};
use io_math::ScheduleCursor;
use io_migrations::Genesis;
use io_sdk::client::{fetch, Chain};
use io_sdk::emissions::{self as ex, YearProjection};
use io_sdk::{pda, token};
use io_staking::{RewardPool, StakingConfig};
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum EmissionsCommand {
    /// The year and epoch in progress, minted vs cap, held-back emission, the breaker, rewards.
    Status,
    /// The projected schedule from the genesis parameters, year by year (no cluster needed).
    Schedule(ScheduleArgs),
    /// Advance the schedule: mint what ended epochs owe into the reward vault (anyone).
    Crank,
}

#[derive(Args, Debug, Clone)]
pub struct ScheduleArgs {
    /// Years to list.
    #[arg(long, default_value_t = 10)]
    pub years: u32,
    /// Also write the schedule as an SVG chart to this file.
    #[arg(long)]
    pub svg: Option<PathBuf>,
    /// Genesis parameters (default: the reference network's, migrations/genesis.toml).
    #[arg(long)]
    pub genesis: Option<PathBuf>,
}

/// The supply cap in base units.
pub fn supply_cap() -> u64 {
    SUPPLY_CAP_IO * 10u64.pow(IO_DECIMALS)
}

/// Base units -> "350,000,000" or "39,954.337899" IO: supply-sized numbers need grouping
/// to be read at a glance.
pub fn group_io(base: u64) -> String {
    let plain = format_io(base);
    let (whole, frac) = plain.split_once('.').map_or((plain.as_str(), None), |(w, f)| (w, Some(f)));
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    match frac {
        Some(frac) => format!("{grouped}.{frac}"),
        None => grouped,
    }
}

/// `part` as a percentage of `whole`, for display only.
pub fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// The epoch in progress at `now`: its global index, its year (1-based), its index in that
/// year (0-based) and what it will emit. The stored cursor only knows accounted epochs,
/// so a copy is walked forward over the ones that ended since the last crank.
pub fn epoch_in_progress(config: &EmissionsConfig, now: i64) -> (u64, u32, u32, u64) {
    let ended = config.epochs_ended(now);
    let mut cursor: ScheduleCursor = config.cursor.into();
    let schedule = config.schedule();
    cursor.advance(ended.saturating_sub(config.next_epoch), &schedule);
    let amount = cursor.advance(1, &schedule);
    (ended, cursor.year, cursor.epoch_in_year.saturating_sub(1), amount)
}

/// The `EpochAdvanced` event of a crank, from its "Program data:" log lines: what a real
/// cluster returns. (The embedded bank runs native builds, whose events go to stdout, so
/// there the numbers come from [`epoch_advanced_from_diff`].)
pub fn epoch_advanced_from_logs(logs: &[String]) -> Option<EpochAdvanced> {
    logs.iter().filter_map(|line| line.strip_prefix("Program data: ")).find_map(|data| {
        let bytes = base64::engine::general_purpose::STANDARD.decode(data.trim()).ok()?;
        let body = bytes.strip_prefix(EpochAdvanced::DISCRIMINATOR)?;
        EpochAdvanced::try_from_slice(body).ok()
    })
}

/// The same numbers the event carries, rebuilt from the configs before and after one
/// crank: the crank's accounting is replayed on the cursor it started from, with the
/// staking reward pool it read (so the idle epochs and what returned to the reserve are
/// the program's own). A backlog left behind is always the breaker's.
pub fn epoch_advanced_from_diff(before: &EmissionsConfig, after: &EmissionsConfig, pool: &RewardPool) -> EpochAdvanced {
    let minted = after.total_minted - before.total_minted;
    let epochs = after.next_epoch - before.next_epoch;
    let idle_epochs = before.idle_epochs(before.next_epoch, epochs, pool.earning_since);
    let mut cursor: ScheduleCursor = before.cursor.into();
    // The crank reclaims staking's forfeited rewards into the reserve before accounting.
    let reclaimed = pool.forfeited;
    cursor.unscheduled = cursor.unscheduled.saturating_add(reclaimed);
    let account =
        cursor.account_crank(epochs, idle_epochs, before.held_back, pool.earning_weight > 0, &before.schedule()).unwrap_or_default();
    let from_reclaimed = (before.reclaimed + reclaimed).saturating_sub(after.reclaimed);
    EpochAdvanced {
        first_epoch: before.next_epoch,
        epochs,
        year: after.cursor.year,
        emitted: account.emitted,
        minted,
        paid: minted + from_reclaimed,
        returned: account.returned,
        reclaimed,
        held_back: after.held_back,
        total_minted: after.total_minted,
        breaker_limited: after.held_back > 0,
    }
}

/// Sends one crank and returns what it did.
pub fn crank(chain: &mut impl Chain) -> anyhow::Result<EpochAdvanced> {
    let before: EmissionsConfig = fetch(chain, &pda::emissions_config()).context("emissions config (is genesis done?)")?;
    let staking: StakingConfig = fetch(chain, &pda::staking_config())?;
    let outcome = chain.send(&[ex::advance_epoch(&before.io_mint)], &[])?;
    if let Some(event) = epoch_advanced_from_logs(&outcome.logs) {
        return Ok(event);
    }
    let after: EmissionsConfig = fetch(chain, &pda::emissions_config())?;
    Ok(epoch_advanced_from_diff(&before, &after, &staking.rewards))
}

pub fn describe_crank(event: &EpochAdvanced) -> String {
    let last = (event.first_epoch + event.epochs).saturating_sub(1);
    let mut out = format!("advanced   epochs {}..={} ({} epochs), schedule year {}\n", event.first_epoch, last, event.epochs, event.year);
    out += &format!("emitted    {} IO\n", group_io(event.emitted));
    out += &format!("paid       {} IO to the stakers' reward pool\n", group_io(event.paid));
    out += &format!("minted     {} IO of it into the reward vault (the rest from reclaimed rewards)\n", group_io(event.minted));
    if event.returned > 0 {
        out += &format!("returned   {} IO to the reserve (epochs nobody earned; later years emit it)\n", group_io(event.returned));
    }
    if event.reclaimed > 0 {
        out += &format!(
            "reclaimed  {} IO of forfeited rewards to the reserve (paid again before anything is minted)\n",
            group_io(event.reclaimed)
        );
    }
    let why = if event.breaker_limited { " (the breaker's window is full)" } else { "" };
    out += &format!("held back  {} IO{why}\n", group_io(event.held_back));
    out += &format!("total      {} of {} IO minted\n", group_io(event.total_minted), group_io(supply_cap()));
    out
}

pub fn run_emissions(chain: &mut impl Chain, command: EmissionsCommand) -> anyhow::Result<String> {
    match command {
        EmissionsCommand::Status => status(chain),
        EmissionsCommand::Schedule(args) => run_schedule(&args),
        EmissionsCommand::Crank => {
            let event = crank(chain)?;
            let mut out = describe_crank(&event);
            let config: EmissionsConfig = fetch(chain, &pda::emissions_config())?;
            let due = ex::preview(&config, chain.unix_time()?).epochs_due;
            if due > 0 {
                writeln!(out, "{due} more epochs are due: crank again")?;
            }
            Ok(out)
        }
    }
}

fn status(chain: &mut impl Chain) -> anyhow::Result<String> {
    let mut out = String::new();
    let config: EmissionsConfig = fetch(chain, &pda::emissions_config()).context("emissions config (is genesis done?)")?;
    let staking: StakingConfig = fetch(chain, &pda::staking_config())?;
    let now = chain.unix_time()?;
    let preview = ex::preview(&config, now);
    let (epoch, year, in_year, amount) = epoch_in_progress(&config, now);
    let cap = config.supply_cap;
    writeln!(out, "year       {year} of the schedule (epoch {} of {} in the year)", in_year + 1, config.epochs_per_year)?;
    writeln!(out, "epoch      {epoch} in progress, ends in {}s ({}s epochs)", preview.next_epoch_in, config.epoch_secs)?;
    writeln!(out, "this epoch {} IO", group_io(amount))?;
    writeln!(out, "due        {} epochs, {} IO for the next crank", preview.epochs_due, group_io(preview.owed))?;
    writeln!(
        out,
        "minted     {} of {} IO cap ({:.4}%), {} IO at genesis",
        group_io(config.total_minted),
        group_io(cap),
        percent(config.total_minted, cap),
        group_io(config.genesis_supply)
    )?;
    writeln!(out, "held back  {} IO", group_io(config.held_back))?;
    writeln!(
        out,
        "reclaimed  {} IO of forfeited rewards returned to the reserve, {} IO of it in the vault for the next emission, {} IO forfeited since",
        group_io(staking.rewards.total_reclaimed),
        group_io(config.reclaimed),
        group_io(staking.rewards.forfeited)
    )?;
    let in_window = io_math::RollingCap::from(config.breaker).used_at(now, config.params.breaker_window_secs);
    writeln!(
        out,
        "breaker    {} of {} IO in the rolling {}s window ({:.2}%)",
        group_io(in_window),
        group_io(config.params.breaker_max_mint),
        config.params.breaker_window_secs,
        percent(in_window, config.params.breaker_max_mint)
    )?;
    let pool = &staking.rewards;
    writeln!(out, "weight     {} earning of {} total, {} distributions", pool.earning_weight, staking.total_weight, pool.distributions)?;
    let vault = chain.account_data(&pda::staking_reward_vault())?.and_then(|d| token::balance(&d)).unwrap_or(0);
    writeln!(
        out,
        "rewards    {} IO distributed, {} IO claimed, {} IO in the reward vault",
        group_io(pool.total_distributed),
        group_io(pool.total_claimed),
        group_io(vault)
    )?;
    Ok(out)
}

/// The genesis supply and the projection of a genesis file's schedule.
pub fn projection(genesis: &Genesis, years: u32) -> anyhow::Result<(u64, Vec<YearProjection>)> {
    let genesis_supply = genesis.io(&genesis.token.initial_supply)?;
    let reserve = genesis.emission_reserve()?;
    ensure!(
        genesis_supply.checked_add(reserve).is_some_and(|t| t <= supply_cap()),
        "the genesis allocation and reserve exceed the supply cap"
    );
    Ok((genesis_supply, ex::project(genesis_supply, reserve, &genesis.schedule(), years)))
}

pub fn run_schedule(args: &ScheduleArgs) -> anyhow::Result<String> {
    ensure!(args.years > 0, "--years must be at least 1");
    let genesis = match &args.genesis {
        Some(path) => Genesis::load(path)?,
        None => Genesis::reference(),
    };
    let (genesis_supply, years) = projection(&genesis, args.years)?;
    let cap = supply_cap();
    let epoch = format!("epoch ({}s)", genesis.emissions.epoch_secs);
    let mut out = String::new();
    writeln!(out, "{:>5} {:>26} {:>26} {:>9} {:>22}", "year", "emission (IO)", "cumulative supply (IO)", "of cap", epoch)?;
    writeln!(out, "{:>5} {:>26} {:>26} {:>8.4}% {:>22}", 0, "genesis", group_io(genesis_supply), percent(genesis_supply, cap), "-")?;
    for y in &years {
        writeln!(
            out,
            "{:>5} {:>26} {:>26} {:>8.4}% {:>22}",
            y.year,
            group_io(y.emission),
            group_io(y.cumulative_supply),
            percent(y.cumulative_supply, cap),
            group_io(y.first_epoch)
        )?;
    }
    let emitted: u64 = years.iter().map(|y| y.emission).sum();
    let reserve = genesis.emission_reserve()?;
    writeln!(
        out,
        "{} years emit {} of the {} IO reserve; {} IO left after them",
        years.len(),
        group_io(emitted),
        group_io(reserve),
        group_io(reserve - emitted)
    )?;
    if let Some(path) = &args.svg {
        let svg = chart::schedule_svg(&years, genesis_supply, cap);
        std::fs::write(path, svg).with_context(|| format!("writing {}", path.display()))?;
        writeln!(out, "chart written to {}", path.display())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_amounts_are_grouped() {
        assert_eq!(group_io(800_000_000 * 1_000_000), "800,000,000");
        assert_eq!(group_io(39_954_337_899), "39,954.337899");
        assert_eq!(group_io(999_000_000), "999");
        assert_eq!(group_io(1_000_000_000), "1,000");
        assert_eq!(group_io(1), "0.000001");
    }

    #[test]
    fn the_full_schedule_table_emits_the_whole_reserve() {
        let genesis = Genesis::reference();
        let (genesis_supply, years) = projection(&genesis, 1_000).unwrap();
        let emitted: u64 = years.iter().map(|y| y.emission).sum();
        // The whole 44.1M IO reserve, and not the rest of the cap (unminted until the DAO
        // extends the reserve).
        assert_eq!(genesis_supply + emitted, 144_100_000 * 1_000_000);
        assert_eq!(years.last().unwrap().cumulative_supply, 144_100_000 * 1_000_000);
        // The reference schedule halves: year 2 emits half of year 1.
        assert_eq!(years[0].emission, 22_050_000 * 1_000_000);
        assert_eq!(years[1].emission, 11_025_000 * 1_000_000);

        let out = run_schedule(&ScheduleArgs { years: 1_000, svg: None, genesis: None }).unwrap();
        // Genesis and the whole reserve: 144.1M of the 800M cap = 18.0125%.
        assert!(out.contains("18.0125%"), "{out}");
        assert!(out.contains("0 IO left after them"), "{out}");
        let short = run_schedule(&ScheduleArgs { years: 3, svg: None, genesis: None }).unwrap();
        assert!(short.contains("22,050,000") && short.contains("11,025,000") && short.contains("5,512,500"), "{short}");
        assert!(short.contains("3 years emit 38,587,500 of the 44,100,000 IO reserve; 5,512,500 IO left"), "{short}");
    }

    #[test]
    fn the_schedule_command_writes_its_chart() {
        let path = std::env::temp_dir().join(format!("io-schedule-{}.svg", std::process::id()));
        let out = run_schedule(&ScheduleArgs { years: 12, svg: Some(path.clone()), genesis: None }).unwrap();
        assert!(out.contains("chart written"), "{out}");
        let svg = std::fs::read_to_string(&path).unwrap();
        assert_eq!(svg.matches("class=\"bar\"").count(), 12);
        std::fs::remove_file(path).ok();
    }

    #[test]
    fn a_crank_event_round_trips_through_its_log_line() {
        let event = EpochAdvanced {
            first_epoch: 8_750,
            epochs: 24,
            year: 2,
            emitted: 7,
            minted: 5,
            paid: 6,
            returned: 0,
            reclaimed: 3,
            held_back: 2,
            total_minted: 9,
            breaker_limited: true,
        };
        let data = anchor_lang::Event::data(&event);
        let line = format!("Program data: {}", base64::engine::general_purpose::STANDARD.encode(data));
        let logs = vec!["Program log: Instruction: AdvanceEpoch".to_string(), "Program data: AAAA".to_string(), line];
        let decoded = epoch_advanced_from_logs(&logs).unwrap();
        assert_eq!((decoded.first_epoch, decoded.epochs, decoded.year), (8_750, 24, 2));
        assert_eq!((decoded.emitted, decoded.minted, decoded.held_back, decoded.breaker_limited), (7, 5, 2, true));
        assert_eq!((decoded.paid, decoded.reclaimed), (6, 3));
        assert!(epoch_advanced_from_logs(&logs[..2]).is_none());
    }
}
