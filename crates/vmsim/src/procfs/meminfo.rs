//! `/proc/meminfo` (fs/proc/meminfo.c `show_val_kb`): a 16-character left-aligned label including the colon,
//! the value right-aligned in 8 characters (wider numbers push the line wider), then `" kB"` (SPEC §15).

use std::fmt::Write;

/// One line: `show_val_kb(m, "MemTotal:       ", pages)`.
pub fn line(out: &mut String, label: &str, kb: u64) {
    let l = format!("{label}:");
    let _ = writeln!(out, "{l:<16}{kb:>8} kB");
}

/// The values shown, in pages (lines for unmodelled features are omitted, as Linux omits unconfigured ones).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Meminfo {
    /// RAM pages.
    pub mem_total: u64,
    /// Free pages.
    pub mem_free: u64,
    /// Estimate of pages available without swapping (free + reclaimable clean pages).
    pub mem_available: u64,
    /// Pages in RAM that also have a valid swap copy.
    pub swap_cached: u64,
    /// Active anonymous pages.
    pub active_anon: u64,
    /// Inactive anonymous pages.
    pub inactive_anon: u64,
    /// Usable swap pages.
    pub swap_total: u64,
    /// Free swap pages.
    pub swap_free: u64,
    /// `Dirty`: page-cache pages waiting to be written back to their files.
    pub dirty: u64,
    /// `Cached`: page-cache pages of files plus shmem pages (`NR_FILE_PAGES - swapcache`).
    pub cached: u64,
    /// `Active(file)`.
    pub active_file: u64,
    /// `Inactive(file)`.
    pub inactive_file: u64,
    /// `Mapped`: page-cache and shmem pages mapped by some process (`NR_FILE_MAPPED`).
    pub mapped: u64,
    /// Mapped anonymous pages.
    pub anon_pages: u64,
    /// Page-table pages.
    pub page_tables: u64,
    /// Overcommit limit in pages.
    pub commit_limit: u64,
    /// Committed address space in pages.
    pub committed_as: u64,
    /// `Zswap`: pages of RAM the zswap pool uses.
    pub zswap: u64,
    /// `Zswapped`: pages stored in zswap (their uncompressed size).
    pub zswapped: u64,
    /// `Shmem`: pages of shared anonymous memory objects (also counted in `Cached`, as Linux counts shmem in the
    /// page cache; the model's shmem pages are unevictable, so also in `Unevictable`).
    pub shmem: u64,
}

impl Meminfo {
    /// Render in /proc/meminfo order (SPEC §15).
    pub fn render(&self) -> String {
        let mut s = String::new();
        let kb = |p: u64| p * 4;
        line(&mut s, "MemTotal", kb(self.mem_total));
        line(&mut s, "MemFree", kb(self.mem_free));
        line(&mut s, "MemAvailable", kb(self.mem_available));
        line(&mut s, "Buffers", 0);
        line(&mut s, "Cached", kb(self.cached));
        line(&mut s, "SwapCached", kb(self.swap_cached));
        line(&mut s, "Active", kb(self.active_anon + self.active_file));
        line(&mut s, "Inactive", kb(self.inactive_anon + self.inactive_file));
        line(&mut s, "Active(anon)", kb(self.active_anon));
        line(&mut s, "Inactive(anon)", kb(self.inactive_anon));
        line(&mut s, "Active(file)", kb(self.active_file));
        line(&mut s, "Inactive(file)", kb(self.inactive_file));
        line(&mut s, "Unevictable", kb(self.shmem));
        line(&mut s, "Mlocked", 0);
        line(&mut s, "SwapTotal", kb(self.swap_total));
        line(&mut s, "SwapFree", kb(self.swap_free));
        line(&mut s, "Zswap", kb(self.zswap));
        line(&mut s, "Zswapped", kb(self.zswapped));
        line(&mut s, "Dirty", kb(self.dirty));
        line(&mut s, "Writeback", 0);
        line(&mut s, "AnonPages", kb(self.anon_pages));
        line(&mut s, "Mapped", kb(self.mapped));
        line(&mut s, "Shmem", kb(self.shmem));
        line(&mut s, "PageTables", kb(self.page_tables));
        line(&mut s, "CommitLimit", kb(self.commit_limit));
        line(&mut s, "Committed_AS", kb(self.committed_as));
        line(&mut s, "AnonHugePages", 0);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC §15 test vectors.
    #[test]
    fn spec_15_line_format() {
        let mut s = String::new();
        line(&mut s, "MemTotal", 8_388_608);
        line(&mut s, "CommitLimit", 6_291_456);
        line(&mut s, "SwapTotal", 2_097_152);
        line(&mut s, "Committed_AS", 123_456_789);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "MemTotal:        8388608 kB");
        assert_eq!(lines[1], "CommitLimit:     6291456 kB");
        assert_eq!(lines[2], "SwapTotal:       2097152 kB");
        assert_eq!(lines[3], "Committed_AS:   123456789 kB");
        for l in &lines[..3] {
            assert_eq!(l.len(), 27);
        }
    }
}
