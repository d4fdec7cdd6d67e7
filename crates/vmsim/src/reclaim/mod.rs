//! Page replacement: the [`Policy`] trait, one file per policy, the replacement-only [`replay`] and the exact LRU
//! miss-ratio curve ([`mrc`]) (LINUX-VM-SPEC §5, §16).
//!
//! A policy tracks *frames* (dense indices `Pfn::index() < frames`), never page identities: whoever owns the
//! page→frame mapping (the replay loop here, the kernel model's rmap later) tells the policy when a frame becomes
//! resident, is hit, or is freed, and asks it for a victim. Policy state lives in dense `Vec`s indexed by frame
//! (intrusive lists, `frame_list.rs`), so there is no hashing and no allocation per access; every generic caller is
//! monomorphized per policy through the one `match` in [`with_policy!`](crate::with_policy).
//!
//! | Policy                    | Source                                                      | Does badly on                 |
//! |---------------------------|-------------------------------------------------------------|-------------------------------|
//! | [`fifo::Fifo`]            | textbook; libCacheSim `FIFO.c`                              | anything with reuse; Belady   |
//! | [`lru::Lru`]              | textbook (exact, O(1)); libCacheSim `LRU.c`                 | loops one page larger than RAM|
//! | [`clock::Clock`]          | second chance, SPEC §16 convention                          | scans (all bits set: FIFO)    |
//! | [`opt::Opt`]              | Belady 1966; libCacheSim `Belady.c`                         | nothing; needs the future     |
//! | [`random::Random`]        | uniform, seeded ChaCha8                                     | hot pages evicted by chance   |
//! | [`sieve::Sieve`]          | Zhang et al., NSDI '24                                      | LRU-friendly recency patterns |
//! | [`s3fifo::S3Fifo`]        | Yang et al., SOSP '23; libCacheSim `S3FIFO.c`               | scan-resistant, slow to adapt |
//! | [`two_list::TwoList`]     | Linux active/inactive anon LRU, mm/vmscan.c; SPEC §5        | trace replay: no A bits       |
//!
//! Simplifies: one LRU "type" (anon), no memcg, no per-CPU batching; Linux reclaims in batches, these policies hand
//! out one victim per call.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::addr::Pfn;
use crate::phys::PageFlags;

pub mod clock;
pub mod fifo;
mod frame_list;
pub mod lru;
pub mod mrc;
pub mod opt;
pub mod random;
pub mod replay;
pub mod s3fifo;
pub mod shards;
pub mod sieve;
pub mod two_list;
pub mod vmscan;
pub mod watermark;

/// Largest frame count a policy or replay accepts: frame indices are stored as `u32`, with `u32::MAX` reserved as
/// the "no frame" link. 2^32 - 1 frames of 4 KiB is 16 TiB of simulated RAM.
pub const MAX_FRAMES: usize = u32::MAX as usize;

/// Position of the next reference to a page in a trace, for OPT. [`NextUse::NEVER`] when unknown or never.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct NextUse(pub u64);

impl NextUse {
    /// No further reference (or none known): OPT evicts such pages first.
    pub const NEVER: NextUse = NextUse(u64::MAX);
}

/// The page state a policy reads and changes while it looks for a victim: the hardware Accessed bits, and the LRU
/// page flags Linux keeps in `struct page`. The kernel model implements this through the reverse map and the frame
/// metadata: `test_and_clear_young` clears the A bit in every PTE mapping the frame (invalidating the TLB entries
/// where `ptep_clear_flush_young` does: not on x86, always in exact mode), and returns how many were set
/// (`folio_referenced()`, mm/rmap.c, returns `pra.referenced`, one per young mapping: a page young in two
/// processes counts twice); `update_page_flags` writes the frame's flags. Trace
/// replay has neither ([`NoHardwareBits`]).
pub trait Referenced {
    /// Test and clear the Accessed bit of every mapping of `pfn`; the number of mappings whose bit was set (0: not
    /// referenced). Callers that only ask "referenced at all?" test `> 0` (`folio_check_references`'
    /// `referenced_ptes`); callers that count references count each one.
    fn test_and_clear_young(&mut self, pfn: Pfn) -> u32;

    /// The policy moved `pfn` between its lists or changed its reference bit: set the page flags `set` and
    /// clear `clear`, both within [`PageFlags::ACTIVE`], [`PageFlags::REFERENCED`] and [`PageFlags::WORKINGSET`]
    /// (`folio_set_active()`, `folio_clear_active()`, `folio_set_referenced()`, `folio_test_clear_referenced()`,
    /// `folio_set_workingset()`). The two-list policy reports every change it makes in `victim` here, so the
    /// kernel's frame metadata mirrors its lists. Default: ignored (no frame metadata; costs nothing).
    #[inline]
    fn update_page_flags(&mut self, pfn: Pfn, set: PageFlags, clear: PageFlags) {
        let _ = (pfn, set, clear);
    }
}

