//! Virtual memory areas (`struct vm_area_struct`, include/linux/mm_types.h) kept in an ordered map with
//! O(log n) lookup, as Linux's maple tree gives (mm/mmap.c `find_vma`, `vma_lookup`).
//!
//! Simplifies: adjacent compatible VMAs are not merged (`vma_merge`), so a series of mmaps shows one VMA each.

use crate::addr::VirtAddr;
use crate::arch::Perms;
use bitflags::bitflags;
use std::collections::BTreeMap;

bitflags! {
    /// `vm_flags` (include/linux/mm.h), the subset the model uses.
    #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
    pub struct VmFlags: u32 {
        /// `VM_READ`.
        const READ = 1 << 0;
        /// `VM_WRITE`.
        const WRITE = 1 << 1;
        /// `VM_EXEC`.
        const EXEC = 1 << 2;
        /// `VM_SHARED`.
        const SHARED = 1 << 3;
        /// `VM_GROWSDOWN`: a stack that grows down on faults below it.
        const GROWSDOWN = 1 << 8;
        /// `VM_ACCOUNT`: charged to Committed_AS.
        const ACCOUNT = 1 << 20;
        /// `VM_NORESERVE`: `MAP_NORESERVE` outside `vm.overcommit_memory = 2`; never charged.
        const NORESERVE = 1 << 21;
        /// `VM_MERGEABLE`: `madvise(MADV_MERGEABLE)`, scanned by KSM.
        const MERGEABLE = 1 << 31;
    }
}

impl VmFlags {
    /// The access bits only.
    pub const ACCESS: VmFlags = VmFlags::READ.union(VmFlags::WRITE).union(VmFlags::EXEC);

    /// From a `prot` string such as `"rw"`, `"r-x"`, `"none"`.
    pub fn from_prot(prot: &str) -> Option<Self> {
        let mut f = VmFlags::empty();
        if prot == "none" || prot.is_empty() {
            return Some(f);
        }
        for c in prot.chars() {
            match c {
                'r' => f |= VmFlags::READ,
                'w' => f |= VmFlags::WRITE,
                'x' => f |= VmFlags::EXEC,
                '-' => {}
                _ => return None,
            }
        }
        Some(f)
    }

    /// `vma_is_accessible()`: any of read, write, exec.
    pub fn is_accessible(self) -> bool {
        self.intersects(VmFlags::ACCESS)
    }

    /// PTE permissions for a user page of this VMA (`vm_get_page_prot`). A writable private VMA still maps
    /// read-only until the first write (PAGE_COPY, SPEC §2.1); the caller adds WRITE when it may.
    pub fn page_prot(self) -> Perms {
        let mut p = Perms::USER;
        if self.is_accessible() {
            // x86 has no write-only or exec-only PTE: any accessible page is readable (SPEC §2.1).
            p |= Perms::READ;
        }
        if self.contains(VmFlags::EXEC) {
            p |= Perms::EXEC;
        }
        p
    }

    /// `rwxp` as in /proc/PID/maps.
    pub fn maps_string(self) -> String {
        let c = |f, ch| if self.contains(f) { ch } else { '-' };
        [
            c(VmFlags::READ, 'r'),
            c(VmFlags::WRITE, 'w'),
            c(VmFlags::EXEC, 'x'),
            if self.contains(VmFlags::SHARED) { 's' } else { 'p' },
        ]
        .iter()
        .collect()
    }
}

/// What a VMA is for (the name /proc/PID/maps shows).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VmaKind {
    /// Anonymous mapping from mmap.
    Anon,
    /// The brk heap (`[heap]`).
    Heap,
    /// The main stack (`[stack]`).
    Stack,
    /// The implicit mapping of trace replay: every page a trace touches is legal.
    Trace,
    /// Anonymous shared memory (`MAP_SHARED|MAP_ANONYMOUS`): a shmem object; page `i` of the object is mapped at
    /// `base + i * PAGE_SIZE` (`base` is where the mapping was created, so it survives splits).
    Shmem {
        /// The shmem object.
        inode: crate::phys::frame_meta::InodeId,
        /// Address of the object's page 0 in this mapping.
        base: VirtAddr,
    },
    /// A mapping of a simulated file (`vma->vm_file`, `MAP_PRIVATE` or `MAP_SHARED` by [`VmFlags::SHARED`]): the
    /// page at `va` is page `pgoff + (va - base) / PAGE_SIZE` of the file (`linear_page_index`). `base` is where the
    /// mapping was created and `pgoff` its file offset in pages (`vm_pgoff` of the original VMA), both kept
    /// across splits.
    File {
        /// The file.
        inode: crate::phys::frame_meta::InodeId,
        /// Address where the mapping was created.
        base: VirtAddr,
        /// File page mapped at `base`.
        pgoff: u64,
    },
}

