//! `/proc/vmstat` (mm/vmstat.c `vmstat_show`): one `"<name> <value>"` per line (SPEC §15).

use std::fmt::Write;

/// Render `(name, value)` pairs in the given order.
pub fn render(counters: &[(&str, u64)]) -> String {
    let mut s = String::new();
    for (name, v) in counters {
        let _ = writeln!(s, "{name} {v}");
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn spec_15_vmstat_line() {
        assert_eq!(super::render(&[("pgfault", 12345)]), "pgfault 12345\n");
    }
}
