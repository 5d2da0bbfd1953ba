//! Stage 1, load: walk `content/`, read each file, split off its front matter.
//!
//! Nothing here knows about kinds or markdown. The result is a sorted list of source files, so
//! every later stage sees the same order on every run (the walk order of the file system does
//! not leak into the output).

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

use crate::diag::{display_path, Diagnostic, Diagnostics};

/// The folder under the site root that holds the pages.
pub const CONTENT_DIR: &str = "content";

/// The name of a section's own page.
pub const SECTION_FILE: &str = "_index.md";

/// A markdown file read from `content/`.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path under `content/`, with `/` separators (`principles/ownership.md`).
    pub rel_path: String,
    /// The path shown in diagnostics, relative to the site root (`content/principles/ownership.md`).
    pub display_path: String,
    /// The whole file, BOM removed, NUL characters replaced (they are reserved by the pipeline).
    pub text: String,
    /// The byte range of the TOML between the `+++` lines.
    pub front_matter: std::ops::Range<usize>,
    /// Where the markdown body starts.
    pub body_start: usize,
    /// The date of the last commit that changed the file, when the site is in a git checkout.
    pub last_commit: Option<String>,
}

impl SourceFile {
    pub fn is_section(&self) -> bool {
        self.rel_path == SECTION_FILE || self.rel_path.ends_with("/_index.md")
    }

    /// The folder the file is in, under `content/` (empty for the root).
    pub fn dir(&self) -> &str {
        self.rel_path.rsplit_once('/').map_or("", |(dir, _)| dir)
    }

    /// The file name without `.md`.
    pub fn stem(&self) -> &str {
        let name = self
            .rel_path
            .rsplit_once('/')
            .map_or(&*self.rel_path, |(_, n)| n);
        name.strip_suffix(".md").unwrap_or(name)
    }

    pub fn front_matter_text(&self) -> &str {
        &self.text[self.front_matter.clone()]
    }

    pub fn body(&self) -> &str {
        &self.text[self.body_start..]
    }
}

/// A file under `content/` that is not markdown: copied to the output at the same path.
#[derive(Debug, Clone)]
pub struct AssetFile {
    pub rel_path: String,
    pub path: PathBuf,
}

/// Everything the load stage found.
#[derive(Debug, Default)]
pub struct Loaded {
    pub sources: Vec<SourceFile>,
    pub assets: Vec<AssetFile>,
}

/// Walks `root/content` and reads every markdown file, reporting unreadable ones.
pub fn load_content(root: &Path, max_file_bytes: u64, diags: &mut Diagnostics) -> Loaded {
    let content = root.join(CONTENT_DIR);
    let mut loaded = Loaded::default();
    if !content.is_dir() {
        diags.push(
            Diagnostic::error("the site has no content/ folder")
                .in_file(CONTENT_DIR)
                .with_hint("create content/_index.md for the home page"),
        );
        return loaded;
    }
    // Ask git for last-change dates while the walk runs; a site outside git gets none.
    let git_log = start_git_log(&content);
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let walker = WalkDir::new(&content)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
    // Files are read in parallel while the walk goes on: walking first and reading after kept
    // a core idle for the whole walk (about 120 ms at 50,000 pages). Each file's problems are
    // kept with it and merged in walk order, so the output does not depend on thread timing.
    let mut walk_diags = Diagnostics::default();
    let mut read: Vec<(usize, ReadFile)> = walker
        .filter_map(|entry| walked_file(root, &content, &canonical_root, entry, &mut walk_diags))
        .enumerate()
        .par_bridge()
        .map(|(n, (rel, path))| (n, read_file(root, rel, path, max_file_bytes)))
        .collect();
    read.sort_unstable_by_key(|(n, _)| *n);
    diags.extend(walk_diags);
    let dates = git_log.map(finish_git_log).unwrap_or_default();
    for (_, (source, asset, file_diags)) in read {
        diags.extend(file_diags);
        loaded.sources.extend(source.map(|mut source| {
            source.last_commit = dates.get(&source.rel_path).cloned();
            source
        }));
        loaded.assets.extend(asset);
    }
    loaded
}

/// A file read from `content/`: a page or an asset, and the problems found reading it.
type ReadFile = (Option<SourceFile>, Option<AssetFile>, Diagnostics);

