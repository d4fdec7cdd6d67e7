//! Issue 9, item 7: `vmsim run --demo tour` shows, in one run on two CPUs, fork with copy-on-write (and the copy
//! count), a shared mapping, file fault-around, and a TLB shootdown on munmap. The figures asserted are the ones
//! examples/tour.toml explains; if the model stops showing one of them, the demo no longer teaches it.

use std::path::PathBuf;
use std::process::Command;

fn vmsim(args: &[&str]) -> serde_json::Value {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let o = Command::new(env!("CARGO_BIN_EXE_vmsim")).args(args).current_dir(root).output().expect("run vmsim");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn u(v: &serde_json::Value, ptr: &str) -> u64 {
    v.pointer(ptr).and_then(serde_json::Value::as_u64).unwrap_or_else(|| panic!("{ptr} missing"))
}

#[test]
fn the_tour_shows_cow_shmem_fault_around_and_a_munmap_shootdown() {
    let v = vmsim(&["run", "--demo", "tour", "--json"]);
    let events: Vec<&str> = v["events"].as_array().unwrap().iter().filter_map(|e| e.as_str()).collect();
    assert!(!events.iter().any(|e| e.contains("EXPECT")), "{events:?}");
    // The child: 32 copy-on-write copies + 16 shmem pages + 4 file faults, each mapping a 16-page window.
    let child = &v["processes"][1];
    assert_eq!(child["name"], "child");
    assert_eq!((u(child, "/min_flt"), u(child, "/maj_flt")), (32 + 16 + 4, 0));
    assert_eq!(u(&v, "/faults/cow"), 32);
    // One file was read from "disk" once (the parent's major fault), and its 64 pages stay cached.
    assert_eq!(u(&v, "/faults/major"), 1);
    // Two CPUs; the parent's munmap on CPU 0 sent CPU 1 (running its thread) one shootdown IPI, and both CPUs
    // dropped the 64 pages' translations.
    let cpus = v["cpus"].as_array().unwrap();
    assert_eq!(cpus.len(), 2);
    assert_eq!(u(&cpus[1], "/shootdowns_received"), 1);
    assert_eq!(u(&v, "/tlb/shootdown_ipis"), 1);
    assert!(u(&v, "/tlb/flushed_entries") >= 2 * 64);
    // The text report names the same shootdown in its CPUs section.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let o =
        Command::new(env!("CARGO_BIN_EXE_vmsim")).args(["run", "--demo", "tour"]).current_dir(root).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("TLB-shootdown IPIs sent 1 "), "{text}");
    assert!(text.contains("copy-on-write       32"), "{text}");
}
