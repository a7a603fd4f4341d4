//! `io`: the command line of the $IO suite.

use io_cli::emissions_cmd::{self, EmissionsCommand};
use io_cli::treasury_cmd::{self, KeeperCommand, TreasuryCommand};
use io_cli::{dao_cmd, demo, indexer_cmd, metrics_cmd, oracle_cmd, placement_cmd, poc_cmd, registry_cmd, rewards_cmd, rpc, stake_cmd};

use clap::{Parser, Subcommand};
use io_migrations::{Genesis, Handover};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "io", version, about = "The $IO decentralized GPU network: demo and operator tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Debug)]
struct ClusterArgs {
    /// JSON-RPC endpoint of the cluster.
    #[arg(long, short = 'u', default_value = "http://127.0.0.1:8899", global = true)]
    url: String,
    /// Fee payer keypair (Solana CLI format).
    #[arg(long, global = true, default_value_t = default_keypair())]
    keypair: String,
}

impl ClusterArgs {
    fn chain(&self) -> anyhow::Result<rpc::RpcChain> {
        Ok(rpc::RpcChain::new(&self.url, registry_cmd::read_keypair(&self.keypair)?))
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Staking: bond, unbond, withdraw, status.
    Stake {
        #[command(flatten)]
        cluster: ClusterArgs,
        #[command(subcommand)]
        command: stake_cmd::StakeCommand,
    },
    /// Slashing: propose (oracles), veto (DAO), execute (anyone), list.
    Slash {
        #[command(flatten)]
        cluster: ClusterArgs,
        #[command(subcommand)]
        command: stake_cmd::SlashCommand,
    },
    /// Emissions: schedule status, the projected schedule (and its chart), the epoch crank.
    Emissions {
        #[command(flatten)]
        cluster: ClusterArgs,
        #[command(subcommand)]
        command: EmissionsCommand,
    },
    /// Staking rewards: pending, claim.
    Rewards {
        #[command(flatten)]
        cluster: ClusterArgs,
        #[command(subcommand)]
        command: rewards_cmd::RewardsCommand,
    },
    /// Pay for a cluster in IOSD or $IO (the keypair pays); prints the fee split.
    Pay {
        #[command(flatten)]
        cluster: ClusterArgs,
        #[command(flatten)]
        args: treasury_cmd::PayArgs,
    },
    /// Treasury: fee, gateway, price guard, vaults, totals, demand, demand-to-emission ratio.
    Treasury {
        #[command(flatten)]
        cluster: ClusterArgs,
        #[command(subcommand)]
        command: TreasuryCommand,
    },
    /// Buyback keeper: burn $IO bought on the market for IOSD from the pool (the keypair keeps).
    Keeper {
        #[command(flatten)]
        cluster: ClusterArgs,
        #[command(subcommand)]
        command: KeeperCommand,
    },
    /// The DAO: propose, vote, queue, execute, cancel, list, show.
    Dao {
        #[command(flatten)]
        cluster: ClusterArgs,
        #[command(subcommand)]
        command: dao_cmd::DaoCommand,
    },
    /// The worker agent beside the GPUs: run it, or print its inventory.
    Worker {
        #[command(subcommand)]
        command: poc_cmd::WorkerCommand,
    },
    /// The Proof-of-Compute oracle daemon (one member of the oracle set).
    Oracle {
        #[command(flatten)]
        cluster: ClusterArgs,
        #[command(subcommand)]
        command: OracleCommand,
    },
    /// One Proof-of-Compute audit of a registered node through its worker agent (stages 1-4).
    Audit {
        #[command(flatten)]
        cluster: ClusterArgs,
        #[command(flatten)]
        args: poc_cmd::AuditArgs,
    },
    /// Placement query for schedulers: verified nodes of a GPU model at or above a CUDA
    /// version, lowest RTT first, then highest bandwidth.
    Placement {
        #[command(flatten)]
        cluster: ClusterArgs,
        #[command(flatten)]
        args: placement_cmd::PlacementArgs,
    },
    /// The indexer: follow the cluster into a store (embedded or PostgreSQL) and serve the
    /// HTTP API over it; record a cluster's transactions to a ledger file.
    Indexer {
        /// JSON-RPC endpoint of the cluster.
        #[arg(long, short = 'u', default_value = "http://127.0.0.1:8899", global = true)]
        url: String,
        #[command(subcommand)]
        command: indexer_cmd::IndexerCommand,
    },
    /// The network's health numbers from an indexer: D/E ratio, minted and burned per
    /// period, break-even demand, spacing, operator concentration, payback and attrition
    /// per tier (table, JSON, plots); `project` looks ahead under the schedule in force.
    Metrics(metrics_cmd::MetricsArgs),
    /// Run the whole network in-process (embedded Solana bank) and print a summary.
    Demo {
        /// Nodes to register.
        #[arg(long, default_value_t = 300)]
        nodes: usize,
        /// Operators owning them.
        #[arg(long, default_value_t = 12)]
        operators: usize,
        /// Genesis parameters (default: the reference network's, migrations/genesis.toml).
        #[arg(long)]
        genesis: Option<PathBuf>,
        /// Run every program as SBF bytecode in the bank's VM (the artifacts of
        /// scripts/sbf/build.sh, in DIR); the summary adds compute units per instruction.
        #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "target/deploy")]
        sbf: Option<PathBuf>,
        /// Write the bank's ledger to FILE when the run ends (`io indexer run --ledger FILE`
        /// then serves the demo network's index).
        #[arg(long, value_name = "FILE")]
        record_ledger: Option<PathBuf>,
        /// Write the network report (`io metrics` as report.txt and report.json) and its
        /// plots (SVG) into DIR.
        #[arg(long, value_name = "DIR")]
        metrics_out: Option<PathBuf>,
    },
    /// Run genesis against a cluster where the programs are deployed.
    Genesis {
        #[arg(long, short = 'u', default_value = "http://127.0.0.1:8899")]
        url: String,
        /// Fee payer keypair (Solana CLI format). It must be the programs' upgrade
        /// authority (the keypair that deployed them): every `initialize_*` accepts no other.
        #[arg(long, default_value_t = default_keypair())]
        keypair: String,
        /// The genesis authority: sets the suite up, then hands every config to the DAO.
        #[arg(long)]
        authority: String,
        /// Leave every config with the genesis authority and open no DAO (a development
        /// network); by default the DAO PDA takes them all.
        #[arg(long)]
        keep_authority: bool,
        /// Genesis parameters (default: the reference network's).
        #[arg(long)]
        genesis: Option<PathBuf>,
        /// Oracle key, when the genesis file names none; repeat for each.
        #[arg(long = "oracle")]
        oracles: Vec<solana_sdk::pubkey::Pubkey>,
    },
    /// Node registry: operators and oracle operators.
    Registry {
        /// JSON-RPC endpoint of the cluster.
        #[arg(long, short = 'u', default_value = "http://127.0.0.1:8899", global = true)]
        url: String,
        /// Fee payer keypair (Solana CLI format).
        #[arg(long, global = true, default_value_t = default_keypair())]
        keypair: String,
        #[command(subcommand)]
        command: registry_cmd::RegistryCommand,
    },
}

#[derive(Subcommand, Debug)]
enum OracleCommand {
    /// Serve and audit until interrupted; --keypair is this oracle's key (it pays fees).
    Run(oracle_cmd::OracleRunArgs),
}

fn default_keypair() -> String {
    let home = std::env::var("HOME").unwrap_or_else(|_| ".".into());
    format!("{home}/.config/solana/id.json")
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo { nodes, operators, genesis, sbf, record_ledger, metrics_out } => {
            if let Some(dir) = sbf {
                use_sbf_artifacts(&dir)?;
            }
            let genesis = match genesis {
                Some(path) => Genesis::load(&path)?,
                None => Genesis::reference(),
            };
            // The bank's own logging is for debugging; the demo's report is its output.
            if std::env::var_os("RUST_LOG").is_none() {
                std::env::set_var("RUST_LOG", "error");
            }
            let report = {
                let _quiet = io_localnet::QuietStdout::new()?;
                demo::run(demo::DemoOptions { nodes, operators, genesis, record_ledger, metrics_out })?
            };
            print!("{report}");
        }
        Command::Genesis { url, keypair, authority, genesis, oracles, keep_authority } => {
            let genesis = match genesis {
                Some(path) => Genesis::load(&path)?,
                None => Genesis::reference(),
            };
            let authority = registry_cmd::read_keypair(&authority)?;
            let mut chain = rpc::RpcChain::new(&url, registry_cmd::read_keypair(&keypair)?);
            let handover = if keep_authority { Handover::KeepGenesisAuthority } else { Handover::ToDao };
            let deployment = io_migrations::run_genesis_with(&mut chain, &genesis, &authority, &oracles, handover)?;
            match deployment.dao {
                Some(dao) => println!("config authority   the DAO PDA {dao} (registry, staking, emissions, treasury, governance)"),
                None => println!("config authority   {} (no DAO opened)", deployment.registry_authority),
            }
            println!("oracles            {} (threshold {})", deployment.oracles.len(), genesis.registry.oracle_threshold);
            println!("GPU models         {}", deployment.gpu_models);
            println!("first tree         {}", deployment.first_tree);
            println!("$IO mint           {}", deployment.io_mint);
            println!(
                "genesis allocation {} ({} IO, owned by the genesis authority {})",
                deployment.genesis_tokens, genesis.token.initial_supply, deployment.registry_authority
            );
            println!("IOSD mint          {}", deployment.iosd_mint);
            println!("treasury $IO vault {}", deployment.treasury);
        }
        Command::Stake { cluster, command } => print!("{}", stake_cmd::run_stake(&mut cluster.chain()?, command)?),
        Command::Slash { cluster, command } => print!("{}", stake_cmd::run_slash(&mut cluster.chain()?, command)?),
        // The projection needs no cluster (nor a keypair file).
        Command::Emissions { command: EmissionsCommand::Schedule(args), .. } => print!("{}", emissions_cmd::run_schedule(&args)?),
        Command::Emissions { cluster, command } => print!("{}", emissions_cmd::run_emissions(&mut cluster.chain()?, command)?),
        Command::Rewards { cluster, command } => print!("{}", rewards_cmd::run_rewards(&mut cluster.chain()?, command)?),
        Command::Pay { cluster, args } => print!("{}", treasury_cmd::run_pay(&mut cluster.chain()?, args)?),
        Command::Treasury { cluster, command: TreasuryCommand::Status(args) } => {
            print!("{}", treasury_cmd::run_status(&mut cluster.chain()?, &args)?)
        }
        Command::Keeper { cluster, command: KeeperCommand::Run(args) } => treasury_cmd::run_keeper(&mut cluster.chain()?, args)?,
        Command::Worker { command: poc_cmd::WorkerCommand::Run(args) } => poc_cmd::run_worker(args)?,
        Command::Worker { command: poc_cmd::WorkerCommand::Inventory } => print!("{}", poc_cmd::inventory_report()),
        Command::Oracle { cluster, command: OracleCommand::Run(args) } => {
            let key = registry_cmd::read_keypair(&cluster.keypair)?;
            oracle_cmd::run_oracle(cluster.chain()?, key, args)?
        }
        Command::Audit { cluster, args } => print!("{}", poc_cmd::run_audit(&mut cluster.chain()?, args)?),
        // A query: it signs nothing, so the keypair file may be absent.
        Command::Placement { cluster, args } => {
            print!("{}", placement_cmd::run_placement(&mut placement_cmd::read_only_chain(&cluster.url, &cluster.keypair), &args)?)
        }
        Command::Indexer { url, command } => indexer_cmd::run(&url, command)?,
        Command::Metrics(args) => print!("{}", metrics_cmd::run(args)?),
        Command::Dao { cluster, command } => print!("{}", dao_cmd::run_dao(&mut cluster.chain()?, command)?),
        Command::Registry { url, keypair, command } => {
            let payer = registry_cmd::read_keypair(&keypair)?;
            let mut chain = rpc::RpcChain::new(&url, payer);
            print!("{}", registry_cmd::run(&mut chain, command)?);
        }
    }
    Ok(())
}

/// Points the embedded bank at the SBF artifacts in `dir` (every program of the suite and
/// the two SPL programs), or says which is missing and how to build them.
fn use_sbf_artifacts(dir: &std::path::Path) -> anyhow::Result<()> {
    const ARTIFACTS: [&str; 7] =
        ["io_registry", "io_staking", "io_emissions", "io_treasury", "io_governance", "spl_account_compression", "spl_noop"];
    let dir =
        dir.canonicalize().map_err(|e| anyhow::anyhow!("{}: {e} (build the SBF artifacts with scripts/sbf/build.sh)", dir.display()))?;
    for name in ARTIFACTS {
        let path = dir.join(format!("{name}.so"));
        anyhow::ensure!(path.is_file(), "{} is missing: build the SBF artifacts with scripts/sbf/build.sh", path.display());
    }
    std::env::set_var("IO_SBF_DIR", &dir);
    eprintln!("programs: SBF bytecode from {}", dir.display());
    Ok(())
}
