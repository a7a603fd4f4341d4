//! The oracle's way to the chain. A chain client is synchronous and has one owner (the
//! embedded bank owns its own runtime; an RPC client is blocking), while the daemon is
//! async and concurrent. So one thread owns the chain and runs a [`ChainDesk`]; the
//! daemon's tasks hand it closures through cloned [`ChainPort`]s and await the answers.
//! The demo keeps its bank on its main thread this way while oracles run beside it.

use io_sdk::client::Chain;
use std::any::Any;
use std::sync::mpsc;

/// A chain the desk serves, which a caller that knows its concrete type may also reach
/// directly (tests move the embedded bank's clock through it).
pub trait DeskChain: Chain {
    fn as_any(&mut self) -> &mut dyn Any;
}

impl<C: Chain + 'static> DeskChain for C {
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}

type Job = Box<dyn FnOnce(&mut dyn DeskChain) + Send>;

/// A handle to the chain-owning thread; cheap to clone.
#[derive(Clone)]
pub struct ChainPort {
    jobs: mpsc::Sender<Job>,
}

/// The chain owner's side: runs the jobs in arrival order.
pub struct ChainDesk {
    jobs: mpsc::Receiver<Job>,
}

pub fn chain_port() -> (ChainPort, ChainDesk) {
    let (jobs, rx) = mpsc::channel();
    (ChainPort { jobs }, ChainDesk { jobs: rx })
}

#[derive(Debug, thiserror::Error)]
#[error("the chain desk has stopped")]
pub struct DeskClosed;

impl ChainPort {
    /// Runs `job` on the chain's thread and returns its answer.
    pub async fn call<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut dyn DeskChain) -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |chain| {
            let _ = tx.send(job(chain));
        });
        self.jobs.send(job).map_err(|_| DeskClosed)?;
        rx.await.map_err(|_| DeskClosed)?
    }
}

impl ChainDesk {
    /// Serves until every port is dropped.
    pub fn serve<C: Chain + 'static>(self, chain: &mut C) {
        while let Ok(job) = self.jobs.recv() {
            job(chain);
        }
    }
}
