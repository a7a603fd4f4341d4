//! The harness for the registry: hardware specs, registrations, attestations by the
//! oracle quorum, epochs and the reads of registry state.

use super::*;

impl Harness {
    pub fn model_id(&mut self, name: &str) -> u16 {
        let catalogue: GpuCatalogue = fetch(&mut self.net, &pda::gpu_catalogue()).unwrap();
        catalogue.models.iter().find(|m| m.name == name).unwrap_or_else(|| panic!("no model {name}")).id
    }

    /// A valid spec for `count` GPUs of `model`, at a CUDA version every model accepts.
    pub fn spec(&mut self, model: &str, count: u16, seed: u64) -> HardwareSpec {
        // The first digit is 2..=6: valid under every base cell (a pentagon has no child in
        // direction 1).
        let digits: Vec<u8> = (0..7).map(|i| if i == 0 { 2 + (seed % 5) as u8 } else { ((seed >> (i * 3)) % 7) as u8 }).collect();
        let gpu_uuids_hash = self.gpu_set(&Self::gpu_uuids(seed, count));
        HardwareSpec {
            gpu_model: self.model_id(model),
            gpu_count: count,
            cuda: CudaVersion { major: 12, minor: 4 },
            region: h3_cell_from_parts(7, (seed % 122) as u8, &digits).unwrap(),
            gpu_uuids_hash,
        }
    }

    /// The UUIDs of the `count` GPUs of the machine numbered `seed`.
    pub fn gpu_uuids(seed: u64, count: u16) -> Vec<String> {
        (0..count).map(|i| format!("GPU-{seed:08x}-{i:04x}-4e1c-9a1b-6f0d3c2e8b7a")).collect()
    }

    /// The GPU set hash of `uuids`, remembered so a verification can name the GPUs.
    pub fn gpu_set(&mut self, uuids: &[String]) -> [u8; 32] {
        let ids = io_sdk::gpu_ids(uuids);
        let hash = gpu_set_hash(&ids);
        self.gpu_sets.insert(hash, ids);
        hash
    }

    /// The identities of the GPUs `record` claims (made by `spec` or `gpu_set`).
    pub fn gpu_ids(&self, record: &NodeRecord) -> Vec<[u8; GPU_ID_LEN]> {
        self.gpu_sets.get(&record.gpu_uuids_hash).cloned().expect("a GPU set made by Harness::spec or gpu_set")
    }

    /// Has the first `quorum` oracles vote about `node`'s newest leaf, then attests it;
    /// a verification names the record's GPUs. Returns the attestation's outcome.
    pub fn attest(
        &mut self,
        quorum: usize,
        node: &Pubkey,
        verdict: Verdict,
        metrics: NodeMetrics,
        after: &[solana_sdk::instruction::Instruction],
    ) -> io_sdk::client::TxOutcome {
        let epoch = self.current_epoch();
        let leaf = self.registry.proven_leaf(node).unwrap();
        let gpus = if verdict == Verdict::Verified { self.gpu_ids(&leaf.record) } else { vec![] };
        let subject = ix::verdict_subject(&leaf, epoch, verdict, false, gpus);
        self.attest_subject(quorum, &leaf, &subject, metrics, after)
    }

    /// The first `quorum` oracles vote `subject` about `leaf` with `metrics`, then the
    /// attestation goes out with `after`; returns its outcome (panics on a refusal).
    pub fn attest_subject(
        &mut self,
        quorum: usize,
        leaf: &ix::ProvenLeaf,
        subject: &VerdictSubject,
        metrics: NodeMetrics,
        after: &[solana_sdk::instruction::Instruction],
    ) -> io_sdk::client::TxOutcome {
        let oracles: Vec<Keypair> = self.oracles.iter().take(quorum).map(|k| k.insecure_clone()).collect();
        let votes: Vec<(&Keypair, NodeMetrics)> = oracles.iter().map(|k| (k, metrics)).collect();
        let outcome =
            io_sdk::network::attest_by_quorum(&mut self.net, leaf, &votes, subject, after).unwrap_or_else(|e| panic!("{e:?}")).attestation;
        self.registry.ingest(&outcome).unwrap();
        self.check_invariants();
        outcome
    }

    /// Registers a node; returns its key and record.
    pub fn register(&mut self, operator: &Keypair, spec: HardwareSpec) -> (Keypair, NodeRecord) {
        let node = Keypair::new();
        let record = self.registry.register(&mut self.net, operator, &node, spec).expect("register");
        (node, record)
    }

    pub fn oracle_refs(&self, n: usize) -> Vec<&Keypair> {
        self.oracles.iter().take(n).collect()
    }

    pub fn config(&mut self) -> RegistryConfig {
        fetch(&mut self.net, &pda::registry_config()).unwrap()
    }

    /// The oracle set and threshold as they stand: what a `set_oracles` is written against.
    pub fn oracle_set(&mut self) -> (Vec<Pubkey>, u8) {
        let config = self.config();
        (config.oracles, config.threshold)
    }

    /// Catalogue entry `model_id` as `update_gpu_model` expects it.
    pub fn model_args(&mut self, model_id: u16) -> io_registry::GpuModelArgs {
        let catalogue: io_registry::GpuCatalogue = fetch(&mut self.net, &pda::gpu_catalogue()).unwrap();
        let m = catalogue.models.iter().find(|m| m.id == model_id).expect("a catalogue entry").clone();
        io_registry::GpuModelArgs { name: m.name, tier: m.tier, expected_centi_tflops: m.expected_centi_tflops, min_cuda: m.min_cuda }
    }

    pub fn current_epoch(&mut self) -> u64 {
        let now = self.net.unix_time().unwrap();
        self.config().current_epoch(now).unwrap()
    }

    /// Moves the clock into the next attestation epoch; returns it.
    pub fn next_epoch(&mut self) -> u64 {
        let length = i64::from(self.config().epoch_length_secs);
        self.net.warp_seconds(length);
        self.current_epoch()
    }

    /// Healthy metrics for a node of `tier`.
    pub fn good_metrics(tier: Tier) -> NodeMetrics {
        NodeMetrics {
            verified_centi_tflops: 1_000,
            rtt_us: 18_000,
            bandwidth_mbps: MIN_BANDWIDTH_MBPS[tier.index()].max(500) + 100,
            packet_loss_bps: 5,
        }
    }

    /// Attests `node` verified by the first `threshold` oracles in the current epoch.
    pub fn verify(&mut self, node: &Pubkey) -> NodeRecord {
        let tier = self.registry.record(node).unwrap().tier;
        self.attest(2, node, Verdict::Verified, Self::good_metrics(tier), &[]);
        *self.registry.record(node).unwrap()
    }

    pub fn operator_stats(&mut self, operator: &Pubkey) -> OperatorStats {
        fetch(&mut self.net, &pda::operator_stats(operator)).unwrap()
    }

    /// The operator's verified capacity as it counts now (leases that ended left out).
    pub fn counted(&mut self, operator: &Pubkey) -> io_registry::VerifiedCapacity {
        let stats = self.operator_stats(operator);
        let epoch = stats.current_epoch(self.net.unix_time().unwrap()).unwrap();
        stats.verified_at(epoch).unwrap()
    }

    pub fn onchain_root(&mut self, tree: &Pubkey) -> [u8; 32] {
        let data = self.net.account_data(tree).unwrap().unwrap();
        onchain_root(&data).unwrap()
    }
}