/// A referenced-bit source for pure trace replay: nothing is ever young (policies then use only what `touch()`
/// told them).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoHardwareBits;

impl Referenced for NoHardwareBits {
    #[inline]
    fn test_and_clear_young(&mut self, _pfn: Pfn) -> u32 {
        0
    }
}

/// Counters a policy may keep, Linux `/proc/vmstat` style. Policies without lists to move between report zeros.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PolicyStats {
    /// Pages moved to the active list (`pgactivate`).
    pub activations: u64,
    /// Pages moved from the active to the inactive list (`pgdeactivate`).
    pub deactivations: u64,
    /// Pages examined while looking for a victim, the victims included: for `linux`, each page taken from the
    /// inactive tail and run through `folio_check_references` (Linux's `nr_scanned` from `isolate_lru_folios`,
    /// `pgscan_*`); for CLOCK and SIEVE, the resident frames the hand passed; for S3-FIFO, the queue tails tested.
    /// FIFO, LRU, OPT and random keep no count (0): they take their victim without examining others, so the
    /// kernel counts one page scanned per victim for them ([`AnyPolicy::victim_scanned`]).
    pub scanned: u64,
    /// Pages on the active list now (two-list policies; 0 otherwise).
    pub active_pages: u64,
    /// Pages on the inactive list now (two-list policies; 0 otherwise).
    pub inactive_pages: u64,
}

/// A page-replacement policy over dense frame indices.
///
/// Contract: `insert` is called only for a frame that is not tracked; `touch` and `remove` on a frame that is not
/// tracked are no-ops (the kernel model frees frames that were never on an LRU, such as page tables); `victim`
/// removes the frame it returns, which was tracked. All indices are `< frames`.
pub trait Policy {
    /// The name used in configs and on the command line (matches [`PolicyKind`]'s `Display`).
    const NAME: &'static str;
    /// Whether the policy reads the [`NextUse`] arguments. Only OPT does; callers that cannot know the future
    /// ([`replay::Replay::feed`]) pass [`NextUse::NEVER`], which turns OPT into "evict the highest frame".
    const USES_NEXT_USE: bool = false;
    /// Whether the policy learns about references from the hardware Accessed bits (through [`Referenced`]) rather
    /// than from a `touch` on every access. The full model then calls `touch` only when a page is faulted in,
    /// as Linux sees mapped pages only through `folio_referenced()` (mm/rmap.c).
    const USES_ACCESSED_BITS: bool = false;
    /// `frames` = number of frame indices that may be handed in (`Pfn::index() < frames`), at most [`MAX_FRAMES`].
    /// `seed` is for randomized policies.
    fn new(frames: usize, seed: u64) -> Self;
    /// A page just became resident in `pfn` (after a miss).
    fn insert(&mut self, pfn: Pfn, next: NextUse);
    /// A hit on the resident page in `pfn`; kept O(1) and cheap.
    fn touch(&mut self, pfn: Pfn, next: NextUse);
    /// Choose AND remove a victim; `None` if nothing is tracked.
    fn victim<R: Referenced>(&mut self, refs: &mut R) -> Option<Pfn>;
    /// The page in `pfn` was freed by someone else (munmap, exit).
    fn remove(&mut self, pfn: Pfn);
    /// Number of tracked (resident) frames.
    fn len(&self) -> usize;
    /// Whether no frame is tracked.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// A miss on the page identified by `key` is being resolved: `victim` (when memory is full) and then `insert`
    /// follow. `key` is any stable page identity (the trace's page number; the kernel model may pass a swap entry).
    /// Only policies that remember evicted pages use it: S3-FIFO's ghost queue, the analogue of Linux's workingset
    /// shadow entries (mm/workingset.c). Default: ignored.
    fn miss(&mut self, key: u64) {
        let _ = key;
    }
    /// Counters since `new`. Default: zeros.
    fn stats(&self) -> PolicyStats {
        PolicyStats::default()
    }
    /// Whether `pfn` is tracked (`folio_test_lru`).
    fn contains(&self, pfn: Pfn) -> bool;
    /// `folio_isolate_lru()`: take `pfn` off the lists for a while (migration, compaction), remembering what
    /// [`Policy::putback`] needs to put it back as Linux would: the folio's PG_active and PG_referenced. `None` if
    /// it was not tracked. Default: [`Policy::remove`] with no state.
    fn isolate(&mut self, pfn: Pfn) -> Option<Isolated> {
        if !self.contains(pfn) {
            return None;
        }
        self.remove(pfn);
        Some(Isolated::default())
    }
    /// `folio_putback_lru()`: put an isolated page back (at the head of the list its state selects, `lru_add`).
    /// Default: [`Policy::insert`].
    fn putback(&mut self, pfn: Pfn, state: Isolated, next: NextUse) {
        let _ = state;
        self.insert(pfn, next);
    }
    /// Page migration moved the page in `old` to `new` (mm/migrate.c: the old folio is isolated, its flags are
    /// copied by `folio_migrate_flags`, the new folio is put back). Returns whether `old` was tracked.
    fn migrate(&mut self, old: Pfn, new: Pfn) -> bool {
        match self.isolate(old) {
            Some(state) => {
                self.putback(new, state, NextUse::NEVER);
                true
            }
            None => false,
        }
    }
}

