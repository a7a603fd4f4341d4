//! The demo's compute-unit summary when its programs run as SBF bytecode: what each kind
//! of instruction consumed over the run, named from the committed IDLs and set against
//! its budget in `docs/compute-budgets.toml` (the budgets CI holds the suite to).

use io_localnet::Localnet;
use solana_sdk::pubkey::Pubkey;
use std::collections::{BTreeMap, HashMap};

const IDLS: [&str; 5] = [
    include_str!("../../../idl/registry.json"),
    include_str!("../../../idl/staking.json"),
    include_str!("../../../idl/emissions.json"),
    include_str!("../../../idl/treasury.json"),
    include_str!("../../../idl/governance.json"),
];
const BUDGETS: &str = include_str!("../../../docs/compute-budgets.toml");

/// (program, discriminator) -> (program name, instruction name).
type InstructionNames = HashMap<(Pubkey, [u8; 8]), (String, String)>;

/// Every instruction's name, from the IDLs.
fn instruction_names() -> anyhow::Result<InstructionNames> {
    let mut names = HashMap::new();
    for text in IDLS {
        let idl: serde_json::Value = serde_json::from_str(text)?;
        let program: Pubkey = idl["address"].as_str().unwrap_or_default().parse()?;
        let program_name = idl["metadata"]["name"].as_str().unwrap_or_default().to_string();
        for ix in idl["instructions"].as_array().into_iter().flatten() {
            let bytes: Vec<u8> = ix["discriminator"].as_array().into_iter().flatten().filter_map(|b| b.as_u64()).map(|b| b as u8).collect();
            let discriminator: [u8; 8] = bytes.as_slice().try_into()?;
            let name = ix["name"].as_str().unwrap_or_default().to_string();
            names.insert((program, discriminator), (program_name.clone(), name));
        }
    }
    Ok(names)
}

fn budget(budgets: &toml::Table, program: &str, instruction: &str) -> Option<u64> {
    budgets.get(program)?.get(instruction)?.as_integer().map(|b| b as u64)
}

/// The table; `None` when nothing was metered (every program ran natively).
pub fn report(net: &Localnet) -> anyhow::Result<Option<String>> {
    use std::fmt::Write as _;
    if net.compute_units.is_empty() {
        return Ok(None);
    }
    let names = instruction_names()?;
    let budgets: toml::Table = BUDGETS.parse()?;
    let mut rows: BTreeMap<(String, String), Vec<u64>> = BTreeMap::new();
    for ((program, discriminator), units) in &net.compute_units {
        let name = names.get(&(*program, *discriminator)).cloned().unwrap_or_else(|| (program.to_string(), "?".into()));
        rows.entry(name).or_default().extend(units);
    }
    let mut out = String::new();
    writeln!(out, "\ncompute units on SBF (this run, per instruction; budgets from docs/compute-budgets.toml)")?;
    writeln!(out, "{:<11} {:<26} {:>8} {:>8} {:>8} {:>8}", "program", "instruction", "count", "median", "max", "budget")?;
    let mut over = vec![];
    for ((program, instruction), mut units) in rows {
        units.sort_unstable();
        let (median, max) = (units[units.len() / 2], units[units.len() - 1]);
        let budget = budget(&budgets, &program, &instruction);
        if budget.is_some_and(|b| max > b) {
            over.push(format!("{program}.{instruction}"));
        }
        let budget = budget.map_or("none".to_string(), |b| b.to_string());
        writeln!(out, "{program:<11} {instruction:<26} {:>8} {median:>8} {max:>8} {budget:>8}", units.len())?;
    }
    if over.is_empty() {
        writeln!(out, "every instruction within its budget")?;
    } else {
        writeln!(out, "over budget: {}", over.join(", "))?;
    }
    Ok(Some(out))
}
