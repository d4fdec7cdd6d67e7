//! Output files that cannot destroy input: each is written to a temporary file in the destination's directory
//! and renamed over the destination only when everything was written (a failed or interrupted run leaves the old
//! file, or none, never a partial one), and an output that is one of the command's inputs (the same path, a hard
//! link or a symlink to it) is refused before anything is opened for writing.

use anyhow::{bail, Context, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Refuses `out` when it names the same file as one of `inputs` (`-`, standard input or output, is never a file).
pub fn refuse_same_file(out: &Path, inputs: &[&Path]) -> Result<()> {
    if out == Path::new("-") {
        return Ok(());
    }
    for input in inputs.iter().filter(|i| **i != Path::new("-")) {
        if same_file(input, out) {
            bail!(
                "{}: the output is the input file {}: writing it would destroy the input (choose another output file)",
                out.display(),
                input.display()
            );
        }
    }
    Ok(())
}

/// Whether both paths exist and are the same file (same device and inode: also through hard links and symlinks).
fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) else { return false };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        ma.dev() == mb.dev() && ma.ino() == mb.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (ma, mb);
        matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
    }
}

/// An output file being written: a temporary sibling of `dest` until [`OutFile::commit`] renames it.
#[derive(Debug)]
pub struct OutFile {
    tmp: BufWriter<tempfile::NamedTempFile>,
    dest: PathBuf,
}

impl OutFile {
    /// Starts writing `dest` (refused when it is one of `inputs`). Nothing at `dest` changes until `commit`.
    pub fn create(dest: &Path, inputs: &[&Path]) -> Result<Self> {
        refuse_same_file(dest, inputs)?;
        if dest.is_dir() {
            bail!("{}: is a directory (give a file name for the output)", dest.display());
        }
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(dir)
            .with_context(|| format!("{}: cannot create a file in {}", dest.display(), dir.display()))?;
        Ok(Self { tmp: BufWriter::new(tmp), dest: dest.to_path_buf() })
    }

    /// Flushes, gives the file the destination's permissions (an existing file keeps its own; a new one gets
    /// rw-r--r--) and renames it over the destination.
    pub fn commit(self) -> Result<()> {
        let dest = self.dest;
        let tmp = self
            .tmp
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("{}: cannot write", dest.display()))?;
        tmp.as_file().sync_all().with_context(|| format!("{}: cannot write", dest.display()))?;
        let perms = match std::fs::metadata(&dest) {
            Ok(m) => m.permissions(),
            Err(_) => default_permissions(tmp.as_file())?,
        };
        tmp.as_file().set_permissions(perms).with_context(|| format!("{}: cannot set permissions", dest.display()))?;
        tmp.persist(&dest).map_err(|e| e.error).with_context(|| format!("{}: cannot replace", dest.display()))?;
        Ok(())
    }
}

/// rw-r--r-- on unix (what `>` gives under the usual umask 022); elsewhere the temporary file's own.
fn default_permissions(f: &File) -> Result<std::fs::Permissions> {
    let perms = f.metadata()?.permissions();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = perms;
        Ok(std::fs::Permissions::from_mode(0o644))
    }
    #[cfg(not(unix))]
    Ok(perms)
}

impl Write for OutFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.tmp.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.tmp.flush()
    }
}
