//! Configuration and scenario files (TOML). Units are in the field names or their docs; every default cites
//! its source. A scenario is a machine configuration plus processes, each a list of steps that mirror system
//! calls and memory accesses.
//!
//! `--set key=value` edits the TOML tree before it is deserialized, so overrides get the same checks as the file.

use crate::mmu::tlb::TlbConfig;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// A size in bytes, written as an integer or a string with a binary unit: `4096`, `"64KiB"`, `"2 GiB"`, `"1G"`.
/// `K`, `KB` and `KiB` all mean 1024 (as in `/proc/meminfo`'s `kB`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Default, Serialize)]
#[serde(transparent)]
pub struct ByteSize(pub u64);

impl ByteSize {
    /// Parse `"64KiB"` and friends.
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let split = t
            .find(|c: char| {
                !(c.is_ascii_digit() || c == '_' || c == 'x' || c.is_ascii_hexdigit() && t.starts_with("0x"))
            })
            .unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let num = num.replace('_', "");
        let n = if let Some(h) = num.strip_prefix("0x") { u64::from_str_radix(h, 16) } else { num.parse::<u64>() }
            .map_err(|_| format!("invalid size {s:?} (expected a number of bytes, e.g. 4096, \"64KiB\", \"2GiB\")"))?;
        let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1,
            "k" | "kb" | "kib" => 1 << 10,
            "m" | "mb" | "mib" => 1 << 20,
            "g" | "gb" | "gib" => 1 << 30,
            "t" | "tb" | "tib" => 1 << 40,
            "p" | "page" | "pages" => 4096,
            other => {
                return Err(format!("unknown size unit {other:?} in {s:?} (expected B, KiB, MiB, GiB, TiB or pages)"))
            }
        };
        n.checked_mul(mult).map(ByteSize).ok_or_else(|| format!("size {s:?} overflows 64 bits"))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        for (shift, unit) in [(40, "TiB"), (30, "GiB"), (20, "MiB"), (10, "KiB")] {
            if b >= 1 << shift && b % (1 << shift) == 0 {
                return write!(f, "{} {unit}", b >> shift);
            }
        }
        write!(f, "{b} B")
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(ByteSize(n)),
            Raw::S(s) => ByteSize::parse(&s).map_err(serde::de::Error::custom),
        }
    }
}

/// Which paging mode the machine uses.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub enum ArchKind {
    /// x86-64 4-level paging (SDM Vol 3A §4.5).
    #[default]
    #[serde(rename = "x86-64")]
    X86_64,
    /// The single-level teaching table of the seed note (512 pages).
    #[serde(rename = "linear")]
    Linear,
}

/// Default simulated RAM: 1 GiB.
pub const DEFAULT_MEMORY: u64 = 1 << 30;

/// Most CPUs a machine may have (`machine.cpus`).
pub const MAX_CPUS: u32 = 1024;

/// `[machine]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MachineConfig {
    /// Paging mode: `"x86-64"` (default) or `"linear"`.
    pub arch: ArchKind,
    /// RAM size (bytes or `"64MiB"`). Default 1 GiB. Ignored when `frames` is given.
    pub memory: ByteSize,
    /// RAM size in 4 KiB frames; overrides `memory`.
    pub frames: Option<u64>,
    /// Page size in bytes. Only 4096 is supported (x86-64 base pages).
    pub page_size: u64,
    /// Seed for every random choice (default 0). The same input and seed give byte-identical output.
    pub seed: u64,
    /// Map the shared zero page on read faults (default true, mm/memory.c `do_anonymous_page`).
    pub zero_page: bool,
    /// Tag TLB entries with a PCID per address space (default true; Linux uses PCIDs when the CPU has them).
    pub pcid: bool,
    /// Number of CPUs, each with its own TLBs and paging-structure caches (default 1). Processes are placed on
    /// the CPUs in turn.
    pub cpus: u32,
    /// Scheduler quantum in accesses: a process's turn ends after this many accesses of a read/write/exec step,
    /// and the rest of the step runs at its next turn (round-robin). 0 (default): a turn is one whole step.
    pub quantum: u64,
}

impl Default for MachineConfig {
    fn default() -> Self {
        Self {
            arch: ArchKind::X86_64,
            memory: ByteSize(DEFAULT_MEMORY),
            frames: None,
            page_size: 4096,
            seed: 0,
            zero_page: true,
            pcid: true,
            cpus: 1,
            quantum: 0,
        }
    }
}

