//! The CUDA backend without a GPU (named errors, stand-in libraries) and with one.

use super::loader::load_first;
use super::*;
use crate::inventory::{inventory, InventorySource};
use io_poc::{check_prepared, CpuBackend, Prepared};
use rand::SeedableRng;

fn send_sync<T: Send + Sync>() {}

/// Whether this machine is expected to run CUDA: `IO_EXPECT_CUDA=1` says so (a GPU
/// runner), `IO_EXPECT_CUDA=0` says not; otherwise NVML seeing an NVIDIA GPU does.
fn cuda_expected() -> bool {
    match std::env::var("IO_EXPECT_CUDA").as_deref() {
        Ok("1") => true,
        Ok("0") => false,
        _ => inventory().source == InventorySource::Nvml,
    }
}

#[test]
fn the_backend_can_be_shared_across_threads() {
    send_sync::<CudaBackend>();
}

#[test]
fn operands_generated_on_all_cores_equal_the_challenges_matrices() {
    // 7, 100 and 257 rows do not all divide evenly among the threads: short last blocks.
    for n in [1, 7, 100, 257] {
        let challenge = Challenge::new([9; 32], n).unwrap();
        assert_eq!(operand(&challenge, Operand::A), challenge.matrix(Operand::A), "n = {n}");
        assert_eq!(operand(&challenge, Operand::B), challenge.matrix(Operand::B), "n = {n}");
    }
}

#[test]
fn a_panic_becomes_a_named_error() {
    let caught = guarded(|| -> u32 { panic!("Unable to dynamically load the \"cuda\" shared library") });
    assert_eq!(caught, Err("Unable to dynamically load the \"cuda\" shared library".to_string()));
    let formatted = guarded(|| -> u32 { panic!("code {}", 7) });
    assert_eq!(formatted, Err("code 7".to_string()));
    assert_eq!(guarded(|| 3), Ok(3));
}

#[test]
fn a_library_that_is_not_there_is_an_error_naming_what_was_tried() {
    let names = ["libio-no-such-library.so.1".to_string(), "libio-no-such-library.so".to_string()];
    let err = load_first(&names).unwrap_err();
    assert!(err.contains("libio-no-such-library.so.1") && err.contains("libio-no-such-library.so:"), "{err}");
    if cfg!(target_os = "linux") {
        assert!(err.contains("cannot open shared object file"), "the loader's own reason: {err}");
    }
    assert!(load_first(&[]).is_err());
}

#[test]
fn cublas_candidates_follow_the_drivers_major_version() {
    let on_12 = cublas::candidates(12);
    let on_13 = cublas::candidates(13);
    if cfg!(target_os = "linux") {
        assert!(!on_12.iter().any(|c| c.ends_with(".so.13")), "cuBLAS 13 cannot run on a CUDA 12 driver: {on_12:?}");
        let pos = |list: &[String], name: &str| list.iter().position(|c| c == name).unwrap_or_else(|| panic!("{name} not in {list:?}"));
        assert!(pos(&on_13, "libcublas.so.13") < pos(&on_13, "libcublas.so.12"), "{on_13:?}");
        assert!(pos(&on_13, "libcublas.so.12") < pos(&on_13, "libcublas.so"), "{on_13:?}");
        assert!(on_12.contains(&"libcublas.so.12".to_string()) && on_12.contains(&"libcublas.so".to_string()));
    }
}

/// The GPU's product of an n = 256 challenge is the CPU's, bit for bit, in FP32 and in
/// TF32, and passes Freivalds' check (which a product off by one fails).
fn assert_the_product_is_exact(gpu: &CudaBackend) {
    let challenge = Challenge::new([5; 32], 256).unwrap();
    assert!(gpu.name().starts_with("cuda (cuBLAS sgemm) on "), "{}", gpu.name());
    let expected = CpuBackend.multiply(&challenge).unwrap();
    let (c, timings) = gpu.multiply_timed(&challenge).unwrap();
    assert!(c == expected, "the GPU's product differs from the CPU's");
    assert!(timings.total() >= timings.sgemm);
    let prepared = Prepared::new(challenge, 40, &mut rand::rngs::StdRng::seed_from_u64(1));
    check_prepared(&prepared, &c).expect("Freivalds' check of the GPU's product");
    let mut wrong = c;
    wrong[256 * 100 + 3] += 1.0;
    assert!(check_prepared(&prepared, &wrong).is_err());
    // TF32 tensor cores: still exact.
    gpu.set_tf32(true).unwrap();
    assert!(gpu.name().contains("TF32"), "{}", gpu.name());
    assert!(gpu.multiply(&challenge).unwrap() == expected, "the TF32 product differs from the CPU's");
    gpu.set_tf32(false).unwrap();
    // The version-2 path: operands loaded, then A D B in the window, equal to the CPU's.
    let spec = io_poc::stress::StressSpec::new([6; 32], 192, 1).unwrap();
    let diagonal = io_poc::stress::scaling(&[7; 32], 0, 192);
    let on_cpu = io_poc::run_to_vec(CpuBackend.load(&spec.challenge(0)).unwrap(), &diagonal).unwrap();
    let mut firsts = vec![];
    let mut on_gpu = vec![];
    gpu.load(&spec.challenge(0))
        .unwrap()
        .run(&diagonal, &mut |first, panel| {
            firsts.push(first);
            on_gpu.extend_from_slice(&panel);
        })
        .unwrap();
    assert!(on_gpu == on_cpu, "the GPU's A D B differs from the CPU's");
    assert_eq!(firsts, (0..192).step_by(io_poc::panel_rows(192)).collect::<Vec<_>>(), "panels in row order");
    assert!(io_poc::run_to_vec(gpu.load(&spec.challenge(0)).unwrap(), &diagonal[1..]).is_err(), "a short diagonal is refused");
    // A device that does not exist is named, not a panic.
    assert!(matches!(CudaBackend::open(1 << 20), Err(CudaUnavailable::NoDevice(_))));
}

