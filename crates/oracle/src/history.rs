//! The oracle's audit history in an embedded database (redb, one file): every finished
//! audit of a node in an attestation epoch, and whether it was attested. A restarted
//! oracle reads it back, so it never loses a finished audit and never attests the same
//! node epoch twice (the registry refuses a replayed epoch too; this keeps the oracle from
//! trying).

use crate::daemon::ReviewKind;
use crate::outbox::{agreement_key, decode_agreement, encode_agreement, PendingSlash};
use crate::policy::Expectation;
use io_registry::{NodeMetrics, GPU_ID_LEN};
use io_staking::SlashReason;
use redb::{Database, ReadableTable, TableDefinition};
use solana_sdk::pubkey::Pubkey;
use std::path::Path;
use thiserror::Error;

/// Key: node (32 bytes) then epoch (u64 big-endian), so a node's audits sort by epoch.
const AUDITS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("audits_v2");
/// Worker endpoints enrolled with this oracle: node (32 bytes) -> endpoint (UTF-8).
const WORKERS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("workers_v1");
/// Slashes this oracle leads, from before their attestation until their proposal lands:
/// node + epoch (as `AUDITS`) -> `PendingSlash`.
const SLASH_OUTBOX: TableDefinition<&[u8], &[u8]> = TableDefinition::new("slash_outbox_v1");
/// Agreements this oracle gave in reviews: node + epoch + kind -> `Expectation`.
const AGREEMENTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("agreements_v1");

#[derive(Debug, Error)]
pub enum HistoryError {
    #[error("audit database: {0}")]
    Db(String),
    #[error("node {node} was already audited in epoch {epoch}")]
    AlreadyAudited { node: Pubkey, epoch: u64 },
    #[error("node {node} was already attested in epoch {epoch}")]
    AlreadyAttested { node: Pubkey, epoch: u64 },
    #[error("no finished audit of node {node} in epoch {epoch}")]
    NoAudit { node: Pubkey, epoch: u64 },
    #[error("corrupt audit record for node {node} in epoch {epoch}")]
    Corrupt { node: Pubkey, epoch: u64 },
}

fn db_error(e: impl std::fmt::Display) -> HistoryError {
    HistoryError::Db(e.to_string())
}

/// One finished audit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    pub verified: bool,
    pub metrics: NodeMetrics,
    /// Unix seconds when the audit finished.
    pub finished_at: i64,
    /// The findings, one per line (empty when verified).
    pub findings: String,
    /// The attestation transaction's signature, once it landed.
    pub attestation: Option<[u8; 64]>,
    /// The slash the findings call for (`policy::slash_reason`).
    pub slash: Option<SlashReason>,
    /// Identities of the GPUs a passed audit proved, ascending (what this oracle's vote
    /// names); empty when not verified.
    pub gpu_ids: Vec<[u8; GPU_ID_LEN]>,
}

fn slash_byte(reason: Option<SlashReason>) -> u8 {
    match reason {
        None => 0,
        Some(SlashReason::SpoofedHardware) => 1,
        Some(SlashReason::FailedAudit) => 2,
        Some(SlashReason::Downtime) => 3,
    }
}

fn slash_of(byte: u8) -> Option<Option<SlashReason>> {
    Some(match byte {
        0 => None,
        1 => Some(SlashReason::SpoofedHardware),
        2 => Some(SlashReason::FailedAudit),
        3 => Some(SlashReason::Downtime),
        _ => return None,
    })
}

impl AuditRecord {
    fn encode(&self) -> Vec<u8> {
        let m = &self.metrics;
        let mut out = Vec::with_capacity(90 + self.findings.len());
        out.push(u8::from(self.verified));
        for v in [m.verified_centi_tflops, m.rtt_us, m.bandwidth_mbps, u32::from(m.packet_loss_bps)] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&self.finished_at.to_le_bytes());
        match &self.attestation {
            Some(sig) => {
                out.push(1);
                out.extend_from_slice(sig);
            }
            None => out.push(0),
        }
        out.push(slash_byte(self.slash));
        // At most MAX_GPUS_PER_NODE identities: the count fits a byte.
        out.push(self.gpu_ids.len() as u8);
        self.gpu_ids.iter().for_each(|id| out.extend_from_slice(id));
        out.extend_from_slice(self.findings.as_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let u32_at = |i: usize| bytes.get(i..i + 4).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")));
        let verified = *bytes.first()? == 1;
        let metrics = NodeMetrics {
            verified_centi_tflops: u32_at(1)?,
            rtt_us: u32_at(5)?,
            bandwidth_mbps: u32_at(9)?,
            packet_loss_bps: u16::try_from(u32_at(13)?).ok()?,
        };
        let finished_at = i64::from_le_bytes(bytes.get(17..25)?.try_into().ok()?);
        let (attestation, rest) = match *bytes.get(25)? {
            1 => (Some(<[u8; 64]>::try_from(bytes.get(26..90)?).ok()?), 90),
            0 => (None, 26),
            _ => return None,
        };
        let slash = slash_of(*bytes.get(rest)?)?;
        let count = usize::from(*bytes.get(rest + 1)?);
        let ids_end = rest + 2 + count * GPU_ID_LEN;
        let gpu_ids = bytes.get(rest + 2..ids_end)?.chunks_exact(GPU_ID_LEN).map(|c| c.try_into().expect("GPU_ID_LEN bytes")).collect();
        let findings = String::from_utf8(bytes.get(ids_end..)?.to_vec()).ok()?;
        Some(AuditRecord { verified, metrics, finished_at, findings, attestation, slash, gpu_ids })
    }
}