impl MachineConfig {
    /// Number of frames of RAM.
    pub fn frames(&self) -> u64 {
        self.frames.unwrap_or(self.memory.0 / 4096)
    }
}

/// `[cost]`: the effective-access-time model. Latencies in nanoseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CostConfig {
    /// TLB lookup, paid by every translation. Default 1 ns (an L1 TLB hit is ~1 cycle, pipelined).
    pub tlb_hit_ns: f64,
    /// One memory reference: the data access itself and each page-table entry a walk reads. Default 100 ns
    /// (DRAM latency; Hennessy & Patterson, *Computer Architecture* 6th ed., ch. 2).
    pub memory_ns: f64,
    /// Minor fault service time. Default 1000 ns (trap, handler, zeroing a page: ~1 µs on current x86).
    pub minor_fault_ns: f64,
    /// Major fault service time. Default 8 ms (Silberschatz et al., *Operating System Concepts* 10th ed.,
    /// §10.2.2: "an average page-fault service time of 8 milliseconds").
    pub major_fault_ns: f64,
}

impl Default for CostConfig {
    fn default() -> Self {
        Self { tlb_hit_ns: 1.0, memory_ns: 100.0, minor_fault_ns: 1_000.0, major_fault_ns: 8_000_000.0 }
    }
}

/// `[reclaim]`: page replacement and reclaim (LINUX-VM-SPEC §5).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReclaimConfig {
    /// Replacement policy: fifo, lru, clock, opt, random, sieve, s3fifo, linux. Default `linux` (the
    /// active/inactive two-list LRU of mm/vmscan.c).
    pub policy: crate::reclaim::PolicyKind,
    /// Exact (teaching) mode: no zero page, no readahead, no watermarks, no batching; a fault that finds all
    /// `machine.frames` frames in use evicts exactly one page; page-table frames are not counted.
    pub exact: bool,
    /// `vm.swappiness`, 0..=200. Default 60 (mm/vmscan.c `vm_swappiness`).
    pub swappiness: u32,
    /// `vm.watermark_scale_factor`, 1..=3000, in 1/10000 of memory. Default 10 (mm/page_alloc.c).
    pub watermark_scale_factor: u32,
    /// `vm.page-cluster`: swap readahead reads up to `2^page_cluster` pages, 0..=31. Default 3 (mm/swap.c).
    pub page_cluster: u32,
    /// Verify mode: checksum every page written to swap and check it when read back, and compare every clean file
    /// page reclaim drops with its file (no page may be lost).
    pub verify: bool,
    /// File readahead window in KiB (`/sys/block/*/queue/read_ahead_kb`), 0..=65536; 0 turns readahead off.
    /// Default 128 (`VM_READAHEAD_PAGES`, include/linux/mm.h).
    pub read_ahead_kb: u32,
}

impl Default for ReclaimConfig {
    fn default() -> Self {
        Self {
            policy: crate::reclaim::PolicyKind::Linux,
            exact: false,
            swappiness: 60,
            watermark_scale_factor: 10,
            page_cluster: 3,
            verify: false,
            read_ahead_kb: 128,
        }
    }
}

/// `[swap]`: swap areas (mm/swapfile.c; SPEC §6).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SwapConfig {
    /// Size of the default in-memory swap area (bytes or `"1GiB"`); 0 for no swap. Default 1 GiB.
    /// Ignored when `devices` is non-empty.
    pub size: ByteSize,
    /// Swap areas, highest priority used first (`[[swap.devices]]`: `size_pages`, `priority`, `file`).
    pub devices: Vec<crate::swap::swapfile::SwapDeviceConfig>,
}

impl Default for SwapConfig {
    fn default() -> Self {
        Self { size: ByteSize(1 << 30), devices: Vec::new() }
    }
}

/// Everything that configures a machine (the overridable part of a scenario).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// `[machine]`.
    pub machine: MachineConfig,
    /// `[tlb]`: geometry of the TLBs and paging-structure caches.
    pub tlb: TlbConfig,
    /// `[cost]`.
    pub cost: CostConfig,
    /// `[reclaim]`.
    pub reclaim: ReclaimConfig,
    /// `[swap]`.
    pub swap: SwapConfig,
}

/// An address in a step: a number, or a region name with an optional offset (`"buf"`, `"buf+0x1000"`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddrExpr {
    /// An absolute address.
    Abs(u64),
    /// A named region plus an offset in bytes.
    Region(String, u64),
}

