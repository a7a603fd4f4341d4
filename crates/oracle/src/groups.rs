//! Audits of nodes that could be one machine (one operator's, behind one worker host,
//! claiming one GPU set) run at once, their stress tests in one shared window
//! (`window.rs`), so one set of GPUs cannot answer for two nodes one after the other.

use crate::daemon::OracleDaemon;
use crate::metrics::OracleMetrics;
use crate::view::ChainView;
use crate::window::SharedWindow;
use io_registry::NodeRecord;
use solana_sdk::pubkey::Pubkey;

impl OracleDaemon {
    /// Audits, in one shared timed window per group, the due nodes of `led` that could be
    /// the same hardware: one operator's, those behind one host, those claiming the same
    /// GPU set. Each audit lands in the history, where the lead's own audit then finds it;
    /// a lone node is audited on its own as before.
    /// With `only`, just the group of that node (a peer reviewing it).
    pub(crate) async fn audit_groups_together(&self, view: &ChainView, led: &[(NodeRecord, String)], only: Option<Pubkey>) {
        if !self.shared.settings.audit_together {
            return;
        }
        let due: Vec<&(NodeRecord, String)> = led
            .iter()
            .filter(|(record, _)| view.audit_due(record))
            .filter(|(record, _)| matches!(self.shared.history.get(&record.node_id, view.epoch), Ok(None)))
            .collect();
        for group in audit_groups(&due) {
            if group.len() < 2 || only.is_some_and(|node| !group.iter().any(|&i| due[i].0.node_id == node)) {
                continue;
            }
            let tickets = SharedWindow::tickets(group.len(), self.shared.settings.audit.call_timeout);
            let audits = group.iter().zip(tickets).map(|(&i, ticket)| {
                let (record, endpoint) = due[i];
                self.own_audit_in(view, record, endpoint, view.epoch, Some(ticket))
            });
            for (i, result) in group.iter().zip(futures_util::future::join_all(audits).await) {
                if let Err(e) = result {
                    eprintln!("oracle {}: node {} audited in a group: {e:#}", self.key(), due[*i].0.node_id);
                }
            }
            OracleMetrics::inc(&self.shared.metrics.group_audits);
        }
    }
}

/// Groups of `due` (indices) that must be audited in one window: linked when they share
/// an operator, a worker host, or a GPU set hash (transitively).
pub(crate) fn audit_groups(due: &[&(NodeRecord, String)]) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..due.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let host = |endpoint: &str| endpoint.parse::<tonic::transport::Uri>().ok().and_then(|u| u.host().map(str::to_string));
    for i in 0..due.len() {
        for j in 0..i {
            let ((a, ea), (b, eb)) = (due[i], due[j]);
            let linked = a.operator == b.operator || a.gpu_uuids_hash == b.gpu_uuids_hash || (host(ea).is_some() && host(ea) == host(eb));
            if linked {
                let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
                parent[ri] = rj;
            }
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Vec<usize>> = std::collections::BTreeMap::new();
    for i in 0..due.len() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    groups.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use io_registry::{NodeMetrics, NodeStatus};

    fn node(operator: Pubkey, set: u8) -> NodeRecord {
        NodeRecord {
            version: io_registry::NODE_RECORD_VERSION,
            node_id: Pubkey::new_unique(),
            operator,
            leaf_index: 0,
            gpu_model: 0,
            gpu_count: 1,
            tier: io_registry::Tier::Consumer,
            cuda: Default::default(),
            region: 0,
            gpu_uuids_hash: [set; 32],
            status: NodeStatus::Pending,
            metrics: NodeMetrics::default(),
            last_attested_epoch: 0,
            score: 0,
            registered_at: 0,
            deposit_lamports: 0,
            lease_end_epoch: 0,
        }
    }

    #[test]
    fn nodes_sharing_an_operator_a_host_or_a_gpu_set_are_grouped_transitively() {
        let (op_a, op_b, op_c, op_d) = (Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique());
        let due = [
            (node(op_a, 1), "http://10.0.0.1:7000".to_string()),
            (node(op_a, 2), "http://10.0.0.2:7000".to_string()), // same operator as 0
            (node(op_b, 3), "http://10.0.0.2:7001".to_string()), // same host as 1
            (node(op_c, 1), "http://10.0.0.9:7000".to_string()), // same GPU set as 0
            (node(op_d, 4), "http://10.0.0.5:7000".to_string()), // alone
        ];
        let refs: Vec<&(NodeRecord, String)> = due.iter().collect();
        assert_eq!(audit_groups(&refs), vec![vec![0, 1, 2, 3], vec![4]]);
    }
}
