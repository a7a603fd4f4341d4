//! Genesis of the $IO network: the parameters (`genesis.toml`, one file) and the steps
//! that turn them into on-chain state. The demo, the integration tests and a real
//! deployment all run these same steps through the [`Chain`] interface.

use anyhow::{bail, ensure, Context};
use io_emissions::{EmissionParams, InitializeEmissionsArgs};
use io_governance::GovernanceParams;
use io_math::EmissionSchedule;
use io_registry::{GpuModelArgs, InitializeArgs};
use io_sdk::client::Chain;
use io_sdk::emissions as emissions_ix;
use io_sdk::governance as governance_ix;
use io_sdk::network::RegistryClient;
use io_sdk::parse::{parse_centi, parse_cuda, parse_feed_id, parse_sol, parse_tier};
use io_sdk::registry as ix;
use io_sdk::staking as staking_ix;
use io_sdk::token;
use io_sdk::treasury as treasury_ix;
use io_sdk::tree::TreeShape;
use io_staking::{SlashDestination, StakingParams};
use io_treasury::TreasuryParams;
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
    pub token: TokenGenesis,
    pub emissions: EmissionsGenesis,
    pub treasury: TreasuryGenesis,
    pub staking: StakingGenesis,
    pub governance: GovernanceGenesis,
}

