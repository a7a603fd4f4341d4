//! A registry client: follows every tree through its noop events and turns operator and
//! oracle intents into proven transactions.

use crate::client::{fetch, Chain, TxOutcome};
use crate::events::{decode_noop_data, NoopPayload};
use crate::mirror::TreeMirror;
use crate::pda;
use crate::registry::{self as ix, ProvenLeaf};
use crate::tree::TreeShape;
use anyhow::{anyhow, bail, Context};
use io_registry::{Ballot, HardwareSpec, NodeMetrics, NodeRecord, RegistryConfig, TreeConfig, Verdict, VerdictSubject, GPU_ID_LEN};
use solana_sdk::instruction::Instruction;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use std::collections::{BTreeMap, HashMap};

/// One tracked tree: its on-chain config and the mirror of its leaves.
#[derive(Clone, Debug)]
pub struct TrackedTree {
    pub config: TreeConfig,
    pub mirror: TreeMirror,
}

/// Registers a node without a mirror of the tree: an append needs no proof, and the record
/// is read from the registration's own event. What a one-shot command uses; a
/// [`RegistryClient`] that mirrors the tree applies the event with
/// [`RegistryClient::register`] instead.
pub fn register_node(chain: &mut impl Chain, operator: &Keypair, node: &Keypair, spec: HardwareSpec) -> anyhow::Result<NodeRecord> {
    let config: RegistryConfig = fetch(chain, &pda::registry_config())?;
    let instruction = ix::register_node(&operator.pubkey(), &node.pubkey(), &config.active_tree, spec);
    let outcome = chain.send(&[instruction], &[operator, node])?;
    outcome
        .node_events()
        .into_iter()
        .find(|event| event.record.node_id == node.pubkey() && event.change == io_registry::NodeChange::Registered)
        .map(|event| event.record)
        .ok_or_else(|| anyhow!("registration logged no event"))
}

/// An off-chain view of the whole registry.
#[derive(Clone, Debug, Default)]
pub struct RegistryClient {
    pub trees: BTreeMap<Pubkey, TrackedTree>,
    nodes: HashMap<Pubkey, (Pubkey, u32)>,
    /// The GPUs each leaf's last verification proved (from its attestation event).
    proven_gpus: HashMap<(Pubkey, u32), Vec<GpuId>>,
    /// Every leaf a GPU identity was ever proven at.
    gpu_leaves: HashMap<GpuId, Vec<(Pubkey, u32)>>,
}

/// A GPU's identity (`crate::gpu_id`).
pub type GpuId = [u8; GPU_ID_LEN];

impl RegistryClient {
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds every tree of the registry from the chain: the config names how many trees
    /// exist, each tree's history of noop events rebuilds its leaves.
    pub fn sync(chain: &mut impl Chain, trees: &[Pubkey]) -> anyhow::Result<Self> {
        let mut client = Self::new();
        for tree in trees {
            client.track(chain, *tree)?;
            // Keep each leaf's newest record, then hash the tree once.
            let mut latest: Vec<NodeRecord> = Vec::new();
            for data in chain.noop_history(tree)? {
                let NoopPayload::Node(event) = decode_noop_data(&data) else { continue };
                if event.tree != *tree {
                    continue;
                }
                client.note_gpus(&event);
                let index = event.record.leaf_index as usize;
                match index.cmp(&latest.len()) {
                    std::cmp::Ordering::Less => latest[index] = event.record,
                    std::cmp::Ordering::Equal => latest.push(event.record),
                    std::cmp::Ordering::Greater => bail!("history of {tree} skips leaves {}..{index}", latest.len()),
                }
            }
            let tracked = client.trees.get_mut(tree).expect("tracked above");
            tracked.mirror = TreeMirror::from_records(*tree, tracked.config.max_depth, latest)?;
            for record in tracked.mirror.records() {
                client.nodes.insert(record.node_id, (*tree, record.leaf_index));
            }
        }
        Ok(client)
    }

    /// Starts following a tree (empty mirror).
    pub fn track(&mut self, chain: &mut impl Chain, tree: Pubkey) -> anyhow::Result<()> {
        let config: TreeConfig = fetch(chain, &pda::tree_config(&tree)).context("tree config")?;
        self.track_config(tree, config);
        Ok(())
    }

