//! Kernel Samepage Merging (mm/ksm.c `ksm_do_scan`, `scan_get_next_rmap_item`, `cmp_and_merge_page`,
//! `stable_tree_search`, `unstable_tree_search_insert`, `try_to_merge_two_pages`, `stable_tree_append`,
//! `remove_rmap_item_from_tree`; Documentation/admin-guide/mm/ksm.rst; LINUX-VM-SPEC §9).
//!
//! `madvise(MADV_MERGEABLE)` registers an address space with KSM (its place in `ksm_mm_head`'s list is the order
//! of registration). When `run = 1`, ksmd wakes every `sleep_millisecs` of simulated time and scans up to
//! `pages_to_scan` present anonymous pages of mergeable VMAs, in list order then address order. Reaching the end
//! of the list ends the batch and counts a full scan; the next pass starts with an empty unstable tree.
//!
//! For each page (`cmp_and_merge_page`): a KSM page already in the stable tree with this item is left alone; an
//! item whose page changed leaves its stable node (the node's counts drop then, at the scan, not at the COW). The
//! page is looked up in the stable tree (ordered by the full page contents, `memcmp`); a match maps the KSM page
//! in its place. Otherwise its checksum (xxHash, as `calc_checksum`) must equal the one stored at the previous
//! scan, or it is only stored (new items start at 0, so every page takes two passes). With `use_zero_pages`, a
//! page of zeros is replaced by the shared zero page. Then the unstable tree: a page with the same contents is
//! merged with this one, which becomes the KSM page (write-protected, `PAGE_MAPPING_KSM`), the other's PTE is
//! redirected to it and its page freed; no match inserts this page. A write to a KSM page always copies (do_wp_page
//! never reuses a KSM folio). `max_page_sharing` caps the mappings of one stable node: a full node is skipped and
//! a duplicate node with the same contents is made (stable-node chains).
//!
//! Counters, with Linux's meanings: `pages_shared` = stable nodes in use, `pages_sharing` = further mappings of
//! them, `pages_unshared` = unstable-tree items, `pages_volatile` = the remaining rmap_items, `full_scans`,
//! `pages_scanned`, `ksm_zero_pages`, `general_profit` = (sharing + zero pages) × 4096 − rmap_items ×
//! sizeof(struct ksm_rmap_item) (64 bytes on x86-64).
//!
//! Simplifies: the pages a pass visits are the ones present when it starts (a page mapped during a pass waits for
//! the next); a page mapped by more than one PTE (shared by fork) is not merged until copy-on-write separates it;
//! a KSM page that reclaim swaps out loses its stable node (Linux keeps the node for the swapped page); no smart
//! scan, no `merge_across_nodes` (one node), no `stable_node_chains_prune_millisecs`; MADV_UNMERGEABLE breaks
//! merges with a write fault's copy.

use super::pgtable::{self, PteSlot};
use super::task::Pid;
use super::vma::{VmFlags, VmaKind};
use super::Kernel;
use crate::addr::{Pfn, VirtAddr, Vpn, PAGE_BYTES, PAGE_SIZE};
use crate::arch::{PageSizeKind, PagingMode, Perms, Pte};
use crate::mmu::Access;
use crate::phys::frame_meta::{Mapping, StableNodeId};
use crate::phys::rmap::{self, MmId, RmapEntry};
use crate::phys::PageFlags;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// `sizeof(struct ksm_rmap_item)` on x86-64 (mm/ksm.c; used by `general_profit`).
pub const RMAP_ITEM_BYTES: u64 = 64;

/// `/sys/kernel/mm/ksm/` settings (`[ksm]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KsmConfig {
    /// `run`: 1 scans (default 0).
    pub run: bool,
    /// `pages_to_scan` per wakeup (default 100).
    pub pages_to_scan: u64,
    /// `sleep_millisecs` between wakeups (default 20).
    pub sleep_millisecs: u64,
    /// `max_page_sharing` (default 256).
    pub max_page_sharing: usize,
    /// `use_zero_pages` (default 0).
    pub use_zero_pages: bool,
}

