//! Intrusive doubly-linked lists over dense frame indices: the `struct list_head` of the policies.
//!
//! One [`Links`] holds the prev/next arrays for every frame; several [`List`]s (LRU, inactive/active, S3-FIFO's
//! small/main) share it, since a frame sits on at most one list. Each frame also records which list holds it, so
//! membership tests cost one byte load. The head is the newest end (`list_add()` in Linux), the tail the oldest
//! (`lru_to_folio()` takes the tail).

use crate::addr::Pfn;

/// The "no frame" link.
pub(crate) const NIL: u32 = u32::MAX;

/// A frame's slot as stored in the link arrays.
///
/// Policies reject `frames > MAX_FRAMES` in `new`, and callers pass only `pfn.index() < frames`, so the value fits.
#[allow(clippy::cast_possible_truncation, reason = "policies accept at most MAX_FRAMES = u32::MAX frames")]
#[inline]
pub(crate) fn slot(pfn: Pfn) -> u32 {
    debug_assert!(pfn.index() < super::MAX_FRAMES, "frame {pfn:?} beyond MAX_FRAMES");
    pfn.index() as u32
}

/// The frame stored in a link slot.
#[inline]
pub(crate) fn pfn_of(slot: u32) -> Pfn {
    Pfn::from_index(slot as usize)
}

/// Per-frame state of a policy, indexed by frame slot: it grows to the highest slot written, so host memory
/// follows the frames in use, not the size of RAM (a 2^36-frame machine would otherwise need 2^36 entries).
/// Reading a slot never written gives the zero value.
#[derive(Debug, Clone)]
pub(crate) struct PerFrame<T: Copy> {
    v: Vec<T>,
    zero: T,
}

impl<T: Copy> PerFrame<T> {
    /// Empty; every slot reads as `zero`.
    pub(crate) const fn new(zero: T) -> Self {
        Self { v: Vec::new(), zero }
    }

    /// The value at `i`, or `None` beyond the highest slot written.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        self.v.get(i)
    }

    /// Slots covered so far (every slot at or beyond reads as zero).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.v.len()
    }

    #[cold]
    fn grow(&mut self, i: usize) {
        let len = (i + 1).max(self.v.len() * 2).max(64);
        self.v.resize(len, self.zero);
    }
}

impl<T: Copy> std::ops::Index<usize> for PerFrame<T> {
    type Output = T;
    #[inline]
    fn index(&self, i: usize) -> &T {
        self.v.get(i).unwrap_or(&self.zero)
    }
}

impl<T: Copy> std::ops::IndexMut<usize> for PerFrame<T> {
    #[inline]
    fn index_mut(&mut self, i: usize) -> &mut T {
        if i >= self.v.len() {
            self.grow(i);
        }
        &mut self.v[i]
    }
}

/// A link as stored in the per-frame arrays: the slot plus one, so that [`NIL`] is stored as 0 and the arrays start
/// zeroed. A zeroed `vec!` is calloc'd, so the host backs a page of it only when a frame in it is first linked:
/// simulated frames that are never used cost no host memory (a `vec![NIL; frames]` wrote 8 bytes per frame at
/// boot, 128 MiB for a 64 GiB machine).
#[inline(always)]
const fn stored(link: u32) -> u32 {
    link.wrapping_add(1)
}

/// The link a stored value stands for (the inverse of [`stored`]).
#[inline(always)]
const fn link(stored: u32) -> u32 {
    stored.wrapping_sub(1)
}

/// Per-frame prev/next links and list membership, shared by the lists of one policy.
#[derive(Debug, Clone)]
pub(crate) struct Links {
    /// Neighbour towards the head (newer), as [`stored`].
    prev: Vec<u32>,
    /// Neighbour towards the tail (older), as [`stored`].
    next: Vec<u32>,
    /// Id of the list holding the frame, 0 for none.
    on: Vec<u8>,
}

impl Links {
    /// No frame linked. The arrays grow (in [`List::push_front`], the only way a frame joins a list) to the highest
    /// frame linked, so host memory follows the frames in use; every other access is to a linked frame.
    pub(crate) const fn new() -> Self {
        Self { prev: Vec::new(), next: Vec::new(), on: Vec::new() }
    }

    /// Cover frame `i`.
    #[inline]
    fn ensure(&mut self, i: usize) {
        if i >= self.on.len() {
            self.grow(i);
        }
    }

    #[cold]
    fn grow(&mut self, i: usize) {
        let len = (i + 1).max(self.on.len() * 2).max(64);
        self.prev.resize(len, stored(NIL));
        self.next.resize(len, stored(NIL));
        self.on.resize(len, 0);
    }

