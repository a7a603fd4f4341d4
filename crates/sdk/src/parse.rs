//! The text forms people type (the CLI's flags, `genesis.toml`) parsed into the exact
//! integers the programs take: decimals without floating point, so "66.9" TFLOPS is 6,690
//! hundredths and "0.01" SOL is 10,000,000 lamports, never a rounded neighbour.

use anyhow::{anyhow, bail, ensure, Context};
use io_registry::{CudaVersion, Tier};

/// Decimals of $IO (6).
pub const IO_DECIMALS: u32 = 6;

pub fn parse_tier(text: &str) -> anyhow::Result<Tier> {
    Ok(match text {
        "enterprise" => Tier::Enterprise,
        "mid-market" => Tier::MidMarket,
        "consumer" => Tier::Consumer,
        other => bail!("unknown tier {other:?} (enterprise, mid-market, consumer)"),
    })
}

/// "66.9" -> 6690: exact decimal parsing, at most two decimals.
pub fn parse_centi(text: &str) -> anyhow::Result<u32> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    ensure!(frac.len() <= 2, "{text:?} has more than two decimals");
    let whole: u32 = whole.parse().with_context(|| format!("{text:?}"))?;
    let frac: u32 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse()? };
    whole.checked_mul(100).and_then(|w| w.checked_add(frac)).ok_or_else(|| anyhow::anyhow!("{text:?} is too large"))
}

/// "0.01" -> 10,000,000 lamports: exact decimal SOL, at most nine decimals.
pub fn parse_sol(text: &str) -> anyhow::Result<u64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    ensure!(frac.len() <= 9 && frac.chars().all(|c| c.is_ascii_digit()), "{text:?} is not SOL with at most nine decimals");
    let whole: u64 = whole.parse().with_context(|| format!("{text:?}"))?;
    let frac: u64 = if frac.is_empty() { 0 } else { format!("{frac:0<9}").parse()? };
    whole.checked_mul(1_000_000_000).and_then(|w| w.checked_add(frac)).ok_or_else(|| anyhow::anyhow!("{text:?} is too large"))
}

/// 64 hex digits -> 32 bytes (a Pyth feed id).
pub fn parse_feed_id(text: &str) -> anyhow::Result<[u8; 32]> {
    let text = text.trim_start_matches("0x");
    ensure!(text.len() == 64 && text.is_ascii(), "a feed id is 64 hex digits, not {text:?}");
    let mut id = [0u8; 32];
    for (i, byte) in id.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).with_context(|| format!("feed id {text:?}"))?;
    }
    Ok(id)
}

/// "12.4" -> CudaVersion { major: 12, minor: 4 }.
pub fn parse_cuda(text: &str) -> anyhow::Result<CudaVersion> {
    let (major, minor) = text.split_once('.').with_context(|| format!("{text:?} is not major.minor"))?;
    Ok(CudaVersion { major: major.parse()?, minor: minor.parse()? })
}

/// "12.5" IO -> base units.
pub fn parse_io(text: &str) -> anyhow::Result<u64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    ensure!(frac.len() <= IO_DECIMALS as usize, "{text:?} has more than {IO_DECIMALS} decimals");
    let whole: u64 = whole.parse().with_context(|| format!("{text:?} is not an amount"))?;
    let frac: u64 = if frac.is_empty() { 0 } else { format!("{frac:0<6}").parse()? };
    whole.checked_mul(10u64.pow(IO_DECIMALS)).and_then(|w| w.checked_add(frac)).ok_or_else(|| anyhow!("{text:?} is too large"))
}

/// Base units -> "12.5" IO (no trailing zeros).
pub fn format_io(base: u64) -> String {
    let unit = 10u64.pow(IO_DECIMALS);
    match base % unit {
        0 => format!("{}", base / unit),
        frac => format!("{}.{}", base / unit, format!("{frac:06}").trim_end_matches('0')),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sol_parses_exactly() {
        assert_eq!(parse_sol("0.01").unwrap(), 10_000_000);
        assert_eq!(parse_sol("2").unwrap(), 2_000_000_000);
        assert_eq!(parse_sol("0.000000001").unwrap(), 1);
        assert!(parse_sol("0.0000000001").is_err() && parse_sol("-1").is_err() && parse_sol("1.x").is_err());
    }

    #[test]
    fn decimals_parse_exactly() {
        assert_eq!(parse_centi("66.9").unwrap(), 6690);
        assert_eq!(parse_centi("66.91").unwrap(), 6691);
        assert_eq!(parse_centi("7").unwrap(), 700);
        assert!(parse_centi("1.234").is_err());
        assert!(parse_centi("x").is_err());
        assert_eq!(parse_cuda("12.4").unwrap(), CudaVersion { major: 12, minor: 4 });
        assert!(parse_cuda("12").is_err());
        assert!(parse_tier("gold").is_err());
    }

    #[test]
    fn io_amounts_parse_and_print_exactly() {
        assert_eq!(parse_io("12.5").unwrap(), 12_500_000);
        assert_eq!(parse_io("0.000001").unwrap(), 1);
        assert!(parse_io("0.0000001").is_err() && parse_io("-1").is_err());
        assert_eq!(format_io(12_500_000), "12.5");
        assert_eq!(format_io(3_000_000), "3");
    }
}
