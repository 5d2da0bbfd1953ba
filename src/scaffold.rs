//! `flywheel new KIND "Title"`: a new page with every field its kind declares, ready to fill in.
//!
//! Required fields are written commented out, each with a typed example and what it is for, so
//! `flywheel check` names every one still to fill in; reference fields get real ids from the site,
//! so uncommenting them gives a valid page.

use std::path::{Path, PathBuf};

use crate::config::{FieldConfig, FieldType, KindConfig, SiteConfig, PLAIN_KIND};
use crate::diag::did_you_mean;
use crate::load::CONTENT_DIR;
use crate::markdown::slugify;

/// Creates the page and returns its path, or a message saying why not.
pub fn new_page(
    root: &Path,
    config: &SiteConfig,
    kind: &str,
    title: &str,
) -> Result<PathBuf, String> {
    let slug = slugify(title);
    if slug.is_empty() {
        return Err(format!(
            "cannot make a file name from the title `{title}`; use letters or digits"
        ));
    }
    let (folder, kind_config) = if kind == PLAIN_KIND {
        (String::new(), None)
    } else {
        let Some(k) = config.kinds.get(kind) else {
            let known: Vec<&str> = config
                .kinds
                .keys()
                .map(String::as_str)
                .chain([PLAIN_KIND])
                .collect();
            let hint = did_you_mean(kind, known.iter().copied()).map_or_else(
                || format!("kinds: {}", known.join(", ")),
                |s| format!("did you mean `{s}`?"),
            );
            return Err(format!("unknown kind `{kind}`; {hint}"));
        };
        (k.folder.trim_matches('/').to_string(), Some(k))
    };
    let rel = if folder.is_empty() {
        format!("{slug}.md")
    } else {
        format!("{folder}/{slug}.md")
    };
    let path = root.join(CONTENT_DIR).join(&rel);
    if path.exists() {
        return Err(format!(
            "{CONTENT_DIR}/{rel} already exists; choose another title or edit that file"
        ));
    }
    let text = page_text(root, config, title, kind_config);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    // `create_new` refuses to overwrite even if the file appeared since the check above.
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| format!("cannot create {CONTENT_DIR}/{rel}: {e}"))?;
    file.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {CONTENT_DIR}/{rel}: {e}"))?;
    Ok(PathBuf::from(CONTENT_DIR).join(rel))
}

fn page_text(root: &Path, config: &SiteConfig, title: &str, kind: Option<&KindConfig>) -> String {
    let mut text = String::from("+++\n");
    text.push_str(&format!("title = {}\n", toml_string(title)));
    if let Some(kind) = kind {
        let required: Vec<_> = kind.fields.iter().filter(|(_, f)| f.required).collect();
        let optional: Vec<_> = kind.fields.iter().filter(|(_, f)| !f.required).collect();
        if !required.is_empty() {
            text.push_str(
                "\n# Required: fill in each field, then remove the `# ` in front of it.\n",
            );
        }
        for (name, field) in required {
            push_field(&mut text, root, config, name, field);
        }
        if !optional.is_empty() {
            text.push_str("\n# Optional.\n");
        }
        for (name, field) in optional {
            push_field(&mut text, root, config, name, field);
        }
    }
    text.push_str("+++\n");
    let headings = kind.map(|k| k.headings.as_slice()).unwrap_or_default();
    if headings.is_empty() {
        text.push_str("\nWrite the page here.\n");
    }
    for heading in headings {
        text.push_str(&format!("\n## {heading}\n\n<!-- Write this section in your own words; cite a source for every fact. -->\n"));
    }
    text
}

fn push_field(
    text: &mut String,
    root: &Path,
    config: &SiteConfig,
    name: &str,
    field: &FieldConfig,
) {
    if let Some(description) = &field.description {
        text.push_str(&format!("# {name}: {description}\n"));
    }
    text.push_str(&format!("# {name} = {}\n", example(root, config, field)));
}

/// A value of the right type, with real ids for reference fields.
fn example(root: &Path, config: &SiteConfig, field: &FieldConfig) -> String {
    if let Some(target) = &field.references {
        let ids = existing_ids(root, config, target, field.min.unwrap_or(1).max(1));
        let quoted: Vec<String> = ids.iter().map(|id| toml_string(id)).collect();
        return if field.kind == FieldType::List {
            format!("[{}]", quoted.join(", "))
        } else {
            quoted.first().cloned().unwrap_or_else(|| "\"\"".into())
        };
    }
    match field.kind {
        FieldType::String | FieldType::Text => "\"...\"".into(),
        FieldType::Integer => "2024".into(),
        FieldType::Date => "2024-01-31".into(),
        FieldType::Bool => "true".into(),
        FieldType::Enum => toml_string(field.values.first().map_or("", String::as_str)),
        FieldType::Table => "{ title = \"...\" }".into(),
        FieldType::List => match field.item_type() {
            FieldType::Table => {
                "[{ title = \"...\", publisher = \"...\", year = 2024, url = \"https://...\" }]"
                    .into()
            }
            FieldType::Integer => "[1]".into(),
            _ => "[\"...\"]".into(),
        },
    }
}

/// The first `count` page ids of a kind, by file name (the id unless front matter sets one).
fn existing_ids(root: &Path, config: &SiteConfig, kind: &str, count: usize) -> Vec<String> {
    let Some(folder) = config.kinds.get(kind).map(|k| k.folder.clone()) else {
        return Vec::new();
    };
    let mut ids: Vec<String> = std::fs::read_dir(root.join(CONTENT_DIR).join(folder))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter(|n| n.ends_with(".md") && !n.starts_with('_'))
                .map(|n| n.trim_end_matches(".md").to_string())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids.truncate(count);
    ids
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}
