//! The worker's side of the version-2 stress test (`io_poc::stress`): loaded sessions,
//! the timed run on every device at once, and the openings.
//!
//! A session holds the host's one stress slot from its load until its last commitment is
//! sent: two oracles auditing the node at once queue at load, before either clock starts,
//! instead of sharing the devices inside each other's windows. A session loaded and never
//! run gives the slot back after `LOAD_TTL`; a finished one answers openings until
//! `SESSION_TTL`.

use io_poc::stress::{scaling, CommittedProduct, StressSpec};
use io_poc::{Backend, Challenge, Loaded};
use io_proto::v1 as pb;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::Status;

/// A load must be run within this long, or it gives its slot back.
pub const LOAD_TTL: Duration = Duration::from_secs(30);
/// A run's products answer openings this long after the load.
pub const SESSION_TTL: Duration = Duration::from_secs(180);
/// How long a load waits for the slot (another oracle's audit) before it is refused. Both
/// refusals of a load for want of room (no slot, no session) are `RESOURCE_EXHAUSTED`:
/// the oracle takes the node to be busy, which is no verdict.
pub const SLOT_WAIT: Duration = Duration::from_secs(60);
/// Most sessions kept at once (each holds a product per GPU).
pub const MAX_SESSIONS: usize = 4;
/// Most blocks one opening request may name.
pub const MAX_BLOCKS_PER_OPEN: usize = io_poc::stress::MAX_OPENINGS as usize;

/// How a worker mangles its products, for the tests and the demo that show the oracle
/// catching it; `None` for an honest worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mangle {
    /// Every entry of every tenth row off by one (a worker that skips a tenth of its work).
    TenthOfRows,
    /// The products of other seeds.
    OtherSeed,
}

/// Spoils rows the way `mangle` says, before they are hashed.
fn spoiler(mangle: Option<Mangle>, n: usize) -> impl FnMut(usize, &mut [f32]) + Send + 'static {
    move |first, panel| {
        if mangle == Some(Mangle::TenthOfRows) {
            for (i, row) in panel.chunks_mut(n).enumerate() {
                if (first + i) % 10 == 0 {
                    row.iter_mut().for_each(|x| *x += 1.0);
                }
            }
        }
    }
}

struct Session {
    spec: StressSpec,
    created: Instant,
    loaded: Option<Vec<Box<dyn Loaded>>>,
    products: Arc<Mutex<Vec<Option<CommittedProduct>>>>,
    slot: Option<OwnedSemaphorePermit>,
}

/// Every stress session of one agent.
pub struct StressSessions {
    devices: Vec<Arc<dyn Backend + Send + Sync>>,
    slot: Arc<Semaphore>,
    sessions: Arc<Mutex<HashMap<[u8; 16], Session>>>,
    mangle: Option<Mangle>,
}

fn session_id(bytes: &[u8]) -> Result<[u8; 16], Status> {
    bytes.try_into().map_err(|_| Status::invalid_argument("session must be 16 bytes"))
}

impl StressSessions {
    pub fn new(devices: Vec<Arc<dyn Backend + Send + Sync>>, mangle: Option<Mangle>) -> Self {
        assert!(!devices.is_empty(), "an agent has at least one device");
        StressSessions { devices, slot: Arc::new(Semaphore::new(1)), sessions: Arc::default(), mangle }
    }

    pub fn device_names(&self) -> Vec<String> {
        self.devices.iter().map(|d| d.name()).collect()
    }

    /// GPU g's challenge runs on device g mod devices: one device per claimed GPU for an
    /// honest node, several challenges on one device for a node claiming more than it has.
    fn device_of(&self, gpu: u32) -> usize {
        gpu as usize % self.devices.len()
    }

    pub async fn load(&self, request: pb::LoadStressRequest) -> Result<pb::LoadStressReply, Status> {
        let mut seed: [u8; 32] = request.seed.as_slice().try_into().map_err(|_| Status::invalid_argument("seed must be 32 bytes"))?;
        if self.mangle == Some(Mangle::OtherSeed) {
            seed[0] ^= 1;
        }
        let spec = StressSpec::new(seed, request.n, request.gpus).map_err(|e| Status::invalid_argument(e.to_string()))?;
        self.purge();
        if self.sessions.lock().expect("sessions lock").len() >= MAX_SESSIONS {
            return Err(Status::resource_exhausted(format!("{MAX_SESSIONS} stress sessions are open")));
        }
        let slot = tokio::time::timeout(SLOT_WAIT, self.slot.clone().acquire_owned())
            .await
            .map_err(|_| Status::resource_exhausted("another audit's stress test holds this host"))?
            .map_err(|_| Status::internal("the stress slot is closed"))?;
        let challenges: Vec<(usize, Challenge)> = (0..spec.gpus).map(|g| (self.device_of(g), spec.challenge(g))).collect();
        let devices = self.devices.clone();
        let loaded = tokio::task::spawn_blocking(move || {
            challenges.iter().map(|(device, challenge)| devices[*device].load(challenge)).collect::<Result<Vec<_>, String>>()
        })
        .await
        .map_err(|e| Status::internal(e.to_string()))?
        .map_err(|e| Status::internal(format!("loading the operands failed: {e}")))?;
        let id: [u8; 16] = rand_id();
        let products = Arc::new(Mutex::new((0..spec.gpus).map(|_| None).collect()));
        let session = Session { spec, created: Instant::now(), loaded: Some(loaded), products, slot: Some(slot) };
        self.sessions.lock().expect("sessions lock").insert(id, session);
        // A load nobody runs gives the slot back.
        let sessions = self.sessions.clone();
        tokio::spawn(async move {
            tokio::time::sleep(LOAD_TTL).await;
            let mut sessions = sessions.lock().expect("sessions lock");
            if sessions.get(&id).is_some_and(|s| s.loaded.is_some()) {
                sessions.remove(&id);
            }
        });
        let devices = (0..spec.gpus).map(|g| self.devices[self.device_of(g)].name()).collect();
        Ok(pb::LoadStressReply { session: id.to_vec(), devices })
    }

