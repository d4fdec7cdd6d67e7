//! `vmsim translate --scenario FILE [--pid P] [--cpu C] ADDR...`: a translation step by step.

use crate::args::AccessArg;
use anyhow::{bail, Result};
use std::io::Write;
use std::path::Path;
use vmsim::config::Scenario;
use vmsim::mmu::{Access, TlbLevel};
use vmsim::sim::Translation;
use vmsim::{with_machine, VirtAddr, PAGE_SIZE};

fn parse_addr(s: &str) -> Result<u64> {
    let t = s.trim().replace('_', "");
    let v = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else {
        t.parse().ok()
    };
    match v {
        Some(v) => Ok(v),
        None => bail!("{s:?}: not an address (expected decimal like 9192 or hex like 0x23E8)"),
    }
}

pub fn translate(
    path: &Path,
    pid: Option<u32>,
    cpu: Option<u16>,
    access: AccessArg,
    addrs: &[String],
    sets: &[String],
) -> Result<()> {
    let vas: Vec<u64> = addrs.iter().map(|a| parse_addr(a)).collect::<Result<_>>()?;
    let text = super::read_text(path)?;
    let (scenario, cfg) = Scenario::parse(path, &text, sets)?;
    let access = match access {
        AccessArg::Read => Access::Read,
        AccessArg::Write => Access::Write,
        AccessArg::Exec => Access::Fetch,
    };
    let mut machine = super::boot(&cfg, Some((path, &text)), sets)?;
    let mut out = std::io::stdout().lock();
    with_machine!(&mut machine, m => {
        m.run_scenario(path, &text, &scenario)?;
        let Some(p) = m.find_pid(pid) else {
            let n = scenario.process.len();
            match pid {
                Some(p) => bail!("--pid {p}: no process {p} in the scenario {} (it declares {n} process(es))", path.display()),
                None => bail!("{}: no process to translate in (the scenario has {n} process(es))", path.display()),
            }
        };
        if let Some(c) = cpu {
            if !m.kernel.set_task_cpu(p, vmsim::kernel::cpu::CpuId(c)) {
                let n = m.kernel.cpus.len();
                bail!("--cpu {c}: the machine has {n} CPU{} (0..={}; set machine.cpus)", if n == 1 { "" } else { "s" }, n - 1);
            }
        }
        let linear = cfg.machine.arch == vmsim::config::ArchKind::Linear;
        for va in vas {
            match m.translate_verbose(p, VirtAddr::new(va), access) {
                Some(t) => print_translation(&mut out, &t, linear)?,
                None => {
                    // Blame the option that chose the process, or the scenario's [[process]] entry when the
                    // default (the first process) was taken.
                    let name = m.kernel.task(p).map(|t| t.name.clone()).unwrap_or_default();
                    let entry = scenario.process.iter().position(|q| q.name == name);
                    let at = entry.map_or_else(
                        || path.display().to_string(),
                        |i| vmsim::config::process_location(path, &text, i, "name"),
                    );
                    let what = format!("process {} ({name}, {at}) is not running at the end of the scenario (it exited or was killed)", p.0);
                    match pid {
                        Some(n) => bail!("--pid {n}: {what}"),
                        None => bail!("{at}: process {} ({name}) is not running at the end of the scenario (it exited or was killed); choose one with --pid", p.0),
                    }
                }
            }
        }
    });
    Ok(())
}

fn print_translation(out: &mut impl Write, t: &Translation, linear: bool) -> Result<()> {
    let va = t.va.raw();
    writeln!(out, "virtual address {va} = {va:#x}, {}", t.who)?;
    if linear {
        writeln!(out, "  page size   {PAGE_SIZE} bytes")?;
        writeln!(out, "  page        {} = {va} / {PAGE_SIZE}", va / PAGE_SIZE)?;
        writeln!(out, "  offset      {} = {va} % {PAGE_SIZE} ({:#x})", va % PAGE_SIZE, va % PAGE_SIZE)?;
    } else {
        writeln!(out, "  page offset {:#x} (bits 11..0)", va % PAGE_SIZE)?;
    }
    let levels = format!("{} level{}", t.levels, if t.levels == 1 { "" } else { "s" });
    match t.tlb_hit {
        Some(level) => {
            let l = if level == TlbLevel::L1 { "L1 TLB" } else { "second-level TLB (STLB)" };
            writeln!(
                out,
                "  TLB         hit in the {l}: the MMU needs no page walk. The page table ({levels}) holds:"
            )?;
        }
        None if t.out_of_range.is_some() => {
            writeln!(out, "  TLB         miss: the MMU checks the address before it walks the page table ({levels})")?
        }
        None => writeln!(out, "  TLB         miss: the MMU walks the page table ({levels})")?,
    }
    for (s, name, flags) in &t.steps {
        if linear {
            // One flat table indexed by the page number itself.
            writeln!(
                out,
                "  {name:<5} entry for page {}  at pa {:#x}  = {:#018x}  [{flags}]",
                va / PAGE_SIZE,
                s.entry_pa.raw(),
                s.raw
            )?;
        } else {
            writeln!(
                out,
                "  {name:<5} index {:>3} ({:#05x})  entry at pa {:#x}  = {:#018x}  [{flags}]",
                s.index,
                s.index,
                s.entry_pa.raw(),
                s.raw
            )?;
        }
    }
    if let (Some(pa), Some(pfn)) = (t.pa, t.pfn) {
        if linear {
            writeln!(out, "  frame       {}", pfn.raw())?;
            writeln!(
                out,
                "  physical    {} * {PAGE_SIZE} + {} = {} = {:#X}",
                pfn.raw(),
                va % PAGE_SIZE,
                pa.raw(),
                pa.raw()
            )?;
        } else {
            writeln!(out, "  frame       {} ({:#x})", pfn.raw(), pfn.raw())?;
            writeln!(out, "  physical    {} = {:#X}", pa.raw(), pa.raw())?;
        }
        if let Some(p) = &t.page {
            writeln!(out, "  page        {p}")?;
        }
    } else if let Some(e) = t.swap {
        writeln!(
            out,
            "  result      page {} is in swap (swap type {}, offset {}): not present; touching it takes a major fault to read it back",
            va / PAGE_SIZE,
            e.swap_type(),
            e.offset()
        )?;
    } else if let Some(f) = &t.fault {
        writeln!(out, "  result      fault: {f}")?;
        if let Some(then) = t.out_of_range {
            writeln!(out, "              {then}")?;
        } else if let Some(p) = &t.page {
            writeln!(out, "  page        {p}")?;
        } else if t.in_vma {
            writeln!(
                out,
                "              inside a mapping: the page-fault handler resolves it (demand paging, a minor fault)"
            )?;
        } else {
            writeln!(out, "              outside every mapping: the page-fault handler sends SIGSEGV (SEGV_MAPERR)")?;
        }
    }
    writeln!(out)?;
    Ok(())
}
