//! Saves that respect what is there, and reads that cannot hang or balloon:
//! `io::write_atomic` through symbolic links and against FIFOs, sockets,
//! devices and folders; `io::read_capped` and the scene and weights loaders
//! on `/dev/zero`, FIFOs and files at and over their limits; training
//! settings that could not learn.
#![allow(clippy::unwrap_used, reason = "test setup")]
#![cfg(unix)]

mod common;

use std::io::ErrorKind;
use std::os::unix::fs::FileTypeExt as _;
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use teleport_core::io::scene::{MAX_SCENE_BYTES, Scene, SceneError};
use teleport_core::io::weights::{self, MAX_WEIGHTS_BYTES, WeightsError};
use teleport_core::io::{FileKind, ReadError, check_replaceable, read_capped, write_atomic};
use teleport_core::l2o::{ModelConfig, Preprocess, TrainConfig, TrainError, Trainer, Variant};
use teleport_core::objective::TaskDist;

use common::files::{folder_with_a_file, is_fifo, is_link, temp_fifo};
use common::temp_dir;

/// How long a call that must return at once may take before the test fails
/// (instead of hanging on a FIFO).
const TIMEOUT: Duration = Duration::from_secs(5);

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Runs `f` on a thread and returns its result, failing the test if it has
/// not returned within [`TIMEOUT`] (a blocked `open` would hang forever).
fn within_timeout<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(TIMEOUT) {
        Ok(v) => v,
        Err(_) => panic!("{what}: still blocked after {TIMEOUT:?}"),
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The error of a write that must be refused: InvalidInput, a message
/// saying what the file is, and no temporary file left in `dir`.
fn assert_refused(e: &std::io::Error, what: &str, dir: &Path, before: &[String]) {
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let message = e.to_string();
    assert!(message.contains(what), "{message}");
    assert!(message.contains("not a regular file"), "{message}");
    assert!(message.contains("not replacing it"), "{message}");
    assert!(!message.contains('\n'), "{message:?}");
    assert_eq!(names(dir), before, "the refused write left files behind");
}

// ---- write_atomic -------------------------------------------------------

#[test]
fn atomic_write_replaces_and_leaves_no_temporary() {
    let dir = temp_dir("atomic");
    let path = dir.join("out.txt");
    write_atomic(&path, b"one").unwrap();
    write_atomic(&path, b"two").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"two");
    assert_eq!(names(&dir), ["out.txt"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn writing_through_a_symlink_replaces_the_target_and_keeps_the_link() {
    let dir = temp_dir("link");
    let real_dir = dir.join("real");
    std::fs::create_dir(&real_dir).unwrap();
    let target = real_dir.join("weights.bin");
    std::fs::write(&target, b"old contents, longer than the new").unwrap();
    let link = dir.join("link.bin");
    std::os::unix::fs::symlink(&target, &link).unwrap();

    write_atomic(&link, b"new").unwrap();
    assert!(is_link(&link), "the link was replaced by a file");
    assert_eq!(std::fs::read_link(&link).unwrap(), target);
    assert_eq!(std::fs::read(&target).unwrap(), b"new");
    // The temporary file went in the target's folder and is gone.
    assert_eq!(names(&real_dir), ["weights.bin"]);
    assert_eq!(names(&dir), ["link.bin", "real"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn writing_through_a_chain_of_two_relative_links_replaces_the_end() {
    let dir = temp_dir("chain");
    std::fs::create_dir_all(dir.join("a/b")).unwrap();
    let target = dir.join("a/b/data.txt");
    std::fs::write(&target, b"old").unwrap();
    // first -> a/second, a/second -> b/data.txt (both relative to their folder).
    std::os::unix::fs::symlink("b/data.txt", dir.join("a/second")).unwrap();
    std::os::unix::fs::symlink("a/second", dir.join("first")).unwrap();

    write_atomic(&dir.join("first"), b"through two links").unwrap();
    for link in ["first", "a/second"] {
        let meta = std::fs::symlink_metadata(dir.join(link)).unwrap();
        assert!(meta.file_type().is_symlink(), "{link} is no longer a link");
    }
    assert_eq!(std::fs::read(&target).unwrap(), b"through two links");
    assert_eq!(names(&dir.join("a/b")), ["data.txt"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_dangling_link_gets_its_target_created() {
    let dir = temp_dir("dangling");
    let link = dir.join("link");
    std::os::unix::fs::symlink(dir.join("new-folder/file.txt"), &link).unwrap();
    write_atomic(&link, b"hello").unwrap();
    assert!(is_link(&link));
    assert_eq!(
        std::fs::read(dir.join("new-folder/file.txt")).unwrap(),
        b"hello"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_link_loop_is_an_error_not_a_hang() {
    let dir = temp_dir("loop");
    std::os::unix::fs::symlink(dir.join("b"), dir.join("a")).unwrap();
    std::os::unix::fs::symlink(dir.join("a"), dir.join("b")).unwrap();
    let path = dir.join("a");
    let e = within_timeout("write to a link loop", move || write_atomic(&path, b"x")).unwrap_err();
    assert!(e.to_string().contains("symbolic links"), "{e}");
    assert_eq!(names(&dir), ["a", "b"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_fifo_is_refused_and_left_alone() {
    let Some((dir, fifo)) = temp_fifo("fifo") else {
        return;
    };
    let before = names(&dir);
    let path = fifo.clone();
    let e = within_timeout("write to a FIFO", move || write_atomic(&path, b"x")).unwrap_err();
    assert_refused(&e, "FIFO", &dir, &before);
    assert!(is_fifo(&fifo), "the FIFO was replaced");

    // Through a link: the link and the FIFO both stay.
    let link = dir.join("link");
    std::os::unix::fs::symlink(&fifo, &link).unwrap();
    let before = names(&dir);
    let path = link.clone();
    let e = within_timeout("write through a link to a FIFO", move || {
        write_atomic(&path, b"x")
    })
    .unwrap_err();
    assert_refused(&e, "FIFO", &dir, &before);
    assert!(e.to_string().contains(&fifo.display().to_string()), "{e}");
    assert!(is_fifo(&fifo));
    assert!(is_link(&link));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_folder_is_refused_and_left_alone() {
    let dir = temp_dir("folder");
    let folder = folder_with_a_file(&dir, "sub", "inside.txt");
    let before = names(&dir);
    let e = write_atomic(&folder, b"x").unwrap_err();
    assert_refused(&e, "a folder", &dir, &before);
    assert_eq!(names(&folder), ["inside.txt"]);
    assert_eq!(std::fs::read(folder.join("inside.txt")).unwrap(), b"keep");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_socket_is_refused_and_left_alone() {
    let dir = temp_dir("socket");
    let path = dir.join("sock");
    let _listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let before = names(&dir);
    let e = write_atomic(&path, b"x").unwrap_err();
    assert_refused(&e, "a socket", &dir, &before);
    assert!(
        std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_socket()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_device_node_is_refused_and_left_alone() {
    if !is_root() {
        eprintln!("note: not root, cannot mknod; skipping the device case");
        return;
    }
    let dir = temp_dir("device");
    let dev = dir.join("dev-null");
    // A private copy of /dev/null (char 1:3): never a real device path.
    let made = Command::new("mknod")
        .arg(&dev)
        .args(["c", "1", "3"])
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("note: mknod failed (no CAP_MKNOD?); skipping the device case");
        std::fs::remove_dir_all(&dir).unwrap();
        return;
    }
    let before = names(&dir);
    let path = dev.clone();
    let e = within_timeout("write to a device", move || write_atomic(&path, b"x")).unwrap_err();
    assert_refused(&e, "a character device", &dir, &before);
    assert!(
        std::fs::symlink_metadata(&dev)
            .unwrap()
            .file_type()
            .is_char_device(),
        "the device node was replaced"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_folder_is_created() {
    let dir = temp_dir("mkdir");
    let path = dir.join("exports/2024/run.csv");
    write_atomic(&path, b"t,x\n").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"t,x\n");
    assert_eq!(names(&dir.join("exports/2024")), ["run.csv"]);
    // Weights saves create their folder too (a fresh install's export folder).
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_replaced_file_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = temp_dir("mode");
    let path = dir.join("private.txt");
    std::fs::write(&path, b"old").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    write_atomic(&path, b"new").unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(std::fs::read(&path).unwrap(), b"new");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_replaceable_accepts_files_and_new_paths_only() {
    let dir = temp_dir("check");
    let file = dir.join("f");
    std::fs::write(&file, b"").unwrap();
    assert_eq!(check_replaceable(&file).unwrap(), file);
    let new = dir.join("no/such/file");
    assert_eq!(check_replaceable(&new).unwrap(), new);
    assert!(!dir.join("no").exists(), "checking created a folder");
    assert_eq!(
        check_replaceable(&dir).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---- read_capped ----------------------------------------------------------

#[test]
fn reading_dev_zero_is_refused_at_once() {
    let start = Instant::now();
    let e = within_timeout("read /dev/zero", || {
        read_capped(Path::new("/dev/zero"), 1 << 20)
    })
    .unwrap_err();
    assert!(
        matches!(
            e,
            ReadError::NotAFile {
                kind: FileKind::CharDevice
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "it is a character device, not a regular file"
    );
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn reading_a_fifo_is_refused_without_blocking() {
    let Some((dir, fifo)) = temp_fifo("read-fifo") else {
        return;
    };
    let path = fifo.clone();
    let e = within_timeout("read a FIFO", move || read_capped(&path, 1024)).unwrap_err();
    assert!(
        matches!(
            e,
            ReadError::NotAFile {
                kind: FileKind::Fifo
            }
        ),
        "{e:?}"
    );
    // Through a symbolic link too.
    let link = dir.join("link");
    std::os::unix::fs::symlink(&fifo, &link).unwrap();
    let e = within_timeout("read a link to a FIFO", move || read_capped(&link, 1024)).unwrap_err();
    assert!(e.to_string().contains("FIFO"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn reading_a_folder_or_a_missing_file_is_an_error() {
    let dir = temp_dir("read-dir");
    let e = read_capped(&dir, 1024).unwrap_err();
    assert!(
        matches!(
            e,
            ReadError::NotAFile {
                kind: FileKind::Directory
            }
        ),
        "{e:?}"
    );
    let e = read_capped(&dir.join("missing"), 1024).unwrap_err();
    assert!(
        matches!(&e, ReadError::Io(io) if io.kind() == ErrorKind::NotFound),
        "{e:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn reading_stops_at_the_limit() {
    let dir = temp_dir("read-limit");
    let limit = 4096_u64;
    let at = dir.join("at-limit");
    let over = dir.join("over-limit");
    let empty = dir.join("empty");
    std::fs::write(&at, vec![b'a'; limit as usize]).unwrap();
    std::fs::write(&over, vec![b'a'; limit as usize + 1]).unwrap();
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(read_capped(&at, limit).unwrap().len(), limit as usize);
    assert!(read_capped(&empty, limit).unwrap().is_empty());
    let e = read_capped(&over, limit).unwrap_err();
    assert!(
        matches!(
            e,
            ReadError::TooLarge {
                limit: 4096,
                reported: 4097
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.to_string(), "it is 4097 bytes; the limit is 4096 bytes");
    // The reported size is not trusted: files in /proc report 0 bytes and
    // hold more; they are read through the cap.
    let status = Path::new("/proc/self/status");
    if status.is_file() && std::fs::metadata(status).unwrap().len() == 0 {
        let e = read_capped(status, 16).unwrap_err();
        assert!(
            matches!(
                e,
                ReadError::TooLarge {
                    limit: 16,
                    reported: 0
                }
            ),
            "{e:?}"
        );
        assert_eq!(e.to_string(), "it holds more than the limit of 16 bytes");
        assert!(read_capped(status, 1 << 20).unwrap().len() > 16);
    } else {
        eprintln!("note: no /proc/self/status reporting 0 bytes; skipping that case");
    }
    // A limit of 0 accepts only the empty file.
    assert!(read_capped(&empty, 0).unwrap().is_empty());
    assert!(read_capped(&at, 0).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---- the loaders ----------------------------------------------------------

#[test]
fn scene_and_weights_loaders_refuse_dev_zero_and_fifos_at_once() {
    let e = within_timeout("Scene::load(/dev/zero)", || {
        Scene::load(Path::new("/dev/zero"))
    })
    .unwrap_err();
    assert!(matches!(e, SceneError::Read { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "cannot read scene file /dev/zero: it is a character device, not a regular file"
    );
    let e = within_timeout("weights::load(/dev/zero)", || {
        weights::load(Path::new("/dev/zero"))
    })
    .unwrap_err();
    assert!(matches!(e, WeightsError::Read { .. }), "{e:?}");
    assert!(e.to_string().contains("character device"), "{e}");

    let Some((dir, fifo)) = temp_fifo("load-fifo") else {
        return;
    };
    let path = fifo.clone();
    let e = within_timeout("Scene::load(FIFO)", move || Scene::load(&path)).unwrap_err();
    assert!(e.to_string().contains("FIFO"), "{e}");
    let path = fifo.clone();
    let e = within_timeout("weights::load(FIFO)", move || weights::load(&path)).unwrap_err();
    assert!(e.to_string().contains("FIFO"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The example scene of the scene format's documentation.
const EXAMPLE: &str = r#"{"objective": {"family": "ellipse", "A": [[0.5, 0.0], [0.0, 3.0]], "b": [0.0, 0.0]}, "x0": [-5.0, 3.5], "steps": 20, "optimizer": {"kind": "gd", "lr": 0.05}}"#;

#[test]
fn a_scene_of_the_limit_loads_and_one_byte_more_is_refused() {
    let dir = temp_dir("scene-limit");
    let mut text = EXAMPLE.to_owned();
    text.push_str(&" ".repeat(MAX_SCENE_BYTES - text.len()));
    let at = dir.join("at.json");
    std::fs::write(&at, &text).unwrap();
    assert!(Scene::load(&at).is_ok());
    text.push(' ');
    let over = dir.join("over.json");
    std::fs::write(&over, &text).unwrap();
    let e = Scene::load(&over).unwrap_err();
    assert!(matches!(e, SceneError::TooLarge { bytes } if bytes == MAX_SCENE_BYTES as u64 + 1));
    assert!(
        e.to_string()
            .contains(&format!("at most {MAX_SCENE_BYTES} bytes")),
        "{e}"
    );
    // Invalid UTF-8 is still a read error that says so.
    let bad = dir.join("bad.json");
    std::fs::write(&bad, b"{\"x0\": \xff}").unwrap();
    let e = Scene::load(&bad).unwrap_err();
    assert!(e.to_string().contains("UTF-8"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_weights_limit_holds_the_largest_valid_model() {
    let mut largest = 0;
    for variant in Variant::ALL {
        for preprocess in [Preprocess::Raw, Preprocess::LogSign] {
            let model = ModelConfig {
                hidden: 1024,
                preprocess,
                ..ModelConfig::paper(variant)
            };
            model.validate().unwrap();
            let params: usize = model.shapes().iter().map(|s| s.num_params()).sum();
            largest = largest.max(params * 4);
        }
    }
    // H = 1025 is refused, so H = 1024 is the largest model.
    assert!(
        ModelConfig {
            hidden: 1025,
            ..ModelConfig::paper(Variant::L2o)
        }
        .validate()
        .is_err()
    );
    assert_eq!(largest, 100_872_204);
    // Room for the header (a few kilobytes) many times over.
    assert!(largest as u64 + (1 << 20) < MAX_WEIGHTS_BYTES);
    // ...and the shipped weights are far below it.
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/weights");
    if let Ok(entries) = std::fs::read_dir(&shipped) {
        for entry in entries {
            let path = entry.unwrap().path();
            let bytes = read_capped(&path, MAX_WEIGHTS_BYTES).unwrap();
            assert!(bytes.len() < (4 << 20), "{}", path.display());
        }
    }
}

#[test]
fn saving_weights_creates_the_folder_and_keeps_a_link() {
    let dir = temp_dir("weights-save");
    let (model, config) = tiny_l2o_training();
    let trainer = Trainer::new(model, config.clone()).unwrap();
    let info = weights::WeightsInfo {
        train: Some(config),
        trajectories_trained: 0,
    };
    let target = dir.join("fresh/install/w.safetensors");
    weights::save(&target, trainer.model(), &info).unwrap();
    let link = dir.join("latest.safetensors");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    weights::save(&link, trainer.model(), &info).unwrap();
    assert!(is_link(&link));
    assert!(weights::load(&link).is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---- training that cannot learn ---------------------------------------------

/// A 4-unit L2O model and the paper's training of it on `elli_fixed`.
fn tiny_l2o_training() -> (ModelConfig, TrainConfig) {
    let model = ModelConfig {
        hidden: 4,
        ..ModelConfig::paper(Variant::L2o)
    };
    let config = TrainConfig::paper(&model, TaskDist::ElliFixed, 0);
    (model, config)
}

fn trainer_error(edit: impl FnOnce(&mut TrainConfig)) -> String {
    let (model, mut config) = tiny_l2o_training();
    edit(&mut config);
    let refused = config.validate(&model).unwrap_err();
    let e = Trainer::new(model, config).unwrap_err();
    assert_eq!(e, TrainError::Config(refused));
    e.to_string()
}

#[test]
fn training_that_cannot_learn_is_refused() {
    let e = trainer_error(|c| {
        c.unroll = 50;
        c.steps = 5;
    });
    for needle in ["unroll", "50", "steps", "5", "no meta-update"] {
        assert!(e.contains(needle), "{e}");
    }
    let e = trainer_error(|c| c.trajectories = 0);
    assert!(
        e.contains("trajectories") && e.contains("no meta-update"),
        "{e}"
    );
    let e = trainer_error(|c| c.unroll = 0);
    assert!(e.contains("unroll") && e.contains("at least 1"), "{e}");
    let e = trainer_error(|c| c.steps = 0);
    assert!(e.contains("steps"), "{e}");
    let e = trainer_error(|c| c.batch = 0);
    assert!(e.contains("batch"), "{e}");
    for e in [
        trainer_error(|c| c.trajectories = 0),
        trainer_error(|c| c.unroll = 22),
    ] {
        assert!(!e.contains('\n'), "{e:?}");
    }
    // unroll = steps is the boundary: one meta-update per trajectory.
    let (model, mut config) = tiny_l2o_training();
    config.trajectories = 1;
    config.steps = 5;
    config.unroll = 5;
    let mut trainer = Trainer::new(model, config).unwrap();
    trainer.run(|_, _| teleport_core::l2o::Control::Continue);
    assert_eq!(trainer.progress().meta_updates, 1);
}
