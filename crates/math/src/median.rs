//! The median a quorum's measurements are reduced to.

/// The median of `values`, which it sorts in place; `None` when empty. With an even count
/// it is one of the middle pair, never their mean: the lower when `low`, else the higher.
/// A caller picks the side that errs against the measured party (the lower speed, the
/// higher latency), so no single optimistic measurement decides a figure.
pub fn median<T: Ord + Copy>(values: &mut [T], low: bool) -> Option<T> {
    values.sort_unstable();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        // n >= 2 here, so n / 2 - 1 exists.
        _ => Some(values[if low { (n / 2).saturating_sub(1) } else { n / 2 }]),
    }
}

#[cfg(test)]
mod tests {
    use super::median;
    use proptest::prelude::*;

    #[test]
    fn odd_counts_take_the_middle_and_even_counts_the_chosen_side() {
        assert_eq!(median::<u32>(&mut [], true), None);
        assert_eq!(median(&mut [7u32], false), Some(7));
        assert_eq!(median(&mut [9u32, 1, 5], true), Some(5));
        assert_eq!(median(&mut [9u32, 1, 5, 3], true), Some(3));
        assert_eq!(median(&mut [9u32, 1, 5, 3], false), Some(5));
    }

    proptest! {
        /// At least half of the values are <= the low median and at least half >= the
        /// high median, and the median is one of the values.
        #[test]
        fn the_median_splits_the_values_in_half(values in proptest::collection::vec(0u32..1_000, 1..9), low: bool) {
            let mut sorted = values.clone();
            let m = median(&mut sorted, low).unwrap();
            prop_assert!(values.contains(&m));
            let below = values.iter().filter(|v| **v <= m).count();
            let above = values.iter().filter(|v| **v >= m).count();
            prop_assert!(2 * below >= values.len() && 2 * above >= values.len());
        }
    }
}
