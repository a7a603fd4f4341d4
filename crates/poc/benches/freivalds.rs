//! The oracle's check against recomputing the product, at n = 2048, and the CPU backend's
//! speed. Prints its figures (`cargo bench -p io-poc`); it asserts nothing about time.

use io_poc::{check_prepared, commitment, Backend, Challenge, CpuBackend, Prepared};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::time::{Duration, Instant};

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let out = f();
        best = best.min(start.elapsed());
        last = Some(out);
    }
    (best, last.expect("at least one run"))
}

fn main() {
    let n = std::env::var("IO_POC_N").ok().and_then(|v| v.parse().ok()).unwrap_or(2048);
    let challenge = Challenge::new([0x5E; 32], n).expect("size");
    let threads = std::thread::available_parallelism().map(|p| p.get()).unwrap_or(1);
    let (multiply, c) = best_of(3, || CpuBackend.multiply(&challenge).expect("cpu"));
    let gflops = challenge.flops() / multiply.as_secs_f64() / 1e9;
    let mut rng = StdRng::from_entropy();
    let (hash, _) = best_of(5, || commitment(&c));
    println!("n = {n}, {threads} threads");
    println!("recompute (CPU backend, {})   {:>8.2} ms   {gflops:.1} GFLOPS", CpuBackend.name(), multiply.as_secs_f64() * 1e3);
    println!("commitment (BLAKE3 of the result)   {:>8.2} ms", hash.as_secs_f64() * 1e3);
    // The oracle draws its secret vectors and computes A (B r) while the worker computes;
    // once the result is in, it reads C once.
    for k in [24, 48] {
        let (prepare, prepared) = best_of(3, || Prepared::new(challenge, k, &mut rng));
        let (check, report) = best_of(7, || check_prepared(&prepared, &c).expect("the exact product passes"));
        println!(
            "k = {k}: Freivalds check, {} round(s) x {} bits (a wrong product passes with p <= 2^-{})   {:>6.2} ms   {:.0}x cheaper than recomputing; {:.0}x with the commitment hash (prepared during the worker's compute in {:.2} ms)",
            report.rounds,
            report.bits_per_round,
            report.soundness_bits,
            check.as_secs_f64() * 1e3,
            multiply.as_secs_f64() / check.as_secs_f64(),
            multiply.as_secs_f64() / (check + hash).as_secs_f64(),
            prepare.as_secs_f64() * 1e3,
        );
    }
}