impl<'de> Deserialize<'de> for AddrExpr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(AddrExpr::Abs(n)),
            Raw::S(s) => AddrExpr::parse(&s).map_err(serde::de::Error::custom),
        }
    }
}

fn parse_u64(s: &str) -> Option<u64> {
    let s = s.trim().replace('_', "");
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else {
        s.parse().ok()
    }
}

impl AddrExpr {
    /// Parse `"0x1000"`, `"4096"`, `"buf"` or `"buf+0x10"`.
    pub fn parse(s: &str) -> Result<Self, String> {
        if let Some(n) = parse_u64(s) {
            return Ok(AddrExpr::Abs(n));
        }
        let (name, off) = match s.split_once('+') {
            Some((n, o)) => (n.trim(), parse_u64(o).ok_or_else(|| format!("bad offset in address {s:?}"))?),
            None => (s.trim(), 0),
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(format!(
                "bad address {s:?} (expected a number like 0x1000 or a region name like \"buf+0x10\")"
            ));
        }
        Ok(AddrExpr::Region(name.to_string(), off))
    }
}

fn default_prot() -> String {
    "rw".into()
}
fn one() -> ByteSize {
    ByteSize(1)
}
fn page() -> ByteSize {
    ByteSize(4096)
}
fn one_u32() -> u32 {
    1
}
fn default_value() -> u8 {
    0x5A
}

/// One step of a process.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
pub enum Step {
    /// `mmap(addr, len, prot, MAP_PRIVATE|MAP_ANONYMOUS[|MAP_FIXED])`; `name` lets later steps refer to it.
    Mmap {
        /// Region name for later steps.
        name: Option<String>,
        /// Address hint, or exact address with `fixed`.
        addr: Option<AddrExpr>,
        /// Length.
        len: ByteSize,
        /// `"rw"`, `"r"`, `"rx"`, `"rwx"`, `"none"`.
        #[serde(default = "default_prot")]
        prot: String,
        /// `MAP_FIXED`.
        #[serde(default)]
        fixed: bool,
        /// `MAP_GROWSDOWN`.
        #[serde(default)]
        grows_down: bool,
        /// `MAP_SHARED`: forked children (and every mapping of the same file) share the pages instead of copying
        /// them. Without `file`: anonymous shared memory (shmem).
        #[serde(default)]
        shared: bool,
        /// Map this `[[file]]` (by name) instead of anonymous memory.
        file: Option<String>,
        /// With `file`: the file offset mapped at the start (page aligned; default 0).
        #[serde(default)]
        offset: ByteSize,
    },
    /// `msync(addr, len, MS_SYNC)`: write the dirty pages of shared file mappings in the range back to the file.
    Msync {
        /// Start (page aligned).
        addr: AddrExpr,
        /// Length.
        len: ByteSize,
    },
    /// `echo 1 > /proc/sys/vm/drop_caches`: drop every clean, unmapped page-cache page.
    #[serde(rename = "drop_caches")]
    DropCaches,
    /// `munmap(addr, len)`.
    Munmap {
        /// Start (page aligned).
        addr: AddrExpr,
        /// Length.
        len: ByteSize,
    },
    /// `mprotect(addr, len, prot)`.
    Mprotect {
        /// Start (page aligned).
        addr: AddrExpr,
        /// Length.
        len: ByteSize,
        /// New protection.
        prot: String,
    },
    /// `brk(start_brk + size)`: set the heap size in bytes.
    Brk {
        /// New heap size (the break minus `start_brk`).
        size: ByteSize,
    },
    /// Read one byte every `stride` bytes over `[addr, addr+len)`, the whole sweep `repeat` times.
    Read {
        /// Start.
        addr: AddrExpr,
        /// Length of the range (default 1 byte).
        #[serde(default = "one")]
        len: ByteSize,
        /// Distance between accesses (default 4096: one access per page).
        #[serde(default = "page")]
        stride: ByteSize,
        /// Sweeps (default 1).
        #[serde(default = "one_u32")]
        repeat: u32,
    },
    /// Write the byte `value` every `stride` bytes over `[addr, addr+len)`, `repeat` times.
    Write {
        /// Start.
        addr: AddrExpr,
        /// Length (default 1 byte).
        #[serde(default = "one")]
        len: ByteSize,
        /// Distance between accesses (default 4096).
        #[serde(default = "page")]
        stride: ByteSize,
        /// Sweeps (default 1).
        #[serde(default = "one_u32")]
        repeat: u32,
        /// Byte written (default 0x5A).
        #[serde(default = "default_value")]
        value: u8,
    },
    /// Fetch an instruction every `stride` bytes over `[addr, addr+len)`, `repeat` times.
    Exec {
        /// Start.
        addr: AddrExpr,
        /// Length (default 1 byte).
        #[serde(default = "one")]
        len: ByteSize,
        /// Distance between accesses (default 4096).
        #[serde(default = "page")]
        stride: ByteSize,
        /// Sweeps (default 1).
        #[serde(default = "one_u32")]
        repeat: u32,
    },
    /// Store the given bytes: `text = "hello"` or `hex = "deadbeef"`.
    Store {
        /// Start.
        addr: AddrExpr,
        /// UTF-8 text to store.
        text: Option<String>,
        /// Hex bytes to store.
        hex: Option<String>,
    },
    /// Read the bytes at `addr` and compare them with `text` or `hex`; a mismatch is reported as an event
    /// (`EXPECT FAILED`) naming the address, what was read and what was expected.
    Expect {
        /// Start.
        addr: AddrExpr,
        /// UTF-8 text expected.
        text: Option<String>,
        /// Hex bytes expected.
        hex: Option<String>,
    },
    /// Teaching set-up: map virtual page `page` to frame `frame`, or mark it swapped out to swap slot `swap`.
    Pin {
        /// Virtual page number.
        page: u64,
        /// Frame number.
        frame: Option<u64>,
        /// Swap slot (offset in swap area 0).
        swap: Option<u64>,
        /// With `swap`: text stored at the start of the swapped-out page.
        text: Option<String>,
    },
    /// `exit(0)`: free everything.
    Exit,
    /// `fork()`: start the `[[process]]` named `child` as a copy-on-write copy of this one. The child inherits the
    /// parent's named regions; its own entry lists its steps and is not started at boot.
    Fork {
        /// Name of the child's `[[process]]` entry.
        child: String,
    },
    /// `clone(CLONE_VM | CLONE_THREAD)`: start the `[[process]]` named `child` as a thread sharing this
    /// process's address space.
    Thread {
        /// Name of the thread's `[[process]]` entry.
        child: String,
    },
    /// `wait4()`: block until the named child (or any child) has exited, and reap it.
    Wait {
        /// Name of the child to wait for (default: any child).
        child: Option<String>,
    },
    /// `execve()`: replace the address space with a fresh one (stack only); named regions are forgotten.
    Execve,
    /// `madvise(addr, len, advice)`; `advice = "dontneed"`.
    Madvise {
        /// Start (page aligned).
        addr: AddrExpr,
        /// Length.
        len: ByteSize,
        /// The advice: `"dontneed"`.
        advice: String,
    },
}