impl Default for KsmConfig {
    fn default() -> Self {
        Self { run: false, pages_to_scan: 100, sleep_millisecs: 20, max_page_sharing: 256, use_zero_pages: false }
    }
}

/// The sysfs counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KsmStats {
    /// `pages_shared`.
    pub pages_shared: u64,
    /// `pages_sharing`.
    pub pages_sharing: u64,
    /// `pages_unshared`.
    pub pages_unshared: u64,
    /// `pages_volatile`.
    pub pages_volatile: u64,
    /// `full_scans`.
    pub full_scans: u64,
    /// `pages_scanned`.
    pub pages_scanned: u64,
    /// `ksm_zero_pages`.
    pub ksm_zero_pages: u64,
    /// rmap_items in use (`ksm_rmap_items`).
    pub rmap_items: u64,
    /// `stable_node_chains`: contents with more than one stable node (max_page_sharing reached).
    pub stable_node_chains: u64,
    /// `general_profit` in bytes (may be negative).
    pub general_profit: i64,
}

/// An item's key: the address space's place in the KSM list and the virtual page.
type ItemKey = (u64, u64);

#[derive(Clone, Copy, Debug, Default)]
struct RmapItem {
    oldchecksum: u32,
    node: Option<u32>,
    unstable: bool,
}

#[derive(Clone, Debug)]
struct StableNode {
    pfn: Pfn,
    items: Vec<ItemKey>,
    content: Box<[u8; PAGE_BYTES]>,
}

/// KSM's state.
#[derive(Debug, Default)]
pub struct Ksm {
    /// Settings.
    pub cfg: KsmConfig,
    mm_seq: BTreeMap<MmId, u64>,
    seq_mm: BTreeMap<u64, MmId>,
    next_seq: u64,
    items: BTreeMap<ItemKey, RmapItem>,
    nodes: BTreeMap<u32, StableNode>,
    next_node: u32,
    stable: BTreeMap<Box<[u8; PAGE_BYTES]>, Vec<u32>>,
    unstable: BTreeMap<Box<[u8; PAGE_BYTES]>, ItemKey>,
    pass: Vec<ItemKey>,
    cursor: usize,
    zero_maps: BTreeSet<ItemKey>,
    counters: KsmStats,
}

impl Ksm {
    /// KSM with settings `cfg`.
    pub fn new(cfg: KsmConfig) -> Self {
        Self { cfg, ..Self::default() }
    }

    /// The counters, with the derived ones (`pages_volatile`, `general_profit`) computed as sysfs shows them.
    pub fn stats(&self) -> KsmStats {
        let mut s = self.counters;
        s.rmap_items = self.items.len() as u64;
        s.pages_volatile = s
            .rmap_items
            .saturating_sub(s.pages_shared)
            .saturating_sub(s.pages_sharing)
            .saturating_sub(s.pages_unshared);
        s.stable_node_chains = self.stable.values().filter(|c| c.len() > 1).count() as u64;
        let saved = (s.pages_sharing + s.ksm_zero_pages) * PAGE_SIZE;
        s.general_profit = crate::kernel::overcommit::sat_i64(saved)
            - crate::kernel::overcommit::sat_i64(s.rmap_items * RMAP_ITEM_BYTES);
        s
    }

