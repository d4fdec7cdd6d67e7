//! `/proc/PID/status` (fs/proc/array.c `proc_pid_status`, fs/proc/task_mmu.c `task_mem`): the identity lines and
//! the memory lines. Each line is `"<Name>:\t<value>"`; the memory values are `SEQ_PUT_DEC` (task_mmu.c:
//! `seq_put_decimal_ull_width(m, str, (val) << (PAGE_SHIFT-10), 8)`): kB right-aligned in 8 columns, then
//! `" kB"`. Lines for what the model does not have (Umask, State, Uid, signal masks, …) are omitted, as meminfo
//! omits unconfigured ones; the ones kept are in Linux's order.

use std::fmt::Write;

/// The values shown. Sizes are in pages except [`Status::vm_pte_kb`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// `Name:` the command name (`task->comm`, at most 15 bytes: `TASK_COMM_LEN` 16 with the NUL).
    pub name: String,
    /// `Tgid:` the thread group.
    pub tgid: u32,
    /// `Pid:` the task.
    pub pid: u32,
    /// `PPid:` the thread group of the real parent (0 for a task started at boot).
    pub ppid: u32,
    /// `VmPeak:` `max(hiwater_vm, total_vm)`.
    pub vm_peak: u64,
    /// `VmSize:` `total_vm`.
    pub vm_size: u64,
    /// `VmLck:` `locked_vm`.
    pub vm_lck: u64,
    /// `VmPin:` `pinned_vm`.
    pub vm_pin: u64,
    /// `VmHWM:` `max(hiwater_rss, rss)`.
    pub vm_hwm: u64,
    /// `RssAnon:` `MM_ANONPAGES`.
    pub rss_anon: u64,
    /// `RssFile:` `MM_FILEPAGES`.
    pub rss_file: u64,
    /// `RssShmem:` `MM_SHMEMPAGES`.
    pub rss_shmem: u64,
    /// `VmData:` `data_vm`.
    pub vm_data: u64,
    /// `VmStk:` `stack_vm`.
    pub vm_stk: u64,
    /// `VmExe:` the text (`PAGE_ALIGN(end_code) - start_code`, capped at `exec_vm`): 0 in the model, which loads
    /// no executable.
    pub vm_exe: u64,
    /// `VmLib:` `exec_vm` minus the text.
    pub vm_lib: u64,
    /// `VmPTE:` `mm_pgtables_bytes(mm) >> 10`, already in kB.
    pub vm_pte_kb: u64,
    /// `VmSwap:` `MM_SWAPENTS`.
    pub vm_swap: u64,
    /// `Threads:` `get_nr_threads()`.
    pub threads: u32,
}

/// One memory line: `SEQ_PUT_DEC("VmRSS:\t", pages)`.
fn kb_line(out: &mut String, label: &str, kb: u64) {
    let _ = writeln!(out, "{label}:\t{kb:>8} kB");
}

impl Status {
    /// Render in /proc/PID/status order.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let kb = |p: u64| p * 4;
        let mut name = self.name.as_str();
        while name.len() > 15 {
            name = &name[..name.char_indices().last().map_or(0, |(i, _)| i)];
        }
        let _ = writeln!(s, "Name:\t{name}");
        let _ = writeln!(s, "Tgid:\t{}", self.tgid);
        let _ = writeln!(s, "Pid:\t{}", self.pid);
        let _ = writeln!(s, "PPid:\t{}", self.ppid);
        kb_line(&mut s, "VmPeak", kb(self.vm_peak));
        kb_line(&mut s, "VmSize", kb(self.vm_size));
        kb_line(&mut s, "VmLck", kb(self.vm_lck));
        kb_line(&mut s, "VmPin", kb(self.vm_pin));
        kb_line(&mut s, "VmHWM", kb(self.vm_hwm));
        kb_line(&mut s, "VmRSS", kb(self.rss_anon + self.rss_file + self.rss_shmem));
        kb_line(&mut s, "RssAnon", kb(self.rss_anon));
        kb_line(&mut s, "RssFile", kb(self.rss_file));
        kb_line(&mut s, "RssShmem", kb(self.rss_shmem));
        kb_line(&mut s, "VmData", kb(self.vm_data));
        kb_line(&mut s, "VmStk", kb(self.vm_stk));
        kb_line(&mut s, "VmExe", kb(self.vm_exe));
        kb_line(&mut s, "VmLib", kb(self.vm_lib));
        kb_line(&mut s, "VmPTE", self.vm_pte_kb);
        kb_line(&mut s, "VmSwap", kb(self.vm_swap));
        let _ = writeln!(s, "Threads:\t{}", self.threads);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layout of a real /proc/self/status (Linux 6.18, `cat`), the lines the model keeps.
    #[test]
    fn matches_linux_layout() {
        let st = Status {
            name: "cat".into(),
            tgid: 5727,
            pid: 5727,
            ppid: 5725,
            vm_peak: 765,
            vm_size: 765,
            vm_hwm: 409,
            rss_anon: 28,
            rss_file: 381,
            vm_data: 90,
            vm_stk: 33,
            vm_exe: 5,
            vm_lib: 382,
            vm_pte_kb: 48,
            threads: 1,
            ..Status::default()
        };
        let want = "Name:\tcat\nTgid:\t5727\nPid:\t5727\nPPid:\t5725\n\
VmPeak:\t    3060 kB\nVmSize:\t    3060 kB\nVmLck:\t       0 kB\nVmPin:\t       0 kB\n\
VmHWM:\t    1636 kB\nVmRSS:\t    1636 kB\nRssAnon:\t     112 kB\nRssFile:\t    1524 kB\n\
RssShmem:\t       0 kB\nVmData:\t     360 kB\nVmStk:\t     132 kB\nVmExe:\t      20 kB\n\
VmLib:\t    1528 kB\nVmPTE:\t      48 kB\nVmSwap:\t       0 kB\nThreads:\t1\n";
        assert_eq!(st.render(), want);
    }

    #[test]
    fn long_names_are_cut_to_15_bytes_and_wide_values_widen_the_line() {
        let st = Status { name: "a-very-long-process-name".into(), vm_size: 1 << 30, ..Status::default() };
        let r = st.render();
        assert!(r.starts_with("Name:\ta-very-long-pro\n"));
        assert!(r.contains("VmSize:\t4294967296 kB\n"));
    }
}
