use super::*;
use crate::backend::{Backend, CpuBackend};
use crate::challenge::Operand;
use rand::rngs::StdRng;
use rand::SeedableRng;

/// GPU g's product for `spec` and `secret`, computed by the CPU backend.
fn product(spec: &StressSpec, secret: &[u8; 32], gpu: u32) -> Vec<f32> {
    let challenge = spec.challenge(gpu);
    crate::run_to_vec(CpuBackend.load(&challenge).unwrap(), &scaling(secret, gpu, spec.n)).unwrap()
}

fn open_all(tree: &BlockTree, c: &[f32], asked: &[u64]) -> Vec<Opening> {
    let mut distinct = asked.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    distinct.iter().map(|b| tree.open(c, *b).unwrap()).collect()
}

#[test]
fn the_diagonal_is_secret_dependent_per_gpu_and_within_one_to_eight() {
    let d = scaling(&[1; 32], 0, 1000);
    assert_eq!(d.len(), 1000);
    assert_eq!(d, scaling(&[1; 32], 0, 1000));
    assert_ne!(d, scaling(&[2; 32], 0, 1000));
    assert_ne!(d, scaling(&[1; 32], 1, 1000));
    for v in 1..=8 {
        assert!(d.contains(&(v as f32)), "{v} never drawn");
    }
    assert!(d.iter().all(|x| (1.0..=8.0).contains(x) && x.fract() == 0.0));
    // A prefix of a longer diagonal is the shorter one: entries depend on their index only.
    assert_eq!(scaling(&[1; 32], 0, 50), d[..50]);
}

#[test]
fn every_gpu_gets_its_own_operands_and_bad_specs_are_refused() {
    let spec = StressSpec::new([9; 32], 64, 3).unwrap();
    let a: Vec<Vec<f32>> = (0..3).map(|g| spec.challenge(g).matrix(Operand::A)).collect();
    assert!(a[0] != a[1] && a[1] != a[2] && a[0] != a[2]);
    assert_ne!(StressSpec::new([8; 32], 64, 3).unwrap().challenge(0).matrix(Operand::A), a[0]);
    assert_eq!(StressSpec::new([0; 32], 0, 1), Err(crate::ChallengeError::BadSize(0)));
    assert_eq!(StressSpec::new([0; 32], 64, 0), Err(crate::ChallengeError::BadGpuCount(0)));
    assert_eq!(StressSpec::new([0; 32], 64, MAX_GPUS + 1), Err(crate::ChallengeError::BadGpuCount(MAX_GPUS + 1)));
}

#[test]
fn the_loaded_product_is_a_d_b_exactly() {
    let spec = StressSpec::new([3; 32], 48, 1).unwrap();
    let secret = [4; 32];
    let c = product(&spec, &secret, 0);
    let challenge = spec.challenge(0);
    let (a, b, d) = (challenge.matrix(Operand::A), challenge.matrix(Operand::B), scaling(&secret, 0, 48));
    for i in [0, 13, 47] {
        for j in [0, 30, 47] {
            let exact: i64 = (0..48).map(|k| a[i * 48 + k] as i64 * d[k] as i64 * b[k * 48 + j] as i64).sum();
            assert_eq!(c[i * 48 + j], exact as f32, "({i}, {j})");
        }
    }
    // And not the unscaled product.
    assert_ne!(c, CpuBackend.multiply(&challenge).unwrap());
}

#[test]
fn leaves_hashed_panel_by_panel_build_the_same_tree() {
    let spec = StressSpec::new([8; 32], 1100, 1).unwrap();
    let c = product(&spec, &[9; 32], 0);
    let layout = Layout::new(1100);
    let rows = crate::panel_rows(1100);
    assert_eq!(rows, 138);
    let leaves: Vec<[u8; 32]> = c.chunks(rows * 1100).enumerate().flat_map(|(p, panel)| panel_leaves(&layout, p * rows, panel)).collect();
    assert_eq!(BlockTree::from_leaves(layout, leaves).root(), BlockTree::build(&c, 1100).root());
    // And the worker's committed product opens every block the same way.
    let committed =
        CommittedProduct::run(CpuBackend.load(&spec.challenge(0)).unwrap(), &scaling(&[9; 32], 0, 1100), 1100, |_, _| {}).unwrap();
    let tree = BlockTree::build(&c, 1100);
    assert_eq!(committed.root(), tree.root());
    for block in [0, 1, 777, 2199] {
        assert_eq!(committed.open(block), tree.open(&c, block));
    }
    assert_eq!(committed.open(2200), None);
}