/// The path under `content/` and the full path of a file the walk found, or `None` for a
/// folder and for an entry that cannot be built (reported to `diags`).
fn walked_file(
    root: &Path,
    content: &Path,
    canonical_root: &Path,
    entry: walkdir::Result<walkdir::DirEntry>,
    diags: &mut Diagnostics,
) -> Option<(String, PathBuf)> {
    let entry = match entry {
        Ok(entry) => entry,
        Err(err) => {
            let shown = err
                .path()
                .map_or_else(|| CONTENT_DIR.to_string(), |p| display_path(root, p));
            diags.push(Diagnostic::error(format!("cannot read: {err}")).in_file(&shown));
            return None;
        }
    };
    // Only a problem names the file, so its display path is made only then.
    let shown = || display_path(root, entry.path());
    if entry.path_is_symlink() && !symlink_stays_inside(entry.path(), canonical_root) {
        diags.push(
            Diagnostic::error("symbolic link points outside the site folder")
                .in_file(&shown())
                .with_hint("copy the file into the site instead of linking to it"),
        );
        return None;
    }
    if entry.path_is_symlink() && entry.path().is_dir() {
        diags.push(
            Diagnostic::warning("symbolic link to a folder: not followed, its pages are not built")
                .in_file(&shown())
                .with_hint("move the folder into content/ instead of linking to it"),
        );
        return None;
    }
    if entry.file_type().is_dir() {
        return None;
    }
    let Some(rel) = rel_path(content, entry.path()) else {
        diags.push(
            Diagnostic::error("file name is not valid UTF-8")
                .in_file(&shown())
                .with_hint("rename the file using UTF-8 characters"),
        );
        return None;
    };
    Some((rel, entry.into_path()))
}

/// Reads a page, or checks an asset's size.
fn read_file(root: &Path, rel: String, path: PathBuf, max_file_bytes: u64) -> ReadFile {
    let mut file_diags = Diagnostics::default();
    if rel.ends_with(".md") {
        let source = read_source(root, &rel, &path, max_file_bytes, &mut file_diags);
        return (source, None, file_diags);
    }
    let size = std::fs::metadata(&path).map_or(0, |m| m.len());
    if size > max_file_bytes {
        file_diags.push(too_large(&rel, size, max_file_bytes));
        return (None, None, file_diags);
    }
    let asset = AssetFile {
        rel_path: rel,
        path,
    };
    (None, Some(asset), file_diags)
}

/// Starts `git log` over the content folder: one process for the whole site, not one per page.
fn start_git_log(content: &Path) -> Option<std::process::Child> {
    std::process::Command::new("git")
        .arg("-C")
        .arg(content)
        .args([
            "log",
            "--relative",
            "--no-renames",
            "--name-only",
            "--format=%x00%cs",
            "--",
            ".",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()
}

/// Reads `git log` output into each file's newest commit date (the log lists newest first).
fn finish_git_log(child: std::process::Child) -> std::collections::HashMap<String, String> {
    let Ok(output) = child.wait_with_output() else {
        return Default::default();
    };
    if !output.status.success() {
        return Default::default();
    }
    parse_git_log(&String::from_utf8_lossy(&output.stdout))
}

fn parse_git_log(log: &str) -> std::collections::HashMap<String, String> {
    let mut dates = std::collections::HashMap::new();
    let mut current = None;
    for line in log.lines() {
        if let Some(date) = line.strip_prefix('\0') {
            current = Some(date.trim().to_string());
        } else if let (false, Some(date)) = (line.is_empty(), &current) {
            dates
                .entry(line.to_string())
                .or_insert_with(|| date.clone());
        }
    }
    dates
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_some_and(|n| n.starts_with('.'))
}

fn symlink_stays_inside(path: &Path, canonical_root: &Path) -> bool {
    path.canonicalize()
        .is_ok_and(|target| target.starts_with(canonical_root))
}

/// `path` under `base` with `/` separators, or `None` when it is not valid UTF-8.
fn rel_path(base: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(base).ok()?.to_str()?;
    Some(if std::path::MAIN_SEPARATOR == '/' {
        rel.to_string()
    } else {
        rel.replace(std::path::MAIN_SEPARATOR, "/")
    })
}

/// Reads one markdown file under `content/` (the dev server re-reading a saved page), with the
/// same size limit as a build.
pub fn read_one(
    root: &Path,
    rel: &str,
    max_file_bytes: u64,
    diags: &mut Diagnostics,
) -> Option<SourceFile> {
    let path = root.join(CONTENT_DIR).join(rel);
    read_source(root, rel, &path, max_file_bytes, diags)
}

fn too_large(rel: &str, size: u64, limit: u64) -> Diagnostic {
    Diagnostic::error(format!("file is {size} bytes, over the limit of {limit}"))
        .in_file(&format!("{CONTENT_DIR}/{rel}"))
        .with_hint("split it, or raise `max_file_bytes` under [markdown] in site.toml")
}

/// A file read whole, or the size that kept it from being read.
enum Limited {
    Read(Vec<u8>),
    TooLarge(u64),
}

/// Reads a file of at most `limit` bytes. The size comes from the opened file, so the check and
/// the read are of the same file, and a page costs no system call for its size by path.
fn read_limited(path: &Path, limit: u64) -> std::io::Result<Limited> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    if size > limit {
        return Ok(Limited::TooLarge(size));
    }
    // Read through `take`: `File::read_to_end` would ask the file for its size and position
    // again. A file that grew past the limit since is still refused.
    let mut bytes = Vec::new();
    bytes.try_reserve_exact(usize::try_from(size).map_or(0, |size| size + 1))?;
    (&file)
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Ok(Limited::TooLarge(file.metadata()?.len()));
    }
    Ok(Limited::Read(bytes))
}

