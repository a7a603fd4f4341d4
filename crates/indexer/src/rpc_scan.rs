//! One scan of the suite's programs' signatures newer than the last scan, holding a few
//! pages of signatures at a time however long the history (a backfill from genesis of a
//! large network): it walks each program's pages back to the cursor keeping one signature
//! per page (where the page starts), then reads them again oldest first and merges the
//! programs by slot, as the indexer asks for more.
//!
//! A scan covers the slots up to the one finalized when it starts. The programs are listed
//! one after the other while the chain goes on; without that ceiling, a program listed
//! later could show a slot that one listed earlier did not have yet, and the earlier one's
//! transactions there would come after the cursor had passed them.

use crate::rpc_source::{position, slot_of};
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::Signature;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// One signature as `getSignaturesForAddress` lists it: slot, signature, whether it failed.
pub type Listed = (u64, Signature, bool);

/// What a scan reads from the cluster (finalized only).
pub trait History {
    /// Up to `limit` of `program`'s signatures older than `before` (the newest when None)
    /// and newer than `until` (all when None), newest first.
    fn page(&self, program: &Pubkey, before: Option<Signature>, until: Option<Signature>, limit: usize) -> anyhow::Result<Vec<Listed>>;
    /// The newest finalized slot.
    fn finalized_slot(&self) -> anyhow::Result<u64>;
    /// The index in block `slot` of each of `signatures`.
    fn block_order(&self, slot: u64, signatures: &[Signature]) -> anyhow::Result<Vec<(u64, Signature)>>;
}

/// A scan in progress. Each RPC call that succeeds moves it on, so a failed call is
/// repeated rather than the scan restarted (a backfill's walk back is many calls).
pub struct Scan {
    after: Option<u64>,
    /// Signatures of older slots are before the cursor (a first scan after a restart).
    from_slot: u64,
    /// The newest finalized slot when the scan started; slots above it are left to the next.
    ceiling: Option<u64>,
    page_size: usize,
    walks: Vec<Walk>,
    /// Where each program's next scan stops, once this one is done.
    newest: HashMap<Pubkey, Signature>,
}

/// One program's part of a scan.
struct Walk {
    program: Pubkey,
    until: Option<Signature>,
    /// The walk back: where its next page starts, whether it is over, whether the newest
    /// signature under the ceiling was seen.
    next_before: Option<Signature>,
    walked: bool,
    found_newest: bool,
    /// The newest page, kept from the walk back: read again, it would start at
    /// transactions newer than the scan.
    newest_page: Option<Vec<Listed>>,
    /// The `before` of each older page not read again yet, newest first (`pop` is the
    /// oldest): each the oldest signature of the page after it, so a page reads the same.
    pages: Vec<Signature>,
    /// Read again and not merged yet, oldest first.
    loaded: VecDeque<Listed>,
}

impl Walk {
    fn has_pages(&self) -> bool {
        !self.pages.is_empty() || self.newest_page.is_some()
    }

    /// Reads the program's pages back to the cursor, keeping where each starts.
    fn walk_back(
        &mut self,
        history: &impl History,
        scan: (u64, u64, usize),
        newest: &mut HashMap<Pubkey, Signature>,
    ) -> anyhow::Result<()> {
        let (from_slot, ceiling, page_size) = scan;
        while !self.walked {
            let page = history.page(&self.program, self.next_before, self.until, page_size)?;
            let Some(&(oldest_slot, oldest, _)) = page.last() else {
                self.walked = true;
                break;
            };
            let full = page.len() == page_size;
            // The next scan starts above the newest signature under the ceiling.
            if !self.found_newest {
                if let Some(&(_, signature, _)) = page.iter().find(|e| e.0 <= ceiling) {
                    newest.insert(self.program, signature);
                    self.found_newest = true;
                }
            }
            match self.next_before {
                None => self.newest_page = Some(page),
                Some(before) => self.pages.push(before),
            }
            if !full || oldest_slot < from_slot {
                self.walked = true;
            } else {
                self.next_before = Some(oldest);
            }
        }
        Ok(())
    }
}