#[derive(Clone, Debug, Deserialize)]
pub struct GovernanceGenesis {
    pub voting_period_secs: u32,
    pub quorum_bps: u16,
    pub approval_bps: u16,
    pub timelock_secs: u32,
    pub execution_window_secs: u32,
    /// Whole IO bonded to open a proposal.
    pub proposal_threshold: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct TreasuryGenesis {
    pub fee_bps: u16,
    /// The fiat gateway's key (base58), the only key that mints IOSD. Unset: the genesis
    /// authority holds the role until the handover, which passes it to the DAO (the
    /// treasury's `accept_authority`), so IOSD is minted only once a DAO proposal names a
    /// gateway.
    #[serde(default)]
    pub gateway: Option<String>,
    /// Whole IOSD per gateway period.
    pub gateway_cap: String,
    pub gateway_period_secs: u32,
    /// 64 hex digits.
    pub price_feed_id: String,
    pub max_price_age_secs: u32,
    pub max_conf_bps: u16,
    pub max_slippage_bps: u16,
    /// Whole IOSD per fill.
    pub max_fill: String,
    pub demand_period_secs: u32,
}

#[derive(Clone, Debug, Deserialize)]
pub struct EmissionsGenesis {
    pub epoch_secs: u32,
    pub epochs_per_year: u32,
    pub yearly_share_bps: u16,
    /// Whole IO the schedule emits in all; the rest of the cap stays unminted.
    pub reserve: String,
    pub breaker_window_secs: u32,
    /// Whole IO per breaker window.
    pub breaker_max_mint: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct TokenGenesis {
    pub decimals: u8,
    /// Whole IO minted at genesis to the genesis authority.
    pub initial_supply: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct StakingGenesis {
    /// Whole IO per verified GPU, by tier.
    pub min_stake_per_gpu: [String; 3],
    pub multiplier_bps: [u16; 3],
    pub unbonding_secs: u32,
    pub max_slash_bps: u16,
    pub challenge_secs: u32,
    /// "burn" or "treasury"
    pub slash_destination: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct RegistryGenesis {
    pub epoch_length_secs: u32,
    /// Epochs a verified attestation counts for (1..=`io_registry::MAX_LEASE_EPOCHS`).
    pub lease_epochs: u64,
    pub oracle_threshold: u8,
    /// Base58 oracle keys; empty means "supplied by the deployer".
    #[serde(default)]
    pub oracles: Vec<String>,
    pub tree: TreeGenesis,
    pub registration: RegistrationGenesis,
}

#[derive(Clone, Debug, Deserialize)]
pub struct RegistrationGenesis {
    /// Decimal SOL, e.g. "0.01".
    pub deposit_sol: String,
    pub max_pending_per_operator: u32,
    pub open_tree_fill_bps: u16,
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

/// Catalogue name of the model the demo's and tests' loopback workers honestly are: a
/// CPU, rated at what this machine's CPU was measured to do
/// (`io_oracle::local::calibrate_loopback_cpu`).
pub const LOOPBACK_CPU_MODEL: &str = "Loopback CPU worker";

impl Genesis {
    /// This genesis with [`LOOPBACK_CPU_MODEL`] in the catalogue (once), rated
    /// `expected_centi_tflops` (hundredths of a TFLOPS, at least 1), so worker agents on a
    /// CPU can be audited for real on a development network.
    pub fn with_loopback_cpu_model(mut self, expected_centi_tflops: u32) -> Self {
        if !self.gpu_models.iter().any(|m| m.name == LOOPBACK_CPU_MODEL) {
            let centi = expected_centi_tflops.max(1);
            self.gpu_models.push(GpuModelEntry {
                name: LOOPBACK_CPU_MODEL.into(),
                tier: "consumer".into(),
                expected_tflops: format!("{}.{:02}", centi / 100, centi % 100),
                min_cuda: "0.0".into(),
            });
        }
        self
    }

    /// The registry's registration parameters: the deposit, the pending cap, and the first
    /// tree's shape for `open_tree`.
    pub fn registration_params(&self) -> anyhow::Result<io_registry::RegistrationParams> {
        let r = &self.registry.registration;
        let deposit_lamports = parse_sol(&r.deposit_sol).context("registry.registration.deposit_sol")?;
        let tree = self.registry.tree;
        Ok(io_registry::RegistrationParams {
            deposit_lamports,
            max_pending_per_operator: r.max_pending_per_operator,
            tree_max_depth: tree.max_depth,
            tree_max_buffer_size: tree.max_buffer_size,
            tree_canopy_depth: tree.canopy_depth,
            open_tree_fill_bps: r.open_tree_fill_bps,
        })
    }

    pub fn reference() -> Self {
        Self::parse(REFERENCE_GENESIS).expect("the compiled-in genesis parses")
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let genesis: Genesis = toml::from_str(text).context("genesis.toml")?;
        genesis.gpu_model_args()?;
        genesis.registration_params()?;
        ensure!(
            (1..=io_registry::MAX_LEASE_EPOCHS).contains(&genesis.registry.lease_epochs),
            "registry.lease_epochs must be 1 to {}",
            io_registry::MAX_LEASE_EPOCHS
        );
        genesis.io(&genesis.token.initial_supply)?;
        genesis.staking_params()?;
        genesis.emission_params()?;
        let reserve = genesis.emission_reserve()?;
        let unminted = (io_emissions::SUPPLY_CAP_IO * 10u64.pow(u32::from(genesis.token.decimals)))
            .checked_sub(genesis.io(&genesis.token.initial_supply)?)
            .context("the initial supply exceeds the cap")?;
        ensure!(reserve > 0 && reserve <= unminted, "the emission reserve must be between 1 IO and the cap less the initial supply");
        genesis.treasury_params(Pubkey::default())?;
        let dao = genesis.governance_params()?;
        // The DAO vetoes a slash through a proposal: voting and the timelock must fit in the
        // challenge window, with a day to spare for opening the proposal and executing it.
        ensure!(
            u64::from(dao.voting_period_secs) + u64::from(dao.timelock_secs) + 86_400 <= u64::from(genesis.staking.challenge_secs),
            "the slash challenge window ({} s) is too short for a DAO veto (voting {} s + timelock {} s + a day)",
            genesis.staking.challenge_secs,
            dao.voting_period_secs,
            dao.timelock_secs
        );
        ensure!(genesis.token.decimals == io_emissions::IO_DECIMALS, "the $IO mint has {} decimals", io_emissions::IO_DECIMALS);
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

    /// Whole IO -> base units.
    pub fn io(&self, whole: &str) -> anyhow::Result<u64> {
        let whole: u64 = whole.parse().with_context(|| format!("{whole:?} is not a whole number of IO"))?;
        whole.checked_mul(10u64.pow(u32::from(self.token.decimals))).ok_or_else(|| anyhow::anyhow!("{whole} IO overflows u64 base units"))
    }

    pub fn staking_params(&self) -> anyhow::Result<StakingParams> {
        let s = &self.staking;
        let min = [self.io(&s.min_stake_per_gpu[0])?, self.io(&s.min_stake_per_gpu[1])?, self.io(&s.min_stake_per_gpu[2])?];
        Ok(StakingParams {
            min_stake_per_gpu: min,
            multiplier_bps: s.multiplier_bps,
            unbonding_secs: s.unbonding_secs,
            max_slash_bps: s.max_slash_bps,
            challenge_secs: s.challenge_secs,
            slash_destination: match s.slash_destination.as_str() {
                "burn" => SlashDestination::Burn,
                "treasury" => SlashDestination::Treasury,
                other => bail!("slash_destination must be burn or treasury, not {other:?}"),
            },
        })
    }

    pub fn emission_params(&self) -> anyhow::Result<EmissionParams> {
        let e = &self.emissions;
        Ok(EmissionParams {
            yearly_share_bps: e.yearly_share_bps,
            breaker_window_secs: e.breaker_window_secs,
            breaker_max_mint: self.io(&e.breaker_max_mint)?,
        })
    }

    /// The emission reserve, base units.
    pub fn emission_reserve(&self) -> anyhow::Result<u64> {
        self.io(&self.emissions.reserve)
    }

    /// The IOSD gateway the file names, if any.
    pub fn gateway(&self) -> anyhow::Result<Option<Pubkey>> {
        self.treasury.gateway.as_deref().map(|k| Pubkey::from_str(k).with_context(|| format!("gateway key {k}"))).transpose()
    }

    /// The treasury's parameters: the gateway the file names, or `authority` until the
    /// handover.
    pub fn treasury_params(&self, authority: Pubkey) -> anyhow::Result<TreasuryParams> {
        let t = &self.treasury;
        let gateway = self.gateway()?.unwrap_or(authority);
        ensure!(t.fee_bps <= io_treasury::MAX_FEE_BPS, "fee_bps above {}", io_treasury::MAX_FEE_BPS);
        Ok(TreasuryParams {
            fee_bps: t.fee_bps,
            gateway,
            gateway_cap: self.io(&t.gateway_cap)?,
            gateway_period_secs: t.gateway_period_secs,
            price_feed_id: parse_feed_id(&t.price_feed_id)?,
            max_price_age_secs: t.max_price_age_secs,
            max_conf_bps: t.max_conf_bps,
            max_slippage_bps: t.max_slippage_bps,
            max_fill: self.io(&t.max_fill)?,
        })
    }

    pub fn governance_params(&self) -> anyhow::Result<GovernanceParams> {
        let g = &self.governance;
        let params = GovernanceParams {
            voting_period_secs: g.voting_period_secs,
            quorum_bps: g.quorum_bps,
            approval_bps: g.approval_bps,
            timelock_secs: g.timelock_secs,
            execution_window_secs: g.execution_window_secs,
            proposal_threshold: self.io(&g.proposal_threshold)?,
        };
        ensure!(
            (io_governance::MIN_VOTING_PERIOD_SECS..=io_governance::MAX_VOTING_PERIOD_SECS).contains(&params.voting_period_secs)
                && (1..=10_000).contains(&params.quorum_bps)
                && (io_governance::MIN_APPROVAL_BPS..=10_000).contains(&params.approval_bps)
                && (io_governance::MIN_TIMELOCK_SECS..=io_governance::MAX_TIMELOCK_SECS).contains(&params.timelock_secs)
                && (io_governance::MIN_EXECUTION_WINDOW_SECS..=io_governance::MAX_EXECUTION_WINDOW_SECS)
                    .contains(&params.execution_window_secs)
                && params.proposal_threshold > 0,
            "governance parameters out of the program's bounds: {params:?}"
        );
        Ok(params)
    }

    /// The schedule as the math crate sees it.
    pub fn schedule(&self) -> EmissionSchedule {
        EmissionSchedule { yearly_share_bps: self.emissions.yearly_share_bps, epochs_per_year: self.emissions.epochs_per_year }
    }

    pub fn gpu_model_args(&self) -> anyhow::Result<Vec<GpuModelArgs>> {
        self.gpu_models.iter().map(GpuModelEntry::to_args).collect()
    }

    /// The oracle keys written in the file.
    pub fn oracle_keys(&self) -> anyhow::Result<Vec<Pubkey>> {
        self.registry.oracles.iter().map(|k| Pubkey::from_str(k).with_context(|| format!("oracle key {k}"))).collect()
    }
}

impl GpuModelEntry {
    pub fn to_args(&self) -> anyhow::Result<GpuModelArgs> {
        Ok(GpuModelArgs {
            name: self.name.clone(),
            tier: parse_tier(&self.tier)?,
            expected_centi_tflops: parse_centi(&self.expected_tflops).with_context(|| format!("expected_tflops of {}", self.name))?,
            min_cuda: parse_cuda(&self.min_cuda).with_context(|| format!("min_cuda of {}", self.name))?,
        })
    }
}

/// What genesis created.
#[derive(Clone, Debug)]
pub struct Deployment {
    pub registry_authority: Pubkey,
    pub oracles: Vec<Pubkey>,
    pub first_tree: Pubkey,
    pub gpu_models: usize,
    pub registry: RegistryClient,
    pub io_mint: Pubkey,
    /// The genesis authority's $IO account, holding the initial allocation.
    pub genesis_tokens: Pubkey,
    /// The treasury's $IO vault (protocol fees in $IO, treasury-bound slashes).
    pub treasury: Pubkey,
    /// The IOSD mint (its mint authority is the treasury program; the gateway mints).
    pub iosd_mint: Pubkey,
    /// The DAO PDA, when genesis handed the configs to it.
    pub dao: Option<Pubkey>,
}

/// Who holds the config authorities when genesis ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handover {
    /// The DAO (a real network): every config authority goes to the DAO PDA.
    ToDao,
    /// The genesis authority keeps them, and no DAO is opened: for development networks
    /// and for tests that drive the config instructions directly.
    KeepGenesisAuthority,
}

/// Runs genesis and hands every config authority to the DAO. See [`run_genesis_with`].
pub fn run_genesis(chain: &mut impl Chain, genesis: &Genesis, authority: &Keypair, oracles: &[Pubkey]) -> anyhow::Result<Deployment> {
    run_genesis_with(chain, genesis, authority, oracles, Handover::ToDao)
}

/// Runs genesis: the registry config, the GPU catalogue, the first node tree, the $IO
/// mint and its initial allocation, the treasury, staking, the emissions program taking
/// the mint and, with [`Handover::ToDao`], the DAO taking every config authority.
/// `oracles` is used when the file names none.
pub fn run_genesis_with(
    chain: &mut impl Chain,
    genesis: &Genesis,
    authority: &Keypair,
    oracles: &[Pubkey],
    handover: Handover,
) -> anyhow::Result<Deployment> {
    let mut oracle_keys = genesis.oracle_keys()?;
    if oracle_keys.is_empty() {
        oracle_keys = oracles.to_vec();
    }
    ensure!(!oracle_keys.is_empty(), "genesis needs oracle keys");

    let payer = chain.payer();
    let init = ix::initialize(
        &payer,
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
    let opened: io_registry::RegistryConfig = io_sdk::client::fetch(chain, &io_sdk::pda::registry_config()).context("registry config")?;
    chain
        .send(
            &[
                ix::set_registration_params(&authority.pubkey(), &opened.registration, &genesis.registration_params()?),
                ix::set_verification_lease(&authority.pubkey(), opened.lease_epochs, genesis.registry.lease_epochs),
            ],
            &[authority],
        )
        .context("registration parameters and verification lease")?;

    // The $IO mint and the initial allocation, minted by the genesis authority, which then
    // hands the mint authority to the emissions program (below) for good.
    let mint = Keypair::new();
    let genesis_tokens = Keypair::new();
    let mint_rent = chain.rent_exempt_balance(token::mint_len())?;
    let account_rent = chain.rent_exempt_balance(token::account_len())?;
    let mut ixs = token::create_mint(&payer, &mint.pubkey(), &authority.pubkey(), genesis.token.decimals, mint_rent).to_vec();
    ixs.extend(token::create_account(&payer, &genesis_tokens.pubkey(), &mint.pubkey(), &authority.pubkey(), account_rent));
    ixs.push(token::mint_to(&mint.pubkey(), &genesis_tokens.pubkey(), &authority.pubkey(), genesis.io(&genesis.token.initial_supply)?));
    chain.send(&ixs, &[authority, &mint, &genesis_tokens]).context("create the $IO mint")?;

    // The treasury: IOSD mint, fee vaults and buyback pool; the gateway the file names, or
    // the genesis authority, whose role passes to the DAO with the handover.
    let params = genesis.treasury_params(authority.pubkey())?;
    let init =
        treasury_ix::initialize_treasury(&payer, &payer, &authority.pubkey(), &mint.pubkey(), params, genesis.treasury.demand_period_secs);
    chain.send(&[init], &[]).context("initialize the treasury")?;
    let treasury = io_sdk::pda::treasury_io_vault();

    let init = staking_ix::initialize_staking(&payer, &payer, &authority.pubkey(), &mint.pubkey(), &treasury, genesis.staking_params()?);
    chain.send(&[init], &[]).context("initialize staking")?;

    let args = InitializeEmissionsArgs {
        authority: authority.pubkey(),
        params: genesis.emission_params()?,
        epoch_secs: genesis.emissions.epoch_secs,
        epochs_per_year: genesis.emissions.epochs_per_year,
        start_ts: chain.unix_time()?,
        reserve: genesis.emission_reserve()?,
    };
    let init = emissions_ix::initialize_emissions(&payer, &payer, &authority.pubkey(), &mint.pubkey(), args);
    chain.send(&[init], &[authority]).context("hand the $IO mint to the emissions program")?;

    let dao = match handover {
        Handover::ToDao => Some(hand_over_to_dao(chain, genesis, authority)?),
        Handover::KeepGenesisAuthority => None,
    };

    Ok(Deployment {
        registry_authority: authority.pubkey(),
        oracles: oracle_keys,
        first_tree,
        gpu_models: models.len(),
        registry,
        io_mint: mint.pubkey(),
        genesis_tokens: genesis_tokens.pubkey(),
        treasury,
        iosd_mint: io_sdk::pda::iosd_mint(),
        dao,
    })
}

/// The last step of genesis: the genesis authority proposes the DAO PDA as the authority
/// of registry, staking, emissions and treasury, opens the DAO (whose own config answers
/// only to the DAO PDA), and the bootstrap proposal makes the DAO accept all four. From
/// here on no human key can change any parameter of the suite.
pub fn hand_over_to_dao(chain: &mut impl Chain, genesis: &Genesis, authority: &Keypair) -> anyhow::Result<Pubkey> {
    let dao = io_sdk::pda::dao();
    let who = authority.pubkey();
    let proposals = [
        ix::propose_authority(&who, &dao),
        staking_ix::propose_authority(&who, &dao),
        emissions_ix::propose_authority(&who, &dao),
        treasury_ix::propose_authority(&who, &dao),
    ];
    chain.send(&proposals, &[authority]).context("propose the DAO as every config's authority")?;
    let payer = chain.payer();
    let open = governance_ix::initialize_governance(&payer, &payer, &who, genesis.governance_params()?);
    chain.send(&[open], &[authority]).context("open the DAO")?;
    let execute = governance_ix::execute_proposal(0, &governance_ix::bootstrap_instructions());
    chain.send(&[execute], &[]).context("the DAO accepts every config authority")?;
    Ok(dao)
}

#[cfg(test)]
mod tests {
    use super::*;
    use io_registry::Tier;

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
        let staking = genesis.staking_params().unwrap();
        assert_eq!(staking.min_stake_per_gpu[0], 10_000 * 1_000_000);
        assert!(staking.min_stake_per_gpu[0] > staking.min_stake_per_gpu[1]);
        assert!(staking.min_stake_per_gpu[1] > staking.min_stake_per_gpu[2]);
        assert!(staking.unbonding_secs >= staking.challenge_secs);
    }

    #[test]
    fn the_reference_deposit_is_parsed_exactly() {
        assert_eq!(Genesis::reference().registration_params().unwrap().deposit_lamports, 10_000_000);
    }
}
