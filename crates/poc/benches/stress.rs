//! The version-2 stress test's figures (`cargo bench -p io-poc --bench stress`): the
//! worker's window against the GEMM alone, the oracle's whole cost against recomputing,
//! and the bytes one GPU's audit moves. Sizes from `IO_POC_STRESS_N` (comma-separated,
//! default "2048,8192"). Prints its figures; asserts nothing about time.

use io_poc::stress::{pick_blocks, scaling, CommittedProduct, StressSpec, Verifier, DEFAULT_OPENINGS};
use io_poc::{cpu_multiply, Backend, CpuBackend, Operand};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::time::{Duration, Instant};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let sizes: Vec<u32> =
        std::env::var("IO_POC_STRESS_N").unwrap_or_else(|_| "2048,8192".into()).split(',').filter_map(|s| s.trim().parse().ok()).collect();
    let threads = std::thread::available_parallelism().map(|p| p.get()).unwrap_or(1);
    println!("stress test v2 on {threads} threads, {} (figures: best of the runs)", CpuBackend.name());
    for n in sizes {
        bench(n, if n <= 2048 { 7 } else { 1 });
    }
}

fn bench(n: u32, runs: usize) {
    let spec = StressSpec::new([0x5E; 32], n, 1).expect("size");
    let challenge = spec.challenge(0);
    let secret = [0xA7; 32];
    let diagonal = scaling(&secret, 0, n);
    let flops = spec.flops_per_gpu();
    let size = n as usize;

    // The GEMM alone, on operands already scaled: the floor of any worker's window.
    let (a, b) = (challenge.matrix(Operand::A), challenge.matrix(Operand::B));
    let scaled: Vec<f32> = a.chunks(size).flat_map(|row| row.iter().zip(&diagonal).map(|(x, d)| x * d)).collect();
    // The worker's window: the scaling, the GEMM, the leaves hashed, the root. Measured
    // in turn with the GEMM alone, so both see the same machine.
    let mut product = None;
    let (mut gemm, mut window) = (Duration::MAX, Duration::MAX);
    for _ in 0..runs {
        let started = Instant::now();
        std::hint::black_box(cpu_multiply(&scaled, &b, size));
        gemm = gemm.min(started.elapsed());
        let loaded = CpuBackend.load(&challenge).expect("load");
        let started = Instant::now();
        let committed = CommittedProduct::run(loaded, &diagonal, size, |_, _| {}).expect("run");
        window = window.min(started.elapsed());
        product = Some(committed);
    }
    let product = product.expect("a run");
    // Where the window's time goes beside the GEMM: the scaling and the leaves' hashing.
    let scale = (0..runs)
        .map(|_| {
            let mut a = a.clone();
            let started = Instant::now();
            for row in a.chunks_mut(size) {
                row.iter_mut().zip(&diagonal).for_each(|(x, d)| *x *= d);
            }
            std::hint::black_box(&a);
            started.elapsed()
        })
        .min()
        .expect("a run");
    let layout = io_poc::stress::Layout::new(size);
    let hash = (0..runs)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(io_poc::stress::panel_leaves(&layout, 0, &scaled));
            started.elapsed()
        })
        .min()
        .expect("a run");

    // The oracle: its preparation (the secret vector and one pass over B), the draw, and
    // the check of the opened blocks against the root.
    let mut rng = StdRng::seed_from_u64(7);
    let started = Instant::now();
    let verifier = Verifier::new(challenge, &diagonal, &mut rng);
    let prepare = started.elapsed();
    let asked = pick_blocks(&mut rng, &verifier.layout(), DEFAULT_OPENINGS);
    let mut distinct = asked.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let openings: Vec<_> = distinct.iter().map(|b| product.open(*b).expect("in range")).collect();
    let started = Instant::now();
    let checked = verifier.check(&product.root(), &asked, &openings).expect("the honest product passes");
    let check = started.elapsed();
    let bytes: usize = 32 + 8 * distinct.len() + openings.iter().map(|o| 8 + 4 * o.entries.len() + 32 * o.proof.len()).sum::<usize>();

    println!("n = {n}:");
    println!("  GEMM alone                                   {:>9.1} ms   {:>7.1} GFLOPS", ms(gemm), flops / gemm.as_secs_f64() / 1e9);
    println!(
        "  worker's window (scale + GEMM + commitment)  {:>9.1} ms   {:>7.1} GFLOPS   {:+.1}% against the GEMM alone",
        ms(window),
        flops / window.as_secs_f64() / 1e9,
        (window.as_secs_f64() / gemm.as_secs_f64() - 1.0) * 100.0
    );
    println!("    of which the scaling {:.1} ms, hashing the leaves {:.1} ms", ms(scale), ms(hash));
    println!(
        "  oracle: prepare {:.1} ms + check of {checked} blocks {:.2} ms = {:.1} ms   {:.0}x cheaper than recomputing",
        ms(prepare),
        ms(check),
        ms(prepare + check),
        gemm.as_secs_f64() / (prepare + check).as_secs_f64()
    );
    println!(
        "  bytes for one GPU's audit: {bytes} ({:.2} MiB; root, {} indices, {} openings) against {:.0} MiB for the whole product",
        bytes as f64 / (1 << 20) as f64,
        distinct.len(),
        openings.len(),
        (4 * size * size) as f64 / (1 << 20) as f64
    );
}
