//! Stage 5, write: the finished site goes to disk all at once, or not at all.
//!
//! The whole site is held in memory ([`Output`]), written to a staging folder beside the output
//! folder, then swapped in with two renames. A build that fails before the swap leaves the
//! previous output exactly as it was. A marker file says a folder was made by Flywheel; a folder
//! without it is never replaced, so `--output .` cannot delete a repository.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::diag::{Diagnostic, Diagnostics};

/// The file that marks an output folder as Flywheel's to replace.
pub const MARKER_FILE: &str = ".flywheel-output";

/// The site's files, by path relative to the output folder. Contents are shared (`Arc`), so the
/// dev server can keep the last good build and copy unchanged pages into the next one for free.
#[derive(Debug, Default, Clone)]
pub struct Output {
    /// `Arc<Vec<u8>>` rather than `Arc<[u8]>`: wrapping a rendered page costs no copy.
    files: BTreeMap<String, Arc<Vec<u8>>>,
}

impl Output {
    /// Adds a file; a second file at the same path (ignoring case) is an error, never an overwrite.
    pub fn add(&mut self, path: String, bytes: Vec<u8>, diags: &mut Diagnostics) {
        if self.files.contains_key(&path) {
            diags.push(Diagnostic::error(format!(
                "two outputs would be written to `{path}`"
            )));
            return;
        }
        self.files.insert(path, Arc::new(bytes));
    }

    /// Takes a file from an earlier build unchanged (the dev server's partial rebuilds).
    pub fn keep(&mut self, path: &str, earlier: &Output) {
        if let Some(bytes) = earlier.files.get(path) {
            self.files
                .entry(path.to_string())
                .or_insert_with(|| bytes.clone());
        }
    }

    /// Drops a file (the dev server replacing its search index).
    pub fn remove(&mut self, path: &str) {
        self.files.remove(path);
    }

    /// Replaces the contents of a file already in the output.
    pub fn replace(&mut self, path: &str, bytes: Vec<u8>) {
        if let Some(slot) = self.files.get_mut(path) {
            *slot = Arc::new(bytes);
        }
    }

    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(|b| b.as_slice())
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Writes the site to `dest`, replacing what was there only once everything is written.
    pub fn write_atomically(&self, dest: &Path) -> Result<(), String> {
        check_replaceable(dest)?;
        let parent = dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        let name = dest
            .file_name()
            .ok_or_else(|| format!("`{}` is not a folder name", dest.display()))?
            .to_string_lossy()
            .into_owned();
        recover_interrupted(parent, &name, dest);
        let pid = std::process::id();
        let staging = parent.join(format!(".{name}.staging-{pid}"));
        let old = parent.join(format!(".{name}.old-{pid}"));
        let _ = std::fs::remove_dir_all(&staging);
        if let Err(err) = self.write_tree(&staging) {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(format!(
                "could not write the site ({err}); the previous output in {} is untouched",
                dest.display()
            ));
        }
        swap_in(&staging, dest, &old)
    }

    fn write_tree(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let faults = faults::Injector::from_env();
        // Pretty URLs make one folder per page, so folder creation is as much work as writing:
        // both happen in parallel (`create_dir_all` tolerates a folder made by another thread).
        self.files.par_iter().try_for_each(|(path, bytes)| {
            let full = dir.join(path);
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent)?;
            }
            faults.before_write()?;
            std::fs::write(full, &bytes[..])
        })?;
        faults.before_swap();
        std::fs::write(
            dir.join(MARKER_FILE),
            "This folder is built by Flywheel and replaced whole on every build.\n",
        )
    }
}

/// Refuses to replace a non-empty folder that Flywheel did not make.
fn check_replaceable(dest: &Path) -> Result<(), String> {
    let Ok(mut entries) = std::fs::read_dir(dest) else {
        return if dest.exists() {
            Err(format!("`{}` exists and is not a folder", dest.display()))
        } else {
            Ok(())
        };
    };
    if entries.next().is_none() || dest.join(MARKER_FILE).is_file() {
        Ok(())
    } else {
        Err(format!(
            "refusing to replace `{}`: it is not empty and was not made by Flywheel (no {MARKER_FILE} file); choose another --output or empty it",
            dest.display()
        ))
    }
}

