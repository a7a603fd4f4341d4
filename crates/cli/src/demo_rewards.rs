//! The demo's emissions year: the bank clock runs across the first year boundary of the
//! schedule while the oracle quorum re-attests every verified node (renewing its weight
//! lease) and a keeper cranks once a simulated day;
//! operators claim at the boundary and at the end. The report shows the halving, rewards
//! per tier, supply against the cap, and checks the reward invariants.

use crate::emissions_cmd::{epoch_advanced_from_diff, epoch_advanced_from_logs, group_io, percent};
use anyhow::{ensure, Context};
use indicatif::ProgressBar;
use io_emissions::{EmissionsConfig, EpochAdvanced};
use io_localnet::Localnet;
use io_math::epoch_emission;
use io_registry::{NodeRecord, NodeStatus, OperatorStats, RegistryConfig, Tier, Verdict};
use io_sdk::client::{fetch, Chain};
use io_sdk::network::RegistryClient;
use io_sdk::rewards::pending_rewards;
use io_sdk::{emissions as ex, pda, staking as sx, token};
use io_staking::{OperatorStake, StakingConfig};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use std::fmt::Write as _;

/// The keeper's rhythm: one crank per simulated day (24 hourly epochs, about 60.4k IO in
/// year 1, under the 200k-a-day breaker).
const DAY_SECS: i64 = 86_400;
/// How far into year 2 the demo runs: enough daily cranks to measure the halved rate.
const DAYS_INTO_YEAR_2: i64 = 8;

/// An operator taking part: its key (it signs its claims) and the $IO account paid into.
pub(crate) struct Earner<'a> {
    pub key: &'a Keypair,
    pub tokens: Pubkey,
}

/// What one operator earned.
struct Earned {
    tier: Option<Tier>,
    gpus: u32,
    weight: u64,
    bonded: u64,
    year_1: u64,
    total: u64,
}

pub(crate) struct EmissionsYear {
    cranks: Vec<EpochAdvanced>,
    reattested: usize,
    days: i64,
    epoch_secs: u32,
    epochs_per_year: u32,
    /// Yearly totals of years 1 and 2, as the cursor set them.
    year_totals: [u64; 2],
    earned: Vec<Earned>,
}

/// The single tier an operator's verified GPUs are in, if there is exactly one.
fn tier_of(stats: &OperatorStats) -> Option<Tier> {
    let mut tiers = Tier::ALL.into_iter().filter(|t| stats.verified.gpus_by_tier[t.index()] > 0);
    match (tiers.next(), tiers.next()) {
        (Some(tier), None) => Some(tier),
        _ => None,
    }
}

/// The oracle quorum's daily round: every verified node is attested again with the
/// metrics it was last measured at (the demo's workers do not change), and each
/// attestation transaction renews its operator's weight, as the daemons' do. Returns the
/// number of attestations.
pub(crate) struct Reaudit<'a> {
    pub registry: &'a mut RegistryClient,
    pub quorum: &'a [&'a Keypair],
}

impl Reaudit<'_> {
    fn round(&mut self, net: &mut Localnet) -> anyhow::Result<usize> {
        let config: RegistryConfig = fetch(net, &pda::registry_config())?;
        let epoch = config.current_epoch(net.unix_time()?)?;
        let due: Vec<NodeRecord> = self
            .registry
            .records()
            .map(|(_, r)| *r)
            .filter(|r| r.status == NodeStatus::Verified && r.last_attested_epoch < epoch)
            .collect();
        for record in &due {
            let leaf = self.registry.proven_leaf(&record.node_id)?;
            // The same GPUs its last verification proved.
            let gpus = self.registry.proven_gpus(&leaf.merkle_tree, record.leaf_index).to_vec();
            let subject = io_sdk::registry::verdict_subject(&leaf, epoch, Verdict::Verified, false, gpus);
            let votes: Vec<(&Keypair, io_registry::NodeMetrics)> = self.quorum.iter().map(|k| (*k, record.metrics)).collect();
            let refresh = [sx::refresh_weight(&record.operator)];
            let attested = io_sdk::network::attest_by_quorum(net, &leaf, &votes, &subject, &refresh).context("re-attest")?;
            self.registry.ingest(&attested.attestation)?;
        }
        Ok(due.len())
    }
}

