//! The CUDA backend of the stress test (cargo feature `cuda`): the challenge's product by
//! cuBLAS SGEMM on an NVIDIA GPU.
//!
//! Nothing here links against CUDA. The driver (`libcuda`) and cuBLAS are loaded at run
//! time, so the agent builds and starts on machines without a GPU, a driver or a toolkit,
//! and [`crate::best_backend`] falls back to the CPU there. Two facts shape the code:
//!
//! - cudarc's dynamic loading *panics* when a library or a symbol is missing ("Unable to
//!   dynamically load ..."). [`CudaBackend::open`] therefore probes the driver itself first
//!   (loads `libcuda`, asks its version, `cuInit`, counts devices) and only then lets
//!   cudarc touch it, inside `catch_unwind`; every failure is a named [`CudaUnavailable`].
//! - cudarc looks for cuBLAS only on the loader's path and only under the names of the CUDA
//!   major it was built for and older ones (`libcublas.so.12`, ..., or the unversioned
//!   `libcublas.so` that toolkits ship only in their development packages), while machines
//!   carry cuBLAS 12 or 13, often in folders off that path (the CUDA 13 image of our GPU
//!   machines among them). The few cuBLAS entry points used here have had the same C
//!   signatures since CUDA 11, so this module loads cuBLAS itself ([`cublas`]), from a list
//!   of names and folders that follows the driver's major version, and cudarc only drives
//!   the GPU: context, stream, memory.
//!
//! Entries of the challenge are integers in [-8, 8], so every partial sum of the product
//! is an integer below 2^24: FP32 SGEMM returns the exact product whatever the order of its
//! additions, and so does TF32 (its 10-bit mantissa holds the entries exactly, and tensor
//! cores accumulate in FP32), which [`CudaBackend::set_tf32`] turns on.

use io_poc::{Backend, Challenge, Operand};
use std::ffi::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use thiserror::Error;

use cudarc::driver::{CudaContext, CudaStream, DevicePtr, DevicePtrMut};

/// Why the CUDA backend cannot run here. The agent then falls back to the CPU.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum CudaUnavailable {
    /// The CUDA driver library (`libcuda.so.1`, `nvcuda.dll`) is not loadable: no NVIDIA
    /// driver, or no GPU passed into the container.
    #[error("no CUDA driver: {0}")]
    NoDriver(String),
    /// The driver is older than CUDA 12.0, the API this backend is built for.
    #[error("the NVIDIA driver supports CUDA {major}.{minor}; the CUDA backend needs 12.0 or newer")]
    OldDriver { major: u32, minor: u32 },
    /// The driver loads but has no usable device at this ordinal.
    #[error("no CUDA device: {0}")]
    NoDevice(String),
    /// cuBLAS (`libcublas.so.13` / `.12` / ..., part of the CUDA toolkit or runtime) is
    /// not loadable, or lacks an entry point.
    #[error("no cuBLAS: {0}")]
    NoCublas(String),
    /// Anything else while setting up the context, the stream or the cuBLAS handle,
    /// including a panic of the CUDA bindings, caught and named.
    #[error("CUDA initialisation failed: {0}")]
    Init(String),
}

/// Where the time of one product went, measured on the host clock around stream
/// synchronisations (so each phase is complete when its clock stops).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timings {
    /// A and B generated from the seed, on the host (all cores).
    pub generate: Duration,
    /// A and B copied to the GPU, C allocated.
    pub upload: Duration,
    /// The SGEMM alone.
    pub sgemm: Duration,
    /// C copied back.
    pub download: Duration,
}

impl Timings {
    /// Everything `multiply` does: what the oracle's clock sees of the worker's compute.
    pub fn total(&self) -> Duration {
        self.generate + self.upload + self.sgemm + self.download
    }
}

/// Runs `f`, turning a panic into an error that carries the panic's message.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic without a message".into())
    })
}

/// Loads the first library of `names` that loads; the error lists every name and why it
/// failed (the loader's own message, e.g. "cannot open shared object file").
fn load_first(names: &[String]) -> Result<(libloading::Library, String), String> {
    let mut failures = Vec::with_capacity(names.len());
    for name in names {
        // SAFETY: loading runs the library's initialisers; these are the vendor's CUDA
        // libraries (or what the operator points IO_CUBLAS_LIBRARY at), loaded the same way
        // cudarc and every CUDA program loads them.
        match unsafe { libloading::Library::new(name) } {
            Ok(lib) => return Ok((lib, name.clone())),
            Err(e) => {
                let reason = loader_error(&e);
                failures.push(if reason.contains(name.as_str()) { reason } else { format!("{name}: {reason}") });
            }
        }
    }
    Err(if failures.is_empty() { "no library name to try on this platform".into() } else { failures.join("; ") })
}

