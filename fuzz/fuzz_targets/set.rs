//! `--set KEY=VALUE` parsing: each input line is one `--set`. No panic; an error is one located line that names
//! the `--set` it blames; an accepted configuration passes its own range check.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vmsim::config::SimConfig;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let sets: Vec<String> = text.lines().take(16).map(str::to_owned).collect();
    match SimConfig::from_sets(&sets) {
        Ok(cfg) => assert!(cfg.validate().is_ok(), "accepted but invalid: {sets:?}"),
        Err(e) => {
            let s = e.to_string();
            assert!(!s.is_empty() && !s.contains('\n'), "error is not one line: {s:?}");
            assert!(s.starts_with("--set"), "error does not name its --set: {s:?}");
        }
    }
});
