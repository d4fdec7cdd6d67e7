//! `/proc/PID/smaps` and `/proc/PID/smaps_rollup` (fs/proc/task_mmu.c `show_smap`, `__show_smap`,
//! `show_smaps_rollup`, `smaps_account`, `smaps_page_accumulate`, `show_smap_vma_flags`; the header line is
//! `show_vma_header_prefix` + `show_map_vma`, as in /proc/PID/maps).
//!
//! Sizes are accumulated in bytes, the proportional ones (Pss, SwapPss, …) in fixed point with [`PSS_SHIFT`]
//! fractional bits, exactly as Linux does: each page adds `(PAGE_SIZE << 12) / mapcount`, truncated, and only the
//! sum is shifted back (`mss->pss >> PSS_SHIFT`) and shown in kB (`>> 10`, truncated). smaps_rollup sums the
//! fixed-point values of every VMA before the shift, so its Pss can exceed the sum of the per-VMA Pss lines.
//!
//! Each value line is `SEQ_PUT_DEC(str, val)` = `seq_put_decimal_ull_width(m, str, val >> 10, 8)`: a 16-character
//! label (name, colon, spaces), the kB right-aligned in 8 columns, then `" kB"`; `Private_Hugetlb: ` is the one
//! 17-character label and is printed with width 7, so every line lines up.

use crate::kernel::vma::VmFlags;
use std::fmt::Write;

/// Fractional bits of the proportional counters (task_mmu.c `#define PSS_SHIFT 12`).
pub const PSS_SHIFT: u32 = 12;

const PAGE: u64 = crate::addr::PAGE_SIZE;

/// `struct mem_size_stats` (task_mmu.c): bytes; the `pss*` and `swap_pss` fields in fixed point.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs, reason = "the fields are Linux's, named as in struct mem_size_stats")]
pub struct MemSizeStats {
    pub resident: u64,
    pub shared_clean: u64,
    pub shared_dirty: u64,
    pub private_clean: u64,
    pub private_dirty: u64,
    pub referenced: u64,
    pub anonymous: u64,
    pub lazyfree: u64,
    pub anonymous_thp: u64,
    pub shmem_thp: u64,
    pub file_thp: u64,
    pub swap: u64,
    pub shared_hugetlb: u64,
    pub private_hugetlb: u64,
    pub ksm: u64,
    pub pss: u64,
    pub pss_anon: u64,
    pub pss_file: u64,
    pub pss_shmem: u64,
    pub pss_dirty: u64,
    pub pss_locked: u64,
    pub swap_pss: u64,
}

/// What `smaps_account` reads of a mapped folio (its head's `struct page`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FolioInfo {
    /// `folio_test_anon()` (KSM pages included).
    pub anon: bool,
    /// `folio_test_ksm()`.
    pub ksm: bool,
    /// `folio_test_swapbacked()`.
    pub swapbacked: bool,
    /// `folio_test_dirty()` (`PG_dirty`).
    pub dirty: bool,
    /// `folio_test_referenced()` (`PG_referenced`).
    pub referenced: bool,
    /// `folio_ref_count()`.
    pub refcount: u32,
}

impl MemSizeStats {
    /// `smaps_page_accumulate()`: `size` bytes with proportional share `pss` (fixed point).
    fn accumulate(&mut self, folio: &FolioInfo, size: u64, pss: u64, dirty: bool, locked: bool, private: bool) {
        self.pss += pss;
        if folio.anon {
            self.pss_anon += pss;
        } else if folio.swapbacked {
            self.pss_shmem += pss;
        } else {
            self.pss_file += pss;
        }
        if locked {
            self.pss_locked += pss;
        }
        if dirty || folio.dirty {
            self.pss_dirty += pss;
            if private {
                self.private_dirty += size;
            } else {
                self.shared_dirty += size;
            }
        } else if private {
            self.private_clean += size;
        } else {
            self.shared_clean += size;
        }
    }