    /// `/sys/kernel/mm/ksm/*` as `grep . /sys/kernel/mm/ksm/*` prints it.
    pub fn render(&self) -> String {
        let s = self.stats();
        let c = &self.cfg;
        format!(
            "/sys/kernel/mm/ksm/full_scans:{}\n/sys/kernel/mm/ksm/general_profit:{}\n/sys/kernel/mm/ksm/ksm_zero_pages:{}\n\
             /sys/kernel/mm/ksm/max_page_sharing:{}\n/sys/kernel/mm/ksm/pages_scanned:{}\n/sys/kernel/mm/ksm/pages_shared:{}\n\
             /sys/kernel/mm/ksm/pages_sharing:{}\n/sys/kernel/mm/ksm/pages_to_scan:{}\n/sys/kernel/mm/ksm/pages_unshared:{}\n\
             /sys/kernel/mm/ksm/pages_volatile:{}\n/sys/kernel/mm/ksm/run:{}\n/sys/kernel/mm/ksm/sleep_millisecs:{}\n\
             /sys/kernel/mm/ksm/stable_node_chains:{}\n/sys/kernel/mm/ksm/use_zero_pages:{}\n",
            s.full_scans,
            s.general_profit,
            s.ksm_zero_pages,
            c.max_page_sharing,
            s.pages_scanned,
            s.pages_shared,
            s.pages_sharing,
            c.pages_to_scan,
            s.pages_unshared,
            s.pages_volatile,
            u8::from(c.run),
            c.sleep_millisecs,
            s.stable_node_chains,
            u8::from(c.use_zero_pages)
        )
    }

    /// Register an address space (`__ksm_enter`): it joins the end of the scan list.
    fn enter(&mut self, mm: MmId) {
        if !self.mm_seq.contains_key(&mm) {
            let seq = self.next_seq;
            self.next_seq += 1;
            self.mm_seq.insert(mm, seq);
            self.seq_mm.insert(seq, mm);
        }
    }

    /// `remove_rmap_item_from_tree()`: take the item out of its stable node (pages_sharing or pages_shared drops,
    /// as the node keeps other items or not) or out of the unstable tree (pages_unshared drops).
    fn remove_from_tree(&mut self, key: ItemKey) {
        let Some(item) = self.items.get_mut(&key) else { return };
        if let Some(id) = item.node.take() {
            let mut empty = false;
            if let Some(node) = self.nodes.get_mut(&id) {
                node.items.retain(|k| *k != key);
                empty = node.items.is_empty();
                if empty {
                    self.counters.pages_shared -= 1;
                } else {
                    self.counters.pages_sharing -= 1;
                }
            }
            if empty {
                // Nothing maps the node through KSM any more: it leaves the stable tree.
                self.drop_node(id);
            }
        } else if item.unstable {
            item.unstable = false;
            self.counters.pages_unshared -= 1;
        }
    }

    /// `stable_tree_append()`: the first item of a node counts in pages_shared, every further one in
    /// pages_sharing.
    fn stable_append(&mut self, key: ItemKey, id: u32) {
        let Some(node) = self.nodes.get_mut(&id) else { return };
        if node.items.is_empty() {
            self.counters.pages_shared += 1;
        } else {
            self.counters.pages_sharing += 1;
        }
        node.items.push(key);
        if let Some(item) = self.items.get_mut(&key) {
            item.node = Some(id);
            item.unstable = false;
        }
    }

    /// Drop a node whose page is gone (`remove_node_from_stable_tree`): its items leave it.
    fn remove_node(&mut self, id: u32) {
        let Some(node) = self.nodes.get(&id) else { return };
        for key in node.items.clone() {
            self.remove_from_tree(key);
        }
        self.drop_node(id);
    }

    /// Take node `id` out of the stable tree.
    fn drop_node(&mut self, id: u32) {
        if let Some(node) = self.nodes.remove(&id) {
            if let Some(chain) = self.stable.get_mut(&node.content) {
                chain.retain(|n| *n != id);
                if chain.is_empty() {
                    self.stable.remove(&node.content);
                }
            }
        }
    }