impl Step {
    /// The process a `fork` or `thread` step starts.
    pub fn starts(&self) -> Option<&str> {
        match self {
            Step::Fork { child } | Step::Thread { child } => Some(child),
            _ => None,
        }
    }
}

/// `[[process]]`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessConfig {
    /// `comm`.
    pub name: String,
    /// Steps in order.
    #[serde(default)]
    pub steps: Vec<toml::Spanned<Step>>,
    /// `RLIMIT_STACK` override.
    pub stack_limit: Option<ByteSize>,
    /// What the process demonstrates, shown in the report.
    pub description: Option<String>,
    /// A memory limit like cgroup v2 `memory.max` for this process's own group (bytes or `"8MiB"`): a charge
    /// beyond it reclaims inside the group, and the group OOM killer ends the process if nothing can be
    /// reclaimed.
    pub memory_max: Option<ByteSize>,
    /// The CPU the process runs on, `0..machine.cpus` (`taskset -c N`). Default: processes are placed on the CPUs
    /// in turn.
    pub cpu: Option<u32>,
}

/// `[[file]]`: a simulated file that mmap steps can map by name.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Its name (`file = "NAME"` in an mmap step).
    pub name: String,
    /// Size (bytes or `"1MiB"`). Default: the host file's size with `path`, else required.
    pub size: Option<ByteSize>,
    /// Contents: `"pattern"` (default: each page holds the text `"NAME page N\n"` repeated) or `"zero"`.
    pub content: Option<String>,
    /// A host file whose bytes are the contents (relative to the scenario's directory).
    pub path: Option<PathBuf>,
}