/// Cranks; returns the crank's event.
fn crank(net: &mut Localnet, mint: &Pubkey) -> anyhow::Result<EpochAdvanced> {
    let before: EmissionsConfig = fetch(net, &pda::emissions_config())?;
    let staking: StakingConfig = fetch(net, &pda::staking_config())?;
    let logs = net.send(&[ex::advance_epoch(mint)], &[]).context("crank")?.logs;
    if let Some(event) = epoch_advanced_from_logs(&logs) {
        return Ok(event);
    }
    let after: EmissionsConfig = fetch(net, &pda::emissions_config())?;
    Ok(epoch_advanced_from_diff(&before, &after, &staking.rewards))
}

/// Claims for every operator with something pending; returns what each was paid. The
/// SDK's reading of pending rewards must be exactly what the program pays.
fn claim_all(net: &mut Localnet, earners: &[Earner], mint: &Pubkey) -> anyhow::Result<Vec<u64>> {
    let mut paid = Vec::with_capacity(earners.len());
    for earner in earners {
        let operator = earner.key.pubkey();
        let config: StakingConfig = fetch(net, &pda::staking_config())?;
        let before: OperatorStake = fetch(net, &pda::operator_stake(&operator))?;
        let pending = pending_rewards(&config, &before);
        if pending == 0 {
            paid.push(0);
            continue;
        }
        net.send(&[sx::claim_rewards(&operator, mint, &earner.tokens)], &[earner.key]).context("claim rewards")?;
        let after: OperatorStake = fetch(net, &pda::operator_stake(&operator))?;
        let amount = after.claimed_rewards - before.claimed_rewards;
        ensure!(amount == pending, "operator {operator} was paid {amount}, the SDK expected {pending}");
        paid.push(amount);
    }
    Ok(paid)
}

/// Runs the schedule from where it stands to `DAYS_INTO_YEAR_2` days into year 2.
pub(crate) fn run(net: &mut Localnet, earners: &[Earner], mint: &Pubkey, oracles: &mut Reaudit) -> anyhow::Result<EmissionsYear> {
    let config: EmissionsConfig = fetch(net, &pda::emissions_config()).context("emissions config")?;
    let (epoch_secs, epochs_per_year) = (i64::from(config.epoch_secs), config.epochs_per_year);
    let year_end = config.start_ts + i64::from(epochs_per_year) * epoch_secs;
    let stop_epoch = u64::from(epochs_per_year) + ((DAYS_INTO_YEAR_2 * DAY_SECS) as u64).div_ceil(epoch_secs as u64);
    // A schedule with long years is walked in bigger steps so the demo stays short; the
    // catch-up loop below then cranks as often as the program needs.
    let step = DAY_SECS.max((year_end - config.start_ts) / 365);
    let started = net.unix_time()?;

    let progress = ProgressBar::new(((config.start_ts + stop_epoch as i64 * epoch_secs - started) / step).max(1) as u64);
    progress.set_style(crate::demo::bar_style());
    progress.set_message("emissions");
    let mut cranks = vec![];
    let mut year_1_claims = None;
    let mut year_totals = [0u64; 2];
    let mut reattested = 0;
    loop {
        let now = net.unix_time()?;
        let config: EmissionsConfig = fetch(net, &pda::emissions_config())?;
        // Stop exactly at the year boundary once, so the first claims are year 1's alone.
        let target = if config.next_epoch < u64::from(epochs_per_year) && year_end < now + step { year_end } else { now + step };
        if target > now {
            net.warp_seconds(target - now);
        }
        reattested += oracles.round(net)?;
        loop {
            let event = crank(net, mint)?;
            if let Some(slot) = year_totals.get_mut(event.year.saturating_sub(1) as usize) {
                let config: EmissionsConfig = fetch(net, &pda::emissions_config())?;
                *slot = config.cursor.year_total;
            }
            cranks.push(event);
            let config: EmissionsConfig = fetch(net, &pda::emissions_config())?;
            if ex::preview(&config, net.unix_time()?).epochs_due == 0 {
                break;
            }
        }
        progress.inc(1);
        let config: EmissionsConfig = fetch(net, &pda::emissions_config())?;
        if year_1_claims.is_none() && config.next_epoch >= u64::from(epochs_per_year) {
            year_1_claims = Some(claim_all(net, earners, mint)?);
        }
        if config.next_epoch >= stop_epoch {
            break;
        }
    }
    progress.finish();
    let year_1 = year_1_claims.unwrap_or_else(|| vec![0; earners.len()]);
    let rest = claim_all(net, earners, mint)?;

    let mut earned = Vec::with_capacity(earners.len());
    let operators: Vec<Pubkey> = earners.iter().map(|e| e.key.pubkey()).collect();
    for (i, operator) in operators.iter().enumerate() {
        // No aggregate account: none of the operator's nodes registered, no verified GPU.
        let stats: Option<OperatorStats> = io_sdk::client::fetch_opt(net, &pda::operator_stats(operator))?;
        let stake: OperatorStake = fetch(net, &pda::operator_stake(operator))?;
        earned.push(Earned {
            tier: stats.as_ref().and_then(tier_of),
            gpus: stats.map_or(0, |s| s.verified.total_gpus()),
            weight: stake.weight,
            bonded: stake.bonded,
            year_1: year_1[i],
            total: year_1[i] + rest[i],
        });
    }
    let days = (net.unix_time()? - started) / DAY_SECS;
    Ok(EmissionsYear { cranks, days, epoch_secs: config.epoch_secs, epochs_per_year, year_totals, earned, reattested })
}

