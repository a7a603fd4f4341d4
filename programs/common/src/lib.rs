//! What the $IO programs share. Anchor builds a program's IDL from the account and data
//! types the program itself defines, so the shared types are written once here and
//! emitted into each program by a macro: one definition, and every IDL whole.

#![no_std]
// Integer overflow on-chain is a silent wrong balance: every operation says what
// happens at the edge (checked, saturating with a reason, or a compile-time constant).
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]

pub mod authority;
mod params_change;
pub mod token;

/// Emits `Deployer`, the accounts composite every `initialize_*` takes first: the
/// `deployer` signer and the program's ProgramData (the upgradeable loader's PDA of the
/// program id, canonical bump), whose upgrade authority must be the deployer, refused
/// with the given error otherwise. Invoke it in the module of the initialize instruction
/// with `anchor_lang::prelude::*` in scope: `io_program_common::deployer_accounts!(MyError::NotUpgradeAuthority);`.
// `crate::ID` is meant: the program the macro is invoked in, not this crate.
#[allow(clippy::crate_in_macro_def)]
#[macro_export]
macro_rules! deployer_accounts {
    ($($error:tt)+) => {
        /// Only whoever deployed the program (its upgrade authority, named by its ProgramData)
        /// may open it, so nobody can front-run genesis between the deploy and this instruction.
        /// A composite of its own so Anchor checks it first: a stranger is refused by this name
        /// before any account of the instruction is read or created.
        #[derive(Accounts)]
        pub struct Deployer<'info> {
            pub deployer: Signer<'info>,
            #[account(
                seeds = [crate::ID.as_ref()],
                bump,
                seeds::program = anchor_lang::solana_program::bpf_loader_upgradeable::ID,
                constraint = program_data.upgrade_authority_address == Some(deployer.key()) @ $($error)+
            )]
            pub program_data: Box<Account<'info, ProgramData>>,
        }
    };
}

/// Emits `RollingWindow`: `io_math::RollingCap` as an account stores it (what was
/// minted per slot of a rolling window), with the conversions both ways. Invoke it in a
/// program's `state.rs`.
#[macro_export]
macro_rules! rolling_window_type {
    () => {
        /// `io_math::RollingCap` as stored: what was minted, per slot of the rolling window.
        #[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace)]
        pub struct RollingWindow {
            pub slot_secs: u32,
            pub newest_slot: u64,
            pub amounts: [u64; 25],
        }

        const _: () = assert!(io_math::RATE_SLOTS == 25, "RollingWindow stores io_math's ring as is");

        impl From<RollingWindow> for io_math::RollingCap {
            fn from(w: RollingWindow) -> Self {
                Self { slot_secs: w.slot_secs, newest_slot: w.newest_slot, amounts: w.amounts }
            }
        }

        impl From<io_math::RollingCap> for RollingWindow {
            fn from(c: io_math::RollingCap) -> Self {
                Self { slot_secs: c.slot_secs, newest_slot: c.newest_slot, amounts: c.amounts }
            }
        }
    };
}

/// Reads an account another program owns at the PDA `seeds ++ [bump]` of `program`, using
/// the bump the account stores (`bump_of`) so the check costs one address derivation
/// rather than a canonical-bump search whose length depends on the seeds (a search over an
/// operator's key can take a dozen tries and makes the instruction's compute vary with
/// who sends it). The stored bump is the canonical one: the owning program found it when
/// it created the account. An account that does not exist yet reads as `None` after its
/// address is checked by the search (only then is the search paid). Any mismatch of
/// address, owner or type is refused with `wrong`.
pub fn read_program_pda<T: anchor_lang::AccountDeserialize>(
    account: &anchor_lang::prelude::AccountInfo,
    program: &anchor_lang::prelude::Pubkey,
    seeds: &[&[u8]],
    bump_of: impl Fn(&T) -> u8,
    wrong: impl Fn() -> anchor_lang::error::Error,
) -> anchor_lang::Result<Option<T>> {
    use anchor_lang::prelude::Pubkey;
    if account.data_is_empty() {
        let (expected, _) = Pubkey::find_program_address(seeds, program);
        return if *account.key == expected { Ok(None) } else { Err(wrong()) };
    }
    if account.owner != program {
        return Err(wrong());
    }
    let value = T::try_deserialize(&mut &account.try_borrow_data()?[..]).map_err(|_| wrong())?;
    let bump = [bump_of(&value)];
    let mut with_bump: [&[u8]; 8] = [&[]; 8];
    if seeds.len() >= with_bump.len() {
        return Err(wrong());
    }
    with_bump[..seeds.len()].copy_from_slice(seeds);
    with_bump[seeds.len()] = &bump;
    match Pubkey::create_program_address(&with_bump[..=seeds.len()], program) {
        Ok(expected) if expected == *account.key => Ok(Some(value)),
        _ => Err(wrong()),
    }
}