fn key(node: &Pubkey, epoch: u64) -> [u8; 40] {
    let mut k = [0u8; 40];
    k[..32].copy_from_slice(node.as_ref());
    k[32..].copy_from_slice(&epoch.to_be_bytes());
    k
}

pub struct AuditHistory {
    db: Database,
}

impl AuditHistory {
    /// Opens (or creates) the history at `path`.
    pub fn open(path: &Path) -> Result<Self, HistoryError> {
        let db = Database::create(path).map_err(db_error)?;
        let txn = db.begin_write().map_err(db_error)?;
        txn.open_table(AUDITS).map_err(db_error)?;
        txn.open_table(WORKERS).map_err(db_error)?;
        txn.open_table(SLASH_OUTBOX).map_err(db_error)?;
        txn.open_table(AGREEMENTS).map_err(db_error)?;
        txn.commit().map_err(db_error)?;
        Ok(Self { db })
    }

    fn put(&self, table: TableDefinition<&[u8], &[u8]>, k: &[u8], value: &[u8]) -> Result<(), HistoryError> {
        let txn = self.db.begin_write().map_err(db_error)?;
        txn.open_table(table).map_err(db_error)?.insert(k, value).map_err(db_error)?;
        txn.commit().map_err(db_error)
    }

    fn remove(&self, table: TableDefinition<&[u8], &[u8]>, k: &[u8]) -> Result<(), HistoryError> {
        let txn = self.db.begin_write().map_err(db_error)?;
        txn.open_table(table).map_err(db_error)?.remove(k).map_err(db_error)?;
        txn.commit().map_err(db_error)
    }

    /// Keeps (or replaces) the slash this oracle leads on a node epoch, committed before
    /// it returns.
    pub fn save_pending_slash(&self, node: &Pubkey, epoch: u64, slash: &PendingSlash) -> Result<(), HistoryError> {
        self.put(SLASH_OUTBOX, &key(node, epoch), &slash.encode())
    }

    /// The slash proposal landed (or is moot): out of the outbox.
    pub fn clear_pending_slash(&self, node: &Pubkey, epoch: u64) -> Result<(), HistoryError> {
        self.remove(SLASH_OUTBOX, &key(node, epoch))
    }

    /// Every slash still to be proposed: (node, epoch, slash).
    pub fn pending_slashes(&self) -> Result<Vec<(Pubkey, u64, PendingSlash)>, HistoryError> {
        let txn = self.db.begin_read().map_err(db_error)?;
        let table = txn.open_table(SLASH_OUTBOX).map_err(db_error)?;
        let mut out = vec![];
        for entry in table.iter().map_err(db_error)? {
            let (k, v) = entry.map_err(db_error)?;
            let k = k.value();
            let node = Pubkey::try_from(&k[..32]).map_err(|_| db_error("bad outbox key"))?;
            let epoch = u64::from_be_bytes(k[32..40].try_into().map_err(|_| db_error("bad outbox key"))?);
            let slash = PendingSlash::decode(v.value()).ok_or(HistoryError::Corrupt { node, epoch })?;
            out.push((node, epoch, slash));
        }
        Ok(out)
    }

    /// Keeps an agreement this oracle gave in a review, so a restart does not forget it.
    pub fn save_agreement(&self, kind: ReviewKind, agreement: &Expectation) -> Result<(), HistoryError> {
        self.put(AGREEMENTS, &agreement_key(&agreement.node, agreement.epoch, kind), &encode_agreement(agreement))
    }