/// What an isolated page carries back to its list: the LRU flags of its folio (PG_active, PG_referenced).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Isolated {
    /// `PG_active`: goes back to the active list.
    pub active: bool,
    /// `PG_referenced`.
    pub referenced: bool,
}

/// Which LRU lists a page belongs on (`enum lru_list`, `folio_is_file_lru()`): anonymous and shmem pages are
/// swap-backed, file pages are not.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LruClass {
    /// Anonymous (and shmem) pages: reclaimed by swapping.
    #[default]
    Anon,
    /// Page-cache pages: reclaimed by dropping or writing back.
    File,
}

/// What the kernel tells the policy about a page it adds (`folio_add_lru`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageInfo {
    /// Pages in the folio (`folio_nr_pages`): 1 for a base page, 512 for a 2 MiB THP. The policy orders folios;
    /// the weight counts in [`AnyPolicy::nr_pages`], as Linux's `lru_size` counts pages, not folios.
    pub nr_pages: u32,
    /// Anon or file.
    pub class: LruClass,
}

impl PageInfo {
    /// A base anonymous page.
    pub const ANON: PageInfo = PageInfo { nr_pages: 1, class: LruClass::Anon };
}

/// The list of policies: the one place each policy is named. Adding a policy means a file, a line here, and
/// nothing else: [`PolicyKind`], [`PolicyKind::ALL`], [`with_policy!`](crate::with_policy), [`PolicyImpl`] and its
/// dispatch are all generated from this list. Each line: variant, type, doc line.
///
/// It hands the list to `$crate::$callback!`, after the callback's own arguments in braces.
#[doc(hidden)]
#[macro_export]
macro_rules! __policies {
    ($callback:ident { $($args:tt)* }) => {
        $crate::$callback! {
            { $($args)* }
            Fifo => $crate::reclaim::fifo::Fifo, "First in, first out: evict the page resident longest.";
            Lru => $crate::reclaim::lru::Lru, "Exact least-recently-used.";
            Clock => $crate::reclaim::clock::Clock,
                "Second-chance CLOCK with one reference bit per frame (SPEC §16 convention).";
            Opt => $crate::reclaim::opt::Opt,
                "Belady's optimal: evict the page used farthest in the future (needs the whole trace).";
            Random => $crate::reclaim::random::Random, "Uniformly random victim from a seeded ChaCha8 stream.";
            Sieve => $crate::reclaim::sieve::Sieve,
                "SIEVE: FIFO order, a visited bit, and a hand that never moves pages (NSDI '24).";
            S3fifo => $crate::reclaim::s3fifo::S3Fifo, "S3-FIFO: small, main and ghost FIFO queues (SOSP '23).";
            Linux => $crate::reclaim::two_list::TwoList,
                "Linux's active/inactive two-list LRU for anonymous pages (mm/vmscan.c).";
        }
    };
}

/// Generates [`PolicyKind`], its `ALL`, [`PolicyImpl`] and the `From` impls from [`__policies!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __define_policies {
    ({} $($variant:ident => $ty:ty, $doc:literal;)+) => {
        /// The policies by name: what a config or the command line selects (`--policy lru`,
        /// `[reclaim] policy = "lru"`).
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum PolicyKind {
            $(#[doc = $doc] $variant,)+
        }

        impl PolicyKind {
            /// Every policy, in list order.
            pub const ALL: [PolicyKind; [$(stringify!($variant)),+].len()] = [$(PolicyKind::$variant),+];
        }

        /// One variant per [`PolicyKind`]: the concrete policy behind [`AnyPolicy`].
        #[derive(Debug)]
        pub enum PolicyImpl {
            $(#[doc = $doc] $variant($ty),)+
        }

        $(impl From<$ty> for PolicyImpl {
            fn from(p: $ty) -> Self {
                PolicyImpl::$variant(p)
            }
        })+
    };
}

/// The arms of [`with_policy!`](crate::with_policy).
#[doc(hidden)]
#[macro_export]
macro_rules! __with_policy_arms {
    ({ ($kind:expr) ($P:ident) ($body:expr) } $($variant:ident => $ty:ty, $doc:literal;)+) => {
        match $kind {
            $($crate::reclaim::PolicyKind::$variant => {
                type $P = $ty;
                $body
            })+
        }
    };
}

/// The arms of the dispatch over [`PolicyImpl`].
#[doc(hidden)]
#[macro_export]
macro_rules! __any_policy_arms {
    ({ ($self:expr) ($p:ident) ($body:expr) } $($variant:ident => $ty:ty, $doc:literal;)+) => {
        match $self {
            $($crate::reclaim::PolicyImpl::$variant($p) => $body,)+
        }
    };
}

__policies!(__define_policies {});

impl PolicyKind {
    /// The lowercase name, equal to the implementing type's [`Policy::NAME`].
    pub fn name(self) -> &'static str {
        crate::with_policy!(self, |P| <P as Policy>::NAME)
    }

    /// Whether the policy needs the future ([`Policy::USES_NEXT_USE`]).
    pub fn uses_next_use(self) -> bool {
        crate::with_policy!(self, |P| <P as Policy>::USES_NEXT_USE)
    }
}