    /// `smaps_account()`: one present mapping of a folio. `mapcounts` holds the precise map count of each page
    /// the mapping covers (`folio_precise_page_mapcount`): one for a PTE, every subpage for a PMD (`compound`).
    /// `young` and `dirty` are the entry's Accessed and Dirty bits.
    pub fn account(&mut self, folio: &FolioInfo, mapcounts: &[u32], young: bool, dirty: bool, locked: bool) {
        let size = mapcounts.len() as u64 * PAGE;
        if folio.anon {
            self.anonymous += size;
            if !folio.swapbacked && !dirty && !folio.dirty {
                self.lazyfree += size;
            }
        }
        if folio.ksm {
            self.ksm += size;
        }
        self.resident += size;
        if young || folio.referenced {
            self.referenced += size;
        }
        // "refcount == 1 for present entries guarantees that the folio is mapped exactly once."
        if folio.refcount == 1 {
            self.accumulate(folio, size, size << PSS_SHIFT, dirty, locked, true);
            return;
        }
        for &mapcount in mapcounts {
            let mut pss = PAGE << PSS_SHIFT;
            if mapcount >= 2 {
                pss /= u64::from(mapcount);
            }
            self.accumulate(folio, PAGE, pss, dirty, locked, mapcount < 2);
        }
    }

    /// `smaps_pte_entry()` for a swap entry: `swapcount` is `swp_swapcount()`, the references to the slot from
    /// page tables (the swap cache's own reference not counted).
    pub fn account_swap(&mut self, swapcount: u32) {
        self.swap += PAGE;
        let mut pss = PAGE << PSS_SHIFT;
        if swapcount >= 2 {
            pss /= u64::from(swapcount);
        }
        self.swap_pss += pss;
    }

    /// Add another VMA's totals (smaps_rollup gathers every VMA into one `mem_size_stats`).
    pub fn add(&mut self, o: &MemSizeStats) {
        let MemSizeStats {
            resident,
            shared_clean,
            shared_dirty,
            private_clean,
            private_dirty,
            referenced,
            anonymous,
            lazyfree,
            anonymous_thp,
            shmem_thp,
            file_thp,
            swap,
            shared_hugetlb,
            private_hugetlb,
            ksm,
            pss,
            pss_anon,
            pss_file,
            pss_shmem,
            pss_dirty,
            pss_locked,
            swap_pss,
        } = *o;
        self.resident += resident;
        self.shared_clean += shared_clean;
        self.shared_dirty += shared_dirty;
        self.private_clean += private_clean;
        self.private_dirty += private_dirty;
        self.referenced += referenced;
        self.anonymous += anonymous;
        self.lazyfree += lazyfree;
        self.anonymous_thp += anonymous_thp;
        self.shmem_thp += shmem_thp;
        self.file_thp += file_thp;
        self.swap += swap;
        self.shared_hugetlb += shared_hugetlb;
        self.private_hugetlb += private_hugetlb;
        self.ksm += ksm;
        self.pss += pss;
        self.pss_anon += pss_anon;
        self.pss_file += pss_file;
        self.pss_shmem += pss_shmem;
        self.pss_dirty += pss_dirty;
        self.pss_locked += pss_locked;
        self.swap_pss += swap_pss;
    }
}

/// `SEQ_PUT_DEC(label, bytes)`: `label` is the 16-character field.
fn dec(out: &mut String, label: &str, bytes: u64) {
    let _ = writeln!(out, "{label}{:>8} kB", bytes >> 10);
}

