//! `io indexer run`: follows a cluster (or a recorded ledger) into a store and serves the
//! HTTP API over it; `io indexer record`: writes what a cluster's programs did to a ledger
//! file, for replays without the cluster.

use anyhow::Context;
use clap::{Args, Subcommand};
use io_indexer::api::{self, DynStore, IndexerService};
use io_indexer::ledger_file::{self, FileSource};
use io_indexer::rpc_source::RpcSource;
use io_indexer::{Indexer, IndexerError, PostgresStore, RedbStore, Source};
use io_registry::GpuCatalogue;
use io_sdk::client::fetch;
use io_sdk::pda;
use solana_sdk::pubkey::Pubkey;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Subcommand, Debug)]
pub enum IndexerCommand {
    /// Follow the cluster (or a ledger file) into the store and serve the HTTP API.
    Run(Box<RunArgs>),
    /// Append every transaction of the suite's programs at the cluster to a ledger file.
    Record(RecordArgs),
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Follow this recorded ledger file (JSON lines) instead of the cluster.
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    /// The embedded store's file.
    #[arg(long, default_value = "io-index.redb")]
    pub db: PathBuf,
    /// Keep the index in PostgreSQL instead (libpq configuration, e.g. "host=/run/postgresql dbname=io").
    #[arg(long, value_name = "CONFIG")]
    pub postgres: Option<String>,
    /// PostgreSQL schema for the tables (several indexers can share one database).
    #[arg(long, requires = "postgres")]
    pub schema: Option<String>,
    /// Where the HTTP API listens.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Transactions per commit.
    #[arg(long, default_value_t = 1_000)]
    pub batch_size: usize,
    /// Seconds between polls once caught up.
    #[arg(long, default_value_t = 2.0)]
    pub poll_secs: f64,
    /// Signatures per getSignaturesForAddress call when following a cluster (1 to 1,000):
    /// a scan holds about two pages of signatures per program, however long the history.
    #[arg(long, default_value_t = io_indexer::rpc_source::MAX_SIGNATURE_PAGE, value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u16).range(1..=1000), usize::from))]
    pub rpc_page: usize,
    /// Longest wait between retries while the source fails (the wait doubles from
    /// --poll-secs after each failure, and returns to it after a success).
    #[arg(long, default_value_t = 60.0)]
    pub max_backoff_secs: f64,
    /// Ingest what the source has, print the report and exit, serving nothing.
    #[arg(long)]
    pub once: bool,
    /// Genesis parameters for the network metrics (default: the reference network's;
    /// values the cluster holds now replace them when following a cluster).
    #[arg(long)]
    pub genesis: Option<PathBuf>,
    #[command(flatten)]
    pub metrics: crate::metrics_cmd::MetricsOptions,
    /// Serve the web dashboard's built files (dashboard/dist, `npm run build`) at `/`.
    #[arg(long, value_name = "DIR")]
    pub dashboard: Option<PathBuf>,
    /// The JSON-RPC endpoint the dashboard's wallet flows (stake, unstake, claim, vote)
    /// send transactions to from the browser; it must accept the page's origin (Solana's
    /// RPC answers any). Without it the dashboard only reads.
    #[arg(long, value_name = "URL", requires = "dashboard")]
    pub wallet_rpc: Option<String>,
}

#[derive(Args, Debug)]
pub struct RecordArgs {
    /// The ledger file to append to.
    #[arg(long, value_name = "FILE")]
    pub ledger: PathBuf,
}

/// The suite's five programs: what the RPC source follows.
fn programs() -> Vec<Pubkey> {
    vec![io_registry::ID, io_staking::ID, io_emissions::ID, io_treasury::ID, io_governance::ID]
}

fn open_store(args: &RunArgs) -> anyhow::Result<DynStore> {
    Ok(match &args.postgres {
        Some(config) => Box::new(PostgresStore::connect(config, args.schema.as_deref())?),
        None => Box::new(RedbStore::open(&args.db).with_context(|| format!("the store {}", args.db.display()))?),
    })
}

/// Whether an ingestion error is the source's (worth retrying) rather than the data's (a
/// mismatch, a gap, an unreadable event: retrying reads the same bytes again).
fn retryable(error: &IndexerError) -> bool {
    matches!(error, IndexerError::Source(_))
}