impl VmaKind {
    /// The file page mapped at `va`, for a file mapping.
    pub fn file_index(&self, va: VirtAddr) -> Option<(crate::phys::frame_meta::InodeId, u64)> {
        match *self {
            VmaKind::File { inode, base, pgoff } => {
                Some((inode, pgoff + ((va.raw() - base.raw()) >> crate::addr::PAGE_SHIFT)))
            }
            _ => None,
        }
    }
}

/// One VMA: the half-open range `[start, end)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vma {
    /// First address (page aligned).
    pub start: VirtAddr,
    /// One past the last address (page aligned).
    pub end: VirtAddr,
    /// `vm_flags`.
    pub flags: VmFlags,
    /// What it is.
    pub kind: VmaKind,
    /// A user-given name (scenario `name = ...`), if any.
    pub name: Option<String>,
    /// Whether the VMA has an `anon_vma`: set by the first fault that puts an anonymous page in it
    /// (`anon_vma_prepare`, from `do_anonymous_page`'s write path and `wp_page_copy`), never by a read that maps the
    /// zero page. fork copies the page tables only of VMAs that have one (`vma_needs_copy`); a VMA without one
    /// gets none in the child, which then faults its pages in anew. Kept across splits and inherited by fork
    /// (`anon_vma_fork`).
    pub anon_vma: bool,
}

impl Vma {
    /// Whether `va` is inside.
    pub fn contains(&self, va: VirtAddr) -> bool {
        self.start <= va && va < self.end
    }
    /// Length in bytes.
    pub fn len(&self) -> u64 {
        self.end.raw() - self.start.raw()
    }
    /// Pages charged to `Committed_AS` for it: its length if `VM_ACCOUNT`, else 0 (`vma_pages` of an accounted VMA).
    pub fn accounted_pages(&self) -> u64 {
        if self.flags.contains(VmFlags::ACCOUNT) {
            self.len() / crate::addr::PAGE_SIZE
        } else {
            0
        }
    }
    /// Whether the VMA is empty (never true for a VMA in a tree).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The VMAs of one address space, keyed by start address.
#[derive(Clone, Debug, Default)]
pub struct VmaTree {
    map: BTreeMap<VirtAddr, Vma>,
}

/// A VMA insertion that would overlap an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("range {start:#x}..{end:#x} overlaps an existing mapping")]
pub struct Overlap {
    /// Start of the rejected range.
    pub start: u64,
    /// End of the rejected range.
    pub end: u64,
}

impl VmaTree {
    /// `vma_lookup()`: the VMA containing `va`.
    pub fn find(&self, va: VirtAddr) -> Option<&Vma> {
        self.map.range(..=va).next_back().map(|(_, v)| v).filter(|v| v.contains(va))
    }

    /// The VMA containing `va`, mutably.
    pub fn find_mut(&mut self, va: VirtAddr) -> Option<&mut Vma> {
        self.map.range_mut(..=va).next_back().map(|(_, v)| v).filter(|v| v.contains(va))
    }

    /// `find_vma()`: the first VMA with `end > va` (containing it, or the next one above).
    pub fn find_vma(&self, va: VirtAddr) -> Option<&Vma> {
        if let Some(v) = self.find(va) {
            return Some(v);
        }
        self.map.range(va..).next().map(|(_, v)| v)
    }

    /// The VMA ending at or below `va` (the `prev` of `find_vma_prev`).
    pub fn prev(&self, va: VirtAddr) -> Option<&Vma> {
        self.map.range(..va).next_back().map(|(_, v)| v).filter(|v| v.end <= va)
    }

    /// Insert a VMA; it must not overlap another.
    pub fn insert(&mut self, vma: Vma) -> Result<(), Overlap> {
        debug_assert!(vma.start < vma.end && vma.start.is_page_aligned() && vma.end.is_page_aligned());
        if self.overlaps(vma.start, vma.end) {
            return Err(Overlap { start: vma.start.raw(), end: vma.end.raw() });
        }
        self.map.insert(vma.start, vma);
        Ok(())
    }

    /// Whether any VMA intersects `[start, end)`.
    pub fn overlaps(&self, start: VirtAddr, end: VirtAddr) -> bool {
        self.find_vma(start).is_some_and(|v| v.start < end)
    }

    /// Split so that no VMA straddles `at` (`split_vma`).
    pub fn split_at(&mut self, at: VirtAddr) {
        let Some(v) = self.find(at) else { return };
        if v.start == at {
            return;
        }
        let mut upper = v.clone();
        upper.start = at;
        if let Some(lower) = self.map.get_mut(&v.start.clone()) {
            lower.end = at;
        }
        self.map.insert(at, upper);
    }

    /// Remove and return every VMA inside `[start, end)` after splitting at the ends.
    pub fn remove_range(&mut self, start: VirtAddr, end: VirtAddr) -> Vec<Vma> {
        self.split_at(start);
        self.split_at(end);
        let keys: Vec<VirtAddr> = self.map.range(start..end).map(|(k, _)| *k).collect();
        keys.into_iter().filter_map(|k| self.map.remove(&k)).collect()
    }

