//! Compute units per instruction, as the runtime metered them. With `IO_CU_LOG` set,
//! every landed transaction appends one line per top-level instruction of the suite's
//! programs to that file: program, instruction discriminator, compute units, and the test
//! (thread) that sent it. `scripts/compute_units.py` turns the file into the committed
//! table and checks each instruction's budget. Only SBF runs are metered; a native
//! processor logs no consumption and is skipped.

use solana_sdk::pubkey::Pubkey;
use solana_sdk::transaction::Transaction;
use std::io::Write;

/// The compute units each top-level instruction consumed, in instruction order, read
/// from the runtime's log: `None` for an instruction that logged no consumption (a
/// builtin, or a native build of a suite program).
pub fn top_level_compute_units(logs: &[String]) -> Vec<(Pubkey, Option<u64>)> {
    let mut top = vec![];
    let mut depth = 0usize;
    for line in logs {
        let Some(rest) = line.strip_prefix("Program ") else { continue };
        let Some((id, tail)) = rest.split_once(' ') else { continue };
        if let Some(level) = tail.strip_prefix("invoke [").and_then(|t| t.strip_suffix(']')) {
            depth = level.parse().unwrap_or(depth + 1);
            if depth == 1 {
                if let Ok(program) = id.parse() {
                    top.push((program, None));
                }
            }
        } else if let Some(figures) = tail.strip_prefix("consumed ") {
            // "consumed N of M compute units": the innermost open invocation's figure.
            if depth == 1 {
                let units = figures.split(' ').next().and_then(|n| n.parse().ok());
                if let Some(last) = top.last_mut() {
                    last.1 = units;
                }
            }
        } else if tail == "success" || tail.starts_with("failed") {
            depth = depth.saturating_sub(1);
        }
    }
    top
}

/// The suite's top-level instructions of a landed transaction with what each consumed:
/// program, Anchor discriminator, compute units. Empty when nothing was metered.
pub(crate) fn metered(tx: &Transaction, logs: &[String]) -> Vec<(Pubkey, [u8; 8], u64)> {
    let keys = &tx.message.account_keys;
    tx.message
        .instructions
        .iter()
        .zip(top_level_compute_units(logs))
        .filter_map(|(ix, (program, units))| {
            let units = units?;
            let discriminator: [u8; 8] = ix.data.get(..8)?.try_into().ok()?;
            (keys.get(ix.program_id_index as usize) == Some(&program)).then_some((program, discriminator, units))
        })
        .collect()
}

/// Appends `metered` to the `IO_CU_LOG` file, when that is set.
pub(crate) fn append(metered: &[(Pubkey, [u8; 8], u64)]) {
    let Some(path) = std::env::var_os("IO_CU_LOG") else { return };
    if metered.is_empty() {
        return;
    }
    let test = std::thread::current().name().unwrap_or("?").replace(' ', "_");
    let mut lines = String::new();
    for (program, discriminator, units) in metered {
        let hex: String = discriminator.iter().map(|b| format!("{b:02x}")).collect();
        lines.push_str(&format!("{program} {hex} {units} {test}\n"));
    }
    // One write per transaction on an append-only file: the suite's test processes share it.
    let file = std::fs::OpenOptions::new().create(true).append(true).open(&path);
    if let Err(e) = file.and_then(|mut f| f.write_all(lines.as_bytes())) {
        panic!("IO_CU_LOG {}: {e}", std::path::Path::new(&path).display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_top_level_consumption_is_attributed_and_builtins_get_none() {
        let budget = "ComputeBudget111111111111111111111111111111";
        let registry = io_registry::ID.to_string();
        let compression = "cmtDvXumGCrqC1Age74AVPhSRVXJMd8PJS91L8KbNCK";
        let logs: Vec<String> = [
            format!("Program {budget} invoke [1]"),
            format!("Program {budget} success"),
            format!("Program {registry} invoke [1]"),
            "Program log: Instruction: AttestNode".to_string(),
            format!("Program {compression} invoke [2]"),
            format!("Program {compression} consumed 49000 of 150000 compute units"),
            format!("Program {compression} success"),
            format!("Program {registry} consumed 138123 of 200000 compute units"),
            format!("Program {registry} success"),
        ]
        .into_iter()
        .collect();
        let got = top_level_compute_units(&logs);
        let budget: Pubkey = budget.parse().unwrap();
        assert_eq!(got, vec![(budget, None), (io_registry::ID, Some(138_123))]);
    }
}