fn swap_in(staging: &Path, dest: &Path, old: &Path) -> Result<(), String> {
    let had_previous = dest.exists();
    if had_previous && exchange(staging, dest).is_ok() {
        // One atomic step: the new site is in place and the old one sits where staging was.
        remove_tree(staging);
        return Ok(());
    }
    if had_previous {
        let _ = std::fs::remove_dir_all(old);
        std::fs::rename(dest, old).map_err(|e| {
            let _ = std::fs::remove_dir_all(staging);
            format!("cannot move the previous output aside: {e}; it is untouched")
        })?;
    }
    if let Err(e) = std::fs::rename(staging, dest) {
        if had_previous {
            let _ = std::fs::rename(old, dest);
        }
        let _ = std::fs::remove_dir_all(staging);
        return Err(format!(
            "cannot move the new site into place: {e}; the previous output is restored"
        ));
    }
    if had_previous {
        remove_tree(old);
    }
    Ok(())
}

/// Swaps two folders atomically (Linux `renameat2` with `RENAME_EXCHANGE`), so no reader and no
/// crash ever sees the output folder missing or half-replaced.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let a = std::ffi::CString::new(a.as_os_str().as_bytes())?;
    let b = std::ffi::CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
    let result = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Elsewhere the swap is two renames, with a brief gap that [`recover_interrupted`] repairs.
#[cfg(not(target_os = "linux"))]
fn exchange(_a: &Path, _b: &Path) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "no atomic exchange",
    ))
}

/// Cleans up after a build that was killed: removes its staging folder, and puts the previous
/// site back if the process died between the two renames of a non-atomic swap.
fn recover_interrupted(parent: &Path, name: &str, dest: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let file = entry.file_name().to_string_lossy().into_owned();
        if file.starts_with(&format!(".{name}.old-")) && !dest.exists() {
            let _ = std::fs::rename(entry.path(), dest);
        } else if file.starts_with(&format!(".{name}.staging-"))
            || file.starts_with(&format!(".{name}.old-"))
        {
            remove_tree(&entry.path());
        }
    }
}

/// Simulated faults for the tests (debug builds only): `FLYWHEEL_FAIL_AFTER_WRITES=N` makes the
/// write after the N-th fail as if the disk were full, and `FLYWHEEL_PAUSE_BEFORE_SWAP_MS=N`
/// holds the finished staging folder for N ms, so a test can kill the build at that moment.
mod faults {
    use std::sync::atomic::{AtomicUsize, Ordering};

    pub struct Injector {
        fail_after: Option<usize>,
        pause_ms: Option<u64>,
        written: AtomicUsize,
    }

    impl Injector {
        pub fn from_env() -> Self {
            let read = |name: &str| {
                if cfg!(debug_assertions) {
                    std::env::var(name).ok().and_then(|v| v.parse().ok())
                } else {
                    None
                }
            };
            Injector {
                fail_after: read("FLYWHEEL_FAIL_AFTER_WRITES").map(|n: u64| n as usize),
                pause_ms: read("FLYWHEEL_PAUSE_BEFORE_SWAP_MS"),
                written: AtomicUsize::new(0),
            }
        }

        pub fn before_write(&self) -> std::io::Result<()> {
            let n = self.written.fetch_add(1, Ordering::SeqCst);
            match self.fail_after {
                Some(limit) if n >= limit => Err(std::io::Error::new(
                    std::io::ErrorKind::StorageFull,
                    "No space left on device (simulated)",
                )),
                _ => Ok(()),
            }
        }

        pub fn before_swap(&self) {
            if let Some(ms) = self.pause_ms {
                std::thread::sleep(std::time::Duration::from_millis(ms));
            }
        }
    }
}

/// Deletes a folder, its subfolders in parallel: removing the previous site is a large part of
/// a build's writing time.
fn remove_tree(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        let paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.par_iter().for_each(|path| {
            // Never follow a symbolic link out of the folder being deleted.
            let is_dir = path.symlink_metadata().is_ok_and(|m| m.is_dir());
            if is_dir {
                remove_tree(path);
            } else {
                let _ = std::fs::remove_file(path);
            }
        });
    }
    let _ = std::fs::remove_dir(dir);
}
