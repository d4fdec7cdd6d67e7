//! A scenario file: parse it (errors must be one located line), then boot it on a small machine and run its
//! steps with an access limit. Nothing may panic; a failed step is an error value. Inputs that name host files
//! (`[[file]] path`, `[[swap.devices]] file`) are skipped, so the fuzzer never reads or writes the host's files.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;
use vmsim::config::Scenario;
use vmsim::sim::AnyMachine;
use vmsim::with_machine;

/// The largest machine a fuzz input boots: 16 MiB.
const MAX_FRAMES: u64 = 4096;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let path = Path::new("fuzz.toml");
    let (sc, mut cfg) = match Scenario::parse(path, text, &[]) {
        Ok(v) => v,
        Err(e) => {
            let s = e.to_string();
            assert!(!s.is_empty() && !s.contains('\n'), "error is not one line: {s:?}");
            assert!(s.starts_with("fuzz.toml"), "error names no file: {s:?}");
            return;
        }
    };
    if sc.file.iter().any(|f| f.get_ref().path.is_some()) || cfg.swap.devices.iter().any(|d| d.file.is_some()) {
        return;
    }
    if cfg.machine.frames() > MAX_FRAMES {
        cfg.machine.frames = Some(MAX_FRAMES);
    }
    let Ok(mut machine) = AnyMachine::new(&cfg) else { return };
    with_machine!(&mut machine, m => {
        m.set_access_limit(Some(20_000));
        if let Err(e) = m.run_scenario(path, text, &sc) {
            let s = e.to_string();
            assert!(!s.is_empty() && !s.contains('\n'), "error is not one line: {s:?}");
        }
        let _ = m.report();
        let _ = m.meminfo();
    });
});