    /// Drops sessions past their lifetime.
    fn purge(&self) {
        self.sessions.lock().expect("sessions lock").retain(|_, s| s.created.elapsed() < SESSION_TTL);
    }

    /// Runs every GPU's product, each device its own GPUs in turn, all devices at once;
    /// each root goes to `tx` the moment its product and tree are done.
    pub fn run(
        &self,
        request: pb::RunStressRequest,
        tx: tokio::sync::mpsc::Sender<Result<pb::GpuCommitment, Status>>,
    ) -> Result<(), Status> {
        let id = session_id(&request.session)?;
        let secret: [u8; 32] = request.secret.as_slice().try_into().map_err(|_| Status::invalid_argument("secret must be 32 bytes"))?;
        let (spec, loaded, products, slot) = {
            let mut sessions = self.sessions.lock().expect("sessions lock");
            let session = sessions.get_mut(&id).ok_or_else(|| Status::not_found("no such stress session (expired?)"))?;
            let loaded = session.loaded.take().ok_or_else(|| Status::failed_precondition("this session already ran"))?;
            (session.spec, loaded, session.products.clone(), session.slot.take())
        };
        // The slot is released when the last device is done.
        let slot = Arc::new(slot);
        let mut per_device: Vec<Vec<(u32, Box<dyn Loaded>)>> = (0..self.devices.len()).map(|_| vec![]).collect();
        for (gpu, operands) in loaded.into_iter().enumerate() {
            per_device[self.device_of(gpu as u32)].push((gpu as u32, operands));
        }
        let mangle = self.mangle;
        for work in per_device.into_iter().filter(|w| !w.is_empty()) {
            let (tx, products, slot) = (tx.clone(), products.clone(), slot.clone());
            tokio::task::spawn_blocking(move || {
                for (gpu, operands) in work {
                    let n = spec.n as usize;
                    let product = match CommittedProduct::run(operands, &scaling(&secret, gpu, spec.n), n, spoiler(mangle, n)) {
                        Ok(product) => product,
                        Err(e) => {
                            let _ = tx.blocking_send(Err(Status::internal(format!("GPU {gpu}: the compute backend failed: {e}"))));
                            return;
                        }
                    };
                    let root = product.root();
                    products.lock().expect("products lock")[gpu as usize] = Some(product);
                    if tx.blocking_send(Ok(pb::GpuCommitment { gpu, root: root.to_vec() })).is_err() {
                        return;
                    }
                }
                drop(slot);
            });
        }
        Ok(())
    }

    pub fn open(&self, request: &pb::OpenStressRequest) -> Result<pb::OpenStressReply, Status> {
        let id = session_id(&request.session)?;
        if request.blocks.len() > MAX_BLOCKS_PER_OPEN {
            return Err(Status::invalid_argument(format!("at most {MAX_BLOCKS_PER_OPEN} blocks per request")));
        }
        let products = {
            let sessions = self.sessions.lock().expect("sessions lock");
            sessions.get(&id).ok_or_else(|| Status::not_found("no such stress session (expired?)"))?.products.clone()
        };
        let products = products.lock().expect("products lock");
        let product = products
            .get(request.gpu as usize)
            .ok_or_else(|| Status::invalid_argument("no such GPU in this session"))?
            .as_ref()
            .ok_or_else(|| Status::failed_precondition("this GPU's product is not done"))?;
        let mut openings = Vec::with_capacity(request.blocks.len());
        for block in &request.blocks {
            let opening = product.open(*block).ok_or_else(|| Status::invalid_argument(format!("block {block} is outside the product")))?;
            openings.push(pb::BlockOpening {
                block: opening.block,
                entries: opening.entries.iter().flat_map(|x| x.to_le_bytes()).collect(),
                proof: opening.proof.concat(),
            });
        }
        Ok(pb::OpenStressReply { openings })
    }
}

fn rand_id() -> [u8; 16] {
    use std::hash::{BuildHasher, Hasher};
    // Session ids need only be unique on this agent, not secret: two RandomState hashes
    // of a counter and the time.
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut id = [0u8; 16];
    for (i, half) in id.chunks_mut(8).enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(count);
        h.write_usize(i);
        h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
        half.copy_from_slice(&h.finish().to_le_bytes());
    }
    id
}