    /// Mutable access to every VMA inside `[start, end)` after splitting at the ends.
    pub fn range_mut(&mut self, start: VirtAddr, end: VirtAddr) -> impl Iterator<Item = &mut Vma> {
        self.split_at(start);
        self.split_at(end);
        self.map.range_mut(start..end).map(|(_, v)| v)
    }

    /// Whether `[start, end)` is entirely covered by VMAs with no hole.
    pub fn covers(&self, start: VirtAddr, end: VirtAddr) -> bool {
        let mut at = start;
        while at < end {
            match self.find(at) {
                Some(v) => at = v.end,
                None => return false,
            }
        }
        true
    }

    /// Change a VMA's start (stack growth, `expand_downwards`).
    pub fn move_start(&mut self, old_start: VirtAddr, new_start: VirtAddr) {
        if let Some(mut v) = self.map.remove(&old_start) {
            v.start = new_start;
            self.map.insert(new_start, v);
        }
    }

    /// Change a VMA's end (brk).
    pub fn set_end(&mut self, start: VirtAddr, new_end: VirtAddr) {
        if let Some(v) = self.map.get_mut(&start) {
            v.end = new_end;
        }
    }

    /// The highest free gap of `len` bytes inside `[low, high)` (`vm_unmapped_area` top-down, mm/mmap.c). The
    /// space below a growsdown VMA keeps `guard` bytes free (`vm_start_gap`).
    pub fn find_gap_topdown(&self, len: u64, low: VirtAddr, high: VirtAddr, guard: u64) -> Option<VirtAddr> {
        let start_gap = |v: &Vma| {
            if v.flags.contains(VmFlags::GROWSDOWN) {
                v.start.raw().saturating_sub(guard)
            } else {
                v.start.raw()
            }
        };
        // `top` is the upper end of the free space below the VMAs seen so far (descending order).
        let mut top = high.raw();
        for v in self.map.values().rev() {
            let bottom = v.end.raw().max(low.raw());
            if top > bottom && top - bottom >= len {
                return Some(VirtAddr::new(top - len));
            }
            top = top.min(start_gap(v));
            if top <= low.raw() {
                return None;
            }
        }
        (top >= low.raw() && top - low.raw() >= len).then(|| VirtAddr::new(top - len))
    }

    /// All VMAs in address order.
    pub fn iter(&self) -> impl Iterator<Item = &Vma> {
        self.map.values()
    }

    /// Number of VMAs.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vma(s: u64, e: u64) -> Vma {
        Vma {
            start: VirtAddr::new(s),
            end: VirtAddr::new(e),
            flags: VmFlags::READ | VmFlags::WRITE,
            kind: VmaKind::Anon,
            name: None,
            anon_vma: false,
        }
    }

    #[test]
    fn lookup_split_remove() {
        let mut t = VmaTree::default();
        t.insert(vma(0x1000, 0x5000)).unwrap();
        t.insert(vma(0x8000, 0x9000)).unwrap();
        assert!(t.insert(vma(0x4000, 0x6000)).is_err());
        assert_eq!(t.find(VirtAddr::new(0x4FFF)).unwrap().start.raw(), 0x1000);
        assert!(t.find(VirtAddr::new(0x5000)).is_none());
        assert_eq!(t.find_vma(VirtAddr::new(0x5000)).unwrap().start.raw(), 0x8000);
        assert_eq!(t.prev(VirtAddr::new(0x8000)).unwrap().end.raw(), 0x5000);
        let removed = t.remove_range(VirtAddr::new(0x2000), VirtAddr::new(0x3000));
        assert_eq!(removed.len(), 1);
        assert_eq!(t.len(), 3);
        assert!(!t.covers(VirtAddr::new(0x1000), VirtAddr::new(0x5000)));
        assert!(t.covers(VirtAddr::new(0x3000), VirtAddr::new(0x5000)));
    }

    #[test]
    fn topdown_gap_respects_stack_guard() {
        let mut t = VmaTree::default();
        let mut stack = vma(0x10_0000, 0x20_0000);
        stack.flags |= VmFlags::GROWSDOWN;
        t.insert(stack).unwrap();
        let at = t.find_gap_topdown(0x1000, VirtAddr::new(0), VirtAddr::new(0x20_0000), 0x8_0000).unwrap();
        assert_eq!(at.raw(), 0x10_0000 - 0x8_0000 - 0x1000);
    }

    #[test]
    fn prot_strings() {
        assert_eq!(VmFlags::from_prot("rw"), Some(VmFlags::READ | VmFlags::WRITE));
        assert_eq!(VmFlags::from_prot("r-x"), Some(VmFlags::READ | VmFlags::EXEC));
        assert_eq!(VmFlags::from_prot("none"), Some(VmFlags::empty()));
        assert_eq!(VmFlags::from_prot("rq"), None);
        assert_eq!((VmFlags::READ | VmFlags::WRITE).maps_string(), "rw-p");
    }
}
