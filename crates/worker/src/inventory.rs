//! What the node has: its accelerators with their UUIDs, model, memory, driver and CUDA
//! version. NVIDIA GPUs are read through the NVIDIA Management Library, loaded at run time
//! (`libnvidia-ml.so.1` / `nvml.dll`), so the agent starts on machines without a driver;
//! there it falls back to the Apple Silicon chip (macOS) or the CPU.

use std::process::Command;

/// Where the inventory came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InventorySource {
    Nvml,
    AppleSilicon,
    Cpu,
}

/// One accelerator as the oracle sees it in the handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accelerator {
    /// NVML's UUID ("GPU-8f1e..."), the Mac's platform UUID, or the machine id.
    pub uuid: String,
    /// The vendor's name ("NVIDIA H100 80GB HBM3", "Apple M2 Max", a CPU brand string).
    pub name: String,
    pub memory_bytes: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inventory {
    pub source: InventorySource,
    pub accelerators: Vec<Accelerator>,
    /// Driver version string ("550.54.15"); empty without NVML.
    pub driver_version: String,
    /// CUDA version the driver supports, (major, minor); (0, 0) without CUDA.
    pub cuda: (u8, u8),
    /// Why NVML was not used, when it was not (e.g. the library is missing).
    pub nvml_error: Option<String>,
}

impl Inventory {
    /// An inventory stated rather than read: `uuids.len()` GPUs named `name`, for agents
    /// that stand in for hardware (loopback tests and simulations).
    pub fn declared(name: &str, uuids: &[&str], memory_bytes: u64, driver_version: &str, cuda: (u8, u8)) -> Self {
        Inventory {
            source: InventorySource::Cpu,
            accelerators: uuids.iter().map(|u| Accelerator { uuid: u.to_string(), name: name.into(), memory_bytes }).collect(),
            driver_version: driver_version.into(),
            cuda,
            nvml_error: None,
        }
    }

    pub fn uuids(&self) -> Vec<String> {
        self.accelerators.iter().map(|a| a.uuid.clone()).collect()
    }
}

/// Reads the inventory: NVML when it loads and sees a GPU, else the fallbacks.
pub fn inventory() -> Inventory {
    match nvml_inventory() {
        Ok(found) if !found.accelerators.is_empty() => found,
        Ok(_) => fallback(Some("NVML loaded but reports no GPU".into())),
        Err(e) => fallback(Some(e)),
    }
}

fn nvml_inventory() -> Result<Inventory, String> {
    let nvml = nvml_wrapper::Nvml::init().map_err(|e| format!("NVML unavailable: {e}"))?;
    let driver_version = nvml.sys_driver_version().map_err(|e| e.to_string())?;
    // NVML reports the CUDA version as major * 1000 + minor * 10.
    let cuda = nvml.sys_cuda_driver_version().map_err(|e| e.to_string())?;
    let cuda = ((cuda / 1000) as u8, ((cuda % 1000) / 10) as u8);
    let count = nvml.device_count().map_err(|e| e.to_string())?;
    let mut accelerators = Vec::with_capacity(count as usize);
    for index in 0..count {
        let device = nvml.device_by_index(index).map_err(|e| e.to_string())?;
        accelerators.push(Accelerator {
            uuid: device.uuid().map_err(|e| e.to_string())?,
            name: device.name().map_err(|e| e.to_string())?,
            memory_bytes: device.memory_info().map_err(|e| e.to_string())?.total,
        });
    }
    Ok(Inventory { source: InventorySource::Nvml, accelerators, driver_version, cuda, nvml_error: None })
}

fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn fallback(nvml_error: Option<String>) -> Inventory {
    let apple = cfg!(target_os = "macos")
        .then(|| command_output("sysctl", &["-n", "machdep.cpu.brand_string"]))
        .flatten()
        .filter(|brand| brand.starts_with("Apple"));
    let (source, name, uuid, memory_bytes) = match apple {
        Some(brand) => {
            let uuid = command_output("ioreg", &["-rd1", "-c", "IOPlatformExpertDevice"])
                .and_then(|text| platform_uuid(&text))
                .unwrap_or_default();
            let memory = command_output("sysctl", &["-n", "hw.memsize"]).and_then(|m| m.parse().ok()).unwrap_or(0);
            (InventorySource::AppleSilicon, brand, uuid, memory)
        }
        None => {
            let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
            let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
            let machine_id = std::fs::read_to_string("/etc/machine-id").unwrap_or_default();
            (InventorySource::Cpu, cpu_brand(&cpuinfo), machine_id.trim().to_string(), mem_total(&meminfo))
        }
    };
    Inventory {
        source,
        accelerators: vec![Accelerator { uuid, name, memory_bytes }],
        driver_version: String::new(),
        cuda: (0, 0),
        nvml_error,
    }
}