    /// Starts following a tree whose config the caller read.
    pub fn track_config(&mut self, tree: Pubkey, config: TreeConfig) {
        let mirror = TreeMirror::new(tree, config.max_depth);
        self.trees.insert(tree, TrackedTree { config, mirror });
    }

    /// Applies one node event (of a tracked tree), in chain order: what a follower of an
    /// indexer's change feed does with each event.
    pub fn apply(&mut self, event: &io_registry::NodeEvent) -> anyhow::Result<()> {
        let tracked = self.trees.get_mut(&event.tree).ok_or_else(|| anyhow!("event for untracked tree {}", event.tree))?;
        tracked.mirror.apply(event)?;
        // A key's leaf is the one its latest registration appended: an event about an older
        // leaf of a re-registered key (its suspension) does not move it back.
        let key = event.record.node_id;
        if event.change == io_registry::NodeChange::Registered || !self.nodes.contains_key(&key) {
            self.nodes.insert(key, (event.tree, event.record.leaf_index));
        }
        self.note_gpus(event);
        Ok(())
    }

    /// An attestation replaces its leaf's proven GPUs (a suspension names none).
    fn note_gpus(&mut self, event: &io_registry::NodeEvent) {
        if event.change != io_registry::NodeChange::Attested {
            return;
        }
        let leaf = (event.tree, event.record.leaf_index);
        for id in &event.gpu_ids {
            let leaves = self.gpu_leaves.entry(*id).or_default();
            if !leaves.contains(&leaf) {
                leaves.push(leaf);
            }
        }
        self.proven_gpus.insert(leaf, event.gpu_ids.clone());
    }

    /// The GPUs the last verification of leaf `index` of `tree` proved (none if its last
    /// attestation was a suspension).
    pub fn proven_gpus(&self, tree: &Pubkey, index: u32) -> &[GpuId] {
        self.proven_gpus.get(&(*tree, index)).map_or(&[], Vec::as_slice)
    }

    /// Which of `ids` count in `epoch` for another node key: each such GPU with the node
    /// key it counts for. A GPU counts for the first leaf, in chain order, that proved it
    /// and still counts with it (verified, lease running, named by its last
    /// verification), so of two nodes that passed with the same GPU the earlier keeps it
    /// and the later is the one refused. A node's own older leaf is not "another node"
    /// (that is a key registered twice, which the oracles suspend separately).
    pub fn gpus_counted_elsewhere(&self, ids: &[GpuId], node: &Pubkey, epoch: u64) -> Vec<(GpuId, Pubkey)> {
        let mut found = vec![];
        for id in ids {
            let owner = self.gpu_leaves.get(id).into_iter().flatten().find_map(|(tree, index)| {
                let record = self.trees.get(tree)?.mirror.record(*index).ok()?;
                (record.counts_in(epoch) && self.proven_gpus(tree, *index).contains(id)).then_some(record.node_id)
            });
            if let Some(owner) = owner.filter(|owner| owner != node) {
                found.push((*id, owner));
            }
        }
        found
    }

    /// Applies every registry event of a landed transaction.
    pub fn ingest(&mut self, outcome: &TxOutcome) -> anyhow::Result<usize> {
        let events = outcome.node_events();
        for event in &events {
            self.apply(event)?;
        }
        Ok(events.len())
    }

    pub fn record(&self, node_id: &Pubkey) -> Option<&NodeRecord> {
        let (tree, index) = self.nodes.get(node_id)?;
        self.trees.get(tree)?.mirror.record(*index).ok()
    }

    pub fn records(&self) -> impl Iterator<Item = (&Pubkey, &NodeRecord)> {
        self.trees.iter().flat_map(|(tree, t)| t.mirror.records().iter().map(move |r| (tree, r)))
    }

    /// The node's record with the mirror's current root and a proof below the canopy.
    pub fn proven_leaf(&self, node_id: &Pubkey) -> anyhow::Result<ProvenLeaf> {
        let (tree, index) = *self.nodes.get(node_id).ok_or_else(|| anyhow!("unknown node {node_id}"))?;
        self.proven_leaf_at(&tree, index)
    }

    /// Where the node key's newest leaf is: (tree, leaf index).
    pub fn position(&self, node_id: &Pubkey) -> Option<(Pubkey, u32)> {
        self.nodes.get(node_id).copied()
    }