/// Where there is no CUDA (CI), opening fails with a reason and does not panic; where
/// there is, the product is exact.
#[test]
fn the_cuda_product_equals_the_cpu_product_or_cuda_is_absent_for_a_named_reason() {
    match CudaBackend::open(0) {
        Ok(gpu) => assert_the_product_is_exact(&gpu),
        Err(reason) => {
            assert!(!cuda_expected(), "this machine has an NVIDIA GPU (or IO_EXPECT_CUDA=1) but CUDA did not open: {reason}");
            assert!(!reason.to_string().is_empty());
            // A second attempt gives the same answer (the probe is cached, not retried
            // into a panic).
            assert_eq!(CudaBackend::open(0).unwrap_err(), reason);
        }
    }
}

/// The whole CUDA path on a machine without a GPU: the backend against stand-ins for
/// the driver and cuBLAS (tests/cuda_stand_in/*.c, compiled here with `cc`, the linker
/// every Rust build on Linux already needs). Each case runs this test binary again, this
/// test alone, in a child process whose loader path finds the stand-ins first (the
/// driver probe is once per process). The full stand-in multiplies with the textbook
/// column-major SGEMM, so the operand order of the row-major trick is checked for real;
/// the others check each named failure, the panic of the bindings included.
#[cfg(target_os = "linux")]
#[test]
fn the_cuda_path_runs_against_a_stand_in_driver_and_cublas() {
    use std::process::Command;
    const CASE: &str = "IO_CUDA_STAND_IN_CASE";
    match std::env::var(CASE).as_deref() {
        Ok("full") => return assert_the_product_is_exact(&CudaBackend::open(0).expect("the stand-in opens")),
        Ok("old-driver") => return assert_eq!(CudaBackend::open(0).unwrap_err(), CudaUnavailable::OldDriver { major: 11, minor: 8 }),
        Ok("no-device") => return assert!(matches!(CudaBackend::open(0), Err(CudaUnavailable::NoDevice(_)))),
        Ok("init-error") => {
            let err = CudaBackend::open(0).unwrap_err();
            let named = "cuInit returned CUDA error 999 (CUDA_ERROR_UNKNOWN)";
            return assert!(matches!(&err, CudaUnavailable::Init(m) if m == named), "{err:?}");
        }
        Ok("no-cublas") => {
            let err = CudaBackend::open(0).unwrap_err();
            return assert!(matches!(&err, CudaUnavailable::NoCublas(m) if m.contains("libcublas.so.12")), "{err:?}");
        }
        Ok("bindings-panic") => {
            let err = CudaBackend::open(0).unwrap_err();
            return assert!(matches!(&err, CudaUnavailable::Init(m) if m.contains("panicked")), "{err:?}");
        }
        _ => {}
    }
    let root = std::env::temp_dir().join(format!("io-worker-cuda-stand-in-{}", std::process::id()));
    let sources = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cuda_stand_in");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let build = |dir: &str, source: &str, output: &str, defines: &[&str]| {
        let out = root.join(dir);
        std::fs::create_dir_all(&out).unwrap();
        let status = Command::new(&cc)
            .args(["-shared", "-fPIC", "-O2", "-o"])
            .arg(out.join(output))
            .args(defines)
            .arg(sources.join(source))
            .status()
            .unwrap_or_else(|e| panic!("running {cc}: {e}"));
        assert!(status.success(), "{cc} failed on {source}");
    };
    build("full", "driver.c", "libcuda.so.1", &[]);
    build("full", "cublas.c", "libcublas.so.12", &[]);
    build("old-driver", "driver.c", "libcuda.so.1", &["-DSTAND_IN_VERSION=11080"]);
    build("no-device", "driver.c", "libcuda.so.1", &["-DSTAND_IN_NO_DEVICE"]);
    build("init-error", "driver.c", "libcuda.so.1", &["-DSTAND_IN_INIT_STATUS=999"]);
    build("no-cublas", "driver.c", "libcuda.so.1", &[]);
    build("bindings-panic", "driver.c", "libcuda.so.1", &["-DSTAND_IN_PROBE_ONLY"]);
    build("bindings-panic", "cublas.c", "libcublas.so.12", &[]);
    let me = std::env::current_exe().unwrap();
    for case in ["full", "old-driver", "no-device", "init-error", "no-cublas", "bindings-panic"] {
        let out = Command::new(&me)
            .args(["--exact", "cuda::tests::the_cuda_path_runs_against_a_stand_in_driver_and_cublas", "--test-threads=1"])
            .env(CASE, case)
            .env("LD_LIBRARY_PATH", root.join(case))
            .env_remove("IO_CUBLAS_LIBRARY")
            .env_remove("CUDA_PATH")
            .env_remove("CUDA_HOME")
            .env_remove("CUDA_ROOT")
            .env("RUST_BACKTRACE", "0")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "stand-in case {case}:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&root);
}