/// The loader's own message ("libcuda.so.1: cannot open shared object file: No such file or
/// directory"), which libloading keeps as the error's source behind "dlopen failed".
fn loader_error(e: &libloading::Error) -> String {
    std::error::Error::source(e).map_or_else(|| e.to_string(), |source| source.to_string())
}

/// Typed symbol lookup; `name` without the trailing NUL.
///
/// # Safety
/// `F` must be the symbol's true C signature.
unsafe fn symbol<F: Copy>(lib: &libloading::Library, name: &str) -> Result<F, String> {
    lib.get::<F>(name.as_bytes()).map(|s| *s).map_err(|e| format!("{name}: {}", loader_error(&e)))
}

/// What the probe of the driver found.
#[derive(Clone, Copy, Debug)]
struct Driver {
    /// `cuDriverGetVersion`: major * 1000 + minor * 10.
    version: i32,
    devices: i32,
}

impl Driver {
    fn major(&self) -> u32 {
        (self.version / 1000) as u32
    }
}

fn driver_names() -> Vec<String> {
    if cfg!(target_os = "linux") {
        vec!["libcuda.so.1".into(), "libcuda.so".into()]
    } else if cfg!(windows) {
        vec!["nvcuda.dll".into()]
    } else {
        Vec::new()
    }
}

/// Loads the driver and asks it, through its own C API, for its version, `cuInit` and the
/// number of devices: everything cudarc would otherwise find out by panicking. Done once per
/// process (`cuInit` is once anyway); the library stays loaded.
fn probe_driver() -> Result<Driver, CudaUnavailable> {
    static DRIVER: OnceLock<Result<Driver, CudaUnavailable>> = OnceLock::new();
    DRIVER
        .get_or_init(|| {
            let (lib, _) = load_first(&driver_names()).map_err(CudaUnavailable::NoDriver)?;
            type Version = unsafe extern "C" fn(*mut c_int) -> c_int;
            type Init = unsafe extern "C" fn(u32) -> c_int;
            type Count = unsafe extern "C" fn(*mut c_int) -> c_int;
            type ErrorName = unsafe extern "C" fn(c_int, *mut *const std::ffi::c_char) -> c_int;
            // "CUDA_ERROR_..." for a status, where the driver can say.
            // SAFETY: cuGetErrorName's signature; the string it returns is static.
            let error_name = unsafe { symbol::<ErrorName>(&lib, "cuGetErrorName") }.ok();
            let named = |call: &str, status: c_int| {
                let mut name: *const std::ffi::c_char = std::ptr::null();
                // SAFETY: a valid out-pointer; the name it sets is a static C string.
                let known = error_name.is_some_and(|f| unsafe { f(status, &mut name) } == 0) && !name.is_null();
                // SAFETY: non-null and NUL-terminated, from the driver's table of names.
                let name = if known { format!(" ({})", unsafe { std::ffi::CStr::from_ptr(name) }.to_string_lossy()) } else { String::new() };
                format!("{call} returned CUDA error {status}{name}")
            };
            // SAFETY: the signatures of cuDriverGetVersion, cuInit and cuDeviceGetCount
            // (CUresult is a C enum, an int), unchanged since CUDA 2.
            let (get_version, init, count) = unsafe {
                (
                    symbol::<Version>(&lib, "cuDriverGetVersion").map_err(CudaUnavailable::NoDriver)?,
                    symbol::<Init>(&lib, "cuInit").map_err(CudaUnavailable::NoDriver)?,
                    symbol::<Count>(&lib, "cuDeviceGetCount").map_err(CudaUnavailable::NoDriver)?,
                )
            };
            let mut version = 0;
            // SAFETY: a valid out-pointer; cuDriverGetVersion needs no cuInit.
            let status = unsafe { get_version(&mut version) };
            if status != 0 {
                return Err(CudaUnavailable::Init(named("cuDriverGetVersion", status)));
            }
            if version < 12_000 {
                return Err(CudaUnavailable::OldDriver { major: (version / 1000) as u32, minor: ((version % 1000) / 10) as u32 });
            }
            // SAFETY: flags must be 0.
            match unsafe { init(0) } {
                0 => {}
                // CUDA_ERROR_NO_DEVICE: a driver without a GPU (e.g. a container not given one).
                100 => return Err(CudaUnavailable::NoDevice("cuInit: the driver reports no CUDA-capable device".into())),
                status => return Err(CudaUnavailable::Init(named("cuInit", status))),
            }
            let mut devices = 0;
            // SAFETY: a valid out-pointer, after a successful cuInit.
            let status = unsafe { count(&mut devices) };
            if status != 0 {
                return Err(CudaUnavailable::Init(named("cuDeviceGetCount", status)));
            }
            // Kept loaded for the life of the process, like cudarc's own handle.
            std::mem::forget(lib);
            Ok(Driver { version, devices })
        })
        .clone()
}

