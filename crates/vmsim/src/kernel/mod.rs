//! The kernel model: tasks, address spaces, system calls and the page-fault handler (mm/memory.c, mm/mmap.c,
//! arch/x86/mm/fault.c; LINUX-VM-SPEC §4).
//!
//! [`Kernel`] owns simulated RAM, the frame allocator, the CPUs (each with its MMU), the tasks and the mm arena.
//! Each file here holds one concept: [`task`] tasks, [`mm`] address spaces, [`cpu`] CPUs and their ASIDs,
//! [`tlbflush`] flush tokens and shootdowns, [`pgtable`] the only code that writes page-table entries, [`fault`]
//! the fault handler, [`mmap`] the mapping system calls, [`swapin`] swap-in, [`memcontrol`] memory groups,
//! [`vma`] the VMA tree, [`signal`] SIGSEGV, [`error`] errnos and the typed errors of operations.

pub mod clock;
pub mod compaction;
pub mod cpu;
pub mod error;
pub mod fault;
pub mod file;
pub mod filemap;
pub mod fork;
pub mod ksm;
pub mod kthread;
pub mod memcontrol;
pub mod mm;
pub mod mmap;
pub mod oom_kill;
pub mod overcommit;
pub mod pgtable;
pub mod shmem;
pub mod signal;
pub mod swapin;
pub mod task;
pub mod tlbflush;
pub mod vma;

use crate::addr::{AddrError, Pfn, PhysAddr, VirtAddr, Vpn, PAGE_SIZE};
use crate::arch::{PageSizeKind, PagingMode, Perms, Pte};
use crate::mmu::tlb::{TlbConfig, TlbConfigError};
use crate::mmu::{Access, AddressSpace, Fault, Mode, Outcome};
use crate::phys::buddy::{Buddy, MigrateType};
use crate::phys::rmap::{self, MmId, RmapEntry};
use crate::phys::{PageFlags, PhysMem};
use crate::reclaim::vmscan::ReclaimState;
use crate::reclaim::watermark::Watermarks;
use crate::reclaim::{AnyPolicy, NextUse, PolicyKind};
use crate::swap::entry::SwapEntry;
use crate::swap::swap_state::{SwapCache, SwapRaState, SwapStateError};
use crate::swap::swapfile::SwapSpace;
use crate::swap::SwapFileError;
use cpu::{CpuId, Cpus};
use error::{Cause, Errno, SysError, SysOp};
use fault::FaultOutcome;
use memcontrol::MemcgId;
use mm::{Mm, MmArena, MmCounters};
use pgtable::{PteAllocError, PteSlot};
use serde::Serialize;
use signal::SegvInfo;
use std::collections::BTreeMap;
use task::{Pid, Task, TaskCounters, TaskState};
use tlbflush::FlushBatch;
use vma::{VmFlags, Vma, VmaKind, VmaTree};

/// `stack_guard_gap = 256UL << PAGE_SHIFT` (mm/mmap.c; SPEC §4.1).
pub const STACK_GUARD_GAP_PAGES: u64 = 256;
/// Default `RLIMIT_STACK`: 8 MiB (`_STK_LIM`, include/uapi/linux/resource.h).
pub const DEFAULT_STACK_LIMIT: u64 = 8 << 20;

/// Kernel behaviour switches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelConfig {
    /// Map the shared zero page on read faults of anonymous memory (mm/memory.c `do_anonymous_page`).
    pub zero_page: bool,
    /// `stack_guard_gap` in bytes.
    pub stack_guard_gap: u64,
    /// Give each address space its own PCID so TLB entries survive context switches (SPEC §14).
    pub pcid: bool,
    /// Exact (teaching) mode: `user_frames` frames for user pages, one eviction per fault, no readahead or
    /// watermarks; page tables come from a separate reserve.
    pub exact: bool,
    /// Frames available to user pages in exact mode.
    pub user_frames: u64,
    /// `watermark_scale_factor`.
    pub watermark_scale_factor: u64,
    /// `vm.page-cluster` (readahead of up to 2^n pages).
    pub page_cluster: u32,
    /// Checksum pages written to swap and check them when read back.
    pub verify: bool,
    /// Seed for randomized policies.
    pub seed: u64,
    /// The replacement policy (`[reclaim] policy`).
    pub policy: PolicyKind,
    /// Number of CPUs (`machine.cpus`).
    pub cpus: usize,
    /// What the simulated clock charges for each event (from `[cost]`).
    pub clock_rates: clock::ClockRates,
    /// File readahead window in pages (`read_ahead_kb / 4`; 0 turns readahead off).
    pub ra_pages: u64,
    /// `vm.swappiness`, 0..=200: the anon/file balance of reclaim.
    pub swappiness: u32,
    /// The overcommit sysctls (`[vm]`).
    pub overcommit: overcommit::OvercommitConfig,
    /// zswap's parameters (`[zswap]`).
    pub zswap: crate::swap::zswap::ZswapConfig,
    /// KSM's settings (`[ksm]`).
    pub ksm: ksm::KsmConfig,
    /// `vm.extfrag_threshold`, 0..=1000 (default 500): compaction for a costly order is skipped when the
    /// fragmentation index is at or below it (kernel/compaction.rs `compaction_suitable`).
    pub extfrag_threshold: u32,
}

impl Default for KernelConfig {
    fn default() -> Self {
        Self {
            zero_page: true,
            stack_guard_gap: STACK_GUARD_GAP_PAGES * PAGE_SIZE,
            pcid: true,
            exact: false,
            user_frames: 0,
            watermark_scale_factor: crate::reclaim::watermark::DEFAULT_WATERMARK_SCALE_FACTOR,
            page_cluster: crate::swap::swap_state::PAGE_CLUSTER_DEFAULT,
            verify: false,
            seed: 0,
            policy: PolicyKind::Linux,
            cpus: 1,
            clock_rates: clock::ClockRates::from_cost(&crate::config::CostConfig::default()),
            ra_pages: filemap::DEFAULT_RA_PAGES,
            swappiness: 60,
            overcommit: overcommit::OvercommitConfig::default(),
            zswap: crate::swap::zswap::ZswapConfig::default(),
            ksm: ksm::KsmConfig::default(),
            extfrag_threshold: compaction::DEFAULT_EXTFRAG_THRESHOLD,
        }
    }
}