fn read_source(
    root: &Path,
    rel: &str,
    path: &Path,
    max_file_bytes: u64,
    diags: &mut Diagnostics,
) -> Option<SourceFile> {
    let display = format!("{CONTENT_DIR}/{rel}");
    let bytes = match read_limited(path, max_file_bytes) {
        Ok(Limited::Read(bytes)) => bytes,
        Ok(Limited::TooLarge(size)) => {
            diags.push(too_large(rel, size, max_file_bytes));
            return None;
        }
        Err(err) => {
            diags.push(
                Diagnostic::error(format!("cannot read file: {err}"))
                    .in_file(&display_path(root, path)),
            );
            return None;
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let valid = err.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(err.as_bytes()).into_owned();
            let at = lossy
                .char_indices()
                .find(|(_, c)| *c == char::REPLACEMENT_CHARACTER)
                .map_or(valid, |(i, _)| i);
            diags.push(
                Diagnostic::error("file is not valid UTF-8")
                    .at(&display, &lossy, at..at + 1)
                    .with_hint("save the file with UTF-8 encoding"),
            );
            return None;
        }
    };
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    };
    // Files almost never hold NUL: copy the text only when one is there. (`memchr` scans with
    // vector instructions; `str::contains` a word at a time, over every byte of every page.)
    let text = if memchr::memchr(0, text.as_bytes()).is_some() {
        text.replace('\0', "\u{fffd}")
    } else {
        text
    };
    let (front_matter, body_start) = match split_front_matter(&text) {
        Ok(split) => split,
        Err(diag) => {
            diags.push(diag.at(&display, &text, 0..3));
            return None;
        }
    };
    Some(SourceFile {
        rel_path: rel.to_string(),
        display_path: display,
        text,
        front_matter,
        body_start,
        last_commit: None,
    })
}

/// Finds the TOML between a first line `+++` and the next line that is `+++`.
///
/// Returns the TOML's byte range and where the body starts. Lines may end in `\r\n`.
pub fn split_front_matter(text: &str) -> Result<(std::ops::Range<usize>, usize), Box<Diagnostic>> {
    let mut lines = line_spans(text);
    let Some((first_start, first_end, first_next)) = lines.next() else {
        return Err(Box::new(missing_front_matter()));
    };
    if text[first_start..first_end].trim_end() != "+++" {
        return Err(Box::new(missing_front_matter()));
    }
    for (start, end, next) in lines {
        if text[start..end].trim_end() == "+++" {
            return Ok((first_next..start, next));
        }
    }
    let _ = first_end;
    Err(Box::new(
        Diagnostic::error("front matter is never closed")
            .with_hint("end the front matter with a line holding only `+++`"),
    ))
}

fn missing_front_matter() -> Diagnostic {
    Diagnostic::error("page has no front matter")
        .with_hint("start the file with a `+++` line, `title = \"...\"`, and another `+++` line")
}

