//! Anchor events (`emit!`, i.e. `sol_log_data`) of native programs in solana-program-test
//! are printed to stdout by the default syscall stub instead of reaching the transaction's
//! logs. This wraps the bank's stubs so each is logged, in place (inside the invocation
//! that emitted it, as a cluster logs it), as a marked `Program log:` line, and
//! [`restore`] turns the marked lines back into the `Program data: <base64>` lines a
//! cluster shows. Readers that attribute an event to the program that emitted it (the
//! indexer) then see the same logs as from a validator.

use base64::Engine as _;
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sysvar::program_stubs::{set_syscall_stubs, SyscallStubs};
use std::sync::Once;

/// What a marked line starts with after the bank's `Program log: ` prefix.
const MARK: &str = "io-localnet-data: ";

struct EventCapture(Box<dyn SyscallStubs>);

/// A stand-in for the instant the real stubs are swapped for the wrapper.
struct Placeholder;
impl SyscallStubs for Placeholder {}

/// Installs the wrapper once, after solana-program-test installed its own stubs.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let bank_stubs = set_syscall_stubs(Box::new(Placeholder));
        set_syscall_stubs(Box::new(EventCapture(bank_stubs)));
    });
}

/// The logs with each marked line turned back into the `Program data:` line it stands for.
pub fn restore(logs: Vec<String>) -> Vec<String> {
    logs.into_iter()
        .map(|line| match line.strip_prefix("Program log: ").and_then(|rest| rest.strip_prefix(MARK)) {
            Some(fields) => format!("Program data: {fields}"),
            None => line,
        })
        .collect()
}

impl SyscallStubs for EventCapture {
    fn sol_log_data(&self, fields: &[&[u8]]) {
        let encoded: Vec<String> = fields.iter().map(|f| base64::engine::general_purpose::STANDARD.encode(f)).collect();
        self.0.sol_log(&format!("{MARK}{}", encoded.join(" ")));
    }

    fn sol_log(&self, message: &str) {
        self.0.sol_log(message)
    }
    fn sol_log_compute_units(&self) {
        self.0.sol_log_compute_units()
    }
    fn sol_remaining_compute_units(&self) -> u64 {
        self.0.sol_remaining_compute_units()
    }
    fn sol_invoke_signed(
        &self,
        instruction: &Instruction,
        account_infos: &[solana_sdk::account_info::AccountInfo],
        signers_seeds: &[&[&[u8]]],
    ) -> solana_sdk::entrypoint::ProgramResult {
        self.0.sol_invoke_signed(instruction, account_infos, signers_seeds)
    }
    fn sol_get_sysvar(&self, sysvar_id_addr: *const u8, var_addr: *mut u8, offset: u64, length: u64) -> u64 {
        self.0.sol_get_sysvar(sysvar_id_addr, var_addr, offset, length)
    }
    fn sol_get_clock_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.0.sol_get_clock_sysvar(var_addr)
    }
    fn sol_get_epoch_schedule_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.0.sol_get_epoch_schedule_sysvar(var_addr)
    }
    fn sol_get_fees_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.0.sol_get_fees_sysvar(var_addr)
    }
    fn sol_get_rent_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.0.sol_get_rent_sysvar(var_addr)
    }
    fn sol_get_epoch_rewards_sysvar(&self, var_addr: *mut u8) -> u64 {
        self.0.sol_get_epoch_rewards_sysvar(var_addr)
    }
    fn sol_get_last_restart_slot(&self, var_addr: *mut u8) -> u64 {
        self.0.sol_get_last_restart_slot(var_addr)
    }
    fn sol_get_epoch_stake(&self, vote_address: *const u8) -> u64 {
        self.0.sol_get_epoch_stake(vote_address)
    }
    unsafe fn sol_memcpy(&self, dst: *mut u8, src: *const u8, n: usize) {
        self.0.sol_memcpy(dst, src, n)
    }
    unsafe fn sol_memmove(&self, dst: *mut u8, src: *const u8, n: usize) {
        self.0.sol_memmove(dst, src, n)
    }
    unsafe fn sol_memcmp(&self, s1: *const u8, s2: *const u8, n: usize, result: *mut i32) {
        self.0.sol_memcmp(s1, s2, n, result)
    }
    unsafe fn sol_memset(&self, s: *mut u8, c: u8, n: usize) {
        self.0.sol_memset(s, c, n)
    }
    fn sol_get_return_data(&self) -> Option<(Pubkey, Vec<u8>)> {
        self.0.sol_get_return_data()
    }
    fn sol_set_return_data(&self, data: &[u8]) {
        self.0.sol_set_return_data(data)
    }
    fn sol_get_processed_sibling_instruction(&self, index: usize) -> Option<Instruction> {
        self.0.sol_get_processed_sibling_instruction(index)
    }
    fn sol_get_stack_height(&self) -> u64 {
        self.0.sol_get_stack_height()
    }
}
