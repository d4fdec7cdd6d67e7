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

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::addr::Pfn;

pub mod clock;
pub mod fifo;
mod frame_list;
pub mod lru;
pub mod mrc;
pub mod opt;
pub mod random;
pub mod replay;
pub mod s3fifo;
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

/// How a policy asks about hardware Accessed bits. The kernel model implements this through the reverse map: it
/// clears the A bit in every PTE mapping the frame, invalidates the TLB entries, and reports whether any was set
/// (`folio_referenced()`, mm/rmap.c).
pub trait Referenced {
    /// Test and clear the Accessed bit of every mapping of `pfn`; true if any was set.
    fn test_and_clear_young(&mut self, pfn: Pfn) -> bool;
}

/// A referenced-bit source for pure trace replay: nothing is ever young (policies then use only what `touch()`
/// told them).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoHardwareBits;

impl Referenced for NoHardwareBits {
    #[inline]
    fn test_and_clear_young(&mut self, _pfn: Pfn) -> bool {
        false
    }
}

/// Counters a policy may keep, Linux `/proc/vmstat` style. Policies without lists to move between report zeros.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PolicyStats {
    /// Pages moved to the active list (`pgactivate`).
    pub activations: u64,
    /// Pages moved from the active to the inactive list (`pgdeactivate`).
    pub deactivations: u64,
    /// Pages examined while looking for a victim (`pgscan`; for CLOCK and SIEVE, frames the hand passed).
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
}

/// The policies by name: what a config or the command line selects (`--policy lru`, `[reclaim] policy = "lru"`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyKind {
    /// First in, first out: evict the page resident longest.
    Fifo,
    /// Exact least-recently-used.
    #[default]
    Lru,
    /// Second-chance CLOCK with one reference bit per frame (SPEC §16 convention).
    Clock,
    /// Belady's optimal: evict the page used farthest in the future (needs the whole trace).
    Opt,
    /// Uniformly random victim from a seeded ChaCha8 stream.
    Random,
    /// SIEVE: FIFO order, a visited bit, and a hand that never moves pages (NSDI '24).
    Sieve,
    /// S3-FIFO: small, main and ghost FIFO queues (SOSP '23).
    S3fifo,
    /// Linux's active/inactive two-list LRU for anonymous pages (mm/vmscan.c).
    Linux,
}

impl PolicyKind {
    /// Every policy, in the order of this enum.
    pub const ALL: [PolicyKind; 8] = [
        PolicyKind::Fifo,
        PolicyKind::Lru,
        PolicyKind::Clock,
        PolicyKind::Opt,
        PolicyKind::Random,
        PolicyKind::Sieve,
        PolicyKind::S3fifo,
        PolicyKind::Linux,
    ];