/// System-wide event counters, named as in /proc/vmstat where Linux has the counter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct VmEvents {
    /// `pgfault`: faults that reached `handle_mm_fault`.
    pub pgfault: u64,
    /// `pgmajfault`.
    pub pgmajfault: u64,
    /// Sum of every task's `min_flt`.
    pub min_flt: u64,
    /// Sum of every task's `maj_flt`.
    pub maj_flt: u64,
    /// Of `maj_flt`, faults served from zswap.
    pub maj_flt_zswap: u64,
    /// Copy-on-write copies made by `do_wp_page` (zero-page replacements are not counted here).
    pub cow: u64,
    /// Write faults resolved by reusing an exclusive page (`wp_page_reuse`).
    pub wp_reuse: u64,
    /// Zero-page mappings made by read faults.
    pub zero_page_maps: u64,
    /// Processes killed by SIGSEGV.
    pub segv: u64,
    /// Stack VMA expansions.
    pub stack_grow: u64,
    /// `pswpin`.
    pub pswpin: u64,
    /// `pswpout`.
    pub pswpout: u64,
    /// Allocations that failed for lack of memory.
    pub oom: u64,
    /// `oom_kill`: processes killed by the OOM killer (global and group).
    pub oom_kill: u64,
    /// `pgscan_kswapd`: pages scanned by background reclaim.
    pub pgscan_kswapd: u64,
    /// `pgscan_direct`: pages scanned by direct reclaim.
    pub pgscan_direct: u64,
    /// `pgsteal_kswapd`: pages reclaimed by background reclaim.
    pub pgsteal_kswapd: u64,
    /// `pgsteal_direct`: pages reclaimed by direct reclaim.
    pub pgsteal_direct: u64,
    /// `allocstall`: allocations that entered direct reclaim.
    pub allocstall: u64,
    /// kswapd wakeups.
    pub kswapd_wake: u64,
    /// Clean pages dropped without I/O because their swap copy was still valid.
    pub reclaim_clean: u64,
    /// Swap-ins found in the swap cache (minor faults).
    pub swapcache_hits: u64,
    /// Pages read ahead from swap.
    pub swap_ra: u64,
    /// Readahead pages later used by a fault (`swap_ra_hit`).
    pub swap_ra_hit: u64,
    /// Pages whose content did not match its checksum when read back from swap (verify mode).
    pub verify_failures: u64,
    /// Pages checked by verify mode.
    pub verify_checked: u64,
    /// Reclaim candidates left in place because a reverse-map entry did not lead to a PTE mapping the page
    /// (a model bug if ever non-zero; the page is kept rather than freed under a live mapping).
    pub rmap_unresolved: u64,
    /// TLB-shootdown IPIs sent (`TLB_REMOTE_SHOOTDOWN`).
    pub tlb_shootdown_ipis: u64,
    /// Successful forks.
    pub forks: u64,
    /// TLB entries dropped by the kernel's flushes, over all CPUs (vmstat `nr_tlb_local_flush_one` and kin count
    /// flush operations; this counts the entries they removed).
    pub tlb_entries_flushed: u64,
    /// File pages read from their file into the page cache (by faults and readahead).
    pub pgpgin_file: u64,
    /// Dirty file pages written back to their file (msync and reclaim).
    pub file_writeback: u64,
    /// `nr_vmscan_write`: dirty file pages reclaim wrote back itself.
    pub nr_vmscan_write: u64,
    /// `workingset_refault_file`: file pages read back in where a shadow entry was left.
    pub workingset_refault_file: u64,
    /// `workingset_activate_file`: refaults close enough to be activated at once.
    pub workingset_activate_file: u64,
    /// `workingset_restore_file`: activated refaults that were in the working set when evicted.
    pub workingset_restore_file: u64,
    /// `pgsteal_file`: file pages reclaimed (by kswapd and direct reclaim).
    pub pgsteal_file: u64,
    /// `pgsteal_anon`: anonymous pages reclaimed.
    pub pgsteal_anon: u64,
}

/// Something worth telling the user, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// The process concerned.
    pub pid: Pid,
    /// What happened.
    pub what: String,
}

/// The result of a user memory access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessResult {
    /// Translated (after any faults were resolved).
    Ok(PhysAddr),
    /// The process was killed by SIGSEGV.
    Segv(SegvInfo),
    /// No memory could be found to resolve the fault; the process was killed.
    OutOfMemory,
    /// The process is not running.
    Dead,
}

/// The whole simulated machine below user space.
#[derive(Debug)]
pub struct Kernel<M: PagingMode> {
    /// RAM.
    pub mem: PhysMem,
    /// Frame allocator.
    pub frames: Buddy,
    /// Compaction's counters (kernel/compaction.rs).
    pub compaction: compaction::CompactStats,
    /// The zone's compaction deferral state (`compact_considered`, `compact_defer_shift`,
    /// `compact_order_failed`).
    pub compact_defer: compaction::CompactDefer,
    /// Blocks of kernel memory a task holds (scenario `alloc_pages` steps): name, first frame, order. Freed by
    /// `free_pages` steps or when the task ends.
    pub driver_pages: BTreeMap<Pid, Vec<(String, Pfn, u8)>>,
    /// The CPUs, each with its MMU and ASID table.
    pub cpus: Cpus<M>,
    /// Tasks by pid (exited ones stay, for reports).
    pub tasks: BTreeMap<Pid, Task>,
    /// Live address spaces.
    pub mms: MmArena,
    /// Configuration.
    pub cfg: KernelConfig,
    /// Counters.
    pub events: VmEvents,
    /// Notable events, in order.
    pub log: Vec<Event>,
    /// Frames currently holding page tables.
    pub page_table_frames: u64,
    /// The root memory group's replacement-policy state (its LRU lists).
    pub lru: AnyPolicy,
    /// Swap areas.
    pub swap: SwapSpace,
    /// The swap cache: pages in RAM that also have a swap slot.
    pub swap_cache: SwapCache,
    /// Swap readahead window state (`__swapin_nr_pages`).
    pub swap_ra: SwapRaState,
    /// Zone watermarks (realistic mode).
    pub wmark: Watermarks,
    /// Reclaim state and configuration.
    pub reclaim: ReclaimState,
    /// Next-use hint for OPT, set by the driver before each access.
    pub next_use: NextUse,
    /// Memory groups with a `memory.max`, by id (the root group, id 0, has no entry).
    pub memcgs: BTreeMap<MemcgId, memcontrol::MemCgroup>,
    /// Shared anonymous memory objects (shmem page caches).
    pub shmem: shmem::ShmemObjects,
    /// Simulated time.
    pub clock: clock::SimClock,
    /// Kernel threads (kswapd).
    pub kthreads: kthread::Kthreads,
    /// Simulated files and their page caches.
    pub files: file::Files,
    /// The node's clock of evictions and activations (`lruvec->nonresident_age`, mm/workingset.c).
    pub nonresident_age: u64,
    /// Overcommit accounting (`Committed_AS`).
    pub overcommit: overcommit::Overcommit,
    /// The OOM killer's record.
    pub oom: oom_kill::OomState,
    /// The zswap pool.
    pub zswap: crate::swap::zswap::Zswap,
    /// Kernel Samepage Merging.
    pub ksm: ksm::Ksm,
    /// Set by a swap-in served from zswap: the fault is charged at the zswap latency.
    pub(crate) zswap_fault: bool,
    next_inode: u32,
    zero_pfn: Pfn,
    next_pid: u32,
    next_memcg: u32,
    /// The last task that ran, where, and its address space there: spares the per-access lookups while one
    /// task keeps running. Cleared whenever a task's mm, CPU or ASID may change.
    running: Option<(Pid, CpuId, AddressSpace)>,
    /// The task the kernel last entered for (Linux's `current`): kept when `running` is cleared.
    pub(crate) current: Option<Pid>,
    /// The CPU caches, when modelled (`cache.enabled`; crate::cache): user accesses and page-walk reads go
    /// through them.
    pub caches: Option<Box<crate::cache::Hierarchy>>,
}