    /// Live leaves (neither retired nor suspended) whose node key was registered again
    /// later: the key's newest leaf is elsewhere. A key should have one live leaf; these
    /// are the others.
    pub fn shadowed_live_leaves(&self) -> Vec<(Pubkey, NodeRecord)> {
        use io_registry::NodeStatus;
        self.trees
            .iter()
            .flat_map(|(tree, t)| t.mirror.records().iter().map(move |r| (*tree, *r)))
            .filter(|(tree, r)| self.nodes.get(&r.node_id) != Some(&(*tree, r.leaf_index)))
            .filter(|(_, r)| !matches!(r.status, NodeStatus::Retired | NodeStatus::Suspended))
            .collect()
    }

    /// The record at `index` of `tree` with the mirror's current root and its proof.
    pub fn proven_leaf_at(&self, tree: &Pubkey, index: u32) -> anyhow::Result<ProvenLeaf> {
        let tree = *tree;
        let tracked = self.trees.get(&tree).ok_or_else(|| anyhow!("untracked tree {tree}"))?;
        Ok(ProvenLeaf {
            merkle_tree: tree,
            root: tracked.mirror.root(),
            record: *tracked.mirror.record(index)?,
            proof: tracked.mirror.proof_below_canopy(index, tracked.config.canopy_depth)?,
        })
    }

    /// Opens a tree with `shape` (allocation and initialisation in one transaction).
    pub fn create_tree(&mut self, chain: &mut impl Chain, authority: &Keypair, shape: TreeShape) -> anyhow::Result<Pubkey> {
        if !shape.is_supported() {
            bail!("unsupported tree shape {shape:?}");
        }
        let tree = Keypair::new();
        let lamports = chain.rent_exempt_balance(shape.account_size())?;
        let payer = chain.payer();
        let ixs = ix::create_tree(&payer, &authority.pubkey(), &tree.pubkey(), shape, lamports);
        chain.send(&ixs, &[authority, &tree])?;
        self.track(chain, tree.pubkey())?;
        Ok(tree.pubkey())
    }

    /// Opens the next tree (permissionless, `open_tree`) with the shape the registry's
    /// config names, paid by the chain's payer; tracks it.
    pub fn open_tree(&mut self, chain: &mut impl Chain) -> anyhow::Result<Pubkey> {
        let config: RegistryConfig = fetch(chain, &pda::registry_config())?;
        let p = config.registration;
        let shape = TreeShape { max_depth: p.tree_max_depth, max_buffer_size: p.tree_max_buffer_size, canopy_depth: p.tree_canopy_depth };
        if !shape.is_supported() {
            bail!("the registry's open-tree shape {shape:?} is not supported");
        }
        let tree = Keypair::new();
        let lamports = chain.rent_exempt_balance(shape.account_size())?;
        let payer = chain.payer();
        chain.send(&ix::open_tree(&payer, &config.active_tree, &tree.pubkey(), shape, lamports), &[&tree])?;
        self.track(chain, tree.pubkey())?;
        Ok(tree.pubkey())
    }

    /// Registers a node in the registry's active tree.
    pub fn register(
        &mut self,
        chain: &mut impl Chain,
        operator: &Keypair,
        node: &Keypair,
        spec: HardwareSpec,
    ) -> anyhow::Result<NodeRecord> {
        let config: RegistryConfig = fetch(chain, &pda::registry_config())?;
        if !self.trees.contains_key(&config.active_tree) {
            self.track(chain, config.active_tree)?;
        }
        let instruction = ix::register_node(&operator.pubkey(), &node.pubkey(), &config.active_tree, spec);
        let outcome = chain.send(&[instruction], &[operator, node])?;
        self.ingest(&outcome)?;
        self.record(&node.pubkey()).copied().ok_or_else(|| anyhow!("registration logged no event"))
    }

    pub fn update(
        &mut self,
        chain: &mut impl Chain,
        operator: &Keypair,
        node_id: &Pubkey,
        spec: HardwareSpec,
    ) -> anyhow::Result<NodeRecord> {
        let leaf = self.proven_leaf(node_id)?;
        let outcome = chain.send(&[ix::update_node(&leaf, spec)], &[operator])?;
        self.finish(&outcome, node_id)
    }