/// A whole scenario file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// `[machine]`.
    #[serde(default)]
    pub machine: MachineConfig,
    /// `[tlb]`.
    #[serde(default)]
    pub tlb: TlbConfig,
    /// `[cost]`.
    #[serde(default)]
    pub cost: CostConfig,
    /// `[reclaim]`.
    #[serde(default)]
    pub reclaim: ReclaimConfig,
    /// `[swap]`.
    #[serde(default)]
    pub swap: SwapConfig,
    /// Free text shown in reports.
    #[serde(default)]
    pub description: Option<String>,
    /// `[[process]]`.
    #[serde(default)]
    pub process: Vec<ProcessConfig>,
    /// `[[file]]`: simulated files.
    #[serde(default)]
    pub file: Vec<toml::Spanned<FileConfig>>,
}

/// A bad configuration or scenario, located.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", .path.display())]
pub struct ConfigError {
    /// The file (or `--set` for overrides).
    pub path: PathBuf,
    /// 1-based line (0 when not known).
    pub line: usize,
    /// 1-based column (0 when not known).
    pub column: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

/// Join a multi-line message into one line (errors are printed on one line).
pub fn one_line(m: &str) -> String {
    m.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ")
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(before.len(), |i| before.len() - i - 1) + 1;
    (line, col)
}

impl ConfigError {
    /// An error at a byte span of `text`.
    pub fn at(path: &Path, text: &str, offset: usize, message: impl Into<String>) -> Self {
        let (line, column) = line_col(text, offset);
        Self { path: path.to_path_buf(), line, column, message: one_line(&message.into()) }
    }
}

impl Scenario {
    /// Parse and validate a scenario; `--set` overrides are applied to the machine part.
    pub fn parse(path: &Path, text: &str, sets: &[String]) -> Result<(Scenario, SimConfig), ConfigError> {
        let scenario: Scenario = toml::from_str(text).map_err(|e| {
            let off = e.span().map_or(0, |s| s.start);
            ConfigError::at(path, text, off, e.message().trim().to_string())
        })?;
        let mut table: toml::Table = toml::from_str(text).map_err(|e| ConfigError::at(path, text, 0, e.message()))?;
        table.remove("process");
        table.remove("description");
        table.remove("file");
        let sim = SimConfig::from_table(table, sets)?;
        sim.validate().map_err(|m| ConfigError { path: path.to_path_buf(), line: 0, column: 0, message: m })?;
        Ok((scenario, sim))
    }
}

impl SimConfig {
    /// Defaults plus `--set` overrides.
    pub fn from_sets(sets: &[String]) -> Result<SimConfig, ConfigError> {
        let sim = Self::from_table(toml::Table::new(), sets)?;
        sim.validate().map_err(|m| ConfigError { path: "--set".into(), line: 0, column: 0, message: m })?;
        Ok(sim)
    }

    fn from_table(table: toml::Table, sets: &[String]) -> Result<SimConfig, ConfigError> {
        let err = |m: String| ConfigError { path: "--set".into(), line: 0, column: 0, message: m };
        let base = SimConfig::deserialize(toml::Value::Table(table)).map_err(|e| err(one_line(e.message())))?;
        if sets.is_empty() {
            return Ok(base);
        }
        // Overrides edit the complete tree (file values plus defaults), so `tlb.l1d.entries=32` keeps `ways`.
        let mut full = toml::Table::try_from(&base).map_err(|e| err(e.to_string()))?;
        for s in sets {
            apply_set(&mut full, s)?;
        }
        SimConfig::deserialize(toml::Value::Table(full))
            .map_err(|e| err(format!("{} (in {})", one_line(e.message()), sets.join(", "))))
    }