impl Scan {
    /// A scan of `programs`' signatures newer than `newest` (each program's last scanned
    /// signature; a program without one goes back to the slot of `after`, or to the
    /// beginning), reading `page_size` signatures a call. It reads nothing yet.
    pub fn new(programs: &[Pubkey], newest: &HashMap<Pubkey, Signature>, after: Option<u64>, page_size: usize) -> Self {
        let walks = programs
            .iter()
            .map(|&program| Walk {
                program,
                until: newest.get(&program).copied(),
                next_before: None,
                walked: false,
                found_newest: false,
                newest_page: None,
                pages: vec![],
                loaded: VecDeque::new(),
            })
            .collect();
        Scan { after, from_slot: after.map_or(0, slot_of), ceiling: None, page_size, walks, newest: newest.clone() }
    }

    /// Moves the scan on and merges the next slots into `pending` (by position; failed
    /// transactions and those at or before the cursor left out); true once it is done. A
    /// program's newest loaded slot may go on in its next page, so slots are merged only
    /// below the lowest such slot of the programs with pages left. On an error nothing is
    /// merged or lost: calling again repeats what failed.
    pub fn advance(&mut self, history: &impl History, pending: &mut BTreeMap<u64, Signature>) -> anyhow::Result<bool> {
        let ceiling = match self.ceiling {
            Some(ceiling) => ceiling,
            None => *self.ceiling.insert(history.finalized_slot()?),
        };
        let range = self.from_slot..=ceiling;
        for walk in &mut self.walks {
            walk.walk_back(history, (self.from_slot, ceiling, self.page_size), &mut self.newest)?;
            // Load until something lies below this program's horizon, or no page is left.
            while walk.has_pages() {
                if matches!((walk.loaded.front(), walk.loaded.back()), (Some(a), Some(b)) if a.0 < b.0) {
                    break;
                }
                let page = match walk.pages.last() {
                    Some(&before) => {
                        let page = history.page(&walk.program, Some(before), walk.until, self.page_size)?;
                        walk.pages.pop();
                        page
                    }
                    None => walk.newest_page.take().unwrap_or_default(),
                };
                walk.loaded.extend(page.into_iter().rev().filter(|(slot, ..)| range.contains(slot)));
            }
        }
        let horizon = self.walks.iter().filter(|w| w.has_pages()).filter_map(|w| w.loaded.back().map(|e| e.0)).min();
        let below = |slot: u64| horizon.is_none_or(|h| slot < h);
        let mut by_slot: BTreeMap<u64, Vec<Signature>> = BTreeMap::new();
        for walk in &self.walks {
            for &(slot, signature, failed) in walk.loaded.iter().take_while(|e| below(e.0)) {
                // A failed transaction changed nothing; one of several programs is one transaction.
                let listed = by_slot.entry(slot).or_default();
                if !failed && !listed.contains(&signature) {
                    listed.push(signature);
                }
            }
        }
        // Ordered in full before anything is taken out, so a failed `getBlock` loses nothing.
        let mut found = vec![];
        for (slot, signatures) in by_slot.into_iter().filter(|(_, s)| !s.is_empty()) {
            // A slot holding one of the suite's transactions needs no getBlock (index 0).
            let ordered = if signatures.len() == 1 { vec![(0, signatures[0])] } else { history.block_order(slot, &signatures)? };
            found.extend(ordered.into_iter().map(|(index, signature)| (position(slot, index), signature)));
        }
        for walk in &mut self.walks {
            while walk.loaded.front().is_some_and(|e| below(e.0)) {
                walk.loaded.pop_front();
            }
        }
        pending.extend(found.into_iter().filter(|(seq, _)| self.after.is_none_or(|a| *seq > a)));
        Ok(self.walks.iter().all(|w| !w.has_pages() && w.loaded.is_empty()))
    }

    /// Where each program's next scan stops.
    pub fn newest(&self) -> &HashMap<Pubkey, Signature> {
        &self.newest
    }

    /// Signatures held now, loaded and in the kept newest pages: what the scan costs in
    /// memory, besides one signature per page of history to read again.
    pub fn held(&self) -> usize {
        self.walks.iter().map(|w| w.loaded.len() + w.newest_page.as_ref().map_or(0, Vec::len)).sum()
    }
}

#[cfg(test)]
mod tests;
