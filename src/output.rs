//! Stage 5, write: the finished site goes to disk all at once, or not at all.
//!
//! Files are written to a staging folder beside the output folder, then swapped in with one
//! atomic exchange. A build that fails before the swap leaves the previous output exactly as it
//! was. A marker file says a folder was made by Flywheel; a folder without it is never replaced,
//! so `--output .` cannot delete a repository.
//!
//! An [`Output`] either holds every file in memory (the dev server, `check`, tests) or is
//! *staged*: the build opens the staging folder before rendering, and the render stage's threads
//! write each page the moment it is rendered ([`Output::prepare`]), so a 10,000-page site is never
//! held in memory and writing overlaps rendering.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashSet;

use crate::diag::{Diagnostic, Diagnostics};

/// The file that marks an output folder as Flywheel's to replace.
pub const MARKER_FILE: &str = ".flywheel-output";

/// Ten hex digits naming a file's content, for names such as `style.1a2b3c4d5e.css` that hosts
/// may cache forever. The hash (XXH3) is fast rather than hard to forge: it only has to tell
/// versions of one file apart. Hashing the search index's tens of megabytes with it takes 0.4% of
/// a prose build's instructions, where the cryptographic BLAKE3 used before took 1.8%.
pub fn content_hash(bytes: &[u8]) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(bytes))[..10].to_string()
}

/// The site's files, by path relative to the output folder. Contents are shared (`Arc`), so the
/// dev server can keep the last good build and copy unchanged pages into the next one for free.
#[derive(Debug, Default, Clone)]
pub struct Output {
    /// `Arc<Vec<u8>>` rather than `Arc<[u8]>`: wrapping a rendered page costs no copy.
    files: BTreeMap<String, Arc<Vec<u8>>>,
    /// Files already written to the staging folder; only their paths are kept.
    written: BTreeSet<String>,
    staging: Option<Arc<Staging>>,
}

/// A file made ready by any thread, to be recorded with [`Output::commit`].
pub enum Prepared {
    /// Held in memory.
    Held(Vec<u8>),
    /// Already in the staging folder.
    Written,
    /// Not written: the staging folder keeps the first error, and the build stops with it.
    Failed,
}

impl Output {
    /// An output that writes files into a staging folder for `dest` as they are prepared. Checks
    /// first that `dest` may be replaced, and cleans up after a build that was killed.
    pub fn staged(dest: &Path) -> Result<Output, String> {
        Ok(Output {
            staging: Some(Arc::new(Staging::begin(dest)?)),
            ..Output::default()
        })
    }

    /// Makes a file ready from any thread: a staged output writes it now, so its bytes are freed
    /// (or, when borrowed, free to be reused) as soon as this returns; an in-memory output keeps
    /// them, copying borrowed ones.
    pub fn prepare<'a>(&self, path: &str, bytes: impl Into<Cow<'a, [u8]>>) -> Prepared {
        let bytes = bytes.into();
        match &self.staging {
            None => Prepared::Held(bytes.into_owned()),
            Some(staging) => match staging.write(path, &bytes) {
                Ok(()) => Prepared::Written,
                Err(_) => Prepared::Failed,
            },
        }
    }

    /// Records a prepared file; a second file at the same path is an error, never an overwrite.
    pub fn commit(&mut self, path: String, prepared: Prepared, diags: &mut Diagnostics) {
        if self.contains(&path) {
            diags.push(Diagnostic::error(format!(
                "two outputs would be written to `{path}`"
            )));
            return;
        }
        match prepared {
            Prepared::Held(bytes) => {
                self.files.insert(path, Arc::new(bytes));
            }
            Prepared::Written => {
                self.written.insert(path);
            }
            Prepared::Failed => {}
        }
    }

    /// Adds a file (kept in memory until [`Output::write_atomically`]).
    pub fn add(&mut self, path: String, bytes: Vec<u8>, diags: &mut Diagnostics) {
        self.commit(path, Prepared::Held(bytes), diags);
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

    /// Replaces the contents of a file held in memory.
    pub fn replace(&mut self, path: &str, bytes: Vec<u8>) {
        if let Some(slot) = self.files.get_mut(path) {
            *slot = Arc::new(bytes);
        }
    }

    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path) || self.written.contains(path)
    }

    /// A file's contents, if it is held in memory (not one already written to staging).
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(|b| b.as_slice())
    }

    /// Every file's path, in memory or written, in sorted order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        let mut paths: Vec<&str> = self
            .files
            .keys()
            .chain(self.written.iter())
            .map(String::as_str)
            .collect();
        paths.sort_unstable();
        paths.into_iter()
    }

    pub fn len(&self) -> usize {
        self.files.len() + self.written.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the site to `dest`, replacing what was there only once everything is written. A
    /// staged output must be finished into the `dest` it was staged for.
    pub fn write_atomically(&self, dest: &Path) -> Result<(), String> {
        let fresh;
        let staging = match &self.staging {
            Some(staging) if staging.dest == dest => staging.as_ref(),
            Some(staging) => {
                return Err(format!(
                    "the site was staged for {}, not {}",
                    staging.dest.display(),
                    dest.display()
                ))
            }
            None => {
                fresh = Staging::begin(dest)?;
                &fresh
            }
        };
        let written = match staging.failure.get() {
            Some(err) => Err(err.clone()),
            // The first failure, not whichever thread reported last.
            None => staging.write_all(&self.files).map_err(|e| {
                staging
                    .failure
                    .get()
                    .cloned()
                    .unwrap_or_else(|| e.to_string())
            }),
        };
        if let Err(err) = written {
            return Err(format!(
                "could not write the site ({err}); the previous output in {} is untouched",
                dest.display()
            ));
        }
        staging.swap_in()
    }
}