    pub fn retire(&mut self, chain: &mut impl Chain, operator: &Keypair, node_id: &Pubkey) -> anyhow::Result<NodeRecord> {
        let leaf = self.proven_leaf(node_id)?;
        let outcome = chain.send(&[ix::retire_node(&leaf)], &[operator])?;
        self.finish(&outcome, node_id)
    }

    /// Has every key in `oracles` vote `verdict` about the node's leaf with `metrics`, then
    /// attests it. `gpu_ids` names the proven GPUs (`crate::gpu_ids`), empty for a
    /// suspension.
    #[allow(clippy::too_many_arguments)]
    pub fn attest(
        &mut self,
        chain: &mut impl Chain,
        oracles: &[&Keypair],
        node_id: &Pubkey,
        epoch: u64,
        verdict: Verdict,
        metrics: NodeMetrics,
        gpu_ids: Vec<[u8; GPU_ID_LEN]>,
    ) -> anyhow::Result<NodeRecord> {
        let leaf = self.proven_leaf(node_id)?;
        let subject = ix::verdict_subject(&leaf, epoch, verdict, false, gpu_ids);
        let votes: Vec<(&Keypair, NodeMetrics)> = oracles.iter().map(|k| (*k, metrics)).collect();
        let attested = attest_by_quorum(chain, &leaf, &votes, &subject, &[])?;
        self.finish(&attested.attestation, node_id)
    }

    fn finish(&mut self, outcome: &TxOutcome, node_id: &Pubkey) -> anyhow::Result<NodeRecord> {
        self.ingest(outcome)?;
        self.record(node_id).copied().ok_or_else(|| anyhow!("node {node_id} vanished"))
    }
}

/// Who gets the rent of `leaf`'s ballot back: whoever opened it, or `chain`'s payer when no
/// ballot is open (the first vote it sends will open it).
pub fn ballot_rent_payer(chain: &mut impl Chain, leaf: &ProvenLeaf) -> anyhow::Result<Pubkey> {
    let address = pda::ballot(&leaf.merkle_tree, leaf.record.leaf_index);
    Ok(match chain.account_data(&address)? {
        Some(_) => fetch::<Ballot>(chain, &address)?.rent_payer,
        None => chain.payer(),
    })
}

/// The transactions of one attestation by a quorum.
#[derive(Clone, Debug)]
pub struct Attested {
    pub votes: Vec<TxOutcome>,
    pub attestation: TxOutcome,
}

impl Attested {
    /// Bytes of the largest of its transactions.
    pub fn largest_tx(&self) -> usize {
        self.votes.iter().map(|v| v.size).chain([self.attestation.size]).max().unwrap_or(0)
    }
}

/// Every oracle of `votes` votes `subject` about `leaf` with its own metrics, each in a
/// transaction of its own (paid by `chain`'s payer); then the attestation goes out with
/// `after` (a weight refresh) in its transaction.
pub fn attest_by_quorum(
    chain: &mut impl Chain,
    leaf: &ProvenLeaf,
    votes: &[(&Keypair, NodeMetrics)],
    subject: &VerdictSubject,
    after: &[Instruction],
) -> anyhow::Result<Attested> {
    let payer = chain.payer();
    // Votes already in the ballot for this subject (sent before) are not sent again.
    let address = pda::ballot(&leaf.merkle_tree, leaf.record.leaf_index);
    let cast: Vec<Pubkey> = match chain.account_data(&address)? {
        Some(_) => fetch::<Ballot>(chain, &address)?.votes_for(subject),
        None => vec![],
    };
    let mut sent = Vec::with_capacity(votes.len());
    for (oracle, metrics) in votes.iter().filter(|(o, _)| !cast.contains(&o.pubkey())) {
        sent.push(chain.send(&[ix::submit_verdict(&payer, &oracle.pubkey(), leaf, subject.clone(), *metrics)], &[oracle])?);
    }
    let rent_payer = ballot_rent_payer(chain, leaf)?;
    let mut instructions = vec![ix::attest_node(leaf, &rent_payer)];
    instructions.extend_from_slice(after);
    Ok(Attested { votes: sent, attestation: chain.send(&instructions, &[])? })
}