/// cuBLAS, loaded by this module: the library and the entry points the backend calls.
mod cublas {
    use super::{load_first, symbol};
    use std::ffi::{c_int, c_void};
    use std::path::PathBuf;
    use std::sync::OnceLock;

    pub type Handle = *mut c_void;
    pub const OP_N: c_int = 0;
    pub const DEFAULT_MATH: c_int = 0;
    pub const TF32_TENSOR_OP_MATH: c_int = 3;

    pub struct Api {
        /// The file it was loaded from (as named, or a full path).
        pub library: String,
        /// (major, minor, patch) from `cublasGetProperty`.
        pub version: (i32, i32, i32),
        pub create: unsafe extern "C" fn(*mut Handle) -> c_int,
        pub destroy: unsafe extern "C" fn(Handle) -> c_int,
        pub set_stream: unsafe extern "C" fn(Handle, *mut c_void) -> c_int,
        pub set_math_mode: unsafe extern "C" fn(Handle, c_int) -> c_int,
        #[allow(clippy::type_complexity)]
        pub sgemm: unsafe extern "C" fn(
            Handle,
            c_int,
            c_int,
            c_int,
            c_int,
            c_int,
            *const f32,
            *const f32,
            c_int,
            *const f32,
            c_int,
            *const f32,
            *mut f32,
            c_int,
        ) -> c_int,
    }

    /// Where cuBLAS may be, most specific first: the operator's `IO_CUBLAS_LIBRARY`, then the
    /// loader's search path by soname (newest major the driver supports first: a cuBLAS of a
    /// newer major than the driver's cannot initialise), then the toolkit's own folders,
    /// which containers often leave off the search path.
    pub fn candidates(driver_major: u32) -> Vec<String> {
        let mut out: Vec<String> = std::env::var("IO_CUBLAS_LIBRARY").into_iter().filter(|p| !p.is_empty()).collect();
        let majors: Vec<u32> = [13, 12, 11].into_iter().filter(|m| *m <= driver_major).collect();
        if cfg!(target_os = "linux") {
            let names: Vec<String> = majors.iter().map(|m| format!("libcublas.so.{m}")).chain(["libcublas.so".to_string()]).collect();
            out.extend(names.iter().cloned());
            let mut dirs: Vec<PathBuf> = ["CUDA_PATH", "CUDA_HOME", "CUDA_ROOT"]
                .iter()
                .filter_map(|v| std::env::var_os(v))
                .map(|root| PathBuf::from(root).join("lib64"))
                .collect();
            dirs.push("/usr/local/cuda/lib64".into());
            dirs.push("/usr/local/cuda/targets/x86_64-linux/lib".into());
            for dir in dirs {
                out.extend(names.iter().map(|n| dir.join(n)).filter(|p| p.exists()).map(|p| p.display().to_string()));
            }
        } else if cfg!(windows) {
            out.extend(majors.iter().map(|m| format!("cublas64_{m}.dll")));
        }
        let mut seen = std::collections::HashSet::new();
        out.retain(|c| seen.insert(c.clone()));
        out
    }