/// Why a kernel could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KernelError {
    /// Bad TLB geometry.
    #[error(transparent)]
    Tlb(#[from] TlbConfigError),
    /// Not enough RAM to boot (zero page, first page tables).
    #[error("memory of {0} frames is too small to boot")]
    TooSmall(usize),
    /// More frames than a 52-bit physical address space holds.
    #[error(transparent)]
    Addr(#[from] AddrError),
    /// A bad swap readahead setting (`vm.page-cluster`).
    #[error(transparent)]
    SwapState(#[from] SwapStateError),
    /// A swap area that cannot be activated. Its text is the whole message: [`SwapFileError::Io`] already shows
    /// its I/O error, so it is not also given as `source()` (a chain printer would show it twice).
    #[error("{0}")]
    Swap(SwapFileError),
    /// A cache geometry that cannot be built (`[cache]`).
    #[error(transparent)]
    Cache(#[from] crate::cache::hierarchy::CacheConfigError),
    /// `reclaim.policy = opt` for a run that is not a whole-trace replay.
    #[error(
        "reclaim.policy = opt needs to know the future, which only a whole trace gives: use \
         `vmsim replay TRACE --exact --policy opt`"
    )]
    OptNeedsTrace,
}

impl From<SwapFileError> for KernelError {
    fn from(e: SwapFileError) -> Self {
        KernelError::Swap(e)
    }
}

/// How many times one access may fault before the model reports a bug rather than loop (Linux retries without
/// limit; every retry here follows a real change, so a handful is plenty).
pub const MAX_FAULT_ROUNDS: u32 = 16;

/// Frames beyond the N user frames that exact mode keeps for page tables and the zero page.
pub const EXACT_KERNEL_RESERVE: usize = 1 << 20;

impl<M: PagingMode> Kernel<M> {
    /// Boot a machine with `frames` frames.
    pub fn new(frames: usize, tlb: &TlbConfig, cfg: KernelConfig) -> Result<Self, KernelError> {
        let user_frames = if cfg.exact { cfg.user_frames } else { frames as u64 };
        let (seed, page_cluster, wsf, cfg_exact) = (cfg.seed, cfg.page_cluster, cfg.watermark_scale_factor, cfg.exact);
        let cfg_rates = cfg.clock_rates;
        let cfg_overcommit = cfg.overcommit;
        let cfg_zswap = cfg.zswap;
        let cfg_ksm = cfg.ksm;
        // Exact mode: page tables and the zero page come from a reserve beyond the N user frames (lazily backed).
        let frames = if cfg.exact { frames + EXACT_KERNEL_RESERVE } else { frames };
        let mut mem = PhysMem::new(frames);
        let mut reclaim = ReclaimState::new(user_frames);
        // Exact mode: frames 0..N are the user frames, handed out lowest first, outside the buddy allocator, which
        // manages the reserve above them.
        let mut alloc = Buddy::with_reserved(frames as u64, if cfg.exact { user_frames } else { 0 });
        if cfg.exact {
            for i in (0..user_frames).rev() {
                reclaim.exact_free.push(Pfn::try_new(i)?);
            }
        }
        // The shared zero page (`empty_zero_page`, arch/x86/kernel/head_64.S): reserved at boot, never freed.
        let zero_pfn = alloc.alloc_pages(0, MigrateType::Unmovable, &mem).ok_or(KernelError::TooSmall(frames))?;
        let m = mem.meta_mut(zero_pfn);
        m.set(PageFlags::ZERO_PAGE | PageFlags::RESERVED);
        m.refcount = 1;
        // Exact mode: user pages live in frames 0..N, and size-dependent policies (S3-FIFO) size by N.
        // Policies index frames with 32 bits (reclaim::MAX_FRAMES): the buddy allocator hands out the lowest frames
        // first, so frames above 2^32 - 1 are used only with 16 TiB in use, more than any host holds.
        let policy_frames = if cfg_exact { usize::try_from(user_frames).unwrap_or(frames) } else { frames };
        let policy_frames = policy_frames.min(crate::reclaim::MAX_FRAMES);
        Ok(Self {
            mem,
            frames: alloc,
            compaction: compaction::CompactStats::default(),
            compact_defer: compaction::CompactDefer::default(),
            driver_pages: BTreeMap::new(),
            cpus: Cpus::new(cfg.cpus, tlb, cfg.pcid)?,
            tasks: BTreeMap::new(),
            mms: MmArena::default(),
            lru: AnyPolicy::new(cfg.policy, policy_frames, seed),
            cfg,
            events: VmEvents::default(),
            log: Vec::new(),
            page_table_frames: 0,
            swap: SwapSpace::new(),
            swap_cache: SwapCache::new(),
            swap_ra: SwapRaState::new(page_cluster)?,
            wmark: Watermarks::for_frames(frames as u64, wsf),
            reclaim,
            next_use: NextUse::NEVER,
            memcgs: BTreeMap::new(),
            shmem: shmem::ShmemObjects::default(),
            clock: clock::SimClock::new(cfg_rates),
            kthreads: kthread::Kthreads::default(),
            files: file::Files::default(),
            nonresident_age: 0,
            overcommit: overcommit::Overcommit::boot(&cfg_overcommit, frames as u64),
            oom: oom_kill::OomState::default(),
            zswap: crate::swap::zswap::Zswap::new(cfg_zswap),
            zswap_fault: false,
            ksm: ksm::Ksm::new(cfg_ksm),
            next_inode: 0,
            zero_pfn,
            next_pid: 1,
            next_memcg: 1,
            running: None,
            current: None,
            caches: None,
        })
    }

    /// Create file `file` (a `[[file]]` of a scenario). False if one of that name exists.
    pub fn create_file(&mut self, file: file::SimFile) -> bool {
        let id = self.new_inode();
        self.files.insert(id, file)
    }

    /// A fresh inode number for a file or a shmem object.
    pub(crate) fn new_inode(&mut self) -> crate::phys::frame_meta::InodeId {
        self.next_inode += 1;
        crate::phys::frame_meta::InodeId(self.next_inode)
    }

    /// The shared zero page's frame.
    pub fn zero_pfn(&self) -> Pfn {
        self.zero_pfn
    }

    /// Frames in use (including the zero page and page tables).
    pub fn frames_used(&self) -> usize {
        self.mem.frames() - usize::try_from(self.frames.free_frames()).unwrap_or(0)
    }

    /// Create a process with an empty address space (`fork` + `exec` of an empty image). It runs on the CPUs in
    /// turn: the n-th task created on CPU n mod `cpus`.
    pub fn spawn(&mut self, name: &str, layout: &Layout) -> Result<Pid, KernelError> {
        let id = self.new_mm(layout).ok_or(KernelError::TooSmall(self.mem.frames()))?;
        Ok(self.start_task(name, id, None, MemcgId::ROOT, None))
    }

    /// A fresh address space laid out as `layout` says (`mm_alloc` + `setup_arg_pages`): a root table and, if
    /// asked, the initial stack VMA. `None` if no frame is left for the root table.
    pub(crate) fn new_mm(&mut self, layout: &Layout) -> Option<MmId> {
        let root = pgtable::alloc_table(&mut self.mem, &mut self.frames).ok()?;
        self.page_table_frames += 1;
        let id = self.mms.next_id();
        let mut mm = Mm {
            id,
            root,
            vmas: VmaTree::default(),
            start_brk: layout.brk_start,
            brk: layout.brk_start,
            mmap_base: layout.mmap_base,
            stack_limit: layout.stack_limit,
            counters: MmCounters { pgtable_frames: 1, ..MmCounters::default() },
            memcg: MemcgId::ROOT,
            users: 1,
            merge_any: false,
        };
        if layout.stack_pages > 0 {
            let start = VirtAddr::new(layout.stack_top.raw() - layout.stack_pages * PAGE_SIZE);
            let v = Vma {
                start,
                end: layout.stack_top,
                flags: VmFlags::READ | VmFlags::WRITE | VmFlags::GROWSDOWN | VmFlags::ACCOUNT,
                kind: VmaKind::Stack,
                name: None,
                anon_vma: false,
            };
            let _ = mm.vmas.insert(v);
            mm.update_hiwater_vm();
            // The initial stack VMA carries VM_ACCOUNT (VM_STACK_FLAGS) and is charged by insert_vm_struct().
            self.vm_acct_memory(layout.stack_pages);
        }
        self.mms.insert(mm);
        Some(id)
    }

    /// A new running task `name` in address space `mm` (`copy_process`): a fresh pid, the thread group of `tgid`
    /// (its own when `None`), placed on the next CPU in turn (the n-th task on CPU n mod `cpus`). Returns its pid.
    pub(crate) fn start_task(
        &mut self,
        name: &str,
        mm: MmId,
        tgid: Option<Pid>,
        memcg: MemcgId,
        parent: Option<Pid>,
    ) -> Pid {
        let pid = Pid(self.next_pid);
        self.next_pid += 1;
        let cpu = CpuId(u16::try_from(self.tasks.len() % self.cpus.len()).unwrap_or(0));
        // copy_process(): credentials and `signal->oom_score_adj` come from the parent.
        let (uid, oom_score_adj) = parent.and_then(|p| self.tasks.get(&p)).map_or((0, 0), |p| (p.uid, p.oom_score_adj));
        self.tasks.insert(
            pid,
            Task {
                pid,
                tgid: tgid.unwrap_or(pid),
                name: name.to_string(),
                mm: Some(mm),
                cpu,
                memcg,
                counters: TaskCounters::default(),
                state: TaskState::Running,
                final_mm: MmCounters::default(),
                parent,
                reaped: false,
                uid,
                oom_score_adj,
            },
        );
        pid
    }

    /// A task.
    pub fn task(&self, pid: Pid) -> Option<&Task> {
        self.tasks.get(&pid)
    }

    /// Move `pid` to run on `cpu` (`sched_setaffinity` to one CPU). False if there is no such task or CPU.
    pub fn set_task_cpu(&mut self, pid: Pid, cpu: CpuId) -> bool {
        if cpu.index() >= self.cpus.len() {
            return false;
        }
        let Some(t) = self.tasks.get_mut(&pid) else { return false };
        t.cpu = cpu;
        self.reschedule();
        self.cpus.descheduled(pid);
        true
    }

    /// The address space `pid` runs in.
    pub fn mm_of(&self, pid: Pid) -> Option<&Mm> {
        self.mms.get(self.tasks.get(&pid)?.mm?)
    }

    pub(crate) fn mm_of_mut(&mut self, pid: Pid) -> Option<&mut Mm> {
        let id = self.tasks.get(&pid)?.mm?;
        self.mms.get_mut(id)
    }

    /// The RSS counters of `pid`'s address space: live, or as they were when it went away.
    pub fn rss(&self, pid: Pid) -> MmCounters {
        match (self.tasks.get(&pid), self.mm_of(pid)) {
            (_, Some(mm)) => mm.counters,
            (Some(t), None) => t.final_mm,
            (None, None) => MmCounters::default(),
        }
    }

    /// Put `pid` on its CPU (a context switch if another task ran there) and make the kernel run there.
    /// Returns the CPU and the address space (root table, ASID on that CPU) its accesses use.
    #[inline]
    pub fn enter(&mut self, pid: Pid) -> Option<(CpuId, AddressSpace)> {
        match self.running {
            Some((p, cpu, space)) if p == pid => Some((cpu, space)),
            _ => self.enter_slow(pid),
        }
    }

    #[cold]
    fn enter_slow(&mut self, pid: Pid) -> Option<(CpuId, AddressSpace)> {
        let t = self.tasks.get(&pid)?;
        let (cpu, mm_id) = (t.cpu, t.mm?);
        let root = self.mms.get(mm_id)?.root;
        self.cpus.this_cpu = cpu;
        self.current = Some(pid);
        let asid = self.cpus.switch_to(cpu, pid, mm_id);
        let space = AddressSpace { root, asid };
        self.running = Some((pid, cpu, space));
        Some((cpu, space))
    }

    /// Forget the cached running task (its mm, CPU or ASID may be about to change).
    fn reschedule(&mut self) {
        self.running = None;
    }

    /// A user-mode access by `pid` to `va`: translate, resolve faults as Linux would, and retry.
    ///
    /// The first translation is inlined here and the fault loop kept out of line, so an access that hits the TLB
    /// or walks does not pay for the loop's setup. With the CPU caches modelled, the whole access takes an
    /// out-of-line path, so the path without them is what it was (one test more; issue 16). Not inlined: the
    /// replay loop (`sim::Machine::access`, itself inlined into the trace drivers) ran 3-5 % more instructions
    /// when it inlined this (callgrind; docs/performance.md, issue 16).
    #[inline(never)]
    pub fn access(&mut self, pid: Pid, va: VirtAddr, access: Access) -> AccessResult {
        if self.caches.is_some() {
            return self.access_cached(pid, va, access);
        }
        let Some(out) = self.translate_plain(pid, va, access) else { return AccessResult::Dead };
        match out {
            Outcome::TlbHit { pa, .. } | Outcome::Walked { pa, .. } => {
                self.charge_plain(out);
                self.access_finish(pa, 0)
            }
            Outcome::Fault(f) => self.access_faulted(pid, va, access, f),
        }
    }

    /// [`Kernel::access`] with the CPU caches modelled (crate::cache).
    #[inline(never)]
    fn access_cached(&mut self, pid: Pid, va: VirtAddr, access: Access) -> AccessResult {
        let Some(out) = self.translate_user(pid, va, access) else { return AccessResult::Dead };
        match out {
            Outcome::TlbHit { pa, .. } | Outcome::Walked { pa, .. } => self.access_done(out, pa, access, 0),
            Outcome::Fault(f) => self.access_faulted(pid, va, access, f),
        }
    }

    /// Translates a user-mode access by `pid` on its CPU, through the caches if they are modelled; `None` if
    /// `pid` cannot run.
    #[inline(always)]
    fn translate_user(&mut self, pid: Pid, va: VirtAddr, access: Access) -> Option<Outcome> {
        if self.caches.is_some() {
            let (cpu, space) = self.enter(pid)?;
            return Some(self.translate_cached(cpu, space, va, access));
        }
        self.translate_plain(pid, va, access)
    }

    /// Translates a user-mode access by `pid` on its CPU without the caches; `None` if `pid` cannot run.
    #[inline(always)]
    fn translate_plain(&mut self, pid: Pid, va: VirtAddr, access: Access) -> Option<Outcome> {
        let (cpu, space) = self.enter(pid)?;
        let mmu = &mut self.cpus.get_mut(cpu).mmu;
        Some(mmu.translate(&mut self.mem, space, va, access, Mode::User))
    }

    /// [`Kernel::translate_user`] with the CPU caches modelled: the walker's PTE reads go through them
    /// (crate::cache).
    #[inline(always)]
    fn translate_cached(&mut self, cpu: CpuId, space: AddressSpace, va: VirtAddr, access: Access) -> Outcome {
        let mmu = &mut self.cpus.get_mut(cpu).mmu;
        match self.caches.as_deref_mut() {
            Some(caches) => {
                let mut obs = crate::cache::WalkCaches { caches, cpu: cpu.index() };
                mmu.translate_with(&mut self.mem, space, va, access, Mode::User, &mut obs)
            }
            None => mmu.translate(&mut self.mem, space, va, access, Mode::User),
        }
    }

    /// Charges a translated access to the clock through the CPU caches: the data access (and the walk's
    /// references) at the latencies of the levels that served them (crate::cache), plus an STLB lookup unless an
    /// L1 TLB answered.
    #[inline(always)]
    fn charge_cached(&mut self, out: Outcome, pa: PhysAddr, access: Access) {
        if let (Some(caches), Some((_, cpu, _))) = (self.caches.as_deref_mut(), self.running) {
            let l1_tlb = matches!(out, Outcome::TlbHit { level: crate::mmu::TlbLevel::L1, .. });
            self.clock.cached(caches.access(cpu.index(), pa, access), !l1_tlb);
        }
    }

    /// Charges a translated access of round `attempt` (through the caches if they are modelled), runs kernel
    /// threads whose timers expired, and tells the policy of the hit.
    #[inline(always)]
    fn access_done(&mut self, out: Outcome, pa: PhysAddr, access: Access, attempt: u32) -> AccessResult {
        if self.caches.is_some() {
            self.charge_cached(out, pa, access);
        } else {
            self.charge_plain(out);
        }
        self.access_finish(pa, attempt)
    }

    /// Charges a translated access at the flat `[cost]` rates.
    #[inline(always)]
    fn charge_plain(&mut self, out: Outcome) {
        match out {
            Outcome::Walked { mem_refs, .. } => self.clock.walked(mem_refs),
            _ => self.clock.tlb_hit(),
        }
    }

    /// After the charge: runs kernel threads whose timers expired, and tells the policy of the hit.
    #[inline(always)]
    fn access_finish(&mut self, pa: PhysAddr, attempt: u32) -> AccessResult {
        // A scheduling point for kernel threads whose timers expired.
        if self.kthreads.due(self.clock.now_ps(), false) {
            self.schedule_kthreads(false);
        }
        // Policies that model ideal recency see every access that hits (a faulting access already
        // told the policy through insert); A-bit policies see the PTEs instead.
        if attempt == 0 && !self.lru.uses_accessed_bits() && pa.pfn() != self.zero_pfn {
            let next = self.next_use;
            if self.memcgs.is_empty() {
                self.lru.touch(pa.pfn(), next);
            } else {
                let memcg = self.mem.meta(pa.pfn()).memcg;
                self.lru_mut(memcg).touch(pa.pfn(), next);
            }
        }
        AccessResult::Ok(pa)
    }

    /// [`Kernel::access`] after its first translation faulted with `first`: handle the fault and retry.
    #[inline(never)]
    fn access_faulted(&mut self, pid: Pid, va: VirtAddr, access: Access, first: Fault) -> AccessResult {
        // A fault usually needs at most: map (zero page or new page), then a write-protect fault, then the access.
        // Under memory pressure a fault can be retried (the page it copies from was reclaimed meanwhile, `pte_same`
        // failed), so allow a few more rounds before calling it a model bug.
        let mut out = Outcome::Fault(first);
        for attempt in 0..MAX_FAULT_ROUNDS {
            if attempt > 0 {
                let Some(o) = self.translate_user(pid, va, access) else { return AccessResult::Dead };
                out = o;
            }
            match out {
                Outcome::TlbHit { pa, .. } | Outcome::Walked { pa, .. } => {
                    return self.access_done(out, pa, access, attempt)
                }
                Outcome::Fault(f) => match self.handle_fault(pid, f, access) {
                    // Back to user space to retry the access: a scheduling point (a woken kswapd runs here).
                    FaultOutcome::Minor | FaultOutcome::Major => self.schedule_kthreads(true),
                    FaultOutcome::Segv(info) => return AccessResult::Segv(info),
                    FaultOutcome::Oom => return AccessResult::OutOfMemory,
                },
            }
        }
        // The handler always makes progress; reaching here is a model bug, reported rather than looping.
        self.log.push(Event {
            pid,
            what: format!("model bug: the access at {:#x} still faulted after {MAX_FAULT_ROUNDS} rounds", va.raw()),
        });
        AccessResult::OutOfMemory
    }

    /// Read user memory (may span pages).
    pub fn read_user(&mut self, pid: Pid, va: VirtAddr, out: &mut [u8]) -> AccessResult {
        self.copy_user(pid, va, out.len(), Access::Read, |mem, pa, range| mem.read_bytes(pa, &mut out[range]))
    }

    /// Write user memory (may span pages).
    pub fn write_user(&mut self, pid: Pid, va: VirtAddr, data: &[u8]) -> AccessResult {
        self.copy_user(pid, va, data.len(), Access::Write, |mem, pa, range| mem.write_bytes(pa, &data[range]))
    }

    fn copy_user(
        &mut self,
        pid: Pid,
        va: VirtAddr,
        len: usize,
        access: Access,
        mut op: impl FnMut(&mut PhysMem, PhysAddr, std::ops::Range<usize>),
    ) -> AccessResult {
        let mut done = 0usize;
        let mut last = AccessResult::Dead;
        while done < len {
            let Some(at) = va.checked_add(done as u64) else {
                return AccessResult::Segv(self.kill_noncanonical(pid, va, access));
            };
            let room = at.bytes_to_page_end();
            let n = room.min(len - done);
            last = self.access(pid, at, access);
            match last {
                AccessResult::Ok(pa) => op(&mut self.mem, pa, done..done + n),
                other => return other,
            }
            done += n;
        }
        last
    }

    fn kill_noncanonical(&mut self, pid: Pid, va: VirtAddr, access: Access) -> SegvInfo {
        let info = SegvInfo { addr: va, code: signal::SegvCode::Kernel, access };
        self.kill(pid, TaskState::Segv(info));
        info
    }

    /// Map page `vpn` of `pid` to frame `pfn` (teaching set-ups: the seed note's table). The page must lie in a
    /// VMA and be unmapped; the frame must be free.
    ///
    /// Errors follow `vm_insert_page` (mm/memory.c), the kernel's own "map this page here": `EFAULT` for an
    /// address outside the VMA, `EBUSY` for a slot that is already mapped (`insert_page_into_pte_locked`),
    /// `ENOMEM` when a page table cannot be allocated (`get_locked_pte`). A frame beyond RAM is `EINVAL` (not a
    /// valid page); a frame already allocated is `EBUSY`; a huge leaf over the page is `EBUSY` too (the slot is
    /// taken; Linux would fail `get_locked_pte` there, but nothing is out of memory). `ESRCH`: the task is gone.
    pub fn pin(&mut self, pid: Pid, vpn: Vpn, pfn: Pfn) -> Result<(), SysError> {
        let err = |errno, cause| SysError::new(SysOp::Pin, Some(vpn.start()), errno, cause);
        if !self.mem.contains(pfn) {
            return Err(err(Errno::Inval, Cause::FrameOutsideRam { pfn, frames: self.mem.frames() }));
        }
        if pfn.index() >= crate::reclaim::MAX_FRAMES {
            return Err(err(Errno::Inval, Cause::FrameBeyondPolicies { pfn }));
        }
        let (slot, flags, mm_id) = self.prepare_slot(SysOp::Pin, pid, vpn)?;
        if !self.frames.claim(pfn) {
            return Err(err(Errno::Busy, Cause::FrameInUse { pfn }));
        }
        self.reclaim.user_used += 1;
        self.anon_vma_prepare(mm_id, vpn.start());
        self.new_anon_page(pfn, RmapEntry::pte(mm_id, vpn), false);
        let mut perms = flags.page_prot();
        if flags.contains(VmFlags::WRITE) {
            perms |= Perms::WRITE;
        }
        // The slot was none (prepare_slot checked): nothing to flush.
        let (_, flush) = pgtable::set::<M>(&mut self.mem, slot, M::Pte::leaf(pfn, perms, PageSizeKind::Size4K));
        self.flush(flush);
        if let Some(mm) = self.mms.get_mut(mm_id) {
            mm.add_anon(1);
        }
        Ok(())
    }

    /// Make page `vpn` of `pid` a non-present entry holding `entry`: a page that lives in swap, with `content`
    /// written to that slot (the rest of the page is zero).
    ///
    /// Errors: those of [`pin`](Self::pin) for the page; for the slot, the swap error itself
    /// ([`Cause::SwapSlotUnusable`], [`Cause::SwapWrite`]) with the errno `__swap_duplicate` would give
    /// ([`Errno::of_swap`]).
    pub fn pin_swapped(&mut self, pid: Pid, vpn: Vpn, entry: SwapEntry, content: &[u8]) -> Result<(), SysError> {
        let err = |e: SwapFileError, cause: fn(Box<SwapFileError>) -> Cause| {
            SysError::new(SysOp::PinSwapped, Some(vpn.start()), Errno::of_swap(&e), cause(Box::new(e)))
        };
        let (slot, _, mm_id) = self.prepare_slot(SysOp::PinSwapped, pid, vpn)?;
        self.swap.reserve(entry).map_err(|e| err(e, Cause::SwapSlotUnusable))?;
        let mut page = [0u8; crate::addr::PAGE_BYTES];
        let n = content.len().min(page.len());
        page[..n].copy_from_slice(&content[..n]);
        self.swap_write(entry, &page).map_err(|e| err(e, Cause::SwapWrite))?;
        let (_, flush) = pgtable::set::<M>(&mut self.mem, slot, M::Pte::from_swap(entry));
        self.flush(flush);
        self.anon_vma_prepare(mm_id, vpn.start()); // the page was anonymous before it went to swap
        if let Some(mm) = self.mms.get_mut(mm_id) {
            mm.counters.swap_ents += 1;
        }
        Ok(())
    }

    /// The empty PTE slot for page `vpn` of `pid`, with its VMA's flags and the mm: the checks of
    /// `vm_insert_page` (see [`pin`](Self::pin) for the errnos).
    fn prepare_slot(&mut self, op: SysOp, pid: Pid, vpn: Vpn) -> Result<(PteSlot, VmFlags, MmId), SysError> {
        let va = vpn.start();
        let err = |errno, cause| SysError::new(op, Some(va), errno, cause);
        let mm = self.mm_of(pid).ok_or_else(|| err(Errno::Srch, Cause::ProcessNotRunning))?;
        let flags = mm.vmas.find(va).map(|v| v.flags).ok_or_else(|| err(Errno::Fault, Cause::NotInVma { vpn }))?;
        let (pgd, mm_id) = (mm.pgd(), mm.id);
        let mut tables = 0;
        let slot = pgtable::pte_alloc::<M>(&mut self.mem, &mut self.frames, pgd, va, &mut tables);
        self.add_tables(mm_id, tables);
        let slot = slot.map_err(|e| match e {
            PteAllocError::NoFrame => err(Errno::NoMem, Cause::PageTableOom),
            PteAllocError::HugeLeaf(size) => err(Errno::Busy, Cause::HugePage { vpn, size }),
        })?;
        if !slot.read::<M>(&self.mem).is_none() {
            return Err(err(Errno::Busy, Cause::AlreadyMapped { vpn }));
        }
        Ok((slot, flags, mm_id))
    }

    fn add_tables(&mut self, mm: MmId, n: u64) {
        self.page_table_frames += n;
        if let Some(mm) = self.mms.get_mut(mm) {
            mm.counters.pgtable_frames += n;
        }
    }

    /// `anon_vma_prepare()`: the VMA of `mm` containing `va` now holds anonymous pages (see [`Vma::anon_vma`]).
    pub(crate) fn anon_vma_prepare(&mut self, mm: MmId, va: VirtAddr) {
        if let Some(v) = self.mms.get_mut(mm).and_then(|m| m.vmas.find_mut(va)) {
            v.anon_vma = true;
        }
    }

    /// Issue a TLB flush on every CPU that may hold the translation, counting the shootdown IPIs.
    pub(crate) fn flush(&mut self, flush: tlbflush::TlbFlush) {
        let s = flush.flush(&mut self.cpus);
        self.events.tlb_shootdown_ipis += s.ipis;
        self.events.tlb_entries_flushed += s.entries;
    }

    /// Finish a batch of deferred flushes (`tlb_finish_mmu`).
    pub(crate) fn finish(&mut self, batch: FlushBatch) {
        let s = batch.finish(&mut self.cpus);
        self.events.tlb_shootdown_ipis += s.ipis;
        self.events.tlb_entries_flushed += s.entries;
    }

    /// The leaf entry currently mapping `va` in `pid` (none if no table exists).
    pub fn pte(&self, pid: Pid, va: VirtAddr) -> Option<M::Pte> {
        let mm = self.mm_of(pid)?;
        pgtable::lookup::<M>(&self.mem, mm.pgd(), va).map(|slot| slot.read::<M>(&self.mem))
    }

    /// Exit: free every page, swap entry and page table of the process (`exit_mmap`).
    pub fn exit(&mut self, pid: Pid) {
        self.kill(pid, TaskState::Exited);
    }

    /// `exit_group()`: end every thread of `pid`'s thread group (kernel/exit.c `do_group_exit`: `zap_other_threads`
    /// sends the others SIGKILL, and each exits with the group's exit code), as a fatal signal does. The address
    /// space goes with its last user.
    pub fn exit_group(&mut self, pid: Pid) {
        let Some(tgid) = self.tasks.get(&pid).map(|t| t.tgid) else { return };
        let group: Vec<Pid> = std::iter::once(pid)
            .chain(self.tasks.values().filter(|t| t.tgid == tgid && t.pid != pid).map(|t| t.pid))
            .collect();
        for t in group {
            self.end_task(t, TaskState::Exited);
        }
    }

    /// End a task with `state`; when it was the last user of its mm, free the mm's memory (`exit_mm` →
    /// `mmput` → `exit_mmap`). The others go on.
    pub fn kill(&mut self, pid: Pid, state: TaskState) {
        if !self.kill_quietly(pid, state.clone()) {
            return;
        }
        match state {
            TaskState::Segv(info) => {
                self.events.segv += 1;
                self.log.push(Event { pid, what: format!("killed: {}", info.describe()) });
            }
            TaskState::OutOfMemory if !self.oom.kills.iter().any(|k| k.pid == pid) => self
                .log
                .push(Event { pid, what: "killed: out of memory (no free frame and nothing reclaimable)".into() }),
            _ => {}
        }
    }

    /// [`Kernel::kill`] without the log line (the caller has written its own). False if the task had already
    /// ended.
    pub(crate) fn kill_quietly(&mut self, pid: Pid, state: TaskState) -> bool {
        self.oom.pending.remove(&pid);
        if !self.end_task(pid, state.clone()) {
            return false;
        }
        if matches!(state, TaskState::Segv(_) | TaskState::OutOfMemory) {
            // A fatal signal ends the whole thread group (`do_group_exit`).
            let tgid = self.tasks.get(&pid).map_or(pid, |t| t.tgid);
            let others: Vec<Pid> = self
                .tasks
                .values()
                .filter(|t| t.tgid == tgid && t.pid != pid && t.is_running())
                .map(|t| t.pid)
                .collect();
            for o in others {
                self.end_task(o, state.clone());
            }
        }
        true
    }

    /// Stop one task: its state, off its CPU, one user less on its mm (freed with the last). False if it had
    /// already ended.
    fn end_task(&mut self, pid: Pid, state: TaskState) -> bool {
        let Some(t) = self.tasks.get_mut(&pid) else { return false };
        let Some(mm_id) = t.mm.take() else { return false };
        t.state = state;
        // The task's kernel blocks go back to the allocator (a driver's buffers released with the task's files).
        for (_, pfn, order) in self.driver_pages.remove(&pid).unwrap_or_default() {
            self.frames.free_pages(pfn, order);
        }
        self.reschedule();
        self.cpus.descheduled(pid);
        let counters = self.release_mm(mm_id);
        if let Some(t) = self.tasks.get_mut(&pid) {
            t.final_mm = counters.unwrap_or_default();
        }
        true
    }

    /// `exit_mmap()`: zap every VMA, free the page tables, flush the mm everywhere, drop it. Returns its final
    /// counters.
    pub(crate) fn exit_mmap(&mut self, mm_id: MmId) -> Option<MmCounters> {
        let ranges: Vec<(VirtAddr, VirtAddr)> = self.mms.get(mm_id)?.vmas.iter().map(|v| (v.start, v.end)).collect();
        for (s, e) in ranges {
            let batch = self.zap_range(mm_id, s, e, FlushBatch::new());
            self.finish(batch);
        }
        self.ksm_exit(mm_id); // __ksm_exit()
        let mut mm = self.mms.remove(mm_id)?;
        // exit_mmap(): `vm_unacct_memory(nr_accounted)` for every VM_ACCOUNT VMA.
        self.vm_unacct_memory(mm.vmas.iter().map(Vma::accounted_pages).sum());
        let (freed, flush) = pgtable::free_all::<M>(&mut self.mem, &mut self.frames, mm.pgd());
        self.flush(flush);
        self.page_table_frames -= freed;
        mm.counters.pgtable_frames = 0;
        self.cpus.drop_mm(mm_id);
        self.shmem_release_unused();
        Some(mm.counters)
    }

    /// Release one reference to an anonymous page frame, freeing it when the last goes (`put_page`). A page
    /// whose last mapping goes while it sits in the swap cache leaves the cache too, releasing the cache's
    /// reference to its swap slot (`free_swap_and_cache`).
    pub(crate) fn put_page(&mut self, pfn: Pfn) {
        if pfn == self.zero_pfn {
            return;
        }
        let m = self.mem.meta(pfn);
        if m.mapcount == 0 && m.test(PageFlags::SWAPCACHE) {
            self.folio_free_swap(pfn); // free_swap_cache()
        }
        let m = self.mem.meta_mut(pfn);
        m.refcount = m.refcount.saturating_sub(1);
        if m.refcount == 0 {
            self.free_user_frame(pfn);
        }
    }

    /// Return a user page's frame: off the LRU, metadata cleared, contents dropped.
    pub(crate) fn free_user_frame(&mut self, pfn: Pfn) {
        let m = self.mem.meta(pfn);
        let (on_lru, memcg) = (m.test(PageFlags::LRU), m.memcg);
        if on_lru {
            self.lru_mut(memcg).remove(pfn);
        }
        if let Some(g) = self.memcgs.get_mut(&memcg) {
            g.usage = g.usage.saturating_sub(1); // uncharge
        }
        self.mem.free_meta(pfn);
        self.mem.zero_frame(pfn);
        if self.cfg.exact && pfn.raw() < self.reclaim.user_frames {
            self.reclaim.exact_free.push(pfn);
        } else {
            self.frames.free_pages(pfn, 0);
        }
        self.reclaim.user_used = self.reclaim.user_used.saturating_sub(1);
    }

    /// Charge `pfn` to group `memcg` and put it on that group's LRU (`mem_cgroup_charge` + `folio_add_lru`).
    pub(crate) fn charge_page(&mut self, pfn: Pfn, memcg: MemcgId) {
        self.charge_folio(pfn, memcg, crate::reclaim::PageInfo::ANON);
    }

    /// [`charge_page`](Self::charge_page) for a folio of `info`'s weight and LRU class (a page-cache page goes on
    /// the file lists).
    pub(crate) fn charge_folio(&mut self, pfn: Pfn, memcg: MemcgId, info: crate::reclaim::PageInfo) {
        self.mem.meta_mut(pfn).memcg = memcg;
        if let Some(g) = self.memcgs.get_mut(&memcg) {
            g.usage += 1;
        }
        let next = self.next_use;
        self.lru_mut(memcg).insert_folio(pfn, info, next);
    }

    /// Set up a newly allocated user page: refcount 1, anonymous memory of `entry`'s mm at index `entry.vpn`,
    /// exclusive, mapped once, on the LRU (`folio_add_new_anon_rmap` + `folio_add_lru_vma`). `zero` clears its
    /// contents first.
    pub(crate) fn new_anon_page(&mut self, pfn: Pfn, entry: RmapEntry, zero: bool) {
        if zero {
            self.mem.zero_frame(pfn);
        }
        let memcg = self.mms.get(entry.mm).map_or(MemcgId::ROOT, |mm| mm.memcg);
        let m = self.mem.meta_mut(pfn);
        m.refcount = 1;
        m.set(PageFlags::ANON_EXCLUSIVE | PageFlags::LRU | PageFlags::SWAPBACKED);
        m.set_anon(entry.mm, entry.vpn);
        rmap::add(&mut self.mem, pfn, entry);
        self.charge_page(pfn, memcg);
    }

    /// Zap the entries of `[start, end)` in `mm`: drop RSS, free pages whose last reference goes, release swap
    /// entries (mm/memory.c `zap_pte_range`). Returns the batch with the needed invalidations.
    pub(crate) fn zap_range(
        &mut self,
        mm_id: MmId,
        start: VirtAddr,
        end: VirtAddr,
        mut batch: FlushBatch,
    ) -> FlushBatch {
        let Some(pgd) = self.mms.get(mm_id).map(Mm::pgd) else { return batch };
        for (slot, _) in pgtable::leaves::<M>(&self.mem, pgd, start, end) {
            let (pte, flush) = pgtable::clear::<M>(&mut self.mem, slot);
            flush.defer(&mut batch);
            if pte.is_present() || pte.is_protnone() {
                let pfn = pte.pfn();
                if pfn != self.zero_pfn {
                    rmap::remove(&mut self.mem, pfn, slot.rmap_entry());
                    let mapping = self.mem.meta(pfn).mapping;
                    if let Some(mm) = self.mms.get_mut(mm_id) {
                        let c = match mapping {
                            crate::phys::frame_meta::Mapping::Shmem { .. } => &mut mm.counters.shmem_pages,
                            crate::phys::frame_meta::Mapping::File { .. } => &mut mm.counters.file_pages,
                            _ => &mut mm.counters.anon_pages,
                        };
                        *c = c.saturating_sub(1);
                    }
                    self.put_page(pfn);
                }
            } else if let Some(entry) = pte.swap_entry() {
                if let Some(mm) = self.mms.get_mut(mm_id) {
                    mm.counters.swap_ents = mm.counters.swap_ents.saturating_sub(1);
                }
                self.free_swap_and_cache(entry);
            }
        }
        batch
    }

    /// Tasks in pid order.
    pub fn processes(&self) -> impl Iterator<Item = &Task> {
        self.tasks.values()
    }
}

/// Where a new process's regions go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Start of the brk heap.
    pub brk_start: VirtAddr,
    /// Top of the top-down mmap area.
    pub mmap_base: VirtAddr,
    /// One past the top of the stack.
    pub stack_top: VirtAddr,
    /// Initial stack size in pages (0: no stack VMA).
    pub stack_pages: u64,
    /// `RLIMIT_STACK` in bytes.
    pub stack_limit: u64,
}

