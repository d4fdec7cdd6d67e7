//! vmsim's fault counts against the running Linux kernel's (docs/validation.md): runs
//! `scripts/validate-kernel-faults`, which builds `scripts/workloads/faults.c` with gcc, measures getrusage fault
//! deltas around each experiment, and compares them with `vmsim run examples/validate-kernel-faults.toml`.
//! Needs Linux on x86-64, gcc and python3; without them the test prints why and passes.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whether `program --version` runs.
fn available(program: &str) -> bool {
    Command::new(program).arg("--version").output().is_ok_and(|o| o.status.success())
}

#[test]
fn fault_counts_match_the_running_kernel() {
    if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        println!("skipped: the kernel comparison needs Linux on x86-64");
        return;
    }
    for tool in ["gcc", "python3"] {
        if !available(tool) {
            println!("skipped: {tool} not found; the kernel comparison needs gcc and python3");
            return;
        }
    }
    let out = Command::new("python3")
        .arg(root().join("scripts/validate-kernel-faults"))
        .args(["--vmsim", env!("CARGO_BIN_EXE_vmsim"), "--cc", "gcc", "--runs", "2", "--rounds", "2"])
        .current_dir(root())
        .output()
        .expect("run scripts/validate-kernel-faults");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "scripts/validate-kernel-faults failed ({}): vmsim and the kernel disagree, or a tool failed\n\
         --- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        out.status
    );
}
