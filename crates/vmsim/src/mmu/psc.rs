//! TEMPORARY paging-structure cache stub with the final API; replaced on merge.
#![allow(missing_docs, dead_code, clippy::all)]
use crate::addr::{Asid, Pfn, VirtAddr};
use crate::arch::Level;
use serde::{Deserialize, Serialize};
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PscConfig {
    pub enabled: bool,
    pub pml4e: u32,
    pub pdpte: u32,
    pub pde: u32,
}
impl Default for PscConfig {
    fn default() -> Self {
        Self { enabled: true, pml4e: 4, pdpte: 4, pde: 32 }
    }
}
#[derive(Debug, Clone)]
pub struct Psc {
    e: Vec<(Asid, u64, Level, Pfn)>,
    enabled: bool,
}
impl Psc {
    pub fn new(c: &PscConfig) -> Self {
        Self { e: vec![], enabled: c.enabled }
    }
    fn key(va: VirtAddr, level: Level) -> u64 {
        va.raw() >> (12 + 9 * u32::from(level.0))
    }
    pub fn lookup(&mut self, asid: Asid, va: VirtAddr, _levels: u8) -> Option<(Level, Pfn)> {
        if !self.enabled {
            return None;
        }
        self.e
            .iter()
            .filter(|(a, k, l, _)| *a == asid && *k == Self::key(va, *l))
            .min_by_key(|x| x.2)
            .map(|x| (x.2, x.3))
    }
    pub fn insert(&mut self, asid: Asid, va: VirtAddr, level: Level, pfn: Pfn) {
        if !self.enabled {
            return;
        }
        let k = Self::key(va, level);
        self.e.retain(|(a, kk, l, _)| !(*a == asid && *kk == k && *l == level));
        self.e.push((asid, k, level, pfn));
        if self.e.len() > 40 {
            self.e.remove(0);
        }
    }
    pub fn invalidate_page(&mut self, asid: Asid, va: VirtAddr) {
        self.e.retain(|(a, k, l, _)| !(*a == asid && *k == Self::key(va, *l)))
    }
    pub fn invalidate_asid(&mut self, asid: Asid) {
        self.e.retain(|x| x.0 != asid)
    }
    pub fn invalidate_all(&mut self) {
        self.e.clear()
    }
}