    /// Range checks that serde cannot express.
    pub fn validate(&self) -> Result<(), String> {
        if self.machine.page_size != 4096 {
            return Err(format!(
                "machine.page_size = {}: only 4096 is supported (x86-64 base pages)",
                self.machine.page_size
            ));
        }
        if !(1..=MAX_CPUS).contains(&self.machine.cpus) {
            return Err(format!("machine.cpus = {}: out of range 1..={MAX_CPUS}", self.machine.cpus));
        }
        let frames = self.machine.frames();
        if !(4..=(1 << 36)).contains(&frames) {
            return Err(format!(
                "machine memory of {frames} frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"
            ));
        }
        let r = &self.reclaim;
        if r.swappiness > 200 {
            return Err(format!("reclaim.swappiness = {}: out of range 0..=200 (vm.swappiness)", r.swappiness));
        }
        if !(1..=3000).contains(&r.watermark_scale_factor) {
            return Err(format!(
                "reclaim.watermark_scale_factor = {}: out of range 1..=3000 (vm.watermark_scale_factor)",
                r.watermark_scale_factor
            ));
        }
        if r.page_cluster > 31 {
            return Err(format!("reclaim.page_cluster = {}: out of range 0..=31 (vm.page-cluster)", r.page_cluster));
        }
        if r.read_ahead_kb > 65536 {
            return Err(format!("reclaim.read_ahead_kb = {}: out of range 0..=65536 (KiB)", r.read_ahead_kb));
        }
        for (name, v) in [
            ("cost.tlb_hit_ns", self.cost.tlb_hit_ns),
            ("cost.memory_ns", self.cost.memory_ns),
            ("cost.minor_fault_ns", self.cost.minor_fault_ns),
            ("cost.major_fault_ns", self.cost.major_fault_ns),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("{name} = {v}: must be a non-negative number of nanoseconds"));
            }
        }
        Ok(())
    }
}

/// Apply `key.path=value` to a TOML table. The value is parsed as TOML, or taken as a string if that fails.
pub fn apply_set(table: &mut toml::Table, set: &str) -> Result<(), ConfigError> {
    let err = |m: String| ConfigError { path: "--set".into(), line: 0, column: 0, message: m };
    let (key, value) =
        set.split_once('=').ok_or_else(|| err(format!("{set:?}: expected key=value, e.g. machine.memory=2GiB")))?;
    let parts: Vec<&str> = key.trim().split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(err(format!("{set:?}: empty key component")));
    }
    let v: toml::Value = match toml::from_str::<toml::Table>(&format!("v = {}", value.trim())) {
        Ok(mut t) => t.remove("v").unwrap_or(toml::Value::String(value.trim().into())),
        Err(_) => toml::Value::String(value.trim().to_string()),
    };
    let mut cur = table;
    for p in &parts[..parts.len() - 1] {
        let entry = cur.entry(p.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        cur = entry.as_table_mut().ok_or_else(|| err(format!("{set:?}: {p} is not a table")))?;
    }
    cur.insert(parts[parts.len() - 1].to_string(), v);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes() {
        assert_eq!(ByteSize::parse("4096"), Ok(ByteSize(4096)));
        assert_eq!(ByteSize::parse("64KiB"), Ok(ByteSize(64 << 10)));
        assert_eq!(ByteSize::parse("2 GiB"), Ok(ByteSize(2 << 30)));
        assert_eq!(ByteSize::parse("3pages"), Ok(ByteSize(3 * 4096)));
        assert_eq!(ByteSize::parse("0x1000"), Ok(ByteSize(4096)));
        assert!(ByteSize::parse("12 parsecs").is_err());
        assert!(ByteSize::parse("999999999999TiB").is_err());
        assert_eq!(ByteSize(64 << 20).to_string(), "64 MiB");
    }

    #[test]
    fn addr_exprs() {
        assert_eq!(AddrExpr::parse("0x1000"), Ok(AddrExpr::Abs(0x1000)));
        assert_eq!(AddrExpr::parse("buf+0x10"), Ok(AddrExpr::Region("buf".into(), 16)));
        assert_eq!(AddrExpr::parse("buf"), Ok(AddrExpr::Region("buf".into(), 0)));
        assert!(AddrExpr::parse("b u f").is_err());
    }

    #[test]
    fn scenario_errors_are_located() {
        let text = "[machine]\narch = \"x86-64\"\n\n[[process]]\nname = \"a\"\nsteps = [ { op = \"jump\" } ]\n";
        let e = Scenario::parse(Path::new("s.toml"), text, &[]).unwrap_err();
        assert_eq!(e.line, 6, "{e}");
        assert!(e.to_string().starts_with("s.toml:6:"), "{e}");
        assert!(e.message.contains("jump"), "{e}");
    }

    #[test]
    fn set_overrides_are_checked() {
        let sim = SimConfig::from_sets(&["machine.memory=64MiB".into(), "tlb.l1d.entries=32".into()]).unwrap();
        assert_eq!(sim.machine.frames(), 16384);
        assert_eq!(sim.tlb.l1d.entries, 32);
        let e = SimConfig::from_sets(&["machine.colour=red".into()]).unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
        let e = SimConfig::from_sets(&["machine.page_size=8192".into()]).unwrap_err();
        assert!(e.to_string().contains("only 4096"), "{e}");
    }
}