    pub fn agreement(&self, node: &Pubkey, epoch: u64, kind: ReviewKind) -> Result<Option<Expectation>, HistoryError> {
        let txn = self.db.begin_read().map_err(db_error)?;
        let table = txn.open_table(AGREEMENTS).map_err(db_error)?;
        let Some(value) = table.get(&agreement_key(node, epoch, kind)[..]).map_err(db_error)? else { return Ok(None) };
        decode_agreement(value.value()).map(Some).ok_or(HistoryError::Corrupt { node: *node, epoch })
    }

    /// Forgets agreements of epochs before `epoch`: a lead that has not come back for
    /// them by then has moved on to a new audit.
    pub fn prune_agreements(&self, epoch: u64) -> Result<(), HistoryError> {
        let txn = self.db.begin_write().map_err(db_error)?;
        {
            let mut table = txn.open_table(AGREEMENTS).map_err(db_error)?;
            table.retain(|k, _| k.len() < 40 || u64::from_be_bytes(k[32..40].try_into().expect("8 bytes")) >= epoch).map_err(db_error)?;
        }
        txn.commit().map_err(db_error)
    }

    pub fn get(&self, node: &Pubkey, epoch: u64) -> Result<Option<AuditRecord>, HistoryError> {
        let txn = self.db.begin_read().map_err(db_error)?;
        let table = txn.open_table(AUDITS).map_err(db_error)?;
        let Some(value) = table.get(&key(node, epoch)[..]).map_err(db_error)? else { return Ok(None) };
        AuditRecord::decode(value.value()).map(Some).ok_or(HistoryError::Corrupt { node: *node, epoch })
    }

    /// Records a finished audit, durably (committed before this returns). A node epoch
    /// holds one audit: a second is `AlreadyAudited`.
    pub fn record(&self, node: &Pubkey, epoch: u64, record: &AuditRecord) -> Result<(), HistoryError> {
        let txn = self.db.begin_write().map_err(db_error)?;
        {
            let mut table = txn.open_table(AUDITS).map_err(db_error)?;
            if table.get(&key(node, epoch)[..]).map_err(db_error)?.is_some() {
                return Err(HistoryError::AlreadyAudited { node: *node, epoch });
            }
            table.insert(&key(node, epoch)[..], &record.encode()[..]).map_err(db_error)?;
        }
        txn.commit().map_err(db_error)
    }

    /// Marks the node epoch attested by the transaction `signature`; refuses a second time.
    pub fn mark_attested(&self, node: &Pubkey, epoch: u64, signature: [u8; 64]) -> Result<(), HistoryError> {
        let txn = self.db.begin_write().map_err(db_error)?;
        {
            let mut table = txn.open_table(AUDITS).map_err(db_error)?;
            let current = table.get(&key(node, epoch)[..]).map_err(db_error)?.map(|v| AuditRecord::decode(v.value()));
            let mut record = match current {
                None => return Err(HistoryError::NoAudit { node: *node, epoch }),
                Some(None) => return Err(HistoryError::Corrupt { node: *node, epoch }),
                Some(Some(record)) => record,
            };
            if record.attestation.is_some() {
                return Err(HistoryError::AlreadyAttested { node: *node, epoch });
            }
            record.attestation = Some(signature);
            table.insert(&key(node, epoch)[..], &record.encode()[..]).map_err(db_error)?;
        }
        txn.commit().map_err(db_error)
    }

    /// Forgets an audit that was never attested (the quorum disagreed with it), so the
    /// next attempt audits afresh. An attested audit stays: `AlreadyAttested`.
    pub fn discard_unattested(&self, node: &Pubkey, epoch: u64) -> Result<(), HistoryError> {
        let txn = self.db.begin_write().map_err(db_error)?;
        {
            let mut table = txn.open_table(AUDITS).map_err(db_error)?;
            let attested = match table.get(&key(node, epoch)[..]).map_err(db_error)? {
                None => return Ok(()),
                Some(v) => AuditRecord::decode(v.value()).ok_or(HistoryError::Corrupt { node: *node, epoch })?.attestation.is_some(),
            };
            if attested {
                return Err(HistoryError::AlreadyAttested { node: *node, epoch });
            }
            table.remove(&key(node, epoch)[..]).map_err(db_error)?;
        }
        txn.commit().map_err(db_error)
    }

    /// Keeps the endpoint a worker enrolled with (the latest enrollment wins).
    pub fn save_worker(&self, node: &Pubkey, endpoint: &str) -> Result<(), HistoryError> {
        let txn = self.db.begin_write().map_err(db_error)?;
        txn.open_table(WORKERS).map_err(db_error)?.insert(node.as_ref(), endpoint.as_bytes()).map_err(db_error)?;
        txn.commit().map_err(db_error)
    }