/// The /proc/PID/maps line of a VMA (`show_vma_header_prefix` + `show_map_vma`): start and end in at least 8 hex
/// digits, the permissions, the file offset (`%08llx`, 0 for anonymous memory), the device (`00:00`) and inode
/// (`0`), a space, and, when the VMA has a name, padding to column 73 (`seq_setwidth(m, 25 + sizeof(void *) * 6 -
/// 1)` then `seq_pad(m, ' ')`) and the name. An unnamed VMA's line ends in that space, as Linux's does.
/// `file` is a file mapping's (offset in bytes, inode number): `show_map_vma` prints `vm_pgoff << PAGE_SHIFT` and
/// `i_ino` (simulated files live on device 00:00).
pub fn header(out: &mut String, start: u64, end: u64, flags: VmFlags, name: Option<&str>, file: Option<(u64, u64)>) {
    let line_start = out.len();
    let (off, ino) = file.unwrap_or((0, 0));
    let _ = write!(out, "{start:08x}-{end:08x} {} {off:08x} {:02x}:{:02x} {ino} ", flags.maps_string(), 0, 0);
    if let Some(n) = name {
        let width = out.len() - line_start;
        out.extend(std::iter::repeat_n(' ', 72usize.saturating_sub(width)));
        out.push(' ');
        out.push_str(n);
    }
    out.push('\n');
}

/// `__show_smap()`: the lines common to smaps (`rollup == false`) and smaps_rollup, which alone shows the
/// Pss_Anon/Pss_File/Pss_Shmem split ("meaningful only for smaps_rollup").
pub fn show_mss(out: &mut String, mss: &MemSizeStats, rollup: bool) {
    dec(out, "Rss:            ", mss.resident);
    dec(out, "Pss:            ", mss.pss >> PSS_SHIFT);
    dec(out, "Pss_Dirty:      ", mss.pss_dirty >> PSS_SHIFT);
    if rollup {
        dec(out, "Pss_Anon:       ", mss.pss_anon >> PSS_SHIFT);
        dec(out, "Pss_File:       ", mss.pss_file >> PSS_SHIFT);
        dec(out, "Pss_Shmem:      ", mss.pss_shmem >> PSS_SHIFT);
    }
    dec(out, "Shared_Clean:   ", mss.shared_clean);
    dec(out, "Shared_Dirty:   ", mss.shared_dirty);
    dec(out, "Private_Clean:  ", mss.private_clean);
    dec(out, "Private_Dirty:  ", mss.private_dirty);
    dec(out, "Referenced:     ", mss.referenced);
    dec(out, "Anonymous:      ", mss.anonymous);
    dec(out, "KSM:            ", mss.ksm);
    dec(out, "LazyFree:       ", mss.lazyfree);
    dec(out, "AnonHugePages:  ", mss.anonymous_thp);
    dec(out, "ShmemPmdMapped: ", mss.shmem_thp);
    dec(out, "FilePmdMapped:  ", mss.file_thp);
    dec(out, "Shared_Hugetlb: ", mss.shared_hugetlb);
    // seq_put_decimal_ull_width(m, " kB\nPrivate_Hugetlb: ", mss->private_hugetlb >> 10, 7)
    let _ = writeln!(out, "Private_Hugetlb: {:>7} kB", mss.private_hugetlb >> 10);
    dec(out, "Swap:           ", mss.swap);
    dec(out, "SwapPss:        ", mss.swap_pss >> PSS_SHIFT);
    dec(out, "Locked:         ", mss.pss_locked >> PSS_SHIFT);
}

/// `show_smap_vma_flags()`: the two-letter mnemonic of each set `vm_flags` bit, in bit order, each followed by a
/// space. Every model VMA is anonymous memory from mmap, brk or the stack, which Linux always gives
/// `VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC` (mm/mmap.c `do_mmap`, `do_brk_flags` via `VM_DATA_DEFAULT_FLAGS`,
/// `VM_STACK_FLAGS`), and `VM_MAYSHARE` with `VM_SHARED`; the model keeps only the bits that differ between VMAs.
pub fn vm_flags_line(flags: VmFlags) -> String {
    // (bit, mnemonic), in bit order: rd 0, wr 1, ex 2, sh 3, mr 4, mw 5, me 6, ms 7, gd 8, ac 20.
    let shared = flags.contains(VmFlags::SHARED);
    let set = [
        (flags.contains(VmFlags::READ), "rd"),
        (flags.contains(VmFlags::WRITE), "wr"),
        (flags.contains(VmFlags::EXEC), "ex"),
        (shared, "sh"),
        (true, "mr"),
        (true, "mw"),
        (true, "me"),
        (shared, "ms"),
        (flags.contains(VmFlags::GROWSDOWN), "gd"),
        (flags.contains(VmFlags::ACCOUNT), "ac"),
    ];
    let mut s = String::from("VmFlags: ");
    for (on, m) in set {
        if on {
            s.push_str(m);
            s.push(' ');
        }
    }
    s.push('\n');
    s
}