    /// Id of the list holding `i`, 0 if none. Out-of-range frames are on no list.
    #[inline]
    pub(crate) fn on(&self, i: u32) -> u8 {
        self.on.get(i as usize).copied().unwrap_or(0)
    }

    /// Neighbour of `i` towards the head, if any.
    #[inline]
    pub(crate) fn newer(&self, i: u32) -> Option<u32> {
        let p = link(self.prev[i as usize]);
        (p != NIL).then_some(p)
    }
}

/// One list threaded through a [`Links`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct List {
    id: u8,
    head: u32,
    tail: u32,
    len: usize,
}

impl List {
    /// An empty list; `id` (non-zero) tags its members in [`Links::on`].
    pub(crate) const fn new(id: u8) -> Self {
        assert!(id != 0, "list id 0 means 'on no list'");
        Self { id, head: NIL, tail: NIL, len: 0 }
    }

    pub(crate) const fn len(&self) -> usize {
        self.len
    }

    pub(crate) const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether `i` is on this list.
    #[inline]
    pub(crate) fn contains(&self, links: &Links, i: u32) -> bool {
        links.on(i) == self.id
    }

    /// The oldest member.
    #[inline]
    pub(crate) fn tail(&self) -> Option<u32> {
        (self.tail != NIL).then_some(self.tail)
    }

    /// Adds `i` (on no list) at the head.
    #[inline]
    pub(crate) fn push_front(&mut self, links: &mut Links, i: u32) {
        links.ensure(i as usize);
        debug_assert_eq!(links.on[i as usize], 0, "frame {i} already on list {}", links.on[i as usize]);
        let iu = i as usize;
        links.prev[iu] = stored(NIL);
        links.next[iu] = stored(self.head);
        links.on[iu] = self.id;
        if self.head == NIL {
            self.tail = i;
        } else {
            links.prev[self.head as usize] = stored(i);
        }
        self.head = i;
        self.len += 1;
    }

    /// Takes `i` (a member) off the list.
    #[inline]
    pub(crate) fn unlink(&mut self, links: &mut Links, i: u32) {
        debug_assert_eq!(links.on[i as usize], self.id, "frame {i} not on list {}", self.id);
        let iu = i as usize;
        let (p, n) = (link(links.prev[iu]), link(links.next[iu]));
        if p == NIL {
            self.head = n;
        } else {
            links.next[p as usize] = stored(n);
        }
        if n == NIL {
            self.tail = p;
        } else {
            links.prev[n as usize] = stored(p);
        }
        links.on[iu] = 0;
        self.len -= 1;
    }

    /// Moves member `i` to the head (a hit in LRU, a rotation in CLOCK-like lists).
    #[inline]
    pub(crate) fn move_to_front(&mut self, links: &mut Links, i: u32) {
        if self.head != i {
            self.unlink(links, i);
            self.push_front(links, i);
        }
    }

    /// Removes and returns the oldest member.
    #[inline]
    pub(crate) fn pop_back(&mut self, links: &mut Links) -> Option<u32> {
        let t = self.tail()?;
        self.unlink(links, t);
        Some(t)
    }

    /// Members from head (newest) to tail (oldest), for tests and debugging.
    #[cfg(test)]
    pub(crate) fn iter<'a>(&self, links: &'a Links) -> impl Iterator<Item = u32> + 'a {
        let mut cur = self.head;
        std::iter::from_fn(move || {
            (cur != NIL).then(|| {
                let i = cur;
                cur = link(links.next[i as usize]);
                i
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_unlink_move_keep_order_and_membership() {
        let mut links = Links::new();
        let (mut a, mut b) = (List::new(1), List::new(2));
        for i in [3, 1, 4] {
            a.push_front(&mut links, i);
        }
        b.push_front(&mut links, 5);
        assert_eq!(a.iter(&links).collect::<Vec<_>>(), [4, 1, 3]);
        a.move_to_front(&mut links, 3);
        assert_eq!(a.iter(&links).collect::<Vec<_>>(), [3, 4, 1]);
        a.unlink(&mut links, 4);
        assert_eq!(a.iter(&links).collect::<Vec<_>>(), [3, 1]);
        assert_eq!((a.len(), a.tail(), links.on(4), links.on(5)), (2, Some(1), 0, 2));
        assert_eq!(links.newer(1), Some(3));
        assert_eq!(a.pop_back(&mut links), Some(1));
        assert_eq!(a.pop_back(&mut links), Some(3));
        assert_eq!(a.pop_back(&mut links), None);
        assert!(a.is_empty() && b.contains(&links, 5) && !a.contains(&links, 5));
        assert_eq!(links.on(100), 0);
    }
}
