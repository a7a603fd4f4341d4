//! A recorded ledger: the transactions a source returned, one JSON object per line, in
//! order. Replaying one rebuilds a store without the cluster (moving a deployment from the
//! embedded store to PostgreSQL, checking a suspicious store against a fresh one), and a
//! [`FileSource`] follows a file that is still being appended to, as `tail -f` does.

use crate::source::{Source, SourceTx};
use anyhow::{anyhow, Context};
use base64::Engine as _;
use io_sdk::events::ProgramData;
use serde::{Deserialize, Serialize};
use solana_sdk::pubkey::Pubkey;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// One line of the file.
#[derive(Serialize, Deserialize)]
struct Line {
    seq: u64,
    signature: String,
    /// Unix seconds of its block (absent in files written before it was recorded: 0).
    #[serde(default)]
    block_time: i64,
    /// (top-level program, base64 data) per noop instruction.
    noop: Vec<(String, String)>,
    /// (emitting program, base64 data) per event.
    events: Vec<(String, String)>,
    #[serde(default)]
    logs_truncated: bool,
}

fn encode_pairs(pairs: &[(Pubkey, Vec<u8>)]) -> Vec<(String, String)> {
    pairs.iter().map(|(p, d)| (p.to_string(), base64::engine::general_purpose::STANDARD.encode(d))).collect()
}

fn decode_pairs(pairs: &[(String, String)]) -> anyhow::Result<Vec<(Pubkey, Vec<u8>)>> {
    pairs
        .iter()
        .map(|(p, d)| Ok((p.parse().map_err(|_| anyhow!("{p:?} is not a key"))?, base64::engine::general_purpose::STANDARD.decode(d)?)))
        .collect()
}

/// Appends `transactions` to the file at `path` (created if missing).
pub fn append(path: &Path, transactions: &[SourceTx]) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path).with_context(|| format!("{}", path.display()))?;
    let mut text = String::new();
    for tx in transactions {
        let line = Line {
            seq: tx.seq,
            signature: tx.signature.clone(),
            block_time: tx.block_time,
            noop: encode_pairs(&tx.noop_data),
            events: encode_pairs(&tx.program_data.events),
            logs_truncated: tx.program_data.truncated,
        };
        text.push_str(&serde_json::to_string(&line)?);
        text.push('\n');
    }
    file.write_all(text.as_bytes())?;
    Ok(file.sync_data()?)
}

/// Follows a recorded ledger: each call reads the lines appended since the last one.
pub struct FileSource {
    path: PathBuf,
    /// Bytes of whole lines read so far.
    offset: u64,
    /// Line number of the next line (for errors).
    line: u64,
    buffered: VecDeque<SourceTx>,
}

impl FileSource {
    pub fn new(path: &Path) -> Self {
        Self { path: path.to_path_buf(), offset: 0, line: 1, buffered: VecDeque::new() }
    }

    /// Reads every whole line appended since the last read (a line still being written,
    /// with no newline yet, waits for the next read).
    fn read_more(&mut self) -> anyhow::Result<()> {
        let mut file = std::fs::File::open(&self.path).with_context(|| format!("{}", self.path.display()))?;
        file.seek(SeekFrom::Start(self.offset))?;
        let mut reader = BufReader::new(file);
        let mut text = String::new();
        loop {
            text.clear();
            let read = reader.read_line(&mut text)?;
            if read == 0 || !text.ends_with('\n') {
                return Ok(());
            }
            let line: Line = serde_json::from_str(&text).with_context(|| format!("{} line {}", self.path.display(), self.line))?;
            self.buffered.push_back(SourceTx {
                seq: line.seq,
                signature: line.signature,
                block_time: line.block_time,
                noop_data: decode_pairs(&line.noop)?,
                program_data: ProgramData { events: decode_pairs(&line.events)?, truncated: line.logs_truncated, malformed: 0 },
            });
            self.offset += read as u64;
            self.line += 1;
        }
    }
}

impl Source for FileSource {
    fn after(&mut self, after: Option<u64>, limit: usize) -> anyhow::Result<Vec<SourceTx>> {
        let skip_done = |buffered: &mut VecDeque<SourceTx>| {
            while buffered.front().is_some_and(|tx| after.is_some_and(|a| tx.seq <= a)) {
                buffered.pop_front();
            }
        };
        skip_done(&mut self.buffered);
        if self.buffered.is_empty() {
            self.read_more()?;
            skip_done(&mut self.buffered);
        }
        let n = limit.min(self.buffered.len());
        Ok(self.buffered.iter().take(n).cloned().collect())
    }
}
