//! Structural validation of H3 cell indexes (the region field of a node record).
//!
//! A node's region is an H3 cell so that decentralization can later be measured by
//! counting distinct cells at any resolution. We only check the bit layout of the
//! 64-bit index, which needs no tables: the reserved bit is clear, the mode is "cell",
//! the mode-dependent bits are zero, the base cell is one of the 122, every digit above
//! the resolution is a real direction (0..=6) and every digit below it is unused (7).

/// Number of H3 base cells.
const BASE_CELLS: u64 = 122;
/// Mode value of a cell index.
const MODE_CELL: u64 = 1;
/// Finest H3 resolution.
const MAX_RESOLUTION: u64 = 15;
/// The digit value H3 writes into unused resolution slots.
const UNUSED_DIGIT: u64 = 7;

/// Is `index` a structurally valid H3 cell index?
pub fn is_valid_h3_cell(index: u64) -> bool {
    let reserved = index >> 63;
    let mode = (index >> 59) & 0xf;
    let mode_dependent = (index >> 56) & 0x7;
    let resolution = (index >> 52) & 0xf;
    let base_cell = (index >> 45) & 0x7f;
    if reserved != 0 || mode != MODE_CELL || mode_dependent != 0 || base_cell >= BASE_CELLS {
        return false;
    }
    if resolution > MAX_RESOLUTION {
        return false;
    }
    (1..=MAX_RESOLUTION).all(|r| {
        let digit = digit_at(index, r);
        if r <= resolution {
            digit < UNUSED_DIGIT
        } else {
            digit == UNUSED_DIGIT
        }
    })
}

/// Builds a cell index from its parts (off-chain helper for tests and the demo).
/// Returns `None` when the parts do not form a valid cell.
pub fn h3_cell_from_parts(resolution: u8, base_cell: u8, digits: &[u8]) -> Option<u64> {
    if u64::from(resolution) > MAX_RESOLUTION || digits.len() != usize::from(resolution) {
        return None;
    }
    let mut index = (MODE_CELL << 59) | (u64::from(resolution) << 52) | (u64::from(base_cell) << 45);
    for r in 1..=MAX_RESOLUTION {
        let digit = if r <= u64::from(resolution) { u64::from(*digits.get(r.saturating_sub(1) as usize)?) } else { UNUSED_DIGIT };
        index |= digit.checked_shl(digit_shift(r))?;
    }
    is_valid_h3_cell(index).then_some(index)
}

/// Bit offset of the resolution-`r` digit (r in 1..=15: 3 bits each, resolution 1 highest).
fn digit_shift(r: u64) -> u32 {
    // At most 14 x 3 = 42.
    MAX_RESOLUTION.saturating_sub(r).saturating_mul(3) as u32
}

/// The resolution-`r` digit of `index`.
fn digit_at(index: u64, r: u64) -> u64 {
    index.checked_shr(digit_shift(r)).unwrap_or(0) & 0x7
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_cells_are_valid() {
        // Published example cells: a resolution-9 cell in San Francisco and a resolution-0 cell.
        assert!(is_valid_h3_cell(0x8928308280fffff));
        assert!(is_valid_h3_cell(0x8001fffffffffff));
    }

    #[test]
    fn malformed_indexes_are_rejected() {
        assert!(!is_valid_h3_cell(0));
        assert!(!is_valid_h3_cell(u64::MAX));
        // Edge mode (2) instead of cell mode.
        assert!(!is_valid_h3_cell(0x1128308280fffff));
        // The resolution-9 digit set to the 'unused' value 7.
        assert!(!is_valid_h3_cell(0x8928308280fffff | (7 << 18)));
        // Base cell 122 does not exist.
        assert!(!is_valid_h3_cell((1 << 59) | (122 << 45) | 0x1fff_ffff_ffff));
    }

    proptest! {
        #[test]
        fn built_cells_round_trip(res in 0u8..=15, base in 0u8..122, seed in any::<u64>()) {
            let digits: Vec<u8> = (0..res).map(|i| ((seed >> (i * 3)) % 7) as u8).collect();
            let cell = h3_cell_from_parts(res, base, &digits).unwrap();
            prop_assert!(is_valid_h3_cell(cell));
            prop_assert_eq!((cell >> 52) & 0xf, u64::from(res));
        }
    }
}