/// One VMA of /proc/PID/smaps (`show_smap`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmapsVma {
    /// `vm_start`.
    pub start: u64,
    /// `vm_end`.
    pub end: u64,
    /// `vm_flags`.
    pub flags: VmFlags,
    /// The name column (`[heap]`, `[stack]`, `[anon:NAME]`, a file's path), if any.
    pub name: Option<String>,
    /// A file mapping's (offset in bytes, inode number).
    pub file: Option<(u64, u64)>,
    /// What the page walk found.
    pub mss: MemSizeStats,
}

impl SmapsVma {
    /// Render: header, Size, KernelPageSize, MMUPageSize, `__show_smap`, THPeligible, VmFlags.
    pub fn render(&self, out: &mut String) {
        header(out, self.start, self.end, self.flags, self.name.as_deref(), self.file);
        dec(out, "Size:           ", self.end - self.start);
        // vma_kernel_pagesize() and vma_mmu_pagesize(): PAGE_SIZE for anything but hugetlbfs.
        dec(out, "KernelPageSize: ", PAGE);
        dec(out, "MMUPageSize:    ", PAGE);
        show_mss(out, &self.mss, false);
        // "THPeligible:    %8u\n": the model has no transparent huge pages (thp_vma_allowable_orders() == 0).
        let _ = writeln!(out, "THPeligible:    {:>8}", 0);
        out.push_str(&vm_flags_line(self.flags));
    }
}

