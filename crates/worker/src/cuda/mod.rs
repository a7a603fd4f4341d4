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

use io_poc::{Backend, Challenge, Loaded, Operand};
use std::ffi::{c_int, c_void};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use thiserror::Error;

use cudarc::driver::{CudaContext, CudaSlice, CudaStream, DevicePtr, DevicePtrMut};

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

mod cublas;
mod loader;

use loader::{guarded, probe_driver, Driver};

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
    gpu: Arc<Mutex<Gpu>>,
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
            gpu: Arc::new(Mutex::new(Gpu { blas, stream, ctx })),
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
    /// Makes the context current on this thread and checks that `matrices` n x n FP32
    /// buffers fit in the GPU's free memory.
    fn make_room(&self, n: usize, matrices: usize) -> Result<(), String> {
        let cuda = |what: &'static str| move |e: cudarc::driver::DriverError| format!("{what}: {e}");
        // The mutex may be taken on any thread (the agent multiplies on tokio's blocking
        // pool): make the context current here before cudarc or cuBLAS use it.
        self.ctx.bind_to_thread().map_err(cuda("binding the context"))?;
        // The last product's buffers were freed on the stream: let that finish first, so
        // the memory counts as free below.
        self.stream.synchronize().map_err(cuda("synchronising the stream"))?;
        let needed = matrices * n * n * std::mem::size_of::<f32>();
        let (free, _) = self.ctx.mem_get_info().map_err(cuda("free memory"))?;
        if free < needed {
            return Err(format!("n = {n} needs {} MiB of GPU memory, {} MiB free", needed >> 20, free >> 20));
        }
        Ok(())
    }

    /// Rows of C = A B for `rows` consecutive rows of row-major A at `a`, row-major n x n B
    /// at `b`, written to `c`. cuBLAS is column-major: a row-major buffer read column-major
    /// is the transpose, so C^T = B^T A^T is the same SGEMM with the operands swapped (B's
    /// buffer first, no transposition flags), and the column-major C^T it writes is
    /// row-major C; `rows` rows of A and C are `rows` columns of their transposes.
    ///
    /// # Safety
    /// `b` must hold n x n floats, `a` and `c` `rows` x n, all live device memory of this
    /// stream's context.
    unsafe fn sgemm_rows(&self, b: u64, a: u64, c: u64, n: usize, rows: usize) -> Result<(), String> {
        let (dim, one, zero) = (n as c_int, 1f32, 0f32);
        // SAFETY: as the caller promised; host scalars (the default pointer mode).
        let status = unsafe {
            (self.blas.api.sgemm)(
                self.blas.handle,
                cublas::OP_N,
                cublas::OP_N,
                dim,
                rows as c_int,
                dim,
                &one,
                b as usize as *const f32,
                dim,
                a as usize as *const f32,
                dim,
                &zero,
                c as usize as *mut f32,
                dim,
            )
        };
        self.blas.status("cublasSgemm_v2", status)
    }

    fn multiply(&self, challenge: &Challenge) -> Result<(Vec<f32>, Timings), String> {
        let n = challenge.size();
        let cuda = |what: &'static str| move |e: cudarc::driver::DriverError| format!("{what}: {e}");
        self.make_room(n, 3)?;
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
            // SAFETY: three live device buffers of n * n floats on this stream's context;
            // the `_read` and `_write` guards order the stream after the copies that filled
            // them.
            unsafe { self.sgemm_rows(pb, pa, pc, n, n)? };
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

impl Gpu {
    fn load(&self, challenge: &Challenge) -> Result<LoadedBuffers, String> {
        let n = challenge.size();
        let cuda = |what: &'static str| move |e: cudarc::driver::DriverError| format!("{what}: {e}");
        self.make_room(n, 4)?;
        let a = self.stream.clone_htod(&operand(challenge, Operand::A)).map_err(cuda("upload of A"))?;
        let b = self.stream.clone_htod(&operand(challenge, Operand::B)).map_err(cuda("upload of B"))?;
        let scaled_b = self.stream.alloc_zeros::<f32>(n * n).map_err(cuda("allocation of D B"))?;
        let c = self.stream.alloc_zeros::<f32>(n * n).map_err(cuda("allocation of C"))?;
        self.stream.synchronize().map_err(cuda("upload"))?;
        Ok(LoadedBuffers { n, a, b, scaled_b, c })
    }

    /// C = A D B: D B by cublasSdgmm, then the same SGEMM as `multiply`, panel by panel.
    fn run(&self, buffers: &mut LoadedBuffers, diagonal: &[f32], sink: &mut dyn FnMut(usize, Vec<f32>)) -> Result<(), String> {
        let cuda = |what: &'static str| move |e: cudarc::driver::DriverError| format!("{what}: {e}");
        self.ctx.bind_to_thread().map_err(cuda("binding the context"))?;
        let d = self.stream.clone_htod(diagonal).map_err(cuda("upload of the diagonal"))?;
        let dim = buffers.n as c_int;
        {
            let (pb, _read_b) = buffers.b.device_ptr(&self.stream);
            let (pd, _read_d) = d.device_ptr(&self.stream);
            let (ps, _write_s) = buffers.scaled_b.device_ptr_mut(&self.stream);
            // B's row-major buffer read column-major is B^T, and (D B)^T = B^T D: scale
            // its columns (the right side).
            // SAFETY: live device buffers of n * n and n floats on this stream's context.
            let status = unsafe {
                (self.blas.api.sdgmm)(
                    self.blas.handle,
                    cublas::SIDE_RIGHT,
                    dim,
                    dim,
                    pb as usize as *const f32,
                    dim,
                    pd as usize as *const f32,
                    1,
                    ps as usize as *mut f32,
                    dim,
                )
            };
            self.blas.status("cublasSdgmm", status)?;
        }
        // Every panel's SGEMM is queued at once; each panel is then downloaded in turn and
        // handed to the sink (the worker hashes it on the host while the next copies).
        let n = buffers.n;
        let rows = io_poc::panel_rows(n);
        {
            let (pa, _read_a) = buffers.a.device_ptr(&self.stream);
            let (ps, _read_s) = buffers.scaled_b.device_ptr(&self.stream);
            let (pc, _write_c) = buffers.c.device_ptr_mut(&self.stream);
            for first in (0..n).step_by(rows) {
                let m = rows.min(n - first);
                let offset = (first * n * std::mem::size_of::<f32>()) as u64;
                // Rows first.. of C from rows first.. of A and all of D B.
                // SAFETY: live device buffers of n * n floats; the offsets stay within them
                // (first + m <= n rows of n floats).
                unsafe { self.sgemm_rows(ps, pa + offset, pc + offset, n, m)? };
            }
        }
        for first in (0..n).step_by(rows) {
            let m = rows.min(n - first);
            let panel = self.stream.clone_dtoh(&buffers.c.slice(first * n..(first + m) * n)).map_err(cuda("download of C"))?;
            sink(first, panel);
        }
        self.stream.synchronize().map_err(cuda("download"))?;
        self.ctx.check_err().map_err(cuda("CUDA error state"))?;
        Ok(())
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

    fn load(&self, challenge: &Challenge) -> Result<Box<dyn Loaded>, String> {
        let loaded = {
            let gpu = self.gpu.lock().map_err(|_| "the CUDA backend is poisoned".to_string())?;
            guarded(|| gpu.load(challenge)).map_err(|panic| format!("the CUDA bindings panicked: {panic}"))??
        };
        Ok(Box::new(CudaLoaded { gpu: self.gpu.clone(), buffers: Some(loaded) }))
    }
}

/// A version-2 challenge's buffers on the GPU: A and B uploaded before the clock starts,
/// the scaled B and C allocated, so the timed window holds only the diagonal's upload
/// (n floats), the scaling (cublasSdgmm, O(n^2)), the SGEMM and C's download.
struct LoadedBuffers {
    n: usize,
    a: CudaSlice<f32>,
    b: CudaSlice<f32>,
    scaled_b: CudaSlice<f32>,
    c: CudaSlice<f32>,
}

struct CudaLoaded {
    gpu: Arc<Mutex<Gpu>>,
    buffers: Option<LoadedBuffers>,
}

impl Loaded for CudaLoaded {
    fn run(mut self: Box<Self>, diagonal: &[f32], sink: &mut dyn FnMut(usize, Vec<f32>)) -> Result<(), String> {
        let mut buffers = self.buffers.take().ok_or("the operands were already used")?;
        if diagonal.len() != buffers.n {
            return Err(format!("the diagonal has {} entries, not n = {}", diagonal.len(), buffers.n));
        }
        let gpu = self.gpu.lock().map_err(|_| "the CUDA backend is poisoned".to_string())?;
        guarded(|| gpu.run(&mut buffers, diagonal, sink)).map_err(|panic| format!("the CUDA bindings panicked: {panic}"))?
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
mod tests;
