//! Configuration and scenario files (TOML). Units are in the field names or their docs; every default cites
//! its source. A scenario is a machine configuration plus processes, each a list of steps that mirror system
//! calls and memory accesses.
//!
//! `--set key=value` edits the TOML tree before it is deserialized, so overrides get the same checks as the file.

use crate::mmu::tlb::TlbConfig;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// Largest machine: 2^36 frames of 4 KiB, 256 TiB (x86-64 `MAX_PHYSMEM_BITS` = 46 with 4-level paging,
/// arch/x86/include/asm/sparsemem.h).
pub const MAX_MACHINE_FRAMES: u64 = 1 << 36;

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

/// A value written as a non-negative integer or a string (sizes, addresses). A visitor rather than an untagged
/// enum, so a wrong type is reported as what it is and what was expected (issue 12: not serde's "did not match any
/// variant of untagged enum").
enum NumOrString {
    N(u64),
    S(String),
}

struct NumOrStringVisitor(&'static str);

impl serde::de::Visitor<'_> for NumOrStringVisitor {
    type Value = NumOrString;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<NumOrString, E> {
        Ok(NumOrString::N(v))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<NumOrString, E> {
        u64::try_from(v).map(NumOrString::N).map_err(|_| E::custom(format!("{v} is negative (expected {})", self.0)))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<NumOrString, E> {
        Ok(NumOrString::S(v.to_owned()))
    }
}

fn num_or_string<'de, D: Deserializer<'de>>(d: D, expecting: &'static str) -> Result<NumOrString, D::Error> {
    d.deserialize_any(NumOrStringVisitor(expecting))
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match num_or_string(d, "a size: a number of bytes, or a string like \"64KiB\"")? {
            NumOrString::N(n) => Ok(ByteSize(n)),
            NumOrString::S(s) => ByteSize::parse(&s).map_err(serde::de::Error::custom),
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
    /// A major fault served from zswap: the fault itself plus decompressing one page. Default 1824 ns: the
    /// 1000 ns minor-fault cost plus 824 ns to decompress 4 KiB with LZ4 at 4970 MB/s (the lz4 README's benchmark,
    /// Core i7-9700K, lzbench on Silesia). For zstd (1700 MB/s on the same machine, zstd README) use 3410.
    pub zswap_load_ns: f64,
}

impl Default for CostConfig {
    fn default() -> Self {
        Self {
            tlb_hit_ns: 1.0,
            memory_ns: 100.0,
            minor_fault_ns: 1_000.0,
            major_fault_ns: 8_000_000.0,
            zswap_load_ns: 1_824.0,
        }
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

/// `[vm]`: the overcommit sysctls (`/proc/sys/vm/overcommit_*`, `admin_reserve_kbytes`, `user_reserve_kbytes`;
/// mm/util.c; LINUX-VM-SPEC §7) and `extfrag_threshold` (mm/compaction.c; SPEC §12).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VmConfig {
    /// `vm.overcommit_memory`: 0 heuristic (default), 1 always, 2 strict.
    pub overcommit_memory: u8,
    /// `vm.overcommit_ratio`, percent of RAM in the commit limit (default 50).
    pub overcommit_ratio: u64,
    /// `vm.overcommit_kbytes`: when non-zero, replaces the ratio (default 0).
    pub overcommit_kbytes: u64,
    /// `vm.admin_reserve_kbytes` (default: Linux's boot value, `min(free_kB / 32, 8192)`).
    pub admin_reserve_kbytes: Option<u64>,
    /// `vm.user_reserve_kbytes` (default: Linux's boot value, `min(free_kB / 32, 131072)`).
    pub user_reserve_kbytes: Option<u64>,
    /// `vm.extfrag_threshold`, 0..=1000 (default 500, mm/compaction.c `sysctl_extfrag_threshold`): direct
    /// compaction for an order above 3 is skipped when the fragmentation index is at or below it.
    pub extfrag_threshold: u32,
}

impl Default for VmConfig {
    fn default() -> Self {
        Self {
            overcommit_memory: 0,
            overcommit_ratio: 50,
            overcommit_kbytes: 0,
            admin_reserve_kbytes: None,
            user_reserve_kbytes: None,
            extfrag_threshold: crate::kernel::compaction::DEFAULT_EXTFRAG_THRESHOLD,
        }
    }
}

impl VmConfig {
    /// The kernel's form.
    pub fn overcommit(&self) -> crate::kernel::overcommit::OvercommitConfig {
        crate::kernel::overcommit::OvercommitConfig {
            mode: crate::kernel::overcommit::OvercommitMode::from_sysctl(self.overcommit_memory).unwrap_or_default(),
            ratio: self.overcommit_ratio,
            kbytes: self.overcommit_kbytes,
            admin_reserve_kbytes: self.admin_reserve_kbytes,
            user_reserve_kbytes: self.user_reserve_kbytes,
        }
    }
}

/// `[zswap]`: the compressed swap cache (`/sys/module/zswap/parameters/`; mm/zswap.c; LINUX-VM-SPEC §10).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ZswapTable {
    /// `enabled` (default false, as Kconfig's `ZSWAP_DEFAULT_ON`).
    pub enabled: bool,
    /// `compressor`: `"lz4"` (default) or `"zstd"`.
    pub compressor: crate::swap::zswap::Compressor,
    /// `max_pool_percent`, 1..=100 (default 20).
    pub max_pool_percent: u32,
    /// `accept_threshold_percent`, 0..=100 (default 90).
    pub accept_threshold_percent: u32,
}

impl Default for ZswapTable {
    fn default() -> Self {
        let d = crate::swap::zswap::ZswapConfig::default();
        Self {
            enabled: d.enabled,
            compressor: d.compressor,
            max_pool_percent: d.max_pool_percent,
            accept_threshold_percent: d.accept_threshold_percent,
        }
    }
}

impl ZswapTable {
    /// The kernel's form.
    pub fn params(&self) -> crate::swap::zswap::ZswapConfig {
        crate::swap::zswap::ZswapConfig {
            enabled: self.enabled,
            compressor: self.compressor,
            max_pool_percent: self.max_pool_percent,
            accept_threshold_percent: self.accept_threshold_percent,
        }
    }
}

/// `[ksm]`: Kernel Samepage Merging (`/sys/kernel/mm/ksm/`; mm/ksm.c; LINUX-VM-SPEC §9).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KsmTable {
    /// `run`: ksmd scans when true (default false).
    pub run: bool,
    /// `pages_to_scan` per wakeup, 1..=1000000 (default 100).
    pub pages_to_scan: u64,
    /// `sleep_millisecs` between wakeups, in simulated milliseconds, 1..=100000 (default 20).
    pub sleep_millisecs: u64,
    /// `max_page_sharing`, 2..=65536 (default 256).
    pub max_page_sharing: u32,
    /// `use_zero_pages` (default false).
    pub use_zero_pages: bool,
}

impl Default for KsmTable {
    fn default() -> Self {
        let d = crate::kernel::ksm::KsmConfig::default();
        Self {
            run: d.run,
            pages_to_scan: d.pages_to_scan,
            sleep_millisecs: d.sleep_millisecs,
            max_page_sharing: u32::try_from(d.max_page_sharing).unwrap_or(256),
            use_zero_pages: d.use_zero_pages,
        }
    }
}

impl KsmTable {
    /// The kernel's form.
    pub fn params(&self) -> crate::kernel::ksm::KsmConfig {
        crate::kernel::ksm::KsmConfig {
            run: self.run,
            pages_to_scan: self.pages_to_scan,
            sleep_millisecs: self.sleep_millisecs,
            max_page_sharing: self.max_page_sharing as usize,
            use_zero_pages: self.use_zero_pages,
        }
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
    /// `[vm]`: overcommit.
    pub vm: VmConfig,
    /// `[zswap]`.
    pub zswap: ZswapTable,
    /// `[ksm]`.
    pub ksm: KsmTable,
    /// `[cache]`: CPU caches (issue 16; off by default).
    pub cache: crate::cache::CacheConfig,
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
        match num_or_string(d, "an address: a number, or a string like \"0x1000\" or \"buf+0x10\"")? {
            NumOrString::N(n) => Ok(AddrExpr::Abs(n)),
            NumOrString::S(s) => AddrExpr::parse(&s).map_err(serde::de::Error::custom),
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
        /// `MAP_NORESERVE`: not charged to `Committed_AS` (ignored when `vm.overcommit_memory = 2`).
        #[serde(default)]
        noreserve: bool,
        /// The result expected: `"ok"` or an errno name such as `"ENOMEM"`. A different result is reported as an
        /// `EXPECT FAILED` event; either way the run goes on.
        expect: Option<String>,
    },
    /// `msync(addr, len, MS_SYNC)`: write the dirty pages of shared file mappings in the range back to the file.
    Msync {
        /// Start (page aligned).
        addr: AddrExpr,
        /// Length.
        len: ByteSize,
    },
    /// `echo 1 > /proc/sys/vm/compact_memory`: compact the whole zone (kernel/compaction.rs); the event log shows
    /// `/proc/buddyinfo` before and after.
    #[serde(rename = "compact_memory")]
    CompactMemory,
    /// `alloc_pages(GFP_KERNEL | __GFP_COMP, order)`, `count` times, as a kernel driver allocates a physically
    /// contiguous buffer (for DMA, say): unmovable blocks of 2^order frames, held by the process until a
    /// `free_pages` step with the same `name` or until it exits. A block the free lists cannot give runs direct
    /// compaction (deferral and `vm.extfrag_threshold` apply); the event log shows what happened.
    #[serde(rename = "alloc_pages")]
    AllocPages {
        /// Order 0..=10 (2^order frames per block).
        order: u8,
        /// Blocks to allocate (default 1).
        #[serde(default = "one_u32")]
        count: u32,
        /// Name for the `free_pages` step.
        name: String,
    },
    /// `__free_pages()` of every block an `alloc_pages` step of this process named `name` holds.
    #[serde(rename = "free_pages")]
    FreePages {
        /// The `alloc_pages` step's name.
        name: String,
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
        /// The result expected: `"ok"` or `"ENOMEM"` (the break did not move).
        expect: Option<String>,
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
    /// Fill `[addr, addr+len)` page by page with generated contents: `content = "zero"`, `"same:0xAB"`,
    /// `"random"`, `"text"` (seeded by `seed`) or `"copy:REGION"` (the same bytes as another region of this
    /// process). `addr` and `len` are page aligned.
    Fill {
        /// Start (page aligned).
        addr: AddrExpr,
        /// Length (whole pages).
        len: ByteSize,
        /// The generator.
        content: String,
        /// Seed of `random` and `text` (default 0; page `i` of a seed is always the same bytes).
        #[serde(default)]
        seed: u64,
    },
    /// Run ksmd's scan now, `batches` times (each one wakeup's `pages_to_scan` pages, ending early at the end of
    /// the list), whatever `ksm.run` says: a teaching step to watch KSM's counters pass by pass.
    #[serde(rename = "ksm_scan")]
    KsmScan {
        /// Wakeups to run (default 1).
        #[serde(default = "one_u32")]
        batches: u32,
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
    /// `exit(0)`: this task ends; its mm is freed with its last user (a process's other threads go on).
    Exit,
    /// `exit_group(0)`: every thread of this task's group ends, as a fatal signal ends them (kernel/exit.c
    /// `do_group_exit`).
    #[serde(rename = "exit_group")]
    ExitGroup,
    /// `fork()`: start the `[[process]]` named `child` as a copy-on-write copy of this one. The child inherits the
    /// parent's named regions; its own entry lists its steps and is not started at boot.
    Fork {
        /// Name of the child's `[[process]]` entry.
        child: String,
        /// The result expected: `"ok"` or an errno name such as `"ENOMEM"`.
        expect: Option<String>,
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
            Step::Fork { child, .. } | Step::Thread { child } => Some(child),
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
    /// Like cgroup v2 `memory.high` for the process's own group: above it, each charge first reclaims the group
    /// back below it (throttling; never an OOM kill).
    pub memory_high: Option<ByteSize>,
    /// `/proc/PID/oom_score_adj`, −1000..=1000 (default 0; −1000: never chosen by the OOM killer). Forks and
    /// threads inherit it unless their own entry sets it.
    pub oom_score_adj: Option<i32>,
    /// User id (default 0, root: `CAP_SYS_ADMIN`, which skips the overcommit admin reserve). Forks inherit it
    /// unless their own entry sets it.
    pub uid: Option<u32>,
    /// Start from a process snapshot (`vmsim snapshot PID -o FILE`; path relative to the scenario): its mappings
    /// become private anonymous mappings at the same addresses, named `snap0`, `snap1`, … in address order, holding
    /// the captured pages, before the process's steps run.
    pub snapshot: Option<PathBuf>,
    /// `prctl(PR_SET_MEMORY_MERGE, 1)`: every private anonymous mapping of the process, present and future, is
    /// mergeable by KSM (as `madvise(MADV_MERGEABLE)` on each).
    #[serde(default)]
    pub memory_merge: bool,
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
    /// `[vm]`.
    #[serde(default)]
    pub vm: VmConfig,
    /// `[zswap]`.
    #[serde(default)]
    pub zswap: ZswapTable,
    /// `[ksm]`.
    #[serde(default)]
    pub ksm: KsmTable,
    /// `[cache]`.
    #[serde(default)]
    pub cache: crate::cache::CacheConfig,
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

/// A bad configuration or scenario, located: `FILE:LINE:COL: message` for a value in a file, `--set KEY=VALUE:
/// message` for an override (or `FILE: message` when the value has no place in the file, e.g. a default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file (or `--set KEY=VALUE` for an override).
    pub path: PathBuf,
    /// 1-based line (0 when not known: then neither line nor column is shown).
    pub line: usize,
    /// 1-based column (0 when not known).
    pub column: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.message)
        } else {
            write!(f, "{}:{}:{}: {}", self.path.display(), self.line, self.column, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

/// One step of a path into a TOML document: a key, or an index into an array (of tables).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TomlPath<'a> {
    /// A table key.
    Key(&'a str),
    /// An array index.
    Index(usize),
}

/// Byte offset of the value at `path` in `text` (a key path such as `machine.cpus` is `[Key("machine"),
/// Key("cpus")]`), or None when the document does not spell it out (a default) or does not parse.
pub fn value_offset(text: &str, path: &[TomlPath<'_>]) -> Option<usize> {
    let doc = toml_edit::ImDocument::parse(text).ok()?;
    let mut item = doc.as_item();
    let mut offset = None;
    for step in path {
        item = match *step {
            TomlPath::Key(k) => item.get(k)?,
            TomlPath::Index(i) => item.get(i)?,
        };
        offset = item.span().map(|s| s.start).or(offset);
    }
    offset
}

/// The dotted key `machine.cpus` as a path.
fn dotted(key: &str) -> Vec<TomlPath<'_>> {
    key.split('.').map(TomlPath::Key).collect()
}

/// The `--set` that gave `key` its value, if any (the last one naming the key, a table holding it, or a key
/// inside it).
fn set_for<'a>(sets: &'a [String], key: &str) -> Option<&'a String> {
    sets.iter().rev().find(|s| {
        let k = s.split_once('=').map_or(s.as_str(), |(k, _)| k).trim();
        k == key || key.starts_with(&format!("{k}.")) || k.starts_with(&format!("{key}."))
    })
}

/// An error about configuration value `key`, blamed on what gave it its value: the `--set` that set it, else its
/// place in the file `(path, text)`, else the file (or `--set` with no file).
pub fn blame(file: Option<(&Path, &str)>, sets: &[String], key: &str, message: impl Into<String>) -> ConfigError {
    blame_any(file, sets, key, &[], message)
}

/// [`blame`] for a value that is wrong together with others (`entries` with `ways`): a `--set` of any of `related`
/// is blamed when none set `key` itself.
fn blame_any(
    file: Option<(&Path, &str)>,
    sets: &[String],
    key: &str,
    related: &[String],
    message: impl Into<String>,
) -> ConfigError {
    let message = one_line(&message.into());
    let set = set_for(sets, key).or_else(|| related.iter().find_map(|k| set_for(sets, k)));
    if let Some(s) = set {
        return ConfigError { path: format!("--set {s}").into(), line: 0, column: 0, message };
    }
    match file {
        Some((path, text)) => match value_offset(text, &dotted(key)) {
            Some(off) => ConfigError::at(path, text, off, message),
            None => ConfigError { path: path.to_path_buf(), line: 0, column: 0, message },
        },
        None => ConfigError { path: "--set".into(), line: 0, column: 0, message },
    }
}

/// A configuration value out of its documented range: its dotted key and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// `machine.cpus`, `tlb.l1d.entries`, ...
    pub key: String,
    /// Keys whose values make `key`'s wrong together with it (`tlb.l1d.ways` for `tlb.l1d.entries`).
    pub related: Vec<String>,
    /// One line: the value, the range, the Linux name.
    pub message: String,
}

impl Invalid {
    fn new(key: &str, message: String) -> Self {
        Self { key: key.to_owned(), related: Vec::new(), message }
    }
}

/// The dotted key a TLB geometry error is about.
fn tlb_key(e: &crate::mmu::tlb::TlbConfigError) -> String {
    use crate::mmu::tlb::TlbConfigError as E;
    match *e {
        E::ZeroWays { tlb } => format!("{tlb}.ways"),
        E::ZeroEntries { tlb }
        | E::TooManyEntries { tlb, .. }
        | E::EntriesNotMultipleOfWays { tlb, .. }
        | E::SetsNotPowerOfTwo { tlb, .. } => format!("{tlb}.entries"),
        E::TooManyPscEntries { field, .. } => field.to_owned(),
    }
}

/// A TOML syntax error's message, never empty: the parser gives none for some control characters.
fn syntax_message(text: &str, offset: usize, message: &str) -> String {
    let m = humanize(&one_line(message));
    if !m.is_empty() {
        return m;
    }
    match text.get(offset..).and_then(|t| t.chars().next()) {
        Some(c) if c.is_control() => format!(
            "control character U+{:04X} is not allowed here (TOML allows tab in comments and strings, and lines end in \\n or \\r\\n)",
            u32::from(c)
        ),
        Some(c) => format!("invalid TOML at {c:?}"),
        None => "the file ends in the middle of a TOML value (an unclosed table, array or string)".to_owned(),
    }
}

/// serde's wording for a wrong type, in the scenario file's terms (no Rust type names).
fn humanize(message: &str) -> String {
    message
        .replace(
            "expected internally tagged enum Step",
            "expected a step, a table like { op = \"read\", addr = \"buf\" }",
        )
        .replace("expected variant identifier", "expected an op name")
        .replace("expected a sequence", "expected an array")
        .replace("expected a map", "expected a table")
        .replace("expected struct MachineConfig", "expected the [machine] table")
        .replace("expected struct ", "expected a table (")
        .replace("expected u8", "expected an integer 0..=255")
        .replace("expected u32", "expected an integer 0..=4294967295")
        .replace("expected u64", "expected a non-negative integer")
        .replace("expected f64", "expected a number")
}

/// One `[[process]]`'s `steps = [...]`, re-read for locating errors.
struct StepsArray {
    /// The process's name.
    name: String,
    /// The array's span.
    span: std::ops::Range<usize>,
    /// Each step's span and value.
    steps: Vec<(std::ops::Range<usize>, toml::Value)>,
}

/// The steps arrays of the `[[process]]` entries.
fn steps_arrays(text: &str) -> Vec<StepsArray> {
    let Ok(doc) = toml_edit::ImDocument::parse(text) else { return Vec::new() };
    let Some(procs) = doc.get("process").and_then(toml_edit::Item::as_array_of_tables) else { return Vec::new() };
    let mut out = Vec::new();
    for p in procs {
        let name = p.get("name").and_then(toml_edit::Item::as_str).unwrap_or("?").to_owned();
        let Some(arr) = p.get("steps").and_then(toml_edit::Item::as_array) else { continue };
        let Some(span) = p.get("steps").and_then(toml_edit::Item::span) else { continue };
        let steps = arr
            .iter()
            .filter_map(|v| {
                let span = v.span()?;
                let value =
                    toml::from_str::<toml::Table>(&format!("v = {}", text.get(span.clone())?)).ok()?.remove("v")?;
                Some((span, value))
            })
            .collect();
        out.push(StepsArray { name, span, steps });
    }
    out
}

/// The first step that does not deserialize, in the steps array holding byte `offset`: located at the step,
/// with its index and op.
fn step_error(path: &Path, text: &str, offset: usize) -> Option<ConfigError> {
    for StepsArray { name, span, steps } in steps_arrays(text) {
        if !span.contains(&offset) {
            continue;
        }
        for (n, (step_span, value)) in steps.into_iter().enumerate() {
            if let Err(e) = Step::deserialize(value) {
                let op = step_op(text, step_span.clone());
                let message =
                    format!("step {} ({op}) of process {name:?}: {}", n + 1, humanize(&one_line(e.message())));
                return Some(ConfigError::at(path, text, step_span.start, message));
            }
        }
    }
    None
}

/// The steps without fields. serde ignores extra keys on a variant without fields, so [`unit_step_with_fields`]
/// checks these by name; a new field-less step belongs here.
const UNIT_STEP_OPS: [&str; 5] = ["exit", "exit_group", "execve", "drop_caches", "compact_memory"];

/// A field-less step ([`UNIT_STEP_OPS`]) written with fields besides `op`.
fn unit_step_with_fields(path: &Path, text: &str) -> Option<ConfigError> {
    for StepsArray { name, steps, .. } in steps_arrays(text) {
        for (n, (span, value)) in steps.into_iter().enumerate() {
            let Some(t) = value.as_table() else { continue };
            let op = t.get("op").and_then(toml::Value::as_str).unwrap_or("");
            let extra: Vec<&str> = t.keys().map(String::as_str).filter(|k| *k != "op").collect();
            if UNIT_STEP_OPS.contains(&op) && !extra.is_empty() {
                let message = format!(
                    "step {} ({op}) of process {name:?}: {op} takes no fields, found `{}`",
                    n + 1,
                    extra.join("`, `")
                );
                return Some(ConfigError::at(path, text, span.start, message));
            }
        }
    }
    None
}

/// The `op` of the step written at `span` of `text` (`"read"`), or `"step"` if it cannot be read back.
pub fn step_op(text: &str, span: std::ops::Range<usize>) -> String {
    text.get(span)
        .and_then(|t| toml::from_str::<toml::Table>(&format!("v = {t}")).ok())
        .and_then(|t| t.get("v")?.get("op")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| "no op".to_owned())
}

/// `FILE:LINE:COL` of key `key` of the `index`-th `[[process]]` (or of the entry itself when the key is not
/// written), for errors about a process rather than a step.
pub fn process_location(path: &Path, text: &str, index: usize, key: &str) -> String {
    let entry = [TomlPath::Key("process"), TomlPath::Index(index)];
    let off = value_offset(text, &[entry[0], entry[1], TomlPath::Key(key)])
        .or_else(|| value_offset(text, &[entry[0], entry[1], TomlPath::Key("name")]))
        .or_else(|| value_offset(text, &entry));
    match off {
        Some(o) => {
            let (l, c) = line_col(text, o);
            format!("{}:{l}:{c}", path.display())
        }
        None => path.display().to_string(),
    }
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
    /// Parse and validate a scenario; `--set` overrides are applied to the machine part. A bad value is blamed on
    /// the `--set` that gave it, or on its line and column in the file.
    pub fn parse(path: &Path, text: &str, sets: &[String]) -> Result<(Scenario, SimConfig), ConfigError> {
        let scenario: Scenario = toml::from_str(text).map_err(|e| {
            let off = e.span().map_or(text.len(), |s| s.start);
            // serde locates an error inside a step at the `steps = [` that holds it: find the step itself.
            step_error(path, text, off)
                .unwrap_or_else(|| ConfigError::at(path, text, off, syntax_message(text, off, e.message())))
        })?;
        if let Some(e) = unit_step_with_fields(path, text) {
            return Err(e);
        }
        let mut table: toml::Table = toml::from_str(text).map_err(|e| {
            let off = e.span().map_or(text.len(), |s| s.start);
            ConfigError::at(path, text, off, syntax_message(text, off, e.message()))
        })?;
        table.remove("process");
        table.remove("description");
        table.remove("file");
        let sim = SimConfig::from_table(table, sets)?;
        sim.check().map_err(|i| blame_any(Some((path, text)), sets, &i.key, &i.related, i.message))?;
        Ok((scenario, sim))
    }
}

impl SimConfig {
    /// Defaults plus `--set` overrides.
    pub fn from_sets(sets: &[String]) -> Result<SimConfig, ConfigError> {
        let sim = Self::from_table(toml::Table::new(), sets)?;
        sim.check().map_err(|i| blame_any(None, sets, &i.key, &i.related, i.message))?;
        Ok(sim)
    }

    fn from_table(table: toml::Table, sets: &[String]) -> Result<SimConfig, ConfigError> {
        let err = |m: String| ConfigError { path: "--set".into(), line: 0, column: 0, message: m };
        let base = SimConfig::deserialize(toml::Value::Table(table)).map_err(|e| err(one_line(e.message())))?;
        if sets.is_empty() {
            return Ok(base);
        }
        // Overrides edit the complete tree (file values plus defaults), so `tlb.l1d.entries=32` keeps `ways`. Each
        // is checked as it is applied, so an error names the override that caused it.
        let mut full = toml::Table::try_from(&base).map_err(|e| err(e.to_string()))?;
        let mut sim = base;
        for s in sets {
            apply_set(&mut full, s)?;
            sim = SimConfig::deserialize(toml::Value::Table(full.clone())).map_err(|e| ConfigError {
                path: format!("--set {s}").into(),
                line: 0,
                column: 0,
                message: humanize(&one_line(e.message())),
            })?;
        }
        Ok(sim)
    }

    /// Range checks that serde cannot express: the first value out of range, as one line.
    pub fn validate(&self) -> Result<(), String> {
        self.check().map_err(|i| i.message)
    }

    /// Range checks that serde cannot express, naming the key of the first value out of range.
    pub fn check(&self) -> Result<(), Invalid> {
        if self.machine.page_size != 4096 {
            return Err(Invalid::new(
                "machine.page_size",
                format!("machine.page_size = {}: only 4096 is supported (x86-64 base pages)", self.machine.page_size),
            ));
        }
        if !(1..=MAX_CPUS).contains(&self.machine.cpus) {
            return Err(Invalid::new(
                "machine.cpus",
                format!("machine.cpus = {}: out of range 1..={MAX_CPUS}", self.machine.cpus),
            ));
        }
        let frames = self.machine.frames();
        // At most 2^36 frames (256 TiB, x86-64's MAX_PHYSMEM_BITS = 46 with 4-level paging). Host memory follows
        // the frames in use, not the size of RAM (docs/performance.md): the buddy allocator packs them at the bottom.
        if !(4..=MAX_MACHINE_FRAMES).contains(&frames) {
            let key = if self.machine.frames.is_some() { "machine.frames" } else { "machine.memory" };
            return Err(Invalid::new(
                key,
                format!("machine memory of {frames} frames is out of range 4..=2^36 frames (16 KiB ..= 256 TiB)"),
            ));
        }
        let r = &self.reclaim;
        if r.swappiness > 200 {
            return Err(Invalid::new(
                "reclaim.swappiness",
                format!("reclaim.swappiness = {}: out of range 0..=200 (vm.swappiness)", r.swappiness),
            ));
        }
        if !(1..=3000).contains(&r.watermark_scale_factor) {
            return Err(Invalid::new(
                "reclaim.watermark_scale_factor",
                format!(
                    "reclaim.watermark_scale_factor = {}: out of range 1..=3000 (vm.watermark_scale_factor)",
                    r.watermark_scale_factor
                ),
            ));
        }
        if r.page_cluster > 31 {
            return Err(Invalid::new(
                "reclaim.page_cluster",
                format!("reclaim.page_cluster = {}: out of range 0..=31 (vm.page-cluster)", r.page_cluster),
            ));
        }
        if r.read_ahead_kb > 65536 {
            return Err(Invalid::new(
                "reclaim.read_ahead_kb",
                format!("reclaim.read_ahead_kb = {}: out of range 0..=65536 (KiB)", r.read_ahead_kb),
            ));
        }
        if self.vm.overcommit_memory > 2 {
            return Err(Invalid::new(
                "vm.overcommit_memory",
                format!(
                    "vm.overcommit_memory = {}: expected 0 (heuristic), 1 (always) or 2 (strict)",
                    self.vm.overcommit_memory
                ),
            ));
        }
        for (key, v, lo, hi) in [
            ("ksm.pages_to_scan", self.ksm.pages_to_scan, 1, 1_000_000),
            ("ksm.sleep_millisecs", self.ksm.sleep_millisecs, 1, 100_000),
            ("ksm.max_page_sharing", u64::from(self.ksm.max_page_sharing), 2, 65_536),
        ] {
            if !(lo..=hi).contains(&v) {
                return Err(Invalid::new(key, format!("{key} = {v}: out of range {lo}..={hi}")));
            }
        }
        if !(1..=100).contains(&self.zswap.max_pool_percent) {
            return Err(Invalid::new(
                "zswap.max_pool_percent",
                format!("zswap.max_pool_percent = {}: out of range 1..=100", self.zswap.max_pool_percent),
            ));
        }
        if self.zswap.accept_threshold_percent > 100 {
            return Err(Invalid::new(
                "zswap.accept_threshold_percent",
                format!(
                    "zswap.accept_threshold_percent = {}: out of range 0..=100",
                    self.zswap.accept_threshold_percent
                ),
            ));
        }
        if self.vm.extfrag_threshold > 1000 {
            return Err(Invalid::new(
                "vm.extfrag_threshold",
                format!("vm.extfrag_threshold = {}: out of range 0..=1000", self.vm.extfrag_threshold),
            ));
        }
        if self.vm.overcommit_ratio > 100_000 {
            return Err(Invalid::new(
                "vm.overcommit_ratio",
                format!("vm.overcommit_ratio = {}: out of range 0..=100000 (percent of RAM)", self.vm.overcommit_ratio),
            ));
        }
        for (name, v) in [
            ("cost.tlb_hit_ns", self.cost.tlb_hit_ns),
            ("cost.memory_ns", self.cost.memory_ns),
            ("cost.minor_fault_ns", self.cost.minor_fault_ns),
            ("cost.major_fault_ns", self.cost.major_fault_ns),
            ("cost.zswap_load_ns", self.cost.zswap_load_ns),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Invalid::new(name, format!("{name} = {v}: must be a non-negative number of nanoseconds")));
            }
        }
        for (name, g) in [("tlb.l1d", self.tlb.l1d), ("tlb.l1i", self.tlb.l1i), ("tlb.stlb", self.tlb.stlb)] {
            g.validate(name).map_err(|e| Invalid {
                related: vec![format!("{name}.entries"), format!("{name}.ways")],
                ..Invalid::new(&tlb_key(&e), e.to_string())
            })?;
        }
        self.cache.check().map_err(|(key, message)| Invalid::new(&key, message))?;
        let psc = &self.tlb.psc;
        for (name, entries) in [("tlb.psc.pml4e", psc.pml4e), ("tlb.psc.pdpte", psc.pdpte), ("tlb.psc.pde", psc.pde)] {
            if entries > crate::mmu::tlb::MAX_TLB_ENTRIES {
                let max = crate::mmu::tlb::MAX_TLB_ENTRIES;
                return Err(Invalid::new(name, format!("{name} = {entries}: at most {max} entries are supported")));
            }
        }
        Ok(())
    }
}

/// Apply `key.path=value` to a TOML table. The value is parsed as TOML, or taken as a string if that fails.
pub fn apply_set(table: &mut toml::Table, set: &str) -> Result<(), ConfigError> {
    let err = |m: String| ConfigError { path: format!("--set {set}").into(), line: 0, column: 0, message: m };
    let (key, value) =
        set.split_once('=').ok_or_else(|| err("expected KEY=VALUE, e.g. machine.memory=2GiB".to_owned()))?;
    let parts: Vec<&str> = key.trim().split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(err(format!(
            "empty key component in {:?} (expected a dotted key like machine.memory)",
            key.trim()
        )));
    }
    let v: toml::Value = match toml::from_str::<toml::Table>(&format!("v = {}", value.trim())) {
        Ok(mut t) => t.remove("v").unwrap_or(toml::Value::String(value.trim().into())),
        Err(_) => toml::Value::String(value.trim().to_string()),
    };
    let mut cur = table;
    for p in &parts[..parts.len() - 1] {
        let entry = cur.entry(p.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        cur = entry.as_table_mut().ok_or_else(|| err(format!("{p} is not a table (it holds a value)")))?;
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

    /// Issue 12: a value out of range is blamed on its line and column, or on the `--set` that gave it; never
    /// `FILE:0:0`.
    #[test]
    fn range_errors_are_located() {
        let p = Path::new("r.toml");
        let text = "[machine]\ncpus = 0\n";
        assert_eq!(
            Scenario::parse(p, text, &[]).unwrap_err().to_string(),
            "r.toml:2:8: machine.cpus = 0: out of range 1..=1024"
        );
        let e = Scenario::parse(p, "[machine]\ncpus = 2\n", &["machine.cpus=0".into()]).unwrap_err();
        assert_eq!(e.to_string(), "--set machine.cpus=0: machine.cpus = 0: out of range 1..=1024");
        let e = Scenario::parse(p, "[tlb.l1d]\nentries = 63\nways = 4\n", &[]).unwrap_err();
        assert_eq!((e.line, e.column), (2, 11), "{e}");
        let e = Scenario::parse(p, "[tlb]\nl1d = { entries = 64, ways = 0 }\n", &[]).unwrap_err();
        assert!(e.to_string().starts_with("r.toml:2:30: tlb.l1d.ways = 0"), "{e}");
        let e = Scenario::parse(p, "[reclaim]\nswappiness = 201\n", &[]).unwrap_err();
        assert_eq!((e.line, e.column), (2, 14), "{e}");
        // A value set by the file but made invalid by a --set of its table.
        let e = SimConfig::from_sets(&["machine.frames=abc".into()]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--set machine.frames=abc: invalid type: string \"abc\", expected a non-negative integer"
        );
    }

    /// Issue 12: the TOML parser gives no message for some control characters; ours names the character.
    #[test]
    fn syntax_errors_are_never_empty() {
        for (text, what) in [
            ("# a\u{c} comment\n", "U+000C"),
            ("# a\0 comment\n", "U+0000"),
            ("# a\r comment\n", "U+000D"),
            ("[[process]]\nname = \"a\"\nsteps = [ { op = \"mmap\", len = 4", "inline table"),
        ] {
            let e = Scenario::parse(Path::new("c.toml"), text, &[]).unwrap_err();
            assert!(e.line > 0 && e.message.contains(what), "{text:?}: {e}");
        }
    }

    #[test]
    fn step_ops_are_read_back_from_the_text() {
        let text = "steps = [ { op = \"read\", addr = 1 } ]";
        let start = text.find('{').unwrap();
        assert_eq!(step_op(text, start..text.len() - 2), "read");
        assert_eq!(step_op(text, 0..3), "no op");
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