    /// Forget an address space (`__ksm_exit`) and its items.
    fn exit(&mut self, mm: MmId) {
        let Some(seq) = self.mm_seq.remove(&mm) else { return };
        self.seq_mm.remove(&seq);
        let keys: Vec<ItemKey> = self.items.range((seq, 0)..=(seq, u64::MAX)).map(|(k, _)| *k).collect();
        for k in keys {
            self.remove_from_tree(k);
            self.items.remove(&k);
            self.zero_maps.remove(&k);
        }
    }
}

/// `calc_checksum()`: a 32-bit hash of the page (`xxhash(addr, PAGE_SIZE, 0)`; the low 32 bits of a 64-bit
/// hash). FNV-1a here: any deterministic 32-bit content hash gives the same merge decisions.
fn checksum(page: &[u8; PAGE_BYTES]) -> u32 {
    let h = super::swapin::page_checksum(page).to_le_bytes();
    u32::from_le_bytes([h[0] ^ h[4], h[1] ^ h[5], h[2] ^ h[6], h[3] ^ h[7]])
}

impl<M: PagingMode> Kernel<M> {
    /// `madvise(addr, len, MADV_MERGEABLE / MADV_UNMERGEABLE)` (`ksm_madvise`): mark the private anonymous VMAs of
    /// the range mergeable (registering the address space with KSM), or unmark them and break every merged page in
    /// the range (`unmerge_ksm_pages`).
    pub(crate) fn ksm_madvise(&mut self, pid: Pid, start: VirtAddr, end: VirtAddr, mergeable: bool) {
        let Some(mm) = self.mm_of_mut(pid) else { return };
        let mm_id = mm.id;
        for v in mm.vmas.range_mut(start, end) {
            if v.flags.contains(VmFlags::SHARED) || matches!(v.kind, VmaKind::File { .. } | VmaKind::Shmem { .. }) {
                continue; // ksm_madvise(): VM_SHARED and file mappings are never mergeable
            }
            if mergeable {
                v.flags |= VmFlags::MERGEABLE;
            } else {
                v.flags -= VmFlags::MERGEABLE;
            }
        }
        if mergeable {
            self.ksm.enter(mm_id);
            if self.ksm.cfg.run && self.kthreads.get(super::kthread::KthreadKind::Ksmd).wake_at.is_none() {
                let at = self.clock.now_ps() + self.ksm.cfg.sleep_millisecs * 1_000_000_000;
                self.kthreads.sleep(super::kthread::KthreadKind::Ksmd, Some(at));
            }
            return;
        }
        // unmerge_ksm_pages(): break_ksm() on each KSM page, a write fault's copy.
        let Some(pgd) = self.mms.get(mm_id).map(super::mm::Mm::pgd) else { return };
        let ksm_pages: Vec<VirtAddr> = pgtable::leaves::<M>(&self.mem, pgd, start, end)
            .into_iter()
            .filter(|(_, pte)| pte.is_present() && matches!(self.mem.meta(pte.pfn()).mapping, Mapping::Ksm { .. }))
            .map(|(slot, _)| slot.va())
            .collect();
        for va in ksm_pages {
            // break_ksm(): a write fault's copy (do_wp_page never reuses a KSM page), contents unchanged.
            let _ = self.handle_fault(pid, crate::mmu::Fault::WriteToReadOnly { va }, Access::Write);
        }
    }

    /// `prctl(PR_SET_MEMORY_MERGE, 1)` (`ksm_enable_merge_any`): every private anonymous VMA of `pid`'s address
    /// space becomes mergeable now, and every later one when it is made (`vm_flags |= VM_MERGEABLE` in mmap).
    pub fn set_memory_merge(&mut self, pid: Pid) {
        if let Some(mm) = self.mm_of_mut(pid) {
            mm.merge_any = true;
        }
        let top = VirtAddr::new(super::mmap::user_top::<M>());
        self.ksm_madvise(pid, VirtAddr::new(0), top, true);
    }

