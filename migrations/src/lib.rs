//! Genesis of the $IO network: the parameters (`genesis.toml`, one file) and the steps
//! that turn them into on-chain state. The demo, the integration tests and a real
//! deployment all run these same steps through the [`Chain`] interface.

use anyhow::{bail, ensure, Context};
use io_registry::{CudaVersion, GpuModelArgs, InitializeArgs, Tier};
use io_sdk::client::Chain;
use io_sdk::network::RegistryClient;
use io_sdk::registry as ix;
use io_sdk::tree::TreeShape;
use serde::Deserialize;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use std::str::FromStr;

/// The reference network's parameters, compiled in.
pub const REFERENCE_GENESIS: &str = include_str!("../genesis.toml");

/// Catalogue entries added per transaction (each is ~60 bytes of instruction data).
const MODELS_PER_TX: usize = 6;

#[derive(Clone, Debug, Deserialize)]
pub struct Genesis {
    pub registry: RegistryGenesis,
    pub gpu_models: Vec<GpuModelEntry>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct RegistryGenesis {
    pub epoch_length_secs: u32,
    pub oracle_threshold: u8,
    /// Base58 oracle keys; empty means "supplied by the deployer".
    #[serde(default)]
    pub oracles: Vec<String>,
    pub tree: TreeGenesis,
}

#[derive(Clone, Copy, Debug, Deserialize)]
pub struct TreeGenesis {
    pub max_depth: u32,
    pub max_buffer_size: u32,
    pub canopy_depth: u32,
}

#[derive(Clone, Debug, Deserialize)]
pub struct GpuModelEntry {
    pub name: String,
    pub tier: String,
    /// Decimal TFLOPS with at most two decimals, e.g. "66.90".
    pub expected_tflops: String,
    /// "major.minor"; "0.0" for parts without CUDA.
    pub min_cuda: String,
}

impl Genesis {
    pub fn reference() -> Self {
        Self::parse(REFERENCE_GENESIS).expect("the compiled-in genesis parses")
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let genesis: Genesis = toml::from_str(text).context("genesis.toml")?;
        genesis.gpu_model_args()?;
        ensure!(genesis.tree_shape().is_supported(), "unsupported tree shape {:?}", genesis.tree_shape());
        Ok(genesis)
    }

    pub fn load(path: &std::path::Path) -> anyhow::Result<Self> {
        Self::parse(&std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?)
    }

    pub fn tree_shape(&self) -> TreeShape {
        let t = self.registry.tree;
        TreeShape { max_depth: t.max_depth, max_buffer_size: t.max_buffer_size, canopy_depth: t.canopy_depth }
    }

    pub fn gpu_model_args(&self) -> anyhow::Result<Vec<GpuModelArgs>> {
        self.gpu_models.iter().map(GpuModelEntry::to_args).collect()
    }

    /// The oracle keys written in the file.
    pub fn oracle_keys(&self) -> anyhow::Result<Vec<Pubkey>> {
        self.registry
            .oracles
            .iter()
            .map(|k| Pubkey::from_str(k).with_context(|| format!("oracle key {k}")))
            .collect()
    }
}

impl GpuModelEntry {
    pub fn to_args(&self) -> anyhow::Result<GpuModelArgs> {
        Ok(GpuModelArgs {
            name: self.name.clone(),
            tier: parse_tier(&self.tier)?,
            expected_centi_tflops: parse_centi(&self.expected_tflops)
                .with_context(|| format!("expected_tflops of {}", self.name))?,
            min_cuda: parse_cuda(&self.min_cuda).with_context(|| format!("min_cuda of {}", self.name))?,
        })
    }
}

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
    whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(frac))
        .ok_or_else(|| anyhow::anyhow!("{text:?} is too large"))
}

/// "12.4" -> CudaVersion { major: 12, minor: 4 }.
pub fn parse_cuda(text: &str) -> anyhow::Result<CudaVersion> {
    let (major, minor) = text.split_once('.').with_context(|| format!("{text:?} is not major.minor"))?;
    Ok(CudaVersion { major: major.parse()?, minor: minor.parse()? })
}

/// What genesis created.
#[derive(Clone, Debug)]
pub struct Deployment {
    pub registry_authority: Pubkey,
    pub oracles: Vec<Pubkey>,
    pub first_tree: Pubkey,
    pub gpu_models: usize,
    pub registry: RegistryClient,
}

/// Runs genesis: the registry config, the GPU catalogue, and the first node tree.
/// `oracles` is used when the file names none.
pub fn run_genesis(
    chain: &mut impl Chain,
    genesis: &Genesis,
    authority: &Keypair,
    oracles: &[Pubkey],
) -> anyhow::Result<Deployment> {
    let mut oracle_keys = genesis.oracle_keys()?;
    if oracle_keys.is_empty() {
        oracle_keys = oracles.to_vec();
    }
    ensure!(!oracle_keys.is_empty(), "genesis needs oracle keys");

    let payer = chain.payer();
    let init = ix::initialize(
        &payer,
        InitializeArgs {
            authority: authority.pubkey(),
            oracles: oracle_keys.clone(),
            threshold: genesis.registry.oracle_threshold,
            epoch_length_secs: genesis.registry.epoch_length_secs,
        },
    );
    chain.send(&[init], &[]).context("initialize registry")?;

    let models = genesis.gpu_model_args()?;
    for batch in models.chunks(MODELS_PER_TX) {
        let ixs: Vec<_> = batch.iter().map(|m| ix::add_gpu_model(&authority.pubkey(), m.clone())).collect();
        chain.send(&ixs, &[authority]).context("seed GPU catalogue")?;
    }

    let mut registry = RegistryClient::new();
    let first_tree = registry.create_tree(chain, authority, genesis.tree_shape()).context("open first tree")?;
    Ok(Deployment {
        registry_authority: authority.pubkey(),
        oracles: oracle_keys,
        first_tree,
        gpu_models: models.len(),
        registry,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_genesis_seeds_every_model_of_the_brief() {
        let genesis = Genesis::reference();
        let names: Vec<_> = genesis.gpu_models.iter().map(|m| m.name.as_str()).collect();
        for required in ["H100", "A100", "H200", "L40S", "RTX 4090", "RTX 3090", "RTX A6000", "RTX A5000", "Apple M1", "Apple M4 Max"] {
            assert!(names.contains(&required), "{required} missing");
        }
        let args = genesis.gpu_model_args().unwrap();
        assert!(args.iter().filter(|m| m.tier == Tier::Enterprise).all(|m| ["H100", "A100", "H200", "L40S"].contains(&m.name.as_str())));
        assert!(args.iter().filter(|m| m.name.starts_with("Apple")).all(|m| m.tier == Tier::Consumer));
        assert!(genesis.tree_shape().capacity() >= 1_000_000);
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
}