/// `"IOPlatformUUID" = "XXXX-..."` in `ioreg` output.
fn platform_uuid(ioreg: &str) -> Option<String> {
    let line = ioreg.lines().find(|l| l.contains("\"IOPlatformUUID\""))?;
    line.split('"').nth(3).map(str::to_string)
}

fn cpu_brand(cpuinfo: &str) -> String {
    cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|rest| rest.split_once(':')).map(|(_, v)| v.trim().to_string()))
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

fn mem_total(meminfo: &str) -> u64 {
    meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// The catalogue model a vendor name stands for: the longest catalogue name found in it as
/// whole words ("NVIDIA GeForce RTX 4090" -> "RTX 4090", "NVIDIA H100 80GB HBM3" -> "H100",
/// "Apple M2 Max" -> "Apple M2 Max", not "Apple M2").
pub fn catalogue_model<'a>(vendor_name: &str, catalogue: &[&'a str]) -> Option<&'a str> {
    let words: Vec<String> = vendor_name.split_whitespace().map(str::to_ascii_lowercase).collect();
    catalogue
        .iter()
        .filter(|model| {
            let model: Vec<String> = model.split_whitespace().map(str::to_ascii_lowercase).collect();
            !model.is_empty() && words.windows(model.len()).any(|w| w == model.as_slice())
        })
        .max_by_key(|model| model.len())
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CATALOGUE: [&str; 8] = ["H100", "A100", "RTX 4090", "RTX A6000", "RTX A5000", "Apple M2", "Apple M2 Max", "L40S"];

    #[test]
    fn vendor_names_map_to_catalogue_models() {
        assert_eq!(catalogue_model("NVIDIA H100 80GB HBM3", &CATALOGUE), Some("H100"));
        assert_eq!(catalogue_model("NVIDIA GeForce RTX 4090", &CATALOGUE), Some("RTX 4090"));
        assert_eq!(catalogue_model("NVIDIA RTX A6000", &CATALOGUE), Some("RTX A6000"));
        assert_eq!(catalogue_model("Apple M2 Max", &CATALOGUE), Some("Apple M2 Max"));
        assert_eq!(catalogue_model("Apple M2", &CATALOGUE), Some("Apple M2"));
        assert_eq!(catalogue_model("NVIDIA A100-SXM4-40GB", &CATALOGUE), None, "no whole-word match: not guessed");
        assert_eq!(catalogue_model("NVIDIA H1000", &CATALOGUE), None);
    }

    #[test]
    fn fallbacks_parse_what_the_system_reports() {
        assert_eq!(cpu_brand("processor\t: 0\nmodel name\t: AMD EPYC 9654 96-Core Processor\n"), "AMD EPYC 9654 96-Core Processor");
        assert_eq!(mem_total("MemTotal:       24576000 kB\nMemFree: 1 kB\n"), 24_576_000 * 1024);
        let ioreg = "+-o J416cAP  <class IOPlatformExpertDevice>\n    \"IOPlatformUUID\" = \"1234ABCD-0000-1111-2222-333344445555\"\n";
        assert_eq!(platform_uuid(ioreg).as_deref(), Some("1234ABCD-0000-1111-2222-333344445555"));
    }

    /// On this machine (no NVIDIA driver in CI) the agent still starts and reports the CPU.
    #[test]
    fn the_agent_starts_without_a_gpu_driver() {
        let found = inventory();
        assert!(!found.accelerators.is_empty());
        if found.source != InventorySource::Nvml {
            assert!(found.nvml_error.is_some());
            assert_eq!(found.cuda, (0, 0));
        }
    }
}
