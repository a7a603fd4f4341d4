//! The GPU check, run by a person on a GPU machine (CI has none):
//!
//!     cargo run --release -p io-worker --example gpu_check
//!
//! Prints the NVML inventory, opens the CUDA backend on GPU 0, multiplies the stress
//! test's challenge at n = 4096 and 8192 (an untimed warm-up of each size, then three
//! timed products), checks every product with Freivalds' test (a wrong product passes with
//! probability <= 2^-24), and prints the measured TFLOPS beside the catalogue's expected
//! TFLOPS for the model (migrations/genesis.toml, matched to the device name as the agent
//! matches it). Last, the same at n = 8192 with TF32 tensor cores: the challenge is exact
//! in TF32 too, and this shows it on the hardware.
//!
//! Two speeds per size for the version-1 product: the SGEMM alone, and everything a
//! version-1 worker does before its commitment leaves (generate A and B from the seed,
//! upload, SGEMM, download, BLAKE3 commitment). Then the version-2 stress test, which is
//! what the oracle times now: operands loaded before the clock, then the window (the
//! secret diagonal's scaling by cublasSdgmm, the panel SGEMMs, each panel downloaded and
//! hashed into the Merkle root while the next one copies), minus the network; each
//! product's 192 sampled blocks checked as the oracle checks them.
//!
//! `GPU_CHECK_N=1024,2048` runs other sizes (a GPU with little memory). Without CUDA it says why, runs the CPU backend at n = 1024 and exits 0; it exits 2 if
//! NVML sees an NVIDIA GPU that the CUDA backend cannot open, and 1 if a product fails its
//! check or the GPU fails.

use io_poc::stress::{pick_blocks, scaling, CommittedProduct, StressSpec, Verifier, DEFAULT_OPENINGS};
use io_poc::{check_prepared, commitment, Backend, Challenge, CpuBackend, Prepared};
use io_worker::cuda::CudaBackend;
use io_worker::{catalogue_model, inventory, InventorySource};
use rand::SeedableRng;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Soundness of each check: a wrong product passes with probability <= 2^-24.
const SOUNDNESS_BITS: u32 = 24;
/// The oracle's default: a node must reach half its model's expected TFLOPS.
const MIN_SHARE: f64 = 0.5;
/// Timed products per size, after the warm-up.
const TIMED: usize = 3;
const GENESIS: &str = include_str!("../../../migrations/genesis.toml");

/// (model, expected FP32 TFLOPS) of the genesis GPU catalogue.
fn catalogue() -> Vec<(String, f64)> {
    let genesis: toml::Table = GENESIS.parse().expect("migrations/genesis.toml parses");
    genesis
        .get("gpu_models")
        .and_then(|m| m.as_array())
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let name = m.get("name")?.as_str()?.to_string();
            let tflops = m.get("expected_tflops")?.as_str()?.parse().ok()?;
            Some((name, tflops))
        })
        .collect()
}