impl EmissionsYear {
    /// The report, with the invariants checked against the chain (an error if one fails).
    /// `burned`: $IO the demo's slash burned, to reconcile the mint's supply.
    pub(crate) fn report(&self, net: &mut Localnet, mint: &Pubkey, burned: u64) -> anyhow::Result<String> {
        let mut out = String::new();
        let n = self.epochs_per_year;
        let per_day = (DAY_SECS / i64::from(self.epoch_secs)) as u64;
        writeln!(
            out,
            "\nemissions: {} cranks over {} simulated days ({}s epochs, {} a year); before each, the oracle quorum \
             re-attested every verified node ({} attestations, each renewing its operator's weight lease)",
            self.cranks.len(),
            self.days,
            self.epoch_secs,
            n,
            self.reattested
        )?;
        let [y1, y2] = self.year_totals;
        let (e1, e2) = (epoch_emission(y1, n, 0), epoch_emission(y2, n, 0));
        writeln!(
            out,
            "halving: year 1 emits {} IO ({} IO per epoch), year 2 {} IO ({} IO per epoch): {:.2}% of year 1",
            group_io(y1),
            group_io(e1),
            group_io(y2),
            group_io(e2),
            percent(e2, e1)
        )?;
        // Measured, not computed: the last full day's crank of year 1 and the first of year 2.
        let full_day = |c: &&EpochAdvanced| c.epochs == per_day;
        let day_1 = self.cranks.iter().rev().filter(full_day).find(|c| c.first_epoch + c.epochs <= u64::from(n));
        let day_2 = self.cranks.iter().filter(full_day).find(|c| c.first_epoch >= u64::from(n));
        if let (Some(d1), Some(d2)) = (day_1, day_2) {
            writeln!(
                out,
                "a day's crank ({per_day} epochs) minted {} IO in year 1 and {} IO in year 2",
                group_io(d1.minted),
                group_io(d2.minted)
            )?;
        }
        let config: EmissionsConfig = fetch(net, &pda::emissions_config())?;
        let limited: Vec<&EpochAdvanced> = self.cranks.iter().filter(|c| c.breaker_limited).collect();
        if !limited.is_empty() {
            let peak = self.cranks.iter().map(|c| c.held_back).max().unwrap_or(0);
            writeln!(
                out,
                "breaker: {} cranks reached the {} IO window limit; held back at most {} IO, minted by the next cranks",
                limited.len(),
                group_io(config.params.breaker_max_mint),
                group_io(peak)
            )?;
        }

        writeln!(out, "\nrewards per tier (claimed at the year boundary and at the end)")?;
        writeln!(
            out,
            "{:<12} {:>9} {:>6} {:>16} {:>20} {:>18} {:>14} {:>12}",
            "tier", "operators", "GPUs", "weight", "year 1 (IO)", "year 2 (IO)", "IO per weight", "IO per IO"
        )?;
        let groups: [(&str, Option<Tier>); 4] = [
            ("enterprise", Some(Tier::Enterprise)),
            ("mid-market", Some(Tier::MidMarket)),
            ("consumer", Some(Tier::Consumer)),
            ("mixed/none", None),
        ];
        for (name, tier) in groups {
            let rows: Vec<&Earned> = self.earned.iter().filter(|e| e.tier == tier).collect();
            if rows.is_empty() {
                continue;
            }
            let sum = |f: fn(&Earned) -> u64| rows.iter().map(|e| f(e)).sum::<u64>();
            let (weight, bonded, year_1, total) = (sum(|e| e.weight), sum(|e| e.bonded), sum(|e| e.year_1), sum(|e| e.total));
            let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
            writeln!(
                out,
                "{:<12} {:>9} {:>6} {:>16} {:>20} {:>18} {:>14.4} {:>11.2}x",
                name,
                rows.len(),
                rows.iter().map(|e| e.gpus).sum::<u32>(),
                weight,
                group_io(year_1),
                group_io(total - year_1),
                ratio(total, weight),
                ratio(total, bonded)
            )?;
        }
        writeln!(out, "(rewards follow weight: the same IO per weight in every tier; the tier multipliers show per IO bonded)")?;

        let staking: StakingConfig = fetch(net, &pda::staking_config())?;
        let vault =
            token::balance(&net.account_data(&pda::staking_reward_vault())?.context("reward vault")?).context("not a token account")?;
        let supply = token::supply(&net.account_data(mint)?.context("mint")?).context("not a mint")?;
        let pool = &staking.rewards;
        let cursor = config.cursor;
        let year_so_far = (u128::from(cursor.year_total) * u128::from(cursor.epoch_in_year) / u128::from(n)) as u64;
        writeln!(out, "\nschedule year     {} ({} of {} epochs accounted)", cursor.year, cursor.epoch_in_year, n)?;
        writeln!(out, "accounted         {} IO this year", group_io(year_so_far))?;
        let returned: u64 = self.cranks.iter().map(|c| c.returned).sum();
        if returned > 0 {
            writeln!(
                out,
                "returned          {} IO to the reserve: epochs that began before any weight earned (later years emit it)",
                group_io(returned)
            )?;
        }
        writeln!(out, "held back         {} IO (the breaker's backlog)", group_io(config.held_back))?;
        writeln!(
            out,
            "total minted      {} of {} IO cap ({:.4}%); {} IO burned by slashing, mint supply {} IO",
            group_io(config.total_minted),
            group_io(config.supply_cap),
            percent(config.total_minted, config.supply_cap),
            group_io(burned),
            group_io(supply)
        )?;
        writeln!(
            out,
            "rewards           {} IO distributed, {} IO claimed, {} IO in the reward vault",
            group_io(pool.total_distributed),
            group_io(pool.total_claimed),
            group_io(vault)
        )?;
        ensure!(pool.total_claimed <= pool.total_distributed, "claimed {} > distributed {}", pool.total_claimed, pool.total_distributed);
        ensure!(config.total_minted <= config.supply_cap, "minted {} above the cap {}", config.total_minted, config.supply_cap);
        // Forfeited rewards the crank reclaimed left the stakers' books; those paid out again
        // were distributed twice but minted once.
        let paid_again = pool.total_reclaimed - config.reclaimed;
        let backed = pool.total_distributed - pool.total_claimed - pool.total_reclaimed + config.reclaimed;
        ensure!(vault == backed, "reward vault {vault} != distributed - claimed - reclaimed + reclaimed unpaid ({backed})");
        ensure!(
            config.total_minted - config.genesis_supply + paid_again == pool.total_distributed,
            "minted since genesis + paid again != distributed"
        );
        ensure!(supply == config.total_minted - burned, "mint supply {supply} != minted {} - burned {burned}", config.total_minted);
        writeln!(
            out,
            "invariants        claimed <= distributed, total minted <= cap, reward vault == distributed - claimed - reclaimed (+ reclaimed unpaid), minted since genesis == distributed - paid again: ok"
        )?;
        Ok(out)
    }
}
