//! Replays the saved fuzz corpus (`shared/fuzz/corpus/TARGET/*`, grown by
//! `cargo xtask fuzz`) through the same targets, as an ordinary test: every
//! input that was ever interesting to the fuzzer stays checked.

use crate::fuzzing::TARGETS;

#[test]
fn the_saved_fuzz_corpus_replays_without_panics() {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut replayed = 0;
    for (name, target) in TARGETS {
        let directory = corpus.join(name);
        let entries = std::fs::read_dir(&directory)
            .unwrap_or_else(|error| panic!("{}: {error}", directory.display()));
        for entry in entries {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            target(&bytes);
            replayed += 1;
        }
    }
    assert!(replayed >= TARGETS.len(), "each target has a corpus");
}
