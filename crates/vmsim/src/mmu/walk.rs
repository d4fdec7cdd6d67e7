//! The hardware page walk over tables stored in simulated frames (SDM Vol 3A §4.5).

use crate::addr::{Pfn, PhysAddr, VirtAddr};
use crate::arch::{Level, PagingMode, Perms, Pte, PTE_BYTES};
use crate::phys::PhysMem;

/// One step of a walk, for step-by-step printouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WalkStep {
    /// Level of the table read.
    pub level: Level,
    /// Index into that table.
    pub index: u16,
    /// Physical address of the entry read.
    pub entry_pa: PhysAddr,
    /// Raw entry value.
    pub raw: u64,
}

/// Receives each step of a walk. `()` ignores them and compiles away.
pub trait WalkObserver {
    /// Called after each entry is read.
    fn step(&mut self, step: WalkStep);
    /// Called when the walker writes an entry it read (setting A or D; SDM 3A §4.8). Default: nothing.
    #[inline(always)]
    fn wrote(&mut self, entry_pa: PhysAddr) {
        let _ = entry_pa;
    }
}

impl WalkObserver for () {
    #[inline(always)]
    fn step(&mut self, _step: WalkStep) {}
}

impl WalkObserver for Vec<WalkStep> {
    fn step(&mut self, step: WalkStep) {
        self.push(step);
    }
}

/// What the walk found at the leaf.
#[derive(Clone, Copy, Debug)]
pub struct Leaf {
    /// Frame of the 4 KiB page containing the address (large pages: the 4 KiB frame within them).
    pub pfn: Pfn,
    /// Effective permissions: W and U ANDed over all levels, X cleared by XD at any level (SDM 3A §4.6).
    pub perms: Perms,
}

/// Maximum supported levels (x86 LA57 / RISC-V Sv57).
pub const MAX_LEVELS: usize = 5;

/// A completed walk.
#[derive(Clone, Copy, Debug)]
pub struct Walk {
    /// The leaf, or the level whose entry was not present.
    pub result: Result<Leaf, Level>,
    /// Entries read from memory.
    pub mem_refs: u8,
    /// Entry addresses read (for A/D updates), deepest last.
    pub entries: [PhysAddr; MAX_LEVELS],
    /// The raw value read at each of `entries`.
    pub raws: [u64; MAX_LEVELS],
    /// Number of valid `entries`.
    pub entries_len: usize,
    /// Tables entered below the starting level: (level of the table, its frame), for the paging-structure caches.
    pub tables: [(Level, Pfn); MAX_LEVELS],
    /// Number of valid `tables`.
    pub tables_len: usize,
}

/// Walk from `root` (or from a paging-structure-cache hit `start`: the level and frame of a table to resume at).
#[inline]
pub fn walk<M: PagingMode, O: WalkObserver>(
    mem: &PhysMem,
    root: Pfn,
    va: VirtAddr,
    start: Option<(Level, Pfn)>,
    obs: &mut O,
) -> Walk {
    let (mut level, mut table) = start.unwrap_or((Level(M::LEVELS), root));
    let mut w = Walk {
        result: Err(level),
        mem_refs: 0,
        entries: [PhysAddr::default(); MAX_LEVELS],
        raws: [0; MAX_LEVELS],
        entries_len: 0,
        tables: [(Level(0), Pfn::default()); MAX_LEVELS],
        tables_len: 0,
    };
    // Permissions are ANDed down the walk; upper levels contribute only W, U and XD.
    let mut perms = Perms::READ | Perms::WRITE | Perms::USER | Perms::EXEC;
    loop {
        let index = M::index(va, level);
        let entry_pa = PhysAddr::from_parts(table, index.get() as u64 * PTE_BYTES);
        let raw = mem.read_u64(entry_pa);
        w.mem_refs += 1;
        w.entries[w.entries_len] = entry_pa;
        w.raws[w.entries_len] = raw;
        w.entries_len += 1;
        obs.step(WalkStep { level, index: index.0, entry_pa, raw });
        let pte = M::Pte::from_raw(raw);
        if !pte.is_present() {
            w.result = Err(level);
            return w;
        }
        let p = pte.perms();
        perms &= p | Perms::READ;
        if pte.is_leaf(level) {
            let shift = crate::addr::PAGE_SHIFT + M::INDEX_BITS * u32::from(level.0 - 1);
            // Large page: the 4 KiB frame is the base frame plus the VA bits between 12 and the page size.
            let sub = (va.raw() >> crate::addr::PAGE_SHIFT) & ((1u64 << (shift - crate::addr::PAGE_SHIFT)) - 1);
            let pfn = Pfn::from_pte_field(pte.pfn().raw() + sub);
            let status = p & (Perms::ACCESSED | Perms::DIRTY | Perms::GLOBAL);
            w.result = Ok(Leaf { pfn, perms: (perms & Perms::ACCESS_MASK) | status });
            return w;
        }
        if level.0 == 1 {
            // A pointer at the last level cannot happen with x86 (PT entries are always leaves).
            w.result = Err(level);
            return w;
        }
        level = Level(level.0 - 1);
        table = pte.pfn();
        w.tables[w.tables_len] = (level, table);
        w.tables_len += 1;
    }
}

/// Set A in every entry the walk used and D in the leaf on a write (SDM 3A §4.8). Entries already set are not
/// rewritten (the hardware's locked update is skipped when the bit is already 1). `w` must be the walk just done,
/// with no write to memory since: the values it read are not read again.
pub fn set_accessed_dirty<M: PagingMode, O: WalkObserver>(mem: &mut PhysMem, w: &Walk, write: bool, obs: &mut O) {
    for (i, (&pa, &raw)) in w.entries.iter().zip(&w.raws).take(w.entries_len).enumerate() {
        let pte = M::Pte::from_raw(raw);
        let is_leaf = i + 1 == w.entries_len;
        let bits = if is_leaf && write { Perms::ACCESSED | Perms::DIRTY } else { Perms::ACCESSED };
        let new = pte.with_status(bits);
        if new != pte {
            mem.write_u64(pa, new.raw());
            obs.wrote(pa);
        }
    }
}