/// The folder a build writes into before it replaces the output folder. Dropped without being
/// swapped in (a failed build), it is deleted.
#[derive(Debug)]
struct Staging {
    dest: PathBuf,
    dir: PathBuf,
    old: PathBuf,
    faults: faults::Injector,
    swapped: std::sync::atomic::AtomicBool,
    /// The first failed write (a full disk), with its path: the build is lost, so later writes
    /// are not tried, and the build reports this one.
    failure: std::sync::OnceLock<String>,
    /// Folders made so far ([`Staging::make_dir`]).
    made_dirs: std::sync::Mutex<FxHashSet<PathBuf>>,
}

impl Staging {
    fn begin(dest: &Path) -> Result<Staging, String> {
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
        let dir = parent.join(format!(".{name}.staging-{pid}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Ok(Staging {
            dest: dest.to_path_buf(),
            old: parent.join(format!(".{name}.old-{pid}")),
            dir,
            faults: faults::Injector::from_env(),
            swapped: Default::default(),
            failure: Default::default(),
            made_dirs: Default::default(),
        })
    }

    /// Writes one file. Pretty URLs make one folder per page, so folder creation is as much
    /// work as writing; both happen on the calling thread (`create_dir_all` tolerates a folder
    /// made by another thread).
    fn write(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
        if self.failure.get().is_some() {
            return Err(io::Error::other("an earlier write failed"));
        }
        let written = self.write_file(path, bytes);
        if let Err(err) = &written {
            let _ = self.failure.set(format!("{path}: {err}"));
        }
        written
    }

    fn write_file(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
        let full = self.dir.join(path);
        if let Some(parent) = full.parent() {
            self.make_dir(parent)?;
        }
        self.faults.before_write()?;
        std::fs::write(full, bytes)
    }

    /// Makes a folder and its parents once per build: the search index's two thousand files
    /// in one folder cost one `mkdir`, not a failed `mkdir` and a `stat` each.
    fn make_dir(&self, dir: &Path) -> io::Result<()> {
        if self.made_dirs.lock().is_ok_and(|dirs| dirs.contains(dir)) {
            return Ok(());
        }
        std::fs::create_dir_all(dir)?;
        if let Ok(mut dirs) = self.made_dirs.lock() {
            dirs.insert(dir.to_path_buf());
        }
        Ok(())
    }

    fn write_all(&self, files: &BTreeMap<String, Arc<Vec<u8>>>) -> io::Result<()> {
        files
            .par_iter()
            .try_for_each(|(path, bytes)| self.write(path, bytes))?;
        self.faults.before_swap();
        std::fs::write(
            self.dir.join(MARKER_FILE),
            "This folder is built by Flywheel and replaced whole on every build.\n",
        )
    }

    fn swap_in(&self) -> Result<(), String> {
        let swapped = swap_in(&self.dir, &self.dest, &self.old);
        // Either way the staging folder is gone now: moved into place, or removed by swap_in.
        self.swapped
            .store(true, std::sync::atomic::Ordering::SeqCst);
        swapped
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.swapped.load(std::sync::atomic::Ordering::SeqCst) {
            remove_tree(&self.dir);
        }
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

    #[derive(Debug)]
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
