//! cuBLAS, loaded by this module: the library and the entry points the backend calls.

use super::loader::{load_first, symbol};
use std::ffi::{c_int, c_void};
use std::path::PathBuf;
use std::sync::OnceLock;

pub type Handle = *mut c_void;
pub const OP_N: c_int = 0;
/// `CUBLAS_SIDE_RIGHT`: dgmm scales columns (C = A diag(x)).
pub const SIDE_RIGHT: c_int = 1;
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
    /// cublasSdgmm: C = A diag(x) (right side), column-major m x n.
    #[allow(clippy::type_complexity)]
    pub sdgmm: unsafe extern "C" fn(Handle, c_int, c_int, c_int, *const f32, c_int, *const f32, c_int, *mut f32, c_int) -> c_int,
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
            .filter_map(std::env::var_os)
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
    // cublasSetMathMode, cublasSgemm_v2, cublasSdgmm and cublasGetProperty (enums are C ints, the
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
            sdgmm: symbol(&lib, "cublasSdgmm")?,
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
