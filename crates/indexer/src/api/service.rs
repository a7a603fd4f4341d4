//! The indexer as a service: one ingestion loop writes, API requests read. Each batch is
//! applied under a short write lock, so readers wait for one batch at most, never for a
//! whole backfill.

use super::metrics::IndexerMetrics;
use crate::network::{gather, Gathered};
use crate::{Indexer, IndexerError, Source, Store, SyncReport};
use io_metrics::{NetworkParams, NetworkReport, PriceUsed};
use io_registry::GpuCatalogue;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard};
use std::time::Instant;

/// Either storage backend, behind one type.
pub type DynStore = Box<dyn Store + Send + Sync>;

pub struct IndexerService {
    indexer: RwLock<Indexer<DynStore>>,
    catalogue: RwLock<Option<GpuCatalogue>>,
    caught_up: AtomicBool,
    pub metrics: IndexerMetrics,
    network: NetworkSettings,
}

/// What the network metrics need beyond the index: the network's parameters, an IO price
/// set by whoever runs the service (else the newest buyback's), and the inputs gathered at
/// the last cursor.
#[derive(Default)]
struct NetworkSettings {
    params: RwLock<Option<NetworkParams>>,
    io_usd: RwLock<Option<f64>>,
    gathered: Mutex<Option<(Option<u64>, Arc<Gathered>)>>,
}

/// Why no network report could be made.
#[derive(Debug, thiserror::Error)]
pub enum NetworkReportError {
    #[error("the network metrics are not configured on this indexer (no network parameters)")]
    NotConfigured,
    #[error("no IO price: pass io_usd, start the indexer with an IO price, or wait for a buyback to fill")]
    NoPrice,
    #[error(transparent)]
    Store(#[from] IndexerError),
    #[error(transparent)]
    Metrics(#[from] io_metrics::MetricsError),
}

impl IndexerService {
    pub fn new(indexer: Indexer<DynStore>) -> Self {
        let metrics = IndexerMetrics::default();
        if let Ok(Some(cursor)) = indexer.store().cursor() {
            metrics.cursor.set(cursor as i64);
        }
        Self {
            indexer: RwLock::new(indexer),
            catalogue: RwLock::new(None),
            caught_up: AtomicBool::new(false),
            metrics,
            network: NetworkSettings::default(),
        }
    }

    /// The network's parameters the metrics use (genesis's, or the DAO's current ones).
    pub fn set_network_params(&self, params: NetworkParams) {
        *self.network.params.write().unwrap_or_else(PoisonError::into_inner) = Some(params);
    }

    /// An IO/USD price for the metrics (a flag, or a price feed the runner reads); without
    /// one, the newest buyback fill's Pyth price is used.
    pub fn set_io_price(&self, io_usd: Option<f64>) {
        *self.network.io_usd.write().unwrap_or_else(PoisonError::into_inner) = io_usd;
    }

    /// The inputs at the current cursor: gathered once per cursor, then shared.
    fn gathered(&self) -> Result<Arc<Gathered>, IndexerError> {
        let indexer = self.read();
        let cursor = indexer.store().cursor()?;
        let mut cached = self.network.gathered.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((at, gathered)) = cached.as_ref() {
            if *at == cursor {
                return Ok(gathered.clone());
            }
        }
        let gathered = Arc::new(gather(indexer.store(), self.catalogue().as_ref())?);
        *cached = Some((cursor, gathered.clone()));
        Ok(gathered)
    }

    /// Every occupied H3 cell at `resolution`, with its nodes (for a map).
    pub fn network_cells(&self, resolution: u8) -> Result<Vec<io_metrics::CellCount>, NetworkReportError> {
        Ok(io_metrics::cells(&self.gathered()?.inputs.nodes, resolution)?)
    }

    /// Every network metric, at `io_usd` if given, else the service's price, else the
    /// newest buyback's.
    pub fn network_report(&self, io_usd: Option<f64>) -> Result<NetworkReport, NetworkReportError> {
        let params = self.network.params.read().unwrap_or_else(PoisonError::into_inner).clone().ok_or(NetworkReportError::NotConfigured)?;
        let gathered = self.gathered()?;
        let configured = *self.network.io_usd.read().unwrap_or_else(PoisonError::into_inner);
        let price = match (io_usd, configured, gathered.last_buyback_price) {
            (Some(io_usd), _, _) => PriceUsed { io_usd, source: "query".into(), as_of: None },
            (None, Some(io_usd), _) => PriceUsed { io_usd, source: "configured".into(), as_of: None },
            (None, None, Some((io_usd, at))) => PriceUsed { io_usd, source: "buyback".into(), as_of: Some(at) },
            (None, None, None) => return Err(NetworkReportError::NoPrice),
        };
        Ok(io_metrics::report(&gathered.inputs, &params, price, None)?)
    }

    /// The indexer, for reading (a lock poisoned by a panicking reader is still readable:
    /// readers change nothing).
    pub fn read(&self) -> RwLockReadGuard<'_, Indexer<DynStore>> {
        self.indexer.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The GPU catalogue, which names models (it is an account, not an event: whoever
    /// starts the service reads it from the chain).
    pub fn set_catalogue(&self, catalogue: GpuCatalogue) {
        *self.catalogue.write().unwrap_or_else(PoisonError::into_inner) = Some(catalogue);
    }

    pub fn catalogue(&self) -> Option<GpuCatalogue> {
        self.catalogue.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Whether ingestion has reached the source's newest transaction at least once: until
    /// then the API answers from a partial history, and says so on `/ready`.
    pub fn caught_up(&self) -> bool {
        self.caught_up.load(Ordering::Acquire)
    }

    /// Ingests everything the source has after the cursor, one batch (one commit, one
    /// short write lock) at a time; a failing batch is counted and stops the pass.
    pub fn sync(&self, source: &mut impl Source) -> Result<SyncReport, IndexerError> {
        let head = source.head().map_err(|e| IndexerError::Source(e.to_string()))?;
        let mut report = SyncReport { cursor: self.read().store().cursor()?, ..SyncReport::default() };
        loop {
            let batch_size = self.read().batch_size;
            let transactions = source.after(report.cursor, batch_size).map_err(|e| IndexerError::Source(e.to_string()))?;
            if transactions.is_empty() {
                self.caught_up.store(true, Ordering::Release);
                let lag = head.zip(report.cursor).map_or(0, |(h, c)| h.saturating_sub(c));
                self.metrics.lag.set(lag as i64);
                return Ok(report);
            }
            let started = Instant::now();
            let (applied, economy) = {
                let mut indexer = self.indexer.write().unwrap_or_else(PoisonError::into_inner);
                let before = indexer.economy_kept();
                let applied = indexer.ingest(&transactions);
                (applied, indexer.economy_kept() - before)
            };
            let events = match applied {
                Ok(events) => events as u64,
                Err(e) => {
                    self.metrics.errors.inc();
                    return Err(e);
                }
            };
            self.metrics.batch_seconds.observe(started.elapsed().as_secs_f64());
            self.metrics.events.inc_by(events);
            self.metrics.economy_events.inc_by(economy);
            self.metrics.transactions.inc_by(transactions.len() as u64);
            report.events += events;
            report.economy += economy;
            report.transactions += transactions.len() as u64;
            report.batches += 1;
            report.cursor = transactions.last().map(|t| t.seq);
            if let Some(cursor) = report.cursor {
                self.metrics.cursor.set(cursor as i64);
                self.metrics.lag.set(head.map_or(0, |h| h.saturating_sub(cursor)) as i64);
            }
        }
    }
}
