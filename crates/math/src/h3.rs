//! Validation of H3 cell indexes (the region field of a node record), on-chain.
//!
//! A node's region is an H3 cell so that decentralization can later be measured by
//! counting distinct cells at any resolution. The check needs no tables beyond the twelve
//! pentagon base cells, so it runs in a program: the reserved bit is clear, the mode is
//! "cell", the mode-dependent bits are zero, the base cell is one of the 122, every digit
//! above the resolution is a real direction (0..=6), every digit below it is unused (7),
//! and under a pentagon base cell the first non-zero digit is not 1: a pentagon has five
//! children, not six, and the K-axis direction is the one it lacks. It agrees with the
//! `h3o` crate on every index (a differential property test, `h3o` as a dev-dependency).

/// Number of H3 base cells.
const BASE_CELLS: u64 = 122;
/// Mode value of a cell index.
const MODE_CELL: u64 = 1;
/// Finest H3 resolution.
const MAX_RESOLUTION: u64 = 15;
/// The digit value H3 writes into unused resolution slots.
const UNUSED_DIGIT: u64 = 7;
/// The base cells that are pentagons.
pub const PENTAGON_BASE_CELLS: [u64; 12] = [4, 14, 24, 38, 49, 58, 63, 72, 83, 97, 107, 117];
/// The direction a pentagon lacks (H3's K axis).
const K_AXES_DIGIT: u64 = 1;

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
    let digits_ok = (1..=MAX_RESOLUTION).all(|r| {
        let digit = digit_at(index, r);
        if r <= resolution {
            digit < UNUSED_DIGIT
        } else {
            digit == UNUSED_DIGIT
        }
    });
    digits_ok && !(PENTAGON_BASE_CELLS.contains(&base_cell) && leading_non_zero_digit(index, resolution) == Some(K_AXES_DIGIT))
}

/// The first digit (from resolution 1 down to `resolution`) that is not 0.
fn leading_non_zero_digit(index: u64, resolution: u64) -> Option<u64> {
    (1..=resolution).map(|r| digit_at(index, r)).find(|&d| d != 0)
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
    fn a_pentagon_has_no_k_axis_child() {
        // Base cell 4 is a pentagon: its resolution-1 children are digits 0 and 2..=6.
        assert_eq!(h3_cell_from_parts(1, 4, &[1]), None);
        assert!(h3_cell_from_parts(1, 4, &[2]).is_some());
        // The rule is on the first non-zero digit: 0 then 1 is refused, 2 then 1 is fine.
        assert_eq!(h3_cell_from_parts(2, 4, &[0, 1]), None);
        assert!(h3_cell_from_parts(2, 4, &[2, 1]).is_some());
        // Base cell 5 is a hexagon: all seven children.
        assert!(h3_cell_from_parts(1, 5, &[1]).is_some());
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

    /// An index near the cell layout: the fields drawn so that every check is sometimes
    /// the one that decides (a few bits flipped, an eighth of the time, anywhere).
    fn near_cell() -> impl Strategy<Value = u64> {
        let pentagon = prop::sample::select(PENTAGON_BASE_CELLS.to_vec());
        let base = prop_oneof![4 => 0u64..122, 4 => pentagon, 1 => 122u64..128];
        let digit = prop_oneof![6 => 0u64..2, 8 => 0u64..7, 1 => Just(7u64)];
        (0u64..16, base, prop::collection::vec(digit, 15), any::<u64>(), 0u8..8).prop_map(|(res, base, digits, noise, flip)| {
            let mut index = (MODE_CELL << 59) | (res << 52) | (base << 45);
            for r in 1..=MAX_RESOLUTION {
                let d = if r <= res { digits[(r - 1) as usize] } else { UNUSED_DIGIT };
                index |= d << digit_shift(r);
            }
            if flip == 0 {
                index ^= noise & noise.rotate_left(17) & noise.rotate_left(41);
            }
            index
        })
    }

    #[test]
    fn the_check_agrees_with_h3o_on_every_index_tried() {
        use proptest::test_runner::{Config, TestRunner};
        let mut runner = TestRunner::new(Config { cases: 20_000, failure_persistence: None, ..Config::default() });
        let reached = std::cell::Cell::new([0u32; 4]); // valid, invalid, pentagon k-axis refused, pentagon valid
        runner
            .run(&near_cell(), |index| {
                let ours = is_valid_h3_cell(index);
                prop_assert_eq!(ours, h3o::CellIndex::try_from(index).is_ok(), "index {:#x}", index);
                let base = (index >> 45) & 0x7f;
                let res = (index >> 52) & 0xf;
                let pentagon_k = PENTAGON_BASE_CELLS.contains(&base) && leading_non_zero_digit(index, res) == Some(K_AXES_DIGIT);
                let mut r = reached.get();
                r[usize::from(!ours)] += 1;
                if PENTAGON_BASE_CELLS.contains(&base) {
                    r[if pentagon_k { 2 } else { 3 }] += u32::from(pentagon_k || ours);
                }
                reached.set(r);
                Ok(())
            })
            .unwrap();
        let [valid, invalid, pentagon_k, pentagon_valid] = reached.get();
        // Each path was decided many times: valid cells, invalid ones, pentagon cells and
        // the pentagon's missing direction.
        assert!(valid >= 4_000 && invalid >= 4_000 && pentagon_k >= 500 && pentagon_valid >= 500, "{:?}", reached.get());
    }

    #[test]
    fn every_resolution_1_child_agrees_with_h3o() {
        for base in 0..122u8 {
            for digit in 0..7u8 {
                let index =
                    (MODE_CELL << 59) | (1 << 52) | (u64::from(base) << 45) | (u64::from(digit) << digit_shift(1)) | ((1 << 42) - 1);
                assert_eq!(is_valid_h3_cell(index), h3o::CellIndex::try_from(index).is_ok(), "base {base} digit {digit}");
            }
        }
    }

    proptest! {
        #[test]
        fn built_cells_round_trip(res in 0u8..=15, base in 0u8..122, seed in any::<u64>()) {
            let mut digits: Vec<u8> = (0..res).map(|i| ((seed >> (i * 3)) % 7) as u8).collect();
            // A pentagon's missing direction, where it would lead: turn it into 2.
            if PENTAGON_BASE_CELLS.contains(&u64::from(base)) {
                if let Some(first) = digits.iter_mut().find(|d| **d != 0) {
                    if *first == 1 {
                        *first = 2;
                    }
                }
            }
            let cell = h3_cell_from_parts(res, base, &digits).unwrap();
            prop_assert!(is_valid_h3_cell(cell));
            prop_assert_eq!((cell >> 52) & 0xf, u64::from(res));
        }
    }
}