    /// The lowercase name, equal to the implementing type's [`Policy::NAME`].
    pub fn name(self) -> &'static str {
        crate::with_policy!(self, |P| <P as Policy>::NAME)
    }

    /// Whether the policy needs the future ([`Policy::USES_NEXT_USE`]).
    pub fn uses_next_use(self) -> bool {
        crate::with_policy!(self, |P| <P as Policy>::USES_NEXT_USE)
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A policy name that is not one of [`PolicyKind::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown replacement policy {0:?} (expected one of fifo, lru, clock, opt, random, sieve, s3fifo, linux)")]
pub struct UnknownPolicy(pub String);

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
        match $kind {
            $crate::reclaim::PolicyKind::Fifo => {
                type $P = $crate::reclaim::fifo::Fifo;
                $body
            }
            $crate::reclaim::PolicyKind::Lru => {
                type $P = $crate::reclaim::lru::Lru;
                $body
            }
            $crate::reclaim::PolicyKind::Clock => {
                type $P = $crate::reclaim::clock::Clock;
                $body
            }
            $crate::reclaim::PolicyKind::Opt => {
                type $P = $crate::reclaim::opt::Opt;
                $body
            }
            $crate::reclaim::PolicyKind::Random => {
                type $P = $crate::reclaim::random::Random;
                $body
            }
            $crate::reclaim::PolicyKind::Sieve => {
                type $P = $crate::reclaim::sieve::Sieve;
                $body
            }
            $crate::reclaim::PolicyKind::S3fifo => {
                type $P = $crate::reclaim::s3fifo::S3Fifo;
                $body
            }
            $crate::reclaim::PolicyKind::Linux => {
                type $P = $crate::reclaim::two_list::TwoList;
                $body
            }
        }
    };
}

/// The kernel model's replacement policy, chosen at run time: one variant per [`PolicyKind`]. The kernel holds its
/// policy (and each memory group's) behind this enum, so the kernel is compiled once per architecture, not once per
/// architecture and policy; the replacement-only [`replay`] keeps its generic, statically dispatched hot loop.
#[derive(Debug)]
pub enum AnyPolicy {
    /// FIFO.
    Fifo(fifo::Fifo),
    /// Exact LRU.
    Lru(lru::Lru),
    /// CLOCK over the hardware Accessed bits.
    Clock(clock::Clock),
    /// Belady's OPT.
    Opt(opt::Opt),
    /// Random (seeded).
    Random(random::Random),
    /// SIEVE.
    Sieve(sieve::Sieve),
    /// S3-FIFO.
    S3fifo(s3fifo::S3Fifo),
    /// Linux's active/inactive lists.
    Linux(two_list::TwoList),
}

/// The one `match` over [`AnyPolicy`]: evaluates `$body` with `$p` bound to the concrete policy.
macro_rules! any_policy {
    ($self:expr, $p:ident => $body:expr) => {
        match $self {
            AnyPolicy::Fifo($p) => $body,
            AnyPolicy::Lru($p) => $body,
            AnyPolicy::Clock($p) => $body,
            AnyPolicy::Opt($p) => $body,
            AnyPolicy::Random($p) => $body,
            AnyPolicy::Sieve($p) => $body,
            AnyPolicy::S3fifo($p) => $body,
            AnyPolicy::Linux($p) => $body,
        }
    };
}

impl AnyPolicy {
    /// A fresh policy of `kind` over `frames` frame indices (see [`Policy::new`]).
    pub fn new(kind: PolicyKind, frames: usize, seed: u64) -> Self {
        crate::with_policy!(kind, |P| AnyPolicy::from(P::new(frames, seed)))
    }
    /// Which policy this is.
    pub fn kind(&self) -> PolicyKind {
        any_policy!(self, p => kind_of(p))
    }
    /// [`Policy::NAME`].
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }
    /// [`Policy::USES_ACCESSED_BITS`].
    #[inline]
    pub fn uses_accessed_bits(&self) -> bool {
        any_policy!(self, p => uses_accessed_bits(p))
    }
    /// [`Policy::insert`].
    #[inline]
    pub fn insert(&mut self, pfn: Pfn, next: NextUse) {
        any_policy!(self, p => p.insert(pfn, next))
    }
    /// [`Policy::touch`].
    #[inline]
    pub fn touch(&mut self, pfn: Pfn, next: NextUse) {
        any_policy!(self, p => p.touch(pfn, next))
    }
    /// [`Policy::victim`].
    pub fn victim<R: Referenced>(&mut self, refs: &mut R) -> Option<Pfn> {
        any_policy!(self, p => p.victim(refs))
    }
    /// [`Policy::remove`].
    pub fn remove(&mut self, pfn: Pfn) {
        any_policy!(self, p => p.remove(pfn))
    }
    /// [`Policy::len`].
    pub fn len(&self) -> usize {
        any_policy!(self, p => p.len())
    }
    /// [`Policy::is_empty`].
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// [`Policy::miss`].
    pub fn miss(&mut self, key: u64) {
        any_policy!(self, p => p.miss(key))
    }
    /// [`Policy::stats`].
    pub fn stats(&self) -> PolicyStats {
        any_policy!(self, p => p.stats())
    }
}

fn kind_of<P: Policy>(_: &P) -> PolicyKind {
    // NAME is one of PolicyKind's names by contract (tested below).
    PolicyKind::ALL.into_iter().find(|k| k.name() == P::NAME).unwrap_or_default()
}

fn uses_accessed_bits<P: Policy>(_: &P) -> bool {
    P::USES_ACCESSED_BITS
}

macro_rules! any_policy_from {
    ($($variant:ident($ty:ty)),+) => {
        $(impl From<$ty> for AnyPolicy {
            fn from(p: $ty) -> Self {
                AnyPolicy::$variant(p)
            }
        })+
    };
}
any_policy_from!(
    Fifo(fifo::Fifo),
    Lru(lru::Lru),
    Clock(clock::Clock),
    Opt(opt::Opt),
    Random(random::Random),
    Sieve(sieve::Sieve),
    S3fifo(s3fifo::S3Fifo),
    Linux(two_list::TwoList)
);

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

    #[test]
    fn any_policy_is_the_kind_it_was_built_as() {
        for kind in PolicyKind::ALL {
            let p = AnyPolicy::new(kind, 8, 0);
            assert_eq!(p.kind(), kind);
            assert_eq!(p.uses_accessed_bits(), matches!(kind, PolicyKind::Clock | PolicyKind::Linux));
        }
    }

    #[test]
    fn only_opt_reads_the_future() {
        let readers: Vec<_> = PolicyKind::ALL.into_iter().filter(|k| k.uses_next_use()).collect();
        assert_eq!(readers, [PolicyKind::Opt]);
    }
}