/// The default policy of a replay (`--policy`): exact LRU.
impl Default for PolicyKind {
    fn default() -> Self {
        PolicyKind::Lru
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A policy name that is not one of [`PolicyKind::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown replacement policy {0:?} (expected one of {names})", names = policy_names())]
pub struct UnknownPolicy(pub String);

/// Every policy name, comma-separated, in list order.
fn policy_names() -> String {
    PolicyKind::ALL.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
}

impl FromStr for PolicyKind {
    type Err = UnknownPolicy;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PolicyKind::ALL.into_iter().find(|k| k.name() == s).ok_or_else(|| UnknownPolicy(s.to_owned()))
    }
}

/// Turns a [`PolicyKind`] into a type: `with_policy!(kind, |P| body)` evaluates `body` with the type alias `P` bound
/// to the policy's type, so generic code is monomorphized once per policy. This is the crate's one `match` from
/// policy names to types: adding a policy means a file, a [`PolicyKind`] variant and an arm here.
///
/// ```
/// use vmsim::reclaim::{replay::replay, PolicyKind};
/// let s = [7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1];
/// let stats = vmsim::with_policy!(PolicyKind::Lru, |P| replay::<P>(&s, 3, 0));
/// assert_eq!(stats.misses, 12);
/// ```
#[macro_export]
macro_rules! with_policy {
    ($kind:expr, |$P:ident| $body:expr) => {
        $crate::__policies!(__with_policy_arms { ($kind) ($P) ($body) })
    };
}

/// The one dispatch over [`PolicyImpl`]: evaluates `$body` with `$p` bound to the concrete policy.
macro_rules! any_policy {
    ($self:expr, $p:ident => $body:expr) => {
        $crate::__policies!(__any_policy_arms { ($self) ($p) ($body) })
    };
}

/// The kernel model's replacement policy, chosen at run time. The kernel holds its policy (and each memory
/// group's) behind this type, so the kernel is compiled once per architecture, not once per architecture and
/// policy; the replacement-only [`replay`] keeps its generic, statically dispatched hot loop.
///
/// Besides dispatching, it keeps what every policy needs the same way: each folio's weight in pages and its
/// class, so [`AnyPolicy::nr_pages`] counts pages like Linux's `lru_size`, whatever the policy.
///
/// The `linux` policy keeps file pages on their own active/inactive lists (a second [`two_list::TwoList`], made
/// when the first file page arrives), and [`AnyPolicy::victim`] picks the list to take from as `get_scan_count`
/// (mm/vmscan.c) balances them, see [`ScanBalance`]. Every other policy keeps anon and file pages on one set of
/// lists, ordered by the policy alone; the class is recorded and counted.
#[derive(Debug)]
pub struct AnyPolicy {
    inner: PolicyImpl,
    /// The `linux` policy's file lists (inactive file, active file), once a file page arrived.
    file_lru: Option<Box<two_list::TwoList>>,
    /// Frames and seed, to build `file_lru`.
    frames: usize,
    /// How reclaim balances anon against file; set by the kernel before each batch.
    pub balance: ScanBalance,
    /// Smooth weighted round-robin credit of (anon, file) for [`AnyPolicy::victim`].
    credit: [i128; 2],
    /// Weight of each tracked folio heavier than one page (sparse: base pages are the rule).
    heavy: BTreeMap<Pfn, u32>,
    /// Tracked file folios (sparse: anon is the rule).
    file: BTreeMap<Pfn, ()>,
    /// Pages tracked, by class: (anon, file).
    pages: [u64; 2],
}

impl AnyPolicy {
    /// A fresh policy of `kind` over `frames` frame indices (see [`Policy::new`]).
    pub fn new(kind: PolicyKind, frames: usize, seed: u64) -> Self {
        let inner = crate::with_policy!(kind, |P| PolicyImpl::from(P::new(frames, seed)));
        Self {
            inner,
            file_lru: None,
            frames,
            balance: ScanBalance::default(),
            credit: [0, 0],
            heavy: BTreeMap::new(),
            file: BTreeMap::new(),
            pages: [0, 0],
        }
    }
    /// The concrete policy.
    pub fn inner(&self) -> &PolicyImpl {
        &self.inner
    }
    /// Which policy this is.
    pub fn kind(&self) -> PolicyKind {
        any_policy!(&self.inner, p => kind_of(p))
    }
    /// [`Policy::NAME`].
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }
    /// [`Policy::USES_ACCESSED_BITS`].
    #[inline]
    pub fn uses_accessed_bits(&self) -> bool {
        any_policy!(&self.inner, p => uses_accessed_bits(p))
    }
    /// [`Policy::insert`] of a base anonymous page.
    #[inline]
    pub fn insert(&mut self, pfn: Pfn, next: NextUse) {
        self.insert_folio(pfn, PageInfo::ANON, next);
    }
    /// `folio_add_lru()`: [`Policy::insert`] of a folio of `info.nr_pages` pages and class `info.class`.
    pub fn insert_folio(&mut self, pfn: Pfn, info: PageInfo, next: NextUse) {
        self.account(pfn, info);
        if info.class == LruClass::File && matches!(self.inner, PolicyImpl::Linux(_)) {
            let frames = self.frames;
            self.file_lru.get_or_insert_with(|| Box::new(two_list::TwoList::new(frames, 0))).insert(pfn, next);
            return;
        }
        any_policy!(&mut self.inner, p => p.insert(pfn, next))
    }
    /// `activate_locked` in `shrink_folio_list` (mm/vmscan.c): put a page that could not be reclaimed back on the
    /// active list, counted as an activation. True for the `linux` policy (the caller sets PG_active); other
    /// policies have no active list: false, and nothing is inserted.
    pub fn putback_activated(&mut self, pfn: Pfn, info: PageInfo) -> bool {
        if !matches!(self.inner, PolicyImpl::Linux(_)) {
            return false;
        }
        self.account(pfn, info);
        if let Some(f) = self.file_lists(pfn) {
            f.putback_activated(pfn);
        } else if let PolicyImpl::Linux(t) = &mut self.inner {
            t.putback_activated(pfn);
        }
        true
    }
    /// The file lists, if `pfn` is a file page on them.
    fn file_lists(&mut self, pfn: Pfn) -> Option<&mut two_list::TwoList> {
        match &mut self.file_lru {
            Some(f) if self.file.contains_key(&pfn) => Some(f),
            _ => None,
        }
    }
    /// Sizes of the `linux` policy's (inactive, active) anon lists; (0, 0) for other policies.
    pub fn anon_list_sizes(&self) -> (u64, u64) {
        match &self.inner {
            PolicyImpl::Linux(t) => {
                let (i, a) = t.list_sizes();
                (i as u64, a as u64)
            }
            _ => (0, 0),
        }
    }
    /// Sizes of the `linux` policy's (inactive, active) file lists; (0, 0) for other policies.
    pub fn file_list_sizes(&self) -> (u64, u64) {
        self.file_lru.as_ref().map_or((0, 0), |f| {
            let (i, a) = f.list_sizes();
            (i as u64, a as u64)
        })
    }
    /// Put a file page just read back in on the active file list (a refault mm/workingset.c found recent). False
    /// for other policies, or if the page is not on the inactive file list.
    pub fn activate(&mut self, pfn: Pfn) -> bool {
        self.file_lists(pfn).is_some_and(|f| f.activate_refault(pfn))
    }
    fn account(&mut self, pfn: Pfn, info: PageInfo) {
        if info.nr_pages != 1 {
            self.heavy.insert(pfn, info.nr_pages);
        }
        if info.class == LruClass::File {
            self.file.insert(pfn, ());
        }
        self.pages[info.class as usize] += u64::from(info.nr_pages);
    }
    /// What was recorded for `pfn`, forgetting it.
    fn unaccount(&mut self, pfn: Pfn) -> PageInfo {
        let nr_pages = if self.heavy.is_empty() { 1 } else { self.heavy.remove(&pfn).unwrap_or(1) };
        let class =
            if !self.file.is_empty() && self.file.remove(&pfn).is_some() { LruClass::File } else { LruClass::Anon };
        let c = &mut self.pages[class as usize];
        *c = c.saturating_sub(u64::from(nr_pages));
        PageInfo { nr_pages, class }
    }
    /// [`Policy::touch`].
    #[inline]
    pub fn touch(&mut self, pfn: Pfn, next: NextUse) {
        if self.file_lru.is_some() {
            if let Some(f) = self.file_lists(pfn) {
                return f.touch(pfn, next);
            }
        }
        any_policy!(&mut self.inner, p => p.touch(pfn, next))
    }
    /// [`Policy::victim`], with the victim's weight and class. With file lists (`linux`), the list is chosen by
    /// [`ScanBalance::pick`]; if the chosen one gives nothing, the other is tried.
    pub fn victim<R: Referenced>(&mut self, refs: &mut R) -> Option<Pfn> {
        let v = match self.file_lru.as_mut() {
            Some(file) if !file.is_empty() => {
                let anon_size = any_policy!(&self.inner, p => p.len()) as u64;
                let (fi, fa) = file.list_sizes();
                let want_file = self.balance.pick(anon_size, fi as u64, (fi + fa) as u64, &mut self.credit);
                let first =
                    if want_file { file.victim(refs) } else { any_policy!(&mut self.inner, p => p.victim(refs)) };
                match first {
                    Some(v) => Some(v),
                    None if want_file && self.balance.may_swap => any_policy!(&mut self.inner, p => p.victim(refs)),
                    None if !want_file => self.file_lru.as_mut().and_then(|f| f.victim(refs)),
                    None => None,
                }
            }
            _ => any_policy!(&mut self.inner, p => p.victim(refs)),
        }?;
        self.unaccount(v);
        Some(v)
    }
    /// [`AnyPolicy::victim`], and the number of pages scanned to find it: what `shrink_inactive_list` adds to
    /// `pgscan_kswapd`/`pgscan_direct` (its `nr_scanned`, every page `isolate_lru_folios` took from the inactive
    /// list, whether `shrink_folio_list` then reclaimed, rotated or activated it; mm/vmscan.c). It is the growth
    /// of [`PolicyStats::scanned`] during the call, and at least 1 when a victim is returned (the policies that
    /// keep no count examine exactly the victim). Counted in folios, as the policies order folios.
    pub fn victim_scanned<R: Referenced>(&mut self, refs: &mut R) -> (Option<Pfn>, u64) {
        let before = self.stats().scanned;
        let v = self.victim(refs);
        let scanned = self.stats().scanned - before;
        (v, if v.is_some() { scanned.max(1) } else { scanned })
    }
    /// [`Policy::remove`].
    pub fn remove(&mut self, pfn: Pfn) {
        if self.contains(pfn) {
            if let Some(f) = self.file_lists(pfn) {
                f.remove(pfn);
            } else {
                any_policy!(&mut self.inner, p => p.remove(pfn))
            }
            self.unaccount(pfn);
        }
    }
    /// [`Policy::contains`].
    pub fn contains(&self, pfn: Pfn) -> bool {
        if let Some(f) = self.file_lru.as_ref().filter(|_| self.file.contains_key(&pfn)) {
            return f.contains(pfn);
        }
        any_policy!(&self.inner, p => p.contains(pfn))
    }
    /// [`Policy::isolate`]: the page's LRU state and its weight and class, for [`AnyPolicy::putback`].
    pub fn isolate(&mut self, pfn: Pfn) -> Option<(Isolated, PageInfo)> {
        let state = match self.file_lists(pfn) {
            Some(f) => f.isolate(pfn)?,
            None => any_policy!(&mut self.inner, p => p.isolate(pfn))?,
        };
        Some((state, self.unaccount(pfn)))
    }
    /// [`Policy::putback`].
    pub fn putback(&mut self, pfn: Pfn, (state, info): (Isolated, PageInfo), next: NextUse) {
        self.account(pfn, info);
        if let Some(f) = self.file_lists(pfn) {
            return f.putback(pfn, state, next);
        }
        any_policy!(&mut self.inner, p => p.putback(pfn, state, next))
    }
    /// [`Policy::migrate`]: the page in `old` now lives in `new`, with its list state, weight and class.
    pub fn migrate(&mut self, old: Pfn, new: Pfn) -> bool {
        match self.isolate(old) {
            Some(st) => {
                self.putback(new, st, NextUse::NEVER);
                true
            }
            None => false,
        }
    }
    /// [`Policy::len`]: folios tracked (on the file lists too).
    pub fn len(&self) -> usize {
        any_policy!(&self.inner, p => p.len()) + self.file_lru.as_ref().map_or(0, |f| f.len())
    }
    /// Whether nothing is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Pages tracked, counting each folio's weight (`lru_size`), for one class.
    pub fn nr_pages(&self, class: LruClass) -> u64 {
        self.pages[class as usize]
    }
    /// [`Policy::miss`].
    pub fn miss(&mut self, key: u64) {
        any_policy!(&mut self.inner, p => p.miss(key))
    }
    /// [`Policy::stats`]: the event counters of all lists summed; `active_pages`/`inactive_pages` are those of the
    /// anon (or only) lists, [`AnyPolicy::file_list_sizes`] gives the file lists'.
    pub fn stats(&self) -> PolicyStats {
        let s = any_policy!(&self.inner, p => p.stats());
        match &self.file_lru {
            Some(f) => {
                let fs = f.stats();
                PolicyStats {
                    activations: s.activations + fs.activations,
                    deactivations: s.deactivations + fs.deactivations,
                    scanned: s.scanned + fs.scanned,
                    ..s
                }
            }
            None => s,
        }
    }
}

/// How reclaim splits its scanning between the anon and the file lists: `get_scan_count()` (mm/vmscan.c,
/// SPEC §5), for the `linux` policy.
///
/// - No swap to write anon pages to (`!sc->may_swap` or no free swap): file only.
/// - `cache_trim_mode` (enough inactive file pages and no file refaults since the last reclaim): file only.
/// - Otherwise `SCAN_FRACT`: each list is scanned in proportion to its size times its pressure,
///   `ap = swappiness * (T + 1) / (A + 1)` for anon and `fp = (200 - swappiness) * (T + 1) / (F + 1)` for file,
///   with the recent reclaim costs `a = f = 0` (so `ap = swappiness`, `fp = 200 - swappiness`).
///
/// Simplifies: the model takes one victim at a time, so the proportion applies to victims, chosen by smooth
/// weighted round-robin (deterministic), not to pages scanned per priority pass; reclaim and refault costs
/// (`lru_note_cost`) are not tracked; no `file_is_tiny`, no `SCAN_EQUAL` at priority 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanBalance {
    /// `vm.swappiness`.
    pub swappiness: u32,
    /// Anon pages can go to swap now.
    pub may_swap: bool,
    /// `sc->cache_trim_mode`.
    pub cache_trim: bool,
}

impl Default for ScanBalance {
    fn default() -> Self {
        Self { swappiness: 60, may_swap: true, cache_trim: false }
    }
}

impl ScanBalance {
    /// `get_scan_count()`'s `(ap, fp)` with no recent costs.
    pub fn pressure(&self) -> (u64, u64) {
        let sw = u64::from(self.swappiness.min(200));
        (sw, 200 - sw)
    }

