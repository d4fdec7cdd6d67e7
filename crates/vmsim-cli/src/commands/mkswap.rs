//! `vmsim mkswap FILE SIZE [--label L]`: a SWAPSPACE2 swap file ([`vmsim::swap::header::mkswap`]), announced as
//! util-linux mkswap announces it (`disk-utils/mkswap.c`), plus one line with the page counts:
//!
//! ```text
//! Setting up swapspace version 1, size = 64 MiB (67104768 bytes)
//! no label, UUID=…
//! 16384 pages of 4 KiB: 1 header page, 16383 swap slots
//! ```
//!
//! Differences from util-linux: SIZE is the file size in bytes (with an optional unit), where util-linux takes 1 KiB
//! blocks; the file is created or replaced; the UUID is derived from the path, size and label (same command, same
//! bytes), not random.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;
use vmsim::config::ByteSize;
use vmsim::swap::header::mkswap as write_swap_file;

pub fn mkswap(file: &Path, size: &str, label: Option<&str>) -> Result<()> {
    let bytes = ByteSize::parse(size).map_err(anyhow::Error::msg).context("SIZE")?;
    // The error's text already ends in the OS reason: print it once, not again as a cause.
    let info = write_swap_file(file, bytes.0, label).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Setting up swapspace version {}, size = {} ({} bytes)",
        info.header.version,
        human_size(info.usable_bytes()),
        info.usable_bytes()
    )?;
    match info.header.label() {
        Some(l) => write!(out, "LABEL={l}, ")?,
        None => write!(out, "no label, ")?,
    }
    writeln!(out, "UUID={}", info.header.uuid_string())?;
    writeln!(out, "{} pages of 4 KiB: 1 header page, {} swap slots", info.pages, info.usable_pages())?;
    Ok(())
}

/// util-linux `size_to_human_string(SIZE_SUFFIX_3LETTER | SIZE_SUFFIX_SPACE, bytes)` (lib/strutils.c): the largest
/// binary unit that keeps the integer part non-zero, one decimal rounded half up and dropped when it is 0.
fn human_size(bytes: u64) -> String {
    const LETTERS: [char; 7] = ['B', 'K', 'M', 'G', 'T', 'P', 'E'];
    // get_exp(): the largest multiple of 10 bits not above the value (0 for bytes).
    let exp = (10..=60).step_by(10).find(|&s| bytes < 1u64 << s).unwrap_or(70) - 10;
    let unit = LETTERS[exp / 10];
    let suffix = if unit == 'B' { "B".to_owned() } else { format!("{unit}iB") };
    let mut dec = bytes >> exp;
    let rem = bytes - (dec << exp);
    // Three digits of the fraction, then rounded to one (4/5), as util-linux does.
    let thousandths = u64::try_from((u128::from(rem) * 1000) >> exp).unwrap_or(0);
    let mut frac = (thousandths + 50) / 100;
    if frac == 10 {
        dec += 1;
        frac = 0;
    }
    if frac == 0 {
        format!("{dec} {suffix}")
    } else {
        format!("{dec}.{frac} {suffix}")
    }
}

#[cfg(test)]
mod tests {
    use super::human_size;

    /// Outputs of util-linux 2.38.1 mkswap for files of 64 MiB, 1000000 bytes, 1.5 MiB + 4 KiB, 1 GiB.
    #[test]
    fn sizes_print_as_util_linux_prints_them() {
        assert_eq!(human_size(67_104_768), "64 MiB");
        assert_eq!(human_size(995_328), "972 KiB");
        assert_eq!(human_size(1_572_864), "1.5 MiB");
        assert_eq!(human_size(1_073_737_728), "1024 MiB");
        assert_eq!(human_size(512), "512 B");
    }
}