#[test]
fn layout_and_exactness_bounds_at_the_reference_sizes() {
    let big = Layout::new(8192);
    assert_eq!((big.blocks_per_row, big.blocks, big.depth), (8, 65_536, 16));
    assert_eq!(big.block(9), (1, 1024..2048));
    let odd = Layout::new(1500);
    assert_eq!((odd.blocks_per_row, odd.blocks, odd.depth), (2, 3000, 12));
    assert_eq!(odd.block(1), (0, 1024..1500));
    // 512 n width 2^b <= 2^53 with b as large as allowed.
    for n in [1u32, 100, 1024, 1500, 2048, 8192] {
        let b = bits_per_block(n);
        let width = BLOCK_ENTRIES.min(n as usize) as f64;
        assert!(512.0 * f64::from(n) * width * 2f64.powi(b as i32) <= 2f64.powi(53), "n = {n}");
        assert!(b >= 20, "n = {n}: {b} bits");
    }
    assert_eq!(bits_per_block(8192), 21);
    // The audit's transfer per GPU at n = 8192 with the default openings: under 1 MiB.
    let bytes = wire_bytes(8192, DEFAULT_OPENINGS);
    assert!(bytes < 1 << 20, "{bytes} bytes");
    assert_eq!(bytes, 32 + 192 * (8 + 8 + 4096 + 16 * 32));
}

#[test]
fn every_block_opens_against_the_root_and_a_changed_one_does_not() {
    let c: Vec<f32> = (0..1500 * 1500).map(|i| (i % 97) as f32).collect();
    let tree = BlockTree::build(&c, 1500);
    let layout = tree.layout();
    let root = tree.root();
    for block in (0..layout.blocks as u64).step_by(7).chain([layout.blocks as u64 - 1]) {
        let opening = tree.open(&c, block).unwrap();
        assert_eq!(verify_opening(&root, &layout, &opening), Ok(()), "block {block}");
    }
    let mut opening = tree.open(&c, 5).unwrap();
    opening.entries[3] += 1.0;
    assert_eq!(verify_opening(&root, &layout, &opening), Err(StressFailure::BadProof { block: 5 }));
    // Another block's entries and proof under this index.
    let mut moved = tree.open(&c, 6).unwrap();
    moved.block = 4;
    assert_eq!(verify_opening(&root, &layout, &moved), Err(StressFailure::BadProof { block: 4 }));
    let mut short = tree.open(&c, 8).unwrap();
    short.proof.pop();
    assert_eq!(verify_opening(&root, &layout, &short), Err(StressFailure::BadProof { block: 8 }));
    assert_eq!(tree.open(&c, layout.blocks as u64), None);
    let outside = Opening { block: layout.blocks as u64, entries: vec![0.0; 1024], proof: vec![[0; 32]; 12] };
    assert_eq!(verify_opening(&root, &layout, &outside), Err(StressFailure::NoSuchBlock { block: 3000 }));
    let narrow = Opening { block: 1, entries: vec![0.0; 1024], proof: tree.open(&c, 1).unwrap().proof };
    assert_eq!(verify_opening(&root, &layout, &narrow), Err(StressFailure::BlockSize { block: 1, got: 1024, expected: 476 }));
}

