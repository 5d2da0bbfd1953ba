//! A small fluent harness: write a site into a temporary folder, run the real binary on it,
//! and assert on its exit code, its messages and the files it wrote.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The `site.toml` most tests start from: two kinds with a reference between them.
pub const BASIC_CONFIG: &str = r#"title = "Test site"
description = "A site for tests."
base_url = "https://example.org/kb"

[kinds.principle]
folder = "principles"
template = "principle.html"

[kinds.principle.fields]
order = { type = "integer", required = true }
summary = { type = "text", required = true }

[kinds.case-study]
folder = "case-studies"

[kinds.case-study.fields]
year = { type = "integer", required = true }
outcome = { type = "enum", values = ["success", "failure", "mixed"] }
principles = { type = "list", references = "principle", min = 2, required = true }
"#;

pub struct TestSite {
    dir: std::sync::Arc<tempfile::TempDir>,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    root: PathBuf,
    /// Keeps the site folder alive while the output is inspected.
    _dir: std::sync::Arc<tempfile::TempDir>,
}

impl TestSite {
    /// An empty folder.
    pub fn empty() -> Self {
        TestSite {
            dir: std::sync::Arc::new(tempfile::tempdir().expect("temporary folder")),
        }
    }

    /// A valid site with two principles and a case study that references both.
    pub fn basic() -> Self {
        TestSite::empty()
            .file("site.toml", BASIC_CONFIG)
            .file("content/_index.md", "+++\ntitle = \"Home\"\n+++\nWelcome. Read [ownership](principles/ownership.md#in-practice).\n")
            .file("content/principles/_index.md", "+++\ntitle = \"Principles\"\n+++\n")
            .file(
                "content/principles/customer-obsession.md",
                "+++\ntitle = \"Customer Obsession\"\norder = 1\nsummary = \"Start with the customer.\"\n+++\n## In practice\n\nListen.\n",
            )
            .file(
                "content/principles/ownership.md",
                "+++\ntitle = \"Ownership\"\norder = 2\nsummary = \"Act for the long term.\"\ntags = [\"Long term\"]\n+++\n## In practice\n\nOwn it. See [the first](customer-obsession.md).\n",
            )
            .file(
                "content/case-studies/echo.md",
                "+++\ntitle = \"Echo\"\nyear = 2014\noutcome = \"success\"\nprinciples = [\"customer-obsession\", \"ownership\"]\ntags = [\"long term\"]\n+++\n## Context\n\nNo one asked for it. See [ownership](../principles/ownership.md#in-practice).\n\n```rust\nfn main() {}\n```\n",
            )
    }

    pub fn file(self, path: &str, text: &str) -> Self {
        self.bytes(path, text.as_bytes())
    }

    pub fn bytes(self, path: &str, bytes: &[u8]) -> Self {
        let full = self.dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("create folders");
        std::fs::write(full, bytes).expect("write file");
        self
    }

    pub fn remove(self, path: &str) -> Self {
        std::fs::remove_file(self.dir.path().join(path)).expect("remove file");
        self
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `flywheel ARGS` in the site folder.
    pub fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_flywheel"))
            .args(args)
            .current_dir(self.root())
            .env("NO_COLOR", "1")
            .output()
            .expect("run flywheel");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            root: self.root().to_path_buf(),
            _dir: self.dir.clone(),
        }
    }

    pub fn build(&self) -> Run {
        self.run(&["build"])
    }
}

impl Run {
    pub fn success(self) -> Self {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn failure(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// A file of the output, as text.
    pub fn output(&self, path: &str) -> String {
        let full = self.root.join("public").join(path);
        std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
    }

    pub fn has_output(&self, path: &str) -> bool {
        self.root.join("public").join(path).exists()
    }
}

/// The staging and old-output folders a build left beside `public/` (none after any build).
pub fn leftovers(root: &Path) -> Vec<String> {
    std::fs::read_dir(root)
        .expect("root")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".public."))
        .collect()
}

/// Every file under `dir`, with its bytes, sorted: for comparing whole outputs.
pub fn snapshot_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .expect("inside")
                .to_string_lossy()
                .into_owned();
            (rel, std::fs::read(e.path()).expect("read"))
        })
        .collect();
    files.sort();
    files
}