    /// Loads cuBLAS once per process and keeps it loaded.
    pub fn api(driver_major: u32) -> Result<&'static Api, String> {
        static API: OnceLock<Result<Api, String>> = OnceLock::new();
        API.get_or_init(|| load(&candidates(driver_major))).as_ref().map_err(Clone::clone)
    }

    fn load(candidates: &[String]) -> Result<Api, String> {
        let mut failures = Vec::new();
        let mut loaded = None;
        for candidate in candidates {
            // A cuBLAS loaded by full path finds its companion libcublasLt by soname, which
            // the loader also resolves against libraries already loaded: load the Lt beside
            // it first (kept loaded, like cuBLAS itself).
            if let Some(lt) = candidate.contains('/').then(|| lt_beside(candidate)).flatten() {
                // SAFETY: as in `load_first`.
                if let Ok(lt) = unsafe { libloading::Library::new(&lt) } {
                    std::mem::forget(lt);
                }
            }
            match load_first(std::slice::from_ref(candidate)) {
                Ok(found) => {
                    loaded = Some(found);
                    break;
                }
                Err(e) => failures.push(e),
            }
        }
        let Some((lib, library)) = loaded else {
            return Err(if failures.is_empty() { "no library name to try on this platform".into() } else { failures.join("; ") });
        };
        type GetProperty = unsafe extern "C" fn(c_int, *mut c_int) -> c_int;
        // SAFETY: the C signatures of cublasCreate_v2, cublasDestroy_v2, cublasSetStream_v2,
        // cublasSetMathMode, cublasSgemm_v2 and cublasGetProperty (enums are C ints, the
        // handle and cudaStream_t are pointers), the same in cuBLAS 11, 12 and 13.
        let api = unsafe {
            let get_property = symbol::<GetProperty>(&lib, "cublasGetProperty")?;
            let mut version = [0; 3];
            for (kind, v) in version.iter_mut().enumerate() {
                get_property(kind as c_int, v);
            }
            Api {
                library,
                version: (version[0], version[1], version[2]),
                create: symbol(&lib, "cublasCreate_v2")?,
                destroy: symbol(&lib, "cublasDestroy_v2")?,
                set_stream: symbol(&lib, "cublasSetStream_v2")?,
                set_math_mode: symbol(&lib, "cublasSetMathMode")?,
                sgemm: symbol(&lib, "cublasSgemm_v2")?,
            }
        };
        // The function pointers above live as long as the library: never unload it.
        std::mem::forget(lib);
        Ok(api)
    }

    /// `/dir/libcublas.so.12` -> `/dir/libcublasLt.so.12`.
    fn lt_beside(path: &str) -> Option<String> {
        let path = std::path::Path::new(path);
        let name = path.file_name()?.to_str()?;
        let lt = path.with_file_name(name.replacen("libcublas", "libcublasLt", 1));
        lt.exists().then(|| lt.display().to_string())
    }
}

/// A cuBLAS handle bound to the backend's stream; destroyed with the context current.
struct BlasHandle {
    api: &'static cublas::Api,
    handle: cublas::Handle,
    ctx: Arc<CudaContext>,
}

// SAFETY: a cuBLAS handle may be used from any thread, one at a time; the backend keeps it
// behind its mutex and binds the context to the calling thread before each use.
unsafe impl Send for BlasHandle {}

impl BlasHandle {
    fn status(&self, what: &str, status: c_int) -> Result<(), String> {
        if status == 0 {
            Ok(())
        } else {
            Err(format!("{what} returned cuBLAS status {status}"))
        }
    }
}

impl Drop for BlasHandle {
    fn drop(&mut self) {
        if self.ctx.bind_to_thread().is_ok() {
            // SAFETY: a handle created by cublasCreate_v2 and destroyed once, here.
            unsafe { (self.api.destroy)(self.handle) };
        }
    }
}

/// Everything that touches the GPU, behind the backend's mutex. Fields drop in order: the
/// cuBLAS handle before the stream and the context it lives in.
struct Gpu {
    blas: BlasHandle,
    stream: Arc<CudaStream>,
    ctx: Arc<CudaContext>,
}

/// The challenge's product on an NVIDIA GPU by cuBLAS SGEMM. One product at a time (the
/// GPU and the cuBLAS handle are behind a mutex): the stress test runs one challenge at a
/// time anyway, and concurrent products would only share the same GPU.
pub struct CudaBackend {
    device: String,
    ordinal: usize,
    driver_version: i32,
    memory_bytes: usize,
    cublas: &'static cublas::Api,
    tf32: std::sync::atomic::AtomicBool,
    gpu: Mutex<Gpu>,
}

impl std::fmt::Debug for CudaBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CudaBackend").field("device", &self.device).field("ordinal", &self.ordinal).finish_non_exhaustive()
    }
}