    /// Every enrolled worker and its endpoint.
    pub fn workers(&self) -> Result<Vec<(Pubkey, String)>, HistoryError> {
        let txn = self.db.begin_read().map_err(db_error)?;
        let table = txn.open_table(WORKERS).map_err(db_error)?;
        let mut out = vec![];
        for entry in table.iter().map_err(db_error)? {
            let (k, v) = entry.map_err(db_error)?;
            let node = Pubkey::try_from(k.value()).map_err(|_| HistoryError::Db("corrupt worker key".into()))?;
            out.push((node, String::from_utf8_lossy(v.value()).into_owned()));
        }
        Ok(out)
    }

    /// Every audit of `node`, oldest epoch first.
    pub fn audits_of(&self, node: &Pubkey) -> Result<Vec<(u64, AuditRecord)>, HistoryError> {
        let txn = self.db.begin_read().map_err(db_error)?;
        let table = txn.open_table(AUDITS).map_err(db_error)?;
        let (from, to) = (key(node, 0), key(node, u64::MAX));
        let mut out = vec![];
        for entry in table.range(&from[..]..=&to[..]).map_err(db_error)? {
            let (k, v) = entry.map_err(db_error)?;
            let epoch = u64::from_be_bytes(k.value()[32..40].try_into().expect("8 bytes"));
            out.push((epoch, AuditRecord::decode(v.value()).ok_or(HistoryError::Corrupt { node: *node, epoch })?));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(verified: bool) -> AuditRecord {
        AuditRecord {
            verified,
            metrics: NodeMetrics { verified_centi_tflops: 6_512, rtt_us: 18_000, bandwidth_mbps: 9_400, packet_loss_bps: 3 },
            finished_at: 1_790_000_000,
            findings: if verified { String::new() } else { "the product is wrong".into() },
            attestation: None,
            slash: if verified { None } else { Some(SlashReason::FailedAudit) },
            gpu_ids: if verified { vec![[7; GPU_ID_LEN], [9; GPU_ID_LEN]] } else { vec![] },
        }
    }

    fn temp_path(name: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("io-oracle-{name}-{}.redb", std::process::id()))
    }

    #[test]
    fn a_restart_keeps_finished_audits_and_refuses_a_second_attestation() {
        let path = temp_path("restart");
        let _ = std::fs::remove_file(&path);
        let node = Pubkey::new_unique();
        {
            let history = AuditHistory::open(&path).unwrap();
            history.record(&node, 41, &record(false)).unwrap();
            history.record(&node, 42, &record(true)).unwrap();
            history.mark_attested(&node, 42, [9; 64]).unwrap();
        }
        // The oracle restarts.
        let history = AuditHistory::open(&path).unwrap();
        assert_eq!(history.get(&node, 41).unwrap(), Some(record(false)));
        assert_eq!(history.get(&node, 42).unwrap().unwrap().attestation, Some([9; 64]));
        assert!(matches!(history.mark_attested(&node, 42, [1; 64]), Err(HistoryError::AlreadyAttested { epoch: 42, .. })));
        assert!(matches!(history.record(&node, 42, &record(true)), Err(HistoryError::AlreadyAudited { epoch: 42, .. })));
        assert!(matches!(history.mark_attested(&node, 43, [1; 64]), Err(HistoryError::NoAudit { epoch: 43, .. })));
        let epochs: Vec<u64> = history.audits_of(&node).unwrap().into_iter().map(|(e, _)| e).collect();
        assert_eq!(epochs, vec![41, 42]);
        assert!(history.audits_of(&Pubkey::new_unique()).unwrap().is_empty());
        history.record(&node, 43, &record(false)).unwrap();
        history.discard_unattested(&node, 43).unwrap();
        assert_eq!(history.get(&node, 43).unwrap(), None);
        assert!(matches!(history.discard_unattested(&node, 42), Err(HistoryError::AlreadyAttested { epoch: 42, .. })));
        history.save_worker(&node, "http://127.0.0.1:1").unwrap();
        history.save_worker(&node, "http://127.0.0.1:2").unwrap();
        drop(history);
        let history = AuditHistory::open(&path).unwrap();
        assert_eq!(history.workers().unwrap(), vec![(node, "http://127.0.0.1:2".to_string())]);
        drop(history);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn records_round_trip() {
        let mut r = record(true);
        r.attestation = Some([7; 64]);
        assert_eq!(AuditRecord::decode(&r.encode()), Some(r.clone()));
        let r = record(false);
        assert_eq!(AuditRecord::decode(&r.encode()), Some(r));
        assert_eq!(AuditRecord::decode(&[1, 2, 3]), None);
    }
}