    /// Whether the next victim comes from the file lists, given the anon list size, the inactive and the total
    /// file list sizes, and the round-robin credit.
    fn pick(&self, anon: u64, inactive_file: u64, file: u64, credit: &mut [i128; 2]) -> bool {
        if !self.may_swap || anon == 0 || self.cache_trim {
            return true;
        }
        if inactive_file == 0 && file == 0 {
            return false;
        }
        let (ap, fp) = self.pressure();
        let w = [i128::from(anon) * i128::from(ap), i128::from(file) * i128::from(fp)];
        if w[0] + w[1] == 0 {
            return true;
        }
        credit[0] += w[0];
        credit[1] += w[1];
        let i = usize::from(credit[1] > credit[0]);
        credit[i] -= w[0] + w[1];
        i == 1
    }
}

fn kind_of<P: Policy>(_: &P) -> PolicyKind {
    // NAME is one of PolicyKind's names by contract (tested below).
    PolicyKind::ALL.into_iter().find(|k| k.name() == P::NAME).unwrap_or_default()
}

fn uses_accessed_bits<P: Policy>(_: &P) -> bool {
    P::USES_ACCESSED_BITS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_fromstr_display_and_serde() {
        for kind in PolicyKind::ALL {
            assert_eq!(kind.to_string().parse::<PolicyKind>(), Ok(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{kind}\""));
            assert_eq!(serde_json::from_str::<PolicyKind>(&json).unwrap(), kind);
        }
        assert_eq!(PolicyKind::S3fifo.to_string(), "s3fifo");
        assert_eq!(PolicyKind::Linux.to_string(), "linux");
        let err = "LRU".parse::<PolicyKind>().unwrap_err();
        assert!(err.to_string().contains("\"LRU\""), "{err}");
    }

    /// isolate/putback/migrate on every policy: tracked pages move, untracked ones are refused, counts hold.
    #[test]
    fn isolate_putback_and_migrate_keep_the_page_tracked() {
        let f = Pfn::from_index;
        for kind in PolicyKind::ALL {
            let mut p = AnyPolicy::new(kind, 16, 1);
            for i in 0..4 {
                p.insert(f(i), NextUse(i as u64));
            }
            assert!(p.isolate(f(9)).is_none(), "{kind}: untracked");
            let st = p.isolate(f(1)).unwrap_or_else(|| panic!("{kind}: tracked"));
            assert!(!p.contains(f(1)) && p.len() == 3 && p.nr_pages(LruClass::Anon) == 3, "{kind}");
            p.putback(f(1), st, NextUse(1));
            assert!(p.contains(f(1)) && p.len() == 4, "{kind}");
            assert!(p.migrate(f(2), f(12)), "{kind}");
            assert!(!p.contains(f(2)) && p.contains(f(12)) && p.len() == 4, "{kind}");
            assert!(!p.migrate(f(2), f(13)), "{kind}: nothing to migrate");
            // Every page still comes out exactly once.
            let mut out: Vec<usize> = std::iter::from_fn(|| p.victim(&mut NoHardwareBits)).map(Pfn::index).collect();
            out.sort_unstable();
            assert_eq!(out, [0, 1, 3, 12], "{kind}");
            assert_eq!(p.nr_pages(LruClass::Anon), 0, "{kind}");
        }
    }

    /// A THP counts 512 pages; file pages are counted apart; weights leave with the victim or on remove.
    #[test]
    fn folio_weights_and_classes_are_counted_in_pages() {
        let f = Pfn::from_index;
        let mut p = AnyPolicy::new(PolicyKind::Fifo, 1024, 0);
        p.insert_folio(f(0), PageInfo { nr_pages: 512, class: LruClass::Anon }, NextUse::NEVER);
        p.insert(f(600), NextUse::NEVER);
        p.insert_folio(f(700), PageInfo { nr_pages: 1, class: LruClass::File }, NextUse::NEVER);
        assert_eq!((p.len(), p.nr_pages(LruClass::Anon), p.nr_pages(LruClass::File)), (3, 513, 1));
        assert_eq!(p.victim(&mut NoHardwareBits), Some(f(0)), "FIFO: the THP went in first");
        assert_eq!(p.nr_pages(LruClass::Anon), 1);
        p.remove(f(700));
        p.remove(f(700)); // not tracked any more: no-op
        assert_eq!((p.len(), p.nr_pages(LruClass::Anon), p.nr_pages(LruClass::File)), (1, 1, 0));
        let st = p.isolate(f(600)).unwrap();
        assert_eq!(p.nr_pages(LruClass::Anon), 0);
        p.putback(f(601), st, NextUse::NEVER);
        assert_eq!(p.nr_pages(LruClass::Anon), 1);
    }

    /// Linux's lists: an isolated active page goes back to the active list (`lru_add` reads PG_active), and
    /// migration carries PG_active to the new page (`folio_migrate_flags`).
    #[test]
    fn two_list_putback_and_migrate_keep_pg_active() {
        let f = Pfn::from_index;
        let mut t = two_list::TwoList::new(16, 0);
        t.insert(f(3), NextUse::NEVER);
        t.touch(f(3), NextUse::NEVER); // referenced
        t.touch(f(3), NextUse::NEVER); // active
        assert!(t.is_active(f(3)));
        assert!(t.migrate(f(3), f(7)));
        assert!(t.is_active(f(7)) && !t.contains(f(3)));
        let st = t.isolate(f(7)).unwrap();
        assert!(st.active);
        t.putback(f(7), st, NextUse::NEVER);
        assert!(t.is_active(f(7)));
    }

    #[test]
    fn any_policy_is_the_kind_it_was_built_as() {
        for kind in PolicyKind::ALL {
            let p = AnyPolicy::new(kind, 8, 0);
            assert_eq!(p.kind(), kind);
            assert_eq!(p.uses_accessed_bits(), matches!(kind, PolicyKind::Clock | PolicyKind::Linux));
        }
    }

    /// pgscan per victim: the pages the policy examined, at least the victim.
    #[test]
    fn victim_scanned_counts_every_page_examined() {
        struct Young(Vec<bool>);
        impl Referenced for Young {
            fn test_and_clear_young(&mut self, pfn: Pfn) -> u32 {
                u32::from(std::mem::take(&mut self.0[pfn.index()]))
            }
        }
        let f = Pfn::from_index;
        for kind in PolicyKind::ALL {
            let mut p = AnyPolicy::new(kind, 8, 0);
            for i in 0..4 {
                p.insert(f(i), NextUse(i as u64));
            }
            // Frames 0 and 1 young: A-bit policies pass over them first.
            let mut young = Young(vec![true, true, false, false, false, false, false, false]);
            let before = p.stats().scanned;
            let (v, scanned) = p.victim_scanned(&mut young);
            assert!(v.is_some(), "{kind}");
            match kind {
                // 0 and 1 rotated (young), 2 taken.
                PolicyKind::Linux => assert_eq!(scanned, 3),
                // No count kept: the victim alone.
                PolicyKind::Fifo | PolicyKind::Lru | PolicyKind::Opt | PolicyKind::Random => assert_eq!(scanned, 1),
                _ => assert_eq!(scanned, p.stats().scanned - before, "{kind}"),
            }
            let (_, scanned) = p.victim_scanned(&mut NoHardwareBits);
            assert!(scanned >= 1, "{kind}");
        }
        let mut empty = AnyPolicy::new(PolicyKind::Linux, 4, 0);
        assert_eq!(empty.victim_scanned(&mut NoHardwareBits), (None, 0));
    }

    #[test]
    fn only_opt_reads_the_future() {
        let readers: Vec<_> = PolicyKind::ALL.into_iter().filter(|k| k.uses_next_use()).collect();
        assert_eq!(readers, [PolicyKind::Opt]);
    }
}