impl CudaBackend {
    /// Opens device `ordinal`: probes the driver and cuBLAS, then creates the context, a
    /// stream and a cuBLAS handle on it. Never panics: a missing library or device, or a
    /// panic of the bindings, is a [`CudaUnavailable`].
    pub fn open(ordinal: usize) -> Result<Self, CudaUnavailable> {
        let driver = probe_driver()?;
        if ordinal >= driver.devices.max(0) as usize {
            return Err(CudaUnavailable::NoDevice(format!("device {ordinal} asked for, the driver sees {}", driver.devices)));
        }
        let api = guarded(|| cublas::api(driver.major()))
            .map_err(|panic| CudaUnavailable::NoCublas(format!("loading cuBLAS panicked: {panic}")))?
            .map_err(CudaUnavailable::NoCublas)?;
        guarded(|| Self::create(ordinal, driver, api))
            .map_err(|panic| CudaUnavailable::Init(format!("the CUDA bindings panicked: {panic}")))?
            .map_err(CudaUnavailable::Init)
    }

    fn create(ordinal: usize, driver: Driver, api: &'static cublas::Api) -> Result<Self, String> {
        let ctx = CudaContext::new(ordinal).map_err(|e| format!("context on device {ordinal}: {e}"))?;
        let device = ctx.name().map_err(|e| format!("device name: {e}"))?;
        let memory_bytes = ctx.total_mem().map_err(|e| format!("device memory: {e}"))?;
        let stream = ctx.new_stream().map_err(|e| format!("stream: {e}"))?;
        ctx.bind_to_thread().map_err(|e| e.to_string())?;
        let mut handle: cublas::Handle = std::ptr::null_mut();
        // SAFETY: a valid out-pointer; the context is current on this thread, so the handle
        // (and its workspace) belongs to it.
        let status = unsafe { (api.create)(&mut handle) };
        if status != 0 || handle.is_null() {
            return Err(format!("cublasCreate_v2 returned cuBLAS status {status} ({})", api.library));
        }
        let blas = BlasHandle { api, handle, ctx: ctx.clone() };
        // SAFETY: a live handle and a live stream of the same context.
        blas.status("cublasSetStream_v2", unsafe { (api.set_stream)(handle, stream.cu_stream().cast::<c_void>()) })?;
        // Plain FP32 unless asked otherwise (`set_tf32`): the product is exact either way.
        // SAFETY: a live handle and a valid cublasMath_t.
        blas.status("cublasSetMathMode", unsafe { (api.set_math_mode)(handle, cublas::DEFAULT_MATH) })?;
        Ok(Self {
            device,
            ordinal,
            driver_version: driver.version,
            memory_bytes,
            cublas: api,
            tf32: false.into(),
            gpu: Mutex::new(Gpu { blas, stream, ctx }),
        })
    }

    /// The device's name as the driver reports it ("NVIDIA H100 80GB HBM3").
    pub fn device(&self) -> &str {
        &self.device
    }

    pub fn ordinal(&self) -> usize {
        self.ordinal
    }

    /// CUDA version the driver supports, (major, minor).
    pub fn driver_cuda(&self) -> (u32, u32) {
        ((self.driver_version / 1000) as u32, ((self.driver_version % 1000) / 10) as u32)
    }

    /// The cuBLAS library loaded and its (major, minor, patch) version.
    pub fn cublas(&self) -> (&str, (i32, i32, i32)) {
        (self.cublas.library.as_str(), self.cublas.version)
    }

    pub fn memory_bytes(&self) -> usize {
        self.memory_bytes
    }