impl Layout {
    /// The default layout for paging mode `M`: x86-64 uses Linux's `TASK_SIZE_MAX = (1 << 47) - 4096` as the
    /// stack top (SPEC §1), an mmap base 128 MiB + guard gap below it (`mmap_base()`, mm/util.c: the gap is
    /// RLIMIT_STACK clamped to at least 128 MiB), and a heap at 0x5555_5555_0000 (where PIE executables land).
    /// The 2 MiB linear teaching space puts the heap at 1 MiB and the mmap area just below a 64 KiB stack.
    pub fn default_for<M: PagingMode>() -> Self {
        if M::VA_BITS >= 39 {
            let top = (1u64 << (M::VA_BITS - 1)) - PAGE_SIZE;
            Self {
                brk_start: VirtAddr::new(0x5555_5555_0000),
                mmap_base: VirtAddr::new(top - (128 << 20) - STACK_GUARD_GAP_PAGES * PAGE_SIZE),
                stack_top: VirtAddr::new(top),
                stack_pages: 33, // 132 KiB: the initial stack of a fresh exec (setup_arg_pages, fs/exec.c)
                stack_limit: DEFAULT_STACK_LIMIT,
            }
        } else {
            let top = 1u64 << M::VA_BITS;
            Self {
                brk_start: VirtAddr::new(top / 2),
                mmap_base: VirtAddr::new(top - (64 << 10)),
                stack_top: VirtAddr::new(top),
                stack_pages: 0,
                stack_limit: 64 << 10,
            }
        }
    }
}