/// /proc/PID/smaps_rollup (`show_smaps_rollup`): a header spanning the first VMA's start to the last VMA's end
/// with no permissions (`---p`) and the name `[rollup]`, then `__show_smap` in rollup mode over the sum of every
/// VMA. `span` is `None` for an address space with no VMA (Linux then prints `00000000-00000000`).
pub fn render_rollup(out: &mut String, span: Option<(u64, u64)>, mss: &MemSizeStats) {
    let (start, end) = span.unwrap_or((0, 0));
    header(out, start, end, VmFlags::empty(), Some("[rollup]"), None);
    show_mss(out, mss, true);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anon(refcount: u32) -> FolioInfo {
        FolioInfo { anon: true, swapbacked: true, refcount, ..FolioInfo::default() }
    }

    /// A real /proc/self/smaps entry (Linux 6.18) of an anonymous mapping, byte for byte.
    #[test]
    fn matches_linux_layout() {
        let mut mss = MemSizeStats::default();
        for _ in 0..2 {
            mss.account(&anon(1), &[1], true, true, false);
        }
        let vma = SmapsVma {
            start: 0x7fa2_253b_6000,
            end: 0x7fa2_253b_8000,
            flags: VmFlags::READ | VmFlags::WRITE | VmFlags::ACCOUNT,
            name: None,
            file: None,
            mss,
        };
        let mut s = String::new();
        vma.render(&mut s);
        let want = "7fa2253b6000-7fa2253b8000 rw-p 00000000 00:00 0 \n\
Size:                  8 kB\n\
KernelPageSize:        4 kB\n\
MMUPageSize:           4 kB\n\
Rss:                   8 kB\n\
Pss:                   8 kB\n\
Pss_Dirty:             8 kB\n\
Shared_Clean:          0 kB\n\
Shared_Dirty:          0 kB\n\
Private_Clean:         0 kB\n\
Private_Dirty:         8 kB\n\
Referenced:            8 kB\n\
Anonymous:             8 kB\n\
KSM:                   0 kB\n\
LazyFree:              0 kB\n\
AnonHugePages:         0 kB\n\
ShmemPmdMapped:        0 kB\n\
FilePmdMapped:         0 kB\n\
Shared_Hugetlb:        0 kB\n\
Private_Hugetlb:       0 kB\n\
Swap:                  0 kB\n\
SwapPss:               0 kB\n\
Locked:                0 kB\n\
THPeligible:           0\n\
VmFlags: rd wr mr mw me ac \n";
        assert_eq!(s, want);
    }

    /// Named VMAs: the name starts in column 73, as in `55efab005000-55efab194000 rw-p 00000000 00:00 0` +
    /// 26 spaces + `[heap]` on a real system.
    #[test]
    fn header_pads_names_to_column_73() {
        let mut s = String::new();
        let rw = VmFlags::READ | VmFlags::WRITE;
        header(&mut s, 0x55ef_ab00_5000, 0x55ef_ab19_4000, rw, Some("[heap]"), None);
        assert_eq!(s, "55efab005000-55efab194000 rw-p 00000000 00:00 0                          [heap]\n");
        let mut s = String::new();
        header(&mut s, 0x1000, 0x2000, VmFlags::empty(), Some("[rollup]"), None);
        assert_eq!(s.find('['), Some(73));
        assert!(s.starts_with("00001000-00002000 ---p 00000000 00:00 0 "));
    }

    #[test]
    fn stack_flags() {
        let f = VmFlags::READ | VmFlags::WRITE | VmFlags::GROWSDOWN | VmFlags::ACCOUNT;
        assert_eq!(vm_flags_line(f), "VmFlags: rd wr mr mw me gd ac \n");
        assert_eq!(vm_flags_line(VmFlags::READ | VmFlags::SHARED), "VmFlags: rd sh mr mw me ms \n");
    }

    /// Pss in fixed point: three sharers of one page add `(4096 << 12) / 3` each time, truncated; the kB shown is
    /// the truncated sum.
    #[test]
    fn pss_rounding_is_linuxs() {
        let mut mss = MemSizeStats::default();
        for _ in 0..4 {
            mss.account(&anon(3), &[3], false, false, false);
        }
        assert_eq!(mss.pss, 4 * ((4096 << 12) / 3));
        assert_eq!(mss.shared_clean, 4 * 4096);
        let mut s = String::new();
        show_mss(&mut s, &mss, false);
        assert!(s.contains("\nPss:                   5 kB\n"), "{s}"); // 16384/3 = 5461 bytes
                                                                       // A page in the swap cache mapped once has refcount 2 but mapcount 1: private.
        let mut mss = MemSizeStats::default();
        mss.account(&anon(2), &[1], false, false, false);
        assert_eq!((mss.private_clean, mss.pss >> PSS_SHIFT), (4096, 4096));
        // Swap slots referenced from two page tables.
        mss.account_swap(2);
        assert_eq!((mss.swap, mss.swap_pss >> PSS_SHIFT), (4096, 2048));
    }

    #[test]
    fn rollup_shows_the_pss_split() {
        let mut mss = MemSizeStats::default();
        mss.account(&anon(1), &[1], false, true, false);
        let mut s = String::new();
        render_rollup(&mut s, Some((0x1000, 0x3000)), &mss);
        let lines: Vec<&str> = s.lines().collect();
        assert!(lines[0].ends_with(" [rollup]"));
        assert_eq!(lines[3], "Pss_Dirty:             4 kB");
        assert_eq!(lines[4], "Pss_Anon:              4 kB");
        assert_eq!(lines[5], "Pss_File:              0 kB");
        assert_eq!(lines.last(), Some(&"Locked:                0 kB"));
    }
}