    /// TF32 tensor cores on (`CUBLAS_TF32_TENSOR_OP_MATH`) or off (plain FP32, the default).
    pub fn set_tf32(&self, on: bool) -> Result<(), String> {
        let gpu = self.gpu.lock().map_err(|_| "the CUDA backend is poisoned".to_string())?;
        gpu.ctx.bind_to_thread().map_err(|e| e.to_string())?;
        let mode = if on { cublas::TF32_TENSOR_OP_MATH } else { cublas::DEFAULT_MATH };
        // SAFETY: a live handle and a valid cublasMath_t.
        gpu.blas.status("cublasSetMathMode", unsafe { (gpu.blas.api.set_math_mode)(gpu.blas.handle, mode) })?;
        self.tf32.store(on, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// The product and where its time went.
    pub fn multiply_timed(&self, challenge: &Challenge) -> Result<(Vec<f32>, Timings), String> {
        let gpu = self.gpu.lock().map_err(|_| "the CUDA backend is poisoned".to_string())?;
        guarded(|| gpu.multiply(challenge)).map_err(|panic| format!("the CUDA bindings panicked: {panic}"))?
    }
}

impl Gpu {
    fn multiply(&self, challenge: &Challenge) -> Result<(Vec<f32>, Timings), String> {
        let n = challenge.size();
        let cuda = |what: &'static str| move |e: cudarc::driver::DriverError| format!("{what}: {e}");
        // The mutex may be taken on any thread (the agent multiplies on tokio's blocking
        // pool): make the context current here before cudarc or cuBLAS use it.
        self.ctx.bind_to_thread().map_err(cuda("binding the context"))?;
        // The last product's buffers were freed on the stream: let that finish first, so
        // the memory counts as free below.
        self.stream.synchronize().map_err(cuda("synchronising the stream"))?;
        let needed = 3 * n * n * std::mem::size_of::<f32>();
        let (free, _) = self.ctx.mem_get_info().map_err(cuda("free memory"))?;
        if free < needed {
            return Err(format!("n = {n} needs {} MiB of GPU memory, {} MiB free", needed >> 20, free >> 20));
        }
        let mut timings = Timings::default();

        let clock = Instant::now();
        let a = operand(challenge, Operand::A);
        let b = operand(challenge, Operand::B);
        timings.generate = clock.elapsed();

        let clock = Instant::now();
        let da = self.stream.clone_htod(&a).map_err(cuda("upload of A"))?;
        let db = self.stream.clone_htod(&b).map_err(cuda("upload of B"))?;
        let mut dc = self.stream.alloc_zeros::<f32>(n * n).map_err(cuda("allocation of C"))?;
        self.stream.synchronize().map_err(cuda("upload"))?;
        timings.upload = clock.elapsed();

        let clock = Instant::now();
        {
            let (pa, _read_a) = da.device_ptr(&self.stream);
            let (pb, _read_b) = db.device_ptr(&self.stream);
            let (pc, _write_c) = dc.device_ptr_mut(&self.stream);
            let (dim, one, zero) = (n as c_int, 1f32, 0f32);
            // cuBLAS is column-major. A row-major n x n buffer read column-major is the
            // transpose, so the buffers of A, B and C hold A^T, B^T and C^T. C = A B is
            // C^T = B^T A^T: the same SGEMM with the operands swapped (B's buffer first, no
            // transposition flags), and the column-major C^T it writes is row-major C.
            // SAFETY: three live device buffers of n * n floats on this stream's context,
            // leading dimensions n, host scalars (the default pointer mode); the `_read` and
            // `_write` guards order the stream after the copies that filled them.
            let status = unsafe {
                (self.blas.api.sgemm)(
                    self.blas.handle,
                    cublas::OP_N,
                    cublas::OP_N,
                    dim,
                    dim,
                    dim,
                    &one,
                    pb as usize as *const f32,
                    dim,
                    pa as usize as *const f32,
                    dim,
                    &zero,
                    pc as usize as *mut f32,
                    dim,
                )
            };
            self.blas.status("cublasSgemm_v2", status)?;
        }
        self.stream.synchronize().map_err(cuda("sgemm"))?;
        timings.sgemm = clock.elapsed();

        let clock = Instant::now();
        let c = self.stream.clone_dtoh(&dc).map_err(cuda("download of C"))?;
        self.stream.synchronize().map_err(cuda("download"))?;
        timings.download = clock.elapsed();
        self.ctx.check_err().map_err(cuda("CUDA error state"))?;
        Ok((c, timings))
    }
}

impl Backend for CudaBackend {
    fn name(&self) -> String {
        let math = if self.tf32.load(std::sync::atomic::Ordering::Relaxed) { ", TF32 tensor cores" } else { "" };
        format!("cuda (cuBLAS sgemm{math}) on {}", self.device)
    }

    fn multiply(&self, challenge: &Challenge) -> Result<Vec<f32>, String> {
        self.multiply_timed(challenge).map(|(c, _)| c)
    }
}

/// One operand of the challenge, row-major FP32, generated on every core (rows are
/// independent: `Challenge::row_with`). The same matrix as `Challenge::matrix`, which is
/// serial and at n = 8192 would take longer than the GPU's product.
pub fn operand(challenge: &Challenge, which: Operand) -> Vec<f32> {
    let n = challenge.size();
    let mut out = vec![0f32; n * n];
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).clamp(1, n);
    let rows_per_thread = n.div_ceil(threads);
    std::thread::scope(|scope| {
        for (part, block) in out.chunks_mut(rows_per_thread * n).enumerate() {
            scope.spawn(move || {
                for (r, row) in block.chunks_mut(n).enumerate() {
                    challenge.row_with(which, part * rows_per_thread + r, row, f32::from);
                }
            });
        }
    });
    out
}

#[cfg(test)]
mod tests {
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
}