#[test]
fn the_honest_answer_passes_and_each_way_of_cheating_is_named() {
    let spec = StressSpec::new([5; 32], 1100, 2).unwrap();
    let secret = [6; 32];
    let c = product(&spec, &secret, 0);
    let tree = BlockTree::build(&c, 1100);
    let mut rng = StdRng::seed_from_u64(1);
    let verifier = Verifier::new(spec.challenge(0), &scaling(&secret, 0, 1100), &mut rng);
    let asked = pick_blocks(&mut rng, &verifier.layout(), 64);
    let openings = open_all(&tree, &c, &asked);
    assert_eq!(verifier.check(&tree.root(), &asked, &openings), Ok(openings.len()));

    // One wrong entry in an opened block, committed to honestly (a wrong product).
    let block = asked[0];
    let (row, cols) = verifier.layout().block(block as usize);
    let mut wrong = c.clone();
    wrong[row * 1100 + cols.start + 1] += 1.0;
    let wrong_tree = BlockTree::build(&wrong, 1100);
    assert_eq!(
        verifier.check(&wrong_tree.root(), &asked, &open_all(&wrong_tree, &wrong, &asked)),
        Err(StressFailure::WrongBlock { block, row })
    );
    // The unscaled product A B (computed ahead of "go"), the other GPU's product, and the
    // right product under the wrong secret.
    for (what, other) in [
        ("A B", CpuBackend.multiply(&spec.challenge(0)).unwrap()),
        ("GPU 1's product", product(&spec, &secret, 1)),
        ("another secret", product(&spec, &[7; 32], 0)),
    ] {
        let other_tree = BlockTree::build(&other, 1100);
        let err = verifier.check(&other_tree.root(), &asked, &open_all(&other_tree, &other, &asked)).unwrap_err();
        assert!(matches!(err, StressFailure::WrongBlock { .. }), "{what}: {err:?}");
    }
    // Openings against another root, a missing one, an unasked one, a non-integer.
    let other_root = BlockTree::build(&product(&spec, &secret, 1), 1100).root();
    assert!(matches!(verifier.check(&other_root, &asked, &openings), Err(StressFailure::BadProof { .. })));
    let mut missing = openings.clone();
    let gone = missing.remove(0).block;
    assert_eq!(verifier.check(&tree.root(), &asked, &missing), Err(StressFailure::MissingOpening { block: gone }));
    let unasked = (0..verifier.layout().blocks as u64).find(|b| !asked.contains(b)).unwrap();
    let mut extra = openings.clone();
    extra.push(tree.open(&c, unasked).unwrap());
    assert_eq!(verifier.check(&tree.root(), &asked, &extra), Err(StressFailure::UnaskedOpening { block: unasked }));
    let mut halves = c.clone();
    halves[row * 1100 + cols.start] += 0.5;
    let halves_tree = BlockTree::build(&halves, 1100);
    assert!(matches!(
        verifier.check(&halves_tree.root(), &asked, &open_all(&halves_tree, &halves, &asked)),
        Err(StressFailure::NotAnExactProduct { col: 0, .. })
    ));
}

/// A worker that skips 10% of the rows (leaves them zero, committing honestly to what it
/// has) is caught exactly when a draw lands on a skipped row: probability 1 - 0.9^k.
#[test]
fn skipping_ten_percent_of_the_rows_is_caught_at_the_stated_rate() {
    let n = 200u32; // one block per row: 200 blocks, 20 of them skipped
    let spec = StressSpec::new([11; 32], n, 1).unwrap();
    let secret = [12; 32];
    let mut c = product(&spec, &secret, 0);
    let skipped: Vec<usize> = (0..n as usize).filter(|i| i % 10 == 3).collect();
    for i in &skipped {
        c[i * n as usize..(i + 1) * n as usize].fill(0.0);
    }
    let tree = BlockTree::build(&c, n as usize);
    let diagonal = scaling(&secret, 0, n);
    let run = |k: u32, trials: u64| {
        let (mut caught, mut wrong_block) = (0, 0);
        for seed in 0..trials {
            let mut rng = StdRng::seed_from_u64(1_000 + seed);
            let verifier = Verifier::new(spec.challenge(0), &diagonal, &mut rng);
            let asked = pick_blocks(&mut rng, &verifier.layout(), k);
            let hit = asked.iter().any(|b| skipped.contains(&(*b as usize)));
            match verifier.check(&tree.root(), &asked, &open_all(&tree, &c, &asked)) {
                Ok(_) => assert!(!hit, "a skipped row was opened and passed"),
                Err(StressFailure::WrongBlock { row, .. }) => {
                    assert!(hit && skipped.contains(&row));
                    caught += 1;
                    wrong_block += 1;
                }
                Err(other) => panic!("{other:?}"),
            }
        }
        (caught, wrong_block)
    };
    // k = 8: caught with probability 1 - 0.9^8 = 0.5695; over 400 runs 227.8 expected,
    // standard deviation 9.9: within 4 of them.
    let (caught, reached) = run(8, 400);
    assert!((188..=268).contains(&caught), "caught {caught} of 400");
    assert_eq!(reached, caught, "every catch came from the block check itself");
    // The default k = 192: escape probability 0.9^192 < 2e-9; every run catches it.
    let (caught, _) = run(DEFAULT_OPENINGS, 60);
    assert_eq!(caught, 60);
}
