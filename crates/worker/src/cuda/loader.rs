//! Loading the CUDA libraries by hand: the first loadable of a list of names, typed
//! symbols, and the probe of the driver that runs before cudarc may touch it (cudarc's
//! dynamic loading panics where this returns a named error).

use super::CudaUnavailable;
use std::ffi::c_int;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

/// Runs `f`, turning a panic into an error that carries the panic's message.
pub(super) fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
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
pub(super) fn load_first(names: &[String]) -> Result<(libloading::Library, String), String> {
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
pub(super) fn loader_error(e: &libloading::Error) -> String {
    std::error::Error::source(e).map_or_else(|| e.to_string(), |source| source.to_string())
}

/// Typed symbol lookup; `name` without the trailing NUL.
///
/// # Safety
/// `F` must be the symbol's true C signature.
pub(super) unsafe fn symbol<F: Copy>(lib: &libloading::Library, name: &str) -> Result<F, String> {
    lib.get::<F>(name.as_bytes()).map(|s| *s).map_err(|e| format!("{name}: {}", loader_error(&e)))
}

/// What the probe of the driver found.
#[derive(Clone, Copy, Debug)]
pub(super) struct Driver {
    /// `cuDriverGetVersion`: major * 1000 + minor * 10.
    pub(super) version: i32,
    pub(super) devices: i32,
}

impl Driver {
    pub(super) fn major(&self) -> u32 {
        (self.version / 1000) as u32
    }
}

pub(super) fn driver_names() -> Vec<String> {
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
pub(super) fn probe_driver() -> Result<Driver, CudaUnavailable> {
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
                let name =
                    if known { format!(" ({})", unsafe { std::ffi::CStr::from_ptr(name) }.to_string_lossy()) } else { String::new() };
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
