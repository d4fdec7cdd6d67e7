//! TEMPORARY naive TLB with the final API; replaced by the set-associative implementation on merge.
#![allow(missing_docs, dead_code, clippy::all)]
use crate::addr::{Asid, Pfn, Vpn};
use crate::arch::Perms;
use crate::mmu::psc::PscConfig;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlbEntry {
    pub vpn: Vpn,
    pub pfn: Pfn,
    pub perms: Perms,
    pub asid: Asid,
}
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlbGeometry {
    pub entries: u32,
    pub ways: u32,
}
#[derive(Debug, thiserror::Error)]
#[error("bad tlb geometry")]
pub struct TlbConfigError;
#[derive(Debug, Clone)]
pub struct Tlb {
    e: Vec<(TlbEntry, u64)>,
    cap: usize,
    t: u64,
}
impl Tlb {
    pub fn new(g: TlbGeometry) -> Result<Self, TlbConfigError> {
        Ok(Self { e: vec![], cap: g.entries as usize, t: 0 })
    }
    fn pos(&self, asid: Asid, vpn: Vpn) -> Option<usize> {
        self.e.iter().position(|(x, _)| x.vpn == vpn && (x.asid == asid || x.perms.contains(Perms::GLOBAL)))
    }
    pub fn lookup(&mut self, asid: Asid, vpn: Vpn) -> Option<TlbEntry> {
        self.t += 1;
        let t = self.t;
        let p = self.pos(asid, vpn)?;
        self.e[p].1 = t;
        Some(self.e[p].0)
    }
    pub fn insert(&mut self, e: TlbEntry) -> Option<TlbEntry> {
        self.t += 1;
        if let Some(p) = self.pos(e.asid, e.vpn) {
            self.e[p] = (e, self.t);
            return None;
        }
        if self.e.len() < self.cap {
            self.e.push((e, self.t));
            return None;
        }
        let (i, _) = self.e.iter().enumerate().min_by_key(|(_, x)| x.1).unwrap();
        let old = self.e[i].0;
        self.e[i] = (e, self.t);
        Some(old)
    }
    pub fn update(&mut self, asid: Asid, vpn: Vpn, f: impl FnOnce(&mut TlbEntry)) {
        if let Some(p) = self.pos(asid, vpn) {
            f(&mut self.e[p].0)
        }
    }
    pub fn invalidate_page(&mut self, asid: Asid, vpn: Vpn) {
        self.e.retain(|(x, _)| !(x.vpn == vpn && (x.asid == asid || x.perms.contains(Perms::GLOBAL))))
    }
    pub fn invalidate_asid(&mut self, asid: Asid) {
        self.e.retain(|(x, _)| x.asid != asid || x.perms.contains(Perms::GLOBAL))
    }
    pub fn invalidate_all_non_global(&mut self) {
        self.e.retain(|(x, _)| x.perms.contains(Perms::GLOBAL))
    }
    pub fn invalidate_all(&mut self) {
        self.e.clear()
    }
    pub fn occupancy(&self) -> usize {
        self.e.len()
    }
}
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TlbLevelStats {
    pub hits: u64,
    pub misses: u64,
}
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TlbStats {
    pub l1d: TlbLevelStats,
    pub l1i: TlbLevelStats,
    pub stlb: TlbLevelStats,
}
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlbConfig {
    pub l1d: TlbGeometry,
    pub l1i: TlbGeometry,
    pub stlb: TlbGeometry,
    pub psc: PscConfig,
}
impl Default for TlbConfig {
    fn default() -> Self {
        Self {
            l1d: TlbGeometry { entries: 64, ways: 4 },
            l1i: TlbGeometry { entries: 128, ways: 8 },
            stlb: TlbGeometry { entries: 1536, ways: 12 },
            psc: PscConfig::default(),
        }
    }
}
#[derive(Debug)]
pub enum TlbLookup {
    L1(TlbEntry),
    Stlb(TlbEntry),
    Miss,
}
#[derive(Debug, Clone)]
pub struct TlbHierarchy {
    l1d: Tlb,
    l1i: Tlb,
    stlb: Tlb,
    stats: TlbStats,
}
impl TlbHierarchy {
    pub fn new(c: &TlbConfig) -> Result<Self, TlbConfigError> {
        Ok(Self { l1d: Tlb::new(c.l1d)?, l1i: Tlb::new(c.l1i)?, stlb: Tlb::new(c.stlb)?, stats: TlbStats::default() })
    }
    pub fn lookup(&mut self, asid: Asid, vpn: Vpn, fetch: bool) -> TlbLookup {
        let (l1, s) = if fetch { (&mut self.l1i, &mut self.stats.l1i) } else { (&mut self.l1d, &mut self.stats.l1d) };
        if let Some(e) = l1.lookup(asid, vpn) {
            s.hits += 1;
            return TlbLookup::L1(e);
        }
        s.misses += 1;
        if let Some(e) = self.stlb.lookup(asid, vpn) {
            self.stats.stlb.hits += 1;
            l1.insert(e);
            return TlbLookup::Stlb(e);
        }
        self.stats.stlb.misses += 1;
        TlbLookup::Miss
    }
    pub fn fill(&mut self, e: TlbEntry, fetch: bool) {
        self.stlb.insert(e);
        if fetch {
            self.l1i.insert(e);
        } else {
            self.l1d.insert(e);
        }
    }
    pub fn update(&mut self, asid: Asid, vpn: Vpn, f: impl Fn(&mut TlbEntry)) {
        self.l1d.update(asid, vpn, &f);
        self.l1i.update(asid, vpn, &f);
        self.stlb.update(asid, vpn, &f);
    }
    pub fn invalidate_page(&mut self, asid: Asid, vpn: Vpn) {
        self.l1d.invalidate_page(asid, vpn);
        self.l1i.invalidate_page(asid, vpn);
        self.stlb.invalidate_page(asid, vpn);
    }
    pub fn invalidate_asid(&mut self, asid: Asid) {
        self.l1d.invalidate_asid(asid);
        self.l1i.invalidate_asid(asid);
        self.stlb.invalidate_asid(asid);
    }
    pub fn invalidate_all_non_global(&mut self) {
        self.l1d.invalidate_all_non_global();
        self.l1i.invalidate_all_non_global();
        self.stlb.invalidate_all_non_global();
    }
    pub fn invalidate_all(&mut self) {
        self.l1d.invalidate_all();
        self.l1i.invalidate_all();
        self.stlb.invalidate_all();
    }
    pub fn stats(&self) -> TlbStats {
        self.stats
    }
}