#[cfg(test)]
mod tests {
    use super::*;
    use io_registry::{NodeChange, NodeEvent, NodeStatus, NODE_RECORD_VERSION};

    fn record(index: u32, node: Pubkey, status: NodeStatus, lease_end_epoch: u64) -> NodeRecord {
        NodeRecord {
            version: NODE_RECORD_VERSION,
            node_id: node,
            operator: Pubkey::new_unique(),
            leaf_index: index,
            gpu_model: 0,
            gpu_count: 1,
            tier: io_registry::Tier::Enterprise,
            cuda: Default::default(),
            region: 0,
            gpu_uuids_hash: [0; 32],
            status,
            metrics: Default::default(),
            last_attested_epoch: 0,
            score: 0,
            registered_at: 0,
            deposit_lamports: 0,
            lease_end_epoch,
        }
    }

    /// A client following one empty depth-5 tree.
    fn client_tracking(tree: Pubkey) -> RegistryClient {
        let mut client = RegistryClient::new();
        let config = TreeConfig {
            merkle_tree: tree,
            ordinal: 0,
            max_depth: 5,
            max_buffer_size: 8,
            canopy_depth: 0,
            capacity: 32,
            num_nodes: 2,
            bump: 0,
        };
        client.trees.insert(tree, TrackedTree { config, mirror: TreeMirror::new(tree, 5) });
        client
    }

    fn event(tree: Pubkey, change: NodeChange, record: NodeRecord, gpu_ids: Vec<GpuId>) -> NodeEvent {
        NodeEvent { change, tree, record, epoch: 1, oracles: vec![], gpu_ids }
    }

    #[test]
    fn a_gpu_counts_for_the_first_live_leaf_that_proved_it() {
        let tree = Pubkey::new_unique();
        let mut client = client_tracking(tree);
        let (a, b) = (Pubkey::new_unique(), Pubkey::new_unique());
        let gpu = crate::gpu_id("GPU-shared");
        for (i, node) in [a, b].into_iter().enumerate() {
            client.apply(&event(tree, NodeChange::Registered, record(i as u32, node, NodeStatus::Pending, 0), vec![])).unwrap();
        }
        // Both pass with the same GPU (two leads at the same moment): A's came first.
        client.apply(&event(tree, NodeChange::Attested, record(0, a, NodeStatus::Verified, 30), vec![gpu])).unwrap();
        client.apply(&event(tree, NodeChange::Attested, record(1, b, NodeStatus::Verified, 40), vec![gpu])).unwrap();
        assert_eq!(client.gpus_counted_elsewhere(&[gpu], &b, 10), vec![(gpu, a)], "B is refused at its next audit");
        assert_eq!(client.gpus_counted_elsewhere(&[gpu], &a, 10), vec![], "A keeps it");
        // Past A's lease, the GPU is B's (it is the first leaf that still counts with it).
        assert_eq!(client.gpus_counted_elsewhere(&[gpu], &a, 30), vec![(gpu, b)]);
        // A suspension proves no GPU: A no longer holds it, whatever its lease said.
        client.apply(&event(tree, NodeChange::Attested, record(0, a, NodeStatus::Suspended, 0), vec![])).unwrap();
        assert_eq!(client.proven_gpus(&tree, 0), &[] as &[GpuId]);
        assert_eq!(client.gpus_counted_elsewhere(&[gpu], &b, 10), vec![]);
        assert_eq!(client.gpus_counted_elsewhere(&[gpu], &Pubkey::new_unique(), 10), vec![(gpu, b)]);
    }

    #[test]
    fn a_re_registered_key_stays_at_its_new_leaf_when_its_old_leaf_is_suspended() {
        let tree = Pubkey::new_unique();
        let mut client = client_tracking(tree);
        let key = Pubkey::new_unique();
        client.apply(&event(tree, NodeChange::Registered, record(0, key, NodeStatus::Verified, 9), vec![])).unwrap();
        client.apply(&event(tree, NodeChange::Registered, record(1, key, NodeStatus::Pending, 0), vec![])).unwrap();
        client.apply(&event(tree, NodeChange::Attested, record(0, key, NodeStatus::Suspended, 0), vec![])).unwrap();
        assert_eq!(client.position(&key), Some((tree, 1)));
        assert_eq!(client.record(&key).unwrap().status, NodeStatus::Pending);
    }
}