    /// ksmd's body (`ksm_scan_thread`): one batch when `run = 1`, then sleep `sleep_millisecs`.
    pub(crate) fn ksmd_run(&mut self) {
        use super::kthread::KthreadKind;
        if !self.ksm.cfg.run {
            self.kthreads.sleep(KthreadKind::Ksmd, None);
            return;
        }
        self.ksm_do_scan(self.ksm.cfg.pages_to_scan);
        let at = self.clock.now_ps() + self.ksm.cfg.sleep_millisecs.max(1) * 1_000_000_000;
        self.kthreads.sleep(KthreadKind::Ksmd, Some(at));
    }

    /// `ksm_do_scan(scan_npages)`: up to `n` pages; the end of the list ends the batch early.
    pub fn ksm_do_scan(&mut self, n: u64) {
        for _ in 0..n {
            if self.ksm.cursor == 0 && !self.ksm_start_pass() {
                return;
            }
            if self.ksm.cursor >= self.ksm.pass.len() {
                // scan_get_next_rmap_item(): the end of the list: a full scan, and the batch ends.
                self.ksm.counters.full_scans += 1;
                self.ksm.cursor = 0;
                self.ksm.pass.clear();
                return;
            }
            let key = self.ksm.pass[self.ksm.cursor];
            self.ksm.cursor += 1;
            self.ksm_scan_page(key);
        }
    }

    /// The start of a pass: empty the unstable tree (`root_unstable_tree = RB_ROOT`), list the present anonymous
    /// pages of every registered mm's mergeable VMAs, and drop the items of pages no longer there
    /// (`remove_trailing_rmap_items`). False when no address space is registered.
    fn ksm_start_pass(&mut self) -> bool {
        if self.ksm.seq_mm.is_empty() {
            return false;
        }
        self.ksm.unstable.clear();
        let mut pass = Vec::new();
        let zero = self.zero_pfn();
        for (&seq, &mm_id) in &self.ksm.seq_mm {
            let Some(mm) = self.mms.get(mm_id) else { continue };
            let pgd = mm.pgd();
            for v in mm.vmas.iter().filter(|v| v.flags.contains(VmFlags::MERGEABLE)) {
                for (slot, pte) in pgtable::leaves::<M>(&self.mem, pgd, v.start, v.end) {
                    if pte.is_present() && slot.size() == PageSizeKind::Size4K && pte.pfn() != zero {
                        pass.push((seq, slot.va().vpn().raw()));
                    }
                }
            }
        }
        let listed: BTreeSet<ItemKey> = pass.iter().copied().collect();
        let stale: Vec<ItemKey> = self.ksm.items.keys().filter(|k| !listed.contains(k)).copied().collect();
        for k in stale {
            self.ksm.remove_from_tree(k);
            self.ksm.items.remove(&k);
        }
        // A KSM zero-page mapping that was written (or unmapped) no longer counts (`ksm_might_unmap_zero_page`).
        let zero_maps = std::mem::take(&mut self.ksm.zero_maps);
        self.ksm.zero_maps = zero_maps.into_iter().filter(|k| self.ksm_maps_zero(*k)).collect();
        self.ksm.counters.ksm_zero_pages = self.ksm.zero_maps.len() as u64;
        self.ksm.pass = pass;
        true
    }

    /// Whether item `key`'s PTE still maps the zero page KSM put there.
    fn ksm_maps_zero(&self, key: ItemKey) -> bool {
        let Some(mm) = self.ksm.seq_mm.get(&key.0).and_then(|id| self.mms.get(*id)) else { return false };
        pgtable::lookup::<M>(&self.mem, mm.pgd(), Vpn::new(key.1).start())
            .map(|s| s.read::<M>(&self.mem))
            .is_some_and(|p| p.is_present() && p.pfn() == self.zero_pfn())
    }