/// Yields (start, end without line ending, start of the next line) for each line.
fn line_spans(text: &str) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= text.len() {
            return None;
        }
        let start = pos;
        let (end, next) = match text[start..].find('\n') {
            Some(i) => (start + i, start + i + 1),
            None => (text.len(), text.len()),
        };
        pos = next;
        let end = if text[start..end].ends_with('\r') {
            end - 1
        } else {
            end
        };
        Some((start, end, next))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A site folder whose only page, `content/a.md`, holds `page`.
    fn site_with_page(page: &str) -> tempfile::TempDir {
        let site = tempfile::tempdir().unwrap();
        std::fs::create_dir(site.path().join(CONTENT_DIR)).unwrap();
        std::fs::write(site.path().join("content/a.md"), page).unwrap();
        site
    }

    #[test]
    fn a_page_read_again_keeps_to_the_size_limit() {
        let page = "+++\ntitle = \"A\"\n+++\nSome text.\n";
        let site = site_with_page(page);
        let mut diags = Diagnostics::default();
        let read = read_one(site.path(), "a.md", page.len() as u64, &mut diags);
        assert_eq!(read.map(|source| source.text), Some(page.to_string()));
        let read = read_one(site.path(), "a.md", 10, &mut diags);
        assert!(read.is_none());
        let message = format!("{:?}", diags.iter().collect::<Vec<_>>());
        assert!(
            message.contains("file is 31 bytes, over the limit of 10"),
            "{message}"
        );
    }

    #[test]
    fn nul_characters_are_replaced_when_read() {
        let page = "+++\ntitle = \"A\"\n+++\nOne\0two\0\n";
        let site = site_with_page(page);
        let mut diags = Diagnostics::default();
        let read = read_one(site.path(), "a.md", 1 << 20, &mut diags);
        assert_eq!(
            read.map(|source| source.text),
            Some(page.replace('\0', "\u{fffd}"))
        );
    }

    #[test]
    fn splits_front_matter_with_crlf() {
        let text = "+++\r\ntitle = \"a\"\r\n+++\r\nbody\r\n";
        let (fm, body) = split_front_matter(text).unwrap();
        assert_eq!(&text[fm], "title = \"a\"\r\n");
        assert_eq!(&text[body..], "body\r\n");
    }

    #[test]
    fn files_come_in_walk_order_whichever_thread_read_them() {
        let site = tempfile::tempdir().unwrap();
        let mut expected = Vec::new();
        for folder in ["b", "a/z", "a"] {
            std::fs::create_dir_all(site.path().join(CONTENT_DIR).join(folder)).unwrap();
        }
        for n in 0..1500 {
            let folder = ["a", "a/z", "b"][n % 3];
            let rel = format!("{folder}/page-{n:04}.md");
            std::fs::write(site.path().join(CONTENT_DIR).join(&rel), "+++\n+++\n").unwrap();
            expected.push(rel);
        }
        // A depth-first walk by name: a's pages, then a/z's, then b's, which here is the order
        // of the paths as text.
        expected.sort();
        let mut diags = Diagnostics::default();
        let loaded = load_content(site.path(), u64::MAX, &mut diags);
        let read: Vec<&str> = loaded.sources.iter().map(|s| s.rel_path.as_str()).collect();
        assert_eq!(read, expected);
        assert!(diags.is_empty());
    }

    #[test]
    fn paths_under_content_use_forward_slashes() {
        let content = Path::new("site").join("content");
        let page = content.join("case-studies").join("prime.md");
        assert_eq!(
            rel_path(&content, &page).as_deref(),
            Some("case-studies/prime.md")
        );
        assert_eq!(rel_path(&content, Path::new("elsewhere/prime.md")), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_file_name_that_is_not_utf8_has_no_path() {
        use std::os::unix::ffi::OsStrExt;
        let content = Path::new("content");
        let name = std::ffi::OsStr::from_bytes(b"bad-\xff.md");
        assert_eq!(rel_path(content, &content.join(name)), None);
    }

    #[test]
    fn git_log_gives_each_file_its_newest_date() {
        let log = "\u{0}2026-11-23\n\na.md\n\u{0}2026-01-02\n\na.md\nb/c.md\n";
        let dates = parse_git_log(log);
        assert_eq!(dates["a.md"], "2026-11-23");
        assert_eq!(dates["b/c.md"], "2026-01-02");
    }

    #[test]
    fn unclosed_front_matter_is_an_error() {
        let err = split_front_matter("+++\ntitle = \"a\"\n").unwrap_err();
        assert_eq!(err.message, "front matter is never closed");
    }

    #[test]
    fn empty_file_has_no_front_matter() {
        assert_eq!(
            split_front_matter("").unwrap_err().message,
            "page has no front matter"
        );
    }
}
