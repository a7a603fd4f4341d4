//! Instruction builders for the emissions program, and the schedule as an integrator
//! sees it (yearly totals, the epoch amount at any time).

use crate::pda;
use anchor_lang::{InstructionData, ToAccountMetas};
use anchor_spl::token::spl_token;
use io_emissions::{accounts, instruction, EmissionParams, EmissionParamsChange, EmissionsConfig, InitializeEmissionsArgs};
use io_math::{EmissionSchedule, ScheduleCursor};
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_system_interface::program as system_program;

fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction { program_id: io_emissions::ID, accounts: accounts.to_account_metas(None), data: data.data() }
}

/// Hands the mint authority of `io_mint` from `mint_authority` to the emissions program.
/// `deployer` must be the program's upgrade authority.
pub fn initialize_emissions(
    payer: &Pubkey,
    deployer: &Pubkey,
    mint_authority: &Pubkey,
    io_mint: &Pubkey,
    args: InitializeEmissionsArgs,
) -> Instruction {
    build(
        accounts::InitializeEmissions {
            payer: *payer,
            deploy: accounts::Deployer { deployer: *deployer, program_data: pda::program_data(&io_emissions::ID) },
            mint_authority: *mint_authority,
            config: pda::emissions_config(),
            io_mint: *io_mint,
            staking_config: pda::staking_config(),
            token_program: spl_token::ID,
            system_program: system_program::ID,
        },
        instruction::InitializeEmissions { args },
    )
}

/// The crank. Its accounts are fixed: they never depend on the stakers.
pub fn advance_epoch(io_mint: &Pubkey) -> Instruction {
    build(
        accounts::AdvanceEpoch {
            config: pda::emissions_config(),
            io_mint: *io_mint,
            staking_config: pda::staking_config(),
            reward_vault: pda::staking_reward_vault(),
            staking_program: io_staking::ID,
            token_program: spl_token::ID,
        },
        instruction::AdvanceEpoch {},
    )
}

/// Changes the emission parameters from `current` to `wanted`, naming only the fields
/// that differ (refused with `StaleParams` if one of them changes before it runs).
pub fn set_emission_params(authority: &Pubkey, current: &EmissionParams, wanted: &EmissionParams) -> Instruction {
    let (expected, change) = EmissionParamsChange::between(current, wanted);
    build(
        accounts::SetEmissionParams { authority: *authority, config: pda::emissions_config() },
        instruction::SetEmissionParams { expected, change },
    )
}

/// Adds `amount` of the cap's unminted rest to the emission reserve, written against
/// `expected_reserve` (refused with `StaleParams` if the reserve moved before it runs).
pub fn extend_reserve(authority: &Pubkey, expected_reserve: u64, amount: u64) -> Instruction {
    build(
        accounts::ExtendReserve { authority: *authority, config: pda::emissions_config() },
        instruction::ExtendReserve { expected_reserve, amount },
    )
}

pub fn propose_authority(authority: &Pubkey, new_authority: &Pubkey) -> Instruction {
    build(
        accounts::ProposeAuthority { authority: *authority, config: pda::emissions_config() },
        instruction::ProposeAuthority { new_authority: *new_authority },
    )
}

pub fn accept_authority(new_authority: &Pubkey) -> Instruction {
    build(accounts::AcceptAuthority { new_authority: *new_authority, config: pda::emissions_config() }, instruction::AcceptAuthority {})
}

/// One year of the projected schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct YearProjection {
    /// 1-based.
    pub year: u32,
    pub emission: u64,
    /// Genesis plus every year up to this one.
    pub cumulative_supply: u64,
    /// Amount of the year's first epoch.
    pub first_epoch: u64,
}

/// The schedule from the start, year by year, until the reserve is emitted or `max_years`.
pub fn project(genesis_supply: u64, reserve: u64, schedule: &EmissionSchedule, max_years: u32) -> Vec<YearProjection> {
    let mut cursor = ScheduleCursor::new(reserve);
    let mut out = Vec::new();
    let mut cumulative = genesis_supply;
    while out.len() < max_years as usize && !cursor.is_finished(schedule.epochs_per_year) {
        let first_epoch = cursor.advance(1, schedule);
        let rest = cursor.advance(u64::from(schedule.epochs_per_year - 1), schedule);
        let emission = first_epoch + rest;
        cumulative = cumulative.saturating_add(emission);
        out.push(YearProjection { year: cursor.year, emission, cumulative_supply: cumulative, first_epoch });
    }
    out
}

/// What the next crank would account and owe, from a config and the time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CrankPreview {
    pub epochs_ended: u64,
    pub epochs_due: u64,
    pub owed: u64,
    /// Seconds until the current epoch ends.
    pub next_epoch_in: i64,
}

pub fn preview(config: &EmissionsConfig, now: i64) -> CrankPreview {
    let ended = config.epochs_ended(now);
    let due = ended.saturating_sub(config.next_epoch).min(io_emissions::MAX_CATCH_UP_EPOCHS);
    let mut cursor: ScheduleCursor = config.cursor.into();
    let owed = config.held_back.saturating_add(cursor.advance(due, &config.schedule()));
    let next_end = config.start_ts + (ended as i64 + 1) * i64::from(config.epoch_secs);
    CrankPreview { epochs_ended: ended, epochs_due: due, owed, next_epoch_in: next_end - now }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_projection_adds_up_to_the_cap() {
        let reserve = 700_000_000 * 1_000_000;
        let years = project(100_000_000 * 1_000_000, reserve, &EmissionSchedule::HALVING_HOURLY, 200);
        // A reserve that fills the cap is emitted to its last unit.
        assert_eq!(years.last().unwrap().cumulative_supply, 800_000_000 * 1_000_000);
        assert_eq!(years[0].emission, reserve / 2);
        assert!(years[1].first_epoch.abs_diff(years[0].first_epoch / 2) <= 1);
    }
}