    /// The PTE of an item, if its page is still a present, anonymous, singly mapped base page.
    fn ksm_item_page(&self, key: ItemKey) -> Option<(MmId, PteSlot, M::Pte, Pfn)> {
        let mm_id = *self.ksm.seq_mm.get(&key.0)?;
        let mm = self.mms.get(mm_id)?;
        let slot = pgtable::lookup::<M>(&self.mem, mm.pgd(), Vpn::new(key.1).start())?;
        let pte = slot.read::<M>(&self.mem);
        if !pte.is_present() || slot.size() != PageSizeKind::Size4K || pte.pfn() == self.zero_pfn() {
            return None;
        }
        let m = self.mem.meta(pte.pfn());
        m.is_anon().then_some((mm_id, slot, pte, pte.pfn()))
    }

    /// `cmp_and_merge_page()` for one item.
    fn ksm_scan_page(&mut self, key: ItemKey) {
        let Some((mm_id, slot, pte, pfn)) = self.ksm_item_page(key) else {
            self.ksm.remove_from_tree(key);
            self.ksm.items.remove(&key);
            return;
        };
        self.ksm.counters.pages_scanned += 1;
        let item = *self.ksm.items.entry(key).or_default();
        // Already the KSM page of this item's stable node: nothing to do.
        if let Mapping::Ksm { stable_node } = self.mem.meta(pfn).mapping {
            if item.node == Some(stable_node.0) {
                return;
            }
        }
        self.ksm.remove_from_tree(key);
        let content: Box<[u8; PAGE_BYTES]> = Box::new(*self.mem.page(pfn));
        // stable_tree_search(): a node with the same contents and room for one more mapping.
        if let Some(id) = self.ksm_stable_search(&content) {
            let kpfn = self.ksm.nodes[&id].pfn;
            if kpfn != pfn && self.ksm_can_merge(pfn) && self.ksm_replace_page(mm_id, key, slot, pte, kpfn) {
                self.ksm.stable_append(key, id);
            }
            return;
        }
        let sum = checksum(&content);
        if item.oldchecksum != sum {
            if let Some(it) = self.ksm.items.get_mut(&key) {
                it.oldchecksum = sum;
            }
            return;
        }
        if self.ksm.cfg.use_zero_pages && content.iter().all(|&b| b == 0) {
            if self.ksm_can_merge(pfn) && self.ksm_replace_page(mm_id, key, slot, pte, self.zero_pfn()) {
                self.ksm.zero_maps.insert(key);
                self.ksm.counters.ksm_zero_pages = self.ksm.zero_maps.len() as u64;
            }
            return;
        }
        // unstable_tree_search_insert(): a page with the same contents now, or insert this one.
        if let Some(&other) = self.ksm.unstable.get(&content) {
            if other != key {
                if let Some((omm, oslot, opte, opfn)) = self.ksm_item_page(other) {
                    if *self.mem.page(opfn) == *content && self.ksm_can_merge(pfn) && self.ksm_can_merge(opfn) {
                        self.ksm.unstable.remove(&content);
                        if let Some(it) = self.ksm.items.get_mut(&other) {
                            if it.unstable {
                                it.unstable = false;
                                self.ksm.counters.pages_unshared -= 1;
                            }
                        }
                        // try_to_merge_two_pages(): this page becomes the KSM page, the tree page is redirected to it.
                        let id = self.ksm_make_ksm_page(slot, pte, pfn, content);
                        if self.ksm_replace_page(omm, other, oslot, opte, pfn) {
                            self.ksm.stable_append(other, id);
                        }
                        self.ksm.stable_append(key, id);
                        return;
                    }
                }
            }
            return;
        }
        self.ksm.unstable.insert(content, key);
        if let Some(it) = self.ksm.items.get_mut(&key) {
            it.unstable = true;
            self.ksm.counters.pages_unshared += 1;
        }
    }