/// The catalogue model and its expected TFLOPS for a vendor name.
fn expected_tflops(device: &str) -> Option<(String, f64)> {
    let catalogue = catalogue();
    let names: Vec<&str> = catalogue.iter().map(|(n, _)| n.as_str()).collect();
    let model = catalogue_model(device, &names)?;
    catalogue.iter().find(|(n, _)| n == model).cloned()
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn tflops(flops: f64, d: Duration) -> f64 {
    flops / d.as_secs_f64().max(1e-9) / 1e12
}

fn seed(n: u32, round: u8) -> [u8; 32] {
    let mut seed = [0x5Au8; 32];
    seed[..4].copy_from_slice(&n.to_le_bytes());
    seed[4] = round;
    seed
}

/// Freivalds' check of `c`, as the oracle does it: whether it passed, and a line saying so.
fn check(challenge: Challenge, c: &[f32]) -> (bool, String) {
    let clock = Instant::now();
    let prepared = Prepared::new(challenge, SOUNDNESS_BITS, &mut rand::rngs::StdRng::from_entropy());
    match check_prepared(&prepared, c) {
        Ok(report) => (
            true,
            format!(
                "Freivalds PASS ({} x {} bits, false pass <= 2^-{}, {})",
                report.rounds,
                report.bits_per_round,
                report.soundness_bits,
                ms(clock.elapsed())
            ),
        ),
        Err(failure) => (false, format!("Freivalds FAIL: {failure}")),
    }
}

fn speed_line(label: &str, measured: f64, expected: Option<&(String, f64)>) -> String {
    match expected {
        Some((model, e)) => format!(
            "  {label}: {measured:.2} TFLOPS = {:.0}% of the catalogue's {e:.2} for {model} ({} the oracle's {:.0}% bar)",
            100.0 * measured / e,
            if measured >= MIN_SHARE * e { "meets" } else { "BELOW" },
            100.0 * MIN_SHARE
        ),
        None => format!("  {label}: {measured:.2} TFLOPS (no catalogue model matches this device)"),
    }
}

fn print_inventory() -> InventorySource {
    let inv = inventory();
    println!("== inventory ==");
    println!("source: {:?}", inv.source);
    if let Some(e) = &inv.nvml_error {
        println!("NVML not used: {e}");
    }
    if inv.source == InventorySource::Nvml {
        println!("driver {}, CUDA {}.{}", inv.driver_version, inv.cuda.0, inv.cuda.1);
    }
    for (i, a) in inv.accelerators.iter().enumerate() {
        let model = expected_tflops(&a.name).map_or("no catalogue model".into(), |(m, t)| format!("catalogue {m}, {t:.2} TFLOPS"));
        println!("#{i}: {} ({} MiB, {}) [{model}]", a.name, a.memory_bytes >> 20, a.uuid);
    }
    inv.source
}

/// The sizes to run: 4096 and 8192, or `GPU_CHECK_N` (e.g. "1024,2048" for a small GPU).
fn sizes() -> Vec<u32> {
    let parsed: Vec<u32> = std::env::var("GPU_CHECK_N")
        .unwrap_or_default()
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .filter(|n| (1..=io_poc::MAX_N).contains(n))
        .collect();
    if parsed.is_empty() {
        vec![4096, 8192]
    } else {
        parsed
    }
}

fn run_cuda(gpu: &CudaBackend) -> bool {
    let (library, (major, minor, patch)) = gpu.cublas();
    let (cuda_major, cuda_minor) = gpu.driver_cuda();
    println!("backend: {}", gpu.name());
    println!("driver CUDA {cuda_major}.{cuda_minor}; cuBLAS {major}.{minor}.{patch} from {library}; {} MiB", gpu.memory_bytes() >> 20);
    let expected = expected_tflops(gpu.device());
    let mut ok = true;
    if let Some((model, tflops)) = &expected {
        let n = io_poc::challenge_size((tflops * 100.0).round() as u32, Duration::from_millis(200));
        println!("catalogue: {model}, {tflops:.2} TFLOPS expected; the oracle sizes its challenge for it at n = {n}");
    }
    // One untimed warm-up (cuBLAS picks and loads its kernels for the shape), then
    // `TIMED` products of fresh seeds, each checked; the median run (by total) is rated.
    let run = |n: u32, label: &str| -> bool {
        let flops = 2.0 * f64::from(n).powi(3);
        println!("n = {n}{label} ({:.2} TFLOP a product), {TIMED} timed products after a warm-up:", flops / 1e12);
        let warm_up = Challenge::new(seed(n, 0), n).expect("size");
        if let Err(e) = gpu.multiply_timed(&warm_up) {
            println!("  warm-up FAILED: {e}");
            return false;
        }
        let mut runs = Vec::with_capacity(TIMED);
        let mut all_exact = true;
        for round in 1..=TIMED as u8 {
            let challenge = Challenge::new(seed(n, round), n).expect("size");
            let (c, t) = match gpu.multiply_timed(&challenge) {
                Ok(done) => done,
                Err(e) => {
                    println!("  #{round} FAILED: {e}");
                    return false;
                }
            };
            let clock = Instant::now();
            let _ = commitment(&c);
            let commit = clock.elapsed();
            let (exact, verdict) = check(challenge, &c);
            all_exact &= exact;
            println!(
                "  #{round} generate {}, upload {}, sgemm {}, download {}, commitment {}: {}; {verdict}",
                ms(t.generate),
                ms(t.upload),
                ms(t.sgemm),
                ms(t.download),
                ms(commit),
                ms(t.total() + commit)
            );
            runs.push((t, commit));
        }
        runs.sort_by_key(|(t, commit)| t.total() + *commit);
        let (t, commit) = runs[runs.len() / 2];
        println!("{}", speed_line("median, sgemm alone      ", tflops(flops, t.sgemm), expected.as_ref()));
        println!("{}", speed_line("median, worker end to end", tflops(flops, t.total() + commit), expected.as_ref()));
        all_exact
    };
    let sizes = sizes();
    println!("== CUDA, FP32 SGEMM ==");
    for &n in &sizes {
        ok &= run(n, "");
    }
    println!("== CUDA, version-2 stress test window (what the oracle times) ==");
    for &n in &sizes {
        ok &= run_stress(gpu, n, expected.as_ref());
    }
    println!("== CUDA, TF32 tensor cores (extra: exactness on the hardware) ==");
    match gpu.set_tf32(true) {
        Ok(()) => ok &= run(*sizes.last().expect("sizes"), ", TF32"),
        Err(e) => {
            println!("TF32 could not be turned on: {e}");
            ok = false;
        }
    }
    ok
}

/// The version-2 window on `device` at size n: a warm-up, then `TIMED` windows of fresh
/// seeds and secrets, each product's sampled blocks checked; the median window rated.
fn run_stress(device: &dyn Backend, n: u32, expected: Option<&(String, f64)>) -> bool {
    let size = n as usize;
    let mut windows = vec![];
    for round in 0..=TIMED as u8 {
        let spec = StressSpec::new(seed(n, 100 + round), n, 1).expect("size");
        let secret = seed(n, 200 + round);
        let diagonal = scaling(&secret, 0, n);
        let loaded = match device.load(&spec.challenge(0)) {
            Ok(loaded) => loaded,
            Err(e) => {
                println!("  load FAILED: {e}");
                return false;
            }
        };
        let clock = Instant::now();
        let product = match CommittedProduct::run(loaded, &diagonal, size, |_, _| {}) {
            Ok(product) => product,
            Err(e) => {
                println!("  run FAILED: {e}");
                return false;
            }
        };
        let window = clock.elapsed();
        let mut rng = rand::rngs::StdRng::from_entropy();
        let clock = Instant::now();
        let verifier = Verifier::new(spec.challenge(0), &diagonal, &mut rng);
        let asked = pick_blocks(&mut rng, &verifier.layout(), DEFAULT_OPENINGS);
        let openings: Vec<_> = asked.iter().filter_map(|b| product.open(*b)).collect();
        let verdict = verifier.check(&product.root(), &asked, &openings);
        let check = clock.elapsed();
        if round == 0 {
            println!("  warm-up window {}", ms(window));
        } else {
            println!(
                "  #{round} window {}; oracle's check of {DEFAULT_OPENINGS} blocks {}: {:?}",
                ms(window),
                ms(check),
                verdict.as_ref().map(|_| "PASS")
            );
            windows.push(window);
        }
        if let Err(failure) = verdict {
            println!("  the sampled blocks FAIL: {failure}");
            return false;
        }
    }
    windows.sort();
    let flops = 2.0 * f64::from(n).powi(3);
    println!("{}", speed_line(&format!("n = {n}, median version-2 window"), tflops(flops, windows[windows.len() / 2]), expected));
    true
}

fn run_cpu() -> bool {
    println!("== CPU backend, n = 1024 ==");
    let challenge = Challenge::new(seed(1024, 1), 1024).expect("size");
    let clock = Instant::now();
    let c = CpuBackend.multiply(&challenge).expect("the CPU backend does not fail");
    let elapsed = clock.elapsed();
    let (exact, verdict) = check(challenge, &c);
    println!("{}: {} = {:.3} TFLOPS; {verdict}", CpuBackend.name(), ms(elapsed), tflops(challenge.flops(), elapsed));
    println!("== CPU backend, version-2 window, n = 1024 ==");
    exact & run_stress(&CpuBackend, 1024, None)
}

fn main() -> ExitCode {
    let source = print_inventory();
    println!("== CUDA backend ==");
    match CudaBackend::open(0) {
        Ok(gpu) => {
            let ok = run_cuda(&gpu);
            println!("== {} ==", if ok { "GPU check PASSED" } else { "GPU check FAILED" });
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(reason) => {
            println!("CUDA backend unavailable: {reason}");
            println!("falling back to the CPU, as the agent does");
            let ok = run_cpu();
            if source == InventorySource::Nvml {
                println!("== GPU check FAILED: NVML sees an NVIDIA GPU, but the CUDA backend did not open ==");
                ExitCode::from(2)
            } else if ok {
                println!("== no CUDA here: CPU fallback checked ==");
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
    }
}