pub fn run(url: &str, command: IndexerCommand) -> anyhow::Result<()> {
    match command {
        IndexerCommand::Run(args) => match &args.ledger {
            Some(path) => follow(&args, FileSource::new(path), None),
            None => follow(&args, RpcSource::with_page_size(url, programs(), args.rpc_page), Some(url)),
        },
        IndexerCommand::Record(args) => record(&mut RpcSource::new(url, programs()), &args.ledger),
    }
}

fn record(source: &mut impl Source, path: &std::path::Path) -> anyhow::Result<()> {
    let (mut cursor, mut count) = (None, 0usize);
    loop {
        let page = source.after(cursor, 1_000)?;
        let Some(last) = page.last() else { break };
        cursor = Some(last.seq);
        ledger_file::append(path, &page)?;
        count += page.len();
    }
    println!("recorded {count} transactions to {}", path.display());
    Ok(())
}

fn follow(args: &RunArgs, mut source: impl Source, url: Option<&str>) -> anyhow::Result<()> {
    let mut indexer = Indexer::open(open_store(args)?)?;
    indexer.batch_size = args.batch_size.max(1);
    let service = Arc::new(IndexerService::new(indexer));
    if args.once {
        let report = service.sync(&mut source)?;
        println!(
            "indexed {} transactions ({} node events, {} economy events) in {} commits; cursor {:?}",
            report.transactions, report.events, report.economy, report.batches, report.cursor
        );
        return Ok(());
    }
    let genesis = match &args.genesis {
        Some(path) => io_migrations::Genesis::load(path)?,
        None => io_migrations::Genesis::reference(),
    };
    let mut params = crate::metrics_cmd::params_from_genesis(&genesis, &args.metrics)?;
    service.set_io_price(args.metrics.io_usd);
    if let Some(url) = url {
        // The catalogue names GPU models in the API's answers; it is an account, read once,
        // like the parameters the metrics use (the DAO may have changed them since genesis).
        let mut chain = crate::placement_cmd::read_only_chain(url, "");
        match fetch::<GpuCatalogue>(&mut chain, &pda::gpu_catalogue()) {
            Ok(catalogue) => service.set_catalogue(catalogue),
            Err(e) => eprintln!("indexer: no GPU catalogue from {url} ({e}); models are named by id"),
        }
        match crate::metrics_cmd::params_from_chain(&mut chain, params.clone()) {
            Ok(current) => params = current,
            Err(e) => eprintln!("indexer: network metrics use the genesis parameters ({e:#})"),
        }
    }
    service.set_network_params(params);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind(args.listen)).with_context(|| format!("listen on {}", args.listen))?;
    eprintln!("indexer: HTTP API on http://{}", listener.local_addr()?);
    let router = match &args.dashboard {
        Some(dir) => {
            anyhow::ensure!(
                dir.join("index.html").is_file(),
                "{} has no index.html (build it: cd dashboard && npm run build)",
                dir.display()
            );
            eprintln!("indexer: dashboard on http://{}/", listener.local_addr()?);
            if let Some(rpc) = &args.wallet_rpc {
                eprintln!("indexer: the dashboard's wallet flows send to {rpc}");
            }
            api::router_with_dashboard(service.clone(), dir, api::DashboardConfig { wallet_rpc: args.wallet_rpc.clone() })
        }
        None => api::router(service.clone()),
    };
    runtime.spawn(api::serve_router(listener, router, std::future::pending()));
    let poll = Duration::from_secs_f64(args.poll_secs.max(0.01));
    // A cluster that is down is not asked again every poll: the wait doubles up to the cap.
    let mut backoff = crate::keeper::Backoff::new(poll, Duration::from_secs_f64(args.max_backoff_secs.max(0.01)));
    loop {
        let wait = match service.sync(&mut source) {
            Ok(report) => {
                if report.transactions > 0 {
                    eprintln!(
                        "indexer: {} transactions, {} node events, {} economy events; cursor {:?}",
                        report.transactions, report.events, report.economy, report.cursor
                    );
                }
                backoff.succeeded()
            }
            Err(e) if retryable(&e) => {
                let wait = backoff.failed();
                eprintln!("indexer: {e}; retrying in {:.1}s", wait.as_secs_f64());
                wait
            }
            // The data itself is wrong: ingesting past it would serve a wrong index.
            Err(e) => return Err(e).context("ingestion stopped"),
        };
        std::thread::sleep(wait);
    }
}