    /// A stable node with `content` that can take another mapping (`max_page_sharing`); a stale node (its page
    /// reclaimed or changed) is dropped on the way (`get_ksm_page` failing).
    fn ksm_stable_search(&mut self, content: &[u8; PAGE_BYTES]) -> Option<u32> {
        let chain = self.ksm.stable.get(content)?.clone();
        for id in chain {
            let Some(node) = self.ksm.nodes.get(&id) else { continue };
            let live = self.mem.contains(node.pfn)
                && self.mem.meta(node.pfn).mapping == Mapping::Ksm { stable_node: StableNodeId(id) };
            if !live {
                self.ksm.remove_node(id);
                continue;
            }
            if node.items.len() < self.ksm.cfg.max_page_sharing {
                return Some(id);
            }
        }
        None
    }

    /// `write_protect_page()`'s refcount check: only a page mapped by this one PTE (refcount = mapcount, no swap
    /// cache or other reference) is merged.
    fn ksm_can_merge(&self, pfn: Pfn) -> bool {
        let m = self.mem.meta(pfn);
        m.mapcount == 1 && m.refcount == 1 && !m.test(PageFlags::SWAPCACHE) && matches!(m.mapping, Mapping::Anon { .. })
    }

    /// `try_to_merge_one_page(.., NULL)`: write-protect the page's PTE (moving its dirty bit to the page) and mark
    /// it a KSM page of a new stable node. Returns the node.
    fn ksm_make_ksm_page(&mut self, slot: PteSlot, pte: M::Pte, pfn: Pfn, content: Box<[u8; PAGE_BYTES]>) -> u32 {
        let id = self.ksm.next_node;
        self.ksm.next_node += 1;
        let perms = pte.perms();
        let wp = M::Pte::leaf(pfn, perms - Perms::WRITE - Perms::DIRTY, PageSizeKind::Size4K);
        let (_, flush) = pgtable::set::<M>(&mut self.mem, slot, wp);
        self.flush(flush);
        let m = self.mem.meta_mut(pfn);
        if perms.contains(Perms::DIRTY) {
            m.set(PageFlags::DIRTY);
        }
        m.clear(PageFlags::ANON_EXCLUSIVE);
        m.mapping = Mapping::Ksm { stable_node: StableNodeId(id) };
        self.ksm.nodes.insert(id, StableNode { pfn, items: Vec::new(), content: content.clone() });
        self.ksm.stable.entry(content).or_default().push(id);
        id
    }

    /// `replace_page()`: the PTE of item `key` maps `kpfn` (a KSM page or the zero page) read-only instead of its
    /// own page, which loses the mapping and is freed with its last reference.
    fn ksm_replace_page(&mut self, mm: MmId, key: ItemKey, slot: PteSlot, pte: M::Pte, kpfn: Pfn) -> bool {
        let old = pte.pfn();
        if slot.read::<M>(&self.mem) != pte {
            return false;
        }
        let perms = (pte.perms() - Perms::WRITE - Perms::DIRTY) | Perms::ACCESSED;
        let (_, flush) = pgtable::set::<M>(&mut self.mem, slot, M::Pte::leaf(kpfn, perms, PageSizeKind::Size4K));
        self.flush(flush);
        let entry = RmapEntry::pte(mm, Vpn::new(key.1));
        rmap::remove(&mut self.mem, old, entry);
        if kpfn == self.zero_pfn() {
            if let Some(m) = self.mms.get_mut(mm) {
                m.add_anon(-1);
            }
        } else {
            rmap::add(&mut self.mem, kpfn, entry);
            self.mem.meta_mut(kpfn).refcount += 1;
        }
        self.put_page(old);
        true
    }

    /// Forget everything KSM holds of address space `mm` (it is going away).
    pub(crate) fn ksm_exit(&mut self, mm: MmId) {
        self.ksm.exit(mm);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_is_stable_and_content_sensitive() {
        let a = [1u8; PAGE_BYTES];
        let mut b = a;
        b[4095] = 2;
        assert_eq!(checksum(&a), checksum(&a));
        assert_ne!(checksum(&a), checksum(&b));
    }
}
